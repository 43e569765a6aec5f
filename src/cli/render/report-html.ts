import type { EvidenceOutput, Report } from '../output-schema.ts';
import { stateText } from './hub-text.ts';
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
  placementRows,
  policyHeading,
  policyIntro,
  provenanceText,
  serviceLine,
  sourceText,
  summaryRows,
  VERDICT_HEADER,
  verdictRows,
  workloadIntro,
  workloadStatusTexts,
} from './report-text.ts';

const esc = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Inline styles only: the page must open offline, from a mail attachment or an archive. */
const STYLE = `
:root { color-scheme: light; --ok: #1b6e3a; --ok-bg: #e3f4e8; --bad: #9b1c1c; --bad-bg: #fde8e8; --muted: #5b6270; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2430; margin: 0; background: #f6f7f9; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #d8dce3; }
h3 { font-size: 16px; margin: 24px 0 4px; }
p.meta, p.intro { color: var(--muted); margin: 4px 0 10px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border: 1px solid #d8dce3; }
th { background: #eef0f4; font-weight: 600; }
td:first-child, td:first-child code { white-space: nowrap; }
table.summary { width: auto; }
table.summary td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; white-space: nowrap; }
.verdict.ok { color: var(--ok); background: var(--ok-bg); }
.verdict.bad { color: var(--bad); background: var(--bad-bg); }
.verdict.unknown { color: var(--muted); background: #eceef2; }
ul.reasons, ul.badges { margin: 0; padding-left: 16px; }
code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: #f1f3f6; padding: 0 3px; border-radius: 3px; }
.muted { color: var(--muted); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } main { padding: 0; } }
`;

const verdictBadge = (v: { conforms: boolean } | null): string =>
  v === null
    ? '<span class="verdict unknown">unknown</span>'
    : v.conforms
      ? '<span class="verdict ok">conforms</span>'
      : '<span class="verdict bad">does not conform</span>';

const reasonList = (reasons: readonly { code: string; message: string }[]): string =>
  `<ul class="reasons">${reasons.map((r) => `<li><code>${esc(r.code)}</code> ${esc(r.message)}</li>`).join('')}</ul>`;

const evidenceCell = (e: EvidenceOutput | null): string =>
  e === null
    ? '<span class="muted">no known cloud service</span>'
    : `${esc(serviceLine(e))}${
        e.badges.length === 0
          ? '<br><span class="muted">no relevant badge</span>'
          : `<ul class="badges">${badgeLines(e.badges)
              .map((l) => `<li>${esc(l)}</li>`)
              .join('')}</ul>`
      }`;

