import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditRecord } from '../../../src/api/audit.ts';
import { createAuditLog, NO_AUDIT_LOG } from '../../../src/operator/audit.ts';

const dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (name: string) => ({
  time: '2026-06-01T00:00:00.000Z',
  what: 'PodEvicted' as const,
  object: { apiVersion: 'v1', kind: 'Pod', namespace: 'payments', name },
  reasons: [],
  message: `Pod ${name} evicted.`,
});

describe('the audit log', () => {
  it('appends one JSON line per record to a file, stamped with the schema and the operator version', () => {
    const file = join(dir, 'sub/audit.jsonl');
    const first = createAuditLog(file, '1.2.3');
    first.write(entry('a'));
    first.flush();
    // A restarted operator appends to the same file.
    const second = createAuditLog(file, '1.2.4');
    second.write(entry('b'));
    second.flush();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const records = lines.filter(Boolean).map((l) => auditRecord.parse(JSON.parse(l)));
    expect(records.map((r) => [r.object.name, r.operatorVersion, r.schema])).toEqual([
      ['a', '1.2.3', 'sovereign-placement.io/audit/v1'],
      ['b', '1.2.4', 'sovereign-placement.io/audit/v1'],
    ]);
  });

  it('is off without a destination', () => {
    expect(createAuditLog(undefined, '1')).toBe(NO_AUDIT_LOG);
    expect(createAuditLog('', '1')).toBe(NO_AUDIT_LOG);
  });
});
