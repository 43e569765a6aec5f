import { z } from 'zod';
import { GROUP } from '../../api/group.ts';
import type { AnyPolicy } from '../../api/index.ts';
import { parseDuration } from '../../domain/duration.ts';
import { isClusterPolicy } from '../../domain/selection.ts';
import { requiredNodeAffinityTerms } from '../../domain/verdict-labels.ts';

/** Held until the operator has seen the pod and a conforming node exists (docs/architecture.md, "The path of a Pod": fail closed). */
export const SCHEDULING_GATE = `${GROUP}/conformance`;
/**
 * Lists the policies that pinned the pod, for `sovctl explain` and auditors: names of SovereigntyPolicies
 * of the pod's namespace, and `ClusterSovereigntyPolicy/<name>` for cluster policies.
 */
export const POLICIES_ANNOTATION = `${GROUP}/policies`;

const FAILURE_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'] as const;

// The schema of every field of a Pod that admission reads. The API server has already decoded the pod
// into its Go types, so a pod it sends always fits; anything else reaching the webhook port is refused
// with the field named, before a single field is used. `null` is read as absent, as Go's decoder does.
// Objects whose content the mutation copies into its patch (tolerations, node-selector terms) are
// stripped of unknown keys, so that the patch never carries more than the pod's own bounded fields;
// objects it does not copy (the rest of the affinity, of the spec) keep theirs untouched.
const text = z.string();
const stringMap = z.record(z.string(), z.string()).nullish();
const selectorRequirement = z.object({
  key: text,
  operator: text,
  values: z.array(text).nullish(),
});
const nodeSelectorTerm = z.object({
  matchExpressions: z.array(selectorRequirement).nullish(),
  matchFields: z.array(selectorRequirement).nullish(),
});
const toleration = z.object({
  key: text.nullish(),
  operator: text.nullish(),
  value: text.nullish(),
  effect: text.nullish(),
  tolerationSeconds: z.number().int().nullish(),
});

