import { describe, expect, it } from 'vitest';
import {
  currentEvictionWindow,
  readEvictionWindow,
  recordEvictionWindow,
} from '../../../src/cluster/eviction-window.ts';
import { planFailover, rateLimitAfter } from '../../../src/domain/failover.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('eviction window kept in the policy status', () => {
  it('reads back what it records', () => {
    const limit = { maxEvictionsPerMinute: 2, windowStartedAt: NOW - 10_000, evictionsInWindow: 2 };
    const status = { evictionWindow: recordEvictionWindow(limit) };
    expect(readEvictionWindow(status)).toEqual({ windowStartedAt: NOW - 10_000, evictionsInWindow: 2 });
  });

  it('ignores a malformed window instead of failing', () => {
    for (const status of [
      null,
      undefined,
      {},
      { evictionWindow: null },
      { evictionWindow: 'x' },
      { evictionWindow: { startedAt: 'yesterday', evictions: 1 } },
      { evictionWindow: { startedAt: '2026-06-01T11:59:00Z', evictions: -1 } },
      { evictionWindow: { startedAt: '2026-06-01T11:59:00Z', evictions: 1.5 } },
      { evictionWindow: { startedAt: '2026-06-01T11:59:00Z' } },
    ]) {
      expect(readEvictionWindow(status)).toBeNull();
    }
  });

  it('a restarted operator (nothing remembered) continues the recorded window: no new evictions in it', () => {
    const recorded = { windowStartedAt: NOW - 20_000, evictionsInWindow: 2 };
    const limit = currentEvictionWindow(2, recorded, undefined, NOW);
    expect(limit).toEqual({ maxEvictionsPerMinute: 2, windowStartedAt: NOW - 20_000, evictionsInWindow: 2 });
    const plan = planFailover({
      pods: [{ namespace: 'a', name: 'p', node: 'bad', labels: {}, owner: null, terminating: false }],
      nodes: new Map([['bad', { conforms: false, notConformingSince: NOW - 3_600_000, reasons: [] }]]),
      budgets: [],
      rateLimit: limit,
      gracePeriodMs: 0,
      mode: 'Enforce',
      onNoConformingCapacity: 'Evict',
      conformingCapacityExists: true,
      now: NOW,
    });
    expect(plan.evictNow).toEqual([]);
    expect(plan.deferred.map((d) => d.reason.code)).toEqual(['RateLimited']);
  });

  it('prefers the later window, and for the same window the higher count', () => {
    const old = { windowStartedAt: NOW - 90_000, evictionsInWindow: 5 };
    const fresh = { windowStartedAt: NOW - 5_000, evictionsInWindow: 1 };
    expect(currentEvictionWindow(3, old, fresh, NOW).windowStartedAt).toBe(NOW - 5_000);
    expect(currentEvictionWindow(3, fresh, old, NOW).windowStartedAt).toBe(NOW - 5_000);
    const same = { windowStartedAt: NOW - 5_000, evictionsInWindow: 3 };
    expect(currentEvictionWindow(3, fresh, same, NOW).evictionsInWindow).toBe(3);
  });

  it('starts a new window when none is known, and takes a future window as starting now', () => {
    expect(currentEvictionWindow(4, null, undefined, NOW)).toEqual({
      maxEvictionsPerMinute: 4,
      windowStartedAt: NOW,
      evictionsInWindow: 0,
    });
    const future = { windowStartedAt: NOW + 86_400_000, evictionsInWindow: 9 };
    const limit = currentEvictionWindow(4, future, undefined, NOW);
    expect(limit.windowStartedAt).toBe(NOW);
    // One minute later that window has ended and evictions may resume.
    expect(rateLimitAfter(limit, 0, NOW + 60_000).evictionsInWindow).toBe(0);
  });
});
