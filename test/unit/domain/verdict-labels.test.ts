import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_AREA_NAME_LENGTH, PROTECTED_PREFIX } from '../../../src/api/group.ts';
import {
  createVerdictLabeler,
  desiredVerdictLabels,
  diffVerdictLabels,
  evaluateConformance,
  isVerdictLabelKey,
  type Labels,
  MAX_LABEL_NAME_LENGTH,
  matchesSelector,
  type NodeSelectorTerm,
  requiredNodeAffinityTerms,
  verdictLabelKey,
  verdictLabelPatch,
} from '../../../src/domain/index.ts';
import {
  badge,
  DAY,
  facts,
  instantArb,
  iso,
  leadArb,
  node,
  requirementArb,
  service,
  sovereignEu,
  T0,
  targetArb,
} from './fixtures.ts';

const SOV_EU = 'node-restriction.kubernetes.io/sp.sovereign.eu';
const RES_EU = 'node-restriction.kubernetes.io/sp.resilient.eu';
const SEAL = 'node-restriction.kubernetes.io/sp.scheme.seal';

/** How the scheduler reads required node affinity: terms ORed, expressions of a term ANDed. */
const schedulable = (labels: Labels, terms: readonly NodeSelectorTerm[]) =>
  terms.some((t) => matchesSelector({ matchExpressions: t.matchExpressions }, labels));

describe('verdict label keys', () => {
  it('have the form node-restriction.kubernetes.io/sp.<badge>.<area>', () => {
    expect(verdictLabelKey('Sovereign', 'eu')).toBe(SOV_EU);
    expect(verdictLabelKey('Resilient', 'eu')).toBe(RES_EU);
  });

  it('fit in 63 characters for the longest area name the API allows', () => {
    const longest = 'a'.repeat(MAX_AREA_NAME_LENGTH);
    for (const b of ['Sovereign', 'Resilient'] as const) {
      const name = verdictLabelKey(b, longest).slice(PROTECTED_PREFIX.length);
      expect(name.length).toBeLessThanOrEqual(MAX_LABEL_NAME_LENGTH);
    }
  });

  it('refuse names that would not be valid label keys', () => {
    expect(() => verdictLabelKey('Sovereign', 'a'.repeat(60))).toThrow(RangeError);
    expect(() => verdictLabelKey('Sovereign', 'eu/west')).toThrow(RangeError);
  });

  it('belong to the operator family, and facts do not', () => {
    expect(isVerdictLabelKey(SOV_EU)).toBe(true);
    expect(isVerdictLabelKey('node-restriction.kubernetes.io/sovereign-placement.country')).toBe(false);
  });
});

describe('desiredVerdictLabels', () => {
  const uses = [
    { requirement: sovereignEu },
    { requirement: { badges: ['Resilient' as const], area: 'eu' } },
  ];

  it('writes one label per (badge, area) the node conforms to, valued with the highest assurance', () => {
    const s = service('s', { badges: [badge({ assurance: 'SelfDeclared' }), badge({ type: 'Resilient' })] });
    expect(desiredVerdictLabels(node('n', s), uses, facts, T0).labels).toEqual({
      [SOV_EU]: 'SelfDeclared',
      [RES_EU]: 'ThirdPartyCertified',
    });
  });

  it('writes nothing for pairs the node does not conform to', () => {
    const s = service('s', { jurisdiction: 'US', badges: [badge(), badge({ type: 'Resilient' })] });
    expect(desiredVerdictLabels(node('n', s), uses, facts, T0).labels).toEqual({
      [RES_EU]: 'ThirdPartyCertified',
    });
    expect(desiredVerdictLabels(node('n', s, { country: 'US' }), uses, facts, T0).labels).toEqual({});
  });

  it('uses the longest lead time among the policies sharing a pair, and says when to look again', () => {
    const s = service('s', { badges: [badge({ validUntil: iso(T0 + 2 * DAY) })] });
    const short = [{ requirement: sovereignEu, expiryLeadTimeMs: DAY }];
    const both = [...short, { requirement: sovereignEu, expiryLeadTimeMs: 3 * DAY }];
    expect(desiredVerdictLabels(node('n', s), short, facts, T0)).toEqual({
      labels: { [SOV_EU]: 'ThirdPartyCertified' },
      nextTransitionAt: T0 + DAY,
    });
    expect(desiredVerdictLabels(node('n', s), both, facts, T0).labels).toEqual({});
  });

  it('copies scheme levels only when a requirement in use asks for them', () => {
    const s = service('s', { schemeLevels: { seal: 3, eucs: 'High' } });
    expect(desiredVerdictLabels(node('n', s), [{ requirement: sovereignEu }], facts, T0).labels).toEqual({
      [SOV_EU]: 'ThirdPartyCertified',
    });
    const withSeal = [{ requirement: { ...sovereignEu, minimumSchemeLevels: { seal: 2 } } }];
    expect(desiredVerdictLabels(node('n', s), withSeal, facts, T0).labels).toEqual({
      [SOV_EU]: 'ThirdPartyCertified',
      [SEAL]: '3',
    });
  });
});

