import { HEALTH_NOTE } from '../hub-status.ts';
import type {
  ClaimExplanation,
  ClusterExplanation,
  ClusterPolicyExplanation,
  Explanation,
  NodeExplanation,
  ObjectRefOutput,
  PodExplanation,
  PolicyExplanation,
  VerdictOutput,
  VolumeExplanation,
  WorkloadExplanation,
} from '../output-schema.ts';
import { codes, columns, yesNo } from './columns.ts';
import { availableText, HEALTH_SOURCE_LINE, healthText } from './hub-text.ts';
import { describeRequirementOutput, placementSentencesOf, sentenceOf } from './sentences.ts';
import { renderTemplate } from './template-text.ts';

/**
 * "payments/ledger-sovereign-eu" for a namespaced object; a cluster policy, which has no namespace, is
 * named with its kind ("ClusterSovereigntyPolicy dora-sovereign-eu") so the two kinds never read alike.
 */
export const refText = (x: ObjectRefOutput): string =>
  x.namespace === null ? `${x.kind} ${x.name}` : `${x.namespace}/${x.name}`;

const refs = (r: readonly ObjectRefOutput[]): string => (r.length === 0 ? '-' : r.map(refText).join(', '));

const facts = (pairs: [string, string][]): string => {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `  ${`${k}:`.padEnd(width)} ${v}`).join('\n');
};

/** Every verdict as the domain's sentence, under a heading per verdict. */
function why(
  entries: readonly { heading: string; verdict: VerdictOutput | null; fallback?: string }[],
): string {
  if (entries.length === 0) return '';
  const lines = entries.map(
    (e) => `  ${e.heading}\n    ${e.verdict ? sentenceOf(e.verdict) : (e.fallback ?? 'No verdict.')}`,
  );
  return `\nWhy:\n${lines.join('\n')}`;
}

function verdictsInUse(subject: NodeExplanation | ClusterExplanation | VolumeExplanation): string {
  const rows = subject.verdicts.map((v) => [
    v.verdict.requirement.badge,
    v.verdict.requirement.area,
    v.verdict.requirement.minimumAssurance,
    v.expiryLeadTime,
    yesNo(v.verdict.conforms),
    codes(v.verdict.reasons),
    v.verdict.nextTransitionAt ?? '-',
    refs(v.usedBy),
  ]);
  const table = columns(
    ['BADGE', 'AREA', 'MIN ASSURANCE', 'LEAD', 'CONFORMS', 'REASONS', 'NEXT CHANGE', 'USED BY'],
    rows,
  );
  const sentences = why(
    subject.verdicts.map((v) => ({
      heading: `${v.verdict.requirement.badge} / ${v.verdict.requirement.area} / ${v.verdict.requirement.minimumAssurance} (lead time ${v.expiryLeadTime}):`,
      verdict: v.verdict,
    })),
  );
  const none = subject.verdicts.length === 0 ? '\n(no requirement: no policy, workload or area exists)' : '';
  return `${table}${none}\n${sentences}`;
}

function node(e: NodeExplanation): string {
  return [
    `Node ${e.name} at ${e.at}`,
    facts([
      [
        'cloud service',
        e.facts.cloudService ? `${e.facts.cloudService} (provider ${e.facts.provider})` : 'unknown',
      ],
      ['country', e.facts.country ?? 'unknown'],
      ['cordoned', yesNo(e.facts.cordoned)],
    ]),
    '',
    verdictsInUse(e),
  ].join('\n');
}

