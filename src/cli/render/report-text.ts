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
