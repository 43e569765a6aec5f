import type { AnyPolicy, ClusterSovereigntyPolicy, MemberCluster, SovereignWorkload } from '../api/index.ts';
import { claimDecision } from '../cluster/admission/admit-claim.ts';
import { POLICIES_ANNOTATION } from '../cluster/admission/pod-mutation.ts';
import { leadTimeOf } from '../cluster/facts.ts';
import {
  type AssessedNode,
  acceptsPods,
  assessNodes,
  capacityOf,
  conformingCapacityOf,
} from '../cluster/nodes.ts';
import type {
  NodeObject,
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodObject,
} from '../cluster/objects.ts';
import { selectedPods } from '../cluster/policy-plan.ts';
import {
  claimStorageClass,
  claimStorageFacts,
  indexVolumes,
  podClaims,
  volumeFacts,
} from '../cluster/volumes.ts';
import { placementJson } from '../domain/explain.ts';
import {
  type ClusterCandidate,
  clusterCandidate,
  type Placement,
  placeWorkload,
} from '../domain/placement.ts';
import { NAMESPACE_NAME_LABEL, policiesSelecting, workloadKindOf } from '../domain/selection.ts';
import { matchesSelector } from '../domain/selector.ts';
import { providerOf, serviceNameOf } from '../domain/target.ts';
import { formatInstant } from '../domain/time.ts';
import { storageTarget } from '../domain/volumes.ts';
import { CliError } from './errors.ts';
import {
  type Evaluation,
  formatLeadTime,
  memberHealth,
  nameOrder,
  ownerRef,
  policyLeadTime,
  requirementJson,
  requirementsInUse,
  verdictOutput,
  workloadLeadTime,
} from './evaluate.ts';
import { explainTemplate } from './explain-template.ts';
import {
  compareWithRecorded,
  conditionsJson,
  MEMBER_CONDITIONS,
  recordedPlacements,
  WORKLOAD_CONDITIONS,
  workloadsOn,
} from './hub-status.ts';
import type {
  CapacityOutput,
  ClaimExplanation,
  ClusterExplanation,
  ClusterPolicyExplanation,
  Explanation,
  NodeExplanation,
  ObjectRefOutput,
  PodExplanation,
  PolicyExplanation,
  VolumeExplanation,
  WorkloadExplanation,
} from './output-schema.ts';
import { formatRef, type TargetRef } from './target-ref.ts';

export function explainNode(ev: Evaluation, node: NodeObject): NodeExplanation {
  const target = ev.derived.targets.get(node.metadata.name);
  if (!target) throw new Error(`no target for node ${node.metadata.name}`);
  const uses = requirementsInUse(
    ev.inventory.policies,
    policyLeadTime,
    ev.inventory.areas.map((a) => a.metadata.name),
  );
  return {
    kind: 'Node',
    name: node.metadata.name,
    at: formatInstant(ev.at),
    facts: {
      cloudService: serviceNameOf(target),
      provider: providerOf(target),
      country: target.country,
      cordoned: target.cordoned,
    },
    verdicts: uses.map((use) => ({
      usedBy: use.usedBy,
      expiryLeadTime: formatLeadTime(use.leadTimeMs),
      verdict: verdictOutput(
        target,
        use.requirement,
        ev.derived.evaluator.evaluate(target, use.requirement, { expiryLeadTimeMs: use.leadTimeMs }),
      ),
    })),
  };
}

/**
 * The policies named by the pod's `sovereign-placement.io/policies` annotation, which admission writes
 * with the Enforce policies that pinned the pod: SovereigntyPolicies of the pod's namespace by name,
 * cluster policies as `ClusterSovereigntyPolicy/<name>`. Null when the pod has no such annotation.
 */
export function pinnedBy(pod: PodObject): ObjectRefOutput[] | null {
  const value = pod.metadata.annotations?.[POLICIES_ANNOTATION];
  if (value === undefined) return null;
  const namespace = pod.metadata.namespace ?? 'default';
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const slash = entry.indexOf('/');
      return slash >= 0 && entry.slice(0, slash) === 'ClusterSovereigntyPolicy'
        ? { kind: 'ClusterSovereigntyPolicy' as const, namespace: null, name: entry.slice(slash + 1) }
        : { kind: 'SovereigntyPolicy' as const, namespace, name: entry };
    });
}

