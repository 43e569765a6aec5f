import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import type { AnyPolicy } from '../../../src/api/index.ts';
import { type ClusterState, type Derived, derive } from '../../../src/cluster/facts.ts';
import type { PodObject } from '../../../src/cluster/objects.ts';
import { planPolicy } from '../../../src/cluster/policy-plan.ts';
import {
  MAX_REPORT_RESULTS,
  POLICY_REPORT_API_VERSION,
  planPolicyReports,
  TRUNCATED_ANNOTATION,
} from '../../../src/cluster/policy-reports.ts';
import { badge, iso, service, T0 } from '../domain/fixtures.ts';
import {
  clusterState,
  euArea,
  freshRateLimit,
  NS,
  namespaceObject,
  nodeObject,
  podObject,
  policyObject,
} from './fixtures.ts';

const services = [
  service('sov', { provider: 'EuroCloud' }),
  service('revoked', { provider: 'Revoked', badges: [badge({ revokedAt: iso(T0 - 1000) })] }),
];
const nodes = [nodeObject('sov-1', { service: 'sov' }), nodeObject('rev-1', { service: 'revoked' })];

function reports(pods: PodObject[], extra: Partial<ClusterState> = {}, maxResults?: number) {
  const state = clusterState({
    policies: [
      {
        ...policyObject('sov-eu', { selector: { matchLabels: { app: 'ledger' } } }),
        metadata: { name: 'sov-eu', namespace: NS, uid: 'p-uid' },
      },
    ],
    services,
    areas: [euArea],
    nodes,
    pods,
    ...extra,
  });
  const derived = derive(state, T0);
  expect(derived.invalid).toEqual([]);
  const policy = derived.policies[0];
  if (!policy) throw new Error('no policy');
  return planPolicyReports({
    policy,
    plan: planOf(policy, state, derived),
    now: T0,
    ...(maxResults ? { maxResults } : {}),
  });
}

/** What the policy controller hands over: the policy's own plan. */
function planOf(policy: AnyPolicy, state: ClusterState, derived: Derived) {
  return planPolicy({ policy, state, derived, rateLimit: freshRateLimit, hasCapacity: () => true });
}

describe('planPolicyReports', () => {
  it('gives one result per selected pod: pass on a conforming node, fail with the reasons otherwise', () => {
    const [report, ...others] = reports([
      podObject('a', { nodeName: 'sov-1' }),
      podObject('b', { nodeName: 'rev-1' }),
      podObject('c', { gated: true }),
      podObject('other', { nodeName: 'rev-1', labels: { app: 'x' } }),
    ]);
    expect(others).toEqual([]);
    expect(report?.apiVersion).toBe(POLICY_REPORT_API_VERSION);
    expect(report?.metadata).toMatchObject({
      name: 'sovereign-placement-sov-eu',
      namespace: NS,
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'SovereigntyPolicy', name: 'sov-eu', uid: 'p-uid' }],
    });
    expect(report?.summary).toEqual({ pass: 1, fail: 1, warn: 0, error: 0, skip: 1 });
    const byPod = new Map(report?.results.map((r) => [r.resources[0]?.name, r]));
    expect([...byPod.keys()]).toEqual(['b', 'c', 'a']);
    const fail = byPod.get('b');
    expect(fail).toMatchObject({
      policy: 'SovereigntyPolicy/sov-eu',
      rule: 'the Sovereign badge for area eu at any assurance',
      result: 'fail',
      source: 'sovereign-placement',
      timestamp: { seconds: Math.floor(T0 / 1000), nanos: 0 },
      resources: [{ apiVersion: 'v1', kind: 'Pod', namespace: NS, name: 'b', uid: 'uid-b' }],
      properties: { mode: 'Enforce', node: 'rev-1', cloudService: 'revoked' },
    });
    expect(fail?.message).toMatch(/^Node rev-1 does not conform to the Sovereign badge for area eu/);
    expect(fail?.properties.reasons).toContain('Revoked');
    expect(byPod.get('a')).toMatchObject({
      result: 'pass',
      properties: { node: 'sov-1', cloudService: 'sov', reasons: 'Conforming' },
    });
    expect(byPod.get('a')?.message).toMatch(/^Node sov-1 conforms to/);
    expect(byPod.get('c')?.result).toBe('skip');
  });

  it('keeps the report of its namespace, empty, when the policy selects no pod', () => {
    const [report] = reports([]);
    expect(report?.results).toEqual([]);
    expect(report?.summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
  });

  it('bounds the results, failures first, and says so while the summary counts every pod', () => {
    const pods = [
      ...Array.from({ length: 5 }, (_, i) => podObject(`ok-${i}`, { nodeName: 'sov-1' })),
      ...Array.from({ length: 3 }, (_, i) => podObject(`bad-${i}`, { nodeName: 'rev-1' })),
    ];
    const [report] = reports(pods, {}, 4);
    expect(report?.results.map((r) => r.result)).toEqual(['fail', 'fail', 'fail', 'pass']);
    expect(report?.summary).toMatchObject({ pass: 5, fail: 3 });
    expect(report?.metadata.annotations).toEqual({ [TRUNCATED_ANNOTATION]: '4 of 8' });
    expect(MAX_REPORT_RESULTS).toBe(1_000);
    expect(reports(pods)[0]?.metadata.annotations).toBeUndefined();
  });

  it('writes one report per namespace for a ClusterSovereigntyPolicy', () => {
    const state = clusterState({
      clusterPolicies: [
        {
          apiVersion: API_VERSION,
          kind: 'ClusterSovereigntyPolicy',
          metadata: { name: 'dora', uid: 'c-uid' },
          spec: { namespaceSelector: {}, selector: {}, requirement: { badges: ['Sovereign'], area: 'eu' } },
        },
      ],
      services,
      nodes,
      namespaces: [namespaceObject(NS), namespaceObject('loans')],
      pods: [
        podObject('a', { nodeName: 'sov-1' }),
        podObject('l', { nodeName: 'rev-1', namespace: 'loans' }),
      ],
    });
    const derived = derive(state, T0);
    expect(derived.invalid).toEqual([]);
    const policy = derived.policies[0];
    if (!policy) throw new Error('no policy');
    const out = planPolicyReports({ policy, plan: planOf(policy, state, derived), now: T0 });
    expect(out.map((r) => [r.metadata.namespace, r.metadata.name, r.summary.pass, r.summary.fail])).toEqual([
      ['loans', 'sovereign-placement-cluster-dora', 0, 1],
      [NS, 'sovereign-placement-cluster-dora', 1, 0],
    ]);
    expect(out[0]?.results[0]?.policy).toBe('ClusterSovereigntyPolicy/dora');
  });
});
