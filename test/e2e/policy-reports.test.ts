// PolicyReports on a real control plane: with --policy-reports the operator publishes each policy's
// results as a wgpolicyk8s.io/v1alpha2 PolicyReport and the nodes' verdicts as a ClusterPolicyReport (the
// chart's optional CRDs). The reports follow a badge revocation and a badge expiry: fail while the pods
// stay on the service, pass again once they moved; the node's results pass again once the badge is renewed.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  KubernetesObjectApi,
  loadYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditRecord, auditRecord } from '../../src/api/audit.ts';
import { API_VERSION } from '../../src/api/group.ts';
import { run } from '../../src/cli/program.ts';
import {
  type ClusterPolicyReportObject,
  NODES_REPORT_NAME,
} from '../../src/cluster/cluster-policy-reports.ts';
import type { PolicyReportObject } from '../../src/cluster/policy-reports.ts';
import { verdictLabelKey } from '../../src/domain/verdict-labels.ts';
import { waitFor } from '../harness/net.ts';
import { createKwokNode, waitForNodeReady } from '../harness/nodes.ts';
import {
  APP_NAMESPACE,
  applyPolicy,
  createCloudService,
  createDeployment,
  patchCloudService,
  setUnschedulable,
  sovereignBadge,
  startWorld,
  type World,
  waitForRunningPods,
} from '../harness/world.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const SOVEREIGN_NODES = ['sov-1', 'sov-2'];
const CRDS = ['policyreport-crd.yaml', 'clusterpolicyreport-crd.yaml'].map((f) =>
  join(import.meta.dirname, '../../charts/sovereign-placement/files', f),
);
let world: World | undefined;
let kc: KubeConfig;
const auditDir = mkdtempSync(join(tmpdir(), 'sovereign-placement-audit-'));
const AUDIT_LOG = join(auditDir, 'audit.jsonl');

/** Every record of the decision log so far, each checked against the schema. */
const auditRecords = (): AuditRecord[] =>
  readFileSync(AUDIT_LOG, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => auditRecord.parse(JSON.parse(line)));

