// What of each cached object the operator reads, in one place: which changes of an object wake the
// controllers (and invalidate the facts), so that heartbeats, status writes (the operator's own
// included) and other churn wake nothing up.
/** Whether a Modified event changes anything a controller decides from. */
export type ChangeMatters = (old: object, object: object) => boolean;

interface Loose {
  metadata?: {
    generation?: number;
    labels?: unknown;
    annotations?: unknown;
    deletionTimestamp?: unknown;
    ownerReferences?: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: { type?: string; status?: unknown }[] };
}

const differ =
  (view: (o: Loose) => unknown[]): ChangeMatters =>
  (old, object) =>
    JSON.stringify(view(old as Loose)) !== JSON.stringify(view(object as Loose));

/**
 * Kubelets (and KWOK) rewrite Node status every few seconds to minutes; only labels, annotations,
 * schedulability, taints and readiness change a decision, so heartbeats alone wake nothing up.
 */
export const nodeChangeMatters = differ((n) => [
  n.metadata?.labels,
  n.metadata?.annotations,
  n.spec?.unschedulable,
  n.spec?.taints,
  n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
]);

/**
 * A pod matters to selection (labels, owner), placement (node, gates), counting (phase) and failover
 * (terminating); its conditions, container statuses and IPs, which change several times while it starts,
 * do not.
 */
export const podChangeMatters = differ((p) => [
  p.metadata?.labels,
  p.metadata?.ownerReferences,
  p.metadata?.deletionTimestamp,
  p.spec?.nodeName,
  p.spec?.schedulingGates,
  p.status?.phase,
]);

/** A Namespace matters by its labels (enrolment, and the selectors of cluster-wide policies). */
export const namespaceChangeMatters = differ((n) => [n.metadata?.labels]);

/**
 * A custom resource matters by its spec and labels. Status-only writes (metadata.generation unchanged
 * and the same spec), the operator's own among them, wake nothing and leave the facts as they are.
 */
export const specChangeMatters: ChangeMatters = (old, object) => {
  const a = old as Loose;
  const b = object as Loose;
  if (a.metadata?.generation !== b.metadata?.generation) return true;
  return JSON.stringify([a.spec, a.metadata?.labels]) !== JSON.stringify([b.spec, b.metadata?.labels]);
};

export const everyChangeMatters: ChangeMatters = () => true;
