import { GROUP } from '../../api/group.ts';
import type { SovereigntyPolicy } from '../../api/index.ts';
import { parseDuration } from '../../domain/duration.ts';
import { type NodeSelectorTerm, requiredNodeAffinityTerms } from '../../domain/verdict-labels.ts';

/** Held until the operator has seen the pod and a conforming node exists (docs/architecture.md, "The path of a Pod": fail closed). */
export const SCHEDULING_GATE = `${GROUP}/conformance`;
/** Lists the policies that pinned the pod, for `sovctl explain` and auditors. */
export const POLICIES_ANNOTATION = `${GROUP}/policies`;

const FAILURE_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'] as const;

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** The parts of a Pod that admission reads and changes (the AdmissionReview carries plain JSON). */
export interface AdmittedPod {
  metadata?: { name?: string; generateName?: string; annotations?: Record<string, string> };
  spec?: {
    schedulingGates?: { name: string }[];
    tolerations?: Toleration[];
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
        [other: string]: unknown;
      };
      [other: string]: unknown;
    };
    [other: string]: unknown;
  };
}

export type JsonPatchOperation = { op: 'add'; path: string; value: unknown };

/**
 * Node-selector terms are ORed and their expressions ANDed: requiring "A or B" on top of a pod's own
 * "X or Y" gives every pairing (X∧A, X∧B, Y∧A, Y∧B). An empty side leaves the other unchanged.
 */
export function andTerms(
  left: readonly NodeSelectorTerm[],
  right: readonly NodeSelectorTerm[],
): NodeSelectorTerm[] {
  if (left.length === 0) return [...right];
  if (right.length === 0) return [...left];
  return left.flatMap((l) =>
    right.map((r) => ({ ...l, matchExpressions: [...(l.matchExpressions ?? []), ...r.matchExpressions] })),
  );
}

/** The shortest node-failure toleration any of the policies asks for, in whole seconds. */
function failureTolerationSeconds(policies: readonly SovereigntyPolicy[]): number | undefined {
  const asked = policies
    .map((p) => p.spec.failover.nodeFailureToleration)
    .filter((d): d is string => d !== undefined)
    .map((d) => Math.ceil(parseDuration(d) / 1000));
  return asked.length ? Math.min(...asked) : undefined;
}

function withFailureTolerations(existing: readonly Toleration[], seconds: number): Toleration[] {
  const kept = existing.filter(
    (t) => !(FAILURE_TAINTS as readonly string[]).includes(t.key ?? '') || t.effect !== 'NoExecute',
  );
  const added = FAILURE_TAINTS.map((key) => {
    const current = existing.find((t) => t.key === key && t.effect === 'NoExecute');
    // Never lengthen what the pod already asks for: a shorter toleration of its own stays.
    const own = current?.tolerationSeconds;
    return {
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: own !== undefined ? Math.min(own, seconds) : seconds,
    };
  });
  return [...kept, ...added];
}

/**
 * The JSON patch that pins a new pod to conforming nodes for every Enforce policy that selects it: a
 * scheduling gate, a required node-affinity term on the verdict labels (ANDed with the pod's own
 * affinity, never replacing it), the policies' shorter node-failure tolerations, and an annotation
 * naming the policies. Empty when no Enforce policy applies.
 */
export function podMutation(pod: AdmittedPod, policies: readonly SovereigntyPolicy[]): JsonPatchOperation[] {
  const enforced = policies.filter((p) => p.spec.mode === 'Enforce');
  if (enforced.length === 0) return [];
  const spec = pod.spec ?? {};
  const patch: JsonPatchOperation[] = [];

  const gates = spec.schedulingGates ?? [];
  if (!gates.some((g) => g.name === SCHEDULING_GATE)) {
    patch.push({ op: 'add', path: '/spec/schedulingGates', value: [...gates, { name: SCHEDULING_GATE }] });
  }

  const ownTerms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const terms = enforced.reduce<NodeSelectorTerm[]>(
    (acc, p) => andTerms(acc, requiredNodeAffinityTerms(p.spec.requirement)),
    [...ownTerms],
  );
  const affinity = spec.affinity ?? {};
  const nodeAffinity = affinity.nodeAffinity ?? {};
  patch.push({
    op: 'add',
    path: '/spec/affinity',
    value: {
      ...affinity,
      nodeAffinity: {
        ...nodeAffinity,
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms },
      },
    },
  });

  const seconds = failureTolerationSeconds(enforced);
  if (seconds !== undefined) {
    patch.push({
      op: 'add',
      path: '/spec/tolerations',
      value: withFailureTolerations(spec.tolerations ?? [], seconds),
    });
  }

  const names = enforced.map((p) => p.metadata.name).join(',');
  patch.push({
    op: 'add',
    path: '/metadata/annotations',
    value: { ...pod.metadata?.annotations, [POLICIES_ANNOTATION]: names },
  });
  return patch;
}
