import type { SovereigntyPolicy } from '../api/index.ts';
import { type Labels, matchesSelector } from './selector.ts';

/** The workload kinds a policy can be limited to (`spec.workloadKinds`). */
export type WorkloadKind = NonNullable<SovereigntyPolicy['spec']['workloadKinds']>[number];

export interface OwnerReference {
  readonly kind: string;
  readonly name: string;
  readonly controller?: boolean | undefined;
}

/** What selection needs to know of a pod. */
export interface PodIdentity {
  readonly namespace: string;
  readonly labels: Labels;
  readonly ownerReferences?: readonly OwnerReference[] | undefined;
}

/**
 * The kind of workload a pod belongs to, from its controller reference. A ReplicaSet that a Deployment
 * manages stamps its pods with `pod-template-hash`, so admission can tell a Deployment's pod without
 * reading the ReplicaSet; a bare ReplicaSet counts as a Deployment-like workload too.
 */
export function workloadKindOf(pod: PodIdentity): WorkloadKind | 'Other' {
  const owner = pod.ownerReferences?.find((o) => o.controller) ?? pod.ownerReferences?.[0];
  switch (owner?.kind) {
    case undefined:
      return 'Pod';
    case 'ReplicaSet':
      return 'Deployment';
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return owner.kind;
    default:
      return 'Other';
  }
}

type SelectingPolicy = Pick<SovereigntyPolicy, 'metadata' | 'spec'>;

/** Whether a policy applies to a pod: same namespace, selector matches, kind allowed. */
export function selectsPod(policy: SelectingPolicy, pod: PodIdentity): boolean {
  if ((policy.metadata.namespace ?? '') !== pod.namespace) return false;
  if (!matchesSelector(policy.spec.selector, pod.labels)) return false;
  const kinds = policy.spec.workloadKinds;
  if (!kinds || kinds.length === 0) return true;
  const kind = workloadKindOf(pod);
  return kind !== 'Other' && kinds.includes(kind);
}

/** The policies that apply to a pod, ordered by name so that every decision about it is deterministic. */
export function policiesSelecting<P extends SelectingPolicy>(policies: readonly P[], pod: PodIdentity): P[] {
  return policies
    .filter((p) => selectsPod(p, pod))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}
