import { describe, expect, it, vi } from 'vitest';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE } from '../../../src/api/group.ts';
import type { AnyPolicy, CloudService } from '../../../src/api/index.ts';
import { type ClusterState, derive } from '../../../src/cluster/facts.ts';
import { notConformingSinceAnnotation, planNodeVerdicts } from '../../../src/cluster/node-verdicts.ts';
import type { NodeObject, PodObject } from '../../../src/cluster/objects.ts';
import { type PolicyPlan, planPolicy, selectedPods } from '../../../src/cluster/policy-plan.ts';
import type { EvictionRateLimit } from '../../../src/domain/failover.ts';
import { badge, DAY, HOUR, iso, service, T0 } from '../domain/fixtures.ts';
import {
  areaObject,
  budgetObject,
  clusterState,
  euArea,
  freshRateLimit,
  NS,
  namespaceObject,
  nodeObject,
  podObject,
  policy,
  policyObject,
} from './fixtures.ts';

const MINUTE = 60_000;
/** The stamp of the default policy's requirement (Sovereign for eu, the default 24h lead time). */
const SOV_EU_REVOKED = notConformingSinceAnnotation({ badges: ['Sovereign'], area: 'eu' }, 24 * HOUR);

const services = [
  service('sov', { provider: 'EuroCloud' }),
  service('nord', {
    provider: 'NordSky',
    jurisdiction: 'FI',
    badges: [badge(), badge({ type: 'Resilient' })],
  }),
  service('res', { provider: 'GlobalCloud', jurisdiction: 'US', badges: [badge({ type: 'Resilient' })] }),
  service('cheap', { provider: 'Budget', badges: [] }),
];

const healthyNodes = (): NodeObject[] => [
  nodeObject('sov-1', { service: 'sov' }),
  nodeObject('sov-2', { service: 'sov' }),
  nodeObject('nord-1', { service: 'nord', country: 'FI' }),
  nodeObject('cheap-1', { service: 'cheap' }),
];

/** A cheap (never conforming) node whose Sovereign/eu label was removed at `revokedAt`. */
const revokedNode = (name: string, revokedAt: number): NodeObject =>
  nodeObject(name, { service: 'cheap', annotations: { [SOV_EU_REVOKED]: iso(revokedAt) } });

interface Scenario {
  policies: Record<string, unknown>[];
  nodes?: NodeObject[];
  pods?: PodObject[];
  namespaces?: ClusterState['namespaces'];
  budgets?: ClusterState['budgets'];
  now?: number;
  hasCapacity?: (p: AnyPolicy) => boolean;
  rateLimit?: EvictionRateLimit;
  extraServices?: CloudService[];
}

/** Plans the policy named `name` (in namespace payments) in the scenario. */
function plan(name: string, s: Scenario): PolicyPlan {
  const state = clusterState({
    policies: s.policies,
    services: [...services, ...(s.extraServices ?? [])],
    areas: [euArea, areaObject('fr', ['FR'])],
    nodes: s.nodes ?? healthyNodes(),
    pods: s.pods ?? [],
    ...(s.namespaces ? { namespaces: s.namespaces } : {}),
    ...(s.budgets ? { budgets: s.budgets } : {}),
  });
  const derived = derive(state, s.now ?? T0);
  expect(derived.invalid).toEqual([]);
  const p = derived.policies.find((x) => x.metadata.name === name && x.metadata.namespace === NS);
  if (!p) throw new Error(`no policy ${name}`);
  return planPolicy({
    policy: p,
    state,
    derived,
    rateLimit: s.rateLimit ?? freshRateLimit,
    hasCapacity: s.hasCapacity ?? (() => true),
  });
}

const names = (refs: readonly { name: string }[]) => refs.map((r) => r.name);
const condition = (p: PolicyPlan, type: string) => p.conditions.find((c) => c.type === type);

