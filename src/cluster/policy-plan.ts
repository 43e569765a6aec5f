import { ENROLLMENT_LABEL, ENROLLMENT_VALUE } from '../api/group.ts';
import type { AnyPolicy } from '../api/index.ts';
import { resolveArea } from '../domain/areas.ts';
import { type CapacitySummary, mostFrequentReasons } from '../domain/capacity.ts';
import type { Verdict } from '../domain/conformance.ts';
import { parseDuration } from '../domain/duration.ts';
import {
  type DisruptionBudget,
  type EvictionRateLimit,
  type FailoverPlan,
  type NodeStanding,
  type PodRef,
  planFailover,
  type SelectedPod,
} from '../domain/failover.ts';
import type { Reason } from '../domain/reasons.ts';
import { isClusterPolicy, type PodIdentity, selectsPod } from '../domain/selection.ts';
import type { Labels } from '../domain/selector.ts';
import { volumeProblems } from '../domain/volumes.ts';
import { SCHEDULING_GATE } from './admission/pod-mutation.ts';
import { type ConditionInput, ConditionReason, ConditionType } from './conditions.ts';
import { type ClusterState, type Derived, leadTimeOf } from './facts.ts';
import { type KarmadaPolicyView, karmadaConditions, type TemplatePlacement } from './karmada-placement.ts';
import { nodeNotConformingSince } from './node-verdicts.ts';
import { type AssessedNode, assessNodes, capacityOf } from './nodes.ts';
import type { NamespaceObject, PodObject } from './objects.ts';
import { indexVolumes, podClaimStandings, podClaims, requirementOf } from './volumes.ts';

/** Retry soon when the node controller has not yet recorded when a node stopped conforming. */
const SINCE_PENDING_RETRY_MS = 2_000;

export interface PolicyStatusCounts {
  matchedWorkloads: number;
  matchedPods: number;
  conformingPods: number;
  nonConformingPods: number;
  gatedPods: number;
  conformingNodes: number;
  /** Volumes (or unbound claims) mounted by selected running pods that do not conform. */
  nonConformingVolumes: number;
  /** Karmada mode: templates selected, and Karmada clusters that conform. */
  matchedTemplates?: number;
  conformingClusters?: number;
}

/** A volume mounted by selected pods that does not conform: data is never moved by the operator. */
export interface NonConformingVolume {
  /** The PersistentVolume; null for a claim not bound yet. */
  volume: string | null;
  claim: PodRef;
  pods: string[];
  /** Why the volume (or the claim's class) does not conform. */
  reasons: Reason[];
  /** The VolumeNotConforming reason of the first pod, saying that data is not evicted. */
  problem: Reason;
}

export interface NonConformingPod {
  pod: PodRef;
  node: string;
  verdict: Verdict;
}

export interface PolicyPlan {
  counts: PolicyStatusCounts;
  capacity: CapacitySummary;
  conditions: ConditionInput[];
  reasons: { code: string; message: string }[];
  /** Gated pods whose every Enforce policy now has conforming capacity: remove the gate. */
  ungate: PodRef[];
  /** Gated pods that stay gated, with the condition message why. */
  stillGated: PodRef[];
  /** Gated pods held by their volumes (a subset of stillGated): namespace/name → VolumeNotConforming reasons. */
  heldByVolumes: Map<string, Reason[]>;
  nonConformingVolumes: NonConformingVolume[];
  nonConforming: NonConformingPod[];
  failover: FailoverPlan;
  nextTransitionAt: number | null;
  requeueAt: number | null;
  /** Karmada mode: where each selected template is scheduled. */
  karmadaPlacements?: TemplatePlacement[];
  /** Every node's verdict for the policy, and the pods it selects: what its PolicyReports are made of. */
  assessed: AssessedNode[];
  selected: PodObject[];
}

