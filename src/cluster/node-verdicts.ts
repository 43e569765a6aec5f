import { createHash } from 'node:crypto';
import { GROUP } from '../api/group.ts';
import type { Verdict } from '../domain/conformance.ts';
import { verdictSentence } from '../domain/explain.ts';
import { informationalDisagreements, type LabelDisagreement } from '../domain/membership.ts';
import { type BadgeType, type ConformanceRequirement, requirementKey } from '../domain/requirement.ts';
import type { Target } from '../domain/target.ts';
import {
  createVerdictLabeler,
  diffVerdictLabels,
  isEmptyDiff,
  verdictLabelKey,
} from '../domain/verdict-labels.ts';
import type { Derived } from './facts.ts';
import type { NodeObject } from './objects.ts';

/** Every annotation the node controller owns on Nodes starts with this. */
export const NOT_CONFORMING_SINCE_PREFIX = `${GROUP}/not-conforming-since.`;
/** Annotations of an earlier scheme (one per badge and area), removed on sight. */
const LEGACY_PREFIX = `${GROUP}/revoked.`;

/**
 * The annotation holding the instant a node stopped conforming to one requirement (with one lead time),
 * kept on the Node so that grace periods survive operator restarts. One per distinct requirement, not per
 * verdict label: a node can keep its `sp.sovereign.eu` label (valued SelfDeclared) while no longer meeting
 * a policy that asks for ThirdPartyCertified, and that policy's grace period must still run out.
 */
export function notConformingSinceAnnotation(
  requirement: ConformanceRequirement,
  leadTimeMs: number,
): string {
  const digest = createHash('sha256')
    .update(`${requirementKey(requirement)}|${leadTimeMs}`)
    .digest('hex');
  return `${NOT_CONFORMING_SINCE_PREFIX}${digest.slice(0, 16)}`;
}

export interface VerdictChange {
  key: string;
  granted: boolean;
  /** The verdict as a sentence, with every reason when revoked. */
  sentence: string;
  /** The facts it rests on, for the audit record: the requirement judged, with its lead time, and the verdict. */
  facts?: { target: Target; requirement: ConformanceRequirement; leadTimeMs: number; verdict: Verdict };
}

export interface NodeVerdictPlan {
  /** JSON merge patch of the Node, or null when its labels are already right. */
  patch: {
    metadata: { labels: Record<string, string | null>; annotations: Record<string, string | null> };
  } | null;
  changes: VerdictChange[];
  disagreements: LabelDisagreement[];
  nextTransitionAt: number | null;
}

interface Pair {
  badge: BadgeType;
  area: string;
  leadTimeMs: number;
}

function pairsInUse(derived: Derived): Map<string, Pair> {
  const pairs = new Map<string, Pair>();
  for (const use of derived.verdictLabelUses) {
    for (const badge of use.requirement.badges) {
      const key = verdictLabelKey(badge, use.requirement.area);
      const lead = use.expiryLeadTimeMs ?? 0;
      const known = pairs.get(key);
      if (!known || lead > known.leadTimeMs)
        pairs.set(key, { badge, area: use.requirement.area, leadTimeMs: lead });
    }
  }
  return pairs;
}

/**
 * What the verdict labels of one node should become, and why. Pure: the caller writes the patch.
 *
 * Besides the labels, every (badge, area) pair in use that the node does not conform to carries an
 * annotation with the instant it stopped conforming (or was first seen not conforming). Policies count
 * their grace period from it, so a restart of the operator neither resets nor skips a grace period.
 */
export function planNodeVerdicts(node: NodeObject, derived: Derived): NodeVerdictPlan {
  const target = derived.targets.get(node.metadata.name);
  const labels = node.metadata.labels ?? {};
  const currentAnnotations = node.metadata.annotations ?? {};
  if (!target) return { patch: null, changes: [], disagreements: [], nextTransitionAt: null };
  const labeler = createVerdictLabeler(
    derived.verdictLabelUses,
    { areas: derived.areaIndex },
    derived.now,
    derived.evaluator,
  );
  const desired = labeler(target);
  const diff = diffVerdictLabels(labels, desired.labels);
  const disagreements = informationalDisagreements(labels, target.membership);
  const pairs = pairsInUse(derived);
  const stamp = new Date(derived.now).toISOString();

  const annotations: Record<string, string | null> = {};
  const inUse = new Set<string>();
  for (const use of derived.verdictLabelUses) {
    const leadTimeMs = use.expiryLeadTimeMs ?? 0;
    const annotation = notConformingSinceAnnotation(use.requirement, leadTimeMs);
    if (inUse.has(annotation)) continue;
    inUse.add(annotation);
    const conforms = derived.evaluator.evaluate(target, use.requirement, {
      expiryLeadTimeMs: leadTimeMs,
    }).conforms;
    if (conforms && currentAnnotations[annotation] !== undefined) annotations[annotation] = null;
    if (!conforms && currentAnnotations[annotation] === undefined) annotations[annotation] = stamp;
  }
  // A stamp of a requirement no policy uses any more would, if a policy used it again, make that policy
  // count its grace from a stale instant: it goes, as do annotations of the earlier scheme.
  for (const key of Object.keys(currentAnnotations)) {
    const owned = key.startsWith(NOT_CONFORMING_SINCE_PREFIX) || key.startsWith(LEGACY_PREFIX);
    if (owned && !inUse.has(key)) annotations[key] = null;
  }

  const changes: VerdictChange[] = [];
  const describe = (key: string, granted: boolean): void => {
    const pair = pairs.get(key);
    if (!pair) return;
    // A label granted says at which assurance (its value): the sentence names it, rather than "any".
    const assurance = granted ? diff.add[key] : undefined;
    const requirement: ConformanceRequirement = {
      badges: [pair.badge],
      area: pair.area,
      ...(assurance === 'ThirdPartyCertified' ? { minimumAssurance: assurance } : {}),
    };
    const verdict = derived.evaluator.evaluate(target, requirement, { expiryLeadTimeMs: pair.leadTimeMs });
    changes.push({
      key,
      granted,
      sentence: verdictSentence(target, requirement, verdict),
      facts: { target, requirement, leadTimeMs: pair.leadTimeMs, verdict },
    });
  };
  for (const key of Object.keys(diff.add)) if (labels[key] === undefined) describe(key, true);
  for (const key of diff.remove) describe(key, false);

  const patchLabels: Record<string, string | null> = { ...diff.add };
  for (const key of diff.remove) patchLabels[key] = null;
  const empty = isEmptyDiff(diff) && Object.keys(annotations).length === 0;
  return {
    patch: empty ? null : { metadata: { labels: patchLabels, annotations } },
    changes,
    disagreements,
    nextTransitionAt: desired.nextTransitionAt,
  };
}

/**
 * When a node stopped conforming to a requirement with a lead time, from the annotation above. Undefined
 * when the node controller has not yet recorded it.
 */
export function nodeNotConformingSince(
  node: NodeObject,
  requirement: ConformanceRequirement,
  leadTimeMs: number,
): number | undefined {
  const value = node.metadata.annotations?.[notConformingSinceAnnotation(requirement, leadTimeMs)];
  const instant = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(instant) ? undefined : instant;
}
