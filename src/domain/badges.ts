import type { Badge, CloudService } from '../api/index.ts';
import type { AreaResolution } from './areas.ts';
import { type Reason, reason } from './reasons.ts';
import { type Assurance, assuranceRank, type BadgeType, type NormalizedRequirement } from './requirement.ts';
import { parseInstant } from './time.ts';

/** A badge type the service satisfies for a requirement, at the highest assurance it holds a good badge. */
export interface SatisfiedBadge {
  readonly type: BadgeType;
  readonly assurance: Assurance;
  /** validUntil of that badge (ms); with a lead time the badge stops counting earlier. */
  readonly validUntil: number;
}

export interface BadgeEvaluation {
  /** The requirement's badges hold under its badgeMatch (AnyOf / AllOf). */
  readonly satisfied: boolean;
  readonly satisfiedBadges: readonly SatisfiedBadge[];
  /** Why the badge part fails; empty when satisfied. */
  readonly reasons: readonly Reason[];
}

/** The badges of a service that could satisfy a type for an area (by area name). */
const candidates = (service: CloudService, type: BadgeType, area: string): Badge[] =>
  service.spec.badges.filter((b) => b.type === type && b.area === area);

/**
 * Why one badge does not count at instant `at`: every problem, not only the first, so that an auditor
 * sees "expired and only self-declared" at once.
 */
export function badgeProblems(
  service: string,
  badge: Badge,
  at: number,
  leadTimeMs: number,
  minimum: Assurance,
): Reason[] {
  const ref = { service, badge: badge.type, area: badge.area };
  const validFrom = parseInstant(badge.validFrom);
  const validUntil = parseInstant(badge.validUntil);
  const problems: Reason[] = [];
  if (assuranceRank(badge.assurance) < assuranceRank(minimum)) {
    problems.push(reason('AssuranceTooLow', { ...ref, assurance: badge.assurance, minimum }));
  }
  if (at < validFrom) problems.push(reason('BadgeNotYetValid', { ...ref, validFrom }));
  if (at >= validUntil) problems.push(reason('BadgeExpired', { ...ref, validUntil }));
  else if (leadTimeMs > 0 && at >= validUntil - leadTimeMs) {
    problems.push(reason('BadgeExpiringSoon', { ...ref, validUntil, leadTimeMs }));
  }
  if (badge.revokedAt !== undefined) {
    const revokedAt = parseInstant(badge.revokedAt);
    if (at >= revokedAt) problems.push(reason('BadgeRevoked', { ...ref, revokedAt }));
  }
  return problems;
}

/**
 * Control by design (docs/architecture.md, "Conformance", step 3): a Sovereign badge counts only when the provider and its ultimate
 * parent are both under the law of a country of the area. A foreign parent can be compelled by its own
 * government, whatever the subsidiary's badge says.
 */
export function jurisdictionProblems(service: CloudService, area: AreaResolution): Reason[] {
  if (!area.ok) return [];
  const provider = service.spec.provider;
  const problems: Reason[] = [];
  if (!area.countries.has(provider.legalJurisdiction)) {
    problems.push(
      reason('JurisdictionOutsideArea', {
        service: service.metadata.name,
        provider: provider.name,
        jurisdiction: provider.legalJurisdiction,
        area: area.name,
      }),
    );
  }
  const parent = provider.ultimateParent;
  if (parent && !area.countries.has(parent.legalJurisdiction)) {
    problems.push(
      reason('ParentJurisdictionOutsideArea', {
        service: service.metadata.name,
        provider: provider.name,
        parent: parent.name,
        jurisdiction: parent.legalJurisdiction,
        area: area.name,
      }),
    );
  }
  return problems;
}

interface TypeStanding {
  readonly ok: boolean;
  readonly satisfied: SatisfiedBadge | null;
  readonly reasons: readonly Reason[];
}

