import { HEALTH_NOTE } from '../hub-status.ts';
import type { EvidenceOutput, Report } from '../output-schema.ts';
import { conditionText } from './hub-text.ts';
import { describeRequirementOutput } from './sentences.ts';

/** Texts shared by the Markdown and HTML reports, so that both say the same. */

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function sourceText(r: Report): string {
  return r.source.mode === 'inventory'
    ? `the inventory ${r.source.location}`
    : `the cluster ${r.source.location}`;
}

export function summaryRows(r: Report): [string, string][] {
  const s = r.summary;
  return [
    ['Policies', String(s.policies)],
    ['Pods on conforming nodes', String(s.podsOnConformingNodes)],
    ['Pods on non-conforming nodes', String(s.podsOnNonConformingNodes)],
    ['Selected pods not scheduled', String(s.podsNotScheduled)],
    ['Federated workloads', String(s.workloads)],
    ['Workloads placed incompletely', String(s.incompleteWorkloads)],
    ['Operator events held by the cluster', s.events === null ? 'not available offline' : String(s.events)],
  ];
}

/** "payments/ledger-sovereign-eu", or "ClusterSovereigntyPolicy dora-sovereign-eu" for a cluster policy. */
export const policyName = (p: Report['policies'][number]): string =>
  p.namespace === null ? `${p.kind} ${p.name}` : `${p.namespace}/${p.name}`;

export function policyHeading(p: Report['policies'][number]): string {
  return `${policyName(p)} (${p.mode})`;
}

export function policyIntro(p: Report['policies'][number]): string {
  const c = p.capacity;
  const capacity = c.sufficient
    ? `${plural(c.schedulableConformingNodes, 'conforming node')} ${c.schedulableConformingNodes === 1 ? 'accepts' : 'accept'} pods, on ${plural(c.providers, 'provider')}.`
    : `Capacity insufficient: ${c.reasons.map((x) => x.message).join(' ')}`;
  return `Requires ${describeRequirementOutput(p.requirement)}; expiry lead time ${p.expiryLeadTime}. ${capacity}`;
}

export function workloadIntro(w: Report['workloads'][number]): string {
  const placement = w.decision.complete
    ? 'Placement complete.'
    : `Placement incomplete: ${w.decision.reasons.map((x) => x.message).join(' ')}`;
  return `Requires ${describeRequirementOutput(w.requirement)} on ${plural(w.clusters, 'member cluster')} of at least ${plural(w.spreadAcrossProviders, 'provider')}; expiry lead time ${w.expiryLeadTime}. ${placement}`;
}

/** One line per badge: "Sovereign/eu, ThirdPartyCertified by X, valid 2026-01-01T00:00:00Z to ..., evidence ...". */
export function badgeLines(badges: EvidenceOutput['badges']): string[] {
  return badges.map(
    (b) =>
      `${b.type}/${b.area}, ${b.assurance}${b.certifiedBy ? ` by ${b.certifiedBy}` : ''}, valid ${b.validFrom} to ${b.validUntil}${
        b.revokedAt ? `, revoked ${b.revokedAt}` : ''
      }, evidence ${b.evidenceRef ?? 'none recorded'}`,
  );
}

export function serviceLine(e: EvidenceOutput | null): string {
  if (!e) return 'no known cloud service';
  const parent = e.provider.ultimateParent
    ? `, parent ${e.provider.ultimateParent.name} (${e.provider.ultimateParent.legalJurisdiction})`
    : '';
  return `${e.cloudService}: ${e.provider.name} (${e.provider.legalJurisdiction})${parent}`;
}

export const reasonsText = (reasons: readonly { code: string; message: string }[]): string =>
  reasons.map((r) => `${r.code}: ${r.message}`).join(' ');

/** Why the hub is leaving a member and the last error it met there, one sentence each. */
export function placementNoteLines(w: Report['workloads'][number]): string[] {
  return w.placements.flatMap((x) => [
    ...(x.leavingReason ? [`Leaving ${x.cluster}: ${x.leavingReason.message}`] : []),
    ...(x.message ? [`Last error on ${x.cluster}: ${x.message}`] : []),
  ]);
}

/** The hub's conditions and whether its placement agrees with the recomputed one. */
export function workloadStatusTexts(w: Report['workloads'][number]): {
  conditions: string[];
  agreement: string;
  differences: string[];
  note: string | null;
} {
  return {
    conditions:
      w.conditions.length === 0
        ? ['The hub has recorded no condition for this workload.']
        : w.conditions.map(conditionText),
    agreement: w.matchesRecorded
      ? 'The placement the hub recorded agrees with the recomputed one.'
      : 'The placement the hub recorded differs from the recomputed one:',
    differences: w.differences,
    note: w.matchesRecorded ? null : HEALTH_NOTE,
  };
}

/** "Made at ... by sovctl 0.1.0; decisions written by operator 0.1.0." */
export function provenanceText(r: Report): string {
  const operator =
    r.versions.operator.length === 0
      ? ''
      : ` Audit records written by operator ${r.versions.operator.join(', ')}.`;
  return `Made at ${r.generatedAt} by sovctl ${r.versions.sovctl}.${operator}`;
}

