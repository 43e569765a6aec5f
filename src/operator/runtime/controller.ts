// The worker loop of a controller: take a key, reconcile it, and decide from the outcome when to look at
// it again. Errors are retried with per-key backoff; a reconcile can ask to be called again at an instant
// (a badge's `nextTransitionAt`) so that nothing has to poll.
import type { WorkQueue } from './work-queue.ts';

/** What a reconcile may ask for: to be called again at an instant and/or after a delay. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets a reconcile that returns nothing type-check as one
export type ReconcileResult = { requeueAt?: number; requeueAfterMs?: number } | undefined | void;

export type Reconcile<K> = (key: K) => Promise<ReconcileResult> | ReconcileResult;

export interface RunWorkersOptions<K> {
  /** How many keys are reconciled at the same time (default 1). Never two workers on one key. */
  concurrency?: number;
  /** Called when a reconcile throws, before the key is re-queued with backoff; `retries` counts earlier failures. */
  onError?: (error: unknown, key: K, retries: number) => void;
  /** Called after every reconcile, for duration metrics and debug logs. */
  onReconciled?: (key: K, durationMs: number, error?: unknown) => void;
}

/**
 * Runs `concurrency` workers on `queue` until it is shut down. Resolves once the queue is shut down and
 * every reconcile in flight has finished, so a caller can `queue.shutDown(); await running` to drain.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  reconcile: Reconcile<K>,
  options: RunWorkersOptions<K> = {},
): Promise<void> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      await processOne(queue, key, reconcile, options);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function processOne<K>(
  queue: WorkQueue<K>,
  key: K,
  reconcile: Reconcile<K>,
  options: RunWorkersOptions<K>,
): Promise<void> {
  const started = performance.now();
  try {
    const result = await reconcile(key);
    queue.forget(key);
    if (result?.requeueAt !== undefined) queue.addAt(key, result.requeueAt);
    if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
    notify(() => options.onReconciled?.(key, performance.now() - started));
  } catch (error) {
    notify(() => options.onError?.(error, key, queue.retries(key)));
    queue.addRateLimited(key);
    notify(() => options.onReconciled?.(key, performance.now() - started, error));
  } finally {
    queue.done(key);
  }
}

// A throwing logger or metric must not kill a worker (which would silently lower the concurrency).
function notify(call: () => void): void {
  try {
    call();
  } catch {
    // ignored on purpose: see above
  }
}