describe('planPolicy: the scheduling gate', () => {
  const policies = [
    policyObject('sov-all'),
    policyObject('ledger-fr', {
      selector: { matchLabels: { app: 'ledger' } },
      requirement: { badges: ['Sovereign'], area: 'fr' },
    }),
  ];
  const pods = [
    podObject('ledger-0', { gated: true, labels: { app: 'ledger' } }),
    podObject('web-0', { gated: true, labels: { app: 'web' } }),
  ];

  it('keeps a pod gated while another Enforce policy selecting it has no conforming capacity', () => {
    const hasCapacity = vi.fn((p: AnyPolicy) => p.metadata.name !== 'ledger-fr');
    const result = plan('sov-all', { policies, pods, hasCapacity });
    expect(names(result.stillGated)).toEqual(['ledger-0']);
    // web-0 is selected by sov-all alone, which has capacity.
    expect(names(result.ungate)).toEqual(['web-0']);
    expect(result.counts.gatedPods).toBe(2);
    // The policy being planned is never asked about itself.
    expect(hasCapacity.mock.calls.map(([p]) => p.metadata.name)).toEqual(['ledger-fr']);
  });

  it('ungates the pod once every Enforce policy selecting it has conforming capacity', () => {
    const result = plan('sov-all', { policies, pods, hasCapacity: () => true });
    expect(names(result.ungate)).toEqual(['ledger-0', 'web-0']);
    expect(result.stillGated).toEqual([]);
    expect(result.ungate[0]).toEqual({ namespace: NS, name: 'ledger-0' });
  });

  it('keeps every pod gated when the policy itself has no conforming capacity', () => {
    const result = plan('ledger-fr', {
      policies,
      pods,
      nodes: [
        nodeObject('nord-1', { service: 'nord', country: 'FI' }),
        nodeObject('cheap-1', { service: 'cheap' }),
      ],
      hasCapacity: () => true,
    });
    expect(result.capacity.sufficient).toBe(false);
    expect(names(result.stillGated)).toEqual(['ledger-0']);
    expect(result.ungate).toEqual([]);
  });

  it('does not consult Audit policies nor policies of other namespaces', () => {
    const hasCapacity = vi.fn(() => false);
    const result = plan('sov-all', {
      policies: [
        policyObject('sov-all'),
        policyObject('audit-ledger', { mode: 'Audit', selector: { matchLabels: { app: 'ledger' } } }),
        policyObject('elsewhere', {}, 'other'),
      ],
      pods,
      hasCapacity,
    });
    expect(names(result.ungate)).toEqual(['ledger-0', 'web-0']);
    expect(hasCapacity).not.toHaveBeenCalled();
  });

  it('never ungates from an Audit policy', () => {
    const result = plan('audit', {
      policies: [policyObject('audit', { mode: 'Audit' })],
      pods,
      hasCapacity: () => true,
    });
    expect(result.capacity.sufficient).toBe(true);
    expect(result.ungate).toEqual([]);
    expect(result.stillGated).toEqual([]);
    expect(result.counts.gatedPods).toBe(0);
    expect(result.counts.matchedPods).toBe(2);
  });
});

