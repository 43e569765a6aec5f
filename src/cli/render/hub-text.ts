import type { ConditionOutput, HealthSource } from '../output-schema.ts';

/** Texts about what the hub recorded, shared by the explain tables and the reports. */

/** "Ready=False (Unreachable) since 2026-05-31T22:00:00Z: The member has not answered ...". */
export const conditionText = (c: ConditionOutput): string =>
  `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${
    c.lastTransitionTime ? ` since ${c.lastTransitionTime}` : ''
  }${c.message ? `: ${c.message}` : ''}`;

/** "Active", "Leaving since 2026-06-01T00:00:00Z", or "-" when the hub recorded nothing. */
export const stateText = (p: { state: 'Active' | 'Leaving' | null; leavingSince: string | null }): string =>
  p.state === null ? '-' : p.state === 'Leaving' ? `Leaving since ${p.leavingSince ?? '?'}` : 'Active';

export const availableText = (available: boolean | null): string =>
  available === null ? '-' : available ? 'yes' : 'no';

/** A member's health as a cell: where it comes from is part of the answer. */
export function healthText(
  healthy: boolean,
  source: HealthSource,
  conditions: readonly ConditionOutput[] = [],
): string {
  if (source === 'Assumed') return `${healthy ? 'yes' : 'no'} (assumed: the hub recorded no Ready condition)`;
  const ready = conditions.find((c) => c.type === 'Ready');
  const detail = ready ? `Ready ${ready.status}${ready.reason ? `, ${ready.reason}` : ''}` : 'Ready';
  return `${healthy ? 'yes' : 'no'} (from the hub's status: ${detail})`;
}

/** Said once per output that evaluates member clusters. */
export const HEALTH_SOURCE_LINE =
  "Member health is the Ready condition the hub recorded in each MemberCluster's status (sovctl does not probe members); a member without one is assumed healthy.";
