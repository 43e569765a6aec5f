import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createConformanceEvaluator,
  evaluateConformance,
  evaluatePolicies,
  type Verdict,
} from '../../../src/domain/index.ts';
import { areas, DAY, facts, instantArb, leadArb, requirementArb, targetArb } from './fixtures.ts';

const RUNS = { numRuns: 400 };
const observable = (v: Verdict) => ({
  conforms: v.conforms,
  reasons: v.reasons,
  satisfied: v.satisfiedBadges,
});

describe('conformance properties', () => {
  it('a Sovereign verdict is never positive when the provider or its parent is outside the area', () => {
    fc.assert(
      fc.property(targetArb(), requirementArb, instantArb, leadArb, (target, requirement, at, lead) => {
        const service = target.membership.service;
        const countries = areas.get(requirement.area);
        if (!service) return;
        const provider = service.spec.provider;
        const inArea = (country: string) => countries?.has(country) === true;
        const outside =
          !inArea(provider.legalJurisdiction) ||
          (provider.ultimateParent !== undefined && !inArea(provider.ultimateParent.legalJurisdiction));
        if (!outside) return;
        const v = evaluateConformance(target, requirement, facts, at, { expiryLeadTimeMs: lead });
        expect(v.satisfiedBadges.some((b) => b.type === 'Sovereign')).toBe(false);
        const sovereignNeeded =
          requirement.badges.includes('Sovereign') &&
          (requirement.badges.length === 1 || requirement.badgeMatch === 'AllOf');
        if (sovereignNeeded) expect(v.conforms).toBe(false);
      }),
      RUNS,
    );
  });

  it('a positive verdict means every rule holds', () => {
    fc.assert(
      fc.property(
        targetArb('MemberCluster'),
        requirementArb,
        instantArb,
        leadArb,
        (target, requirement, at, lead) => {
          const v = evaluateConformance(target, requirement, facts, at, { expiryLeadTimeMs: lead });
          expect(v.conforms).toBe(v.reasons.length === 1 && v.reasons[0]?.code === 'Conforming');
          if (!v.conforms) return;
          const countries = areas.get(requirement.area);
          expect(target.membership.service).not.toBeNull();
          expect(countries?.has(target.country ?? '')).toBe(true);
          expect(target.healthy && !target.cordoned).toBe(true);
          expect(v.satisfiedBadges.length).toBeGreaterThan(0);
          for (const b of v.satisfiedBadges) {
            // The badge that counts is valid beyond the lead time.
            expect(b.validUntil - lead).toBeGreaterThan(at);
            if (requirement.minimumAssurance === 'ThirdPartyCertified')
              expect(b.assurance).toBe('ThirdPartyCertified');
          }
        },
      ),
      RUNS,
    );
  });

  it('nextTransitionAt is never in the past, and no verdict changes strictly between now and it', () => {
    fc.assert(
      fc.property(
        targetArb(),
        requirementArb,
        instantArb,
        leadArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
        (target, requirement, at, lead, fractions) => {
          const options = { expiryLeadTimeMs: lead };
          const v = evaluateConformance(target, requirement, facts, at, options);
          const next = v.nextTransitionAt;
          if (next !== null) expect(next).toBeGreaterThan(at);
          // Without a next transition, nothing changes for as far as we look.
          const horizon = next ?? at + 30 * DAY;
          const samples = [at + 1, horizon - 1, ...fractions.map((f) => Math.floor(at + f * (horizon - at)))];
          for (const t of samples) {
            if (t <= at || t >= horizon) continue;
            expect(observable(evaluateConformance(target, requirement, facts, t, options))).toEqual(
              observable(v),
            );
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it('the shared evaluator and evaluatePolicies give the same verdicts as evaluateConformance', () => {
    fc.assert(
      fc.property(
        fc.array(targetArb(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.record({ requirement: requirementArb, expiryLeadTimeMs: leadArb }), {
          minLength: 1,
          maxLength: 6,
        }),
        instantArb,
        (targets, policies, at) => {
          const evaluator = createConformanceEvaluator(facts, at);
          const matrix = evaluatePolicies(targets, policies, facts, at);
          policies.forEach((p, i) => {
            targets.forEach((t, j) => {
              const direct = evaluateConformance(t, p.requirement, facts, at, p);
              expect(evaluator.evaluate(t, p.requirement, p)).toEqual(direct);
              expect(matrix[i]?.[j]).toEqual(direct);
            });
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
