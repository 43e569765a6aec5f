import { createHash } from 'node:crypto';
import type { AnyPolicy, SovereignWorkload } from '../api/index.ts';
import { packageVersion } from '../api/version.ts';
import { leadTimeOf } from '../cluster/facts.ts';
import { karmadaClusterHealth } from '../cluster/karmada-clusters.ts';
import { karmadaStandings } from '../cluster/karmada-placement.ts';
import { assessNodes } from '../cluster/nodes.ts';
import { selectedPods } from '../cluster/policy-plan.ts';
import { placementJson } from '../domain/explain.ts';
import { namespaceLabelsOf } from '../domain/selection.ts';
import { matchesSelector } from '../domain/selector.ts';
import { formatInstant } from '../domain/time.ts';
import { type AuditHistory, auditHistory, type ParsedAuditLog } from './audit-history.ts';
import {
  allBadgeEvidence,
  byNamespacedName,
  byPolicyOrder,
  type Evaluation,
  evidenceOf,
  formatLeadTime,
  nameOrder,
  ownerRef,
  providerJson,
  requirementJson,
  verdictOutput,
  workloadLeadTime,
} from './evaluate.ts';
import { placementOf, policyCapacity } from './explain.ts';
import { explainTemplate, karmadaDerived, policiesSelectingTemplate } from './explain-template.ts';
import {
  compareWithRecorded,
  conditionsJson,
  recordedPlacements,
  WORKLOAD_CONDITIONS,
} from './hub-status.ts';
import type { RecordedPlacementOutput, Report } from './output-schema.ts';

type PolicyReport = Report['policies'][number];
type WorkloadReport = Report['workloads'][number];
type KarmadaReport = NonNullable<Report['karmada']>;

/**
 * Where the pods of a policy run, the verdict of each node, and the evidence behind it; with a namespace,
 * only the pods of that namespace (a cluster policy's pods span namespaces).
 */
export function policyReport(ev: Evaluation, policy: AnyPolicy, namespace?: string): PolicyReport {
  const cluster = policy.kind === 'ClusterSovereigntyPolicy';
  const assessed = assessNodes(policy, ev.inventory.nodes, ev.derived);
  const byNode = new Map(assessed.map((a) => [a.node.metadata.name, a]));
  const podsByNode = new Map<string, string[]>();
  const notScheduled: string[] = [];
  for (const pod of selectedPods(policy, ev.inventory.pods, ev.inventory.namespaces)) {
    const podNamespace = pod.metadata.namespace ?? 'default';
    if (namespace !== undefined && podNamespace !== namespace) continue;
    // A namespaced policy's pods are all of its namespace: their names suffice.
    const name = cluster ? `${podNamespace}/${pod.metadata.name}` : pod.metadata.name;
    const node = pod.spec?.nodeName;
    if (!node) {
      notScheduled.push(name);
      continue;
    }
    podsByNode.set(node, [...(podsByNode.get(node) ?? []), name]);
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
    kind: policy.kind,
    namespace: cluster ? null : (policy.metadata.namespace ?? 'default'),
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

/**
 * The clusters a workload runs on or is leaving (recorded in its status by the hub) or is chosen for
 * now, with verdicts and evidence, the hub's conditions, and whether the two placements agree.
 */
export function workloadReport(ev: Evaluation, workload: SovereignWorkload): WorkloadReport {
  const { placement } = placementOf(ev, workload);
  const recorded = new Map<string, RecordedPlacementOutput>();
  for (const p of recordedPlacements(workload)) if (!recorded.has(p.cluster)) recorded.set(p.cluster, p);
  const chosen = new Set(placement.chosen.map((c) => c.cluster));
  const { matches, differences } = compareWithRecorded(workload, [...chosen]);
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
      const record = recorded.get(name);
      return {
        cluster: name,
        chosen: chosen.has(name),
        recorded: record !== undefined,
        since: record?.since ?? null,
        state: record?.state ?? null,
        available: record?.available ?? null,
        leavingSince: record?.leavingSince ?? null,
        leavingReason: record?.reason ?? null,
        message: record?.message ?? null,
        verdict:
          cluster && target
            ? verdictOutput(target, workload.spec.requirement, ev.clusterVerdict(cluster, workload))
            : null,
        evidence: target ? evidenceOf(target, workload.spec.requirement) : null,
      };
    }),
    decision: placementJson(placement),
    conditions: conditionsJson(workload.status?.conditions, WORKLOAD_CONDITIONS),
    matchesRecorded: matches,
    differences,
  };
}

