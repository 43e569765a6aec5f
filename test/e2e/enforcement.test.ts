// In-cluster enforcement on a real control plane with KWOK nodes of three providers (docs/architecture.md, "The path of a Pod").
import { CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULING_GATE } from '../../src/cluster/admission/pod-mutation.ts';
import { verdictLabelKey } from '../../src/domain/verdict-labels.ts';
import type { Cluster } from '../harness/clusters.ts';
import { waitFor } from '../harness/net.ts';
import type { OperatorProcess } from '../harness/operator.ts';
import { sovereignPlacementScenario } from '../harness/scenarios.ts';
import {
  applyPolicy,
  condition,
  createDeployment,
  nodeNames,
  podsOf,
  readPolicy,
  startWorld,
  type World,
  waitForRunningPods,
} from '../harness/world.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const RES_EU = verdictLabelKey('Resilient', 'eu');
let cluster: Cluster;
let operator: OperatorProcess;
let kc: KubeConfig;

let labelsOf: World['labelsOf'];
let world: World | undefined;

beforeAll(async () => {
  world = await startWorld({ name: 'enforcement' });
  ({ cluster, kc, operator, labelsOf } = world);
});
afterAll(async () => {
  await world?.stop();
});

describe('in-cluster enforcement', () => {
  it("an Enforce policy lands its Deployment only on the sovereign provider's nodes", async () => {
    const policy = await sovereignPlacementScenario(kc);
    expect(policy.status.matchedWorkloads).toBe(1);
    expect(policy.status.capacity).toEqual([
      { provider: 'EuroCloud SAS', cloudService: 'eurocloud-sovereign', conformingNodes: 2 },
    ]);
  });

  it("acting as the node's own kubelet, adding a verdict label to itself is refused", async () => {
    const asNode = (await cluster.nodeKubeConfig('cheap-1')).kubeConfig.makeApiClient(CoreV1Api);
    const error = await asNode
      .patchNode(
        { name: 'cheap-1', body: { metadata: { labels: { [SOV_EU]: 'ThirdPartyCertified' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .then(
        () => undefined,
        (e: { code?: number; body?: string }) => e,
      );
    expect(error?.code).toBe(403);
    expect(String(error?.body)).toContain('is not allowed to modify labels');
    expect((await labelsOf('cheap-1'))[SOV_EU]).toBeUndefined();
  });

  it('with no conforming capacity, pods stay gated and the policy says why; nothing runs elsewhere', async () => {
    await applyPolicy(kc, 'archive', {
      selector: { matchLabels: { app: 'archive' } },
      requirement: { badges: ['Sovereign'], area: 'eea' },
    });
    await createDeployment(kc, 'archive', 2, { app: 'archive' });
    const policy = await waitFor('CapacityAvailable=False', async () => {
      const p = await readPolicy(kc, 'archive');
      return condition(p, 'CapacityAvailable')?.status === 'False' && p.status?.gatedPods === 2
        ? p
        : undefined;
    });
    expect(condition(policy, 'CapacityAvailable')?.reason).toBe('NoConformingCapacity');
    expect(condition(policy, 'CapacityAvailable')?.message).toMatch(/no .*node/i);
    const pods = await podsOf(kc, 'app=archive');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.spec?.nodeName).toBeUndefined();
      expect(pod.spec?.schedulingGates).toEqual([{ name: SCHEDULING_GATE }]);
    }
    expect(
      await operator.metric('sovereign_placement_policy_capacity_available', { policy: 'archive' }),
    ).toBe(0);
    expect(await operator.metric('sovereign_placement_policy_gated_pods', { policy: 'archive' })).toBe(2);
    const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'payments' });
    expect(
      events.items.some((e) => e.involvedObject.name === 'archive' && e.reason === 'NoConformingCapacity'),
    ).toBe(true);
  });

  it('an Audit policy reports non-conforming pods and evicts nothing', async () => {
    // Pinned by its own nodeSelector to the uncertified node, which conforms to nothing.
    await createDeployment(kc, 'web', 2, { app: 'web' }, { 'kubernetes.io/hostname': 'cheap-1' });
    const before = await waitForRunningPods(kc, 'app=web', 2);
    await applyPolicy(kc, 'web-audit', {
      selector: { matchLabels: { app: 'web' } },
      requirement: { badges: ['Resilient'], area: 'eu' },
      mode: 'Audit',
    });
    await waitFor(
      'Resilient verdict labels',
      async () => (await labelsOf('res-1'))[RES_EU] === 'SelfDeclared',
    );
    const policy = await waitFor('audit status', async () => {
      const p = await readPolicy(kc, 'web-audit');
      return p.status?.matchedPods === 2 ? p : undefined;
    });
    expect(nodeNames(before)).toEqual(['cheap-1']);
    expect(policy.status.nonConformingPods).toBe(2);
    expect(condition(policy, 'Conforming')?.status).toBe('False');
    expect(condition(policy, 'Conforming')?.message).toContain('cheap-1');
    expect(
      await operator.metric('sovereign_placement_policy_non_conforming_pods', {
        policy: 'web-audit',
        mode: 'Audit',
      }),
    ).toBe(2);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await podsOf(kc, 'app=web');
    expect(after.map((p) => p.metadata?.uid).sort()).toEqual(before.map((p) => p.metadata?.uid).sort());
  });
});
