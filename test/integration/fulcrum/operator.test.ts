// The operator itself (`node src/operator/main.ts --fulcrum`) on a real kube-apiserver, with the stand-in
// Fulcrum: the FulcrumFederation's status and the agents' tags follow a badge change on the CloudService.
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import { FulcrumClient, FulcrumError } from '../../../src/fulcrum/client.ts';
import { kubeRequest } from '../../../src/kube/request.ts';
import { TestCluster } from '../../harness/cluster.ts';
import {
  AGENT_TYPE,
  FulcrumStandIn,
  fulcrumDescriptionAvailable,
  SKIP_MESSAGE,
  type StandInAgent,
} from '../../harness/fulcrum-standin.ts';
import { area, cloudService } from '../../harness/fulcrum-world.ts';
import { installCrds } from '../../harness/install.ts';
import { waitFor } from '../../harness/net.ts';
import { OPERATOR_NAMESPACE, OperatorProcess } from '../../harness/operator.ts';

const TAG = 'sovereign-placement.io/sp.sovereign.eu';
const BASE = '/apis/sovereign-placement.io/v1alpha1';
const available = fulcrumDescriptionAvailable();
if (!available) {
  describe('the operator with --fulcrum', () => {
    it.skip(SKIP_MESSAGE, () => {});
  });
}

describe.skipIf(!available)(
  'the operator with --fulcrum, on a real API server and a stand-in Fulcrum',
  () => {
    let cluster: TestCluster | undefined;
    let operator: OperatorProcess | undefined;
    let fulcrum: FulcrumStandIn | undefined;
    let kc: KubeConfig;
    let par: StandInAgent;
    let fra: StandInAgent;

    beforeAll(async () => {
      fulcrum = await new FulcrumStandIn().start();
      const eu = fulcrum.addParticipant('EuroCloud SAS');
      const us = fulcrum.addParticipant('GlobalCloud Inc');
      par = fulcrum.addAgent(eu, 'par-vm-agent', ['gpu']);
      fra = fulcrum.addAgent(us, 'fra-vm-agent', ['gpu', TAG]);
      cluster = await TestCluster.start({ name: 'fulcrum', controllers: false, kwok: false });
      kc = cluster.adminKubeConfig();
      await installCrds(kc);
      operator = await OperatorProcess.start(cluster, { args: ['--fulcrum'], leaderElect: false });
      await kubeRequest(kc, {
        method: 'POST',
        path: `/api/v1/namespaces/${OPERATOR_NAMESPACE}/secrets`,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'fulcrum-token' },
          stringData: { token: fulcrum.adminToken },
        },
      });
      await kubeRequest(kc, { method: 'POST', path: `${BASE}/sovereigntyareas`, body: area() });
      for (const service of [cloudService('eurocloud', 'FR'), cloudService('globalcloud', 'US')])
        await kubeRequest(kc, { method: 'POST', path: `${BASE}/cloudservices`, body: service });
      await kubeRequest(kc, {
        method: 'POST',
        path: `${BASE}/fulcrumfederations`,
        body: {
          apiVersion: API_VERSION,
          kind: 'FulcrumFederation',
          metadata: { name: 'cispe' },
          spec: {
            url: fulcrum.url,
            tokenSecretRef: { namespace: OPERATOR_NAMESPACE, name: 'fulcrum-token' },
            syncInterval: '10s',
            verdictTags: [{ badge: 'Sovereign', area: 'eu' }],
            agents: [
              { id: par.id, name: par.name, participantId: eu.id, cloudService: 'eurocloud', country: 'FR' },
              {
                id: fra.id,
                name: fra.name,
                participantId: us.id,
                cloudService: 'globalcloud',
                country: 'DE',
              },
            ],
          },
        },
      });
    });

    afterAll(async () => {
      await operator?.stop();
      await cluster?.stop();
      await fulcrum?.close();
    });

    const federation = () =>
      kubeRequest<{
        status?: {
          conditions?: { type: string; status: string; reason: string }[];
          agents?: {
            id: string;
            verdicts: { tag: string; conforms: boolean; reasons: { code: string }[] }[];
          }[];
        };
      }>(kc, { path: `${BASE}/fulcrumfederations/cispe` });

    it('tags the conforming agent, strips the forged tag, and reports each agent in status', async () => {
      await waitFor(
        'the first sync',
        async () =>
          (await federation()).status?.conditions?.find((c) => c.type === 'Synced')?.status === 'True',
        { timeoutMs: 30_000 },
      );
      expect(fulcrum?.agents.get(par.id)?.tags).toContain(TAG);
      expect(fulcrum?.agents.get(fra.id)?.tags).toEqual(['gpu']);
      const status = (await federation()).status;
      expect(status?.agents?.find((a) => a.id === fra.id)?.verdicts[0]?.reasons.map((r) => r.code)).toContain(
        'JurisdictionOutsideArea',
      );
      expect(fulcrum?.violations).toEqual([]);
    });

    it('removes the tag as soon as the badge is revoked, so that a service request finds no agent', async () => {
      const revoked = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      await kubeRequest(kc, {
        method: 'PATCH',
        path: `${BASE}/cloudservices/eurocloud`,
        contentType: 'application/json-patch+json',
        body: [{ op: 'add', path: '/spec/badges/0/revokedAt', value: revoked }],
      });
      const started = Date.now();
      await waitFor('the tag to go', () => !fulcrum?.agents.get(par.id)?.tags.includes(TAG), {
        timeoutMs: 20_000,
      });
      const tookMs = Date.now() - started;
      // Woken by the CloudService's change, not by the 10 s sync.
      expect(tookMs).toBeLessThan(8_000);
      const client = new FulcrumClient({
        url: fulcrum?.url as string,
        token: fulcrum?.adminToken as string,
        timeoutMs: 2000,
      });
      const error = await client
        .createService({
          groupId: '5d1f0a9e-3c2b-4a7d-8e6f-1b2c3d4e5f60',
          serviceTypeId: AGENT_TYPE,
          name: 'ledger-db',
          agentTags: [TAG],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FulcrumError);
      expect((error as FulcrumError).message).toContain('no agent found');
      await waitFor('the status to follow', async () => {
        const agent = (await federation()).status?.agents?.find((a) => a.id === par.id);
        return (
          agent?.verdicts[0]?.conforms === false && agent.verdicts[0].reasons[0]?.code === 'BadgeRevoked'
        );
      });
      expect(
        await operator?.metric('sovereign_placement_fulcrum_agents', {
          connection: 'cispe',
          state: 'conforming',
        }),
      ).toBe(0);
      expect(fulcrum?.violations).toEqual([]);
    });
  },
);
