import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import type { AnyPolicy } from '../../../src/api/index.ts';
import { type AdmissionRequest, admitPod } from '../../../src/cluster/admission/admit-pod.ts';
import { POLICIES_ANNOTATION, SCHEDULING_GATE } from '../../../src/cluster/admission/pod-mutation.ts';
import { derive } from '../../../src/cluster/facts.ts';
import { notConformingSinceAnnotation } from '../../../src/cluster/node-verdicts.ts';
import { planPolicy } from '../../../src/cluster/policy-plan.ts';
import { policiesSelecting } from '../../../src/domain/selection.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { badge, HOUR, iso, service, T0 } from '../domain/fixtures.ts';
import {
  budgetObject,
  clusterState,
  freshRateLimit,
  namespaceObject,
  nodeObject,
  podObject,
  policyObject,
} from './fixtures.ts';

const DORA = { 'compliance.example.com/dora': 'in-scope' };

function clusterPolicyObject(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterSovereigntyPolicy',
    metadata: { name },
    spec: {
      namespaceSelector: { matchLabels: DORA },
      selector: {},
      requirement: { badges: ['Sovereign'], area: 'eu' },
      ...spec,
    },
  };
}

const doraNamespace = (name: string, enrolled = true) => {
  const ns = namespaceObject(name, enrolled);
  return { metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, ...DORA } } };
};

const services = [
  service('sov'),
  service('self', { badges: [badge({ assurance: 'SelfDeclared', certifiedBy: undefined })] }),
  service('cheap', { badges: [] }),
];

function world(extra: Parameters<typeof clusterState>[0] = {}) {
  return clusterState({
    services,
    nodes: [nodeObject('sov-1', { service: 'sov' }), nodeObject('cheap-1', { service: 'cheap' })],
    namespaces: [doraNamespace('payments'), doraNamespace('loans'), namespaceObject('web')],
    clusterPolicies: [clusterPolicyObject('dora')],
    ...extra,
  });
}

const planFor = (name: string, state: ReturnType<typeof world>, now = T0) => {
  const derived = derive(state, now);
  expect(derived.invalid).toEqual([]);
  const policy = derived.policies.find((p) => p.metadata.name === name) as AnyPolicy;
  return planPolicy({ policy, state, derived, rateLimit: freshRateLimit, hasCapacity: () => true });
};

describe('ClusterSovereigntyPolicy: selection', () => {
  it('selects pods of the namespaces its namespaceSelector matches, and no others', () => {
    const derived = derive(world(), T0);
    const dora = derived.policies.filter((p) => p.kind === 'ClusterSovereigntyPolicy');
    const pod = (namespace: string, namespaceLabels?: Record<string, string>) =>
      policiesSelecting(dora, { namespace, labels: {}, namespaceLabels }).map((p) => p.metadata.name);
    expect(pod('payments', { ...DORA })).toEqual(['dora']);
    expect(pod('web', {})).toEqual([]);
    // Without the Namespace at hand, only its name label is known: a selector on other labels fails.
    expect(pod('payments')).toEqual([]);
  });

  it('can select a namespace by the name label the API server sets on every Namespace', () => {
    const byName = clusterPolicyObject('by-name', {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } },
    });
    const derived = derive(world({ clusterPolicies: [byName] }), T0);
    expect(policiesSelecting(derived.policies, { namespace: 'web', labels: {} }).map((p) => p.kind)).toEqual([
      'ClusterSovereigntyPolicy',
    ]);
  });

  it('orders cluster policies before namespaced ones of the same name', () => {
    const derived = derive(world({ policies: [policyObject('dora')] }), T0);
    const found = policiesSelecting(derived.policies, {
      namespace: 'payments',
      labels: {},
      namespaceLabels: DORA,
    });
    expect(found.map((p) => p.kind)).toEqual(['ClusterSovereigntyPolicy', 'SovereigntyPolicy']);
  });

  it('is refused, naming the field, when its spec is invalid, while the others still count', () => {
    const bad = clusterPolicyObject('bad', {
      namespaceSelector: { matchLabels: { '': 'x' } },
      mode: 'Sometimes',
    });
    const derived = derive(world({ clusterPolicies: [bad, clusterPolicyObject('dora')] }), T0);
    expect(derived.policies.map((p) => p.metadata.name)).toEqual(['dora']);
    expect(derived.invalid.map((i) => [i.kind, i.name])).toEqual([['ClusterSovereigntyPolicy', 'bad']]);
    expect(derived.invalid[0]?.errors.join(' ')).toContain('spec.mode');
  });
});