export interface PolicyPlanInput {
  policy: AnyPolicy;
  state: Pick<
    ClusterState,
    'nodes' | 'pods' | 'namespaces' | 'budgets' | 'claims' | 'volumes' | 'storageClasses'
  >;
  derived: Derived;
  rateLimit: EvictionRateLimit;
  /** Whether another Enforce policy has conforming capacity (a pod is ungated only when all of its do). */
  hasCapacity: (policy: AnyPolicy) => boolean;
  /** Karmada mode: the clusters and the templates' schedules, which replace nodes and pods in the conditions. */
  karmada?: KarmadaPolicyView;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const isGated = (pod: PodObject) =>
  pod.spec?.schedulingGates?.some((g) => g.name === SCHEDULING_GATE) === true;
const isFinished = (pod: PodObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const ref = (pod: PodObject): PodRef => ({
  namespace: pod.metadata.namespace ?? '',
  name: pod.metadata.name,
});
const earliest = (...instants: (number | null | undefined)[]): number | null =>
  instants.reduce<number | null>((a, t) => (t == null ? a : a === null ? t : Math.min(a, t)), null);

/** Labels of each Namespace by name, for cluster policies' namespaceSelector. */
export const namespaceLabelsByName = (namespaces: readonly NamespaceObject[]): Map<string, Labels> =>
  new Map(namespaces.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));

/** A pod as selection sees it. */
export const podIdentity = (pod: PodObject, namespaceLabels?: ReadonlyMap<string, Labels>): PodIdentity => ({
  namespace: pod.metadata.namespace ?? '',
  labels: pod.metadata.labels ?? {},
  ownerReferences: pod.metadata.ownerReferences,
  namespaceLabels: namespaceLabels?.get(pod.metadata.namespace ?? ''),
});

export function selectedPods(
  policy: AnyPolicy,
  pods: readonly PodObject[],
  namespaces: readonly NamespaceObject[] = [],
): PodObject[] {
  const labels = namespaceLabelsByName(namespaces);
  return pods.filter((pod) => !isFinished(pod) && selectsPod(policy, podIdentity(pod, labels)));
}

/**
 * The workload a pod belongs to: its controller, and for a Deployment's ReplicaSet the Deployment (the
 * ReplicaSet is named `<deployment>-<pod-template-hash>`), so a rollout does not count twice.
 */
function workloadOf(pod: PodObject): string {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (!owner) return `Pod/${pod.metadata.name}`;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return `Deployment/${owner.name.slice(0, -hash.length - 1)}`;
  }
  return `${owner.kind}/${owner.name}`;
}

/**
 * Everything one policy decides at one instant: its status, which gated pods may be scheduled, and the
 * failover plan for pods on nodes that stopped conforming. Pure: the controller carries it out.
 */