describe('planPolicy: pods on non-conforming nodes', () => {
  it('lists them with their node and verdict, and counts the others as conforming', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all', { failover: { gracePeriod: '1h' } })],
      nodes: [...healthyNodes(), revokedNode('cheap-2', T0 - 10 * MINUTE)],
      pods: [
        podObject('ledger-0', { nodeName: 'sov-1' }),
        podObject('ledger-1', { nodeName: 'cheap-2' }),
        podObject('ledger-2', { nodeName: 'nord-1' }),
        podObject('pending', {}),
      ],
    });
    expect(result.nonConforming).toHaveLength(1);
    const [entry] = result.nonConforming;
    expect(entry?.pod).toEqual({ namespace: NS, name: 'ledger-1' });
    expect(entry?.node).toBe('cheap-2');
    expect(entry?.verdict.conforms).toBe(false);
    expect(entry?.verdict.reasons.map((r) => r.code)).toEqual(['BadgeMissing']);
    expect(result.counts).toMatchObject({ matchedPods: 4, conformingPods: 2, nonConformingPods: 1 });
    expect(condition(result, 'Conforming')).toMatchObject({
      status: 'False',
      reason: 'PodsOnNonConformingNodes',
    });
    expect(condition(result, 'Conforming')?.message).toMatch(
      /^1 pods run on non-conforming nodes: ledger-1 on cheap-2 \(BadgeMissing\)\.$/,
    );
  });

  it('says every running pod conforms when none is on a non-conforming node', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      pods: [podObject('ledger-0', { nodeName: 'sov-1' }), podObject('ledger-1', { nodeName: 'nord-1' })],
    });
    expect(result.nonConforming).toEqual([]);
    expect(condition(result, 'Conforming')).toEqual({
      type: 'Conforming',
      status: 'True',
      reason: 'AllPodsConform',
      message: 'Every running pod (2) is on a conforming node.',
      observedGeneration: 1,
    });
  });

  it('counts the grace period from the revoked-since annotation of the node', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all', { failover: { gracePeriod: '2h' } })],
      nodes: [...healthyNodes(), revokedNode('cheap-2', T0 - HOUR)],
      pods: [podObject('ledger-1', { nodeName: 'cheap-2' })],
    });
    expect(result.failover.evictNow).toEqual([]);
    expect(result.failover.deferred).toHaveLength(1);
    expect(result.failover.deferred[0]).toMatchObject({
      pod: { namespace: NS, name: 'ledger-1' },
      node: 'cheap-2',
      until: T0 + HOUR,
    });
    expect(result.failover.deferred[0]?.reason.code).toBe('GracePeriodPending');
    expect(result.requeueAt).toBe(T0 + HOUR);
  });

  it('asks to plan again in 2 s when the node has no revoked-since annotation yet', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all', { failover: { gracePeriod: '10m' } })],
      pods: [podObject('ledger-1', { nodeName: 'cheap-1' })],
    });
    // Until the node controller records the instant, the grace period counts from now.
    expect(result.failover.deferred.map((d) => d.until)).toEqual([T0 + 10 * MINUTE]);
    expect(result.requeueAt).toBe(T0 + 2_000);
  });

  it('does not ask to plan again soon when every non-conforming node has its annotation', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes: [...healthyNodes(), revokedNode('cheap-2', T0 - HOUR)],
      pods: [podObject('ledger-1', { nodeName: 'cheap-2' })],
    });
    expect(result.failover.evictNow.map((e) => e.pod.name)).toEqual(['ledger-1']);
    // The next instant is the badges' edge (validUntil minus the 24h lead), not a retry.
    expect(result.requeueAt).toBe(T0 + 364 * DAY);
    expect(result.nextTransitionAt).toBe(T0 + 364 * DAY);
  });
});

