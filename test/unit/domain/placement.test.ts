import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClusterCandidate,
  clusterCandidate,
  evaluateConformance,
  type Placement,
  placeWorkload,
  type Target,
} from '../../../src/domain/index.ts';
import { cluster, codes, facts, service, sovereignEu, T0, targetArb } from './fixtures.ts';

const services = {
  P1: service('s1', { provider: 'P1' }),
  P2: service('s2', { provider: 'P2' }),
  P3: service('s3', { provider: 'P3' }),
};
type P = keyof typeof services;

/** A conforming (or, with overrides, non-conforming) cluster of a provider, through the real evaluation. */
function candidate(name: string, provider: P, overrides: Partial<Target> = {}): ClusterCandidate {
  const target = cluster(name, services[provider], overrides);
  return clusterCandidate(target, evaluateConformance(target, sovereignEu, facts, T0));
}
const names = (p: Placement) => p.chosen.map((c) => c.cluster);

describe('placeWorkload', () => {
  it('chooses N conforming clusters by name', () => {
    const p = placeWorkload([candidate('c', 'P1'), candidate('a', 'P1'), candidate('b', 'P1')], {
      clusters: 2,
    });
    expect(names(p)).toEqual(['a', 'b']);
    expect(p.complete).toBe(true);
    expect(codes(p.reasons)).toEqual(['Placed']);
    expect(p.added).toEqual(['a', 'b']);
    expect(p.rejected).toEqual([
      { cluster: 'c', reasons: [expect.objectContaining({ code: 'NotSelected' })] },
    ]);
  });

  it('never chooses a non-conforming or unhealthy cluster, even to reach N', () => {
    const p = placeWorkload(
      [
        candidate('a', 'P1'),
        candidate('b', 'P1', { healthy: false }),
        candidate('c', 'P2', { country: 'US' }),
      ],
      { clusters: 3 },
    );
    expect(names(p)).toEqual(['a']);
    expect(p.complete).toBe(false);
    expect(codes(p.reasons)).toEqual(['NoConformingCapacity']);
    expect(p.rejected.map((r) => [r.cluster, codes(r.reasons)])).toEqual([
      ['b', ['TargetUnhealthy']],
      ['c', ['CountryOutsideArea']],
    ]);
  });

  it('keeps the clusters it runs on while they conform, even when others sort first', () => {
    const p = placeWorkload([candidate('a', 'P1'), candidate('b', 'P1'), candidate('z', 'P1')], {
      clusters: 1,
      current: ['z'],
    });
    expect(p.chosen).toEqual([{ cluster: 'z', provider: 'P1', cloudService: 's1', kept: true }]);
    expect(p.added).toEqual([]);
    expect(p.removed).toEqual([]);
  });

  it('fails over from a cluster that stopped conforming, and says so', () => {
    const p = placeWorkload([candidate('a', 'P1'), candidate('z', 'P1', { cordoned: true })], {
      clusters: 1,
      current: ['z'],
    });
    expect(names(p)).toEqual(['a']);
    expect(p.added).toEqual(['a']);
    expect(p.removed).toEqual(['z']);
    expect(p.rejected).toEqual([
      { cluster: 'z', reasons: [expect.objectContaining({ code: 'TargetCordoned' })] },
    ]);
  });

  it('removes current clusters that are no longer known', () => {
    expect(placeWorkload([candidate('a', 'P1')], { clusters: 1, current: ['gone'] }).removed).toEqual([
      'gone',
    ]);
  });

  it('spreads across providers when asked', () => {
    const p = placeWorkload(
      [
        candidate('a1', 'P1'),
        candidate('a2', 'P1'),
        candidate('a3', 'P1'),
        candidate('b1', 'P2'),
        candidate('c1', 'P3'),
      ],
      { clusters: 3, spreadAcrossProviders: 3 },
    );
    expect(names(p)).toEqual(['a1', 'b1', 'c1']);
    expect(p.providers).toBe(3);
    expect(p.complete).toBe(true);
  });

  it('gives way to reach the spread: an over-represented kept cluster is replaced', () => {
    const p = placeWorkload([candidate('a1', 'P1'), candidate('a2', 'P1'), candidate('b1', 'P2')], {
      clusters: 2,
      spreadAcrossProviders: 2,
      current: ['a1', 'a2'],
    });
    expect(names(p)).toEqual(['a1', 'b1']);
    expect(p.removed).toEqual(['a2']);
  });

  it('reports a spread it cannot meet, and still places what conforms', () => {
    const p = placeWorkload([candidate('a1', 'P1'), candidate('a2', 'P1')], {
      clusters: 2,
      spreadAcrossProviders: 2,
    });
    expect(names(p)).toEqual(['a1', 'a2']);
    expect(codes(p.reasons)).toEqual(['SpreadNotMet']);
    expect(p.complete).toBe(false);
  });

  it('reports both missing capacity and spread', () => {
    const p = placeWorkload([candidate('a1', 'P1')], { clusters: 3, spreadAcrossProviders: 2 });
    expect(codes(p.reasons)).toEqual(['NoConformingCapacity', 'SpreadNotMet']);
  });

  it('shrinks deterministically when fewer clusters are asked', () => {
    const p = placeWorkload([candidate('a', 'P1'), candidate('b', 'P1'), candidate('c', 'P1')], {
      clusters: 2,
      current: ['a', 'b', 'c'],
    });
    expect(names(p)).toEqual(['a', 'b']);
    expect(p.removed).toEqual(['c']);
  });

  it('carries the earliest next transition of the candidates', () => {
    const soon = service('soon', {
      provider: 'P9',
      badges: [{ ...services.P1.spec.badges[0], validUntil: '2026-06-05T00:00:00Z' } as never],
    });
    const t = cluster('x', soon);
    const p = placeWorkload(
      [candidate('a', 'P1'), clusterCandidate(t, evaluateConformance(t, sovereignEu, facts, T0))],
      {
        clusters: 1,
      },
    );
    expect(p.nextTransitionAt).toBe(Date.parse('2026-06-05T00:00:00Z'));
  });
});