function table(cls: string, header: readonly string[], rows: readonly string[]): string {
  return `<table class="${cls}"><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const row = (attrs: Record<string, string>, cells: readonly string[]): string =>
  `<tr${Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('')}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;

/** The conditions the hub recorded for a workload, and whether its placement agrees with the recomputed one. */
function hubStatusHtml(w: Report['workloads'][number]): string {
  const hub = workloadStatusTexts(w);
  return [
    '<p>Conditions recorded by the hub:</p>',
    `<ul class="hub-conditions">${hub.conditions.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`,
    `<p class="hub-agreement" data-matches-recorded="${String(w.matchesRecorded)}">${
      w.matchesRecorded ? esc(hub.agreement) : `<strong>${esc(hub.agreement)}</strong>`
    }</p>`,
    hub.differences.length > 0
      ? `<ul class="hub-differences">${hub.differences.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`
      : '',
    hub.note ? `<p class="muted">${esc(hub.note)}</p>` : '',
  ].join('');
}

/** The audit report as one standalone HTML page (`-o html`): inline CSS, no script, no external resource. */
export function renderReportHtml(r: Report): string {
  const body: string[] = [
    '<h1>Sovereignty report</h1>',
    `<p class="meta">Evaluated at <time datetime="${esc(r.at)}">${esc(r.at)}</time> from ${esc(sourceText(r))}. ${esc(provenanceText(r))}</p>`,
    '<h2>Summary</h2>',
    table(
      'summary',
      ['', 'Count'],
      summaryRows(r).map(([k, v]) => row({}, [esc(k), esc(v)])),
    ),
    '<h2>Policies</h2>',
  ];
  if (r.policies.length === 0) body.push('<p>No SovereigntyPolicy or ClusterSovereigntyPolicy exists.</p>');
  for (const p of r.policies) {
    body.push(
      `<section class="policy" data-policy="${esc(p.namespace === null ? `${p.kind}/${p.name}` : `${p.namespace}/${p.name}`)}">`,
      `<h3>${esc(policyHeading(p))}</h3>`,
      `<p class="intro">${esc(policyIntro(p))}</p>`,
    );
    if (p.placements.length === 0) body.push('<p class="muted">No selected pod runs on a node.</p>');
    else {
      body.push(
        table(
          'placements',
          ['Node', 'Pods', 'Verdict', 'Reasons', 'Evidence'],
          p.placements.map((x) =>
            row(
              {
                class: 'placement',
                'data-node': x.node,
                'data-conforms': x.verdict === null ? 'unknown' : String(x.verdict.conforms),
              },
              [
                `<code>${esc(x.node)}</code>`,
                esc(x.pods.join(', ')),
                verdictBadge(x.verdict),
                x.verdict
                  ? reasonList(x.verdict.reasons)
                  : '<span class="muted">The node is not known.</span>',
                evidenceCell(x.evidence),
              ],
            ),
          ),
        ),
      );
    }
    if (p.notScheduled.length > 0) body.push(`<p>Not scheduled: ${esc(p.notScheduled.join(', '))}.</p>`);
    body.push('</section>');
  }
  body.push('<h2>Federated workloads</h2>');
  if (r.workloads.length === 0) body.push('<p>No SovereignWorkload exists.</p>');
  for (const w of r.workloads) {
    body.push(
      `<section class="workload" data-workload="${esc(`${w.namespace}/${w.name}`)}">`,
      `<h3>${esc(`${w.namespace}/${w.name}`)}</h3>`,
      `<p class="intro">${esc(workloadIntro(w))}</p>`,
    );
    const chosenRows = w.placements.map((x) =>
      row(
        {
          class: 'cluster-placement',
          'data-cluster': x.cluster,
          'data-conforms': x.verdict === null ? 'unknown' : String(x.verdict.conforms),
          'data-state': x.state ?? 'none',
        },
        [
          `<code>${esc(x.cluster)}</code>`,
          x.chosen ? 'chosen' : 'not chosen',
          x.recorded ? esc(x.since ?? 'recorded') : '<span class="muted">-</span>',
          x.state === null
            ? '<span class="muted">-</span>'
            : `${esc(stateText(x))}${x.available === null ? '' : `<br><span class="muted">${x.available ? 'Available' : 'not Available'}</span>`}${
                x.leavingReason
                  ? `<br><code>${esc(x.leavingReason.code)}</code> ${esc(x.leavingReason.message)}`
                  : ''
              }${x.message ? `<br>Last error: ${esc(x.message)}` : ''}`,
          verdictBadge(x.verdict),
          x.verdict
            ? reasonList(x.verdict.reasons)
            : '<span class="muted">The member cluster is not known.</span>',
          evidenceCell(x.evidence),
        ],
      ),
    );
    const rejectedRows = w.decision.rejected
      .filter((x) => !w.placements.some((p) => p.cluster === x.cluster))
      .map((x) => {
        const candidate = x.reasons.every((reason) => reason.code === 'NotSelected');
        return row({ class: 'cluster-rejected', 'data-cluster': x.cluster }, [
          `<code>${esc(x.cluster)}</code>`,
          candidate ? 'not needed (failover candidate)' : 'rejected',
          '<span class="muted">-</span>',
          '<span class="muted">-</span>',
          verdictBadge({ conforms: candidate }),
          reasonList(x.reasons),
          '<span class="muted">-</span>',
        ]);
      });
    body.push(
      table(
        'clusters',
        ['Cluster', 'Decision', 'Recorded since', 'Hub state', 'Verdict', 'Reasons', 'Evidence'],
        [...chosenRows, ...rejectedRows],
      ),
      hubStatusHtml(w),
      '</section>',
    );
  }
  if (r.karmada) {
    body.push('<h2>Karmada placements</h2>', `<p class="intro">${esc(KARMADA_INTRO)}</p>`);
    if (r.karmada.templates.length === 0) body.push('<p>No policy of the report selects a template.</p>');
    for (const t of r.karmada.templates) {
      body.push(
        `<section class="karmada-template" data-template="${esc(`${t.kind}/${t.namespace}/${t.name}`)}">`,
        `<h3>${esc(karmadaTemplateHeading(t))}</h3>`,
        `<p class="intro">${esc(karmadaTemplateIntro(t))}</p>`,
        t.scheduled.length === 0
          ? '<p class="muted">Scheduled on no cluster.</p>'
          : table(
              'karmada-schedule',
              KARMADA_SCHEDULE_HEADER,
              t.scheduled.map((x) =>
                row(
                  {
                    class: 'karmada-scheduled',
                    'data-cluster': x.cluster,
                    'data-conforms': x.conforms === null ? 'unknown' : String(x.conforms),
                  },
                  [
                    `<code>${esc(x.cluster)}</code>`,
                    esc(x.replicas === null ? '-' : String(x.replicas)),
                    verdictBadge(x.conforms === null ? null : { conforms: x.conforms }),
                    x.conforms === null
                      ? '<span class="muted">Not a Karmada cluster here.</span>'
                      : x.reasons.length === 0
                        ? '<span class="muted">-</span>'
                        : reasonList(x.reasons),
                  ],
                ),
              ),
            ),
        t.notes.length > 0
          ? `<ul class="karmada-notes">${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
          : '',
        '</section>',
      );
    }
    body.push(
      '<h3>Karmada clusters</h3>',
      table(
        'karmada-clusters',
        KARMADA_CLUSTER_HEADER,
        r.karmada.clusters.flatMap((c) =>
          karmadaClusterRows(c).map((x) =>
            row({ class: 'karmada-cluster', 'data-cluster': c.name }, [
              x.cells[0] ? `<code>${esc(x.cells[0])}</code>` : '',
              esc(x.cells[1]),
              esc(x.cells[2]),
              esc(x.cells[3]),
              x.verdict === null ? '<span class="muted">-</span>' : verdictBadge(x.verdict),
              x.reasons.length === 0 ? '<span class="muted">-</span>' : reasonList(x.reasons),
            ]),
          ),
        ),
      ),
    );
  }
  body.push(
    '<h2>Evidence: cloud services</h2>',
    table(
      'services',
      ['Cloud service', 'Provider', 'Ultimate parent', 'Badges', 'Other schemes'],
      r.cloudServices.map((s) =>
        row({ class: 'service', 'data-service': s.name }, [
          `<code>${esc(s.name)}</code>`,
          esc(`${s.provider.name} (${s.provider.legalJurisdiction})`),
          s.provider.ultimateParent
            ? esc(`${s.provider.ultimateParent.name} (${s.provider.ultimateParent.legalJurisdiction})`)
            : '<span class="muted">-</span>',
          s.badges.length === 0
            ? '<span class="muted">none</span>'
            : `<ul class="badges">${badgeLines(s.badges)
                .map((l) => `<li>${esc(l)}</li>`)
                .join('')}</ul>`,
          esc(
            Object.entries(s.schemeLevels ?? {})
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || '-',
          ),
        ]),
      ),
    ),
  );
  const h = r.auditHistory;
  if (h) {
    const rows = (cls: string, list: string[][]) => list.map((cells) => row({ class: cls }, cells.map(esc)));
    body.push(
      '<h2>Placement history (decision log)</h2>',
      `<p class="meta">${esc(periodText(h))}</p>`,
      '<h3>Where each pod ran</h3>',
      h.placements.length === 0
        ? '<p>No selected pod ran in the period.</p>'
        : table('placements-history', PLACEMENT_HEADER, rows('history-placement', placementRows(h))),
      '<h3>Moves</h3>',
      h.moves.length === 0
        ? '<p>No pod was evicted in the period.</p>'
        : table('moves', MOVE_HEADER, rows('history-move', moveRows(h))),
      '<h3>Verdicts</h3>',
      h.verdicts.length === 0
        ? '<p>No verdict changed in the period.</p>'
        : table('verdicts', VERDICT_HEADER, rows('history-verdict', verdictRows(h))),
    );
    if (h.decisions.length > 0)
      body.push(
        '<h3>Capacity and member clusters</h3>',
        table(
          'decisions',
          ['Time', 'Decision', 'Object', 'Target', 'Message'],
          rows(
            'history-decision',
            h.decisions.map((d) => [d.time, d.what, d.object, d.target ?? '-', d.message]),
          ),
        ),
      );
  }
  body.push('<h2>History</h2>');
  if (r.history === null) body.push('<p class="muted">Events are only available from a live cluster.</p>');
  else if (r.history.length === 0) body.push('<p>The cluster holds no Event of the operator.</p>');
  else {
    body.push(
      table(
        'history',
        ['Last seen', 'Type', 'Reason', 'Object', 'Count', 'Message'],
        r.history.map((e) =>
          row({ class: 'event', 'data-reason': e.reason }, [
            esc(e.time ?? '-'),
            esc(e.type),
            `<code>${esc(e.reason)}</code>`,
            esc(`${e.object.kind} ${e.object.namespace ? `${e.object.namespace}/` : ''}${e.object.name}`),
            esc(String(e.count)),
            esc(e.message),
          ]),
        ),
      ),
    );
  }
  body.push(
    `<footer>Generated by sovctl ${esc(r.versions.sovctl)} at ${esc(r.generatedAt)} for the instant ${esc(r.at)}. Audit log SHA-256: ${esc(r.integrity.auditLogSha256 ?? 'no audit log read')}. The last line of this file holds the SHA-256 of every line above it.</footer>`,
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Sovereignty report ${esc(r.at)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body><main>',
    ...body,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
