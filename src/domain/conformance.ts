import type { CloudService } from '../api/index.ts';
import { type AreaIndex, type AreaResolution, resolveArea } from './areas.ts';
import { type BadgeEvaluation, evaluateBadges, nextBadgeTransition, type SatisfiedBadge } from './badges.ts';
import { type Reason, reason } from './reasons.ts';
import {
  assuranceRank,
  type ConformanceRequirement,
  describeRequirement,
  type NormalizedRequirement,
  normalizeRequirement,
  requirementKey,
} from './requirement.ts';
import { unmetSchemeLevels } from './schemes.ts';
import type { Membership, Target } from './target.ts';

/**
 * Conformance of one node or member cluster to one requirement at one instant (docs/architecture.md, "Conformance").
 *
 * Shaped like cert-manager's certificate trigger policies: a chain of small pure checks, each returning
 * the reasons it fails (none when it holds). Unlike cert-manager's chain, which stops at the first hit,
 * every check runs, so a verdict lists every reason at once and an auditor need not fix one to see the
 * next.
 */

/** What conformance needs beyond the target itself: areas by name. */
export interface ConformanceFacts {
  readonly areas: AreaIndex;
}

export interface ConformanceOptions {
  /** A badge stops counting this long before its validUntil, so that workloads move early. */
  readonly expiryLeadTimeMs?: number;
}

export interface Verdict {
  readonly conforms: boolean;
  /** Every failing reason; exactly one `Conforming` reason when it conforms. */
  readonly reasons: readonly Reason[];
  /** The earliest instant strictly after `at` at which this verdict can change; null when none is known. */
  readonly nextTransitionAt: number | null;
  /** Badge types the service satisfies for the requirement (the target may still fail on other rules). */
  readonly satisfiedBadges: readonly SatisfiedBadge[];
}

/** Everything a check may read; computed once per verdict. */
export interface CheckContext {
  readonly target: Target;
  readonly requirement: NormalizedRequirement;
  readonly area: AreaResolution;
  readonly service: CloudService | null;
  /** The badge part, null when the service is not known. */
  readonly badges: BadgeEvaluation | null;
  /** Unmet scheme levels of the service, null when the service is not known. */
  readonly schemes: readonly Reason[] | null;
  /** Member clusters whose control plane another service operates: why that service fails (empty when it holds). */
  readonly controlPlane: readonly Reason[];
}

export type ConformanceCheck = (context: CheckContext) => readonly Reason[];

const none: readonly Reason[] = [];

/** §3.1: exactly one known CloudService, established from trusted data. */
export const membershipCheck: ConformanceCheck = ({ target }) =>
  target.membership.service ? none : [target.membership.reason];

/** The requirement's area exists (without it no country or jurisdiction can be checked). */
export const areaCheck: ConformanceCheck = ({ area }) => (area.ok ? none : [area.reason]);

/** §3.2 and §3.3: badge type, area, assurance, validity, revocation; jurisdictions for Sovereign. */
export const badgeCheck: ConformanceCheck = ({ badges }) => badges?.reasons ?? none;

/** Optional levels under other schemes, held by the service. */
export const schemeCheck: ConformanceCheck = ({ schemes }) => schemes ?? none;

function schemeProblems(service: CloudService, requirement: NormalizedRequirement): readonly Reason[] {
  if (!requirement.minimumSchemeLevels) return none;
  return unmetSchemeLevels(service.spec.schemeLevels, requirement.minimumSchemeLevels).map((u) =>
    reason('SchemeLevelTooLow', { service: service.metadata.name, ...u }),
  );
}

/**
 * §3.4: the target is physically in the area. A volume's data resides where its node affinity pins it;
 * a StorageClass is judged by its service alone, its volumes' countries one by one once they exist.
 */
export const countryCheck: ConformanceCheck = ({ target, area }) => {
  if (target.kind === 'StorageClass') return none;
  if (target.kind === 'Volume') {
    if (target.country === null) return [reason('VolumeResidenceUnknown')];
    if (!area.ok || area.countries.has(target.country)) return none;
    return [reason('VolumeOutsideArea', { country: target.country, area: area.name })];
  }
  if (target.country === null) return [reason('CountryUnknown', { kind: target.kind })];
  if (!area.ok || area.countries.has(target.country)) return none;
  return [reason('CountryOutsideArea', { kind: target.kind, country: target.country, area: area.name })];
};

