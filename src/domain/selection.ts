import type { AnyPolicy, SovereigntyPolicy } from '../api/index.ts';
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
  /** Labels of the pod's Namespace, for cluster policies' namespaceSelector. */
  readonly namespaceLabels?: Labels | undefined;
}

/** The label the API server sets on every Namespace, valued with its name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * The namespace's labels as selection sees them: `kubernetes.io/metadata.name` is always there (the API
 * server sets it on every Namespace and refuses to change it), so a selector by name works even where
 * the Namespace object itself is not at hand.
 */
export const namespaceLabelsOf = (pod: PodIdentity): Labels => ({
  ...pod.namespaceLabels,
  [NAMESPACE_NAME_LABEL]: pod.namespace,
});

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

type SelectingPolicy = Pick<AnyPolicy, 'metadata' | 'spec'>;

/** A ClusterSovereigntyPolicy (cluster-scoped: no namespace, a namespaceSelector instead). */
export const isClusterPolicy = (policy: Pick<AnyPolicy, 'spec'>): boolean =>
  'namespaceSelector' in policy.spec;

/**
 * Whether a policy applies to a pod: its namespace (the policy's own, or one a cluster policy's
 * namespaceSelector selects), selector matches, kind allowed.
 */
export function selectsPod(policy: SelectingPolicy, pod: PodIdentity): boolean {
  if ('namespaceSelector' in policy.spec) {
    if (!matchesSelector(policy.spec.namespaceSelector, namespaceLabelsOf(pod))) return false;
  } else if ((policy.metadata.namespace ?? '') !== pod.namespace) return false;
  if (!matchesSelector(policy.spec.selector, pod.labels)) return false;
  const kinds = policy.spec.workloadKinds;
  if (!kinds || kinds.length === 0) return true;
  const kind = workloadKindOf(pod);
  return kind !== 'Other' && kinds.includes(kind);
}

/**
 * The policies that apply to a pod, cluster policies first, each kind ordered by name, so that every
 * decision about it is deterministic.
 */
export function policiesSelecting<P extends SelectingPolicy>(policies: readonly P[], pod: PodIdentity): P[] {
  const rank = (p: P) => `${isClusterPolicy(p) ? 0 : 1}/${p.metadata.name}`;
  return policies
    .filter((p) => selectsPod(p, pod))
    .sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
}