const sameRef = (a: ObjectRefOutput, b: ObjectRefOutput): boolean =>
  a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

export function explainPod(ev: Evaluation, pod: PodObject): PodExplanation {
  const nodeName = pod.spec?.nodeName ?? null;
  const node = nodeName === null ? undefined : ev.inventory.nodes.find((n) => n.metadata.name === nodeName);
  const identity = ev.podIdentity(pod);
  const pinned = pinnedBy(pod);
  return {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    at: formatInstant(ev.at),
    node: nodeName,
    phase: pod.status?.phase ?? null,
    workloadKind: workloadKindOf(identity),
    policies: policiesSelecting(ev.inventory.policies, identity).map((policy) => {
      const verdict = node ? ev.nodeVerdict(policy, node) : null;
      const target = node ? ev.derived.targets.get(node.metadata.name) : undefined;
      const status =
        nodeName === null
          ? 'NotScheduled'
          : !verdict || !target
            ? 'NodeUnknown'
            : verdict.conforms
              ? 'Conforming'
              : 'NotConforming';
      const ref = ownerRef(policy);
      return {
        policy: ref,
        mode: policy.spec.mode,
        status,
        pinned: pinned === null ? null : pinned.some((p) => sameRef(p, ref)),
        verdict: verdict && target ? verdictOutput(target, policy.spec.requirement, verdict) : null,
      };
    }),
    pinnedBy: pinned,
  };
}

/** The policy's capacity as the operator computes it (cluster/nodes.ts capacityOf), plus all conforming nodes. */
export function policyCapacity(policy: AnyPolicy, assessed: readonly AssessedNode[]): CapacityOutput {
  const minimumProviders = policy.spec.requirement.minimumProviders;
  const landing = capacityOf(assessed, minimumProviders);
  return {
    conformingNodes: conformingCapacityOf(assessed).conformingTargets,
    schedulableConformingNodes: landing.conformingTargets,
    providers: landing.providers,
    minimumProviders,
    sufficient: landing.sufficient,
    byService: landing.byService.map((s) => ({
      provider: s.provider,
      cloudService: s.cloudService,
      conformingNodes: s.conformingTargets,
    })),
    reasons: landing.reasons.map((r) => ({ code: r.code, message: r.message })),
  };
}