/** §3.5: not cordoned for sovereignty reasons. */
export const cordonCheck: ConformanceCheck = ({ target }) =>
  target.cordoned ? [reason('TargetCordoned', { kind: target.kind })] : none;

/**
 * Member clusters: the service operating the control plane meets the requirement's badges, jurisdictions
 * and scheme levels too (the control plane is a Critical Asset). Its country is not checked: no trusted
 * fact says where a managed control plane runs beyond its service's badge for the area.
 */
export const controlPlaneCheck: ConformanceCheck = ({ controlPlane }) => controlPlane;

/** §3.5: healthy (member clusters; nodes are always healthy here, see nodeTarget). */
export const healthCheck: ConformanceCheck = ({ target }) =>
  target.healthy
    ? none
    : [
        reason('TargetUnhealthy', {
          kind: target.kind,
          ...(target.healthDetail === undefined ? {} : { detail: target.healthDetail }),
        }),
      ];

/** The chain, in the order reasons are listed. */
export const conformanceChecks: readonly ConformanceCheck[] = [
  membershipCheck,
  areaCheck,
  badgeCheck,
  schemeCheck,
  countryCheck,
  controlPlaneCheck,
  cordonCheck,
  healthCheck,
];

/** The part of a verdict that depends only on the service: shared by every target of the service. */
interface ServiceStanding {
  readonly badges: BadgeEvaluation;
  readonly schemes: readonly Reason[];
  readonly nextTransitionAt: number | null;
}

function serviceStanding(
  service: CloudService,
  requirement: NormalizedRequirement,
  area: AreaResolution,
  at: number,
  leadTimeMs: number,
): ServiceStanding {
  return {
    badges: evaluateBadges(service, requirement, area, at, leadTimeMs),
    schemes: schemeProblems(service, requirement),
    nextTransitionAt: nextBadgeTransition(service, requirement, at, leadTimeMs),
  };
}

const conformingReasons = new WeakMap<NormalizedRequirement, Partial<Record<Target['kind'], Reason>>>();

/** The positive reason, built once per requirement and kind (many targets share it). */
function conformingReason(kind: Target['kind'], requirement: NormalizedRequirement): Reason {
  let byKind = conformingReasons.get(requirement);
  if (!byKind) {
    byKind = {};
    conformingReasons.set(requirement, byKind);
  }
  let r = byKind[kind];
  if (!r) {
    r = reason('Conforming', { kind, requirement: describeRequirement(requirement) });
    byKind[kind] = r;
  }
  return r;
}

/**
 * The control plane's service when another service than the nodes' operates it: its membership and, when
 * known, its standing under the same requirement. Null when the nodes' service operates it.
 */
interface ControlPlaneStanding {
  readonly membership: Membership;
  readonly standing: ServiceStanding | null;
}

function controlPlaneReasons(cp: ControlPlaneStanding | null): readonly Reason[] {
  if (!cp) return none;
  const service = cp.membership.service;
  if (!service) {
    const unknown = cp.membership.reason;
    return [reason('ControlPlaneNotConforming', { service: '(unknown)', why: [unknown.message] })];
  }
  const failing = [...(cp.standing?.badges.reasons ?? []), ...(cp.standing?.schemes ?? [])];
  if (failing.length === 0) return none;
  return [
    reason('ControlPlaneNotConforming', {
      service: service.metadata.name,
      why: failing.map((r) => r.message),
    }),
  ];
}

/** The control plane's membership when it differs from the nodes' service; null when it is the same. */
function separateControlPlane(target: Target): Membership | null {
  const cp = target.controlPlane;
  if (!cp) return null;
  if (cp.service && cp.service === target.membership.service) return null;
  return cp;
}

/**
 * The badges the cluster holds through both services: a label is valued with the lower of the two
 * assurances, and the earlier validUntil, so that the label never claims more than the weaker service.
 */
function jointlySatisfied(
  nodes: readonly SatisfiedBadge[],
  controlPlane: readonly SatisfiedBadge[],
): readonly SatisfiedBadge[] {
  const joint: SatisfiedBadge[] = [];
  for (const n of nodes) {
    const c = controlPlane.find((b) => b.type === n.type);
    if (!c) continue;
    joint.push(
      assuranceRank(c.assurance) < assuranceRank(n.assurance)
        ? { ...n, assurance: c.assurance, validUntil: Math.min(n.validUntil, c.validUntil) }
        : { ...n, validUntil: Math.min(n.validUntil, c.validUntil) },
    );
  }
  return joint;
}

