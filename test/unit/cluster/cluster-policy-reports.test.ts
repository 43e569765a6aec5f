import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import {
  MEMBER_CLUSTERS_REPORT_NAME,
  NODES_REPORT_NAME,
  planMemberClustersReport,
  planNodesReport,
  requirementsInUse,
} from '../../../src/cluster/cluster-policy-reports.ts';
import { derive } from '../../../src/cluster/facts.ts';
import type { MemberHealth } from '../../../src/cluster/member-clusters.ts';
import { POLICY_REPORT_API_VERSION, TRUNCATED_ANNOTATION } from '../../../src/cluster/policy-reports.ts';
import { badge, DAY, HOUR, iso, service, T0 } from '../domain/fixtures.ts';
import { clusterState, euArea, nodeObject, policyObject } from './fixtures.ts';

const sov = service('sov', { provider: 'EuroCloud', badges: [badge({ validUntil: iso(T0 + 10 * DAY) })] });
const revoked = service('revoked', { provider: 'Revoked', badges: [badge({ revokedAt: iso(T0 - 1000) })] });
const nodes = [nodeObject('sov-1', { service: 'sov' }), nodeObject('rev-1', { service: 'revoked' })];

const certified = { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' };

function derivedWith(policies: Record<string, unknown>[], now = T0, extra = {}) {
  const derived = derive(
    clusterState({ policies, services: [sov, revoked], areas: [euArea], nodes, ...extra }),
    now,
  );
  expect(derived.invalid).toEqual([]);
  return derived;
}

describe('planNodesReport', () => {
  it('gives one result per node and distinct requirement, naming every policy that asks it', () => {
    const derived = derivedWith([
      policyObject('a'),
      policyObject('b', {}, 'loans'),
      policyObject('strict', { requirement: certified }),
    ]);
    const { report, nextTransitionAt } = planNodesReport(nodes, derived);
    expect(report).toMatchObject({
      apiVersion: POLICY_REPORT_API_VERSION,
      kind: 'ClusterPolicyReport',
      metadata: {
        name: NODES_REPORT_NAME,
        labels: { 'app.kubernetes.io/managed-by': 'sovereign-placement' },
      },
      summary: { pass: 2, fail: 2, warn: 0, error: 0, skip: 0 },
    });
    expect(report.metadata.annotations).toBeUndefined();
    const rows = report.results.map((r) => [r.result, r.resources[0]?.name, r.rule, r.properties.policies]);
    expect(rows).toEqual([
      [
        'fail',
        'rev-1',
        'the Sovereign badge for area eu at any assurance',
        'SovereigntyPolicy/loans/b,SovereigntyPolicy/payments/a',
      ],
      [
        'fail',
        'rev-1',
        'the Sovereign badge for area eu at ThirdPartyCertified or higher',
        'SovereigntyPolicy/payments/strict',
      ],
      [
        'pass',
        'sov-1',
        'the Sovereign badge for area eu at any assurance',
        'SovereigntyPolicy/loans/b,SovereigntyPolicy/payments/a',
      ],
      [
        'pass',
        'sov-1',
        'the Sovereign badge for area eu at ThirdPartyCertified or higher',
        'SovereigntyPolicy/payments/strict',
      ],
    ]);
    const fail = report.results[0];
    expect(fail).toMatchObject({
      policy: 'SovereigntyPolicy/loans/b',
      source: 'sovereign-placement',
      timestamp: { seconds: T0 / 1000, nanos: 0 },
      resources: [{ apiVersion: 'v1', kind: 'Node', name: 'rev-1', uid: 'uid-rev-1' }],
      properties: { cloudService: 'revoked', reasons: 'BadgeRevoked' },
    });
    expect(fail?.message).toMatch(/^Node rev-1 does not conform to the Sovereign badge for area eu/);
    expect(report.results[2]?.properties.reasons).toBe('Conforming');
    // The badge of sov expires in 10 days, and policies move 24h before (the default lead time).
    expect(nextTransitionAt).toBe(T0 + 9 * DAY);
  });

  it('turns a node to fail when its badge expires, and separates lead times into rules', () => {
    const policies = [policyObject('a'), policyObject('early', { failover: { expiryLeadTime: '240h' } })];
    const before = planNodesReport(nodes, derivedWith(policies, T0)).report;
    const sov1 = (r: typeof before) => r.results.filter((x) => x.resources[0]?.name === 'sov-1');
    expect(sov1(before).map((r) => [r.rule, r.properties.expiryLeadTime, r.result])).toEqual([
      ['the Sovereign badge for area eu at any assurance', '240h', 'fail'],
      ['the Sovereign badge for area eu at any assurance', '24h', 'pass'],
    ]);
    expect(sov1(before)[0]?.properties.reasons).toBe('BadgeExpiringSoon');
    const after = planNodesReport(nodes, derivedWith(policies, T0 + 10 * DAY)).report;
    expect(sov1(after).map((r) => r.result)).toEqual(['fail', 'fail']);
    expect(sov1(after)[0]?.properties.reasons).toBe('BadgeExpired');
  });

  it('is empty, not absent, when no policy exists', () => {
    const { report, nextTransitionAt } = planNodesReport(nodes, derivedWith([]));
    expect(report.results).toEqual([]);
    expect(report.summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
    expect(nextTransitionAt).toBeNull();
  });

  it('bounds the results, failures first, while the summary counts every one', () => {
    const many = Array.from({ length: 6 }, (_, i) => nodeObject(`ok-${i}`, { service: 'sov' }));
    const all = [...many, nodeObject('rev-1', { service: 'revoked' })];
    const derived = derive(
      clusterState({ policies: [policyObject('a')], services: [sov, revoked], areas: [euArea], nodes: all }),
      T0,
    );
    const { report } = planNodesReport(all, derived, 3);
    expect(report.results.map((r) => [r.result, r.resources[0]?.name])).toEqual([
      ['fail', 'rev-1'],
      ['pass', 'ok-0'],
      ['pass', 'ok-1'],
    ]);
    expect(report.summary).toMatchObject({ pass: 6, fail: 1 });
    expect(report.metadata.annotations).toEqual({ [TRUNCATED_ANNOTATION]: '3 of 7' });
  });

  it('names at most ten users of one requirement and counts the others', () => {
    const policies = Array.from({ length: 12 }, (_, i) => policyObject(`p${String(i).padStart(2, '0')}`));
    const [use] = requirementsInUse(derivedWith(policies));
    expect(use?.users).toHaveLength(12);
    const { report } = planNodesReport(nodes, derivedWith(policies));
    const listed = report.results[0]?.properties.policies ?? '';
    expect(listed.split(',')).toHaveLength(11);
    expect(listed.endsWith(',+2 more')).toBe(true);
  });
});

describe('planMemberClustersReport', () => {
  const memberObject = (name: string, cloudService: string) => ({
    apiVersion: API_VERSION,
    kind: 'MemberCluster',
    metadata: { name, generation: 1, uid: `uid-${name}` },
    spec: { cloudService, country: 'FR', kubeconfigSecretRef: { namespace: 'hub', name: `member-${name}` } },
  });
  const reachable: MemberHealth = {
    state: 'Reachable',
    reason: 'Reachable',
    message: 'ok',
    since: T0 - HOUR,
    lastHeartbeat: T0,
    kubernetesVersion: 'v1.34.1',
  };
  const workload = {
    apiVersion: API_VERSION,
    kind: 'SovereignWorkload',
    metadata: { name: 'ledger', namespace: 'apps', generation: 1 },
    spec: {
      requirement: certified,
      placement: { clusters: 1 },
      manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }],
    },
  };

  it("judges each member for every policy's and workload's requirement, with its health", () => {
    const derived = derivedWith([policyObject('a')], T0, {
      memberClusters: [memberObject('m-sov', 'sov'), memberObject('m-rev', 'revoked')],
      workloads: [workload],
    });
    const members = derived.memberClusters.map((member) => ({
      member,
      current: { metadata: { name: member.metadata.name } },
      health: reachable,
    }));
    const { report } = planMemberClustersReport(members, derived);
    expect(report.metadata.name).toBe(MEMBER_CLUSTERS_REPORT_NAME);
    expect(report.results.map((r) => [r.result, r.resources[0]?.name, r.policy])).toEqual([
      ['fail', 'm-rev', 'SovereigntyPolicy/payments/a'],
      ['fail', 'm-rev', 'SovereignWorkload/apps/ledger'],
      ['pass', 'm-sov', 'SovereigntyPolicy/payments/a'],
      ['pass', 'm-sov', 'SovereignWorkload/apps/ledger'],
    ]);
    expect(report.results[2]?.resources[0]).toEqual({
      apiVersion: API_VERSION,
      kind: 'MemberCluster',
      name: 'm-sov',
      uid: 'uid-m-sov',
    });
    expect(report.results[2]?.message).toMatch(/^Member cluster m-sov conforms to/);

    // A member never reached is unhealthy: it fails every requirement, with the reason.
    const unprobed = planMemberClustersReport(
      members.map((m) => ({
        ...m,
        health: { ...reachable, state: 'Unknown' as const, lastHeartbeat: null },
      })),
      derived,
    ).report;
    const sovResults = unprobed.results.filter((r) => r.resources[0]?.name === 'm-sov');
    expect(sovResults.map((r) => r.result)).toEqual(['fail', 'fail']);
    expect(sovResults[0]?.properties.reasons).toContain('TargetUnhealthy');
  });
});
