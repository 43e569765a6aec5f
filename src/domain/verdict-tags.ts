import { GROUP, PROTECTED_PREFIX } from '../api/group.ts';
import type { Assurance, BadgeType } from './requirement.ts';
import { verdictLabelKey } from './verdict-labels.ts';

/**
 * Verdict tags: the operator's verdicts written on Fulcrum agents, whose tags a service request's
 * `agentTags` must all contain. The name part is the verdict label's (`sp.<badge>.<area>`), under the API
 * group instead of Kubernetes' protected prefix:
 *
 * - `sovereign-placement.io/sp.sovereign.eu`: the agent conforms at any assurance;
 * - `sovereign-placement.io/sp.sovereign.eu=ThirdPartyCertified`: it conforms with a third-party
 *   certified badge. Fulcrum matches tags by equality, so "ThirdPartyCertified or higher" needs a tag of
 *   its own rather than a value.
 *
 * The operator owns every tag starting with `sovereign-placement.io/sp.` (in any letter case) and
 * touches no other tag. Fulcrum lets a participant set its own agents' tags; a forged verdict tag is
 * removed at the next sync.
 */

export const VERDICT_TAG_PREFIX = `${GROUP}/sp.`;

/** Whether the operator owns the tag. Case-insensitive, so that a look-alike is stripped too. */
export const isVerdictTag = (tag: string): boolean =>
  tag.trim().toLowerCase().startsWith(VERDICT_TAG_PREFIX.toLowerCase());

/** `sovereign-placement.io/sp.sovereign.eu`: the verdict label's name part under the API group. */
export function verdictTag(badge: BadgeType, area: string, assurance?: Assurance): string {
  const name = verdictLabelKey(badge, area).slice(PROTECTED_PREFIX.length);
  const base = `${GROUP}/${name}`;
  return assurance === 'ThirdPartyCertified' ? `${base}=ThirdPartyCertified` : base;
}

/** The tags one agent should carry for one pair, from the assurance its verdict label would have. */
export function verdictTagsFor(badge: BadgeType, area: string, assurance: string | undefined): string[] {
  if (assurance === undefined) return [];
  const tags = [verdictTag(badge, area)];
  if (assurance === 'ThirdPartyCertified') tags.push(verdictTag(badge, area, 'ThirdPartyCertified'));
  return tags;
}

export interface VerdictTagChange {
  /** The whole tag array to write (PATCH replaces it), or null when nothing changes. */
  readonly tags: string[] | null;
  readonly added: string[];
  readonly removed: string[];
}

/**
 * The agent's new tag array: every tag the operator does not own kept as it is and where it is, every
 * verdict tag not desired removed (forged ones and duplicates included), desired ones appended.
 */
export function mergeVerdictTags(current: readonly string[], desired: readonly string[]): VerdictTagChange {
  const want = new Set(desired);
  const kept: string[] = [];
  const removed: string[] = [];
  const present = new Set<string>();
  for (const tag of current) {
    if (!isVerdictTag(tag)) {
      kept.push(tag);
      continue;
    }
    if (want.has(tag) && !present.has(tag)) {
      present.add(tag);
      kept.push(tag);
    } else removed.push(tag);
  }
  const added = [...want].filter((t) => !present.has(t)).sort();
  const tags = [...kept, ...added];
  return { tags: added.length === 0 && removed.length === 0 ? null : tags, added, removed };
}