const earliest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

function combine(
  target: Target,
  requirement: NormalizedRequirement,
  area: AreaResolution,
  standing: ServiceStanding | null,
  cp: ControlPlaneStanding | null = null,
): Verdict {
  const context: CheckContext = {
    target,
    requirement,
    area,
    service: target.membership.service,
    badges: standing?.badges ?? null,
    schemes: standing?.schemes ?? null,
    controlPlane: controlPlaneReasons(cp),
  };
  const reasons: Reason[] = [];
  for (const check of conformanceChecks) {
    const found = check(context);
    for (let i = 0; i < found.length; i++) reasons.push(found[i] as Reason);
  }
  const conforms = reasons.length === 0;
  const satisfied = standing?.badges.satisfiedBadges ?? [];
  return {
    conforms,
    reasons: conforms ? [conformingReason(target.kind, requirement)] : reasons,
    nextTransitionAt: earliest(standing?.nextTransitionAt ?? null, cp?.standing?.nextTransitionAt ?? null),
    satisfiedBadges: cp ? jointlySatisfied(satisfied, cp.standing?.badges.satisfiedBadges ?? []) : satisfied,
  };
}

/** Whether a node or member cluster conforms to a requirement at instant `at` (ms), and why. */
export function evaluateConformance(
  target: Target,
  requirement: ConformanceRequirement,
  facts: ConformanceFacts,
  at: number,
  options: ConformanceOptions = {},
): Verdict {
  const normalized = normalizeRequirement(requirement);
  const area = resolveArea(facts.areas, normalized.area);
  const service = target.membership.service;
  const lead = options.expiryLeadTimeMs ?? 0;
  const standing = service ? serviceStanding(service, normalized, area, at, lead) : null;
  const cpMembership = separateControlPlane(target);
  const cpService = cpMembership?.service;
  const cp = cpMembership
    ? {
        membership: cpMembership,
        standing: cpService ? serviceStanding(cpService, normalized, area, at, lead) : null,
      }
    : null;
  return combine(target, normalized, area, standing, cp);
}

export interface ConformanceEvaluator {
  /** Same result as evaluateConformance at the evaluator's instant, computed once per distinct input. */
  evaluate(target: Target, requirement: ConformanceRequirement, options?: ConformanceOptions): Verdict;
  /** evaluate() for many targets under one requirement: result[i] is the verdict of targets[i]. */
  evaluateAll(
    targets: readonly Target[],
    requirement: ConformanceRequirement,
    options?: ConformanceOptions,
  ): Verdict[];
}

/** One distinct (requirement, lead time): its service standings and its verdicts by target class. */
interface Slot {
  readonly requirement: NormalizedRequirement;
  readonly area: AreaResolution;
  readonly leadTimeMs: number;
  readonly standings: Map<CloudService, ServiceStanding>;
  readonly verdicts: (Verdict | undefined)[];
}

/**
 * Evaluates many (target, requirement) pairs at one instant, computing each distinct
 * (requirement, lead time, service) standing and each distinct (requirement, target class) verdict once.
 * A target's class is what its verdict depends on: its service (by object identity, so that two versions
 * of a service are never confused), country, health, cordon, and kind (for the wording), never its
 * name. Verdicts are shared between targets and policies: treat them as immutable.
 */
