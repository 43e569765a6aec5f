import { PROTECTED_PREFIX } from '../api/group.ts';
import {
  type ConformanceEvaluator,
  type ConformanceFacts,
  createConformanceEvaluator,
} from './conformance.ts';
import {
  type Assurance,
  assurancesAtLeast,
  type BadgeType,
  type ConformanceRequirement,
  normalizeRequirement,
} from './requirement.ts';
import { SCHEME_NAMES, type Scheme, schemeRequires, schemeValue, schemeValuesAtLeast } from './schemes.ts';
import type { Labels } from './selector.ts';
import type { Target } from './target.ts';

/**
 * Verdict labels: the operator's verdicts written on Nodes, under the protected prefix so that no kubelet
 * can set them (docs/architecture.md, "Trust model"). Pods are pinned with required node affinity on them; the
 * scheduler does the rest.
 *
 * Keys: `node-restriction.kubernetes.io/sp.<badge>.<area>`, value the highest assurance at which the node
 * conforms (`SelfDeclared` or `ThirdPartyCertified`), so that "ThirdPartyCertified or higher" is an `In`
 * over the values. The name part is at most 3 + 9 + 1 + MAX_AREA_NAME_LENGTH (32) = 45 characters, within
 * the 63 that Kubernetes allows, so the brief's key form needs no change.
 *
 * The (badge, area) label cannot express minimum levels under other schemes, which belong to the cloud
 * service rather than to the badge. For requirements that ask for them, the operator also copies the
 * service's levels under `sp.scheme.<scheme>` (seal, gaiaxlabel, secnumcloud, eucs), and the affinity
 * term asks for those too. The operator owns every key under `node-restriction.kubernetes.io/sp.` and
 * touches no other key.
 */

