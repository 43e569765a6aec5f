import { describe, expect, it } from 'vitest';
import { FulcrumFederationDef } from '../../../src/api/index.ts';
import { validateResource } from '../../../src/api/validate.ts';
import { derive } from '../../../src/cluster/facts.ts';
import {
  type FulcrumAgentObject,
  planAgent,
  planFulcrumFederation,
} from '../../../src/cluster/fulcrum-agents.ts';
import { area, cloudService } from '../../harness/fulcrum-world.ts';

const P1 = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const P2 = '1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const A1 = '6f1c2b3a-8d4e-4f5a-9b6c-7d8e9f0a1b2c';
const TAG = 'sovereign-placement.io/sp.sovereign.eu';
const CERTIFIED = `${TAG}=ThirdPartyCertified`;
const NOW = Date.parse('2026-06-01T00:00:00Z');

const federation = (spec: Record<string, unknown> = {}) =>
  FulcrumFederationDef.object.parse({
    apiVersion: 'sovereign-placement.io/v1alpha1',
    kind: 'FulcrumFederation',
    metadata: { name: 'cispe' },
    spec: {
      url: 'https://fulcrum.example.eu/api/v1',
      tokenSecretRef: { namespace: 'ops', name: 'fulcrum-token' },
      verdictTags: [{ badge: 'Sovereign', area: 'eu', expiryLeadTime: '24h' }],
      agents: [{ id: A1, participantId: P1, cloudService: 'eurocloud', country: 'FR' }],
      ...spec,
    },
  });
const agent = (over: Partial<FulcrumAgentObject> = {}): FulcrumAgentObject => ({
  id: A1,
  name: 'par-vm-agent',
  status: 'Connected',
  providerId: P1,
  tags: ['gpu'],
  ...over,
});
const derived = (assurance = 'ThirdPartyCertified', validUntil = '2030-01-01T00:00:00Z') =>
  derive(
    {
      nodes: [],
      pods: [],
      namespaces: [],
      budgets: [],
      policies: [],
      services: [cloudService('eurocloud', 'FR', { assurance, validUntil })],
      areas: [area()],
    },
    NOW,
  );

describe('the verdict tags of a Fulcrum agent', () => {
  it('a conforming agent gets the tag, and the certified tag with a ThirdPartyCertified badge', () => {
    expect(planAgent(federation(), agent(), derived()).tags.tags).toEqual(['gpu', TAG, CERTIFIED]);
    expect(planAgent(federation(), agent(), derived('SelfDeclared')).tags.tags).toEqual(['gpu', TAG]);
  });

  it('an agent Fulcrum reports under another participant than the record conforms to nothing', () => {
    const plan = planAgent(federation(), agent({ providerId: P2, tags: ['gpu', TAG] }), derived());
    expect(plan.tags.tags).toEqual(['gpu']);
    expect(plan.status.verdicts[0]?.reasons[0]?.message).toBe(
      `No known CloudService runs this Fulcrum agent: FulcrumFederation cispe records it under participant ${P1}, but Fulcrum reports it under ${P2}.`,
    );
  });

  it('a Disconnected, New or Error agent, a cordoned one, or one outside the area conforms to nothing', () => {
    for (const status of ['Disconnected', 'Disabled', 'New', 'Error'])
      expect(planAgent(federation(), agent({ status, tags: [TAG] }), derived()).tags.tags).toEqual([]);
    const cordoned = federation({
      agents: [{ id: A1, cloudService: 'eurocloud', country: 'FR', cordoned: true }],
    });
    expect(planAgent(cordoned, agent(), derived()).tags.tags).toBeNull();
    const outside = federation({ agents: [{ id: A1, cloudService: 'eurocloud', country: 'CH' }] });
    const plan = planAgent(outside, agent(), derived());
    expect(plan.status.verdicts[0]?.reasons.map((r) => r.code)).toEqual(['CountryOutsideArea']);
  });

  it('keeps an overlong name or status from Fulcrum within the status bounds', () => {
    const plan = planAgent(
      federation(),
      agent({ name: 'n'.repeat(1000), status: 'S'.repeat(100) }),
      derived(),
    );
    expect(plan.status.name).toHaveLength(253);
    expect(plan.status.fulcrumStatus).toHaveLength(32);
  });

  it('plans again at the lead time before the badge lapses', () => {
    const plan = planFulcrumFederation(
      federation(),
      [agent()],
      derived('ThirdPartyCertified', '2026-06-10T00:00:00Z'),
    );
    expect(plan.nextTransitionAt).toBe(Date.parse('2026-06-09T00:00:00Z'));
  });
});

describe('FulcrumFederation validation', () => {
  const object = (spec: Record<string, unknown>) => ({
    apiVersion: 'sovereign-placement.io/v1alpha1',
    kind: 'FulcrumFederation',
    metadata: { name: 'cispe' },
    spec: {
      url: 'https://fulcrum.example.eu/api/v1',
      tokenSecretRef: { namespace: 'ops', name: 'fulcrum-token' },
      verdictTags: [{ badge: 'Sovereign', area: 'eu' }],
      ...spec,
    },
  });
  const errors = (spec: Record<string, unknown>) => {
    const r = validateResource(object(spec));
    return r.ok ? [] : r.errors;
  };
  it('accepts https, and http for the loopback only', () => {
    expect(errors({})).toEqual([]);
    expect(errors({ url: 'http://127.0.0.1:8080/api/v1' })).toEqual([]);
    expect(errors({ url: 'http://fulcrum.example.eu/api/v1' }).join()).toContain(
      'spec.url: must be an https:// URL',
    );
  });
  it('names the field and the fix', () => {
    expect(errors({ agents: [{ id: A1, cloudService: 'eurocloud', country: 'UK' }] }).join()).toContain(
      'did you mean GB (United Kingdom)?',
    );
    expect(
      errors({ agents: [{ id: 'agent-1', cloudService: 'eurocloud', country: 'FR' }] }).join(),
    ).toContain('must be a Fulcrum id');
    expect(errors({ syncInterval: '5s' }).join()).toContain('syncInterval must be at least 10s');
    expect(errors({ syncInterval: '2h' }).join()).toContain('must be at most 1h');
    expect(
      errors({
        verdictTags: [
          { badge: 'Sovereign', area: 'eu' },
          { badge: 'Sovereign', area: 'eu' },
        ],
      }).join(),
    ).toContain('each (badge, area) pair may appear once');
    expect(errors({ verdictTags: [] }).join()).toContain('name at least one (badge, area) pair');
  });
});
