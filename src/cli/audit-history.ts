import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type AuditRecord, auditRecord } from '../api/audit.ts';

/**
 * `sovctl report --audit-log FILE --since T --until T`: the placement history of a period rebuilt from
 * the operator's decision log (docs/audit.md), rather than from the Events the cluster still holds. Pure
 * but for reading the file: which pod ran on which node, of which cloud service, under which badge, from
 * when to when; every move, verdict change and capacity change of the period.
 */

export interface AuditLogText {
  /** Where it was read from, as given. */
  file: string;
  text: string;
}

export interface ParsedAuditLog {
  file: string;
  /** SHA-256 of the file's bytes as read: `sha256sum FILE` gives the same. */
  sha256: string;
  records: AuditRecord[];
  /** Lines that are not a record of a known schema version (1-based), with why. */
  invalid: { line: number; error: string }[];
}

export function parseAuditLog({ file, text }: AuditLogText): ParsedAuditLog {
  const records: AuditRecord[] = [];
  const invalid: { line: number; error: string }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      invalid.push({ line: i + 1, error: 'not JSON' });
      return;
    }
    const parsed = auditRecord.safeParse(json);
    if (parsed.success) records.push(parsed.data);
    else invalid.push({ line: i + 1, error: parsed.error.issues[0]?.message ?? 'not an audit record' });
  });
  return { file, sha256: createHash('sha256').update(text).digest('hex'), records, invalid };
}

const reason = z.strictObject({ code: z.string(), message: z.string() });
const badgeHeld = z.strictObject({
  type: z.string(),
  area: z.string(),
  assurance: z.string(),
  certifiedBy: z.string().nullable(),
  validUntil: z.string(),
  evidenceRef: z.string().nullable(),
});

export const auditHistorySchema = z
  .strictObject({
    log: z.strictObject({
      file: z.string(),
      sha256: z.string().describe('SHA-256 of the audit log file as read (sha256sum gives the same).'),
      records: z.int().describe('Records read (all of the file, as earlier ones say what ran at the start).'),
      recordsInPeriod: z.int(),
      invalidLines: z.array(z.strictObject({ line: z.int(), error: z.string() })),
      operatorVersions: z.array(z.string()).describe('The operator versions that wrote the records read.'),
    }),
    since: z.string().nullable().describe('Start of the period (inclusive); null: from the first record.'),
    until: z.string().describe('End of the period (exclusive).'),
    placements: z
      .array(
        z.strictObject({
          pod: z.string().describe('namespace/name'),
          uid: z.string(),
          node: z.string(),
          cloudService: z.string().nullable(),
          badges: z.array(badgeHeld).describe("The cloud service's badges for the requirement when placed."),
          policies: z.array(z.string()).describe('The policies that selected the pod (kind/namespace/name).'),
          from: z.string().describe('When the operator first saw the pod on the node.'),
          until: z
            .string()
            .nullable()
            .describe('When it was evicted or gone; null when it still ran at the end of the period.'),
          ended: z.enum(['Evicted', 'Gone']).nullable(),
          conformedWhenPlaced: z.boolean().nullable(),
          evictionReasons: z.array(reason),
        }),
      )
      .describe('Each pod once, on each node it ran on during the period, by start.'),
    moves: z
      .array(
        z.strictObject({
          time: z.string(),
          pod: z.string(),
          node: z.string(),
          cloudService: z.string().nullable(),
          policy: z.string(),
          reasons: z.array(reason),
        }),
      )
      .describe('Every eviction of the period, oldest first.'),
    verdicts: z
      .array(
        z.strictObject({
          time: z.string(),
          change: z.enum(['Granted', 'Revoked']),
          target: z.string().describe('Node/<name> or MemberCluster/<name>'),
          requirement: z.string(),
          cloudService: z.string().nullable(),
          reasons: z.array(z.string()),
          evidenceRefs: z.array(z.string()),
        }),
      )
      .describe('Every verdict label granted or revoked in the period, oldest first.'),
    decisions: z
      .array(
        z.strictObject({
          time: z.string(),
          what: z.string(),
          object: z.string(),
          target: z.string().nullable(),
          message: z.string(),
        }),
      )
      .describe('Capacity lost or restored, member clusters chosen or left, in the period.'),
    counts: z.record(z.string(), z.int()).describe('Records of the period by what.'),
  })
  .describe('The placement history of a period, rebuilt from the decision log.');

export type AuditHistory = z.output<typeof auditHistorySchema>;

