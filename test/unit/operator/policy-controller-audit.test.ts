import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/api/audit.ts';
import { type ClusterState, derive } from '../../../src/cluster/facts.ts';
import type { ControllerContext } from '../../../src/operator/controllers/context.ts';
import { PolicyController } from '../../../src/operator/controllers/policy-controller.ts';
import type { EventRecorder } from '../../../src/operator/events.ts';
import type { KubeWriter } from '../../../src/operator/kube.ts';
import { createMetrics } from '../../../src/operator/metrics.ts';
import { clusterState, euArea, NS, nodeObject, podObject, policyObject } from '../cluster/fixtures.ts';
import { badge, iso, service, T0 } from '../domain/fixtures.ts';

/** The policy controller over a fixed cluster state, with writes, Events and audit records captured. */
function harness(initial: ClusterState) {
  let state = initial;
  let status: Record<string, unknown> | undefined;
  const events: { type: string; reason: string; message: string }[] = [];
  const audit: AuditEntry[] = [];
  const evictions: string[] = [];
  const writer = {
    mergePatchStatus: async (_p: string, _ns: string | undefined, _n: string, s: Record<string, unknown>) => {
      status = { ...status, ...s };
      return undefined;
    },
    evictPod: async (namespace: string, name: string) => {
      evictions.push(`${namespace}/${name}`);
      return undefined;
    },
    jsonPatchPod: async () => undefined,
  } as unknown as KubeWriter;
  const ctx: ControllerContext = {
    state: () => state,
    node: (name) => state.nodes.find((n) => n.metadata.name === name),
    derived: () => derive(state, T0),
    rawPolicy: () => (status ? { status } : undefined),
    writer,
    events: {
      record: (_t: unknown, type: string, reason: string, message: string) =>
        events.push({ type, reason, message }),
    } as unknown as EventRecorder,
    audit: (entry) => audit.push(entry),
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    now: () => T0,
    isLeader: () => true,
  };
  return {
    controller: new PolicyController(ctx),
    events,
    evictions,
    audit,
    set: (next: ClusterState) => {
      state = next;
    },
  };
}

const sov = service('sov', { badges: [badge()] });
const revoked = service('revoked', { badges: [badge({ revokedAt: iso(T0 - 1000) })] });
const base = {
  policies: [policyObject('ledger', { selector: { matchLabels: { app: 'ledger' } } })],
  services: [sov, revoked],
  areas: [euArea],
};

describe('the policy controller', () => {
  it('announces no transition for conditions that start True, and does for those that start False', async () => {
    const h = harness(clusterState({ ...base, nodes: [nodeObject('sov-1', { service: 'sov' })], pods: [] }));
    await h.controller.reconcile(`${NS}/ledger`);
    expect(h.events).toEqual([]);

    const bad = harness(
      clusterState({ ...base, nodes: [nodeObject('rev-1', { service: 'revoked' })], pods: [] }),
    );
    await bad.controller.reconcile(`${NS}/ledger`);
    expect(bad.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'NoConformingCapacity']]);
    // Capacity that is missing from the start is a decision the log keeps.
    expect(bad.audit.map((a) => a.what)).toEqual(['CapacityLost']);
  });

  it('records each pod placed once, and gone when it is no longer there', async () => {
    const nodes = [nodeObject('sov-1', { service: 'sov' })];
    const pod = podObject('a', { nodeName: 'sov-1' });
    const h = harness(clusterState({ ...base, nodes, pods: [pod] }));
    await h.controller.reconcile(`${NS}/ledger`);
    await h.controller.reconcile(`${NS}/ledger`);
    expect(h.audit.map((a) => [a.what, a.object.name, a.target?.name, a.conforms])).toEqual([
      ['PodPlaced', 'a', 'sov-1', true],
    ]);
    expect(h.audit[0]?.evidence?.cloudService).toBe('sov');
    expect(h.audit[0]?.by).toMatchObject({ kind: 'SovereigntyPolicy', namespace: NS, name: 'ledger' });
    h.set(clusterState({ ...base, nodes, pods: [] }));
    await h.controller.reconcile(`${NS}/ledger`);
    expect(h.audit.map((a) => a.what)).toEqual(['PodPlaced', 'PodGone']);
    expect(h.audit[1]).toMatchObject({ object: { name: 'a', uid: 'uid-a' }, target: { name: 'sov-1' } });
  });

  it('evicts a pod once, even when it reconciles again before the cache has seen the eviction', async () => {
    const nodes = [nodeObject('sov-1', { service: 'sov' }), nodeObject('rev-1', { service: 'revoked' })];
    const pod = podObject('a', { nodeName: 'rev-1', owner: { kind: 'ReplicaSet', name: 'ledger-1' } });
    const policies = [
      policyObject('ledger', {
        selector: { matchLabels: { app: 'ledger' } },
        failover: { gracePeriod: '0s', maxEvictionsPerMinute: 100 },
      }),
    ];
    const h = harness(clusterState({ ...base, policies, nodes, pods: [pod] }));
    await h.controller.reconcile(`${NS}/ledger`);
    expect(h.evictions).toEqual([`${NS}/a`]);
    // The cache still shows the pod running on the revoked node: no second Eviction, no second Event.
    await h.controller.reconcile(`${NS}/ledger`);
    expect(h.evictions).toEqual([`${NS}/a`]);
    expect(h.events.filter((e) => e.reason === 'EvictedNonConforming')).toHaveLength(2); // pod and policy
  });
});