export const admittedPodSchema = z.looseObject({
  metadata: z
    .looseObject({
      name: text.nullish(),
      generateName: text.nullish(),
      labels: stringMap,
      annotations: stringMap,
      ownerReferences: z
        .array(z.looseObject({ kind: text, name: text, controller: z.boolean().nullish() }))
        .nullish(),
    })
    .nullish(),
  spec: z
    .looseObject({
      schedulingGates: z.array(z.looseObject({ name: text })).nullish(),
      tolerations: z.array(toleration).nullish(),
      affinity: z
        .looseObject({
          nodeAffinity: z
            .looseObject({
              requiredDuringSchedulingIgnoredDuringExecution: z
                .looseObject({ nodeSelectorTerms: z.array(nodeSelectorTerm).nullish() })
                .nullish(),
            })
            .nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

/** The parts of a Pod that admission reads and changes, once `admittedPodSchema` has accepted it. */
export type AdmittedPod = z.input<typeof admittedPodSchema>;
type Toleration = z.output<typeof toleration>;
interface PodNodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | null | undefined;
}
/** A v1 NodeSelectorTerm as a pod may write it (any operator, field selectors too). */
export interface PodNodeSelectorTerm {
  readonly matchExpressions?: readonly PodNodeSelectorRequirement[] | null | undefined;
  readonly matchFields?: readonly PodNodeSelectorRequirement[] | null | undefined;
}

export type JsonPatchOperation = { op: 'add'; path: string; value: unknown };

/** A JSON Pointer segment (RFC 6901): annotation keys contain "/". */
const pointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Node-selector terms are ORed and their expressions ANDed: requiring "A or B" on top of a pod's own
 * "X or Y" gives every pairing (X∧A, X∧B, Y∧A, Y∧B). An empty side leaves the other unchanged.
 */
export function andTerms(
  left: readonly PodNodeSelectorTerm[],
  right: readonly PodNodeSelectorTerm[],
): PodNodeSelectorTerm[] {
  if (left.length === 0) return [...right];
  if (right.length === 0) return [...left];
  return left.flatMap((l) =>
    right.map((r) => ({
      ...l,
      matchExpressions: [...(l.matchExpressions ?? []), ...(r.matchExpressions ?? [])],
    })),
  );
}

/** The shortest node-failure toleration any of the policies asks for, in whole seconds. */
function failureTolerationSeconds(policies: readonly AnyPolicy[]): number | undefined {
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
      tolerationSeconds: own !== undefined && own !== null ? Math.min(own, seconds) : seconds,
    };
  });
  return [...kept, ...added];
}

/**
 * The JSON patch that pins a new pod to conforming nodes for every Enforce policy that selects it: a
 * scheduling gate, a required node-affinity term on the verdict labels (ANDed with the pod's own
 * affinity, never replacing it), the policies' shorter node-failure tolerations, and an annotation
 * naming the policies. Empty when no Enforce policy applies.
 *
 * Each operation targets the narrowest path it changes, and copies nothing of the pod it does not
 * change: the rest of the affinity (pod affinity, preferred terms) can be nested arbitrarily deep, and
 * copying it would make the patch as large and as deep as whatever the request carried.
 */
export function podMutation(input: AdmittedPod, policies: readonly AnyPolicy[]): JsonPatchOperation[] {
  const enforced = policies.filter((p) => p.spec.mode === 'Enforce');
  if (enforced.length === 0) return [];
  const pod = admittedPodSchema.parse(input);
  const patch: JsonPatchOperation[] = [];
  const spec = pod.spec ?? {};
  if (!pod.spec) patch.push({ op: 'add', path: '/spec', value: {} });

  const gates = spec.schedulingGates;
  if (!gates) {
    patch.push({ op: 'add', path: '/spec/schedulingGates', value: [{ name: SCHEDULING_GATE }] });
  } else if (!gates.some((g) => g.name === SCHEDULING_GATE)) {
    patch.push({ op: 'add', path: '/spec/schedulingGates/-', value: { name: SCHEDULING_GATE } });
  }

  const affinity = spec.affinity;
  const nodeAffinity = affinity?.nodeAffinity;
  const ownTerms = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const terms = enforced.reduce<PodNodeSelectorTerm[]>(
    (acc, p) => andTerms(acc, requiredNodeAffinityTerms(p.spec.requirement)),
    [...ownTerms],
  );
  const required = { nodeSelectorTerms: terms };
  if (!affinity) {
    patch.push({
      op: 'add',
      path: '/spec/affinity',
      value: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } },
    });
  } else if (!nodeAffinity) {
    patch.push({
      op: 'add',
      path: '/spec/affinity/nodeAffinity',
      value: { requiredDuringSchedulingIgnoredDuringExecution: required },
    });
  } else {
    // "add" on an existing member replaces it (RFC 6902 4.1): the pod's own terms are in `terms`.
    patch.push({
      op: 'add',
      path: '/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution',
      value: required,
    });
  }

  const seconds = failureTolerationSeconds(enforced);
  if (seconds !== undefined) {
    patch.push({
      op: 'add',
      path: '/spec/tolerations',
      value: withFailureTolerations(spec.tolerations ?? [], seconds),
    });
  }

  // Cluster policies are named with their kind, so that the two kinds never read alike.
  const names = enforced
    .map((p) => (isClusterPolicy(p) ? `ClusterSovereigntyPolicy/${p.metadata.name}` : p.metadata.name))
    .join(',');
  if (!pod.metadata) {
    patch.push({ op: 'add', path: '/metadata', value: { annotations: { [POLICIES_ANNOTATION]: names } } });
  } else if (!pod.metadata.annotations) {
    patch.push({ op: 'add', path: '/metadata/annotations', value: { [POLICIES_ANNOTATION]: names } });
  } else {
    patch.push({ op: 'add', path: `/metadata/annotations/${pointer(POLICIES_ANNOTATION)}`, value: names });
  }
  return patch;
}
