import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import type { CloudService, SovereignWorkload } from '../../../src/api/index.ts';
import { atInstant, deriveFacts } from '../../../src/cluster/facts.ts';
import type { MemberClusterObject, MemberHealth } from '../../../src/cluster/member-clusters.ts';
import {
  type CopyObservation,
  invalidWorkloadStatus,
  manifestProblems,
  planWorkload,
  recordsFromStatus,
  type WorkloadObject,
} from '../../../src/cluster/workload-plan.ts';
import { formatInstant } from '../../../src/domain/time.ts';
import { badge, DAY, HOUR, iso, service, T0 } from '../domain/fixtures.ts';
import { clusterState } from './fixtures.ts';

const s1 = service('s1', { provider: 'P1' });
const s2 = service('s2', { provider: 'P2' });
/** Its only Sovereign badge ends in 12 hours: within the default 24h expiry lead time. */
const expiring = service('expiring', {
  provider: 'P1',
  badges: [badge({ validUntil: iso(T0 + 12 * HOUR) })],
});

function memberObject(name: string, spec: Record<string, unknown> = {}): MemberClusterObject {
  return {
    apiVersion: API_VERSION,
    kind: 'MemberCluster',
    metadata: { name, generation: 1 },
    spec: {
      cloudService: 's1',
      country: 'FR',
      kubeconfigSecretRef: { namespace: 'hub', name: `member-${name}` },
      ...spec,
    },
  } as MemberClusterObject;
}

function workloadObject(spec: Record<string, unknown> = {}, status?: WorkloadObject['status']) {
  return {
    apiVersion: API_VERSION,
    kind: 'SovereignWorkload',
    metadata: { name: 'web', namespace: 'apps', uid: 'uid-web', generation: 3 },
    spec: {
      requirement: { badges: ['Sovereign'], area: 'eu' },
      placement: { clusters: 1 },
      manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }],
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

const reachable: MemberHealth = {
  state: 'Reachable',
  reason: 'Reachable',
  message: 'GET /readyz answered ok.',
  since: T0 - HOUR,
  lastHeartbeat: T0,
  kubernetesVersion: 'v1.34.1',
};

/** Unreachable for ten minutes: well past the default grace period. */
const lost: MemberHealth = {
  state: 'Unreachable',
  reason: 'ProbeFailed',
  message: 'GET /readyz failed 3 times in a row.',
  since: T0 - 10 * 60_000,
  lastHeartbeat: T0 - 11 * 60_000,
  kubernetesVersion: null,
};

interface World {
  members: MemberClusterObject[];
  services?: CloudService[];
  spec?: Record<string, unknown>;
  status?: WorkloadObject['status'];
  health?: Record<string, MemberHealth>;
  observed?: Record<string, CopyObservation>;
  now?: number;
}

function typed(raw: ReturnType<typeof workloadObject>, members: MemberClusterObject[] = [], services = [s1]) {
  const derived = atInstant(
    deriveFacts(clusterState({ services, memberClusters: members, workloads: [raw] })),
    T0,
  );
  expect(derived.invalid).toEqual([]);
  const workload = derived.workloads[0];
  if (!workload) throw new Error('workload not derived');
  return { derived, workload };
}

function plan({
  members,
  services = [s1, s2, expiring],
  spec,
  status,
  health = {},
  observed = {},
  now = T0,
}: World) {
  const raw = workloadObject(spec, status);
  const derived = atInstant(
    deriveFacts(clusterState({ services, memberClusters: members, workloads: [raw] })),
    now,
  );
  expect(derived.invalid).toEqual([]);
  const workload = derived.workloads[0] as SovereignWorkload;
  return planWorkload(
    workload,
    raw as WorkloadObject,
    derived,
    {
      member: (name) => members.find((m) => m.metadata.name === name),
      health: (name) => health[name] ?? reachable,
    },
    new Map(Object.entries(observed)),
  );
}

const condition = (p: ReturnType<typeof plan>, type: string) =>
  p.status.conditions.find((c) => c.type === type);

/** A placement as the hub wrote it in an earlier round. */
const placed = (cluster: string, extra: Record<string, unknown> = {}) => ({
  cluster,
  cloudService: 's1',
  provider: 'P1',
  since: iso(T0 - DAY),
  available: true,
  state: 'Active',
  ...extra,
});

describe('recordsFromStatus', () => {
  it('drops malformed entries and reads the rest', () => {
    const records = recordsFromStatus({
      placements: [
        null,
        'paris',
        42,
        { cluster: 7, since: iso(T0) },
        { cluster: 'no-since' },
        { cluster: 'bad-since', since: 'yesterday' },
        { cluster: 'paris', since: iso(T0 - DAY), provider: 'P1', cloudService: 's1', available: true },
      ],
    });
    expect(records).toEqual([
      { cluster: 'paris', provider: 'P1', cloudService: 's1', since: T0 - DAY, available: true },
    ]);
  });

  it('reads a missing state as Active and a missing or non-boolean available as false', () => {
    const records = recordsFromStatus({
      placements: [
        { cluster: 'a', since: iso(T0) },
        { cluster: 'b', since: iso(T0), available: 'true', provider: 3 },
      ],
    });
    expect(records).toEqual([
      { cluster: 'a', provider: '', cloudService: '', since: T0, available: false },
      { cluster: 'b', provider: '', cloudService: '', since: T0, available: false },
    ]);
    for (const r of records) expect(r.leaving).toBeUndefined();
  });

  it('keeps that a member is being left and since when (its since when leavingSince is missing or bad)', () => {
    const records = recordsFromStatus({
      placements: [
        { cluster: 'a', since: iso(T0 - DAY), state: 'Leaving', leavingSince: iso(T0 - HOUR) },
        { cluster: 'b', since: iso(T0 - DAY), state: 'Leaving' },
        { cluster: 'c', since: iso(T0 - DAY), state: 'Leaving', leavingSince: 'soon' },
      ],
    });
    expect(records.map((r) => [r.cluster, r.leaving?.since])).toEqual([
      ['a', T0 - HOUR],
      ['b', T0 - DAY],
      ['c', T0 - DAY],
    ]);
  });

  it('has no records without a status, or when placements is not a list', () => {
    expect(recordsFromStatus(undefined)).toEqual([]);
    expect(recordsFromStatus({})).toEqual([]);
    expect(recordsFromStatus({ placements: { cluster: 'a', since: iso(T0) } })).toEqual([]);
  });
});

describe('manifestProblems', () => {
  const problemsOf = (manifests: Record<string, unknown>[]) =>
    manifestProblems(typed(workloadObject({ manifests })).workload);

  it('accepts manifests without a namespace or in the workload namespace', () => {
    expect(
      problemsOf([
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b', namespace: 'apps' } },
      ]),
    ).toEqual([]);
  });

  it('refuses kind Namespace and a manifest in another namespace, naming the field', () => {
    const problems = problemsOf([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'kube-system' } },
    ]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^spec\.manifests\[1\]: kind Namespace is not allowed/);
    expect(problems[1]).toMatch(/^spec\.manifests\[2\]\.metadata\.namespace: /);
    expect(problems[1]).toContain('"kube-system"');
    expect(problems[1]).toContain('"apps"');
  });
});