describe('planPolicy: grace period and failover', () => {
  const nodes = [
    ...healthyNodes(),
    revokedNode('recent', T0 - 5 * MINUTE),
    revokedNode('overdue', T0 - 11 * MINUTE),
  ];
  const pods = [
    podObject('a', { nodeName: 'recent', owner: { kind: 'StatefulSet', name: 'db' } }),
    podObject('b', { nodeName: 'overdue', owner: { kind: 'StatefulSet', name: 'db' } }),
    podObject('c', { nodeName: 'sov-1', owner: { kind: 'StatefulSet', name: 'db' } }),
  ];

  it('defers a pod within the grace period and evicts one past it', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all', { failover: { gracePeriod: '10m' } })],
      nodes,
      pods,
    });
    expect(result.failover.evictNow).toHaveLength(1);
    expect(result.failover.evictNow[0]).toMatchObject({
      pod: { namespace: NS, name: 'b' },
      node: 'overdue',
      budget: null,
    });
    expect(result.failover.evictNow[0]?.reason.code).toBe('NodeNotConforming');
    expect(result.failover.evictNow[0]?.nodeReasons.map((r) => r.code)).toEqual(['BadgeMissing']);
    expect(result.failover.deferred.map((d) => [d.pod.name, d.until])).toEqual([['a', T0 + 5 * MINUTE]]);
    expect(result.failover.nextPlanAt).toBe(T0 + 5 * MINUTE);
    expect(result.requeueAt).toBe(T0 + 5 * MINUTE);
    expect(result.failover.evictsWithoutCapacity).toBe(false);
  });

  it('evicts nothing in Audit mode', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all', { mode: 'Audit', failover: { gracePeriod: '10m' } })],
      nodes,
      pods,
    });
    expect(result.failover.evictNow).toEqual([]);
    expect(result.failover.deferred).toEqual([]);
    expect(result.failover.blocked.map((b) => [b.pod.name, b.reason.code])).toEqual([
      ['b', 'AuditOnly'],
      ['a', 'AuditOnly'],
    ]);
    expect(result.nonConforming.map((n) => n.pod.name).sort()).toEqual(['a', 'b']);
  });

  it('respects the PodDisruptionBudgets of the policy namespace only', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes,
      pods,
      budgets: [
        budgetObject('db-pdb', { app: 'ledger' }, 1),
        budgetObject('foreign', { app: 'ledger' }, 0, 'other'),
      ],
    });
    expect(result.failover.evictNow.map((e) => [e.pod.name, e.budget])).toEqual([['b', 'payments/db-pdb']]);
    expect(result.failover.blocked.map((b) => [b.pod.name, b.reason.code])).toEqual([
      ['a', 'DisruptionBudgetExhausted'],
    ]);
  });

  it('never evicts a terminating pod again', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes,
      pods: [podObject('b', { nodeName: 'overdue', terminating: true })],
    });
    expect(result.failover.evictNow).toEqual([]);
    expect(result.failover.blocked.map((b) => b.reason.code)).toEqual(['PodTerminating']);
  });

  it('follows onNoConformingCapacity when no conforming node accepts pods', () => {
    const noCapacity = [revokedNode('overdue', T0 - HOUR)];
    const podsThere = [podObject('b', { nodeName: 'overdue' })];
    const evict = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes: noCapacity,
      pods: podsThere,
    });
    expect(evict.failover.evictNow.map((e) => e.reason.code)).toEqual(['EvictedWithoutCapacity']);
    expect(evict.failover.evictsWithoutCapacity).toBe(true);

    const retain = plan('sov-all', {
      policies: [policyObject('sov-all', { failover: { onNoConformingCapacity: 'Retain' } })],
      nodes: noCapacity,
      pods: podsThere,
    });
    expect(retain.failover.evictNow).toEqual([]);
    expect(retain.failover.blocked.map((b) => b.reason.code)).toEqual(['RetainedWithoutCapacity']);
  });

  it('stays within the eviction rate limit', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes,
      pods,
      rateLimit: { maxEvictionsPerMinute: 1, windowStartedAt: T0 - 30_000, evictionsInWindow: 1 },
    });
    expect(result.failover.evictNow).toEqual([]);
    expect(result.failover.deferred.map((d) => [d.pod.name, d.reason.code, d.until])).toEqual([
      ['b', 'RateLimited', T0 + 30_000],
      ['a', 'RateLimited', T0 + 30_000],
    ]);
    expect(result.requeueAt).toBe(T0 + 30_000);
  });

  it('evicts a pod whose node fails only the minimum assurance once the grace period has passed', () => {
    // The node keeps its sp.sovereign.eu label (valued SelfDeclared), so the stamp the grace counts from
    // must be per requirement, not per verdict label: the node controller writes it, the policy reads it.
    const selfDeclared = service('self', {
      badges: [badge({ assurance: 'SelfDeclared', certifiedBy: undefined })],
    });
    const certified = policyObject('certified', {
      requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
      failover: { gracePeriod: '10m' },
    });
    const scenario = (now: number, node: NodeObject): Scenario => ({
      policies: [certified],
      nodes: [...healthyNodes(), node],
      pods: [podObject('ledger-0', { nodeName: 'self-1' })],
      extraServices: [selfDeclared],
      now,
    });
    let node = nodeObject('self-1', { service: 'self' });
    const stamped = planNodeVerdicts(
      node,
      derive(
        clusterState({
          policies: [certified],
          services: [...services, selfDeclared],
          areas: [euArea],
          nodes: [node],
        }),
        T0,
      ),
    );
    const annotations = stamped.patch?.metadata.annotations ?? {};
    expect(Object.values(annotations)).toEqual([iso(T0)]);
    node = { ...node, metadata: { ...node.metadata, annotations: annotations as Record<string, string> } };

    const first = plan('certified', scenario(T0, node));
    expect(first.nonConforming.map((n) => [n.node, n.verdict.reasons.map((r) => r.code)])).toEqual([
      ['self-1', ['AssuranceTooLow']],
    ]);
    expect(first.failover.deferred.map((d) => d.until)).toEqual([T0 + 10 * MINUTE]);
    // Eleven minutes later, with nothing else changed, the grace period has passed.
    const later = plan('certified', scenario(T0 + 11 * MINUTE, node));
    expect(later.failover.evictNow.map((e) => e.pod.name)).toEqual(['ledger-0']);
  });
});

