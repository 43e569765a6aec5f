import { describe, expect, it } from 'vitest';
import {
  createConformanceEvaluator,
  createVerdictLabeler,
  evaluateConformance,
  indexServices,
  memberClusterTarget,
  verdictLabelKey,
} from '../../../src/domain/index.ts';
import { badge, cluster, codes, DAY, facts, service, sovereignEu, T0 } from './fixtures.ts';

const nodes = service('nodes');
const member = (s: ReturnType<typeof service>) => ({ service: s, reason: null });

describe('a member cluster whose control plane another service operates', () => {
  it('conforms only when both services meet the requirement', () => {
    const good = service('managed-eu');
    const v = evaluateConformance(
      cluster('c', nodes, { controlPlane: member(good) }),
      sovereignEu,
      facts,
      T0,
    );
    expect(v.conforms).toBe(true);
  });

  it('does not conform when the control plane service is under a law outside the area, and says so', () => {
    const us = service('managed-us', { jurisdiction: 'US' });
    const v = evaluateConformance(cluster('c', nodes, { controlPlane: member(us) }), sovereignEu, facts, T0);
    expect(v.conforms).toBe(false);
    expect(codes(v.reasons)).toEqual(['ControlPlaneNotConforming']);
    expect(v.reasons[0]?.message).toContain('CloudService managed-us');
    expect(v.reasons[0]?.message).toContain('under the law of US');
  });

  it('names the nodes service failures as its own reasons, distinct from the control plane one', () => {
    const bad = service('nodes-us', { jurisdiction: 'US' });
    const v = evaluateConformance(cluster('c', bad, { controlPlane: member(nodes) }), sovereignEu, facts, T0);
    expect(codes(v.reasons)).toEqual(['JurisdictionOutsideArea']);
  });

  it('does not conform when the control plane service does not exist', () => {
    const catalog = indexServices([nodes]);
    const record = {
      metadata: { name: 'c' },
      spec: { cloudService: 'nodes', controlPlaneCloudService: 'ghost', country: 'FR', cordoned: false },
    };
    const v = evaluateConformance(
      memberClusterTarget(record as never, catalog, true),
      sovereignEu,
      facts,
      T0,
    );
    expect(codes(v.reasons)).toEqual(['ControlPlaneNotConforming']);
    expect(v.reasons[0]?.message).toContain('"ghost", which does not exist');
  });

  it('treats a control plane naming the nodes service as the nodes service', () => {
    const catalog = indexServices([nodes]);
    const record = {
      metadata: { name: 'c' },
      spec: { cloudService: 'nodes', controlPlaneCloudService: 'nodes', country: 'FR', cordoned: false },
    };
    expect(memberClusterTarget(record as never, catalog, true).controlPlane).toBeUndefined();
  });

  it('changes at the control plane badge edge, and the evaluator agrees with evaluateConformance', () => {
    const expiring = service('managed-eu', {
      badges: [badge({ validUntil: new Date(T0 + DAY).toISOString() })],
    });
    const target = cluster('c', nodes, { controlPlane: member(expiring) });
    const v = evaluateConformance(target, sovereignEu, facts, T0);
    expect(v.nextTransitionAt).toBe(T0 + DAY);
    const evaluator = createConformanceEvaluator(facts, T0 + DAY);
    const later = evaluator.evaluate(target, sovereignEu);
    expect(later).toEqual(evaluateConformance(target, sovereignEu, facts, T0 + DAY));
    expect(codes(later.reasons)).toEqual(['ControlPlaneNotConforming']);
    // Same nodes service, no separate control plane: a different verdict class.
    expect(evaluator.evaluate(cluster('d', nodes), sovereignEu).conforms).toBe(true);
  });

  it('values the verdict label with the lower assurance of the two services', () => {
    const selfDeclared = service('managed-eu', { badges: [badge({ assurance: 'SelfDeclared' })] });
    const labeler = createVerdictLabeler([{ requirement: sovereignEu }], facts, T0);
    const key = verdictLabelKey('Sovereign', 'eu');
    expect(labeler(cluster('a', nodes)).labels[key]).toBe('ThirdPartyCertified');
    expect(labeler(cluster('b', nodes, { controlPlane: member(selfDeclared) })).labels[key]).toBe(
      'SelfDeclared',
    );
  });

  it('an unhealthy member gives TargetUnhealthy, whatever its control plane', () => {
    const v = evaluateConformance(cluster('c', nodes, { healthy: false }), sovereignEu, facts, T0);
    expect(codes(v.reasons)).toEqual(['TargetUnhealthy']);
  });
});
