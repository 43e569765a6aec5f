import type { Report } from '../output-schema.ts';
import { availableText, stateText } from './hub-text.ts';
import {
  badgeLines,
  KARMADA_CLUSTER_HEADER,
  KARMADA_INTRO,
  KARMADA_SCHEDULE_HEADER,
  karmadaClusterRows,
  karmadaTemplateHeading,
  karmadaTemplateIntro,
  MOVE_HEADER,
  moveRows,
  PLACEMENT_HEADER,
  periodText,
  placementNoteLines,
  placementRows,
  policyHeading,
  policyIntro,
  provenanceText,
  reasonsText,
  serviceLine,
  sourceText,
  summaryRows,
  VERDICT_HEADER,
  verdictRows,
  workloadIntro,
  workloadStatusTexts,
} from './report-text.ts';

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const verdictCell = (v: { conforms: boolean } | null): string =>
  v === null ? 'unknown' : v.conforms ? 'conforms' : '**does not conform**';

/** The audit report as Markdown (`-o md`). */
export function renderReportMarkdown(r: Report): string {
  const out: string[] = [
    '# Sovereignty report',
    '',
    `Evaluated at ${r.at} from ${sourceText(r)}. ${provenanceText(r)}`,
    '',
    '## Summary',
    '',
    table(['', 'Count'], summaryRows(r)),
    '',
    '## Policies',
    '',
  ];
  if (r.policies.length === 0) out.push('No SovereigntyPolicy or ClusterSovereigntyPolicy exists.', '');
  for (const p of r.policies) {
    out.push(`### ${policyHeading(p)}`, '', policyIntro(p), '');
    if (p.placements.length === 0) out.push('No selected pod runs on a node.', '');
    else {
      out.push(
        table(
          ['Node', 'Pods', 'Verdict', 'Reasons', 'Cloud service', 'Evidence'],
          p.placements.map((x) => [
            x.node,
            x.pods.join(', '),
            verdictCell(x.verdict),
            x.verdict ? reasonsText(x.verdict.reasons) : 'The node is not known.',
            serviceLine(x.evidence),
            x.evidence ? badgeLines(x.evidence.badges).join('; ') || 'no relevant badge' : '-',
          ]),
        ),
        '',
      );
    }
    if (p.notScheduled.length > 0) out.push(`Not scheduled: ${p.notScheduled.join(', ')}.`, '');
  }
  out.push('## Federated workloads', '');
  if (r.workloads.length === 0) out.push('No SovereignWorkload exists.', '');
  for (const w of r.workloads) {
    out.push(`### ${w.namespace}/${w.name}`, '', workloadIntro(w), '');
    if (w.placements.length > 0) {
      out.push(
        table(
          [
            'Cluster',
            'Chosen',
            'Recorded since',
            'Hub state',
            'Available',
            'Verdict',
            'Reasons',
            'Cloud service',
            'Evidence',
          ],
          w.placements.map((x) => [
            x.cluster,
            x.chosen ? 'yes' : 'no',
            x.recorded ? (x.since ?? 'yes') : '-',
            stateText(x),
            availableText(x.available),
            verdictCell(x.verdict),
            x.verdict ? reasonsText(x.verdict.reasons) : 'The member cluster is not known.',
            serviceLine(x.evidence),
            x.evidence ? badgeLines(x.evidence.badges).join('; ') || 'no relevant badge' : '-',
          ]),
        ),
        '',
      );
    }
    const notes = placementNoteLines(w);
    if (notes.length > 0) out.push(...notes.map((n) => `- ${n}`), '');
    const hub = workloadStatusTexts(w);
    out.push('Conditions recorded by the hub:', '', ...hub.conditions.map((c) => `- ${c}`), '');
    out.push(w.matchesRecorded ? hub.agreement : `**${hub.agreement}**`, '');
    if (hub.differences.length > 0) out.push(...hub.differences.map((d) => `- ${d}`), '');
    if (hub.note) out.push(hub.note, '');
    const rejected = w.decision.rejected;
    if (rejected.length > 0) {
      out.push('Not chosen:', '', ...rejected.map((x) => `- ${x.cluster}: ${reasonsText(x.reasons)}`), '');
    }
  }
  if (r.karmada) {
    out.push('## Karmada placements', '', KARMADA_INTRO, '');
    if (r.karmada.templates.length === 0) out.push('No policy of the report selects a template.', '');
    for (const t of r.karmada.templates) {
      out.push(`### ${karmadaTemplateHeading(t)}`, '', karmadaTemplateIntro(t), '');
      if (t.scheduled.length === 0) out.push('Scheduled on no cluster.', '');
      else
        out.push(
          table(
            KARMADA_SCHEDULE_HEADER,
            t.scheduled.map((x) => [
              x.cluster,
              x.replicas === null ? '-' : String(x.replicas),
              verdictCell(x.conforms === null ? null : { conforms: x.conforms }),
              x.conforms === null ? 'Not a Karmada cluster here.' : reasonsText(x.reasons) || '-',
            ]),
          ),
          '',
        );
      if (t.notes.length > 0) out.push(...t.notes.map((n) => `- ${n}`), '');
    }
    out.push(
      '### Karmada clusters',
      '',
      table(
        KARMADA_CLUSTER_HEADER,
        r.karmada.clusters.flatMap((c) =>
          karmadaClusterRows(c).map((x) => [
            ...x.cells,
            x.verdict === null ? '-' : verdictCell(x.verdict),
            reasonsText(x.reasons) || '-',
          ]),
        ),
      ),
      '',
    );
  }
  out.push('## Evidence: cloud services', '');
  out.push(
    table(
      ['Cloud service', 'Provider', 'Ultimate parent', 'Badges', 'Other schemes'],
      r.cloudServices.map((s) => [
        s.name,
        `${s.provider.name} (${s.provider.legalJurisdiction})`,
        s.provider.ultimateParent
          ? `${s.provider.ultimateParent.name} (${s.provider.ultimateParent.legalJurisdiction})`
          : '-',
        badgeLines(s.badges).join('; ') || 'none',
        Object.entries(s.schemeLevels ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '-',
      ]),
    ),
    '',
  );
  const h = r.auditHistory;
  if (h) {
    out.push('## Placement history (decision log)', '', periodText(h), '');
    out.push('### Where each pod ran', '');
    if (h.placements.length === 0) out.push('No selected pod ran in the period.', '');
    else out.push(table(PLACEMENT_HEADER, placementRows(h)), '');
    out.push('### Moves', '');
    if (h.moves.length === 0) out.push('No pod was evicted in the period.', '');
    else out.push(table(MOVE_HEADER, moveRows(h)), '');
    out.push('### Verdicts', '');
    if (h.verdicts.length === 0) out.push('No verdict changed in the period.', '');
    else out.push(table(VERDICT_HEADER, verdictRows(h)), '');
    if (h.decisions.length > 0)
      out.push(
        '### Capacity and member clusters',
        '',
        table(
          ['Time', 'Decision', 'Object', 'Target', 'Message'],
          h.decisions.map((d) => [d.time, d.what, d.object, d.target ?? '-', d.message]),
        ),
        '',
      );
  }
  out.push('## History', '');
  if (r.history === null) out.push('Events are only available from a live cluster.', '');
  else if (r.history.length === 0) out.push('The cluster holds no Event of the operator.', '');
  else {
    out.push(
      table(
        ['Last seen', 'Type', 'Reason', 'Object', 'Count', 'Message'],
        r.history.map((e) => [
          e.time ?? '-',
          e.type,
          e.reason,
          `${e.object.kind} ${e.object.namespace ? `${e.object.namespace}/` : ''}${e.object.name}`,
          String(e.count),
          e.message,
        ]),
      ),
      '',
    );
  }
  out.push(
    '## Integrity',
    '',
    `Audit log SHA-256: ${r.integrity.auditLogSha256 ?? 'no audit log read'}. The last line holds the SHA-256 of every line above it (\`head -n -1 report.md | sha256sum\`).`,
    '',
  );
  return out.join('\n');
}
