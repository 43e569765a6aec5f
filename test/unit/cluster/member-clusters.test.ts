import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import type { CloudService } from '../../../src/api/index.ts';
import { derive } from '../../../src/cluster/facts.ts';
import {
  type MemberClusterObject,
  type MemberHealth,
  NOT_PROBED,
  planInvalidMemberCluster,
  planMemberCluster,
} from '../../../src/cluster/member-clusters.ts';
import { formatInstant } from '../../../src/domain/time.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { badge, DAY, HOUR, iso, service, T0 } from '../domain/fixtures.ts';
import { clusterState, policyObject } from './fixtures.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const RES_EU = verdictLabelKey('Resilient', 'eu');

const sov = service('sov', { badges: [badge(), badge({ type: 'Resilient', assurance: 'SelfDeclared' })] });
const usManaged = service('us-managed', { jurisdiction: 'US' });

function memberObject(
  name: string,
  spec: Record<string, unknown> = {},
  extra: Partial<MemberClusterObject> = {},
) {
  return {
    apiVersion: API_VERSION,
    kind: 'MemberCluster',
    metadata: { name, generation: 2, ...extra.metadata },
    spec: {
      cloudService: 'sov',
      country: 'FR',
      kubeconfigSecretRef: { namespace: 'hub', name: `member-${name}` },
      ...spec,
    },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

function workloadObject(name: string, requirement: Record<string, unknown>) {
  return {
    apiVersion: API_VERSION,
    kind: 'SovereignWorkload',
    metadata: { name, namespace: 'apps', generation: 1 },
    spec: {
      requirement,
      placement: { clusters: 1 },
      manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }],
    },
  };
}

const reachable = (at = T0): MemberHealth => ({
  state: 'Reachable',
  reason: 'Reachable',
  message: 'GET /readyz answered ok.',
  since: at - HOUR,
  lastHeartbeat: at,
  kubernetesVersion: 'v1.34.1',
});

const unreachable = (since: number, lastHeartbeat: number | null = since - 30_000): MemberHealth => ({
  state: 'Unreachable',
  reason: 'ProbeFailed',
  message: 'GET /readyz failed 3 times in a row: connect ECONNREFUSED 127.0.0.1:1.',
  since,
  lastHeartbeat,
  kubernetesVersion: null,
});

interface World {
  member: ReturnType<typeof memberObject>;
  health?: MemberHealth;
  services?: CloudService[];
  policies?: Record<string, unknown>[];
  workloads?: Record<string, unknown>[];
  now?: number;
}

function plan({
  member,
  health = reachable(),
  services = [sov, usManaged],
  policies = [policyObject('p')],
  workloads = [],
  now = T0,
}: World) {
  const derived = derive(clusterState({ services, policies, memberClusters: [member], workloads }), now);
  expect(derived.invalid).toEqual([]);
  const valid = derived.memberClusters[0];
  if (!valid) throw new Error('member not derived');
  return planMemberCluster(valid, member as MemberClusterObject, health, derived);
}

const condition = (p: ReturnType<typeof plan>, type: string) =>
  p.status.conditions.find((c) => c.type === type);