// ---- properties ----

const candidatesArb = fc
  .uniqueArray(targetArb('MemberCluster'), { selector: (t) => t.name, maxLength: 8 })
  .map((targets) => targets.map((t) => clusterCandidate(t, evaluateConformance(t, sovereignEu, facts, T0))));
const requestArb = fc
  .record({ clusters: fc.integer({ min: 1, max: 5 }), spread: fc.integer({ min: 1, max: 3 }) })
  .map(({ clusters, spread }) => ({ clusters, spreadAcrossProviders: Math.min(spread, clusters) }));

describe('placement properties', () => {
  it('never contains a non-conforming or unhealthy cluster, nor more than asked; explains every other one', () => {
    fc.assert(
      fc.property(
        candidatesArb,
        requestArb,
        fc.array(fc.constantFrom('a', 'b', 'c', 'x')),
        (cands, req, current) => {
          const p = placeWorkload(cands, { ...req, current });
          const byName = new Map(cands.map((c) => [c.name, c]));
          expect(p.chosen.length).toBeLessThanOrEqual(req.clusters);
          for (const c of p.chosen) {
            const cand = byName.get(c.cluster);
            expect(cand?.verdict.conforms).toBe(true);
            expect(cand?.verdict.reasons.some((r) => r.code === 'TargetUnhealthy')).toBe(false);
          }
          // Every candidate is either chosen or rejected with at least one reason.
          expect(p.chosen.length + p.rejected.length).toBe(cands.length);
          for (const r of p.rejected) expect(r.reasons.length).toBeGreaterThan(0);
          // Never short of clusters while a conforming one is left out.
          const conforming = cands.filter((c) => c.verdict.conforms).length;
          expect(p.chosen.length).toBe(Math.min(req.clusters, conforming));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is stable: placing again from its own result changes nothing', () => {
    fc.assert(
      fc.property(candidatesArb, requestArb, (cands, req) => {
        const first = placeWorkload(cands, req);
        const again = placeWorkload(cands, { ...req, current: first.chosen.map((c) => c.cluster) });
        expect(again.chosen.map((c) => c.cluster)).toEqual(first.chosen.map((c) => c.cluster));
        expect(again.added).toEqual([]);
        expect(again.removed).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('is unchanged by adding an irrelevant cluster', () => {
    fc.assert(
      fc.property(
        candidatesArb,
        requestArb,
        targetArb('MemberCluster'),
        fc.constantFrom('0-first', 'b0', 'zz-last'),
        (cands, req, extraTarget, extraName) => {
          fc.pre(!cands.some((c) => c.name === extraName));
          const first = placeWorkload(cands, req);
          const current = first.chosen.map((c) => c.cluster);
          const extra = clusterCandidate(
            { ...extraTarget, name: extraName },
            evaluateConformance(extraTarget, sovereignEu, facts, T0),
          );
          // Irrelevant: it does not conform, or the placement is already full, spread and conforming.
          fc.pre(!extra.verdict.conforms || first.complete);
          const second = placeWorkload([...cands, extra], { ...req, current });
          expect(second.chosen).toEqual(first.chosen.map((c) => ({ ...c, kept: true })));
          expect(second.added).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is deterministic: the order of the candidates does not matter', () => {
    fc.assert(
      fc.property(
        candidatesArb.chain((c) => fc.tuple(fc.constant(c), fc.shuffledSubarray(c, { minLength: c.length }))),
        requestArb,
        ([cands, shuffled], req) => {
          expect(placeWorkload(shuffled, req)).toEqual(placeWorkload(cands, req));
        },
      ),
      { numRuns: 300 },
    );
  });
});
