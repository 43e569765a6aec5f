// Governance on a real control plane: a ClusterSovereigntyPolicy pins pods of the namespaces it selects
// without any namespaced policy; an Enforce policy of a namespace that is not enrolled never starts an
// eviction loop; the eviction rate limit holds across operator crashes.
import { CoreV1Api, type KubeConfig, KubernetesObjectApi, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION } from '../../src/api/group.ts';
import { POLICIES_ANNOTATION } from '../../src/cluster/admission/pod-mutation.ts';
import { verdictLabelKey } from '../../src/domain/verdict-labels.ts';
import { waitFor } from '../harness/net.ts';
import { createKwokNode, waitForNodeReady } from '../harness/nodes.ts';
import { ensureNamespace, type OperatorProcess } from '../harness/operator.ts';
import {
  APP_NAMESPACE,
  applyPolicy,
  condition,
  createCloudService,
  createDeployment,
  operatorEvents,
  patchCloudService,
  readPolicy,
  setUnschedulable,
  sovereignBadge,
  startWorld,
  type World,
} from '../harness/world.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const SOVEREIGN_NODES = ['sov-1', 'sov-2'];
let world: World | undefined;
let kc: KubeConfig;
let operator: OperatorProcess;

beforeAll(async () => {
  world = await startWorld({ name: 'governance' });
  ({ kc, operator } = world);
});
afterAll(async () => {
  await world?.stop();
});

const podsIn = async (namespace: string, selector: string): Promise<V1Pod[]> =>
  (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: selector })).items;

const running = (pods: V1Pod[]) =>
  pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');