export function planPolicy(input: PolicyPlanInput): PolicyPlan {
  const { policy, state, derived } = input;
  const now = derived.now;
  const assessed = assessNodes(policy, state.nodes, derived);
  const byNode = new Map(assessed.map((a) => [a.node.metadata.name, a]));
  const capacity = capacityOf(assessed);
  const providers =
    policy.spec.requirement.minimumProviders > 1
      ? capacityOf(assessed, policy.spec.requirement.minimumProviders)
      : undefined;

  const namespaceLabels = namespaceLabelsByName(state.namespaces);
  const pods = selectedPods(policy, state.pods, state.namespaces);
  const ungate: PodRef[] = [];
  const stillGated: PodRef[] = [];
  const nonConforming: NonConformingPod[] = [];
  const standings = new Map<string, NodeStanding>();
  let sincePending = false;
  let conformingPods = 0;
  const volumeIndex = indexVolumes(state);
  const heldByVolumes = new Map<string, Reason[]>();
  const volumesByKey = new Map<string, NonConformingVolume>();
  let mountsClaims = false;

  for (const pod of pods) {
    const claimed = podClaims(pod).length > 0;
    mountsClaims ||= claimed;
    if (isGated(pod)) {
      if (policy.spec.mode !== 'Enforce') continue;
      const identity = podIdentity(pod, namespaceLabels);
      const enforcing = derived.policies.filter((p) => p.spec.mode === 'Enforce' && selectsPod(p, identity));
      const allHaveCapacity =
        capacity.sufficient && enforcing.every((p) => p === policy || input.hasCapacity(p));
      // Its volumes must conform to every Enforce policy that selects it, as its node must.
      const held = claimed
        ? volumeProblems(
            pod.metadata.name,
            podClaimStandings(pod, volumeIndex, enforcing.map(requirementOf), derived),
            false,
          )
        : [];
      if (held.length > 0) heldByVolumes.set(`${ref(pod).namespace}/${pod.metadata.name}`, held);
      (allHaveCapacity && held.length === 0 ? ungate : stillGated).push(ref(pod));
      continue;
    }
    if (claimed) {
      const claims = podClaimStandings(pod, volumeIndex, [requirementOf(policy)], derived);
      for (const claim of claims) {
        const [problem] = volumeProblems(pod.metadata.name, [claim], true);
        if (!problem) continue;
        const namespace = ref(pod).namespace;
        const key = claim.volume ?? `${namespace}/${claim.claim}`;
        const entry = volumesByKey.get(key);
        if (entry) entry.pods.push(pod.metadata.name);
        else
          volumesByKey.set(key, {
            volume: claim.volume,
            claim: { namespace, name: claim.claim },
            pods: [pod.metadata.name],
            reasons: claim.verdicts.flatMap((v) => (v.conforms ? [] : [...v.reasons])),
            problem,
          });
      }
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) continue;
    const assessment = byNode.get(nodeName);
    if (!assessment) continue;
    if (assessment.verdict.conforms) {
      conformingPods++;
      continue;
    }
    nonConforming.push({ pod: ref(pod), node: nodeName, verdict: assessment.verdict });
    if (!standings.has(nodeName)) {
      const since = nodeNotConformingSince(assessment.node, policy.spec.requirement, leadTimeOf(policy));
      if (since === undefined) sincePending = true;
      standings.set(nodeName, {
        conforms: false,
        notConformingSince: since ?? now,
        reasons: assessment.verdict.reasons,
      });
    }
  }
  for (const a of assessed) {
    if (a.verdict.conforms)
      standings.set(a.node.metadata.name, { conforms: true, notConformingSince: null, reasons: [] });
  }

  const selected: SelectedPod[] = pods
    .filter((p) => !isGated(p))
    .map((p) => {
      const owner = p.metadata.ownerReferences?.find((o) => o.controller) ?? null;
      return {
        ...ref(p),
        node: p.spec?.nodeName ?? null,
        labels: p.metadata.labels ?? {},
        owner: owner ? { kind: owner.kind, name: owner.name } : null,
        terminating: p.metadata.deletionTimestamp !== undefined,
      };
    });
  // A cluster policy's pods live in many namespaces; planFailover matches budgets to pods by namespace.
  const budgets: DisruptionBudget[] = state.budgets
    .filter((b) => isClusterPolicy(policy) || b.metadata.namespace === policy.metadata.namespace)
    .map((b) => ({
      namespace: b.metadata.namespace ?? '',
      name: b.metadata.name,
      selector: (b.spec?.selector ?? null) as DisruptionBudget['selector'],
      disruptionsAllowed: b.status?.disruptionsAllowed ?? 0,
    }));
  const unenrolled = unenrolledNamespaces(policy, pods, state.namespaces);
  const failover = planFailover({
    unpinnedNamespaces: unenrolled,
    pods: selected,
    nodes: standings,
    budgets,
    rateLimit: input.rateLimit,
    gracePeriodMs: parseDuration(policy.spec.failover.gracePeriod),
    mode: policy.spec.mode,
    onNoConformingCapacity: policy.spec.failover.onNoConformingCapacity,
    conformingCapacityExists: capacity.sufficient,
    now,
  });

  const workloads = new Set(pods.map(workloadOf));
  const nonConformingVolumes = [...volumesByKey.values()];
  const counts: PolicyStatusCounts = {
    matchedWorkloads: workloads.size,
    matchedPods: pods.length,
    conformingPods,
    nonConformingPods: nonConforming.length,
    gatedPods: ungate.length + stillGated.length,
    conformingNodes: assessed.filter((a) => a.verdict.conforms).length,
    nonConformingVolumes: nonConformingVolumes.length,
  };
  const karmada = input.karmada;
  if (karmada) {
    counts.matchedTemplates = karmada.placements.length;
    counts.conformingClusters = karmada.standings.conforming.length;
  }
  const nextTransitionAt = earliest(
    ...assessed.map((a) => a.verdict.nextTransitionAt),
    karmada?.standings.nextTransitionAt,
  );
  const conditions = conditionsOf(policy, unenrolled, derived, counts, capacity, providers, nonConforming);
  return {
    assessed,
    selected: pods,
    counts,
    capacity,
    conditions: [
      ...(karmada ? withKarmada(conditions, karmada, policy.metadata.generation) : conditions),
      ...(mountsClaims ? [volumesCondition(policy, nonConformingVolumes)] : []),
    ],
    ...(karmada ? { karmadaPlacements: karmada.placements } : {}),
    reasons: mostFrequentReasons(
      assessed.map((a) => a.verdict),
      8,
    ).map(({ reason, count }) => ({
      code: reason.code,
      message: `${reason.message} (${count} node${count === 1 ? '' : 's'})`,
    })),
    ungate,
    stillGated,
    heldByVolumes,
    nonConformingVolumes,
    nonConforming,
    failover,
    nextTransitionAt,
    requeueAt: earliest(
      nextTransitionAt,
      failover.nextPlanAt,
      sincePending ? now + SINCE_PENDING_RETRY_MS : null,
    ),
  };
}