type History = NonNullable<Report['auditHistory']>;

export function periodText(h: History): string {
  const from = h.since ?? 'the first record';
  return `From ${from} to ${h.until} (excluded), rebuilt from the decision log ${h.log.file} (SHA-256 ${h.log.sha256}; ${h.log.records} records read, ${h.log.recordsInPeriod} in the period${h.log.invalidLines.length ? `, ${h.log.invalidLines.length} lines skipped as not audit records` : ''}).`;
}

const badgeShort = (b: History['placements'][number]['badges'][number]): string =>
  `${b.type}/${b.area} ${b.assurance}${b.certifiedBy ? ` by ${b.certifiedBy}` : ''} until ${b.validUntil}${b.evidenceRef ? ` (${b.evidenceRef})` : ''}`;

/** Pod, node, cloud service, badges, from, until, how it ended. */
export function placementRows(h: History): string[][] {
  return h.placements.map((p) => [
    p.pod,
    p.node,
    p.cloudService ?? 'unknown',
    p.badges.map(badgeShort).join('; ') || 'no badge for the requirement',
    p.from,
    p.until ?? 'still running',
    p.ended === 'Evicted'
      ? `evicted: ${p.evictionReasons.map((x) => x.code).join(', ')}`
      : p.ended === 'Gone'
        ? 'gone'
        : '-',
    p.policies.join(', '),
  ]);
}

export const PLACEMENT_HEADER = [
  'Pod',
  'Node',
  'Cloud service',
  'Badges',
  'From',
  'Until',
  'Ended',
  'Policies',
];

export function moveRows(h: History): string[][] {
  return h.moves.map((m) => [
    m.time,
    m.pod,
    m.node,
    m.cloudService ?? 'unknown',
    m.reasons.map((x) => x.code).join(', '),
    m.policy,
  ]);
}

export const MOVE_HEADER = ['Evicted at', 'Pod', 'From node', 'Cloud service', 'Reasons', 'Policy'];

export function verdictRows(h: History): string[][] {
  return h.verdicts.map((v) => [
    v.time,
    v.change,
    v.target,
    v.requirement,
    v.cloudService ?? 'unknown',
    v.reasons.join(', '),
    v.evidenceRefs.join(', ') || '-',
  ]);
}

export const VERDICT_HEADER = [
  'Time',
  'Verdict',
  'Target',
  'Requirement',
  'Cloud service',
  'Reasons',
  'Evidence',
];

type KarmadaTemplate = NonNullable<Report['karmada']>['templates'][number];
type KarmadaCluster = NonNullable<Report['karmada']>['clusters'][number];

export const KARMADA_INTRO =
  "Templates of the Karmada API server that a policy of the report selects: where Karmada scheduled each one (its ResourceBinding), and whether each of those clusters conforms; the Karmada clusters are judged from the MemberCluster record of their name and Karmada's Ready condition.";

export const karmadaTemplateHeading = (t: KarmadaTemplate): string => `${t.kind} ${t.namespace}/${t.name}`;

const refName = (p: KarmadaTemplate['policies'][number]['policy']): string =>
  p.namespace === null ? `${p.kind} ${p.name}` : `${p.namespace}/${p.name}`;

/** Who selects it, its binding, and what it is pinned to. */
export function karmadaTemplateIntro(t: KarmadaTemplate): string {
  const by = t.policies.map((p) => `${refName(p.policy)} (${p.mode})`).join(', ');
  const pin = t.pinnedToNoCluster
    ? 'pinned to no cluster'
    : t.pinned === null
      ? 'not pinned to cluster names'
      : `pinned to ${t.pinned.join(', ')}`;
  const state =
    t.pinUpToDate === null
      ? ''
      : t.pinUpToDate
        ? ', as the operator would pin it now'
        : ', NOT as the operator would pin it now';
  return `Selected by ${by}. ${t.binding === null ? 'No ResourceBinding yet.' : `ResourceBinding ${t.binding}, ${pin}${state}.`}`;
}

export const KARMADA_SCHEDULE_HEADER = ['Scheduled on', 'Replicas', 'Verdict', 'Reasons'];
export const KARMADA_CLUSTER_HEADER = [
  'Karmada cluster',
  'Ready',
  'Cloud service',
  'Policy',
  'Verdict',
  'Reasons',
];

/** One row per cluster and policy; a cluster judged by no policy has one row without a verdict. */
export function karmadaClusterRows(c: KarmadaCluster): {
  cells: [string, string, string, string];
  verdict: { conforms: boolean } | null;
  reasons: KarmadaCluster['verdicts'][number]['reasons'];
}[] {
  const head = (i: number): [string, string, string] =>
    i === 0 ? [c.name, c.ready ? 'yes' : 'no', c.cloudService ?? 'no MemberCluster record'] : ['', '', ''];
  if (c.verdicts.length === 0) return [{ cells: [...head(0), '-'], verdict: null, reasons: [] }];
  return c.verdicts.map((v, i) => ({
    cells: [...head(i), refName(v.policy)],
    verdict: v,
    reasons: v.reasons,
  }));
}