/** What both kinds of policy explain: every node with why, the capacity, the selected pods. */
function policyFields(ev: Evaluation, policy: AnyPolicy) {
  const assessed = assessNodes(policy, ev.inventory.nodes, ev.derived);
  const byNode = new Map(assessed.map((a) => [a.node.metadata.name, a]));
  const nodes = [...assessed].sort(
    (a, b) =>
      Number(b.verdict.conforms) - Number(a.verdict.conforms) ||
      nameOrder(a.node.metadata.name, b.node.metadata.name),
  );
  return {
    at: formatInstant(ev.at),
    mode: policy.spec.mode,
    requirement: requirementJson(policy.spec.requirement),
    expiryLeadTime: formatLeadTime(leadTimeOf(policy)),
    nodes: nodes.map((a) => ({
      accepted: a.verdict.conforms,
      acceptsPods: acceptsPods(a.node),
      verdict: verdictOutput(a.target, policy.spec.requirement, a.verdict),
    })),
    capacity: policyCapacity(policy, assessed),
    pods: selectedPods(policy, ev.inventory.pods, ev.inventory.namespaces)
      .map((pod) => {
        const node = pod.spec?.nodeName ?? null;
        const assessment = node === null ? undefined : byNode.get(node);
        return {
          namespace: pod.metadata.namespace ?? 'default',
          name: pod.metadata.name,
          node,
          conforms: assessment ? assessment.verdict.conforms : null,
        };
      })
      .sort((a, b) => nameOrder(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`)),
  };
}

export function explainPolicy(ev: Evaluation, policy: AnyPolicy): PolicyExplanation {
  return {
    kind: 'SovereigntyPolicy',
    namespace: policy.metadata.namespace ?? 'default',
    name: policy.metadata.name,
    ...policyFields(ev, policy),
  };
}

/**
 * The namespaces a cluster policy selects among those the inventory knows: its Namespaces, and the
 * namespaces of its pods (known by the name label alone when their Namespace is not in the inventory).
 */
export function selectedNamespaces(ev: Evaluation, policy: ClusterSovereigntyPolicy): string[] {
  const names = new Set([
    ...ev.inventory.namespaces.map((n) => n.metadata.name),
    ...ev.inventory.pods.map((p) => p.metadata.namespace ?? 'default'),
  ]);
  return [...names]
    .filter((name) =>
      matchesSelector(policy.spec.namespaceSelector, {
        ...ev.namespaceLabels.get(name),
        [NAMESPACE_NAME_LABEL]: name,
      }),
    )
    .sort(nameOrder);
}

export function explainClusterPolicy(
  ev: Evaluation,
  policy: ClusterSovereigntyPolicy,
): ClusterPolicyExplanation {
  return {
    kind: 'ClusterSovereigntyPolicy',
    name: policy.metadata.name,
    namespaceSelector: policy.spec.namespaceSelector,
    namespaces: selectedNamespaces(ev, policy),
    ...policyFields(ev, policy),
  };
}

export function explainCluster(ev: Evaluation, cluster: MemberCluster): ClusterExplanation {
  const target = ev.clusterTarget(cluster);
  const uses = requirementsInUse(
    ev.inventory.workloads,
    policyLeadTime,
    ev.inventory.areas.map((a) => a.metadata.name),
  );
  return {
    kind: 'MemberCluster',
    name: cluster.metadata.name,
    at: formatInstant(ev.at),
    facts: {
      cloudService: serviceNameOf(target),
      provider: providerOf(target),
      country: target.country,
      healthy: target.healthy,
      healthSource: memberHealth(cluster).source,
      cordoned: target.cordoned,
    },
    recorded: {
      conditions: conditionsJson(cluster.status?.conditions, MEMBER_CONDITIONS),
      lastHeartbeatTime: cluster.status?.lastHeartbeatTime ?? null,
      kubernetesVersion: cluster.status?.kubernetesVersion ?? null,
      nextTransitionAt: cluster.status?.nextTransitionAt ?? null,
    },
    workloads: workloadsOn(ev.inventory.workloads, cluster.metadata.name).map(({ workload, placement }) => {
      const { cluster: _, cloudService: __, provider: ___, ...rest } = placement;
      return { namespace: workload.metadata.namespace ?? 'default', name: workload.metadata.name, ...rest };
    }),
    verdicts: uses.map((use) => ({
      usedBy: use.usedBy,
      expiryLeadTime: formatLeadTime(use.leadTimeMs),
      verdict: verdictOutput(
        target,
        use.requirement,
        ev.derived.evaluator.evaluate(target, use.requirement, { expiryLeadTimeMs: use.leadTimeMs }),
      ),
    })),
  };
}

/**
 * The placement decision of a workload over every member cluster, as the hub makes it: the members it
 * records as Active are the current ones (those it is leaving are not), each member's health is the
 * Ready condition the hub recorded.
 */
export function placementOf(
  ev: Evaluation,
  workload: SovereignWorkload,
): { placement: Placement; candidates: ClusterCandidate[] } {
  const clusters = [...ev.inventory.memberClusters].sort((a, b) =>
    nameOrder(a.metadata.name, b.metadata.name),
  );
  const candidates = clusters.map((c) =>
    clusterCandidate(ev.clusterTarget(c), ev.clusterVerdict(c, workload)),
  );
  const placement = placeWorkload(candidates, {
    clusters: workload.spec.placement.clusters,
    spreadAcrossProviders: workload.spec.placement.spreadAcrossProviders,
    current: (workload.status?.placements ?? []).filter((p) => p.state !== 'Leaving').map((p) => p.cluster),
  });
  return { placement, candidates };
}

/** What the hub recorded in the workload's status, compared with the recomputed placement. */
function recordedJson(workload: SovereignWorkload, placement: Placement): WorkloadExplanation['recorded'] {
  const status = workload.status;
  const { matches, differences } = compareWithRecorded(
    workload,
    placement.chosen.map((c) => c.cluster),
  );
  return {
    present: status !== undefined,
    observedGeneration: status?.observedGeneration ?? null,
    placements: recordedPlacements(workload),
    conditions: conditionsJson(status?.conditions, WORKLOAD_CONDITIONS),
    reasons: (status?.reasons ?? []).map((r) => ({ code: r.code, message: r.message })),
    nextTransitionAt: status?.nextTransitionAt ?? null,
    matchesRecomputed: matches,
    differences,
  };
}

export function explainWorkload(ev: Evaluation, workload: SovereignWorkload): WorkloadExplanation {
  const { placement } = placementOf(ev, workload);
  const clusters = [...ev.inventory.memberClusters].sort((a, b) =>
    nameOrder(a.metadata.name, b.metadata.name),
  );
  return {
    kind: 'SovereignWorkload',
    namespace: workload.metadata.namespace ?? 'default',
    name: workload.metadata.name,
    at: formatInstant(ev.at),
    requirement: requirementJson(workload.spec.requirement),
    expiryLeadTime: formatLeadTime(workloadLeadTime(workload)),
    clusters: workload.spec.placement.clusters,
    spreadAcrossProviders: workload.spec.placement.spreadAcrossProviders,
    placement: placementJson(placement),
    health: clusters.map((c) => {
      const { healthy, source } = memberHealth(c);
      return { cluster: c.metadata.name, healthy, source };
    }),
    recorded: recordedJson(workload, placement),
    verdicts: clusters.map((c) =>
      verdictOutput(ev.clusterTarget(c), workload.spec.requirement, ev.clusterVerdict(c, workload)),
    ),
  };
}

/** A PersistentVolume: its trusted facts and its verdict for every requirement policies use. */
export function explainVolume(ev: Evaluation, volume: PersistentVolumeObject): VolumeExplanation {
  const index = indexVolumes(ev.inventory);
  const facts = volumeFacts(volume, index.classesByName);
  const target = storageTarget(facts, ev.derived.storage);
  const uses = requirementsInUse(
    ev.inventory.policies,
    policyLeadTime,
    ev.inventory.areas.map((a) => a.metadata.name),
  );
  const claimRef = volume.spec?.claimRef;
  return {
    kind: 'PersistentVolume',
    name: volume.metadata.name,
    at: formatInstant(ev.at),
    facts: {
      storageClass: facts.storageClass,
      csiDrivers: [...facts.drivers],
      cloudService: serviceNameOf(target),
      provider: providerOf(target),
      country: facts.country,
    },
    claim: claimRef?.name ? { namespace: claimRef.namespace ?? 'default', name: claimRef.name } : null,
    verdicts: uses.map((use) => ({
      usedBy: use.usedBy,
      expiryLeadTime: formatLeadTime(use.leadTimeMs),
      verdict: verdictOutput(
        target,
        use.requirement,
        ev.derived.evaluator.evaluate(target, use.requirement, { expiryLeadTimeMs: use.leadTimeMs }),
      ),
    })),
  };
}

/**
 * A PersistentVolumeClaim: what admission decides for it now, and for each policy that selects it by its
 * labels the verdict of its bound volume (or, unbound, of its StorageClass), as the operator judges them.
 */
export function explainClaim(ev: Evaluation, claim: PersistentVolumeClaimObject): ClaimExplanation {
  const namespace = claim.metadata.namespace ?? 'default';
  const index = indexVolumes(ev.inventory);
  const { storageClass, defaulted } = claimStorageClass(claim.spec, ev.inventory.storageClasses);
  const identity = {
    namespace,
    labels: claim.metadata.labels ?? {},
    namespaceLabels: ev.namespaceLabels.get(namespace),
  };
  const selecting = policiesSelecting(
    ev.inventory.policies.map((p) => ({ ...p, spec: { ...p.spec, workloadKinds: undefined } }) as AnyPolicy),
    identity,
  );
  // Judged as the policy plan judges a mounted claim: its bound volume, or its class while unbound.
  const target = storageTarget(claimStorageFacts(claim, index), ev.derived.storage);
  const refusal = claimDecision(
    { metadata: { name: claim.metadata.name, labels: claim.metadata.labels }, spec: claim.spec },
    namespace,
    {
      policies: ev.inventory.policies,
      namespaceLabels: ev.namespaceLabels.get(namespace) ?? {},
      storageClasses: ev.inventory.storageClasses,
      derived: ev.derived,
    },
  );
  const volumeName = claim.spec?.volumeName || null;
  return {
    kind: 'PersistentVolumeClaim',
    namespace,
    name: claim.metadata.name,
    at: formatInstant(ev.at),
    storageClass,
    defaultedClass: defaulted,
    volume: volumeName,
    pods: ev.inventory.pods
      .filter(
        (p) =>
          (p.metadata.namespace ?? 'default') === namespace && podClaims(p).includes(claim.metadata.name),
      )
      .map((p) => p.metadata.name)
      .sort(nameOrder),
    admission: {
      allowed: refusal === null,
      reason: refusal === null ? null : { code: 'StorageClassNotConforming', message: refusal },
    },
    policies: selecting.map((policy) => ({
      policy: ownerRef(policy),
      mode: policy.spec.mode,
      verdict: verdictOutput(
        target,
        policy.spec.requirement,
        ev.derived.evaluator.evaluate(target, policy.spec.requirement, {
          expiryLeadTimeMs: leadTimeOf(policy),
        }),
      ),
    })),
  };
}

const named =
  (ref: TargetRef) =>
  (o: { metadata: { name: string; namespace?: string | undefined } }): boolean =>
    o.metadata.name === ref.name &&
    (ref.namespace === null || (o.metadata.namespace ?? 'default') === ref.namespace);

/** The explanation of one object; an unknown name is a CliError. */
export function explain(ev: Evaluation, ref: TargetRef): Explanation {
  const inv = ev.inventory;
  const missing = (hint = ''): never => {
    throw new CliError(`${formatRef(ref)} not found in ${inv.source.location}${hint}`);
  };
  switch (ref.kind) {
    case 'Node':
      return explainNode(ev, inv.nodes.find(named(ref)) ?? missing());
    case 'Pod':
      return explainPod(ev, inv.pods.find(named(ref)) ?? missing());
    case 'SovereigntyPolicy':
      return explainPolicy(
        ev,
        inv.policies.find((p) => p.kind === 'SovereigntyPolicy' && named(ref)(p)) ?? missing(),
      );
    case 'ClusterSovereigntyPolicy': {
      const found = inv.policies.find(
        (p): p is ClusterSovereigntyPolicy => p.kind === 'ClusterSovereigntyPolicy' && named(ref)(p),
      );
      return explainClusterPolicy(ev, found ?? missing());
    }
    case 'MemberCluster':
      return explainCluster(ev, inv.memberClusters.find(named(ref)) ?? missing());
    case 'SovereignWorkload':
      return explainWorkload(ev, inv.workloads.find(named(ref)) ?? missing());
    case 'PersistentVolumeClaim':
      return explainClaim(ev, inv.claims.find(named(ref)) ?? missing());
    case 'PersistentVolume':
      return explainVolume(ev, inv.volumes.find(named(ref)) ?? missing());
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return explainTemplate(
        ev,
        inv.templates.find((t) => t.kind === ref.kind && named(ref)(t)) ??
          missing(
            inv.karmadaClusters.length === 0
              ? ' (and it holds no Karmada Cluster: give the kubeconfig of the Karmada API server)'
              : '',
          ),
      );
    case 'FulcrumAgent':
      // Its own explanation (src/cli/fulcrum.ts): the agent is judged from a FulcrumFederation's record.
      throw new CliError('explain fulcrum-agent/<name> is answered by explainFulcrumAgent');
  }
}
