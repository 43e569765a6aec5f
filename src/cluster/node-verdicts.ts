import { GROUP, PROTECTED_PREFIX } from '../api/group.ts';
import { verdictSentence } from '../domain/explain.ts';
import { notConformingSince as notConformingSinceOf } from '../domain/failover.ts';
import { informationalDisagreements, type LabelDisagreement } from '../domain/membership.ts';
import type { BadgeType } from '../domain/requirement.ts';
import {
  createVerdictLabeler,
  diffVerdictLabels,
  isEmptyDiff,
  verdictLabelKey,
} from '../domain/verdict-labels.ts';
import type { Derived } from './facts.ts';
import type { NodeObject } from './objects.ts';

/** When a verdict label was removed, kept on the Node so that grace periods survive operator restarts. */
export const revokedAtAnnotation = (labelKey: string): string =>
  `${GROUP}/revoked.${labelKey.slice(PROTECTED_PREFIX.length)}`;

export interface VerdictChange {
  key: string;
  granted: boolean;
  /** The verdict as a sentence, with every reason when revoked. */
  sentence: string;
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
  for (const key of pairs.keys()) {
    const annotation = revokedAtAnnotation(key);
    const conforms = desired.labels[key] !== undefined;
    if (conforms && currentAnnotations[annotation] !== undefined) annotations[annotation] = null;
    if (!conforms && currentAnnotations[annotation] === undefined) annotations[annotation] = stamp;
  }
  // Annotations of pairs no longer in use are dropped with their labels.
  for (const key of diff.remove) {
    if (!pairs.has(key) && currentAnnotations[revokedAtAnnotation(key)] !== undefined) {
      annotations[revokedAtAnnotation(key)] = null;
    }
  }

  const changes: VerdictChange[] = [];
  const describe = (key: string, granted: boolean): void => {
    const pair = pairs.get(key);
    if (!pair) return;
    const requirement = { badges: [pair.badge], area: pair.area };
    const verdict = derived.evaluator.evaluate(target, requirement, { expiryLeadTimeMs: pair.leadTimeMs });
    changes.push({ key, granted, sentence: verdictSentence(target, requirement, verdict) });
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
 * When a node stopped conforming to a requirement, from the annotations above (the rule is the domain's
 * notConformingSince). Undefined when the node controller has not yet recorded it.
 */
export function nodeNotConformingSince(
  node: NodeObject,
  badges: readonly BadgeType[],
  area: string,
  badgeMatch: 'AnyOf' | 'AllOf',
): number | undefined {
  const annotations = node.metadata.annotations ?? {};
  const instants = badges
    .map((b) => annotations[revokedAtAnnotation(verdictLabelKey(b, area))])
    .filter((v): v is string => v !== undefined)
    .map((v) => Date.parse(v))
    .filter((t) => !Number.isNaN(t));
  return notConformingSinceOf(instants, badgeMatch);
}