describe('ClusterSovereigntyPolicy: admission', () => {
  const request = (namespace: string): AdmissionRequest => ({
    uid: 'u1',
    operation: 'CREATE',
    namespace,
    object: { metadata: { generateName: 'ledger-', namespace, labels: { app: 'ledger' } }, spec: {} },
  });
  const decode = (patch: string | undefined) =>
    patch ? (JSON.parse(Buffer.from(patch, 'base64').toString()) as { path: string; value: unknown }[]) : [];

  it('pins pods of selected namespaces, naming the cluster policy in the annotation', () => {
    const derived = derive(world(), T0);
    const response = admitPod(request('payments'), () => ({
      policies: derived.policies,
      namespaceLabels: doraNamespace('payments').metadata.labels,
    }));
    const ops = decode(response.patch);
    expect(JSON.stringify(ops)).toContain(SCHEDULING_GATE);
    expect(JSON.stringify(ops)).toContain(verdictLabelKey('Sovereign', 'eu'));
    const annotations = ops.find((o) => o.path.startsWith('/metadata'));
    expect(JSON.stringify(annotations)).toContain(POLICIES_ANNOTATION);
    expect(JSON.stringify(annotations)).toContain('ClusterSovereigntyPolicy/dora');
  });

  it('leaves pods of other namespaces alone', () => {
    const derived = derive(world(), T0);
    const response = admitPod(request('web'), () => ({
      policies: derived.policies,
      namespaceLabels: namespaceObject('web').metadata.labels ?? {},
    }));
    expect(response).toEqual({ uid: 'u1', allowed: true });
  });

  it('a namespaced Audit policy cannot switch off what the cluster policy enforces (strictest wins)', () => {
    const audit = policyObject('relaxed', {
      mode: 'Audit',
      requirement: { badges: ['Resilient'], area: 'eu' },
    });
    const derived = derive(world({ policies: [audit] }), T0);
    const response = admitPod(request('payments'), () => ({
      policies: derived.policies.filter((p) => p.metadata.namespace === 'payments' || !p.metadata.namespace),
      namespaceLabels: doraNamespace('payments').metadata.labels,
    }));
    const text = JSON.stringify(decode(response.patch));
    expect(text).toContain(SCHEDULING_GATE);
    expect(text).toContain(verdictLabelKey('Sovereign', 'eu'));
    expect(text).not.toContain('relaxed');
  });

  it('a stricter namespaced Enforce policy adds its requirement to the cluster one (both terms)', () => {
    const strict = policyObject('certified', {
      requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
    });
    const derived = derive(world({ policies: [strict] }), T0);
    const response = admitPod(request('payments'), () => ({
      policies: derived.policies,
      namespaceLabels: doraNamespace('payments').metadata.labels,
    }));
    const text = JSON.stringify(decode(response.patch));
    expect(text).toContain('ClusterSovereigntyPolicy/dora,certified');
    expect(text).toContain('ThirdPartyCertified');
  });
});

describe('ClusterSovereigntyPolicy: plan', () => {
  const stamp = notConformingSinceAnnotation({ badges: ['Sovereign'], area: 'eu' }, 24 * HOUR);
  const revokedCheap = () =>
    nodeObject('cheap-1', { service: 'cheap', annotations: { [stamp]: iso(T0 - HOUR) } });

  it('evicts from every selected, enrolled namespace, with the PodDisruptionBudgets of each', () => {
    const state = world({
      nodes: [nodeObject('sov-1', { service: 'sov' }), revokedCheap()],
      pods: [
        podObject('a', { namespace: 'payments', nodeName: 'cheap-1' }),
        podObject('b', { namespace: 'loans', nodeName: 'cheap-1' }),
        podObject('c', { namespace: 'web', nodeName: 'cheap-1' }),
      ],
      budgets: [budgetObject('loans-pdb', { app: 'ledger' }, 0, 'loans')],
    });
    const plan = planFor('dora', state);
    expect(plan.counts.matchedPods).toBe(2);
    expect(plan.failover.evictNow.map((e) => `${e.pod.namespace}/${e.pod.name}`)).toEqual(['payments/a']);
    expect(plan.failover.blocked.map((b) => [b.pod.name, b.reason.code])).toEqual([
      ['b', 'DisruptionBudgetExhausted'],
    ]);
  });

  it('never evicts in a selected namespace that is not enrolled, and says which', () => {
    const state = world({
      nodes: [nodeObject('sov-1', { service: 'sov' }), revokedCheap()],
      namespaces: [doraNamespace('payments'), doraNamespace('loans', false)],
      pods: [
        podObject('a', { namespace: 'payments', nodeName: 'cheap-1' }),
        podObject('b', { namespace: 'loans', nodeName: 'cheap-1' }),
      ],
    });
    const plan = planFor('dora', state);
    expect(plan.failover.evictNow.map((e) => e.pod.name)).toEqual(['a']);
    expect(plan.failover.blocked.map((b) => [b.pod.name, b.reason.code])).toEqual([
      ['b', 'ReplacementNotPinned'],
    ]);
    const ready = plan.conditions.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('False');
    expect(ready?.reason).toBe('NamespaceNotEnrolled');
    expect(ready?.message).toContain(
      'Namespace loans is not labelled sovereign-placement.io/enforcement=enabled',
    );
  });

  it('ungates a pod only when the cluster policy and the namespaced one both have capacity', () => {
    const strict = policyObject('certified', {
      requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
    });
    const state = world({
      nodes: [nodeObject('self-1', { service: 'self' })],
      policies: [strict],
      pods: [podObject('gated', { namespace: 'payments', gated: true })],
    });
    const derived = derive(state, T0);
    const cluster = derived.policies.find((p) => p.kind === 'ClusterSovereigntyPolicy') as AnyPolicy;
    // The self-declared node meets the cluster policy but not the namespaced ThirdPartyCertified one.
    const plan = planPolicy({
      policy: cluster,
      state,
      derived,
      rateLimit: freshRateLimit,
      hasCapacity: (p) => p.metadata.name !== 'certified',
    });
    expect(plan.capacity.sufficient).toBe(true);
    expect(plan.ungate).toEqual([]);
    expect(plan.stillGated.map((p) => p.name)).toEqual(['gated']);
  });
});
