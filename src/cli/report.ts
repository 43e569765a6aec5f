import type { SovereigntyPolicy, SovereignWorkload } from '../api/index.ts';
import { leadTimeOf } from '../cluster/facts.ts';
import { assessNodes } from '../cluster/nodes.ts';
import { selectedPods } from '../cluster/policy-plan.ts';
import { placementJson } from '../domain/explain.ts';
import { formatInstant } from '../domain/time.ts';
import {
  allBadgeEvidence,
  byNamespacedName,
  type Evaluation,
  evidenceOf,
  formatLeadTime,
  nameOrder,
  providerJson,
  requirementJson,
  verdictOutput,
  workloadLeadTime,
} from './evaluate.ts';
import { placementOf, policyCapacity } from './explain.ts';
import type { Report } from './output-schema.ts';

type PolicyReport = Report['policies'][number];
type WorkloadReport = Report['workloads'][number];

/** Where the pods of a policy run, the verdict of each node, and the evidence behind it. */
export function policyReport(ev: Evaluation, policy: SovereigntyPolicy): PolicyReport {
  const assessed = assessNodes(policy, ev.inventory.nodes, ev.derived);
  const byNode = new Map(assessed.map((a) => [a.node.metadata.name, a]));
  const podsByNode = new Map<string, string[]>();
  const notScheduled: string[] = [];
  for (const pod of selectedPods(policy, ev.inventory.pods)) {
    const node = pod.spec?.nodeName;
    if (!node) {
      notScheduled.push(pod.metadata.name);
      continue;
    }
    podsByNode.set(node, [...(podsByNode.get(node) ?? []), pod.metadata.name]);
  }
  const placements = [...podsByNode.entries()].map(([node, pods]) => {
    const a = byNode.get(node);
    return {
      node,
      pods: pods.sort(nameOrder),
      verdict: a ? verdictOutput(a.target, policy.spec.requirement, a.verdict) : null,
      evidence: a ? evidenceOf(a.target, policy.spec.requirement) : null,
    };
  });
  // Non-conforming (and unknown) nodes first: what an auditor must look at.
  placements.sort((a, b) => rank(a.verdict) - rank(b.verdict) || nameOrder(a.node, b.node));
  return {
    namespace: policy.metadata.namespace ?? 'default',
    name: policy.metadata.name,
    mode: policy.spec.mode,
    requirement: requirementJson(policy.spec.requirement),
    expiryLeadTime: formatLeadTime(leadTimeOf(policy)),
    capacity: policyCapacity(policy, assessed),
    placements,
    notScheduled: notScheduled.sort(nameOrder),
  };
}

const rank = (verdict: { conforms: boolean } | null): number =>
  verdict === null ? 0 : verdict.conforms ? 2 : 1;

/** The clusters a workload runs on (recorded in its status) or is chosen for now, with verdicts and evidence. */
export function workloadReport(ev: Evaluation, workload: SovereignWorkload): WorkloadReport {
  const { placement } = placementOf(ev, workload);
  const recorded = new Map((workload.status?.placements ?? []).map((p) => [p.cluster, p]));
  const chosen = new Set(placement.chosen.map((c) => c.cluster));
  const names = [...new Set([...chosen, ...recorded.keys()])].sort(nameOrder);
  return {
    namespace: workload.metadata.namespace ?? 'default',
    name: workload.metadata.name,
    requirement: requirementJson(workload.spec.requirement),
    expiryLeadTime: formatLeadTime(workloadLeadTime(workload)),
    clusters: workload.spec.placement.clusters,
    spreadAcrossProviders: workload.spec.placement.spreadAcrossProviders,
    placements: names.map((name) => {
      const cluster = ev.inventory.memberClusters.find((c) => c.metadata.name === name);
      const target = cluster ? ev.clusterTarget(cluster) : null;
      return {
        cluster: name,
        chosen: chosen.has(name),
        recorded: recorded.has(name),
        since: recorded.get(name)?.since ?? null,
        verdict:
          cluster && target
            ? verdictOutput(target, workload.spec.requirement, ev.clusterVerdict(cluster, workload))
            : null,
        evidence: target ? evidenceOf(target, workload.spec.requirement) : null,
      };
    }),
    decision: placementJson(placement),
  };
}

/** The audit report: every policy and workload with its placements, evidence and the operator's Events. */
export function buildReport(ev: Evaluation, namespace?: string): Report {
  const inv = ev.inventory;
  const inScope = (o: { metadata: { namespace?: string | undefined } }) =>
    namespace === undefined || (o.metadata.namespace ?? 'default') === namespace;
  const policies = [...inv.policies]
    .filter(inScope)
    .sort(byNamespacedName)
    .map((p) => policyReport(ev, p));
  const workloads = [...inv.workloads]
    .filter(inScope)
    .sort(byNamespacedName)
    .map((w) => workloadReport(ev, w));
  const history =
    inv.events === null
      ? null
      : inv.events
          .filter(
            (e) => namespace === undefined || e.object.namespace === null || e.object.namespace === namespace,
          )
          .map((e) => ({
            time: e.lastTime,
            firstTime: e.firstTime,
            count: e.count,
            type: e.type,
            reason: e.reason,
            message: e.message,
            object: e.object,
          }));
  const placed = policies.flatMap((p) => p.placements);
  const podsOn = (conforms: boolean) =>
    placed
      .filter((p) => p.verdict !== null && p.verdict.conforms === conforms)
      .reduce((n, p) => n + p.pods.length, 0);
  return {
    kind: 'SovereigntyReport',
    at: formatInstant(ev.at),
    source: { ...inv.source },
    summary: {
      policies: policies.length,
      workloads: workloads.length,
      podsOnConformingNodes: podsOn(true),
      podsOnNonConformingNodes: podsOn(false),
      podsNotScheduled: policies.reduce((n, p) => n + p.notScheduled.length, 0),
      incompleteWorkloads: workloads.filter((w) => !w.decision.complete).length,
      events: history === null ? null : history.length,
    },
    policies,
    workloads,
    cloudServices: [...inv.services]
      .sort((a, b) => nameOrder(a.metadata.name, b.metadata.name))
      .map((s) => ({
        name: s.metadata.name,
        provider: providerJson(s),
        badges: allBadgeEvidence(s),
        schemeLevels: s.spec.schemeLevels ? { ...s.spec.schemeLevels } : null,
      })),
    history,
  };
}