/**
 * Placements in a Karmada control plane: every template a policy of the report selects, with where Karmada
 * scheduled it and whether each of those clusters conforms (as `sovctl explain` of the template says),
 * and every Karmada cluster with its verdict for each of those policies. Null when there is no Karmada
 * Cluster.
 */
export function karmadaReport(
  ev: Evaluation,
  policies: readonly AnyPolicy[],
  namespace?: string,
): KarmadaReport | null {
  const inv = ev.inventory;
  if (inv.karmadaClusters.length === 0) return null;
  const selected = inv.templates
    .filter((t) => namespace === undefined || (t.metadata.namespace ?? 'default') === namespace)
    .map((t) => ({ template: t, by: policiesSelectingTemplate(ev, t).filter((p) => policies.includes(p)) }))
    .filter((x) => x.by.length > 0)
    .sort((a, b) => nameOrder(a.template.kind, b.template.kind) || byNamespacedName(a.template, b.template));
  const templates = selected.map((x) => explainTemplate(ev, x.template));
  // Clusters are judged by the policies that select some template: the others place nothing here.
  const judging = policies.filter((p) => selected.some((x) => x.by.includes(p)));
  const derived = karmadaDerived(ev);
  const standings = judging.map((p) => karmadaStandings(inv.karmadaClusters, [p], derived));
  const records = new Map(inv.memberClusters.map((m) => [m.metadata.name, m]));
  return {
    templates: templates.map((t) => ({
      kind: t.kind,
      namespace: t.namespace,
      name: t.name,
      policies: t.policies.map((p) => ({ policy: p.policy, mode: p.mode })),
      binding: t.binding?.name ?? null,
      scheduled: (t.binding?.scheduled ?? []).map((c) => {
        const judged = t.clusters.find((x) => x.name === c.cluster);
        return {
          cluster: c.cluster,
          replicas: c.replicas,
          conforms: judged?.conforms ?? null,
          reasons: judged?.reasons ?? [],
        };
      }),
      pinned: t.binding?.pinned.some((x) => x !== null)
        ? [...new Set(t.binding.pinned.flatMap((x) => x ?? []))]
        : null,
      pinnedToNoCluster: t.binding?.pinnedToNoCluster ?? false,
      pinUpToDate: t.pin.upToDate,
      notes: t.notes,
    })),
    clusters: [...inv.karmadaClusters]
      .sort((a, b) => nameOrder(a.metadata.name, b.metadata.name))
      .map((c) => ({
        name: c.metadata.name,
        ready: karmadaClusterHealth(c, ev.at).state === 'Reachable',
        cloudService: records.get(c.metadata.name)?.spec.cloudService ?? null,
        verdicts: judging.map((p, i) => {
          const s = standings[i]?.clusters.find((x) => x.name === c.metadata.name);
          return {
            policy: ownerRef(p),
            conforms: s?.conforms ?? false,
            reasons: (s?.reasons ?? []).map((r) => ({ code: r.code, message: r.message })),
          };
        }),
      })),
  };
}

export interface ReportOptions {
  /** When the report is made (wall clock); defaults to the evaluation instant. */
  generatedAt?: number;
  sovctlVersion?: string;
  /** The decision log and the period to rebuild from it: [since, the report's instant). */
  audit?: { log: ParsedAuditLog; since: number | null; until?: number };
}

/**
 * The audit report: every policy and workload with its placements, evidence and the operator's Events,
 * with the history of a period from the decision log when given, the versions, and the SHA-256 of its
 * own content and of the log.
 */
