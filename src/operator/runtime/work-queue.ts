// A per-key work queue with the semantics of client-go's workqueue: controllers enqueue the *key* of
// what changed (not the change itself) and reconcile the current state of that key, so a burst of
// events for one object collapses into one reconcile, and one object is never reconciled by two
// workers at the same time.
import { type Clock, systemClock, timerAt } from './clock.ts';

export interface WorkQueueOptions {
  /** First retry delay of `addRateLimited` (default 50 ms). */
  backoffBaseMs?: number;
  /** Longest retry delay of `addRateLimited` (default 5 minutes). */
  backoffMaxMs?: number;
  clock?: Clock;
}

export class WorkQueue<K = string> {
  /** Keys ready to be handed out, in order. */
  private readonly ready: K[] = [];
  /** Keys that must be processed (again): the ones in `ready` plus those re-added while processing. */
  private readonly dirty = new Set<K>();
  /** Keys handed out by `get()` and not yet `done()`. */
  private readonly processing = new Set<K>();
  /** Keys scheduled for later, with the instant and the cancel function of their timer. */
  private readonly scheduled = new Map<K, { at: number; cancel: () => void }>();
  private readonly failures = new Map<K, number>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly clock: Clock;

  constructor(options: WorkQueueOptions = {}) {
    this.backoffBaseMs = options.backoffBaseMs ?? 50;
    this.backoffMaxMs = options.backoffMaxMs ?? 300_000;
    this.clock = options.clock ?? systemClock;
  }

  /** Keys ready to be processed (neither the ones being processed nor the ones scheduled for later). */
  get length(): number {
    return this.ready.length;
  }

  /** Keys waiting for a scheduled instant (`addAfter`, `addAt`, `addRateLimited`). */
  get scheduledCount(): number {
    return this.scheduled.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Queues `key` unless it is queued already. A key being processed is queued again after `done`. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.ready.push(key);
    this.handOut();
  }

  addAfter(key: K, delayMs: number): void {
    this.addAt(key, this.clock.now() + delayMs);
  }

  /**
   * Queues `key` at `epochMs` (at once when that is not in the future). Only the earliest pending
   * schedule of a key is kept: a controller that asks to re-check at a badge's next transition and
   * then at a later one is woken at the earlier instant, and re-schedules from there.
   */
  addAt(key: K, epochMs: number): void {
    if (this.shuttingDown) return;
    if (epochMs <= this.clock.now()) {
      this.add(key);
      return;
    }
    const pending = this.scheduled.get(key);
    if (pending && pending.at <= epochMs) return;
    pending?.cancel();
    const cancel = timerAt(this.clock, epochMs, () => {
      this.scheduled.delete(key);
      this.add(key);
    });
    this.scheduled.set(key, { at: epochMs, cancel });
  }

  /** When `key` is scheduled for, if it is. */
  scheduledAt(key: K): number | undefined {
    return this.scheduled.get(key)?.at;
  }

  /**
   * Queues `key` after a delay that doubles with each consecutive failure of that key
   * (base, 2·base, 4·base, ... up to the maximum), until `forget(key)`.
   */
  addRateLimited(key: K): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.addAfter(key, this.backoffDelay(failures));
  }

  /** The delay `addRateLimited` uses after `failures` earlier failures of a key. */
  backoffDelay(failures: number): number {
    return Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.min(failures, 52));
  }

  /** How many times `key` has been re-queued by `addRateLimited` since it was last forgotten. */
  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Ends the backoff of `key` (after it was processed successfully). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /**
   * The next key to process; waits while none is ready. Resolves with undefined once the queue is shut
   * down. The caller owns the key until it calls `done(key)`.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` as processed; if it was added again meanwhile, it is queued again now. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.ready.push(key);
      this.handOut();
    }
  }

  /**
   * Stops the queue: pending and future `get()` resolve with undefined, scheduled keys are dropped,
   * `add` is ignored. Keys being processed may still be `done()`. Keys queued but not started are
   * dropped too: reconciliation is level-based, so whoever runs next starts from a fresh list.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { cancel } of this.scheduled.values()) cancel();
    this.scheduled.clear();
    this.ready.length = 0;
    this.dirty.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /** Number of keys handed out and not yet done. */
  get processingCount(): number {
    return this.processing.size;
  }

  private take(): K | undefined {
    if (this.ready.length === 0) return undefined;
    const key = this.ready.shift() as K;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private handOut(): void {
    while (this.waiters.length > 0 && this.ready.length > 0) {
      const waiter = this.waiters.shift() as (key: K | undefined) => void;
      waiter(this.take());
    }
  }
}
