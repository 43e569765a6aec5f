// Failover on a real control plane: badge expiry with lead time under a disruption budget, a provider
// bought by a non-EU parent, node failure, the operator down or restarted, and Resilient redeployability.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFactLabels } from '../../src/api/group.ts';
import { verdictLabelKey } from '../../src/domain/verdict-labels.ts';
import { waitFor } from '../harness/net.ts';
import { createKwokNode, waitForNodeReady } from '../harness/nodes.ts';
import type { OperatorProcess } from '../harness/operator.ts';
import {
  applyPolicy,
  condition,
  createCloudService,
  createDeployment,
  createPdb,
  nodeNames,
  operatorEvents,
  patchCloudService,
  podsOf,
  readPolicy,
  setNodeLabels,
  setUnschedulable,
  sovereignBadge,
  startWorld,
  type World,
  waitForRunningPods,
} from '../harness/world.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const SOVEREIGN_NODES = ['sov-1', 'sov-2'];
let operator: OperatorProcess;
let kc: KubeConfig;

const provider = (parentJurisdiction: string) => ({
  name: 'Acquired Cloud SA',
  legalJurisdiction: 'BE',
  ultimateParent: { name: 'Parent Group', legalJurisdiction: parentJurisdiction },
});

let labelsOf: World['labelsOf'];
let world: World | undefined;

beforeAll(async () => {
  world = await startWorld({ name: 'failover', nodeMonitorGracePeriod: '20s' });
  ({ kc, operator, labelsOf } = world);
});
afterAll(async () => {
  await world?.stop();
});
const live = (pods: V1Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp);

/** Adds nodes of a dedicated cloud service and lands `app` on them only (the sovereign nodes cordoned meanwhile). */
async function landOn(
  service: string,
  nodes: string[],
  app: string,
  replicas: number,
  policy: Record<string, unknown>,
) {
  for (const name of nodes) await createKwokNode(kc, { name, cloudService: service, country: 'BE' });
  for (const name of nodes) await waitForNodeReady(kc, name);
  await applyPolicy(kc, app, {
    selector: { matchLabels: { app } },
    requirement: { badges: ['Sovereign'], area: 'eu' },
    ...policy,
  });
  for (const name of nodes)
    await waitFor(`${name} verdict`, async () => (await labelsOf(name))[SOV_EU] !== undefined);
  for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, true);
  await createDeployment(kc, app, replicas, { app });
  const pods = await waitForRunningPods(kc, `app=${app}`, replicas);
  expect(nodeNames(pods)).toEqual([...nodes].sort());
  for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, false);
  return pods;
}

