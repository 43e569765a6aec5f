/**
 * Whether a computed status equals the stored one, ignoring key order and absent/null fields. Statuses
 * are written only when this is false, so a reconcile that changes nothing writes nothing (no churn for
 * watchers, no GitOps noise).
 */
export function sameStatus(stored: unknown, computed: unknown): boolean {
  return JSON.stringify(canonical(stored)) === JSON.stringify(canonical(computed));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, v]) => [k, canonical(v)]),
  );
}