function evaluateType(
  service: CloudService,
  type: BadgeType,
  requirement: NormalizedRequirement,
  area: AreaResolution,
  at: number,
  leadTimeMs: number,
): TypeStanding {
  const name = service.metadata.name;
  const held = candidates(service, type, requirement.area);
  const reasons: Reason[] = [];
  let best: SatisfiedBadge | null = null;
  // For an area that does not exist, UnknownArea (from the area check) is the one true reason: "no badge
  // for area X" would send the reader after a badge when the fix is the SovereigntyArea.
  if (held.length === 0 && area.ok) {
    reasons.push(reason('BadgeMissing', { service: name, badge: type, area: requirement.area }));
  }
  const problems: Reason[] = [];
  for (const badge of held) {
    const found = badgeProblems(name, badge, at, leadTimeMs, requirement.minimumAssurance);
    if (found.length > 0) {
      problems.push(...found);
      continue;
    }
    const validUntil = parseInstant(badge.validUntil);
    const better =
      best === null ||
      assuranceRank(badge.assurance) > assuranceRank(best.assurance) ||
      (badge.assurance === best.assurance && validUntil > best.validUntil);
    if (better) best = { type, assurance: badge.assurance, validUntil };
  }
  // Problems of other badges of the type do not matter once one badge counts.
  if (best === null) reasons.push(...problems);
  // Sovereignty cannot be established without the area's countries; UnknownArea says why.
  const sovereign = type !== 'Sovereign' || area.ok;
  if (type === 'Sovereign') reasons.push(...jurisdictionProblems(service, area));
  const ok = best !== null && sovereign && reasons.length === 0;
  return { ok, satisfied: ok ? best : null, reasons };
}

function distinct(reasons: readonly Reason[]): Reason[] {
  const seen = new Set<string>();
  return reasons.filter((r) => {
    const key = `${r.code}\u0000${r.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether the service holds the requirement's badges at instant `at`, and if not, every reason why. */
export function evaluateBadges(
  service: CloudService,
  requirement: NormalizedRequirement,
  area: AreaResolution,
  at: number,
  leadTimeMs: number,
): BadgeEvaluation {
  const standings = requirement.badges.map((type) =>
    evaluateType(service, type, requirement, area, at, leadTimeMs),
  );
  const satisfied =
    requirement.badgeMatch === 'AllOf' ? standings.every((s) => s.ok) : standings.some((s) => s.ok);
  const satisfiedBadges = standings.flatMap((s) => (s.satisfied ? [s.satisfied] : []));
  // AnyOf that holds needs no reason; otherwise every failing type explains itself. Two badges can fail
  // the same way: an auditor needs each distinct sentence once.
  const reasons = satisfied ? [] : distinct(standings.flatMap((s) => (s.ok ? [] : s.reasons)));
  return { satisfied, satisfiedBadges, reasons };
}

/**
 * The earliest instant strictly after `at` at which a badge of the requirement can change standing:
 * validFrom, validUntil - lead time, validUntil, revokedAt. Only these edges move a badge verdict, so
 * the operator sleeps until then instead of polling.
 */
export function nextBadgeTransition(
  service: CloudService,
  requirement: NormalizedRequirement,
  at: number,
  leadTimeMs: number,
): number | null {
  let next = Number.POSITIVE_INFINITY;
  const consider = (instant: number) => {
    if (instant > at && instant < next) next = instant;
  };
  for (const badge of service.spec.badges) {
    if (badge.area !== requirement.area || !requirement.badges.includes(badge.type)) continue;
    const validUntil = parseInstant(badge.validUntil);
    consider(parseInstant(badge.validFrom));
    consider(validUntil);
    if (leadTimeMs > 0) consider(validUntil - leadTimeMs);
    if (badge.revokedAt !== undefined) consider(parseInstant(badge.revokedAt));
  }
  return Number.isFinite(next) ? next : null;
}

/** Whether a badge counts at `at`: its validity has started and not ended, and it is not revoked. */
export function badgeInForce(badge: Badge, at: number): boolean {
  return (
    parseInstant(badge.validFrom) <= at &&
    at < parseInstant(badge.validUntil) &&
    (badge.revokedAt === undefined || at < parseInstant(badge.revokedAt))
  );
}

/** The earliest validUntil among a service's badges in force at `at` (what a CloudService's status shows). */
export function badgeExpiresAt(service: CloudService, at: number): number | null {
  const ends = service.spec.badges.filter((b) => badgeInForce(b, at)).map((b) => parseInstant(b.validUntil));
  return ends.length ? Math.min(...ends) : null;
}

/** The next instant after `at` when any badge of any service starts or stops counting. */
export function nextBadgeEdge(services: readonly CloudService[], at: number): number | null {
  let next = Number.POSITIVE_INFINITY;
  for (const badge of services.flatMap((s) => s.spec.badges)) {
    for (const edge of [badge.validFrom, badge.validUntil, badge.revokedAt]) {
      if (edge === undefined) continue;
      const instant = parseInstant(edge);
      if (instant > at && instant < next) next = instant;
    }
  }
  return Number.isFinite(next) ? next : null;
}