describe('failover', () => {
  it('moves pods before a badge expires, by the lead time, without breaking the disruption budget', async () => {
    const validUntil = Date.now() + 45_000;
    const leadMs = 25_000;
    await createCloudService(kc, 'shortlived-sovereign', {
      provider: provider('FR'),
      badges: [sovereignBadge(new Date(validUntil).toISOString())],
    });
    await landOn('shortlived-sovereign', ['short-1', 'short-2'], 'expiring', 4, {
      failover: { expiryLeadTime: '25s', maxEvictionsPerMinute: 100 },
    });
    await createPdb(kc, 'expiring', { app: 'expiring' }, { minAvailable: 3 });

    let minRunning = 4;
    const done = await waitFor(
      'every pod moved off the expiring nodes',
      async () => {
        const pods = live(await podsOf(kc, 'app=expiring'));
        const running = pods.filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName);
        minRunning = Math.min(minRunning, running.length);
        const moved =
          running.length === 4 && running.every((p) => SOVEREIGN_NODES.includes(p.spec?.nodeName ?? ''));
        return moved ? Date.now() : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(done).toBeLessThan(validUntil);
    expect(minRunning).toBeGreaterThanOrEqual(3);
    const evicted = (await operatorEvents(kc, 'EvictedNonConforming')).filter(
      (e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name?.startsWith('expiring-'),
    );
    expect(evicted).toHaveLength(4);
    const firstEvictionAt = Math.min(...evicted.map((e) => new Date(e.firstTimestamp as Date).getTime()));
    // Not before the lead time began (Event times have one-second resolution).
    expect(firstEvictionAt).toBeGreaterThanOrEqual(validUntil - leadMs - 1_000);
    expect(evicted.every((e) => e.message?.includes('within the lead time of 25s'))).toBe(true);
    expect((await labelsOf('short-1'))[SOV_EU]).toBeUndefined();
  });

  it('evicts when a provider gets a non-EU ultimate parent; pods come back on conforming nodes only', async () => {
    await createCloudService(kc, 'acquired-sovereign', {
      provider: provider('FR'),
      badges: [sovereignBadge('2028-01-01T00:00:00Z')],
    });
    await landOn('acquired-sovereign', ['acq-1'], 'acquired', 3, {});
    await patchCloudService(kc, 'acquired-sovereign', { provider: provider('US') });
    await waitFor('verdict label removed', async () => (await labelsOf('acq-1'))[SOV_EU] === undefined);
    const pods = await waitFor('pods back on conforming nodes', async () => {
      const running = await waitForRunningPods(kc, 'app=acquired', 3, 5_000).catch(() => undefined);
      return running?.every((p) => SOVEREIGN_NODES.includes(p.spec?.nodeName ?? '')) ? running : undefined;
    });
    expect(nodeNames(pods).every((n) => SOVEREIGN_NODES.includes(n))).toBe(true);
    const revoked = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'default' });
    const sentence = revoked.items.find(
      (e) => e.involvedObject.name === 'acq-1' && e.reason === 'VerdictRevoked',
    )?.message;
    expect(sentence).toContain(
      'ParentJurisdictionOutsideArea'
        .replace(/([A-Z])/g, ' $1')
        .trim()
        .split(' ')[0],
    );
    expect(sentence).toMatch(/US/);
  });

  it('Resilient policy requiring two providers reports whether an alternate provider has capacity', async () => {
    await applyPolicy(kc, 'resilient', {
      selector: { matchLabels: { app: 'resilient' } },
      requirement: { badges: ['Resilient'], area: 'eu', minimumProviders: 2 },
    });
    const has = async (status: string) =>
      waitFor(`AlternateProviderAvailable=${status}`, async () => {
        const p = await readPolicy(kc, 'resilient');
        return condition(p, 'AlternateProviderAvailable')?.status === status ? p : undefined;
      });
    const before = await has('True');
    expect(before.status.capacity.map((c: { provider: string }) => c.provider).sort()).toEqual([
      'EuroCloud SAS',
      'GlobalCloud Europe GmbH',
    ]);
    await setNodeLabels(kc, 'res-1', { [NodeFactLabels.cordoned]: 'true' });
    const after = await has('False');
    expect(condition(after, 'AlternateProviderAvailable')?.reason).toBe('TooFewProviders');
    expect(condition(after, 'CapacityAvailable')?.status).toBe('True');
    await setNodeLabels(kc, 'res-1', { [NodeFactLabels.cordoned]: null });
    await has('True');
  });

  it('resumes after a restart mid-failover and evicts no pod twice', async () => {
    await createCloudService(kc, 'revoked-sovereign', {
      provider: provider('FR'),
      badges: [sovereignBadge('2028-01-01T00:00:00Z')],
    });
    const original = await landOn('revoked-sovereign', ['rev-1'], 'restart', 4, {
      failover: { gracePeriod: '4s' },
    });
    await createPdb(kc, 'restart', { app: 'restart' }, { maxUnavailable: 1 });
    const revokedAt = new Date().toISOString();
    await patchCloudService(kc, 'revoked-sovereign', {
      badges: [{ ...sovereignBadge('2028-01-01T00:00:00Z'), revokedAt }],
    });
    // Stop the operator as soon as the first pod has been evicted, then start it again.
    await waitFor(
      'first eviction',
      async () =>
        (await podsOf(kc, 'app=restart')).length > 4 ||
        (await operatorEvents(kc, 'EvictedNonConforming')).some((e) =>
          e.involvedObject.name?.startsWith('restart-'),
        ),
      { intervalMs: 100 },
    );
    await operator.stop();
    await operator.resume();
    const moved = await waitFor(
      'every pod on conforming nodes',
      async () => {
        const running = await waitForRunningPods(kc, 'app=restart', 4, 5_000).catch(() => undefined);
        return running?.every((p) => SOVEREIGN_NODES.includes(p.spec?.nodeName ?? '')) ? running : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(moved).toHaveLength(4);
    const evictions = (await operatorEvents(kc, 'EvictedNonConforming')).filter(
      (e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name?.startsWith('restart-'),
    );
    const perPod = new Map<string, number>();
    for (const e of evictions)
      perPod.set(
        e.involvedObject.name ?? '',
        (perPod.get(e.involvedObject.name ?? '') ?? 0) + (e.count ?? 1),
      );
    expect([...perPod.keys()].sort()).toEqual(original.map((p) => p.metadata?.name).sort());
    expect([...perPod.values()].every((n) => n === 1)).toBe(true);
  });

  it('while the operator is down, new pods in scope are placed nowhere; once back they land on conforming nodes', async () => {
    await applyPolicy(kc, 'late', {
      selector: { matchLabels: { app: 'late' } },
      requirement: { badges: ['Sovereign'], area: 'eu' },
    });
    await waitFor('policy seen', async () => (await readPolicy(kc, 'late')).status?.observedGeneration === 1);
    await operator.stop();
    await createDeployment(kc, 'late', 2, { app: 'late' });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await podsOf(kc, 'app=late')).toEqual([]);
    await operator.resume();
    const pods = await waitForRunningPods(kc, 'app=late', 2, 120_000);
    expect(nodeNames(pods).every((n) => SOVEREIGN_NODES.includes(n))).toBe(true);
  });

  it('replaces pods of a failed conforming node on conforming nodes only, faster than the default toleration', async () => {
    await createKwokNode(kc, {
      name: 'sov-failing',
      cloudService: 'eurocloud-sovereign',
      country: 'FR',
      failable: true,
    });
    await waitForNodeReady(kc, 'sov-failing');
    await applyPolicy(kc, 'fast', {
      selector: { matchLabels: { app: 'fast' } },
      requirement: { badges: ['Sovereign'], area: 'eu' },
      failover: { nodeFailureToleration: '5s' },
    });
    await waitFor('sov-failing verdict', async () => (await labelsOf('sov-failing'))[SOV_EU] !== undefined);
    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, true);
    await createDeployment(kc, 'fast', 2, { app: 'fast' });
    const before = await waitForRunningPods(kc, 'app=fast', 2);
    expect(nodeNames(before)).toEqual(['sov-failing']);
    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, false);
    for (const pod of before) {
      const toleration = pod.spec?.tolerations?.find((t) => t.key === 'node.kubernetes.io/unreachable');
      expect(toleration?.tolerationSeconds).toBe(5);
    }
    const failedAt = Date.now();
    await world?.cluster.failNodes();
    const after = await waitFor(
      'replacements running on the other conforming nodes',
      async () => {
        const running = await waitForRunningPods(kc, 'app=fast', 2, 5_000).catch(() => undefined);
        return running?.every((p) => SOVEREIGN_NODES.includes(p.spec?.nodeName ?? '')) ? running : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const tookMs = Date.now() - failedAt;
    expect(after.map((p) => p.metadata?.name)).not.toContain(before[0]?.metadata?.name);
    // The node lifecycle grace period (20 s here) plus the policy's 5 s, well before the default
    // not-ready/unreachable toleration of 300 s alone would have let the pods go.
    expect(tookMs).toBeLessThan(150_000);
  });
});
