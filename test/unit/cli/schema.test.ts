import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainOutput, jsonSchemas, reportOutput } from '../../../src/cli/output-schema.ts';
import { REASON_CODES } from '../../../src/domain/index.ts';
import { CLUSTERS, explainJson, NODES, ROOT, reportJson, VOLUMES } from './helpers.ts';
import { checkJsonSchema } from './json-schema-check.ts';

const docs = (name: string) => JSON.parse(readFileSync(join(ROOT, 'docs', name), 'utf8'));

/** Real outputs of every kind, from the fixtures. */
async function explanations(): Promise<any[]> {
  return [
    ...(await Promise.all(NODES.map((n) => explainJson(`node/${n}`)))),
    ...(await Promise.all(CLUSTERS.map((c) => explainJson(`cluster/${c}`)))),
    await explainJson('pod/payments/ledger-0'),
    await explainJson('pod/payments/ledger-2'),
    await explainJson('pod/payments/web-6d4f9-abcde'),
    await explainJson('pod/analytics/reports-7c9d8-x2x1z'),
    await explainJson('spol/payments/ledger-sovereign-eu'),
    await explainJson('cspol/dora-sovereign-eu'),
    await explainJson('spol/analytics/reports-resilient'),
    await explainJson('swl/payments/ledger-api'),
    await explainJson('swl/archive/cold-storage'),
    ...(await Promise.all(VOLUMES.map((v) => explainJson(`pv/${v}`)))),
    await explainJson('pvc/payments/ledger-data'),
    await explainJson('pvc/payments/ledger-scratch'),
    await explainJson('pvc/payments/ledger-cache'),
  ];
}

/** Every verdict object in a document (anything with target, requirement and conforms). */
function verdicts(value: unknown, found: any[] = []): any[] {
  if (Array.isArray(value)) for (const v of value) verdicts(v, found);
  else if (value && typeof value === 'object') {
    if ('target' in value && 'requirement' in value && 'conforms' in value) found.push(value);
    else for (const v of Object.values(value)) verdicts(v, found);
  }
  return found;
}

describe('JSON output schemas', () => {
  it('docs/*.schema.json are generated from src/cli/output-schema.ts (run src/cli/write-schemas.ts)', () => {
    for (const [path, schema] of Object.entries(jsonSchemas())) {
      expect(JSON.parse(readFileSync(join(ROOT, path), 'utf8')), path).toEqual(schema);
    }
  });

  it('every explain output validates against docs/explain-output.schema.json and its zod source', async () => {
    const schema = docs('explain-output.schema.json');
    const outputs = await explanations();
    expect(new Set(outputs.map((o) => o.kind))).toEqual(
      new Set([
        'Node',
        'Pod',
        'SovereigntyPolicy',
        'ClusterSovereigntyPolicy',
        'MemberCluster',
        'SovereignWorkload',
        'PersistentVolume',
        'PersistentVolumeClaim',
      ]),
    );
    for (const output of outputs) {
      expect(checkJsonSchema(schema, output), `${output.kind} ${output.name}`).toEqual([]);
      expect(explainOutput.safeParse(output).success).toBe(true);
    }
  });

  it('the report validates against docs/report-output.schema.json and its zod source', async () => {
    const report = await reportJson();
    expect(checkJsonSchema(docs('report-output.schema.json'), report)).toEqual([]);
    expect(reportOutput.safeParse(report).success).toBe(true);
  });

  it('the schema check is not vacuous: undocumented fields, wrong types and missing fields fail', async () => {
    const schema = docs('explain-output.schema.json');
    const node = await explainJson('node/fr-par-1');
    expect(checkJsonSchema(schema, { ...node, extra: 1 })).not.toEqual([]);
    const broken = structuredClone(node);
    broken.verdicts[0].verdict.conforms = 'yes';
    expect(checkJsonSchema(schema, broken)).not.toEqual([]);
    const missing = structuredClone(node);
    delete missing.verdicts[0].verdict.nextTransitionAt;
    expect(checkJsonSchema(schema, missing)).not.toEqual([]);
    expect(explainOutput.safeParse(missing).success).toBe(false);
  });

  it('the heart of every output is exactly the domain verdict: target, requirement, conforms, reasons, nextTransitionAt', async () => {
    const all = [...(await explanations()), await reportJson()].flatMap((o) => verdicts(o));
    expect(all.length).toBeGreaterThan(90);
    for (const v of all) {
      expect(Object.keys(v)).toEqual(['target', 'requirement', 'conforms', 'reasons', 'nextTransitionAt']);
      expect(Object.keys(v.target)).toEqual(['kind', 'name']);
      expect(Object.keys(v.requirement)).toEqual(['badge', 'area', 'minimumAssurance']);
      for (const r of v.reasons) {
        expect(Object.keys(r)).toEqual(['code', 'message']);
        expect(REASON_CODES).toContain(r.code);
      }
    }
  });
});
