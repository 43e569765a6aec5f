import { describe, expect, it } from 'vitest';
import {
  evaluateConformance,
  mostFrequentReasons,
  summarizeCapacity,
  type Target,
} from '../../../src/domain/index.ts';
import { badge, cluster, codes, facts, node, service, sovereignEu, T0 } from './fixtures.ts';

const assess = (targets: Target[], requirement = sovereignEu) =>
  targets.map((target) => ({ target, verdict: evaluateConformance(target, requirement, facts, T0) }));

describe('summarizeCapacity', () => {
  const a = service('svc-a', { provider: 'Alpha' });
  const a2 = service('svc-a2', { provider: 'Alpha' });
  const b = service('svc-b', { provider: 'Beta' });

  it('counts conforming targets per provider and service', () => {
    const summary = summarizeCapacity(
      assess([node('1', a), node('2', a), node('3', a2), node('4', b), node('5', b, { country: 'US' })]),
      2,
    );
    expect(summary).toMatchObject({ conformingTargets: 4, providers: 2, sufficient: true, reasons: [] });
    expect(summary.byService).toEqual([
      { provider: 'Alpha', cloudService: 'svc-a', conformingTargets: 2 },
      { provider: 'Alpha', cloudService: 'svc-a2', conformingTargets: 1 },
      { provider: 'Beta', cloudService: 'svc-b', conformingTargets: 1 },
    ]);
  });

  it('reports too few providers for minimumProviders', () => {
    const summary = summarizeCapacity(assess([node('1', a), node('2', a2)]), 2);
    expect(summary.sufficient).toBe(false);
    expect(codes(summary.reasons)).toEqual(['TooFewProviders']);
  });

  it('reports no conforming capacity at all', () => {
    const summary = summarizeCapacity(assess([cluster('m', a, { healthy: false })]));
    expect(summary.sufficient).toBe(false);
    expect(summary.reasons.map((r) => r.message)).toEqual([
      'No member cluster conforms; the operator never falls back to a non-conforming one.',
    ]);
  });
});

describe('mostFrequentReasons', () => {
  it('counts why targets do not conform, most frequent first, ignoring conforming ones', () => {
    const expired = service('x', { badges: [badge({ validUntil: '2026-01-01T00:00:00Z' })] });
    const verdicts = assess([
      node('1', expired),
      node('2', expired, { country: 'US' }),
      node('3', null),
      node('4', service('ok')),
    ]).map((x) => x.verdict);
    const top = mostFrequentReasons(verdicts);
    expect(top.map((t) => [t.reason.code, t.count])).toEqual([
      ['BadgeExpired', 2],
      ['CountryOutsideArea', 1],
      ['UnknownCloudService', 1],
    ]);
    expect(mostFrequentReasons(verdicts, 1)).toHaveLength(1);
  });
});
