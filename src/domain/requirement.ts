import type { Badge, CloudService, Requirement } from '../api/index.ts';

export type BadgeType = Badge['type'];
export type Assurance = Badge['assurance'];
export type SchemeLevels = NonNullable<CloudService['spec']['schemeLevels']>;

/** Assurances from lowest to highest: a ThirdPartyCertified badge also satisfies "SelfDeclared or higher". */
export const ASSURANCES: readonly Assurance[] = ['SelfDeclared', 'ThirdPartyCertified'];

export const assuranceRank = (assurance: Assurance): number => ASSURANCES.indexOf(assurance);

/** The assurances that satisfy a minimum, lowest first. */
export const assurancesAtLeast = (minimum: Assurance): Assurance[] =>
  ASSURANCES.slice(assuranceRank(minimum));

/**
 * What conformance needs of a requirement. The API's Requirement (after zod defaults) fits; defaults are
 * optional here so that callers holding unparsed or hand-built requirements get the API's defaults.
 */
export interface ConformanceRequirement {
  readonly badges: readonly BadgeType[];
  readonly area: string;
  readonly badgeMatch?: Requirement['badgeMatch'] | undefined;
  readonly minimumAssurance?: Assurance | undefined;
  readonly minimumSchemeLevels?: SchemeLevels | undefined;
}

export interface NormalizedRequirement {
  readonly badges: readonly BadgeType[];
  readonly badgeMatch: 'AnyOf' | 'AllOf';
  readonly area: string;
  readonly minimumAssurance: Assurance;
  readonly minimumSchemeLevels: SchemeLevels | undefined;
}

/** Applies the API's defaults (AnyOf, SelfDeclared). */
export function normalizeRequirement(requirement: ConformanceRequirement): NormalizedRequirement {
  return {
    badges: requirement.badges,
    badgeMatch: requirement.badgeMatch ?? 'AnyOf',
    area: requirement.area,
    minimumAssurance: requirement.minimumAssurance ?? 'SelfDeclared',
    minimumSchemeLevels: requirement.minimumSchemeLevels,
  };
}

/**
 * A string equal for requirements that give the same verdicts: many policies share a few distinct
 * requirements, and evaluating each distinct one once is what makes large clusters cheap.
 */
export function requirementKey(requirement: ConformanceRequirement): string {
  const r = normalizeRequirement(requirement);
  const badges = r.badges.length > 1 ? [...r.badges].sort().join('+') : (r.badges[0] ?? '');
  // A single badge means the same under AnyOf and AllOf.
  const match = r.badges.length > 1 ? r.badgeMatch : 'AnyOf';
  const s = r.minimumSchemeLevels;
  const schemes = s ? `${s.seal ?? ''}/${s.gaiaXLabel ?? ''}/${s.secNumCloud ?? ''}/${s.eucs ?? ''}` : '';
  return `${match}:${badges}@${r.area}>=${r.minimumAssurance}|${schemes}`;
}

/** "Sovereign", "Sovereign or Resilient", "Sovereign and Resilient". */
export function describeBadges(requirement: ConformanceRequirement): string {
  const r = normalizeRequirement(requirement);
  return r.badges.join(r.badgeMatch === 'AllOf' ? ' and ' : ' or ');
}

/** "the Sovereign badge for area eu at ThirdPartyCertified or higher" */
export function describeRequirement(requirement: ConformanceRequirement): string {
  const r = normalizeRequirement(requirement);
  const plural = r.badges.length > 1 ? 'badges' : 'badge';
  const levels = r.minimumAssurance === 'SelfDeclared' ? 'any assurance' : `${r.minimumAssurance} or higher`;
  return `the ${describeBadges(r)} ${plural} for area ${r.area} at ${levels}`;
}
