// Time and timers behind one small interface so that the work queue, the reflector and the leader
// elector can be driven by a fake clock in tests instead of waiting for real seconds.

/** An opaque timer handle, as returned by `setTimeout`. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Node's setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days): a longer delay fires after
 * 1 ms. A badge's next transition can be months away, so long waits are done in steps of this size.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(Math.max(0, ms), MAX_TIMER_DELAY_MS)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Resolves after `ms` on `clock`; rejects early (with the signal's reason) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A timer for an absolute instant that may lie further ahead than one setTimeout can wait: it re-arms
 * itself in steps until `clock.now()` has reached `at`. Returns a function that cancels it.
 */
export function timerAt(clock: Clock, at: number, callback: () => void): () => void {
  let cancelled = false;
  let handle: TimerHandle;
  const arm = () => {
    const delay = Math.max(0, at - clock.now());
    handle = clock.setTimeout(
      () => {
        if (cancelled) return;
        // Also re-arms when a timer fires a little early by the wall clock.
        if (clock.now() >= at) callback();
        else arm();
      },
      Math.min(delay, MAX_TIMER_DELAY_MS),
    );
  };
  arm();
  return () => {
    cancelled = true;
    clock.clearTimeout(handle);
  };
}

/**
 * Exponential backoff with jitter: attempt 1 waits about `baseMs`, each further attempt doubles it, never
 * beyond `maxMs`. The delay is drawn from [d/2, d] so that many clients that failed together (an API
 * server restart) do not all come back in the same instant.
 */
export function jitteredBackoff(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 52));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
