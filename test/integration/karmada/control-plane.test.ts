// A real Karmada v1.18.2 control plane with two Push-mode members (harness control planes with KWOK
// nodes): a Deployment propagated by a Duplicated PropagationPolicy lands on both, leaves a member whose
// Cluster loses the label the policy's clusterAffinity selects, comes back with the label, and is removed
// from the members when the template is deleted; stop() leaves no process behind.
//
// It needs Karmada's components (`make karmada-binaries`: about 6 minutes each the first time on 2 cores),
// so it runs only with SOVEREIGN_PLACEMENT_KARMADA_TEST=1 (`make test-karmada` sets it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf, kubeRequest } from '../../../src/kube/request.ts';
import { CLUSTER_API, KarmadaControlPlane } from '../../harness/karmada.ts';
import { waitFor } from '../../harness/net.ts';
import { isAlive } from '../../harness/processes.ts';

const ZONE = 'test.sovereign-placement.io/zone';
const NAMESPACE = 'web';
const DEPLOYMENT = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`;

interface Deployment {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
}

describe.skipIf(!process.env.SOVEREIGN_PLACEMENT_KARMADA_TEST)(
  'a real Karmada control plane with Push-mode members',
  () => {
    let karmada: KarmadaControlPlane;
    beforeAll(async () => {
      karmada = await KarmadaControlPlane.start({
        members: 2,
        memberLabels: { member1: { [ZONE]: 'eu' }, member2: { [ZONE]: 'eu' } },
      });
      const t = karmada.startTimes;
      console.log(
        `Karmada started in ${t.total} ms (control plane ${t.controlPlane} ms, members ${t.members} ms side by side, join ${t.join} ms)`,
      );
    }, 300_000);
    afterAll(async () => {
      await karmada?.stop();
    }, 120_000);

    /** The Deployment `web` on a member, or undefined when it is not there. */
    const onMember = async (member: string): Promise<Deployment | undefined> => {
      const kc = karmada.member(member).cluster.adminKubeConfig();
      try {
        return await kubeRequest<Deployment>(kc, { path: `${DEPLOYMENT}/web` });
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    };
    const available = (d: Deployment | undefined) =>
      d?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true;

    it('joins both members as Ready Push-mode Clusters', async () => {
      const list = await kubeRequest<{
        items: {
          metadata: { name: string };
          spec: { syncMode: string };
          status?: { conditions?: { type: string; status: string }[] };
        }[];
      }>(karmada.adminKubeConfig(), { path: CLUSTER_API });
      expect(list.items.map((c) => c.metadata.name).sort()).toEqual(['member1', 'member2']);
      for (const c of list.items) {
        expect(c.spec.syncMode).toBe('Push');
        expect(c.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
      }
    });

    it('propagates a Deployment to both members, removes it from a member whose Cluster loses the selected label, and brings it back', async () => {
      const kc = karmada.adminKubeConfig();
      await kubeRequest(kc, {
        method: 'POST',
        path: '/api/v1/namespaces',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: DEPLOYMENT,
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: NAMESPACE, labels: { app: 'web' } },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'registry.example.eu/web:1.0' }] },
            },
          },
        },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/policy.karmada.io/v1alpha1/namespaces/${NAMESPACE}/propagationpolicies`,
        body: {
          apiVersion: 'policy.karmada.io/v1alpha1',
          kind: 'PropagationPolicy',
          metadata: { name: 'web', namespace: NAMESPACE },
          spec: {
            resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }],
            placement: {
              clusterAffinity: { labelSelector: { matchLabels: { [ZONE]: 'eu' } } },
              replicaScheduling: { replicaSchedulingType: 'Duplicated' },
            },
          },
        },
      });

      const created = Date.now();
      // Duplicated: both members run all replicas (KWOK makes the pods Running).
      await waitFor(
        'the Deployment Available on both members',
        async () => available(await onMember('member1')) && available(await onMember('member2')),
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      console.log(`Deployment Available on both members ${Date.now() - created} ms after it was created`);
      expect((await onMember('member1'))?.status?.availableReplicas).toBe(2);

      // member2's Cluster no longer carries the label the policy selects: Karmada takes the copy away.
      const relabel = (zone: string) =>
        kubeRequest(kc, {
          method: 'PATCH',
          path: `${CLUSTER_API}/member2`,
          contentType: 'application/merge-patch+json',
          body: { metadata: { labels: { [ZONE]: zone } } },
        });
      const relabelled = Date.now();
      await relabel('elsewhere');
      await waitFor(
        'the Deployment gone from member2',
        async () => (await onMember('member2')) === undefined,
        {
          timeoutMs: 60_000,
          intervalMs: 100,
        },
      );
      console.log(`Deployment removed from member2 ${Date.now() - relabelled} ms after its label changed`);
      expect(await onMember('member1')).toBeDefined();

      const restored = Date.now();
      await relabel('eu');
      await waitFor('the Deployment back on member2', async () => (await onMember('member2')) !== undefined, {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      console.log(`Deployment back on member2 ${Date.now() - restored} ms after its label returned`);
    });

    it('removes the copies from the members when the template is deleted', async () => {
      await kubeRequest(karmada.adminKubeConfig(), { method: 'DELETE', path: `${DEPLOYMENT}/web` });
      await waitFor(
        'the Deployment gone from both members',
        async () => (await onMember('member1')) === undefined && (await onMember('member2')) === undefined,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    });

    it('stops every process of Karmada and of its members', async () => {
      const pids = karmada.pids();
      expect(pids.length).toBeGreaterThan(10);
      const stopping = Date.now();
      await karmada.stop();
      console.log(`Karmada and its members stopped in ${Date.now() - stopping} ms`);
      expect(pids.filter(isAlive)).toEqual([]);
    }, 120_000);
  },
);
