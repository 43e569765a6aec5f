import type { ObjectRefOutput, TemplateExplanation } from '../output-schema.ts';
import { codes, columns, yesNo } from './columns.ts';
import { describeRequirementOutput } from './sentences.ts';

/** The readable form of `sovctl explain deployment/<ns>/<name>` in a Karmada API server. */

/** As explain-table's refText: a cluster policy, which has no namespace, is named with its kind. */
const refText = (x: ObjectRefOutput): string =>
  x.namespace === null ? `${x.kind} ${x.name}` : `${x.namespace}/${x.name}`;

const NO_CLUSTER = 'no-conforming-cluster.sovereign-placement.io';

const names = (list: readonly string[] | null): string =>
  list === null || list.length === 0
    ? 'no cluster name (every cluster the rest of the placement allows)'
    : list.length === 1 && list[0] === NO_CLUSTER
      ? `no cluster (${NO_CLUSTER})`
      : list.join(', ');

const replicas = (n: number | null): string => (n === null ? '' : ` (${n} replica${n === 1 ? '' : 's'})`);

function facts(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `  ${`${k}:`.padEnd(width)} ${v}`).join('\n');
}

export function renderTemplate(e: TemplateExplanation): string {
  const b = e.binding;
  const policies =
    e.policies.length === 0
      ? 'none'
      : e.policies
          .map(
            (p) =>
              `${refText(p.policy)} (${p.mode}): ${describeRequirementOutput(p.requirement)}, lead time ${p.expiryLeadTime}`,
          )
          .join('; ');
  const pinned = !b
    ? '-'
    : b.pinned.length <= 1
      ? names(b.pinned[0] ?? null)
      : b.pinned.map((t, i) => `term ${i + 1}: ${names(t)}`).join('; ');
  const pinState =
    e.pin.upToDate === null
      ? e.pin.expected
        ? `would be ${e.pin.expected.map(names).join('; ')}`
        : 'not pinned by the operator (no Enforce policy selects it)'
      : e.pin.upToDate
        ? 'as the operator would write it now'
        : 'DIFFERS from what the operator would write now (below)';
  const head = [
    `${e.kind} ${e.namespace}/${e.name} at ${e.at}`,
    facts([
      ['policies', policies],
      [
        'binding',
        b
          ? `${b.name}${b.replicaScheduling ? ` (${b.replicaScheduling})` : ''}`
          : 'none: Karmada has made no ResourceBinding',
      ],
      [
        'scheduled on',
        !b
          ? '-'
          : b.scheduled.length === 0
            ? 'no cluster'
            : b.scheduled.map((c) => `${c.cluster}${replicas(c.replicas)}`).join(', '),
      ],
      ['pinned to', pinned],
      [
        'conforming',
        e.policies.some((p) => p.mode === 'Enforce')
          ? names(e.conforming.length ? e.conforming : [NO_CLUSTER])
          : '-',
      ],
      ['pin', pinState],
    ]),
    '',
  ];
  if (!e.karmada) return [head[0], facts([['policies', policies]]), '', ...e.notes].join('\n');
  const table = columns(
    ['KARMADA CLUSTER', 'CONFORMS', 'SCHEDULED', 'REPLICAS', 'PINNED', 'REASONS'],
    e.clusters.map((c) => [
      c.name,
      yesNo(c.conforms),
      yesNo(c.scheduled),
      c.replicas === null ? '-' : String(c.replicas),
      yesNo(c.pinned),
      codes(c.reasons) || '-',
    ]),
  );
  const why = e.clusters.map(
    (c) =>
      `  ${c.name}: ${
        c.conforms
          ? 'conforms to every policy selecting the template.'
          : c.reasons.map((r) => r.message).join(' ')
      }`,
  );
  return [
    ...head,
    table,
    ...(e.policies.length > 0 ? ['', 'Why:', ...why] : []),
    ...(e.pin.differences.length > 0 ? ['', 'Pin:', ...e.pin.differences.map((d) => `  ${d}`)] : []),
    ...(e.notes.length > 0 ? ['', 'Notes:', ...e.notes.map((n) => `  ${n}`)] : []),
  ].join('\n');
}
