// The test control plane itself: scheduling onto KWOK nodes, the NodeRestriction trust boundary that
// the project's verdicts rely on, and clean shutdown of several clusters side by side.
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InformationalLabels, NodeFactLabels } from '../../src/api/group.ts';
import { TestCluster } from '../harness/cluster.ts';
import { waitFor } from '../harness/net.ts';
import { createKwokNode, waitForNodeReady } from '../harness/nodes.ts';
import { isAlive } from '../harness/processes.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'control-plane' });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a real control plane with KWOK nodes', () => {
  it('schedules a Deployment of 3 replicas onto KWOK nodes and it becomes Available', async () => {
    const kc = cluster.adminKubeConfig();
    for (const name of ['kwok-a', 'kwok-b']) {
      await createKwokNode(kc, { name, cloudService: 'eurocloud-sovereign', country: 'FR' });
      await waitForNodeReady(kc, name);
    }
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.example.eu/web:1.0' }] },
          },
        },
      },
    });
    const deployment = await waitFor(
      'deployment web Available with 3 replicas',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
        const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
        return available && d.status?.availableReplicas === 3 ? d : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(deployment.status?.readyReplicas).toBe(3);
    const pods = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(['kwok-a', 'kwok-b']).toContain(pod.spec?.nodeName);
      expect(pod.status?.phase).toBe('Running');
    }
  });

  it('refuses a node identity that sets a node-restriction.kubernetes.io/ label on its own Node; the admin may', async () => {
    const admin = cluster.adminKubeConfig();
    await createKwokNode(admin, { name: 'kwok-rogue', cloudService: 'budget-hosting', country: 'NL' });
    const asNode = (await cluster.nodeKubeConfig('kwok-rogue')).kubeConfig.makeApiClient(CoreV1Api);

    // The node identity is real and may change its own ordinary labels...
    await asNode.patchNode(
      { name: 'kwok-rogue', body: { metadata: { labels: { [InformationalLabels.provider]: 'EuroCloud' } } } },
      mergePatch,
    );
    // ...but not claim membership of a sovereign cloud service.
    const claim = { metadata: { labels: { [NodeFactLabels.cloudService]: 'eurocloud-sovereign' } } };
    const refusal = await asNode.patchNode({ name: 'kwok-rogue', body: claim }, mergePatch).then(
      () => undefined,
      (error: { code?: number; body?: string }) => error,
    );
    expect(refusal?.code).toBe(403);
    expect(String(refusal?.body)).toContain('is not allowed to modify labels');
    expect(String(refusal?.body)).toContain(NodeFactLabels.cloudService);

    const core = admin.makeApiClient(CoreV1Api);
    expect(
      (await core.readNode({ name: 'kwok-rogue' })).metadata?.labels?.[NodeFactLabels.cloudService],
    ).toBe('budget-hosting');
    const patched = await core.patchNode({ name: 'kwok-rogue', body: claim }, mergePatch);
    expect(patched.metadata?.labels?.[NodeFactLabels.cloudService]).toBe('eurocloud-sovereign');
    expect(patched.metadata?.labels?.[InformationalLabels.provider]).toBe('EuroCloud');
  });

  it('runs two more clusters at the same time and stops them without leaving a process behind', async () => {
    const [a, b] = await Promise.all([
      TestCluster.start({ name: 'member-a' }),
      TestCluster.start({ name: 'member-b' }),
    ]);
    try {
      expect(a.server).not.toBe(b.server);
      const versions = await Promise.all([a.request('GET', '/version'), b.request('GET', '/version')]);
      expect(versions.map((v) => JSON.parse(v.body).gitVersion)).toEqual(['v1.37.2', 'v1.37.2']);
      for (const c of [a, b]) {
        await createKwokNode(c.adminKubeConfig(), { name: `${c.name}-node` });
        await waitForNodeReady(c.adminKubeConfig(), `${c.name}-node`);
      }
    } finally {
      const pids = [...a.pids(), ...b.pids()];
      expect(pids.length).toBeGreaterThanOrEqual(10);
      await Promise.all([a.stop(), b.stop()]);
      expect(pids.filter(isAlive)).toEqual([]);
    }
  });
});