/**
 * In Karmada mode the Karmada API server has no nodes or pods of its own: Conforming and
 * CapacityAvailable are about templates and Karmada clusters, and Ready counts those (unless it says
 * something is wrong).
 */
function withKarmada(
  conditions: ConditionInput[],
  view: KarmadaPolicyView,
  observedGeneration: number | undefined,
): ConditionInput[] {
  const karmada = karmadaConditions(view, observedGeneration);
  return conditions.map((c) => {
    if (c.type === ConditionType.Ready)
      return c.reason === ConditionReason.Reconciled ? { ...c, message: karmada.readyMessage } : c;
    return karmada.conditions.find((k) => k.type === c.type) ?? c;
  });
}

/**
 * The namespaces where admission does not pin the policy's new pods (no enrolment label): its own
 * namespace for a SovereigntyPolicy, those of its selected pods for a ClusterSovereigntyPolicy.
 */
export function unenrolledNamespaces(
  policy: AnyPolicy,
  pods: readonly PodObject[],
  namespaces: ClusterState['namespaces'],
): Set<string> {
  const enrolled = new Set(
    namespaces
      .filter((n) => n.metadata.labels?.[ENROLLMENT_LABEL] === ENROLLMENT_VALUE)
      .map((n) => n.metadata.name),
  );
  const concerned = isClusterPolicy(policy)
    ? pods.map((p) => p.metadata.namespace ?? '')
    : [policy.metadata.namespace ?? ''];
  return new Set(concerned.filter((n) => !enrolled.has(n)));
}

function notEnrolledMessage(unenrolled: ReadonlySet<string>): string {
  const names = [...unenrolled].sort();
  const listed = names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
  const which = names.length === 1 ? `Namespace ${listed} is` : `Namespaces ${listed} are`;
  return `${which} not labelled ${ENROLLMENT_LABEL}=${ENROLLMENT_VALUE}: the admission webhook does not pin new pods there, so this Enforce policy evicts nothing there (a replacement could land on a non-conforming node again). Label the namespace to enforce it.`;
}

