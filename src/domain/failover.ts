import { type Reason, reason } from './reasons.ts';
import { type LabelSelector, type Labels, matchesSelector } from './selector.ts';

/**
 * Moving pods off nodes that stopped conforming (docs/architecture.md, "The path of a Pod", step 4): which pods of one policy
 * to evict now, which later, and which not at all, each with its reason.
 *
 * Safety properties (property-tested):
 * - never more evictions than any PodDisruptionBudget allows, nor than the policy's rate limit;
 * - idempotent: planning again from the state after the evictions evicts no pod twice (evicted pods are
 *   terminating, and terminating pods are never evicted again);
 * - Audit mode evicts nothing;
 * - deterministic: the same input in any order gives the same plan.
 */

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

export interface SelectedPod extends PodRef {
  /** Node it is bound to; null while Pending (nothing to evict). */
  readonly node: string | null;
  readonly labels: Labels;
  /** Controller owner; null for a bare pod, which nothing recreates after eviction. */
  readonly owner: { readonly kind: string; readonly name: string } | null;
  /** deletionTimestamp is set. */
  readonly terminating: boolean;
}

/** A node's verdict for the policy's requirement, as the operator tracks it. */
export interface NodeStanding {
  readonly conforms: boolean;
  /** When it stopped conforming (the grace period counts from here); null while it conforms. */
  readonly notConformingSince: number | null;
  readonly reasons: readonly Reason[];
}

export interface DisruptionBudget {
  readonly namespace: string;
  readonly name: string;
  /** policy/v1 semantics: null selects no pod, {} selects every pod of the namespace. */
  readonly selector: LabelSelector | null;
  /** status.disruptionsAllowed. */
  readonly disruptionsAllowed: number;
}

/** A fixed one-minute window of evictions made by the policy. */
export interface EvictionRateLimit {
  readonly maxEvictionsPerMinute: number;
  readonly windowStartedAt: number;
  readonly evictionsInWindow: number;
}

export const RATE_WINDOW_MS = 60_000;

export interface FailoverInput {
  readonly pods: readonly SelectedPod[];
  readonly nodes: ReadonlyMap<string, NodeStanding>;
  readonly budgets: readonly DisruptionBudget[];
  readonly rateLimit: EvictionRateLimit;
  /**
   * Namespaces where replacements of evicted pods are not pinned to conforming nodes (not enrolled for
   * admission). There an eviction only starts a loop (evict, land anywhere, evict again), so nothing is
   * evicted. Defaults to none.
   */
  readonly unpinnedNamespaces?: ReadonlySet<string>;
  readonly gracePeriodMs: number;
  readonly mode: 'Enforce' | 'Audit';
  readonly onNoConformingCapacity: 'Evict' | 'Retain';
  /** Whether any conforming node exists for the policy's requirement. */
  readonly conformingCapacityExists: boolean;
  readonly now: number;
}

export interface PlannedEviction {
  readonly pod: PodRef;
  readonly node: string;
  readonly reason: Reason;
  /** The budget this eviction consumes ("namespace/name"), null when none covers the pod. */
  readonly budget: string | null;
  /** Why the node does not conform. */
  readonly nodeReasons: readonly Reason[];
}

export interface DeferredEviction {
  readonly pod: PodRef;
  readonly node: string;
  /** Plan again at this instant. */
  readonly until: number;
  readonly reason: Reason;
  readonly nodeReasons: readonly Reason[];
}

export interface BlockedEviction {
  readonly pod: PodRef;
  readonly node: string;
  readonly reason: Reason;
  readonly nodeReasons: readonly Reason[];
}

