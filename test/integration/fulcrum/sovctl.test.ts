import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseManifests } from '../../../src/api/manifests.ts';
import { validateResource } from '../../../src/api/validate.ts';
import {
  AGENT_TYPE,
  FulcrumStandIn,
  fulcrumDescriptionAvailable,
  SKIP_MESSAGE,
} from '../../harness/fulcrum-standin.ts';
import { area, cloudService, FulcrumWorld } from '../../harness/fulcrum-world.ts';
import { cli } from '../../unit/cli/helpers.ts';

/** sovctl fulcrum import / move and explain fulcrum-agent, against the contract-checking stand-in. */

const TAG = 'sovereign-placement.io/sp.sovereign.eu';
const GROUP_ID = '5d1f0a9e-3c2b-4a7d-8e6f-1b2c3d4e5f60';
const available = fulcrumDescriptionAvailable();
if (!available) {
  describe('sovctl fulcrum', () => {
    it.skip(SKIP_MESSAGE, () => {});
  });
}

describe.skipIf(!available)('sovctl fulcrum, against a stand-in checked by the OpenAPI description', () => {
  let fulcrum: FulcrumStandIn;
  let dir: string;
  let tokenFile: string;
  beforeAll(async () => {
    fulcrum = await new FulcrumStandIn().start();
    dir = mkdtempSync(join(tmpdir(), 'sovctl-fulcrum-'));
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${fulcrum.adminToken}\n`);
  });
  afterAll(async () => {
    await fulcrum?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    const violations = fulcrum.violations.splice(0);
    fulcrum.agents.clear();
    fulcrum.participants.clear();
    fulcrum.participantTokens.clear();
    fulcrum.services.clear();
    fulcrum.requests.length = 0;
    expect(violations).toEqual([]);
  });

  it('import lists every page and drafts manifests that stay invalid until a person completes them', async () => {
    for (let i = 0; i < 120; i++) {
      const p = fulcrum.addParticipant(`Provider ${String(i).padStart(3, '0')} SAS`);
      fulcrum.addAgent(p, `agent-${i}`, i === 0 ? ['gpu', TAG] : ['gpu']);
    }
    const r = await cli('fulcrum', 'import', '--url', fulcrum.url, '--token-file', tokenFile);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fulcrum.requests.map((q) => `${q.path}${q.query}`).sort()).toEqual([
      '/api/v1/agents?page=1&pageSize=100',
      '/api/v1/agents?page=2&pageSize=100',
      '/api/v1/participants?page=1&pageSize=100',
      '/api/v1/participants?page=2&pageSize=100',
    ]);
    const docs = parseManifests(r.stdout, 'drafts.yaml');
    expect(docs.filter((d) => (d.object as { kind: string }).kind === 'CloudService')).toHaveLength(120);
    const federation = docs.find((d) => (d.object as { kind: string }).kind === 'FulcrumFederation')
      ?.object as {
      spec: { agents: { cloudService: string; country: string }[] };
    };
    expect(federation.spec.agents).toHaveLength(120);
    expect(r.stdout).toContain('# TODO: the ISO 3166-1 alpha-2 country the agent deploys in.');
    expect(r.stdout).toContain('badges: []');
    // No draft is valid as is: a person must write the facts.
    for (const d of docs) expect(validateResource(d.object).ok).toBe(false);
  });

  it('import says what went wrong when the token is refused', async () => {
    fulcrum.fail({ status: 401, path: '/participants' });
    const r = await cli('fulcrum', 'import', '--url', fulcrum.url, '--token-file', tokenFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('HTTP 401');
    expect(r.stderr).toContain('the token is wrong or expired');
  });

  it('move is a dry run unless --yes, lists where each service could go, and recreates with the verdict tag', async () => {
    const a = fulcrum.addParticipant('EuroCloud SAS');
    const b = fulcrum.addParticipant('GlobalCloud Inc');
    const good = fulcrum.addAgent(a, 'par-vm-agent', ['gpu', TAG]);
    const old = fulcrum.addAgent(b, 'fra-vm-agent', ['gpu']);
    const now = new Date().toISOString();
    fulcrum.services.set('7a0c3d9e-1b2f-4c5d-8e9f-0a1b2c3d4e5f', {
      id: '7a0c3d9e-1b2f-4c5d-8e9f-0a1b2c3d4e5f',
      name: 'ledger-db',
      status: 'Started',
      properties: { cpu: 2 },
      agentInstanceData: { vm: 'i-123' },
      agentId: old.id,
      providerId: b.id,
      consumerId: b.id,
      serviceTypeId: AGENT_TYPE,
      groupId: GROUP_ID,
      createdAt: now,
      updatedAt: now,
    });
    const args = [
      'fulcrum',
      'move',
      '--url',
      fulcrum.url,
      '--token-file',
      tokenFile,
      '--agent',
      old.id,
      '--tag',
      TAG,
    ];
    const dry = await cli(...args);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run: would recreate 1 service(s) of agent fra-vm-agent');
    expect(dry.stdout).toContain(
      `ledger-db (7a0c3d9e-1b2f-4c5d-8e9f-0a1b2c3d4e5f, Started): Fulcrum takes the first of: par-vm-agent (${good.id}, Connected)`,
    );
    expect(fulcrum.requests.filter((q) => q.method !== 'GET')).toEqual([]);

    const real = await cli(...args, '--yes');
    expect(real.code).toBe(0);
    const services = [...fulcrum.services.values()];
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ name: 'ledger-db', agentId: good.id, properties: { cpu: 2 } });
    expect(real.stdout).toContain(
      `deleted ledger-db (7a0c3d9e-1b2f-4c5d-8e9f-0a1b2c3d4e5f) from agent ${old.id}`,
    );
  });

  it('move refuses to run without a verdict tag', async () => {
    const r = await cli(
      'fulcrum',
      'move',
      '--url',
      fulcrum.url,
      '--token-file',
      tokenFile,
      '--agent',
      'x',
      '--tag',
      'gpu',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give at least one verdict tag with --tag');
  });

  it('explain fulcrum-agent shows the recorded verdicts and recomputes them from an inventory', async () => {
    const a = fulcrum.addParticipant('EuroCloud SAS');
    const agent = fulcrum.addAgent(a, 'par-vm-agent', ['gpu']);
    const world = new FulcrumWorld(fulcrum, {
      agents: [
        { id: agent.id, name: agent.name, participantId: a.id, cloudService: 'eurocloud', country: 'FR' },
      ],
    });
    world.services.set('eurocloud', cloudService('eurocloud', 'FR'));
    await world.reconcile();
    const inventory = join(dir, 'inventory');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(inventory, { recursive: true });
    const revoked = cloudService('eurocloud', 'FR', { revokedAt: '2026-07-01T00:00:00Z' });
    writeFileSync(
      join(inventory, 'all.yaml'),
      [area(), revoked, world.federation].map((o) => stringify(o)).join('---\n'),
    );
    const before = await cli(
      'explain',
      `fulcrum-agent/${agent.name}`,
      '--inventory',
      inventory,
      '--at',
      '2026-06-01T00:00:00Z',
    );
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(`CONFORMS     ${TAG}`);
    const after = await cli(
      'explain',
      `fagent/${agent.id}`,
      '--inventory',
      inventory,
      '--at',
      '2026-07-02T00:00:00Z',
      '-o',
      'json',
    );
    expect(after.code).toBe(0);
    const json = JSON.parse(after.stdout);
    expect(json.verdicts[0]).toMatchObject({ tag: TAG, conforms: false });
    expect(json.verdicts[0].reasons[0].code).toBe('BadgeRevoked');
    expect(json.recorded.verdicts[0]).toMatchObject({ tag: TAG, conforms: true });
  });
});
