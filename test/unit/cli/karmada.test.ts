import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainOutput } from '../../../src/cli/output-schema.ts';
import { AT, cli, ROOT } from './helpers.ts';
import { checkJsonSchema } from './json-schema-check.ts';

/** A Karmada API server's objects (test/fixtures/karmada/control-plane/*.yaml says what each one is for). */
const KARMADA = join(ROOT, 'test/fixtures/karmada/control-plane');

async function explainJson(target: string, inventory = KARMADA): Promise<any> {
  const r = await cli('explain', target, '--inventory', inventory, '--at', AT, '-o', 'json');
  if (r.code !== 0) throw new Error(`explain ${target} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const cluster = (e: any, name: string) => e.clusters.find((c: any) => c.name === name);
const codes = (c: any) => c.reasons.map((r: any) => r.code);

describe('sovctl explain of a resource template in a Karmada control plane', () => {
  it('judges every Karmada cluster from its MemberCluster record and Ready condition, with reasons', async () => {
    const e = await explainJson('deployment/payments/ledger');
    expect(e.kind).toBe('Deployment');
    expect(e.karmada).toBe(true);
    expect(e.policies.map((p: any) => [p.policy.name, p.mode])).toEqual([['ledger-sovereign-eu', 'Enforce']]);
    expect(e.clusters.map((c: any) => c.name)).toEqual([
      'berlin',
      'frankfurt',
      'helsinki',
      'oslo',
      'paris',
      'vienna',
    ]);
    expect(Object.fromEntries(e.clusters.map((c: any) => [c.name, codes(c)]))).toEqual({
      berlin: [],
      frankfurt: ['BadgeMissing', 'ParentJurisdictionOutsideArea'],
      helsinki: ['BadgeExpiringSoon'],
      oslo: ['UnknownCloudService'],
      paris: [],
      vienna: ['TargetUnhealthy'],
    });
    expect(e.conforming).toEqual(['berlin', 'paris']);
    expect(cluster(e, 'oslo').reasons[0].message).toContain('no valid MemberCluster named oslo');
    expect(cluster(e, 'paris').verdicts).toEqual([
      expect.objectContaining({
        conforms: true,
        policy: expect.objectContaining({ name: 'ledger-sovereign-eu' }),
      }),
    ]);
    expect(cluster(e, 'oslo').verdicts).toEqual([]);
  });

  it('says where Karmada scheduled it, with replicas when Divided, and what it is pinned to', async () => {
    const e = await explainJson('deploy/payments/ledger');
    expect(e.binding).toEqual({
      name: 'ledger-deployment',
      replicaScheduling: 'Divided',
      scheduled: [
        { cluster: 'paris', replicas: 2 },
        { cluster: 'berlin', replicas: 1 },
      ],
      pinned: [['berlin', 'paris']],
      pinnedToNoCluster: false,
      pinRecorded: true,
    });
    expect(cluster(e, 'paris')).toMatchObject({ conforms: true, scheduled: true, replicas: 2, pinned: true });
    expect(cluster(e, 'frankfurt')).toMatchObject({
      conforms: false,
      scheduled: false,
      replicas: null,
      pinned: false,
    });
    expect(e.pin).toEqual({ expected: [['berlin', 'paris']], upToDate: true, differences: [] });
    expect(e.notes).toEqual([]);
  });

  it('says when the pin written differs from the pin due now, and that it runs on a non-conforming cluster', async () => {
    const e = await explainJson('sts/payments/ledger-db');
    expect(e.kind).toBe('StatefulSet');
    expect(cluster(e, 'helsinki')).toMatchObject({ conforms: false, scheduled: true, pinned: true });
    expect(e.pin.upToDate).toBe(false);
    expect(e.pin.expected).toEqual([['berlin', 'paris']]);
    expect(e.pin.differences).toEqual([
      expect.stringContaining(
        'pinned to berlin, helsinki, paris, but the operator would pin it to berlin, paris now',
      ),
    ]);
    expect(e.notes.join(' ')).toContain('Scheduled on helsinki, which does not conform');
    expect(e.notes.join(' ')).toContain('expires at 2026-06-02T00:00:00Z');
  });

  it('says when Karmada has made no binding yet, and what the operator would pin it to', async () => {
    const e = await explainJson('deploy/payments/ledger-batch');
    expect(e.binding).toBeNull();
    expect(e.pin).toEqual({ expected: [['berlin', 'paris']], upToDate: null, differences: [] });
    expect(e.clusters.every((c: any) => c.scheduled === false && c.pinned === null)).toBe(true);
    expect(e.notes.join(' ')).toContain('Karmada has made no ResourceBinding for it yet');
    const text = await cli('explain', 'deploy/payments/ledger-batch', '--inventory', KARMADA, '--at', AT);
    expect(text.stdout).toContain('binding:      none: Karmada has made no ResourceBinding');
  });

  it('says "no cluster" for a binding pinned to NO_CONFORMING_CLUSTER', async () => {
    const e = await explainJson('deploy/payments/vault');
    expect(e.binding.pinnedToNoCluster).toBe(true);
    expect(e.binding.scheduled).toEqual([]);
    expect(e.conforming).toEqual([]);
    expect(e.pin.upToDate).toBe(true);
    expect(e.clusters.every((c: any) => c.conforms === false && codes(c).length > 0)).toBe(true);
    expect(codes(cluster(e, 'paris'))).toEqual(['SchemeLevelTooLow']);
    const text = await cli('explain', 'deploy/payments/vault', '--inventory', KARMADA, '--at', AT);
    expect(text.stdout).toContain('pinned to:    no cluster (no-conforming-cluster.sovereign-placement.io)');
    expect(text.stdout).toContain('Karmada places it nowhere rather than on a non-conforming cluster');
  });

  it('reports an Audit policy without pinning, and a template no policy selects', async () => {
    const web = await explainJson('deploy/payments/web');
    expect(web.policies.map((p: any) => p.mode)).toEqual(['Audit']);
    expect(web.pin).toEqual({ expected: null, upToDate: null, differences: [] });
    expect(cluster(web, 'oslo')).toMatchObject({ conforms: false, scheduled: true, pinned: null });
    expect(cluster(web, 'frankfurt')).toMatchObject({ conforms: true, scheduled: true });
    const job = await explainJson('job/payments/cleanup');
    expect(job.kind).toBe('Job');
    expect(job.policies).toEqual([]);
    expect(job.clusters.every((c: any) => c.conforms === null)).toBe(true);
    expect(job.notes.join(' ')).toContain(
      'No SovereigntyPolicy or ClusterSovereigntyPolicy selects this Job',
    );
  });

  it('says clearly when the inventory is not a Karmada API server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sovctl-plain-'));
    try {
      cpSync(KARMADA, dir, { recursive: true });
      rmSync(join(dir, 'karmada-clusters.yaml'));
      const e = await explainJson('deploy/payments/ledger', dir);
      expect(e.karmada).toBe(false);
      expect(e.clusters).toEqual([]);
      expect(e.conforming).toEqual([]);
      expect(e.notes[0]).toContain('it is not a Karmada API server');
      const missing = await cli('explain', 'deploy/payments/nothing', '--inventory', dir, '--at', AT);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('holds no Karmada Cluster');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts the kubectl spellings of the template kinds', async () => {
    for (const target of ['deployment', 'deployments', 'deploy', 'deployment.apps'])
      expect((await explainJson(`${target}/payments/ledger`)).name).toBe('ledger');
    for (const target of ['statefulset', 'statefulsets', 'sts'])
      expect((await explainJson(`${target}/payments/ledger-db`)).kind).toBe('StatefulSet');
    for (const target of ['job', 'jobs'])
      expect((await explainJson(`${target}/payments/cleanup`)).kind).toBe('Job');
    const r = await cli('explain', 'ds/payments/ledger', '--inventory', KARMADA, '--at', AT);
    expect(r.stderr).toContain('DaemonSet payments/ledger not found');
  });

  it('validates against docs/explain-output.schema.json and its zod source', async () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'docs/explain-output.schema.json'), 'utf8'));
    for (const target of [
      'deploy/payments/ledger',
      'sts/payments/ledger-db',
      'deploy/payments/ledger-batch',
      'deploy/payments/vault',
      'deploy/payments/web',
      'job/payments/cleanup',
    ]) {
      const e = await explainJson(target);
      expect(checkJsonSchema(schema, e), target).toEqual([]);
      expect(explainOutput.safeParse(e).success, target).toBe(true);
    }
    const yaml = await cli(
      'explain',
      'deploy/payments/ledger',
      '--inventory',
      KARMADA,
      '--at',
      AT,
      '-o',
      'yaml',
    );
    expect(yaml.stdout).toContain('kind: Deployment');
  });
});

describe('sovctl report with Karmada placements', () => {
  const report = async (...extra: string[]) => cli('report', '--inventory', KARMADA, '--at', AT, ...extra);

  it('lists each selected template with where it is scheduled and whether each cluster conforms', async () => {
    const r = JSON.parse((await report('-o', 'json')).stdout);
    expect(
      checkJsonSchema(JSON.parse(readFileSync(join(ROOT, 'docs/report-output.schema.json'), 'utf8')), r),
    ).toEqual([]);
    const k = r.karmada;
    expect(k.templates.map((t: any) => `${t.kind} ${t.namespace}/${t.name}`)).toEqual([
      'Deployment payments/ledger',
      'Deployment payments/ledger-batch',
      'Deployment payments/vault',
      'Deployment payments/web',
      'StatefulSet payments/ledger-db',
    ]);
    const db = k.templates.find((t: any) => t.name === 'ledger-db');
    expect(db.scheduled.map((s: any) => [s.cluster, s.conforms])).toEqual([
      ['berlin', true],
      ['helsinki', false],
      ['paris', true],
    ]);
    expect(db.pinUpToDate).toBe(false);
    expect(k.templates.find((t: any) => t.name === 'vault').pinnedToNoCluster).toBe(true);
    expect(k.templates.find((t: any) => t.name === 'ledger-batch').binding).toBeNull();
    expect(k.clusters.map((c: any) => [c.name, c.ready, c.cloudService])).toEqual([
      ['berlin', true, 'eurocloud-sovereign'],
      ['frankfurt', true, 'globalcloud-frankfurt'],
      ['helsinki', true, 'nordcloud-sovereign'],
      ['oslo', true, null],
      ['paris', true, 'eurocloud-sovereign'],
      ['vienna', false, 'eurocloud-sovereign'],
    ]);
    const paris = k.clusters.find((c: any) => c.name === 'paris');
    expect(paris.verdicts.map((v: any) => [v.policy.name, v.conforms])).toEqual([
      ['ledger-sovereign-eu', true],
      ['vault-secnumcloud', false],
      ['web-resilient', true],
    ]);
  });

  it('renders the section in Markdown and HTML, keeps the seal, and leaves it out without Karmada clusters', async () => {
    const md = (await report()).stdout;
    expect(md).toContain('## Karmada placements');
    expect(md).toContain('### StatefulSet payments/ledger-db');
    expect(md).toContain('| helsinki | 1 | **does not conform** | BadgeExpiringSoon:');
    expect(md).toContain('### Karmada clusters');
    const lines = md.trimEnd().split('\n');
    const body = `${lines.slice(0, -1).join('\n')}\n`;
    const { createHash } = await import('node:crypto');
    expect(lines.at(-1)).toBe(
      `SHA-256 of the lines above: ${createHash('sha256').update(body).digest('hex')}`,
    );
    const html = (await report('-o', 'html')).stdout;
    expect(html).toContain('<h2>Karmada placements</h2>');
    expect(html).toContain('data-template="StatefulSet/payments/ledger-db"');
    expect(html).toMatch(/<tr class="karmada-scheduled" data-cluster="helsinki" data-conforms="false">/);
    const plain = await cli('report', '--inventory', join(ROOT, 'test/fixtures/inventory'), '--at', AT);
    expect(plain.stdout).not.toContain('Karmada');
    const json = await cli(
      'report',
      '--inventory',
      join(ROOT, 'test/fixtures/inventory'),
      '--at',
      AT,
      '-o',
      'json',
    );
    expect(JSON.parse(json.stdout).karmada).toBeNull();
  });

  it('with -n, only the templates of that namespace', async () => {
    const r = JSON.parse((await report('-n', 'analytics', '-o', 'json')).stdout);
    expect(r.karmada.templates).toEqual([]);
    expect(r.karmada.clusters.every((c: any) => c.verdicts.length === 0)).toBe(true);
  });
});
