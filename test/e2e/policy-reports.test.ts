// PolicyReports on a real control plane: with --policy-reports the operator publishes each policy's
// results as a wgpolicyk8s.io/v1alpha2 PolicyReport (the chart's optional CRD), and the report follows
// a badge revocation: fail while the pods stay on the revoked service, pass again once they moved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const CRD = join(import.meta.dirname, '../../charts/sovereign-placement/files/policyreport-crd.yaml');
let world: World | undefined;
let kc: KubeConfig;

beforeAll(async () => {
  world = await startWorld({ name: 'policy-reports' }, undefined, { args: ['--policy-reports'] });
  ({ kc } = world);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const body = loadYaml<V1CustomResourceDefinition>(readFileSync(CRD, 'utf8'));
  await api.createCustomResourceDefinition({ body });
  await waitFor('PolicyReport CRD Established', async () => {
    const crd = await api.readCustomResourceDefinition({ name: 'policyreports.wgpolicyk8s.io' });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
});
afterAll(async () => {
  await world?.stop();
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