describe('planPolicy: capacity', () => {
  it('counts only Ready, schedulable nodes as capacity, but every conforming node as conforming', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes: [
        nodeObject('sov-1', { service: 'sov', ready: false }),
        nodeObject('sov-2', { service: 'sov', unschedulable: true }),
        nodeObject('cheap-1', { service: 'cheap' }),
      ],
      pods: [podObject('ledger-0', { gated: true })],
    });
    expect(result.counts.conformingNodes).toBe(2);
    expect(result.capacity).toMatchObject({ conformingTargets: 0, providers: 0, sufficient: false });
    expect(condition(result, 'CapacityAvailable')).toMatchObject({
      status: 'False',
      reason: 'NoConformingCapacity',
    });
    expect(names(result.stillGated)).toEqual(['ledger-0']);
    expect(result.ungate).toEqual([]);
  });

  it('reports capacity per provider and service on the nodes that accept pods', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes: [...healthyNodes(), nodeObject('sov-3', { service: 'sov', ready: false })],
    });
    expect(result.counts.conformingNodes).toBe(4);
    expect(result.capacity.conformingTargets).toBe(3);
    expect(result.capacity.byService).toEqual([
      { provider: 'EuroCloud', cloudService: 'sov', conformingTargets: 2 },
      { provider: 'NordSky', cloudService: 'nord', conformingTargets: 1 },
    ]);
    expect(condition(result, 'CapacityAvailable')).toMatchObject({
      status: 'True',
      reason: 'ConformingCapacity',
      message: '3 conforming nodes can take pods, on 2 providers.',
    });
  });

  it('lists why nodes do not conform, most frequent first, with their node counts', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes: [...healthyNodes(), nodeObject('cheap-2', { service: 'cheap' }), nodeObject('stray')],
    });
    expect(result.reasons.map((r) => r.code)).toEqual(['BadgeMissing', 'UnknownCloudService']);
    expect(result.reasons[0]?.message).toMatch(/\(2 nodes\)$/);
    expect(result.reasons[1]?.message).toMatch(/\(1 node\)$/);
  });
});

