import type { EvictionRateLimit } from '../domain/failover.ts';

/**
 * The eviction window as written in a policy's status (`status.evictionWindow`). It is written before the
 * evictions it counts are made, so that a crash between the two over-counts (fewer evictions in that
 * minute) rather than under-counts: neither a restart nor a leader change resets the rate limit.
 */
export interface RecordedEvictionWindow {
  startedAt: string;
  evictions: number;
}

/** The status field, when it is well formed; anything else in a status counts as no window. */
export function readEvictionWindow(
  status: unknown,
): { windowStartedAt: number; evictionsInWindow: number } | null {
  const window = (status as { evictionWindow?: unknown } | null | undefined)?.evictionWindow as
    | Partial<RecordedEvictionWindow>
    | undefined;
  if (typeof window !== 'object' || window === null) return null;
  const startedAt = typeof window.startedAt === 'string' ? Date.parse(window.startedAt) : Number.NaN;
  const evictions = window.evictions;
  if (
    Number.isNaN(startedAt) ||
    typeof evictions !== 'number' ||
    !Number.isInteger(evictions) ||
    evictions < 0
  )
    return null;
  return { windowStartedAt: startedAt, evictionsInWindow: evictions };
}

/**
 * The window to plan with: the later of the recorded one (status, survives restarts) and the one this
 * process remembers (ahead of the status until the cache sees the operator's own write); for the same
 * window the higher count. A window said to start in the future is taken as starting now, so a wrong
 * clock can neither extend nor skip a window.
 */
export function currentEvictionWindow(
  maxEvictionsPerMinute: number,
  recorded: { windowStartedAt: number; evictionsInWindow: number } | null,
  remembered: { windowStartedAt: number; evictionsInWindow: number } | undefined,
  now: number,
): EvictionRateLimit {
  let best: { windowStartedAt: number; evictionsInWindow: number } | null = null;
  for (const w of [recorded, remembered]) {
    if (!w) continue;
    const candidate = { ...w, windowStartedAt: Math.min(w.windowStartedAt, now) };
    const later =
      best === null ||
      candidate.windowStartedAt > best.windowStartedAt ||
      (candidate.windowStartedAt === best.windowStartedAt &&
        candidate.evictionsInWindow > best.evictionsInWindow);
    if (later) best = candidate;
  }
  return { maxEvictionsPerMinute, ...(best ?? { windowStartedAt: now, evictionsInWindow: 0 }) };
}

export const recordEvictionWindow = (limit: EvictionRateLimit): RecordedEvictionWindow => ({
  startedAt: new Date(limit.windowStartedAt).toISOString(),
  evictions: limit.evictionsInWindow,
});
