import { describe, expect, it } from 'vitest';
import {
  clusterCandidate,
  evaluateConformance,
  failoverPlanJson,
  failoverPlanSentences,
  placementJson,
  placementSentences,
  placeWorkload,
  planFailover,
  verdictJson,
  verdictSentence,
} from '../../../src/domain/index.ts';
import { failoverInput, pod } from './failover-fixtures.ts';
import { badge, cluster, facts, HOUR, iso, node, service, sovereignEu, T0 } from './fixtures.ts';

describe('verdictJson', () => {
  it('has exactly the documented shape, with RFC 3339 instants', () => {
    const s = service('s', { jurisdiction: 'US', badges: [badge({ validUntil: '2026-12-31T00:00:00Z' })] });
    const target = node('worker-1', s);
    const req = {
      badges: ['Sovereign' as const],
      area: 'eu',
      minimumAssurance: 'ThirdPartyCertified' as const,
    };
    const json = verdictJson(target, req, evaluateConformance(target, req, facts, T0));
    expect(json).toEqual({
      target: { kind: 'Node', name: 'worker-1' },
      requirement: { badge: 'Sovereign', area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
      conforms: false,
      reasons: [
        {
          code: 'JurisdictionOutsideArea',
          message:
            'Provider Provider of s of CloudService s is under the law of US, outside area eu; a Sovereign badge needs it inside.',
        },
      ],
      nextTransitionAt: '2026-12-31T00:00:00Z',
    });
    expect(Object.keys(json)).toEqual(['target', 'requirement', 'conforms', 'reasons', 'nextTransitionAt']);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('applies the API defaults and names several badges', () => {
    const target = cluster('m1', null);
    const json = verdictJson(
      target,
      { badges: ['Sovereign', 'Resilient'], area: 'eu' },
      evaluateConformance(target, sovereignEu, facts, T0),
    );
    expect(json.requirement).toEqual({
      badge: 'Sovereign or Resilient',
      area: 'eu',
      minimumAssurance: 'SelfDeclared',
    });
    expect(json.nextTransitionAt).toBeNull();
  });
});

describe('verdictSentence', () => {
  it('says that a target conforms and when that can change', () => {
    const target = node(
      'worker-1',
      service('s', { badges: [badge({ validUntil: '2026-12-31T00:00:00Z' })] }),
    );
    expect(verdictSentence(target, sovereignEu, evaluateConformance(target, sovereignEu, facts, T0))).toBe(
      'Node worker-1 conforms to the Sovereign badge for area eu at any assurance. This can change at 2026-12-31T00:00:00Z.',
    );
  });

  it('says why not, with every reason', () => {
    const target = cluster('m1', service('s', { badges: [] }), { country: 'US' });
    expect(verdictSentence(target, sovereignEu, evaluateConformance(target, sovereignEu, facts, T0))).toBe(
      'Member cluster m1 does not conform to the Sovereign badge for area eu at any assurance. CloudService s holds no Sovereign badge for area eu. The member cluster is in US, outside area eu.',
    );
  });
});

describe('placement explanations', () => {
  const ok = cluster('a', service('s1', { provider: 'P1' }));
  const ko = cluster('b', service('s2', { provider: 'P2' }), { healthy: false });
  const placement = placeWorkload(
    [ok, ko].map((t) => clusterCandidate(t, evaluateConformance(t, sovereignEu, facts, T0))),
    { clusters: 2, current: ['b'] },
  );

  it('renders JSON', () => {
    const json = placementJson(placement);
    expect(json).toMatchObject({
      complete: false,
      placements: [{ cluster: 'a', provider: 'P1', cloudService: 's1', kept: false }],
      added: ['a'],
      removed: ['b'],
      rejected: [
        {
          cluster: 'b',
          reasons: [{ code: 'TargetUnhealthy', message: 'The member cluster is not healthy.' }],
        },
      ],
      reasons: [{ code: 'NoConformingCapacity' }],
      nextTransitionAt: iso(T0 + 365 * 24 * HOUR).replace('.000Z', 'Z'),
    });
  });

  it('renders sentences', () => {
    expect(placementSentences(placement)).toEqual([
      'Only 1 conforming member cluster for the 2 needed; the operator never falls back to a non-conforming one.',
      'Runs on: a (P1).',
      'Added: a.',
      'Removed: b.',
      'Not chosen: b. The member cluster is not healthy.',
    ]);
  });
});

describe('failover plan explanations', () => {
  const plan = planFailover(
    failoverInput({
      pods: [pod('a', 'bad-node'), pod('b', 'bad-node', { terminating: true })],
      conformingCapacityExists: false,
    }),
  );

  it('renders JSON', () => {
    const json = failoverPlanJson(plan);
    expect(json.evictsWithoutCapacity).toBe(true);
    expect(json.evictNow).toEqual([
      {
        pod: 'apps/a',
        node: 'bad-node',
        reason: { code: 'EvictedWithoutCapacity', message: expect.stringContaining('bad-node') },
        budget: null,
        nodeReasons: [
          { code: 'BadgeExpired', message: expect.stringContaining('expired at 2026-05-31T23:00:00Z') },
        ],
      },
    ]);
    expect(json.blocked.map((b) => [b.pod, b.reason.code])).toEqual([['apps/b', 'PodTerminating']]);
    expect(json.nextPlanAt).toBeNull();
  });

  it('renders sentences, saying first that it evicts without capacity', () => {
    const sentences = failoverPlanSentences(plan);
    expect(sentences[0]).toContain('No conforming capacity exists');
    expect(sentences.slice(1)).toEqual([
      expect.stringMatching(
        /^Evict apps\/a: Node bad-node no longer conforms and no conforming capacity exists/,
      ),
      'Keep apps/b: The pod is already terminating; it is not evicted again.',
    ]);
  });

  it('renders deferrals with their instant', () => {
    const deferred = planFailover(failoverInput({ pods: [pod('a', 'bad-node')], gracePeriodMs: 2 * HOUR }));
    expect(failoverPlanJson(deferred).deferred[0]?.until).toBe('2026-06-01T01:00:00Z');
    expect(failoverPlanSentences(deferred)).toEqual([
      'Defer apps/a until 2026-06-01T01:00:00Z: Node bad-node stopped conforming at 2026-05-31T23:00:00Z; the grace period ends at 2026-06-01T01:00:00Z.',
    ]);
  });
});
