/**
 * Instants are milliseconds since the epoch, passed in by the caller: the domain never reads the clock,
 * so that a verdict can be recomputed for any instant (tests, audits, "what happens on Friday").
 */

/** Milliseconds since the epoch of an RFC 3339 string; NaN when the string is not a date-time. */
export function parseInstant(value: string): number {
  return Date.parse(value);
}

/** RFC 3339 in UTC, without a fractional part when it is zero ("2026-01-31T00:00:00Z"). */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