describe('planPolicy: conditions', () => {
  it('is Ready with the counts when the namespace is enrolled and the area known', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      pods: [podObject('ledger-0', { nodeName: 'sov-1' })],
    });
    expect(result.conditions.map((c) => c.type)).toEqual(['Ready', 'Conforming', 'CapacityAvailable']);
    expect(condition(result, 'Ready')).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Reconciled',
      message: '1 pod selected, 3 conforming nodes.',
      observedGeneration: 1,
    });
  });

  it('is not Ready for an unknown area, and nothing conforms', () => {
    const result = plan('mars', {
      policies: [policyObject('mars', { requirement: { badges: ['Sovereign'], area: 'mars' } })],
    });
    expect(condition(result, 'Ready')).toMatchObject({ status: 'False', reason: 'UnknownArea' });
    expect(condition(result, 'Ready')?.message).toContain('mars');
    expect(result.counts.conformingNodes).toBe(0);
    expect(condition(result, 'CapacityAvailable')?.reason).toBe('NoConformingCapacity');
  });

  it('is not Ready for an Enforce policy whose namespace is not enrolled', () => {
    const namespaces = [namespaceObject(NS, false)];
    const result = plan('sov-all', { policies: [policyObject('sov-all')], namespaces });
    expect(condition(result, 'Ready')).toMatchObject({ status: 'False', reason: 'NamespaceNotEnrolled' });
    expect(condition(result, 'Ready')?.message).toContain(`${ENROLLMENT_LABEL}=${ENROLLMENT_VALUE}`);

    const missing = plan('sov-all', { policies: [policyObject('sov-all')], namespaces: [] });
    expect(condition(missing, 'Ready')?.reason).toBe('NamespaceNotEnrolled');

    const wrongValue = plan('sov-all', {
      policies: [policyObject('sov-all')],
      namespaces: [{ metadata: { name: NS, labels: { [ENROLLMENT_LABEL]: 'disabled' } } }],
    });
    expect(condition(wrongValue, 'Ready')?.reason).toBe('NamespaceNotEnrolled');
  });

  it('never evicts when the namespace is not enrolled: the replacement would not be pinned', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      nodes: [...healthyNodes(), revokedNode('cheap-2', T0 - HOUR)],
      pods: [podObject('stuck', { nodeName: 'cheap-2' })],
      namespaces: [namespaceObject(NS, false)],
    });
    expect(result.nonConforming.map((n) => n.pod.name)).toEqual(['stuck']);
    expect(result.failover.evictNow).toEqual([]);
    expect(result.failover.blocked.map((b) => [b.pod.name, b.reason.code])).toEqual([
      ['stuck', 'ReplacementNotPinned'],
    ]);
    expect(condition(result, 'Ready')?.message).toContain('evicts nothing');
  });

  it('does not need enrolment for an Audit policy', () => {
    const result = plan('audit', {
      policies: [policyObject('audit', { mode: 'Audit' })],
      namespaces: [namespaceObject(NS, false)],
    });
    expect(condition(result, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
  });

  it('reports AlternateProviderAvailable only when minimumProviders is above 1', () => {
    const resilient = (minimumProviders: number) =>
      policyObject('resilient', { requirement: { badges: ['Resilient'], area: 'eu', minimumProviders } });

    const one = plan('resilient', { policies: [resilient(1)] });
    expect(condition(one, 'AlternateProviderAvailable')).toBeUndefined();

    const tooFew = plan('resilient', { policies: [resilient(2)] });
    expect(condition(tooFew, 'AlternateProviderAvailable')).toMatchObject({
      status: 'False',
      reason: 'TooFewProviders',
    });
    // One provider is enough for the gate and CapacityAvailable.
    expect(tooFew.capacity.sufficient).toBe(true);

    const enough = plan('resilient', {
      policies: [resilient(2)],
      nodes: [...healthyNodes(), nodeObject('res-1', { service: 'res', country: 'DE' })],
    });
    expect(condition(enough, 'AlternateProviderAvailable')).toEqual({
      type: 'AlternateProviderAvailable',
      status: 'True',
      reason: 'EnoughProviders',
      message: 'Conforming capacity exists on 2 providers (2 required).',
      observedGeneration: 1,
    });

    const notReady = plan('resilient', {
      policies: [resilient(2)],
      nodes: [...healthyNodes(), nodeObject('res-1', { service: 'res', country: 'DE', ready: false })],
    });
    expect(condition(notReady, 'AlternateProviderAvailable')?.status).toBe('False');
  });

  it('carries the policy generation as observedGeneration', () => {
    const state = clusterState({
      policies: [policyObject('sov-all', {}, NS, 7)],
      services,
      nodes: healthyNodes(),
    });
    const derived = derive(state, T0);
    const p = derived.policies[0];
    if (!p) throw new Error('no policy');
    const result = planPolicy({
      policy: p,
      state,
      derived,
      rateLimit: freshRateLimit,
      hasCapacity: () => true,
    });
    expect(result.conditions.map((c) => c.observedGeneration)).toEqual([7, 7, 7]);
  });
});

