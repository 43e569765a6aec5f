import { placementSentences, verdictSentence } from '../../domain/explain.ts';
import type { Placement } from '../../domain/placement.ts';
import type { Reason } from '../../domain/reasons.ts';
import {
  type BadgeType,
  type ConformanceRequirement,
  describeRequirement,
} from '../../domain/requirement.ts';
import { SCHEMES, type Scheme } from '../../domain/schemes.ts';
import { parseInstant } from '../../domain/time.ts';
import type { Explanation, RequirementOutput, VerdictOutput } from '../output-schema.ts';

type PlacementOutput = Extract<Explanation, { kind: 'SovereignWorkload' }>['placement'];

/**
 * The domain's sentences for JSON verdicts and placements, so that the table and the documents say
 * exactly what the operator says in Events and conditions. `badge` is the domain's describeBadges form
 * ("Sovereign", "Sovereign or Resilient", "Sovereign and Resilient"), which is read back here.
 */
export function requirementOf(v: VerdictOutput): ConformanceRequirement {
  const all = v.requirement.badge.includes(' and ');
  const badges = v.requirement.badge.split(all ? ' and ' : ' or ') as BadgeType[];
  return {
    badges,
    badgeMatch: all ? 'AllOf' : 'AnyOf',
    area: v.requirement.area,
    minimumAssurance: v.requirement.minimumAssurance,
  };
}

export function sentenceOf(v: VerdictOutput): string {
  return verdictSentence(v.target, requirementOf(v), {
    conforms: v.conforms,
    reasons: v.reasons as Reason[],
    nextTransitionAt: v.nextTransitionAt === null ? null : parseInstant(v.nextTransitionAt),
    satisfiedBadges: [],
  });
}

export function placementSentencesOf(p: PlacementOutput): string[] {
  const placement = {
    chosen: p.placements,
    rejected: p.rejected,
    added: p.added,
    removed: p.removed,
    reasons: p.reasons,
  } as unknown as Placement;
  return placementSentences(placement);
}

/** The domain's description of a requirement, with its scheme levels and providers. */
export function describeRequirementOutput(r: RequirementOutput): string {
  const schemes = Object.entries(r.minimumSchemeLevels ?? {}).flatMap(([k, v]) => {
    if (k === 'secNumCloud') return v === true ? ['the SecNumCloud qualification'] : [];
    return [`${SCHEMES[k as Scheme]?.title ?? k} ${v} or higher`];
  });
  return [
    describeRequirement({ ...r, minimumSchemeLevels: undefined }),
    schemes.length > 0 ? `, with ${schemes.join(', ')}` : '',
    r.minimumProviders > 1 ? `, on at least ${r.minimumProviders} providers` : '',
  ].join('');
}

/** "Sovereign/eu ≥ThirdPartyCertified" for table cells. */
export const shortRequirement = (v: VerdictOutput): string =>
  `${v.requirement.badge} / ${v.requirement.area} / ${v.requirement.minimumAssurance}`;