export function buildReport(ev: Evaluation, namespace?: string, options: ReportOptions = {}): Report {
  const inv = ev.inventory;
  const inScope = (o: { metadata: { namespace?: string | undefined } }) =>
    namespace === undefined || (o.metadata.namespace ?? 'default') === namespace;
  // A cluster policy belongs to no namespace: with -n it is in the report when it selects that namespace,
  // and shows only that namespace's pods.
  const policyInScope = (p: AnyPolicy) =>
    p.kind === 'ClusterSovereigntyPolicy'
      ? namespace === undefined ||
        matchesSelector(
          p.spec.namespaceSelector,
          namespaceLabelsOf({ namespace, labels: {}, namespaceLabels: ev.namespaceLabels.get(namespace) }),
        )
      : inScope(p);
  const policies = [...inv.policies]
    .filter(policyInScope)
    .sort(byPolicyOrder)
    .map((p) => policyReport(ev, p, namespace));
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
  // A pod selected by several policies (a cluster policy and its namespace's own) is counted once: on a
  // non-conforming node when its node fails any of them, on a conforming one when it meets all of them.
  const podKey = (p: PolicyReport, pod: string) => (p.namespace === null ? pod : `${p.namespace}/${pod}`);
  const standing = new Map<string, boolean>();
  const notScheduled = new Set<string>();
  for (const p of policies) {
    for (const pod of p.notScheduled) notScheduled.add(podKey(p, pod));
    for (const x of p.placements) {
      if (x.verdict === null) continue;
      for (const pod of x.pods) {
        const key = podKey(p, pod);
        standing.set(key, (standing.get(key) ?? true) && x.verdict.conforms);
      }
    }
  }
  const podsOn = (conforms: boolean) => [...standing.values()].filter((c) => c === conforms).length;
  const auditLog = options.audit?.log;
  const rebuilt = auditLog
    ? auditHistory(auditLog, options.audit?.since ?? null, options.audit?.until ?? ev.at)
    : null;
  const auditInScope = rebuilt && namespace !== undefined ? historyOfNamespace(rebuilt, namespace) : rebuilt;
  return sealReport({
    kind: 'SovereigntyReport',
    at: formatInstant(ev.at),
    source: { ...inv.source },
    summary: {
      policies: policies.length,
      workloads: workloads.length,
      podsOnConformingNodes: podsOn(true),
      podsOnNonConformingNodes: podsOn(false),
      podsNotScheduled: notScheduled.size,
      incompleteWorkloads: workloads.filter((w) => !w.decision.complete).length,
      events: history === null ? null : history.length,
    },
    policies,
    workloads,
    karmada: karmadaReport(ev, inv.policies.filter(policyInScope), namespace),
    cloudServices: [...inv.services]
      .sort((a, b) => nameOrder(a.metadata.name, b.metadata.name))
      .map((s) => ({
        name: s.metadata.name,
        provider: providerJson(s),
        badges: allBadgeEvidence(s),
        schemeLevels: s.spec.schemeLevels ? { ...s.spec.schemeLevels } : null,
      })),
    history,
    auditHistory: auditInScope,
    generatedAt: formatInstant(options.generatedAt ?? ev.at),
    versions: {
      sovctl: options.sovctlVersion ?? packageVersion(),
      operator: rebuilt?.log.operatorVersions ?? [],
    },
    integrity: { algorithm: 'SHA-256', contentSha256: '', auditLogSha256: auditLog?.sha256 ?? null },
  });
}

/** With -n: the history of one namespace's pods and policies (verdicts of nodes concern every namespace). */
function historyOfNamespace(h: AuditHistory, namespace: string): AuditHistory {
  const ours = (pod: string) => pod.startsWith(`${namespace}/`);
  return {
    ...h,
    placements: h.placements.filter((p) => ours(p.pod)),
    moves: h.moves.filter((m) => ours(m.pod)),
    decisions: h.decisions.filter(
      (d) => d.object.split('/').length < 3 || d.object.split('/')[1] === namespace,
    ),
  };
}

/** SHA-256 of the report's compact JSON with `integrity.contentSha256` empty, written into that field. */
export function reportContentSha256(report: Report): string {
  const blank = { ...report, integrity: { ...report.integrity, contentSha256: '' } };
  return createHash('sha256').update(JSON.stringify(blank)).digest('hex');
}

export function sealReport(report: Report): Report {
  return { ...report, integrity: { ...report.integrity, contentSha256: reportContentSha256(report) } };
}

/**
 * A rendered report (Markdown, HTML) with a last line holding the SHA-256 of every line above it:
 * `head -n -1 report.md | sha256sum` gives the same.
 */
export function sealText(text: string, format: 'md' | 'html'): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const digest = createHash('sha256').update(body).digest('hex');
  const line = `SHA-256 of the lines above: ${digest}`;
  return `${body}${format === 'html' ? `<!-- ${line} -->` : line}\n`;
}