describe('planWorkload', () => {
  const twoConforming = [memberObject('paris'), memberObject('berlin')];

  it('places on a conforming member: Ready and CapacityAvailable True, Available False until the copy is', () => {
    const p = plan({ members: twoConforming });
    expect(p.status.placements).toEqual([
      {
        cluster: 'berlin',
        cloudService: 's1',
        provider: 'P1',
        since: formatInstant(T0),
        available: false,
        state: 'Active',
      },
    ]);
    expect(condition(p, 'Ready')).toMatchObject({ status: 'True', reason: 'Placed', observedGeneration: 3 });
    expect(condition(p, 'CapacityAvailable')).toMatchObject({
      status: 'True',
      reason: 'ConformingCapacity',
      message: '1 conforming member cluster of 1 provider run the workload.',
    });
    expect(condition(p, 'Available')).toMatchObject({
      status: 'False',
      reason: 'CopiesNotAvailable',
      message: 'Not yet Available on berlin.',
    });
    expect(p.status.observedGeneration).toBe(3);
    expect(p.status.rejected.map((r) => r.cluster)).toEqual(['paris']);
    expect(p.failover.remove).toEqual([]);
  });

  it('Available True once every chosen copy is observed Available; since is kept from status', () => {
    const p = plan({
      members: twoConforming,
      status: { placements: [placed('paris', { available: false })] },
      observed: { paris: { available: true } },
    });
    expect(p.status.placements).toEqual([
      expect.objectContaining({
        cluster: 'paris',
        since: formatInstant(T0 - DAY),
        available: true,
        state: 'Active',
      }),
    ]);
    expect(condition(p, 'Available')).toMatchObject({
      status: 'True',
      reason: 'CopiesAvailable',
      message: 'Available on paris.',
    });
    expect(p.failover.available).toBe(true);
  });

  it('too few conforming members: Ready and CapacityAvailable False with NoConformingCapacity', () => {
    const p = plan({
      members: [memberObject('paris'), memberObject('boston', { country: 'US' })],
      spec: { placement: { clusters: 2 } },
      status: { placements: [placed('paris')] },
    });
    expect(p.status.placements.map((x) => x.cluster)).toEqual(['paris']);
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'NoConformingCapacity' });
    expect(condition(p, 'CapacityAvailable')).toMatchObject({
      status: 'False',
      reason: 'NoConformingCapacity',
    });
    expect(condition(p, 'Available')).toMatchObject({
      status: 'False',
      reason: 'CopiesNotAvailable',
      message: 'Available on 1 of the 2 member clusters asked.',
    });
    expect(p.status.reasons.map((r) => r.code)).toContain('NoConformingCapacity');
  });

  it('no conforming member at all: nothing runs it', () => {
    const p = plan({ members: [memberObject('boston', { country: 'US' })] });
    expect(p.status.placements).toEqual([]);
    expect(condition(p, 'Available')?.message).toBe('No member cluster runs the workload.');
  });

  it('enough members of one provider only: Ready and CapacityAvailable False with SpreadNotMet', () => {
    const p = plan({
      members: twoConforming,
      spec: { placement: { clusters: 2, spreadAcrossProviders: 2 } },
    });
    expect(p.status.placements.map((x) => x.cluster)).toEqual(['berlin', 'paris']);
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'SpreadNotMet' });
    expect(condition(p, 'CapacityAvailable')).toMatchObject({ status: 'False', reason: 'SpreadNotMet' });
  });

  it('spreads across providers when it can', () => {
    const p = plan({
      members: [...twoConforming, memberObject('milan', { cloudService: 's2' })],
      spec: { placement: { clusters: 2, spreadAcrossProviders: 2 } },
    });
    expect(p.status.placements.map((x) => [x.cluster, x.provider])).toEqual([
      ['berlin', 'P1'],
      ['milan', 'P2'],
    ]);
    expect(condition(p, 'CapacityAvailable')).toMatchObject({
      status: 'True',
      message: '2 conforming member clusters of 2 providers run the workload.',
    });
  });

  it('an apply error on a chosen member: Ready False ApplyFailed naming the member, the error on its placement', () => {
    const p = plan({
      members: twoConforming,
      status: { placements: [placed('paris')] },
      observed: { paris: { available: false, error: 'ConfigMap x: forbidden' } },
    });
    expect(condition(p, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ApplyFailed',
      message: 'Member paris: ConfigMap x: forbidden',
    });
    expect(p.status.placements[0]).toMatchObject({ cluster: 'paris', message: 'ConfigMap x: forbidden' });
    expect(condition(p, 'Available')?.status).toBe('False');
  });

  it('fails over from a member that stopped conforming: Leaving in status, removed at once', () => {
    const p = plan({
      members: [memberObject('paris', { country: 'US' }), memberObject('berlin')],
      status: { placements: [placed('paris')] },
    });
    expect(p.status.placements).toEqual([
      expect.objectContaining({ cluster: 'berlin', state: 'Active', since: formatInstant(T0) }),
      expect.objectContaining({
        cluster: 'paris',
        state: 'Leaving',
        leavingSince: formatInstant(T0),
        since: formatInstant(T0 - DAY),
        reason: expect.objectContaining({ code: 'LeavingMemberCluster' }),
      }),
    ]);
    expect(p.failover.failovers).toEqual([{ cluster: 'paris', cause: 'NotConforming' }]);
    expect(p.failover.remove).toEqual(['paris']);
    expect(condition(p, 'Ready')?.message).toContain('Leaving member cluster paris');
  });

  it('a badge within the expiry lead time: the member is left but its copy kept until the replacement is Available', () => {
    const members = [memberObject('paris', { cloudService: 'expiring' }), memberObject('berlin')];
    const status = { placements: [placed('paris', { cloudService: 'expiring' })] };
    const p = plan({ members, status });
    expect(p.failover.leaving.map((l) => [l.record.cluster, l.cause, l.due])).toEqual([
      ['paris', 'ExpiringSoon', false],
    ]);
    expect(p.failover.remove).toEqual([]);
    // Planned again when the badge actually ends (then it no longer conforms at all).
    expect(p.nextTransitionAt).toBe(T0 + 12 * HOUR);
    // A shorter lead time keeps it.
    const shortLead = plan({ members, status, spec: { failover: { expiryLeadTime: '1h' } } });
    expect(shortLead.status.placements.map((x) => [x.cluster, x.state])).toEqual([['paris', 'Active']]);
    // Planned again when the lead time begins.
    expect(shortLead.nextTransitionAt).toBe(T0 + 11 * HOUR);
  });

  it('a member unreachable past its grace period is left, its copy kept for when it comes back', () => {
    const p = plan({
      members: twoConforming,
      status: { placements: [placed('paris')] },
      health: { paris: lost },
    });
    expect(p.failover.leaving.map((l) => [l.record.cluster, l.cause])).toEqual([['paris', 'Unreachable']]);
    expect(p.status.placements.map((x) => [x.cluster, x.state])).toEqual([
      ['berlin', 'Active'],
      ['paris', 'Leaving'],
    ]);
    expect(p.failover.remove).toEqual([]);
  });

  it('a member that stopped conforming while unreachable within its grace: removal due, but it waits for the member', () => {
    const p = plan({
      members: [memberObject('paris', { country: 'US' }), memberObject('berlin')],
      status: { placements: [placed('paris')] },
      health: { paris: { ...lost, since: T0 - 5_000, lastHeartbeat: T0 - 6_000 } },
    });
    expect(p.failover.leaving.map((l) => [l.record.cluster, l.cause, l.removal, l.due])).toEqual([
      ['paris', 'NotConforming', 'Now', true],
    ]);
    expect(p.failover.remove).toEqual([]);
    expect(p.status.placements[1]?.reason?.message).toContain('waits until the member is reachable');
  });

  it('forgets a record whose MemberCluster is gone', () => {
    const p = plan({ members: [memberObject('berlin')], status: { placements: [placed('paris')] } });
    expect(p.failover.forgotten).toEqual(['paris']);
    expect(p.status.placements.map((x) => x.cluster)).toEqual(['berlin']);
    expect(p.failover.remove).toEqual([]);
  });

  it('keeps lastTransitionTime of a condition whose status did not change', () => {
    const first = plan({ members: twoConforming });
    const again = plan({
      members: twoConforming,
      status: { conditions: first.status.conditions, placements: first.status.placements },
      now: T0 + HOUR,
    });
    expect(condition(again, 'Ready')?.lastTransitionTime).toBe(formatInstant(T0));
    expect(condition(again, 'Available')?.lastTransitionTime).toBe(formatInstant(T0));
  });
});

