import type { MemberCluster, SovereigntyPolicy, SovereignWorkload } from '../api/index.ts';
import { leadTimeOf } from '../cluster/facts.ts';
import {
  type AssessedNode,
  acceptsPods,
  assessNodes,
  capacityOf,
  conformingCapacityOf,
} from '../cluster/nodes.ts';
import type { NodeObject, PodObject } from '../cluster/objects.ts';
import { selectedPods } from '../cluster/policy-plan.ts';
import { placementJson } from '../domain/explain.ts';
import {
  type ClusterCandidate,
  clusterCandidate,
  type Placement,
  placeWorkload,
} from '../domain/placement.ts';
import { policiesSelecting, workloadKindOf } from '../domain/selection.ts';
import { providerOf, serviceNameOf } from '../domain/target.ts';
import { formatInstant } from '../domain/time.ts';
import { CliError } from './errors.ts';
import {
  type Evaluation,
  formatLeadTime,
  nameOrder,
  policyLeadTime,
  refOf,
  requirementJson,
  requirementsInUse,
  verdictOutput,
  workloadLeadTime,
} from './evaluate.ts';
import type {
  CapacityOutput,
  ClusterExplanation,
  Explanation,
  NodeExplanation,
  PodExplanation,
  PolicyExplanation,
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

const podIdentity = (pod: PodObject) => ({
  namespace: pod.metadata.namespace ?? 'default',
  labels: pod.metadata.labels ?? {},
  ownerReferences: pod.metadata.ownerReferences,
});

export function explainPod(ev: Evaluation, pod: PodObject): PodExplanation {
  const nodeName = pod.spec?.nodeName ?? null;
  const node = nodeName === null ? undefined : ev.inventory.nodes.find((n) => n.metadata.name === nodeName);
  const identity = podIdentity(pod);
  return {
    kind: 'Pod',
    namespace: identity.namespace,
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
      return {
        policy: refOf(policy),
        mode: policy.spec.mode,
        status,
        verdict: verdict && target ? verdictOutput(target, policy.spec.requirement, verdict) : null,
      };
    }),
  };
}

/** The policy's capacity as the operator computes it (cluster/nodes.ts capacityOf), plus all conforming nodes. */
export function policyCapacity(policy: SovereigntyPolicy, assessed: readonly AssessedNode[]): CapacityOutput {
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

export function explainPolicy(ev: Evaluation, policy: SovereigntyPolicy): PolicyExplanation {
  const assessed = assessNodes(policy, ev.inventory.nodes, ev.derived);
  const byNode = new Map(assessed.map((a) => [a.node.metadata.name, a]));
  const nodes = [...assessed].sort(
    (a, b) =>
      Number(b.verdict.conforms) - Number(a.verdict.conforms) ||
      nameOrder(a.node.metadata.name, b.node.metadata.name),
  );
  return {
    kind: 'SovereigntyPolicy',
    namespace: policy.metadata.namespace ?? 'default',
    name: policy.metadata.name,
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
    pods: selectedPods(policy, ev.inventory.pods)
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

/** The placement decision of a workload over every member cluster, as the hub makes it. */
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
    current: (workload.status?.placements ?? []).map((p) => p.cluster),
  });
  return { placement, candidates };
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
    verdicts: clusters.map((c) =>
      verdictOutput(ev.clusterTarget(c), workload.spec.requirement, ev.clusterVerdict(c, workload)),
    ),
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
  const missing = (): never => {
    throw new CliError(`${formatRef(ref)} not found in ${inv.source.location}`);
  };
  switch (ref.kind) {
    case 'Node':
      return explainNode(ev, inv.nodes.find(named(ref)) ?? missing());
    case 'Pod':
      return explainPod(ev, inv.pods.find(named(ref)) ?? missing());
    case 'SovereigntyPolicy':
      return explainPolicy(ev, inv.policies.find(named(ref)) ?? missing());
    case 'MemberCluster':
      return explainCluster(ev, inv.memberClusters.find(named(ref)) ?? missing());
    case 'SovereignWorkload':
      return explainWorkload(ev, inv.workloads.find(named(ref)) ?? missing());
  }
}