describe('planPolicy: counts and selection', () => {
  const pods = [
    podObject('ledger-aaa-1', {
      nodeName: 'sov-1',
      labels: { app: 'ledger', 'pod-template-hash': 'aaa' },
      owner: { kind: 'ReplicaSet', name: 'ledger-aaa' },
    }),
    podObject('ledger-aaa-2', {
      nodeName: 'sov-2',
      labels: { app: 'ledger', 'pod-template-hash': 'aaa' },
      owner: { kind: 'ReplicaSet', name: 'ledger-aaa' },
    }),
    // A rollout: the new ReplicaSet of the same Deployment.
    podObject('ledger-bbb-1', {
      gated: true,
      labels: { app: 'ledger', 'pod-template-hash': 'bbb' },
      owner: { kind: 'ReplicaSet', name: 'ledger-bbb' },
    }),
    podObject('db-0', { nodeName: 'nord-1', owner: { kind: 'StatefulSet', name: 'db' } }),
    podObject('bare', { nodeName: 'cheap-1' }),
    // A ReplicaSet of its own (no pod-template-hash): its own workload.
    podObject('rs-x-1', { nodeName: 'sov-1', owner: { kind: 'ReplicaSet', name: 'rs-x' } }),
    podObject('done', { nodeName: 'sov-1', phase: 'Succeeded', owner: { kind: 'Job', name: 'batch' } }),
    podObject('crashed', { nodeName: 'sov-1', phase: 'Failed', owner: { kind: 'Job', name: 'batch' } }),
    podObject('foreign', { nodeName: 'sov-1', namespace: 'other' }),
  ];

  it('groups the ReplicaSets of a Deployment into one workload and leaves finished pods out', () => {
    const result = plan('sov-all', { policies: [policyObject('sov-all')], pods });
    expect(result.counts).toEqual({
      matchedWorkloads: 4,
      matchedPods: 6,
      conformingPods: 4,
      nonConformingPods: 1,
      gatedPods: 1,
      conformingNodes: 3,
      nonConformingVolumes: 0,
    });
  });

  it('selectedPods filters by namespace, selector and phase', () => {
    expect(selectedPods(policy('sov-all'), pods).map((p) => p.metadata.name)).toEqual([
      'ledger-aaa-1',
      'ledger-aaa-2',
      'ledger-bbb-1',
      'db-0',
      'bare',
      'rs-x-1',
    ]);
    const ledger = policy('ledger', {
      selector: { matchLabels: { app: 'ledger' } },
      workloadKinds: ['Deployment'],
    });
    expect(selectedPods(ledger, pods).map((p) => p.metadata.name)).toEqual([
      'ledger-aaa-1',
      'ledger-aaa-2',
      'ledger-bbb-1',
      'rs-x-1',
    ]);
    expect(selectedPods(policy('jobs', { workloadKinds: ['Job'] }), pods)).toEqual([]);
  });

  it('ignores pods on nodes it does not know', () => {
    const result = plan('sov-all', {
      policies: [policyObject('sov-all')],
      pods: [podObject('ghost', { nodeName: 'gone' })],
    });
    expect(result.counts).toMatchObject({ matchedPods: 1, conformingPods: 0, nonConformingPods: 0 });
    expect(result.failover.evictNow).toEqual([]);
  });
});