/** The conditions the hub recorded, one row each. */
function conditionsTable(conditions: ClusterExplanation['recorded']['conditions']): string {
  return columns(
    ['CONDITION', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
    conditions.map((c) => [c.type, c.status, c.reason ?? '-', c.lastTransitionTime ?? '-', c.message ?? '']),
  );
}

/** Why each recorded placement is leaving, and the last error the hub met, one line each. */
function placementNotes(
  entries: readonly {
    subject: string;
    reason: { message: string } | null;
    message: string | null;
  }[],
): string[] {
  return entries.flatMap((p) => [
    ...(p.reason ? [`  ${p.subject} leaving: ${p.reason.message}`] : []),
    ...(p.message ? [`  ${p.subject} last error: ${p.message}`] : []),
  ]);
}

function cluster(e: ClusterExplanation): string {
  const r = e.recorded;
  const workloads =
    e.workloads.length === 0
      ? ["No SovereignWorkload's status places it on this member."]
      : [
          columns(
            ['WORKLOAD', 'STATE', 'SINCE', 'AVAILABLE', 'LEAVING SINCE', 'LEAVING REASON'],
            e.workloads.map((w) => [
              `${w.namespace}/${w.name}`,
              w.state,
              w.since,
              availableText(w.available),
              w.leavingSince ?? '-',
              w.reason?.code ?? '-',
            ]),
          ),
          ...placementNotes(
            e.workloads.map((w) => ({
              subject: `${w.namespace}/${w.name}`,
              reason: w.reason,
              message: w.message,
            })),
          ),
        ];
  return [
    `MemberCluster ${e.name} at ${e.at}`,
    facts([
      [
        'cloud service',
        e.facts.cloudService ? `${e.facts.cloudService} (provider ${e.facts.provider})` : 'unknown',
      ],
      ['country', e.facts.country ?? 'unknown'],
      ['healthy', healthText(e.facts.healthy, e.facts.healthSource, r.conditions)],
      ['cordoned', yesNo(e.facts.cordoned)],
      ['last heartbeat', r.lastHeartbeatTime ?? 'none recorded'],
      ['kubernetes version', r.kubernetesVersion ?? 'none recorded'],
    ]),
    '',
    'Recorded by the hub (status):',
    r.conditions.length === 0
      ? 'No condition recorded: the hub has not judged this member.'
      : conditionsTable(r.conditions),
    '',
    'Workloads placed here (from their status):',
    ...workloads,
    '',
    verdictsInUse(e),
  ].join('\n');
}

function pod(e: PodExplanation): string {
  const rows = e.policies.map((p) => [
    refText(p.policy),
    p.mode,
    p.status,
    p.pinned === null ? '-' : yesNo(p.pinned),
    p.verdict ? codes(p.verdict.reasons) : '-',
  ]);
  const head = [
    `Pod ${e.namespace}/${e.name} at ${e.at}`,
    facts([
      ['node', e.node ?? 'not scheduled'],
      ['phase', e.phase ?? 'unknown'],
      ['workload kind', e.workloadKind],
      [
        'pinned by',
        e.pinnedBy === null
          ? 'no policies annotation (not pinned at admission)'
          : e.pinnedBy.length === 0
            ? 'none'
            : e.pinnedBy.map(refText).join(', '),
      ],
    ]),
    '',
  ];
  if (e.policies.length === 0) return [...head, 'No policy selects this pod.'].join('\n');
  const sentences = why(
    e.policies.map((p) => ({
      heading: `${refText(p.policy)}:`,
      verdict: p.verdict,
      fallback:
        p.status === 'NotScheduled'
          ? 'The pod is not scheduled yet: it can only be bound to a conforming node.'
          : `Node ${e.node} is not known.`,
    })),
  );
  return [...head, columns(['POLICY', 'MODE', 'STATUS', 'PINNED', 'REASONS'], rows), sentences].join('\n');
}

/** A label selector as kubectl writes one: "a=b,c in (d,e),!f"; everything when empty. */
function selectorText(s: ClusterPolicyExplanation['namespaceSelector']): string {
  const parts = [
    ...Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(s.matchExpressions ?? []).map((x) => {
      const values = (x.values ?? []).join(',');
      if (x.operator === 'In') return `${x.key} in (${values})`;
      if (x.operator === 'NotIn') return `${x.key} notin (${values})`;
      return x.operator === 'Exists' ? x.key : `!${x.key}`;
    }),
  ];
  return parts.length === 0 ? 'every namespace' : parts.join(',');
}

function policy(e: PolicyExplanation | ClusterPolicyExplanation): string {
  const c = e.capacity;
  const byService = c.byService
    .map((s) => `${s.provider} / ${s.cloudService}: ${s.conformingNodes}`)
    .join('; ');
  const capacity = [
    `${c.conformingNodes} conforming node${c.conformingNodes === 1 ? '' : 's'}, ${c.schedulableConformingNodes} accepting pods, on ${c.providers} provider${c.providers === 1 ? '' : 's'} (minimum ${c.minimumProviders})`,
    byService ? `: ${byService}` : '',
    c.reasons.length > 0 ? `. ${c.reasons.map((r) => `${r.code}: ${r.message}`).join(' ')}` : '',
  ].join('');
  const nodes = columns(
    ['NODE', 'ACCEPTED', 'ACCEPTS PODS', 'REASONS', 'NEXT CHANGE'],
    e.nodes.map((n) => [
      n.verdict.target.name,
      yesNo(n.accepted),
      yesNo(n.acceptsPods),
      codes(n.verdict.reasons),
      n.verdict.nextTransitionAt ?? '-',
    ]),
  );
  const pods =
    e.pods.length === 0
      ? 'No pod is selected.'
      : columns(
          ['POD', 'NODE', 'NODE CONFORMS'],
          e.pods.map((p) => [`${p.namespace}/${p.name}`, p.node ?? '(not scheduled)', yesNo(p.conforms)]),
        );
  const scope: [string, string][] =
    e.kind === 'ClusterSovereigntyPolicy'
      ? [
          ['namespaces', selectorText(e.namespaceSelector)],
          ['selected', e.namespaces.length === 0 ? 'no known namespace' : e.namespaces.join(', ')],
        ]
      : [];
  return [
    e.kind === 'ClusterSovereigntyPolicy'
      ? `ClusterSovereigntyPolicy ${e.name} at ${e.at}`
      : `SovereigntyPolicy ${e.namespace}/${e.name} at ${e.at}`,
    facts([
      ['mode', e.mode],
      ...scope,
      ['requirement', describeRequirementOutput(e.requirement)],
      ['expiry lead time', e.expiryLeadTime],
      ['capacity', capacity],
    ]),
    '',
    nodes,
    '',
    pods,
    why(e.nodes.map((n) => ({ heading: `${n.verdict.target.name}:`, verdict: n.verdict }))),
  ].join('\n');
}

/** What the hub recorded for a workload, and how it compares with the recomputed placement. */
function recordedWorkload(e: WorkloadExplanation): string[] {
  const r = e.recorded;
  if (!r.present) {
    return [
      'Recorded by the hub (status): nothing yet, the hub has not placed this workload.',
      ...r.differences.map((d) => `  ${d}`),
    ];
  }
  const placements =
    r.placements.length === 0
      ? ['No placement recorded.']
      : [
          columns(
            ['CLUSTER', 'STATE', 'SINCE', 'AVAILABLE', 'LEAVING SINCE', 'LEAVING REASON'],
            r.placements.map((p) => [
              p.cluster,
              p.state,
              p.since,
              availableText(p.available),
              p.leavingSince ?? '-',
              p.reason?.code ?? '-',
            ]),
          ),
          ...placementNotes(
            r.placements.map((p) => ({ subject: p.cluster, reason: p.reason, message: p.message })),
          ),
        ];
  const generation = r.observedGeneration === null ? '' : `, observed generation ${r.observedGeneration}`;
  return [
    `Recorded by the hub (status${generation}):`,
    ...placements,
    '',
    r.conditions.length === 0 ? 'No condition recorded.' : conditionsTable(r.conditions),
    '',
    ...(r.matchesRecomputed
      ? ['The placement the hub recorded agrees with the one recomputed here.']
      : [
          'The placement the hub recorded DIFFERS from the one recomputed here:',
          ...r.differences.map((d) => `  - ${d}`),
          `  ${HEALTH_NOTE}`,
        ]),
  ];
}

function workload(e: WorkloadExplanation): string {
  const chosen = new Set(e.placement.placements.map((p) => p.cluster));
  const health = new Map(e.health.map((h) => [h.cluster, h]));
  const healthCell = (name: string): string => {
    const h = health.get(name);
    return h === undefined ? '-' : h.source === 'Assumed' ? 'assumed' : yesNo(h.healthy);
  };
  const rows = e.verdicts.map((v) => [
    v.target.name,
    yesNo(chosen.has(v.target.name)),
    healthCell(v.target.name),
    yesNo(v.conforms),
    codes(v.reasons),
    v.nextTransitionAt ?? '-',
  ]);
  return [
    `SovereignWorkload ${e.namespace}/${e.name} at ${e.at}`,
    facts([
      ['requirement', describeRequirementOutput(e.requirement)],
      ['expiry lead time', e.expiryLeadTime],
      [
        'placement',
        `${e.clusters} cluster${e.clusters === 1 ? '' : 's'}, spread across ${e.spreadAcrossProviders} provider${e.spreadAcrossProviders === 1 ? '' : 's'}`,
      ],
      ['decision', `${e.placement.complete ? 'complete' : 'INCOMPLETE'} (${codes(e.placement.reasons)})`],
    ]),
    '',
    'Recomputed here from the same objects:',
    columns(['CLUSTER', 'CHOSEN', 'HEALTHY', 'CONFORMS', 'REASONS', 'NEXT CHANGE'], rows),
    HEALTH_SOURCE_LINE,
    '',
    'Decision:',
    ...placementSentencesOf(e.placement).map((s) => `  ${s}`),
    '',
    ...recordedWorkload(e),
    why(e.verdicts.map((v) => ({ heading: `${v.target.name}:`, verdict: v }))),
  ].join('\n');
}

function volume(e: VolumeExplanation): string {
  return [
    `PersistentVolume ${e.name} at ${e.at}`,
    facts([
      ['storage class', e.facts.storageClass ?? 'none'],
      ['CSI drivers', e.facts.csiDrivers.length === 0 ? 'none' : e.facts.csiDrivers.join(', ')],
      [
        'cloud service',
        e.facts.cloudService ? `${e.facts.cloudService} (provider ${e.facts.provider})` : 'unknown',
      ],
      ['country', e.facts.country ?? 'unknown (node affinity does not pin one country)'],
      ['claim', e.claim ? `${e.claim.namespace}/${e.claim.name}` : 'none'],
    ]),
    '',
    verdictsInUse(e),
    'A volume that stops conforming is reported, never moved: data cannot be evicted like a pod.',
  ].join('\n');
}

function claim(e: ClaimExplanation): string {
  const head = [
    `PersistentVolumeClaim ${e.namespace}/${e.name} at ${e.at}`,
    facts([
      ['storage class', `${e.storageClass ?? 'none'}${e.defaultedClass ? ' (default)' : ''}`],
      ['volume', e.volume ?? 'not bound'],
      ['mounted by', e.pods.length === 0 ? 'no pod' : e.pods.join(', ')],
      ['admission', e.admission.allowed ? 'allowed' : `refused: ${e.admission.reason?.message ?? ''}`],
    ]),
    '',
  ];
  if (e.policies.length === 0) return [...head, 'No policy selects this claim by its labels.'].join('\n');
  const rows = e.policies.map((p) => [
    refText(p.policy),
    p.mode,
    p.verdict.target.kind === 'Volume' ? `volume ${p.verdict.target.name}` : `class ${p.verdict.target.name}`,
    yesNo(p.verdict.conforms),
    codes(p.verdict.reasons),
  ]);
  const sentences = why(e.policies.map((p) => ({ heading: `${refText(p.policy)}:`, verdict: p.verdict })));
  return [...head, columns(['POLICY', 'MODE', 'JUDGED', 'CONFORMS', 'REASONS'], rows), sentences].join('\n');
}

/** The readable form of an explanation (`-o table`). */
export function renderExplanation(e: Explanation): string {
  switch (e.kind) {
    case 'Node':
      return `${node(e)}\n`;
    case 'Pod':
      return `${pod(e)}\n`;
    case 'SovereigntyPolicy':
    case 'ClusterSovereigntyPolicy':
      return `${policy(e)}\n`;
    case 'MemberCluster':
      return `${cluster(e)}\n`;
    case 'SovereignWorkload':
      return `${workload(e)}\n`;
    case 'PersistentVolume':
      return `${volume(e)}\n`;
    case 'PersistentVolumeClaim':
      return `${claim(e)}\n`;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return `${renderTemplate(e)}\n`;
  }
}
