// Bounded concurrency for a batch of requests (evictions, gate removals): a handful of lines, where a
// dependency (p-limit, p-map) would add a package for one loop.

/**
 * Calls `fn` for every item with at most `limit` calls in flight. After the first failure no new call
 * starts; the calls in flight finish, then the first error is thrown.
 */
export async function forEachConcurrently<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed = false;
  let firstError: unknown;
  const worker = async () => {
    while (!failed) {
      const next = iterator.next();
      if (next.done) return;
      try {
        await fn(next.value);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(limit)) }, worker));
  if (failed) throw firstError;
}
