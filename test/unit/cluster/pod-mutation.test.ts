import { describe, expect, it } from 'vitest';
import type { SovereigntyPolicy } from '../../../src/api/index.ts';
import { SovereigntyPolicyDef } from '../../../src/api/index.ts';
import {
  type AdmittedPod,
  andTerms,
  type JsonPatchOperation,
  POLICIES_ANNOTATION,
  podMutation,
  SCHEDULING_GATE,
} from '../../../src/cluster/admission/pod-mutation.ts';
import { policiesSelecting, workloadKindOf } from '../../../src/domain/selection.ts';

function policy(name: string, spec: Record<string, unknown>, namespace = 'payments'): SovereigntyPolicy {
  return SovereigntyPolicyDef.object.parse({
    apiVersion: 'sovereign-placement.io/v1alpha1',
    kind: 'SovereigntyPolicy',
    metadata: { name, namespace },
    spec: { selector: {}, requirement: { badges: ['Sovereign'], area: 'eu' }, ...spec },
  }) as SovereigntyPolicy;
}

const SOV_EU = 'node-restriction.kubernetes.io/sp.sovereign.eu';
const RES_EU = 'node-restriction.kubernetes.io/sp.resilient.eu';

describe('podMutation', () => {
  it('gates the pod and requires the verdict label at the minimum assurance', () => {
    const p = policy('ledger', {
      requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
    });
    const pod = applyPodMutation({ spec: {} } as AdmittedPod, podMutation({ spec: {} }, [p]));
    expect(pod.spec?.schedulingGates).toEqual([{ name: SCHEDULING_GATE }]);
    expect(
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    ).toEqual([{ matchExpressions: [{ key: SOV_EU, operator: 'In', values: ['ThirdPartyCertified'] }] }]);
    expect(pod.metadata?.annotations?.[POLICIES_ANNOTATION]).toBe('ledger');
  });

  it('ANDs its terms with the pod own affinity instead of replacing it', () => {
    const own: AdmittedPod = {
      spec: {
        affinity: {
          podAntiAffinity: { kept: true },
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [],
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
              ],
            },
          },
        },
      },
    };
    const p = policy('any', { requirement: { badges: ['Sovereign', 'Resilient'], area: 'eu' } });
    const pod = applyPodMutation(own, podMutation(own, [p]));
    expect(pod.spec?.affinity?.podAntiAffinity).toEqual({ kept: true });
    expect(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual([]);
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    expect(terms?.map((t) => t.matchExpressions?.map((e) => `${e.key}=${e.values?.join('|')}`))).toEqual([
      ['zone=a', `${SOV_EU}=SelfDeclared|ThirdPartyCertified`],
      ['zone=a', `${RES_EU}=SelfDeclared|ThirdPartyCertified`],
      ['zone=b', `${SOV_EU}=SelfDeclared|ThirdPartyCertified`],
      ['zone=b', `${RES_EU}=SelfDeclared|ThirdPartyCertified`],
    ]);
  });

  it('requires every policy when several select the pod', () => {
    const pod = applyPodMutation(
      {} as AdmittedPod,
      podMutation({}, [
        policy('a', {}),
        policy('b', { requirement: { badges: ['Resilient'], area: 'eea' } }),
      ]),
    );
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    expect(terms).toHaveLength(1);
    expect(terms?.[0]?.matchExpressions?.map((e) => e.key)).toEqual([
      SOV_EU,
      'node-restriction.kubernetes.io/sp.resilient.eea',
    ]);
    expect(pod.metadata?.annotations?.[POLICIES_ANNOTATION]).toBe('a,b');
  });

  it('shortens node-failure tolerations to the shortest policy value, never lengthening the pod own', () => {
    const own: AdmittedPod = {
      spec: {
        tolerations: [
          {
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 300,
          },
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 10,
          },
          { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
        ],
      },
    };
    const pod = applyPodMutation(
      own,
      podMutation(own, [
        policy('a', { failover: { nodeFailureToleration: '1m' } }),
        policy('b', { failover: { nodeFailureToleration: '30s' } }),
      ]),
    );
    expect(pod.spec?.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 10,
      },
    ]);
  });

  it('leaves tolerations alone when no policy asks, and does nothing for Audit policies', () => {
    const patch = podMutation({ spec: { tolerations: [] } }, [policy('a', {})]);
    expect(patch.map((o) => o.path)).not.toContain('/spec/tolerations');
    expect(podMutation({}, [policy('audit', { mode: 'Audit' })])).toEqual([]);
  });

  it('does not add the gate twice', () => {
    const gated = { spec: { schedulingGates: [{ name: SCHEDULING_GATE }] } };
    expect(podMutation(gated, [policy('a', {})]).map((o) => o.path)).not.toContain('/spec/schedulingGates');
  });
});

describe('andTerms', () => {
  it('is the identity with an empty side', () => {
    const t = [{ matchExpressions: [{ key: 'k', operator: 'In' as const, values: ['v'] }] }];
    expect(andTerms([], t)).toEqual(t);
    expect(andTerms(t, [])).toEqual(t);
  });
});

describe('policy selection', () => {
  const pod = (labels: Record<string, string>, owner?: string) => ({
    namespace: 'payments',
    labels,
    ownerReferences: owner ? [{ kind: owner, name: 'x', controller: true }] : [],
  });

  it('tells workload kinds from controller references', () => {
    expect(workloadKindOf(pod({}))).toBe('Pod');
    expect(workloadKindOf(pod({}, 'ReplicaSet'))).toBe('Deployment');
    expect(workloadKindOf(pod({}, 'StatefulSet'))).toBe('StatefulSet');
    expect(workloadKindOf(pod({}, 'Job'))).toBe('Job');
    expect(workloadKindOf(pod({}, 'CronThing'))).toBe('Other');
  });

  it('selects by namespace, labels and workload kind, ordered by name', () => {
    const policies = [
      policy('z-all', {}),
      policy('ledger', { selector: { matchLabels: { app: 'ledger' } } }),
      policy('jobs-only', { workloadKinds: ['Job'] }),
      policy('elsewhere', {}, 'other'),
    ];
    expect(
      policiesSelecting(policies, pod({ app: 'ledger' }, 'ReplicaSet')).map((p) => p.metadata.name),
    ).toEqual(['ledger', 'z-all']);
    expect(policiesSelecting(policies, pod({ app: 'web' }, 'Job')).map((p) => p.metadata.name)).toEqual([
      'jobs-only',
      'z-all',
    ]);
  });
});

/** Applies `podMutation`'s patch to a copy of the pod, as the API server does (RFC 6902 "add"). */
function applyPodMutation<P extends AdmittedPod>(pod: P, patch: readonly JsonPatchOperation[]): P {
  const copy = structuredClone(pod) as P & Record<string, unknown>;
  for (const { path, value } of patch) {
    const segments = path
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = segments.pop() as string;
    let parent = copy as Record<string, unknown>;
    for (const segment of segments) parent = parent[segment] as Record<string, unknown>;
    if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, value);
    else parent[last] = value;
  }
  return copy;
}