export const VERDICT_LABEL_PREFIX = `${PROTECTED_PREFIX}sp.`;
const NAME_PREFIX = 'sp.';
/** Kubernetes' limit on the name part of a label key. */
export const MAX_LABEL_NAME_LENGTH = 63;
const LABEL_NAME = /^[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

export const isVerdictLabelKey = (key: string): boolean => key.startsWith(VERDICT_LABEL_PREFIX);

function keyFor(name: string): string {
  if (name.length > MAX_LABEL_NAME_LENGTH || !LABEL_NAME.test(name)) {
    throw new RangeError(`"${name}" is not a valid label name (at most ${MAX_LABEL_NAME_LENGTH} characters)`);
  }
  return PROTECTED_PREFIX + name;
}

/** `node-restriction.kubernetes.io/sp.sovereign.eu` */
export function verdictLabelKey(badge: BadgeType, area: string): string {
  return keyFor(`${NAME_PREFIX}${badge.toLowerCase()}.${area}`);
}

/** `node-restriction.kubernetes.io/sp.scheme.seal` */
export function schemeLabelKey(scheme: Scheme): string {
  return keyFor(`${NAME_PREFIX}scheme.${scheme.toLowerCase()}`);
}

/** A requirement in use by some policy, with the policy's expiry lead time. */
export interface VerdictLabelUse {
  readonly requirement: ConformanceRequirement;
  readonly expiryLeadTimeMs?: number;
}

export interface DesiredVerdictLabels {
  /** Every verdict label the node should carry (and only those). */
  readonly labels: Readonly<Record<string, string>>;
  /** When to compute them again. */
  readonly nextTransitionAt: number | null;
}

interface Pair {
  readonly key: string;
  readonly badge: BadgeType;
  readonly area: string;
  /** The longest lead time among the policies naming the pair. */
  readonly leadTimeMs: number;
}

function pairsOf(uses: readonly VerdictLabelUse[]): { pairs: Pair[]; schemes: Scheme[] } {
  const pairs = new Map<string, Pair>();
  const schemes = new Set<Scheme>();
  for (const use of uses) {
    const r = normalizeRequirement(use.requirement);
    const lead = use.expiryLeadTimeMs ?? 0;
    for (const badge of r.badges) {
      const key = verdictLabelKey(badge, r.area);
      const known = pairs.get(key);
      // One label serves every policy naming the pair, so the most cautious lead time wins: a policy
      // with a shorter lead time moves no later than it asked.
      if (!known || lead > known.leadTimeMs) pairs.set(key, { key, badge, area: r.area, leadTimeMs: lead });
    }
    for (const scheme of SCHEME_NAMES) if (schemeRequires(r.minimumSchemeLevels, scheme)) schemes.add(scheme);
  }
  return { pairs: [...pairs.values()], schemes: SCHEME_NAMES.filter((s) => schemes.has(s)) };
}

/**
 * Returns a function computing the desired verdict labels of any node, sharing work across nodes of the
 * same service at instant `at`.
 */
export function createVerdictLabeler(
  uses: readonly VerdictLabelUse[],
  facts: ConformanceFacts,
  at: number,
  evaluator: ConformanceEvaluator = createConformanceEvaluator(facts, at),
): (target: Target) => DesiredVerdictLabels {
  const { pairs, schemes } = pairsOf(uses);
  const requirements = pairs.map((p) => ({
    pair: p,
    requirement: { badges: [p.badge], area: p.area, minimumAssurance: 'SelfDeclared' as Assurance },
    options: { expiryLeadTimeMs: p.leadTimeMs },
  }));
  return (target) => {
    const labels: Record<string, string> = {};
    let next: number | null = null;
    for (const { pair, requirement, options } of requirements) {
      const verdict = evaluator.evaluate(target, requirement, options);
      const satisfied = verdict.satisfiedBadges.find((b) => b.type === pair.badge);
      if (verdict.conforms && satisfied) labels[pair.key] = satisfied.assurance;
      const t = verdict.nextTransitionAt;
      if (t !== null && (next === null || t < next)) next = t;
    }
    const levels = target.membership.service?.spec.schemeLevels;
    for (const scheme of schemes) {
      const value = schemeValue(levels, scheme);
      if (value !== undefined) labels[schemeLabelKey(scheme)] = value;
    }
    return { labels, nextTransitionAt: next };
  };
}

/** The verdict labels one node should carry, given every requirement in use. */
export function desiredVerdictLabels(
  target: Target,
  uses: readonly VerdictLabelUse[],
  facts: ConformanceFacts,
  at: number,
): DesiredVerdictLabels {
  return createVerdictLabeler(uses, facts, at)(target);
}

export interface VerdictLabelDiff {
  /** Keys to set (new or with a new value). */
  readonly add: Readonly<Record<string, string>>;
  /** Keys to remove. */
  readonly remove: readonly string[];
}

/** What to change on a node, touching only verdict label keys (others are never added nor removed). */
export function diffVerdictLabels(current: Labels, desired: Labels): VerdictLabelDiff {
  const add: Record<string, string> = {};
  for (const key of Object.keys(desired).sort()) {
    const value = desired[key] as string;
    if (isVerdictLabelKey(key) && current[key] !== value) add[key] = value;
  }
  const remove = Object.keys(current)
    .filter((key) => isVerdictLabelKey(key) && !Object.hasOwn(desired, key))
    .sort();
  return { add, remove };
}

export const isEmptyDiff = (diff: VerdictLabelDiff): boolean =>
  diff.remove.length === 0 && Object.keys(diff.add).length === 0;

/** The diff as a JSON merge patch of the Node (null removes a label). */
export function verdictLabelPatch(diff: VerdictLabelDiff): {
  metadata: { labels: Record<string, string | null> };
} {
  const labels: Record<string, string | null> = { ...diff.add };
  for (const key of diff.remove) labels[key] = null;
  return { metadata: { labels } };
}

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: 'In';
  readonly values: readonly string[];
}

/** The shape of a v1 NodeSelectorTerm (requirements ANDed; terms of a NodeSelector ORed). */
export interface NodeSelectorTerm {
  readonly matchExpressions: readonly NodeSelectorRequirement[];
}

/**
 * The required node-affinity terms that pin a pod to nodes conforming to a requirement. AnyOf: one term
 * per accepted badge (the scheduler ORs terms); AllOf: one term with every badge. Values are the
 * assurances at or above the minimum; scheme minimums are added to every term.
 */
export function requiredNodeAffinityTerms(requirement: ConformanceRequirement): NodeSelectorTerm[] {
  const r = normalizeRequirement(requirement);
  const values = assurancesAtLeast(r.minimumAssurance);
  const badge = (b: BadgeType): NodeSelectorRequirement => ({
    key: verdictLabelKey(b, r.area),
    operator: 'In',
    values,
  });
  const schemes: NodeSelectorRequirement[] = SCHEME_NAMES.filter((s) =>
    schemeRequires(r.minimumSchemeLevels, s),
  ).map((s) => ({
    key: schemeLabelKey(s),
    operator: 'In',
    values: schemeValuesAtLeast(s, schemeValue(r.minimumSchemeLevels, s) ?? ''),
  }));
  if (r.badgeMatch === 'AllOf') return [{ matchExpressions: [...r.badges.map(badge), ...schemes] }];
  return r.badges.map((b) => ({ matchExpressions: [badge(b), ...schemes] }));
}