async function runningPods(namespace: string, selector: string, count: number, timeoutMs = 90_000) {
  return waitFor(
    `${count} running pods (${namespace}, ${selector})`,
    async () => {
      const pods = await podsIn(namespace, selector);
      const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
      return running(live).length === count && live.length === count ? running(live) : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

const nodesOf = (pods: V1Pod[]) => [...new Set(pods.map((p) => p.spec?.nodeName ?? ''))].sort();

describe('governance', () => {
  it('a ClusterSovereigntyPolicy pins the pods of the namespaces it selects, with no namespaced policy', async () => {
    await ensureNamespace(kc, 'loans', {
      'sovereign-placement.io/enforcement': 'enabled',
      'compliance.example.com/dora': 'in-scope',
    });
    await KubernetesObjectApi.makeApiClient(kc).create({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ClusterSovereigntyPolicy',
      metadata: { name: 'dora-sovereign-eu' },
      spec: {
        namespaceSelector: { matchLabels: { 'compliance.example.com/dora': 'in-scope' } },
        selector: {},
        requirement: { badges: ['Sovereign'], area: 'eu' },
      },
    } as never);
    await createDeployment(kc, 'loans', 3, { app: 'loans' }, undefined, 'loans');
    const pods = await runningPods('loans', 'app=loans', 3);
    expect(nodesOf(pods).every((n) => SOVEREIGN_NODES.includes(n))).toBe(true);
    for (const pod of pods) {
      expect(pod.metadata?.annotations?.[POLICIES_ANNOTATION]).toBe(
        'ClusterSovereigntyPolicy/dora-sovereign-eu',
      );
      const terms =
        pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      expect(JSON.stringify(terms)).toContain(SOV_EU);
    }
    const status = await waitFor('cluster policy status', async () => {
      const p = (await KubernetesObjectApi.makeApiClient(kc).read({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterSovereigntyPolicy',
        metadata: { name: 'dora-sovereign-eu' },
      } as never)) as { status?: { matchedPods?: number; conditions?: { type: string; status: string }[] } };
      return p.status?.matchedPods === 3 ? p.status : undefined;
    });
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('an Enforce policy of a namespace that is not enrolled evicts nothing and says why', async () => {
    await ensureNamespace(kc, 'unenrolled');
    await KubernetesObjectApi.makeApiClient(kc).create({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SovereigntyPolicy',
      metadata: { name: 'web', namespace: 'unenrolled' },
      spec: { selector: { matchLabels: { app: 'web' } }, requirement: { badges: ['Sovereign'], area: 'eu' } },
    } as never);
    // Not pinned (the namespace is not enrolled), so pods land anywhere, the uncertified node included.
    await createDeployment(
      kc,
      'web',
      4,
      { app: 'web' },
      { 'kubernetes.io/hostname': 'cheap-1' },
      'unenrolled',
    );
    const before = await runningPods('unenrolled', 'app=web', 4);
    expect(nodesOf(before)).toEqual(['cheap-1']);
    const policy = await waitFor('NamespaceNotEnrolled', async () => {
      const p = await readPolicy(kc, 'web', 'unenrolled');
      return condition(p, 'Ready')?.reason === 'NamespaceNotEnrolled' ? p : undefined;
    });
    expect(condition(policy, 'Ready')?.message).toContain('evicts nothing');
    // Long enough for several reconciles: before, this was an eviction loop (evict, land there, evict).
    await new Promise((r) => setTimeout(r, 8_000));
    expect(await operatorEvents(kc, 'EvictedNonConforming', 'unenrolled')).toEqual([]);
    const after = running(await podsIn('unenrolled', 'app=web'));
    expect(after.map((p) => p.metadata?.name).sort()).toEqual(before.map((p) => p.metadata?.name).sort());
    expect((await operatorEvents(kc, 'ReplacementNotPinned', 'unenrolled')).length).toBeGreaterThan(0);
  });

  it('the eviction rate limit holds across operator crashes (SIGKILL) in the middle of a failover', async () => {
    await createCloudService(kc, 'rate-sovereign', {
      provider: { name: 'Rate Cloud SAS', legalJurisdiction: 'FR' },
      badges: [sovereignBadge('2028-01-01T00:00:00Z')],
    });
    await createKwokNode(kc, { name: 'rate-1', cloudService: 'rate-sovereign', country: 'FR' });
    await waitForNodeReady(kc, 'rate-1');
    await applyPolicy(kc, 'rate', {
      selector: { matchLabels: { app: 'rate' } },
      requirement: { badges: ['Sovereign'], area: 'eu' },
      failover: { gracePeriod: '0s', maxEvictionsPerMinute: 2 },
    });
    const labels = async () =>
      (await kc.makeApiClient(CoreV1Api).readNode({ name: 'rate-1' })).metadata?.labels ?? {};
    await waitFor('rate-1 verdict', async () => (await labels())[SOV_EU] !== undefined);
    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, true);
    await createDeployment(kc, 'rate', 8, { app: 'rate' }, { 'kubernetes.io/hostname': 'rate-1' });
    const originals = new Set((await runningPods(APP_NAMESPACE, 'app=rate', 8)).map((p) => p.metadata?.name));
    for (const name of SOVEREIGN_NODES) await setUnschedulable(kc, name, false);

    await patchCloudService(kc, 'rate-sovereign', {
      badges: [{ ...sovereignBadge('2028-01-01T00:00:00Z'), revokedAt: new Date().toISOString() }],
    });
    const evictions = async () =>
      (await operatorEvents(kc, 'EvictedNonConforming')).filter(
        (e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name?.startsWith('rate-'),
      );
    await waitFor('first eviction', async () => (await evictions()).length > 0, { intervalMs: 100 });
    const firstAt = Date.now();
    // Crash and restart the operator again and again within the same minute: each fresh process used to
    // start a new window and evict its full quota again.
    let restarts = 0;
    while (Date.now() - firstAt < 40_000 && restarts < 6) {
      await operator.kill();
      await operator.resume();
      restarts++;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    // Counted from the pods, not the Events: each eviction makes the Deployment create a replacement, and
    // an Event still being written when the process is killed would be lost.
    const replacements = (await podsIn(APP_NAMESPACE, 'app=rate')).filter(
      (p) => !originals.has(p.metadata?.name),
    );
    const created = replacements.filter(
      (p) => Date.parse(String(p.metadata?.creationTimestamp)) - firstAt < 55_000,
    ).length;
    console.log(
      `rate limit 2/min: ${created} replacement pods (evictions) in the first window across ${restarts} crashes`,
    );
    expect(restarts).toBeGreaterThanOrEqual(3);
    expect(created).toBeGreaterThanOrEqual(1);
    expect(created).toBeLessThanOrEqual(2);
    const window = (await readPolicy(kc, 'rate')).status?.evictionWindow;
    expect(window?.evictions).toBeGreaterThanOrEqual(1);
  });
});