describe('diffVerdictLabels', () => {
  it('adds, changes and removes verdict labels only', () => {
    const current = {
      [SOV_EU]: 'SelfDeclared',
      [RES_EU]: 'ThirdPartyCertified',
      'node-restriction.kubernetes.io/sovereign-placement.country': 'FR',
      'kubernetes.io/hostname': 'n1',
    };
    const desired = { [SOV_EU]: 'ThirdPartyCertified', [SEAL]: '2', 'kubernetes.io/hostname': 'other' };
    const diff = diffVerdictLabels(current, desired);
    expect(diff).toEqual({ add: { [SEAL]: '2', [SOV_EU]: 'ThirdPartyCertified' }, remove: [RES_EU] });
    expect(verdictLabelPatch(diff)).toEqual({
      metadata: { labels: { [SEAL]: '2', [SOV_EU]: 'ThirdPartyCertified', [RES_EU]: null } },
    });
  });

  it('applying the diff yields the desired verdict labels and leaves every other label alone', () => {
    const keyArb = fc.constantFrom(
      SOV_EU,
      RES_EU,
      SEAL,
      'a/b',
      'node-restriction.kubernetes.io/sovereign-placement.country',
    );
    const labelsArb = fc.dictionary(keyArb, fc.constantFrom('x', 'y'));
    fc.assert(
      fc.property(labelsArb, labelsArb, (current, desired) => {
        const { add, remove } = diffVerdictLabels(current, desired);
        const after: Record<string, string> = { ...current, ...add };
        for (const k of remove) delete after[k];
        for (const k of Object.keys({ ...current, ...after })) {
          if (isVerdictLabelKey(k)) expect(after[k]).toBe(desired[k]);
          else expect(after[k]).toBe(current[k]);
        }
      }),
    );
  });
});

describe('requiredNodeAffinityTerms', () => {
  it('AnyOf: one term per badge (ORed), values at or above the minimum', () => {
    expect(
      requiredNodeAffinityTerms({
        badges: ['Sovereign', 'Resilient'],
        area: 'eu',
        minimumAssurance: 'SelfDeclared',
      }),
    ).toEqual([
      {
        matchExpressions: [{ key: SOV_EU, operator: 'In', values: ['SelfDeclared', 'ThirdPartyCertified'] }],
      },
      {
        matchExpressions: [{ key: RES_EU, operator: 'In', values: ['SelfDeclared', 'ThirdPartyCertified'] }],
      },
    ]);
  });

  it('AllOf: one term with every badge, plus scheme minimums', () => {
    expect(
      requiredNodeAffinityTerms({
        badges: ['Sovereign', 'Resilient'],
        badgeMatch: 'AllOf',
        area: 'eu',
        minimumAssurance: 'ThirdPartyCertified',
        minimumSchemeLevels: { seal: 3, secNumCloud: false },
      }),
    ).toEqual([
      {
        matchExpressions: [
          { key: SOV_EU, operator: 'In', values: ['ThirdPartyCertified'] },
          { key: RES_EU, operator: 'In', values: ['ThirdPartyCertified'] },
          { key: SEAL, operator: 'In', values: ['3', '4'] },
        ],
      },
    ]);
  });

  it('a node is schedulable exactly when it conforms (one policy)', () => {
    fc.assert(
      fc.property(targetArb(), requirementArb, instantArb, leadArb, (target, requirement, at, lead) => {
        const { labels } = desiredVerdictLabels(target, [{ requirement, expiryLeadTimeMs: lead }], facts, at);
        const verdict = evaluateConformance(target, requirement, facts, at, { expiryLeadTimeMs: lead });
        expect(schedulable(labels, requiredNodeAffinityTerms(requirement))).toBe(verdict.conforms);
      }),
      { numRuns: 1000 },
    );
  });

  it('with several policies in use, a schedulable node always conforms to each (fail closed)', () => {
    fc.assert(
      fc.property(
        targetArb(),
        fc.array(fc.record({ requirement: requirementArb, expiryLeadTimeMs: leadArb }), {
          minLength: 1,
          maxLength: 4,
        }),
        instantArb,
        (target, uses, at) => {
          const { labels } = createVerdictLabeler(uses, facts, at)(target);
          for (const use of uses) {
            if (schedulable(labels, requiredNodeAffinityTerms(use.requirement))) {
              expect(evaluateConformance(target, use.requirement, facts, at, use).conforms).toBe(true);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
