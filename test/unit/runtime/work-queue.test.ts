import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../../src/operator/runtime/work-queue.ts';
import { FakeClock, settle } from './fake-clock.ts';

const DAY = 86_400_000;

/** Resolves with what `get()` gave, or 'pending' if it has not resolved after the current turn. */
async function peek<K>(promise: Promise<K | undefined>): Promise<K | undefined | 'pending'> {
  return Promise.race([promise, settle().then(() => 'pending' as const)]);
}

describe('WorkQueue', () => {
  it('hands out a key queued twice only once, in first-queued order', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.length).toBe(0);
    expect(await peek(queue.get())).toBe('pending');
  });

  it('never hands a key being processed to a second worker; a re-add is processed once after done', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.length).toBe(0);
    const second = queue.get();
    expect(await peek(second)).toBe('pending');
    queue.done('a');
    expect(await second).toBe('a');
    queue.done('a');
    expect(queue.length).toBe(0);
    expect(queue.processingCount).toBe(0);
  });

  it('a key not re-added while processing is not processed again after done', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.length).toBe(0);
    expect(await peek(queue.get())).toBe('pending');
  });

  it('wakes a waiting get() when a key is added', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    const waiting = queue.get();
    queue.add('x');
    expect(await waiting).toBe('x');
  });

  it('addAt keeps only the earliest pending schedule of a key', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    const t0 = clock.now();
    queue.addAt('k', t0 + 10_000);
    queue.addAt('k', t0 + 5_000);
    queue.addAt('k', t0 + 20_000);
    expect(queue.scheduledAt('k')).toBe(t0 + 5_000);
    expect(queue.scheduledCount).toBe(1);
    await clock.advance(4_999);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('k');
    queue.done('k');
    await clock.advance(60_000);
    expect(queue.length).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('addAt and addAfter with an instant not in the future queue at once', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    queue.addAt('past', clock.now() - 1);
    queue.addAfter('zero', 0);
    expect(queue.length).toBe(2);
    expect(clock.pendingTimers).toBe(0);
  });

  describe('with the system clock under fake timers', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('waits for an instant months ahead, beyond what one setTimeout can wait', () => {
      // Node (and vitest's fake timers) fire a setTimeout of more than 2^31-1 ms after 1 ms.
      vi.useFakeTimers({ now: Date.UTC(2026, 10, 23) });
      const queue = new WorkQueue<string>();
      queue.addAt('badge', Date.now() + 90 * DAY);
      vi.advanceTimersByTime(1_000);
      expect(queue.length).toBe(0);
      vi.advanceTimersByTime(90 * DAY - 2_000);
      expect(queue.length).toBe(0);
      vi.advanceTimersByTime(1_000);
      expect(queue.length).toBe(1);
      queue.shutDown();
    });
  });

  it('addRateLimited doubles the delay per failure up to the maximum, and forget resets it', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock, backoffBaseMs: 100, backoffMaxMs: 1_000 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      queue.addRateLimited('k');
      delays.push((queue.scheduledAt('k') ?? Number.NaN) - clock.now());
      await clock.advance(delays.at(-1) ?? 0);
      expect(await queue.get()).toBe('k');
      queue.done('k');
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(queue.retries('k')).toBe(6);
    queue.forget('k');
    expect(queue.retries('k')).toBe(0);
    queue.addRateLimited('k');
    expect(queue.scheduledAt('k')).toBe(clock.now() + 100);
    // Backoff is per key: another key starts at the base.
    queue.addRateLimited('other');
    expect(queue.scheduledAt('other')).toBe(clock.now() + 100);
  });

  it('a rate-limited retry does not postpone an earlier scheduled re-check', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock, backoffBaseMs: 10_000 });
    queue.addAt('k', clock.now() + 1_000);
    queue.addRateLimited('k');
    expect(queue.scheduledAt('k')).toBe(clock.now() + 1_000);
  });

  it('shutDown resolves waiting get() with undefined, drops scheduled keys and ignores adds', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    const waiting = [queue.get(), queue.get()];
    queue.addAfter('later', 1_000);
    queue.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    expect(clock.pendingTimers).toBe(0);
    queue.add('x');
    queue.addRateLimited('y');
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
    queue.shutDown();
  });

  it('a key in flight at shutdown can still be marked done, and is not handed out again', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    queue.add('a');
    await queue.get();
    queue.add('a');
    queue.shutDown();
    queue.done('a');
    expect(queue.processingCount).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });
});