export function createConformanceEvaluator(facts: ConformanceFacts, at: number): ConformanceEvaluator {
  const areas = new Map<string, AreaResolution>();
  const slotsByKey = new Map<string, Slot>();
  const slotsByObject = new WeakMap<object, Map<number, Slot>>();
  const classIds = new Map<string, number>();
  const classOfTarget = new WeakMap<Target, number>();
  // Classes of a whole target list, computed once when the same list is evaluated under many requirements.
  const classesOfList = new WeakMap<readonly Target[], Int32Array>();
  const serviceIds = new WeakMap<CloudService, number>();
  let nextServiceId = 0;

  const serviceId = (service: CloudService): number => {
    let id = serviceIds.get(service);
    if (id === undefined) {
      id = nextServiceId++;
      serviceIds.set(service, id);
    }
    return id;
  };

  const classOf = (target: Target): number => {
    let id = classOfTarget.get(target);
    if (id !== undefined) return id;
    const serviceKey = (m: Membership): string =>
      m.service ? `s${serviceId(m.service)}` : `r:${m.reason.code}:${m.reason.message}`;
    const service = serviceKey(target.membership);
    const cp = separateControlPlane(target);
    const cpKey = cp ? serviceKey(cp) : '';
    const key = `${target.kind}|${service}|${cpKey}|${target.country ?? ''}|${target.healthy ? 1 : 0}${target.cordoned ? 1 : 0}`;
    id = classIds.get(key);
    if (id === undefined) {
      id = classIds.size;
      classIds.set(key, id);
    }
    classOfTarget.set(target, id);
    return id;
  };

  const slotFor = (requirement: ConformanceRequirement, leadTimeMs: number): Slot => {
    let byLead = slotsByObject.get(requirement);
    const cached = byLead?.get(leadTimeMs);
    if (cached) return cached;
    const key = `${requirementKey(requirement)}#${leadTimeMs}`;
    let slot = slotsByKey.get(key);
    if (!slot) {
      const normalized = normalizeRequirement(requirement);
      let area = areas.get(normalized.area);
      if (!area) {
        area = resolveArea(facts.areas, normalized.area);
        areas.set(normalized.area, area);
      }
      slot = { requirement: normalized, area, leadTimeMs, standings: new Map(), verdicts: [] };
      slotsByKey.set(key, slot);
    }
    if (!byLead) {
      byLead = new Map();
      slotsByObject.set(requirement, byLead);
    }
    byLead.set(leadTimeMs, slot);
    return slot;
  };

  const verdictOf = (slot: Slot, target: Target, classId: number): Verdict => {
    const cached = slot.verdicts[classId];
    if (cached) return cached;
    const standingOf = (service: CloudService | null): ServiceStanding | null => {
      if (!service) return null;
      let standing = slot.standings.get(service);
      if (!standing) {
        standing = serviceStanding(service, slot.requirement, slot.area, at, slot.leadTimeMs);
        slot.standings.set(service, standing);
      }
      return standing;
    };
    const cpMembership = separateControlPlane(target);
    const cp = cpMembership ? { membership: cpMembership, standing: standingOf(cpMembership.service) } : null;
    const verdict = combine(target, slot.requirement, slot.area, standingOf(target.membership.service), cp);
    slot.verdicts[classId] = verdict;
    return verdict;
  };

  return {
    evaluate(target, requirement, options = {}) {
      return verdictOf(slotFor(requirement, options.expiryLeadTimeMs ?? 0), target, classOf(target));
    },
    evaluateAll(targets, requirement, options = {}) {
      const slot = slotFor(requirement, options.expiryLeadTimeMs ?? 0);
      let classes = classesOfList.get(targets);
      if (!classes) {
        classes = Int32Array.from(targets, classOf);
        classesOfList.set(targets, classes);
      }
      const verdicts = new Array<Verdict>(targets.length);
      for (let i = 0; i < targets.length; i++) {
        const classId = classes[i] as number;
        verdicts[i] = slot.verdicts[classId] ?? verdictOf(slot, targets[i] as Target, classId);
      }
      return verdicts;
    },
  };
}

export interface PolicyRequirement {
  readonly requirement: ConformanceRequirement;
  readonly expiryLeadTimeMs?: number;
}

/**
 * A verdict for every target under every policy: result[policy][target]. Policies sharing a requirement
 * and lead time are evaluated once and share one read-only row (copying 10,000 verdicts for each of
 * 200 policies would cost more than evaluating them).
 */
export function evaluatePolicies(
  targets: readonly Target[],
  policies: readonly PolicyRequirement[],
  facts: ConformanceFacts,
  at: number,
): readonly (readonly Verdict[])[] {
  const evaluator = createConformanceEvaluator(facts, at);
  const byKey = new Map<string, Verdict[]>();
  return policies.map((policy) => {
    const lead = policy.expiryLeadTimeMs ?? 0;
    const key = `${requirementKey(policy.requirement)}#${lead}`;
    let shared = byKey.get(key);
    if (!shared) {
      shared = evaluator.evaluateAll(targets, policy.requirement, { expiryLeadTimeMs: lead });
      byKey.set(key, shared);
    }
    return shared;
  });
}