describe('invalidWorkloadStatus', () => {
  it('Ready False InvalidSpec with every error, and the generation observed', () => {
    const raw = workloadObject() as WorkloadObject;
    const status = invalidWorkloadStatus(raw, ['spec.manifests[0]: kind Namespace is not allowed', 'x'], T0);
    expect(status.observedGeneration).toBe(3);
    expect(status.conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'False',
        reason: 'InvalidSpec',
        observedGeneration: 3,
        lastTransitionTime: formatInstant(T0),
      }),
    ]);
    expect(status.conditions[0]?.message).toBe(
      'The spec is invalid: spec.manifests[0]: kind Namespace is not allowed; x',
    );
  });

  it('tolerates malformed conditions in the status', () => {
    const raw = { metadata: { name: 'web' }, status: { conditions: 'broken' } } as WorkloadObject;
    const status = invalidWorkloadStatus(raw, ['e'], T0);
    expect(status.conditions.map((c) => [c.type, c.status])).toEqual([['Ready', 'False']]);
    expect(status.observedGeneration).toBeUndefined();
  });
});

describe('planWorkload with an invalid MemberCluster', () => {
  it('keeps the record of a copy on a member whose record fails validation, as for an unreachable member, instead of forgetting it', () => {
    const broken = memberObject('lyon', { country: 'not a country' });
    const raw = workloadObject(
      {},
      {
        placements: [
          {
            cluster: 'lyon',
            cloudService: 's1',
            provider: 'P1',
            since: formatInstant(T0 - DAY),
            available: true,
          },
        ],
      },
    );
    const members = [memberObject('paris'), broken];
    const derived = atInstant(
      deriveFacts(clusterState({ services: [s1], memberClusters: members, workloads: [raw] })),
      T0,
    );
    expect(derived.invalid.map((i) => i.name)).toEqual(['lyon']);
    const p = planWorkload(derived.workloads[0] as SovereignWorkload, raw as WorkloadObject, derived, {
      member: (name) => members.find((m) => m.metadata.name === name),
      health: () => reachable,
    });
    expect(p.failover.forgotten).toEqual([]);
    expect(p.failover.remove).toEqual([]);
    expect(p.failover.leaving.map((l) => [l.record.cluster, l.cause])).toEqual([['lyon', 'Unreachable']]);
    expect(p.failover.active.map((r) => r.cluster)).toEqual(['paris']);
  });
});

describe('manifestProblems: what becomes a URL on the member', () => {
  it('refuses an apiVersion or kind that is not one, naming the field', () => {
    const raw = workloadObject({
      manifests: [
        { apiVersion: 'apps/v1/../../api/v1', kind: 'Secret', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'config map', metadata: { name: 'b' } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'c' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd' } },
        { apiVersion: 'networking.k8s.io/v1beta1', kind: 'Ingress', metadata: { name: 'e' } },
      ],
    });
    const { workload } = typed(raw);
    const problems = manifestProblems(workload);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^spec\.manifests\[0\]\.apiVersion: .* is not an API version/);
    expect(problems[1]).toMatch(/^spec\.manifests\[1\]\.kind: "config map" is not a kind/);
  });
});