const refText = (o: { kind: string; namespace?: string | undefined; name: string }) =>
  `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/** The history of [since, until) from a parsed log. */
export function auditHistory(log: ParsedAuditLog, since: number | null, until: number): AuditHistory {
  const at = (r: AuditRecord) => Date.parse(r.time);
  const records = log.records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => at(a.r) - at(b.r) || a.i - b.i)
    .map(({ r }) => r)
    .filter((r) => at(r) < until);
  const inPeriod = (r: AuditRecord) => since === null || at(r) >= since;

  type Open = AuditHistory['placements'][number];
  const placements: Open[] = [];
  const open = new Map<string, Open>();
  for (const r of records) {
    if (r.object.kind !== 'Pod' || !r.object.uid) continue;
    const key = `${r.object.uid}|${r.target?.name ?? ''}`;
    const policy = r.by ? refText(r.by) : null;
    if (r.what === 'PodPlaced' && r.target) {
      const known = open.get(key);
      if (known) {
        // Another policy selecting the same pod, or the operator restarted: the same placement.
        if (policy && !known.policies.includes(policy)) known.policies.push(policy);
        continue;
      }
      const placement: Open = {
        pod: `${r.object.namespace ?? ''}/${r.object.name}`,
        uid: r.object.uid,
        node: r.target.name,
        cloudService: r.evidence?.cloudService ?? null,
        badges: (r.evidence?.badges ?? []).map((b) => ({
          type: b.type,
          area: b.area,
          assurance: b.assurance,
          certifiedBy: b.certifiedBy,
          validUntil: b.validUntil,
          evidenceRef: b.evidenceRef,
        })),
        policies: policy ? [policy] : [],
        from: r.time,
        until: null,
        ended: null,
        conformedWhenPlaced: r.conforms ?? null,
        evictionReasons: [],
      };
      open.set(key, placement);
      placements.push(placement);
    } else if ((r.what === 'PodEvicted' || r.what === 'PodGone') && r.target) {
      const placement = open.get(key);
      if (!placement) continue;
      if (r.what === 'PodEvicted') {
        if (placement.ended === 'Evicted') continue;
        placement.until = r.time;
        placement.ended = 'Evicted';
        placement.evictionReasons = r.reasons.map((x) => ({ code: x.code, message: x.message }));
      } else {
        // Gone after an eviction keeps the eviction's instant; the placement is closed for good.
        if (placement.ended === null) {
          placement.until = r.time;
          placement.ended = 'Gone';
        }
        open.delete(key);
      }
    }
  }
  const overlaps = (p: Open) => since === null || p.until === null || Date.parse(p.until) >= since;

  const period = records.filter(inPeriod);
  const counts: Record<string, number> = {};
  for (const r of period) counts[r.what] = (counts[r.what] ?? 0) + 1;
  const moves = period
    .filter((r) => r.what === 'PodEvicted')
    .map((r) => ({
      time: r.time,
      pod: `${r.object.namespace ?? ''}/${r.object.name}`,
      node: r.target?.name ?? '',
      cloudService: r.evidence?.cloudService ?? null,
      policy: r.by ? refText(r.by) : '',
      reasons: r.reasons.map((x) => ({ code: x.code, message: x.message })),
    }));
  const verdicts = period
    .filter((r) => r.what === 'VerdictGranted' || r.what === 'VerdictRevoked')
    .map((r) => ({
      time: r.time,
      change: r.what === 'VerdictGranted' ? ('Granted' as const) : ('Revoked' as const),
      target: `${r.object.kind}/${r.object.name}`,
      requirement: r.requirement?.sentence ?? '',
      cloudService: r.evidence?.cloudService ?? null,
      reasons: r.reasons.map((x) => x.code),
      evidenceRefs: (r.evidence?.badges ?? []).flatMap((b) => (b.evidenceRef ? [b.evidenceRef] : [])),
    }));
  const decisions = period
    .filter((r) => ['CapacityLost', 'CapacityRestored', 'ClusterChosen', 'ClusterLeft'].includes(r.what))
    .map((r) => ({
      time: r.time,
      what: r.what,
      object: refText(r.object),
      target: r.target ? `${r.target.kind}/${r.target.name}` : null,
      message: r.message,
    }));
  return {
    log: {
      file: log.file,
      sha256: log.sha256,
      records: log.records.length,
      recordsInPeriod: period.length,
      invalidLines: log.invalid,
      operatorVersions: [...new Set(log.records.map((r) => r.operatorVersion))].sort(),
    },
    since: since === null ? null : new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    placements: placements.filter(overlaps).map((p) => ({ ...p, policies: [...p.policies].sort() })),
    moves,
    verdicts,
    decisions,
    counts,
  };
}