function conditionsOf(
  policy: AnyPolicy,
  unenrolled: ReadonlySet<string>,
  derived: Derived,
  counts: PolicyStatusCounts,
  capacity: CapacitySummary,
  providers: CapacitySummary | undefined,
  nonConforming: NonConformingPod[],
): ConditionInput[] {
  const observedGeneration = policy.metadata.generation;
  const area = resolveArea(derived.areaIndex, policy.spec.requirement.area);
  const ready: ConditionInput = !area.ok
    ? {
        type: ConditionType.Ready,
        status: 'False',
        reason: ConditionReason.UnknownArea,
        message: area.reason.message,
        observedGeneration,
      }
    : policy.spec.mode === 'Enforce' && unenrolled.size > 0
      ? {
          type: ConditionType.Ready,
          status: 'False',
          reason: ConditionReason.NamespaceNotEnrolled,
          message: notEnrolledMessage(unenrolled),
          observedGeneration,
        }
      : {
          type: ConditionType.Ready,
          status: 'True',
          reason: ConditionReason.Reconciled,
          message: `${count(counts.matchedPods, 'pod')} selected, ${count(counts.conformingNodes, 'conforming node')}.`,
          observedGeneration,
        };
  const listed = nonConforming
    .slice(0, 5)
    .map((n) => `${n.pod.name} on ${n.node} (${n.verdict.reasons.map((r) => r.code).join(', ')})`)
    .join('; ');
  const conforming: ConditionInput =
    nonConforming.length === 0
      ? {
          type: ConditionType.Conforming,
          status: 'True',
          reason: ConditionReason.AllPodsConform,
          message: `Every running pod (${counts.conformingPods}) is on a conforming node.`,
          observedGeneration,
        }
      : {
          type: ConditionType.Conforming,
          status: 'False',
          reason: ConditionReason.PodsOnNonConformingNodes,
          message: `${nonConforming.length} pods run on non-conforming nodes: ${listed}${nonConforming.length > 5 ? '; ...' : ''}.`,
          observedGeneration,
        };
  const capacityCondition: ConditionInput =
    capacity.conformingTargets > 0
      ? {
          type: ConditionType.CapacityAvailable,
          status: 'True',
          reason: ConditionReason.ConformingCapacity,
          message: `${count(capacity.conformingTargets, 'conforming node')} can take pods, on ${count(capacity.providers, 'provider')}.`,
          observedGeneration,
        }
      : {
          type: ConditionType.CapacityAvailable,
          status: 'False',
          reason: ConditionReason.NoConformingCapacity,
          message: [
            capacity.reasons[0]?.message ?? 'No conforming node accepts pods.',
            ...capacity.reasons.slice(1).map((r) => r.message),
          ].join(' '),
          observedGeneration,
        };
  const conditions = [ready, conforming, capacityCondition];
  if (providers) {
    conditions.push(
      providers.sufficient
        ? {
            type: ConditionType.AlternateProviderAvailable,
            status: 'True',
            reason: ConditionReason.EnoughProviders,
            message: `Conforming capacity exists on ${providers.providers} providers (${policy.spec.requirement.minimumProviders} required).`,
            observedGeneration,
          }
        : {
            type: ConditionType.AlternateProviderAvailable,
            status: 'False',
            reason: ConditionReason.TooFewProviders,
            message: providers.reasons.map((r) => r.message).join(' '),
            observedGeneration,
          },
    );
  }
  return conditions;
}

/**
 * Whether the volumes of the policy's running pods conform; present when a selected pod mounts a claim.
 * Data cannot be evicted like a pod, so the operator moves nothing: the message says so.
 */
function volumesCondition(policy: AnyPolicy, volumes: readonly NonConformingVolume[]): ConditionInput {
  const observedGeneration = policy.metadata.generation;
  if (volumes.length === 0) {
    return {
      type: ConditionType.VolumesConform,
      status: 'True',
      reason: ConditionReason.AllVolumesConform,
      message: 'Every volume mounted by a selected running pod conforms.',
      observedGeneration,
    };
  }
  const listed = volumes
    .slice(0, 5)
    .map(
      (v) =>
        `${v.volume === null ? `unbound claim ${v.claim.name}` : `volume ${v.volume} (claim ${v.claim.name})`} of pods ${v.pods.join(', ')}: ${v.reasons.map((r) => r.message).join(' ')}`,
    )
    .join('; ');
  return {
    type: ConditionType.VolumesConform,
    status: 'False',
    reason: ConditionReason.VolumesNotConforming,
    message: `${count(volumes.length, 'volume')} of selected pods ${volumes.length === 1 ? 'does' : 'do'} not conform: ${listed.replace(/[.]$/, '')}${volumes.length > 5 ? '; ...' : ''}. Data cannot be evicted like a pod: the operator moves nothing; move the data to a volume of a conforming StorageClass.`,
    observedGeneration,
  };
}