export interface FailoverPlan {
  readonly evictNow: readonly PlannedEviction[];
  readonly deferred: readonly DeferredEviction[];
  readonly blocked: readonly BlockedEviction[];
  /** True when the plan evicts although no conforming capacity exists (onNoConformingCapacity: Evict). */
  readonly evictsWithoutCapacity: boolean;
  /** Earliest `until` among deferred pods: when to plan again without waiting for an event. */
  readonly nextPlanAt: number | null;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const budgetName = (b: DisruptionBudget): string => `${b.namespace}/${b.name}`;

/** The rate-limit window as it stands at `now` (a window that ended has been replaced by an empty one). */
function currentWindow(limit: EvictionRateLimit, now: number): { remaining: number; resetsAt: number } {
  const ended = now >= limit.windowStartedAt + RATE_WINDOW_MS;
  const used = ended ? 0 : limit.evictionsInWindow;
  return {
    remaining: Math.max(0, limit.maxEvictionsPerMinute - used),
    resetsAt: ended ? now + RATE_WINDOW_MS : limit.windowStartedAt + RATE_WINDOW_MS,
  };
}

/** The rate-limit state after making `evictions` evictions at `now`: what the controller records. */
export function rateLimitAfter(limit: EvictionRateLimit, evictions: number, now: number): EvictionRateLimit {
  if (now >= limit.windowStartedAt + RATE_WINDOW_MS) {
    return { ...limit, windowStartedAt: now, evictionsInWindow: evictions };
  }
  return { ...limit, evictionsInWindow: limit.evictionsInWindow + evictions };
}

export function planFailover(input: FailoverInput): FailoverPlan {
  const evictNow: PlannedEviction[] = [];
  const deferred: DeferredEviction[] = [];
  const blocked: BlockedEviction[] = [];

  // Pods on non-conforming nodes, longest-overdue first, then by namespace and name.
  const affected: { pod: SelectedPod; node: string; standing: NodeStanding | undefined }[] = [];
  for (const pod of input.pods) {
    if (pod.node === null) continue;
    const standing = input.nodes.get(pod.node);
    if (standing?.conforms) continue;
    affected.push({ pod, node: pod.node, standing });
  }
  const since = (s: NodeStanding | undefined): number => s?.notConformingSince ?? Number.NEGATIVE_INFINITY;
  affected.sort(
    (a, b) =>
      since(a.standing) - since(b.standing) ||
      cmp(a.pod.namespace, b.pod.namespace) ||
      cmp(a.pod.name, b.pod.name) ||
      cmp(a.node, b.node),
  );

  const allowed = new Map(input.budgets.map((b) => [b, Math.max(0, b.disruptionsAllowed)]));
  const window = currentWindow(input.rateLimit, input.now);
  let remaining = window.remaining;
  const withoutCapacity = !input.conformingCapacityExists;

  for (const { pod, node, standing } of affected) {
    const ref: PodRef = { namespace: pod.namespace, name: pod.name };
    const nodeReasons = standing?.reasons ?? [];
    const block = (r: Reason) => blocked.push({ pod: ref, node, reason: r, nodeReasons });

    if (pod.terminating) {
      block(reason('PodTerminating'));
      continue;
    }
    if (!standing) {
      block(reason('NodeVerdictUnknown', { node }));
      continue;
    }
    if (input.mode === 'Audit') {
      block(reason('AuditOnly', { node }));
      continue;
    }
    if (input.unpinnedNamespaces?.has(pod.namespace)) {
      block(reason('ReplacementNotPinned', { node, namespace: pod.namespace }));
      continue;
    }
    // An unknown start counts as long ago: the node does not conform, and compliance comes first.
    const stoppedAt = standing.notConformingSince;
    const graceEnds = stoppedAt === null ? Number.NEGATIVE_INFINITY : stoppedAt + input.gracePeriodMs;
    if (stoppedAt !== null && input.now < graceEnds) {
      const r = reason('GracePeriodPending', { node, since: stoppedAt, until: graceEnds });
      deferred.push({ pod: ref, node, until: graceEnds, reason: r, nodeReasons });
      continue;
    }
    if (withoutCapacity && input.onNoConformingCapacity === 'Retain') {
      block(reason('RetainedWithoutCapacity', { node }));
      continue;
    }
    const budgets = input.budgets.filter(
      (b) => b.namespace === pod.namespace && b.selector !== null && matchesSelector(b.selector, pod.labels),
    );
    if (budgets.length > 1) {
      block(reason('MultipleDisruptionBudgets', { budgets: budgets.map(budgetName).sort(cmp) }));
      continue;
    }
    const budget = budgets[0];
    if (budget && (allowed.get(budget) ?? 0) <= 0) {
      block(reason('DisruptionBudgetExhausted', { budget: budgetName(budget) }));
      continue;
    }
    if (remaining <= 0) {
      const r = reason('RateLimited', { max: input.rateLimit.maxEvictionsPerMinute, until: window.resetsAt });
      deferred.push({ pod: ref, node, until: window.resetsAt, reason: r, nodeReasons });
      continue;
    }
    remaining--;
    if (budget) allowed.set(budget, (allowed.get(budget) ?? 0) - 1);
    evictNow.push({
      pod: ref,
      node,
      reason: withoutCapacity
        ? reason('EvictedWithoutCapacity', { node })
        : reason('NodeNotConforming', { node, recreated: pod.owner !== null }),
      budget: budget ? budgetName(budget) : null,
      nodeReasons,
    });
  }

  let nextPlanAt: number | null = null;
  for (const d of deferred) if (nextPlanAt === null || d.until < nextPlanAt) nextPlanAt = d.until;
  return {
    evictNow,
    deferred,
    blocked,
    evictsWithoutCapacity: withoutCapacity && evictNow.length > 0,
    nextPlanAt,
  };
}