beforeAll(async () => {
  world = await startWorld({ name: 'policy-reports' }, undefined, {
    args: ['--policy-reports', `--audit-log=${AUDIT_LOG}`],
  });
  ({ kc } = world);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const file of CRDS) {
    const body = loadYaml<V1CustomResourceDefinition>(readFileSync(file, 'utf8'));
    await api.createCustomResourceDefinition({ body });
    await waitFor(`${body.metadata?.name} Established`, async () => {
      const crd = await api.readCustomResourceDefinition({ name: body.metadata?.name ?? '' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
});
afterAll(async () => {
  await world?.stop();
  // SOVEREIGN_PLACEMENT_KEEP_AUDIT_LOG=<file> keeps the decision log of the run (docs/audit.md shows one).
  const keep = process.env.SOVEREIGN_PLACEMENT_KEEP_AUDIT_LOG;
  if (keep) copyFileSync(AUDIT_LOG, keep);
  rmSync(auditDir, { recursive: true, force: true });
});

const readReport = async (name: string): Promise<PolicyReportObject | undefined> =>
  (await kc
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({
      group: 'wgpolicyk8s.io',
      version: 'v1alpha2',
      namespace: APP_NAMESPACE,
      plural: 'policyreports',
      name,
    })
    .catch(() => undefined)) as PolicyReportObject | undefined;

const readNodesReport = async (): Promise<ClusterPolicyReportObject | undefined> =>
  (await kc
    .makeApiClient(CustomObjectsApi)
    .getClusterCustomObject({
      group: 'wgpolicyk8s.io',
      version: 'v1alpha2',
      plural: 'clusterpolicyreports',
      name: NODES_REPORT_NAME,
    })
    .catch(() => undefined)) as ClusterPolicyReportObject | undefined;

/** Waits until the nodes' report holds a result of `node` for `policy`'s requirement, valued `result`. */
const nodeResult = (node: string, policy: string, result: 'pass' | 'fail', timeoutMs = 60_000) =>
  waitFor(
    `${node} ${result} for ${policy}`,
    async () => {
      const report = await readNodesReport();
      const found = report?.results.find(
        (r) => r.resources[0]?.name === node && r.properties.policies?.split(',').includes(policy),
      );
      return found?.result === result ? { report, found } : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );

/** Waits until the report holds `count` results, all `result`, and returns it. */
const reportWith = (name: string, result: 'pass' | 'fail', count: number, timeoutMs = 90_000) =>
  waitFor(
    `${name}: ${count} ${result}`,
    async () => {
      const report = await readReport(name);
      const results = report?.results ?? [];
      return results.length === count && results.every((r) => r.result === result) ? report : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );

describe('PolicyReports', () => {
  it('follow a badge revocation: pass, fail while the pods stay, pass again after they moved', async () => {
    await createCloudService(kc, 'reported-sovereign', {
      provider: { name: 'Reported Cloud SA', legalJurisdiction: 'BE' },
      badges: [sovereignBadge('2028-01-01T00:00:00Z')],
    });
    await createKwokNode(kc, { name: 'rep-1', cloudService: 'reported-sovereign', country: 'BE' });
    await waitForNodeReady(kc, 'rep-1');
    await applyPolicy(kc, 'reported', {
      selector: { matchLabels: { app: 'reported' } },
      requirement: { badges: ['Sovereign'], area: 'eu' },
      // Long enough for the failing results to be seen before the pods move.
      failover: { gracePeriod: '8s' },
    });
    await waitFor('rep-1 verdict', async () => {
      const node = await world?.labelsOf('rep-1');
      return node?.[SOV_EU] !== undefined;
    });
    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, true);
    await createDeployment(kc, 'reported', 2, { app: 'reported' });
    await waitForRunningPods(kc, 'app=reported', 2);
    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, false);

    const passed = await reportWith('sovereign-placement-reported', 'pass', 2);
    expect(passed.summary).toEqual({ pass: 2, fail: 0, warn: 0, error: 0, skip: 0 });
    for (const r of passed.results) {
      expect(r).toMatchObject({
        policy: 'SovereigntyPolicy/reported',
        rule: 'the Sovereign badge for area eu at any assurance',
        source: 'sovereign-placement',
        properties: { node: 'rep-1', cloudService: 'reported-sovereign', reasons: 'Conforming' },
      });
      expect(r.resources[0]).toMatchObject({ kind: 'Pod', namespace: APP_NAMESPACE });
    }

    await patchCloudService(kc, 'reported-sovereign', {
      badges: [{ ...sovereignBadge('2028-01-01T00:00:00Z'), revokedAt: new Date().toISOString() }],
    });
    const failed = await reportWith('sovereign-placement-reported', 'fail', 2, 30_000);
    expect(failed.summary.fail).toBe(2);
    expect(failed.results[0]?.message).toMatch(/^Node rep-1 does not conform to the Sovereign badge/);
    expect(failed.results[0]?.properties.reasons).toContain('Revoked');

    const moved = await reportWith('sovereign-placement-reported', 'pass', 2);
    expect(moved.results.every((r) => SOVEREIGN_NODES.includes(r.properties.node ?? ''))).toBe(true);
    expect(moved.summary).toEqual({ pass: 2, fail: 0, warn: 0, error: 0, skip: 0 });
  });
});

describe('ClusterPolicyReport of the nodes, and PolicyReports, across a badge expiry', () => {
  it('turn to fail when the badge expires, the pods move, and the node passes again once renewed', async () => {
    // Verdict labels take the longest lead time any policy gives their badge: the first test's policy
    // (24h) would keep exp-1 unlabelled, as its badge expires within the day.
    await KubernetesObjectApi.makeApiClient(kc).delete({
      apiVersion: API_VERSION,
      kind: 'SovereigntyPolicy',
      metadata: { name: 'reported', namespace: APP_NAMESPACE },
    } as never);
    const expiresAt = Date.now() + 35_000;
    const badge = (validUntil: string) => ({
      ...sovereignBadge(validUntil, 'https://certificates.example.eu/cispe/exp-7'),
    });
    await createCloudService(kc, 'expiring-sovereign', {
      provider: { name: 'Expiring Cloud SA', legalJurisdiction: 'BE' },
      badges: [badge(new Date(expiresAt).toISOString())],
    });
    await createKwokNode(kc, { name: 'exp-1', cloudService: 'expiring-sovereign', country: 'BE' });
    await waitForNodeReady(kc, 'exp-1');
    await applyPolicy(kc, 'expiring', {
      selector: { matchLabels: { app: 'expiring' } },
      requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
      failover: { gracePeriod: '8s', expiryLeadTime: '0s' },
    });
    const policy = 'SovereigntyPolicy/payments/expiring';
    const { report: before, found: passed } = await nodeResult('exp-1', policy, 'pass');
    expect(passed).toMatchObject({
      rule: 'the Sovereign badge for area eu at ThirdPartyCertified or higher',
      source: 'sovereign-placement',
      resources: [{ apiVersion: 'v1', kind: 'Node', name: 'exp-1' }],
      properties: { cloudService: 'expiring-sovereign', reasons: 'Conforming', expiryLeadTime: '0s' },
    });
    // One result per node and requirement in use; the uncertified node fails this one.
    const ofPolicy = (r?: ClusterPolicyReportObject) =>
      (r?.results ?? []).filter((x) => x.properties.policies?.split(',').includes(policy));
    expect(
      ofPolicy(before)
        .map((r) => r.resources[0]?.name)
        .sort(),
    ).toEqual(['cheap-1', 'exp-1', 'rep-1', 'res-1', 'sov-1', 'sov-2']);
    expect(ofPolicy(before).find((r) => r.resources[0]?.name === 'cheap-1')?.result).toBe('fail');

    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, true);
    await createDeployment(kc, 'expiring', 2, { app: 'expiring' });
    await waitForRunningPods(kc, 'app=expiring', 2);
    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, false);
    const placed = await reportWith('sovereign-placement-expiring', 'pass', 2);
    expect(placed.results.every((r) => r.properties.node === 'exp-1')).toBe(true);
    expect(Date.now()).toBeLessThan(expiresAt);

    // The badge expires on its own: no object changes, the operator acts at validUntil.
    const { found: failed } = await nodeResult('exp-1', policy, 'fail', expiresAt - Date.now() + 30_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(failed.properties.reasons).toBe('BadgeExpired');
    expect(failed.message).toMatch(
      /^Node exp-1 does not conform to the Sovereign badge for area eu at ThirdPartyCertified or higher\. The Sovereign badge of CloudService expiring-sovereign for area eu expired/,
    );
    const podsFailed = await reportWith('sovereign-placement-expiring', 'fail', 2, 30_000);
    expect(podsFailed.results.every((r) => r.properties.reasons === 'BadgeExpired')).toBe(true);

    const moved = await reportWith('sovereign-placement-expiring', 'pass', 2);
    expect(moved.results.every((r) => SOVEREIGN_NODES.includes(r.properties.node ?? ''))).toBe(true);
    // The node still fails until the badge is renewed, then passes again.
    expect((await nodeResult('exp-1', policy, 'fail')).found.properties.reasons).toBe('BadgeExpired');
    await patchCloudService(kc, 'expiring-sovereign', { badges: [badge('2028-01-01T00:00:00Z')] });
    const { report: after } = await nodeResult('exp-1', policy, 'pass');
    expect(after?.summary.fail).toBe(after?.results.filter((r) => r.result === 'fail').length);
    expect(
      ofPolicy(after)
        .filter((r) => r.result === 'fail')
        .map((r) => r.resources[0]?.name)
        .sort(),
    ).toEqual(['cheap-1', 'rep-1', 'res-1']);

    // The decision log holds every step, with the evidence.
    const records = auditRecords();
    const ofExpiring = records.filter((r) => r.by?.name === 'expiring');
    const revoked = records.find(
      (r) => r.what === 'VerdictRevoked' && r.object.name === 'exp-1' && Date.parse(r.time) >= expiresAt,
    );
    expect(revoked).toMatchObject({
      object: { kind: 'Node', name: 'exp-1' },
      conforms: false,
      evidence: {
        cloudService: 'expiring-sovereign',
        provider: 'Expiring Cloud SA',
        badges: [
          {
            type: 'Sovereign',
            assurance: 'ThirdPartyCertified',
            certifiedBy: 'Example Conformity Assessment Body',
            validUntil: new Date(expiresAt).toISOString(),
            evidenceRef: 'https://certificates.example.eu/cispe/exp-7',
          },
        ],
      },
    });
    expect(revoked?.reasons.map((r) => r.code)).toContain('BadgeExpired');
    const granted = records.filter((r) => r.what === 'VerdictGranted' && r.object.name === 'exp-1');
    expect(granted.length).toBe(2);
    expect(granted[1]?.message).toMatch(/at ThirdPartyCertified or higher/);
    expect(Date.parse(granted[1]?.time ?? '')).toBeGreaterThan(Date.parse(revoked?.time ?? ''));

    const pinned = ofExpiring.filter((r) => r.what === 'PodPinned');
    expect(pinned.length).toBeGreaterThanOrEqual(4);
    expect(pinned.every((r) => r.object.generateName?.startsWith('expiring-'))).toBe(true);
    const evicted = ofExpiring.filter((r) => r.what === 'PodEvicted');
    expect(evicted.map((r) => r.target?.name)).toEqual(['exp-1', 'exp-1']);
    for (const e of evicted) {
      expect(e.reasons.map((r) => r.code)).toContain('BadgeExpired');
      expect(e.evidence?.badges[0]?.evidenceRef).toBe('https://certificates.example.eu/cispe/exp-7');
      // The evicted pod was seen placed on exp-1 before, and is gone after.
      const placed = ofExpiring.find((r) => r.what === 'PodPlaced' && r.object.uid === e.object.uid);
      expect(placed?.target?.name).toBe('exp-1');
      expect(Date.parse(placed?.time ?? '')).toBeLessThan(expiresAt);
      const gone = ofExpiring.find((r) => r.what === 'PodGone' && r.object.uid === e.object.uid);
      expect(Date.parse(gone?.time ?? '')).toBeGreaterThanOrEqual(Date.parse(e.time));
    }
    const replacements = ofExpiring.filter(
      (r) => r.what === 'PodPlaced' && SOVEREIGN_NODES.includes(r.target?.name ?? ''),
    );
    expect(replacements.length).toBe(2);
    expect(replacements.every((r) => r.conforms === true)).toBe(true);
    expect(ofExpiring.filter((r) => r.what === 'GateRemoved').length).toBeGreaterThanOrEqual(4);
    expect(new Set(records.map((r) => r.operatorVersion)).size).toBe(1);

    // sovctl report --audit-log rebuilds exactly these moves, from the live cluster and the log.
    const evictedPods = placed.results.map((r) => `${APP_NAMESPACE}/${r.resources[0]?.name}`).sort();
    let stdout = '';
    const code = await run(
      [
        'report',
        `--kubeconfig=${world?.cluster.kubeconfigPath}`,
        `--audit-log=${AUDIT_LOG}`,
        `--since=${new Date(expiresAt - 60_000).toISOString()}`,
        '-o',
        'json',
      ],
      {
        stdout: (t) => {
          stdout += t;
        },
        stderr: () => {},
        env: {},
        now: Date.now,
      },
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const history = report.auditHistory;
    const ofPolicyHistory = history.placements.filter((p: { policies: string[] }) =>
      p.policies.includes(policy),
    );
    expect(
      history.moves
        .filter((m: { policy: string }) => m.policy === policy)
        .map((m: { pod: string; node: string }) => [m.pod, m.node])
        .sort(),
    ).toEqual(evictedPods.map((pod) => [pod, 'exp-1']));
    expect(
      ofPolicyHistory
        .map((p: { pod: string; node: string; ended: string | null; cloudService: string }) => [
          p.node,
          p.cloudService,
          p.ended,
        ])
        .sort(),
    ).toEqual([
      ['exp-1', 'expiring-sovereign', 'Evicted'],
      ['exp-1', 'expiring-sovereign', 'Evicted'],
      ['sov-1', 'eurocloud-sovereign', null],
      ['sov-2', 'eurocloud-sovereign', null],
    ]);
    expect(report.versions.operator).toEqual([records[0]?.operatorVersion]);
    expect(report.integrity.auditLogSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
