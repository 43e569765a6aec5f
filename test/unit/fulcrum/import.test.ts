import { describe, expect, it } from 'vitest';
import { draftManifests, draftName, planMove } from '../../../src/cli/fulcrum.ts';

const P = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const A = '6f1c2b3a-8d4e-4f5a-9b6c-7d8e9f0a1b2c';

describe('sovctl fulcrum import drafts', () => {
  it('names a CloudService after its participant', () => {
    expect(draftName('EuroCloud SAS', 'x')).toBe('eurocloud-sas');
    expect(draftName('Ökö Cloud GmbH & Co. KG', 'x')).toBe('oko-cloud-gmbh-co-kg');
    expect(draftName('!!!', 'participant-0a1b2c3d')).toBe('participant-0a1b2c3d');
  });

  it('writes no jurisdiction, country or badge, and notes forged verdict tags', () => {
    const text = draftManifests({
      url: 'https://fulcrum.example.eu/api/v1',
      participants: [{ id: P, name: 'EuroCloud SAS', status: 'Enabled' }],
      agents: [
        {
          id: A,
          name: 'par',
          status: 'Connected',
          providerId: P,
          tags: ['sovereign-placement.io/sp.sovereign.eu'],
        },
      ],
    });
    expect(text).toContain('legalJurisdiction: ""');
    expect(text).toContain('badges: []');
    expect(text).toContain('cloudService: eurocloud-sas');
    expect(text).toContain('country: ""');
    expect(text).toContain('the operator will remove any it does not grant');
  });
});

describe('sovctl fulcrum move plan', () => {
  it('lists the agent services and the agents whose tags contain the requested ones', () => {
    const agents = [
      { id: A, name: 'old', status: 'Connected', tags: ['gpu'] },
      { id: 'b', name: 'good', status: 'Connected', tags: ['gpu', 't'] },
      {
        id: 'c',
        name: 'other',
        status: 'Connected',
        tags: ['t'],
        agentType: { id: 'x', serviceTypeIds: ['vm'] },
      },
    ] as never[];
    const services = [
      { id: 's1', name: 'db', agentId: A, serviceTypeId: 'k8s' },
      { id: 's2', name: 'web', agentId: 'b' },
    ] as never[];
    const plan = planMove('old', ['t'], agents, services);
    expect(plan.services.map((s) => [s.service.id, s.candidates.map((c) => c.name)])).toEqual([
      ['s1', ['good']],
    ]);
  });
});
