import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_SCHEMA_VERSION, type AuditRecord } from '../../../src/api/audit.ts';
import { auditHistory, parseAuditLog } from '../../../src/cli/audit-history.ts';
import { reportContentSha256 } from '../../../src/cli/report.ts';
import { AT, cli, INVENTORY, ROOT } from './helpers.ts';

const LOG = join(ROOT, 'test/fixtures/audit/decision-log.jsonl');
const T = (minute: number) => `2026-09-01T10:${String(minute).padStart(2, '0')}:00Z`;
const ms = (minute: number) => Date.parse(T(minute));

const evidence = {
  cloudService: 'eurocloud',
  provider: 'EuroCloud SAS',
  legalJurisdiction: 'FR',
  ultimateParentJurisdiction: null,
  badges: [
    {
      type: 'Sovereign' as const,
      area: 'eu',
      assurance: 'ThirdPartyCertified' as const,
      certifiedBy: 'CAB',
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2026-09-01T10:20:00Z',
      revokedAt: null,
      evidenceRef: 'https://example.eu/cert/1',
    },
  ],
};
const policy = (name: string) => ({
  apiVersion: 'sovereign-placement.io/v1alpha1',
  kind: 'SovereigntyPolicy',
  namespace: 'payments',
  name,
});
const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  namespace: 'payments',
  name,
  uid: `uid-${name}`,
});

function rec(minute: number, what: AuditRecord['what'], extra: Partial<AuditRecord>): AuditRecord {
  return {
    schema: AUDIT_SCHEMA_VERSION,
    operatorVersion: '0.1.0',
    time: T(minute),
    what,
    object: pod('x'),
    reasons: [],
    message: what,
    ...extra,
  };
}