describe('planMemberCluster', () => {
  it('a reachable, conforming member gets the verdict label with its assurance, Ready and Reachable True', () => {
    const p = plan({ member: memberObject('paris') });
    expect(p.patch).toEqual({ metadata: { labels: { [SOV_EU]: 'ThirdPartyCertified' } } });
    expect(condition(p, 'Reachable')?.status).toBe('True');
    expect(condition(p, 'Ready')?.status).toBe('True');
    expect(p.status.kubernetesVersion).toBe('v1.34.1');
    expect(p.status.lastHeartbeatTime).toBe(formatInstant(T0));
    expect(p.status.verdicts).toEqual([
      expect.objectContaining({ conforms: true, reasons: [expect.objectContaining({ code: 'Conforming' })] }),
    ]);
    expect(p.status.reasons).toEqual([]);
    expect(p.changes).toEqual([expect.objectContaining({ key: SOV_EU, granted: true })]);
    expect(p.state).toBe('ready');
    expect(p.status.nextTransitionAt).toBe(formatInstant(T0 + 365 * DAY - 24 * HOUR));
  });

  it('judges requirements of SovereignWorkloads too, one label per (badge, area) pair', () => {
    const p = plan({
      member: memberObject('paris'),
      policies: [],
      workloads: [workloadObject('w', { badges: ['Resilient'], area: 'eu' })],
    });
    expect(p.patch?.metadata.labels).toEqual({ [RES_EU]: 'SelfDeclared' });
    expect(p.status.verdicts.map((v) => v.requirement)).toEqual([expect.stringContaining('Resilient')]);
  });

  it('a member whose control plane service is outside the area gets no label, and a reason naming that service', () => {
    const p = plan({ member: memberObject('paris', { controlPlaneCloudService: 'us-managed' }) });
    expect(p.patch).toBeNull();
    expect(p.status.reasons.map((r) => r.code)).toEqual(['ControlPlaneNotConforming']);
    expect(p.status.reasons[0]?.message).toContain('us-managed');
    expect(p.status.verdicts[0]?.conforms).toBe(false);
  });

  it('keeps only the labels it owns right: removes a stale verdict label, never touches other labels', () => {
    const member = memberObject(
      'paris',
      { country: 'US' },
      {
        metadata: { name: 'paris', labels: { [SOV_EU]: 'ThirdPartyCertified', team: 'infra' } },
      },
    );
    const p = plan({ member });
    expect(p.patch).toEqual({ metadata: { labels: { [SOV_EU]: null } } });
    expect(p.changes).toEqual([expect.objectContaining({ key: SOV_EU, granted: false })]);
    expect(p.changes[0]?.sentence).toContain('outside area eu');
  });

  it('unreachable within the grace period: Reachable False, Ready True, labels kept, re-planned at the end of the grace', () => {
    const since = T0 - 10_000;
    const member = memberObject(
      'paris',
      {},
      { metadata: { name: 'paris', labels: { [SOV_EU]: 'ThirdPartyCertified' } } },
    );
    const p = plan({ member, health: unreachable(since) });
    expect(condition(p, 'Reachable')).toMatchObject({ status: 'False', reason: 'ProbeFailed' });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'True', reason: 'WithinGracePeriod' });
    expect(p.patch).toBeNull();
    // The default grace period (20s) from the instant the prober declared the member unreachable.
    expect(p.nextTransitionAt).toBe(since + 20_000);
    expect(p.state).toBe('unreachable_within_grace');
  });

  it('unreachable past the grace period: Ready False, TargetUnhealthy, labels removed', () => {
    const since = T0 - 61_000;
    const member = memberObject(
      'paris',
      {},
      { metadata: { name: 'paris', labels: { [SOV_EU]: 'ThirdPartyCertified' } } },
    );
    const p = plan({ member, health: unreachable(since) });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'UnreachablePastGracePeriod' });
    expect(p.patch).toEqual({ metadata: { labels: { [SOV_EU]: null } } });
    expect(p.status.reasons.map((r) => r.code)).toEqual(['TargetUnhealthy']);
    expect(p.state).toBe('not_ready');
  });

  it('counts the grace from the Reachable=False transition already in status, so a restart does not reset it', () => {
    const member = memberObject(
      'paris',
      {},
      {
        metadata: { name: 'paris', labels: { [SOV_EU]: 'ThirdPartyCertified' } },
        status: {
          lastHeartbeatTime: iso(T0 - 5 * 60_000),
          conditions: [
            {
              type: 'Reachable',
              status: 'False',
              reason: 'ProbeFailed',
              message: 'x',
              lastTransitionTime: iso(T0 - 2 * 60_000),
            },
          ],
        },
      },
    );
    // The prober of a restarted hub saw it fail only just now.
    const p = plan({ member, health: unreachable(T0, null) });
    expect(condition(p, 'Ready')?.status).toBe('False');
    expect(p.patch).toEqual({ metadata: { labels: { [SOV_EU]: null } } });
  });

  it('a member never reached gets no grace and no label, with the credentials problem as the reason', () => {
    const health: MemberHealth = {
      ...unreachable(T0, null),
      reason: 'SecretNotFound',
      message: 'Secret hub/member-paris not found.',
    };
    const p = plan({ member: memberObject('paris'), health });
    expect(condition(p, 'Reachable')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(condition(p, 'Ready')?.message).toContain('Secret hub/member-paris not found');
    expect(p.patch).toBeNull();
  });

  it('not yet probed after a restart: the written conditions stand and labels are kept', () => {
    const member = memberObject(
      'paris',
      {},
      {
        metadata: { name: 'paris', labels: { [SOV_EU]: 'ThirdPartyCertified' } },
        status: {
          lastHeartbeatTime: iso(T0 - 10_000),
          kubernetesVersion: 'v1.34.1',
          conditions: [
            {
              type: 'Reachable',
              status: 'True',
              reason: 'Reachable',
              message: 'ok',
              lastTransitionTime: iso(T0 - HOUR),
            },
            {
              type: 'Ready',
              status: 'True',
              reason: 'Reachable',
              message: 'ok',
              lastTransitionTime: iso(T0 - HOUR),
            },
          ],
        },
      },
    );
    const p = plan({ member, health: NOT_PROBED });
    expect(p.patch).toBeNull();
    expect(condition(p, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: iso(T0 - HOUR) });
    expect(p.status.kubernetesVersion).toBe('v1.34.1');
  });

  it('a new member not yet probed is not Ready and gets no label', () => {
    const p = plan({ member: memberObject('paris'), health: NOT_PROBED });
    expect(condition(p, 'Reachable')?.status).toBe('Unknown');
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'NotProbedYet' });
    expect(p.patch).toBeNull();
  });

  it('keeps lastTransitionTime when a condition keeps its status', () => {
    const first = plan({ member: memberObject('paris') });
    const again = plan({
      member: memberObject('paris', {}, { status: first.status }),
      now: T0 + 60_000,
      health: reachable(T0 + 60_000),
    });
    expect(condition(again, 'Ready')?.lastTransitionTime).toBe(formatInstant(T0));
  });

  it('an invalid member whose status is malformed too is still planned', () => {
    const current = { metadata: { name: 'x', labels: {} }, status: { conditions: 'not a list' } };
    const p = planInvalidMemberCluster(current as never, ['status.conditions: expected array'], T0);
    expect(p.status.conditions.map((c) => [c.type, c.status])).toEqual([['Ready', 'False']]);
  });

  it('an invalid member loses every verdict label and says which field', () => {
    const current = {
      metadata: { name: 'x', generation: 3, labels: { [SOV_EU]: 'SelfDeclared', team: 'a' } },
    };
    const p = planInvalidMemberCluster(current, ['spec.country: must be ISO 3166-1 alpha-2'], T0);
    expect(p.patch).toEqual({ metadata: { labels: { [SOV_EU]: null } } });
    expect(p.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'InvalidSpec' });
    expect(p.status.conditions[0]?.message).toContain('spec.country');
  });
});
