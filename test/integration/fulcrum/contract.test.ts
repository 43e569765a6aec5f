import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FulcrumClient, FulcrumError } from '../../../src/fulcrum/client.ts';
import {
  AGENT_TYPE,
  FulcrumStandIn,
  fulcrumDescriptionAvailable,
  SKIP_MESSAGE,
} from '../../harness/fulcrum-standin.ts';
import { cloudService, FulcrumWorld } from '../../harness/fulcrum-world.ts';

/**
 * The Fulcrum connector against a stand-in that validates every request and response against Fulcrum's
 * OpenAPI description: the connector may use nothing the description does not allow.
 */

const TAG = 'sovereign-placement.io/sp.sovereign.eu';
const CERTIFIED = 'sovereign-placement.io/sp.sovereign.eu=ThirdPartyCertified';
const GROUP_ID = '5d1f0a9e-3c2b-4a7d-8e6f-1b2c3d4e5f60';

const available = fulcrumDescriptionAvailable();
if (!available) {
  describe('Fulcrum contract', () => {
    it.skip(SKIP_MESSAGE, () => {});
  });
  console.warn(SKIP_MESSAGE);
}

describe.skipIf(!available)(
  'Fulcrum connector, against a stand-in checked by the OpenAPI description',
  () => {
    let fulcrum: FulcrumStandIn;
    beforeAll(async () => {
      fulcrum = await new FulcrumStandIn().start();
    });
    afterAll(async () => {
      await fulcrum?.close();
    });
    afterEach(() => {
      // Every request and answer of the test stayed within the description.
      expect(fulcrum.violations).toEqual([]);
      fulcrum.agents.clear();
      fulcrum.participants.clear();
      fulcrum.participantTokens.clear();
      fulcrum.services.clear();
      fulcrum.requests.length = 0;
      fulcrum.afterPatch = undefined;
    });

    /** Two providers: a sovereign French one and a non-European one, each with an agent. */
    function federation(extra: Record<string, unknown> = {}) {
      const sovereign = fulcrum.addParticipant('EuroCloud SAS');
      const foreign = fulcrum.addParticipant('GlobalCloud Inc');
      const par = fulcrum.addAgent(sovereign, 'par-vm-agent', ['gpu', 'ssd']);
      const fra = fulcrum.addAgent(foreign, 'fra-vm-agent', ['gpu']);
      const world = new FulcrumWorld(fulcrum, {
        agents: [
          {
            id: par.id,
            name: par.name,
            participantId: sovereign.id,
            cloudService: 'eurocloud',
            country: 'FR',
          },
          {
            id: fra.id,
            name: fra.name,
            participantId: foreign.id,
            cloudService: 'globalcloud',
            country: 'DE',
          },
        ],
        ...extra,
      });
      world.services.set('eurocloud', cloudService('eurocloud', 'FR'));
      world.services.set('globalcloud', cloudService('globalcloud', 'US'));
      return { world, sovereign, foreign, par, fra };
    }

    const request = (tags: string[]) =>
      new FulcrumClient({ url: fulcrum.url, token: fulcrum.adminToken, timeoutMs: 2000 }).createService({
        groupId: GROUP_ID,
        serviceTypeId: AGENT_TYPE,
        name: 'ledger-db',
        agentTags: tags,
      });

    it('the stand-in fails what the description does not allow (the check is not vacuous)', async () => {
      const get = (
        query: string,
        headers: Record<string, string> = { authorization: `Bearer ${fulcrum.adminToken}` },
      ) => fetch(`${fulcrum.url}/agents${query}`, { headers });
      await get('?limit=5');
      await get('?page=first');
      await get('', {});
      await fetch(`${fulcrum.url}/agents/not-a-uuid`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${fulcrum.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tags: 'gpu' }),
      });
      expect(fulcrum.violations).toEqual([
        'GET /api/v1/agents?limit=5: query parameter "limit" is not in the description',
        'GET /api/v1/agents?page=first: query page: (root) must be integer',
        // The stand-in's own answer to it is checked too: its page number is not an integer.
        'GET /api/v1/agents?page=first: response 200 body: /currentPage must be integer',
        'GET /api/v1/agents: no Authorization: Bearer header',
        'PATCH /api/v1/agents/not-a-uuid: path id: (root) must match format "uuid"',
        'PATCH /api/v1/agents/not-a-uuid: request body: /tags must be array',
      ]);
      fulcrum.violations.length = 0;
    });

    it('lists every page of agents with page and pageSize, as PageRes describes', async () => {
      const p = fulcrum.addParticipant('Many Agents SA');
      for (let i = 0; i < 250; i++) fulcrum.addAgent(p, `agent-${String(i).padStart(3, '0')}`);
      const client = new FulcrumClient({ url: fulcrum.url, token: fulcrum.adminToken, timeoutMs: 2000 });
      const agents = await client.listAgents();
      expect(agents).toHaveLength(250);
      expect(new Set(agents.map((a) => a.id)).size).toBe(250);
      expect(fulcrum.requests.map((r) => `${r.method} ${r.path}${r.query}`)).toEqual([
        'GET /api/v1/agents?page=1&pageSize=100',
        'GET /api/v1/agents?page=2&pageSize=100',
        'GET /api/v1/agents?page=3&pageSize=100',
      ]);
    });

    it('adds verdict tags to the conforming agent only, keeping every other tag in place', async () => {
      const { world, par, fra } = federation();
      await world.reconcile();
      expect(fulcrum.agents.get(par.id)?.tags).toEqual(['gpu', 'ssd', TAG, CERTIFIED]);
      expect(fulcrum.agents.get(fra.id)?.tags).toEqual(['gpu']);
      const patches = fulcrum.requests.filter((r) => r.method === 'PATCH');
      expect(patches).toHaveLength(1);
      expect(patches[0]?.body).toEqual({ tags: ['gpu', 'ssd', TAG, CERTIFIED] });
      expect(world.condition()).toMatchObject({ status: 'True', reason: 'Synced' });
      const status = world.federation.status as {
        agents: { id: string; verdicts: { tag: string; conforms: boolean; reasons: { code: string }[] }[] }[];
      };
      const fraStatus = status.agents.find((a) => a.id === fra.id);
      expect(fraStatus?.verdicts[0]).toMatchObject({ tag: TAG, conforms: false });
      expect(fraStatus?.verdicts[0]?.reasons.map((r) => r.code)).toContain('JurisdictionOutsideArea');
      // A second sync writes nothing.
      fulcrum.requests.length = 0;
      await world.reconcile();
      expect(fulcrum.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    });

    it('strips a verdict tag a participant put on its own agent, and leaves its other tags', async () => {
      const { world, foreign, fra } = federation();
      // Fulcrum lets a participant change its own agents' tags.
      const participant = new FulcrumClient({
        url: fulcrum.url,
        token: fulcrum.tokenOf(foreign.id),
        timeoutMs: 2000,
      });
      await participant.setAgentTags(fra.id, [
        'gpu',
        TAG,
        'Sovereign-Placement.io/sp.sovereign.eu',
        'eu-sovereign',
      ]);
      await world.reconcile();
      expect(fulcrum.agents.get(fra.id)?.tags).toEqual(['gpu', 'eu-sovereign']);
      const revoked = world.events.filter((e) => e.reason === 'VerdictRevoked');
      expect(revoked.map((e) => e.message).join('\n')).toContain(
        'Provider globalcloud SAS of CloudService globalcloud is under the law of US',
      );
      await expect(request([TAG])).resolves.toMatchObject({ agentId: expect.not.stringMatching(fra.id) });
    });

    it('merges again when another writer replaces the tags right after the operator wrote them', async () => {
      const { world, par, sovereign } = federation();
      let raced = false;
      fulcrum.afterPatch = (agent) => {
        if (raced || agent.id !== par.id) return;
        raced = true;
        // The participant read the tags before the operator's write, and writes its own array back.
        agent.tags = ['gpu', 'ssd', 'nvme'];
      };
      await world.reconcile();
      expect(raced).toBe(true);
      expect(fulcrum.agents.get(par.id)?.tags).toEqual(['gpu', 'ssd', 'nvme', TAG, CERTIFIED]);
      expect(sovereign.id).toBeTruthy();
    });

    it('removes the tag of a revoked badge before a service request can use it: "no agent found"', async () => {
      const { world, par } = federation();
      await world.reconcile();
      await expect(request([TAG])).resolves.toMatchObject({ agentId: par.id });

      world.services.set('eurocloud', cloudService('eurocloud', 'FR', { revokedAt: '2026-05-31T12:00:00Z' }));
      await world.reconcile();
      expect(fulcrum.agents.get(par.id)?.tags).toEqual(['gpu', 'ssd']);
      const error = await request([TAG]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FulcrumError);
      expect((error as FulcrumError).status).toBe(400);
      expect((error as FulcrumError).message).toContain('no agent found');
      const revoked = world.events.find((e) => e.reason === 'VerdictRevoked');
      expect(revoked?.message).toContain('was revoked at 2026-05-31T12:00:00Z');
    });

    it('re-checks at the lead time before a badge lapses, and the tag goes then', async () => {
      const { world, par } = federation({
        verdictTags: [{ badge: 'Sovereign', area: 'eu', expiryLeadTime: '168h' }],
      });
      world.services.set(
        'eurocloud',
        cloudService('eurocloud', 'FR', { validUntil: '2026-06-10T00:00:00Z' }),
      );
      const result = await world.reconcile();
      const edge = Date.parse('2026-06-03T00:00:00Z');
      expect(result).toEqual({ requeueAt: Math.min(edge, world.now + 60_000) });
      expect(world.federation.status?.nextTransitionAt).toBe('2026-06-03T00:00:00Z');
      expect(fulcrum.agents.get(par.id)?.tags).toContain(TAG);
      world.now = edge;
      await world.reconcile();
      expect(fulcrum.agents.get(par.id)?.tags).toEqual(['gpu', 'ssd']);
    });

    it('treats a Disabled or Disconnected agent as not conforming, although Fulcrum would place on it', async () => {
      const { world, par } = federation();
      await world.reconcile();
      const agent = fulcrum.agents.get(par.id);
      if (agent) agent.status = 'Disabled';
      await world.reconcile();
      expect(fulcrum.agents.get(par.id)?.tags).toEqual(['gpu', 'ssd']);
      const error = await request([TAG]).catch((e: unknown) => e);
      expect((error as FulcrumError).message).toContain('no agent found');
      const status = world.federation.status as {
        agents: { id: string; fulcrumStatus: string; verdicts: { reasons: { message: string }[] }[] }[];
      };
      const entry = status.agents.find((a) => a.id === par.id);
      expect(entry?.fulcrumStatus).toBe('Disabled');
      expect(entry?.verdicts[0]?.reasons.map((r) => r.message)).toContain(
        'The Fulcrum agent is not healthy: Fulcrum reports it Disabled, and only a Connected agent counts.',
      );
    });

    it('reports a 401 as a condition and keeps the last known agents', async () => {
      const { world } = federation();
      await world.reconcile();
      const before = world.federation.status?.agents;
      fulcrum.fail({ status: 401, path: '/agents' });
      const result = await world.reconcile();
      expect(world.condition()).toMatchObject({ status: 'False', reason: 'FulcrumUnauthorized' });
      expect(world.condition()?.message).toContain('HTTP 401');
      expect(world.federation.status?.agents).toEqual(before);
      expect(world.federation.status?.lastSyncTime).toBe('2026-06-01T00:00:00Z');
      expect(result).toEqual({ requeueAfterMs: 30_000 });
      expect(world.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'FulcrumUnauthorized' });
    });

    it('reports a 5xx and a timeout as conditions, and recovers at the next sync', async () => {
      const { world, par } = federation({ requestTimeout: '1s' });
      fulcrum.fail({ status: 503, path: '/agents' });
      await world.reconcile();
      expect(world.condition()).toMatchObject({ status: 'False', reason: 'FulcrumServerError' });
      fulcrum.fail({ delayMs: 1500, path: '/agents' });
      await world.reconcile();
      expect(world.condition()).toMatchObject({ status: 'False', reason: 'FulcrumTimeout' });
      await world.reconcile();
      expect(world.condition()).toMatchObject({ status: 'True', reason: 'Synced' });
      expect(fulcrum.agents.get(par.id)?.tags).toContain(TAG);
      const errors = await world.metrics.registry.getSingleMetricAsString(
        'sovereign_placement_fulcrum_sync_errors_total',
      );
      expect(errors).toContain('reason="FulcrumServerError"');
      expect(errors).toContain('reason="FulcrumTimeout"');
    });

    it('says when the token Secret is missing, and an agent without a record conforms to nothing', async () => {
      const { world, sovereign } = federation();
      const stray = fulcrum.addAgent(sovereign, 'unrecorded-agent', [TAG]);
      world.token = null;
      await world.reconcile();
      expect(world.condition()).toMatchObject({ status: 'False', reason: 'TokenSecretMissing' });
      world.token = fulcrum.adminToken;
      await world.reconcile();
      expect(fulcrum.agents.get(stray.id)?.tags).toEqual([]);
      const status = world.federation.status as {
        agents: { id: string; verdicts: { reasons: { code: string; message: string }[] }[] }[];
      };
      expect(status.agents.find((a) => a.id === stray.id)?.verdicts[0]?.reasons[0]?.message).toContain(
        `no entry of FulcrumFederation cispe maps agent ${stray.id}`,
      );
    });
  },
);