const on = (node: string) => ({ target: { kind: 'Node' as const, name: node }, evidence, conforms: true });
const lines = [
  rec(1, 'PodPlaced', { object: pod('a'), by: policy('p1'), ...on('n1') }),
  // The same pod selected by a second policy, and seen again after an operator restart: one placement.
  rec(1, 'PodPlaced', { object: pod('a'), by: policy('p2'), ...on('n1') }),
  rec(5, 'PodPlaced', { object: pod('a'), by: policy('p1'), ...on('n1'), operatorVersion: '0.1.1' }),
  rec(2, 'PodPlaced', { object: pod('old'), by: policy('p1'), ...on('n1') }),
  rec(3, 'PodGone', { object: pod('old'), by: policy('p1'), target: { kind: 'Node', name: 'n1' } }),
  rec(20, 'VerdictRevoked', {
    object: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
    requirement: {
      badges: ['Sovereign'],
      badgeMatch: 'AnyOf',
      area: 'eu',
      minimumAssurance: 'SelfDeclared',
      sentence: 'the Sovereign badge for area eu at any assurance',
    },
    evidence,
    conforms: false,
    reasons: [{ code: 'BadgeExpired', message: 'expired' }],
  }),
  rec(21, 'PodEvicted', {
    object: pod('a'),
    by: policy('p1'),
    ...on('n1'),
    conforms: false,
    reasons: [{ code: 'BadgeExpired', message: 'expired' }],
  }),
  rec(21, 'PodEvicted', { object: pod('a'), by: policy('p2'), ...on('n1'), conforms: false }),
  rec(22, 'PodGone', { object: pod('a'), by: policy('p1'), target: { kind: 'Node', name: 'n1' } }),
  rec(22, 'PodPlaced', { object: pod('b'), by: policy('p1'), ...on('n2') }),
];
const text = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"not":"a record"}\nnot json\n`;
const log = parseAuditLog({ file: 'audit.jsonl', text });

describe('the placement history from the decision log', () => {
  it('reads every record, says which lines are not records, and hashes the file as sha256sum does', () => {
    expect(log.records).toHaveLength(lines.length);
    expect(log.invalid.map((i) => i.line)).toEqual([lines.length + 1, lines.length + 2]);
    expect(log.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('gives each pod once per node, from when it was seen there to its eviction', () => {
    const h = auditHistory(log, ms(10), ms(30));
    expect(h.placements.map((p) => [p.pod, p.node, p.from, p.until, p.ended, p.policies])).toEqual([
      [
        'payments/a',
        'n1',
        T(1),
        T(21),
        'Evicted',
        ['SovereigntyPolicy/payments/p1', 'SovereigntyPolicy/payments/p2'],
      ],
      ['payments/b', 'n2', T(22), null, null, ['SovereigntyPolicy/payments/p1']],
    ]);
    // `old` ended before the period: not in it.
    expect(h.placements[0]?.evictionReasons.map((r) => r.code)).toEqual(['BadgeExpired']);
    expect(h.placements[0]?.badges[0]).toMatchObject({
      evidenceRef: 'https://example.eu/cert/1',
      certifiedBy: 'CAB',
    });
    expect(h.moves.map((m) => [m.time, m.pod, m.node, m.policy])).toEqual([
      [T(21), 'payments/a', 'n1', 'SovereigntyPolicy/payments/p1'],
      [T(21), 'payments/a', 'n1', 'SovereigntyPolicy/payments/p2'],
    ]);
    expect(h.verdicts).toEqual([
      {
        time: T(20),
        change: 'Revoked',
        target: 'Node/n1',
        requirement: 'the Sovereign badge for area eu at any assurance',
        cloudService: 'eurocloud',
        reasons: ['BadgeExpired'],
        evidenceRefs: ['https://example.eu/cert/1'],
      },
    ]);
    expect(h.log).toMatchObject({
      records: lines.length,
      recordsInPeriod: 5,
      operatorVersions: ['0.1.0', '0.1.1'],
    });
  });

  it('stops at the end of the period: what came later is not known yet', () => {
    const h = auditHistory(log, null, ms(21));
    expect(h.placements.map((p) => [p.pod, p.until])).toEqual([
      ['payments/a', null],
      ['payments/old', T(3)],
    ]);
    expect(h.moves).toEqual([]);
    expect(h.since).toBeNull();
  });
});

describe('sovctl report --audit-log', () => {
  const report = (...extra: string[]) =>
    cli('report', '--inventory', INVENTORY, '--at', AT, '--audit-log', LOG, ...extra);

  it('rebuilds the moves of the e2e run of a badge expiry, with the versions and hashes', async () => {
    const r = await report('--until', '2026-12-02', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const h = out.auditHistory;
    const expiring = h.placements.filter((p: any) =>
      p.policies.includes('SovereigntyPolicy/payments/expiring'),
    );
    expect(expiring.map((p: any) => [p.node, p.ended])).toEqual([
      ['exp-1', 'Evicted'],
      ['exp-1', 'Evicted'],
      ['sov-1', null],
      ['sov-2', null],
    ]);
    expect(expiring[0].badges[0].evidenceRef).toBe('https://certificates.example.eu/cispe/exp-7');
    expect(
      h.moves.filter((m: any) => m.node === 'exp-1').map((m: any) => m.reasons.map((x: any) => x.code)),
    ).toEqual([
      ['NodeNotConforming', 'BadgeExpired'],
      ['NodeNotConforming', 'BadgeExpired'],
    ]);
    expect(out.versions).toEqual({ sovctl: '0.1.0', operator: ['0.1.0'] });
    expect(out.generatedAt).toBe(AT);
    const file = readFileSync(LOG);
    expect(out.integrity.auditLogSha256).toBe(createHash('sha256').update(file).digest('hex'));
    // The content hash is the report's own, and changes with any edit.
    expect(out.integrity.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(reportContentSha256(out)).toBe(out.integrity.contentSha256);
    const edited = { ...out, summary: { ...out.summary, podsOnNonConformingNodes: 0 } };
    expect(reportContentSha256(edited)).not.toBe(out.integrity.contentSha256);
  });

  it('a period: --since leaves out what ended before it', async () => {
    const out = JSON.parse(
      (await report('--since', '2026-12-01T06:05:33Z', '--until', '2026-12-02', '-o', 'json')).stdout,
    );
    expect(out.auditHistory.moves).toEqual([]);
    expect(out.auditHistory.placements.every((p: any) => p.ended === null)).toBe(true);
    expect(out.auditHistory.since).toBe('2026-12-01T06:05:33.000Z');
  });

  it('Markdown and HTML end with the SHA-256 of every line above', async () => {
    for (const format of ['md', 'html']) {
      const r = await report('--until', '2026-12-02', '-o', format);
      const all = r.stdout.split('\n');
      expect(all.at(-1)).toBe('');
      const last = all.at(-2) ?? '';
      const body = `${all.slice(0, -2).join('\n')}\n`;
      expect(last).toContain(
        `SHA-256 of the lines above: ${createHash('sha256').update(body).digest('hex')}`,
      );
      expect(r.stdout).toContain('Placement history (decision log)');
      expect(r.stdout).toContain('expiring-6cddb6d4f9-fc6t5');
    }
  });

  it('refuses --since without --audit-log, and a period that ends before it starts', async () => {
    const bare = await cli('report', '--inventory', INVENTORY, '--since', '2026-01-01');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--since and --until need --audit-log');
    const backwards = await report('--since', '2026-12-02', '--until', '2026-12-01');
    expect(backwards.code).toBe(2);
    const badInstant = await report('--since', 'yesterday');
    expect(badInstant.stderr).toContain('invalid --since "yesterday"');
  });
});
