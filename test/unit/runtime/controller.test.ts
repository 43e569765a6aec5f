import { describe, expect, it } from 'vitest';
import { type ReconcileResult, runWorkers } from '../../../src/operator/runtime/controller.ts';
import { WorkQueue } from '../../../src/operator/runtime/work-queue.ts';
import { FakeClock, settle } from './fake-clock.ts';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('runWorkers', () => {
  it('retries a failing key with growing backoff, reports each error, and forgets it on success', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const queue = new WorkQueue<string>({ clock, backoffBaseMs: 100, backoffMaxMs: 10_000 });
    const calls: number[] = [];
    const errors: [string, string, number][] = [];
    const running = runWorkers(
      queue,
      async () => {
        calls.push(clock.now() - t0);
        if (calls.length <= 3) throw new Error(`boom ${calls.length}`);
        return undefined;
      },
      { onError: (error, key, retries) => errors.push([key, (error as Error).message, retries]) },
    );
    queue.add('k');
    await clock.advance(10_000);
    expect(calls).toEqual([0, 100, 300, 700]);
    expect(errors).toEqual([
      ['k', 'boom 1', 0],
      ['k', 'boom 2', 1],
      ['k', 'boom 3', 2],
    ]);
    expect(queue.retries('k')).toBe(0);
    queue.shutDown();
    await running;
  });

  it('calls a reconcile again at the requeueAt it returned, and after requeueAfterMs', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const queue = new WorkQueue<string>({ clock });
    const calls: [string, number][] = [];
    const running = runWorkers(queue, (key): ReconcileResult => {
      calls.push([key, clock.now() - t0]);
      const n = calls.filter(([k]) => k === key).length;
      if (key === 'badge' && n === 1) return { requeueAt: t0 + 3_600_000 };
      if (key === 'poll' && n === 1) return { requeueAfterMs: 30_000 };
      return undefined;
    });
    queue.add('badge');
    queue.add('poll');
    await clock.advance(3_600_000 - 1);
    expect(calls).toEqual([
      ['badge', 0],
      ['poll', 0],
      ['poll', 30_000],
    ]);
    await clock.advance(1);
    expect(calls.at(-1)).toEqual(['badge', 3_600_000]);
    await clock.advance(86_400_000);
    expect(calls).toHaveLength(4);
    queue.shutDown();
    await running;
  });

  it('runs up to `concurrency` keys at once, never one key twice at once', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    const active = new Set<string>();
    let maxActive = 0;
    let overlap = false;
    const gates: (() => void)[] = [];
    const processed: string[] = [];
    const running = runWorkers(
      queue,
      async (key) => {
        if (active.has(key)) overlap = true;
        active.add(key);
        maxActive = Math.max(maxActive, active.size);
        const gate = deferred();
        gates.push(gate.resolve);
        await gate.promise;
        active.delete(key);
        processed.push(key);
      },
      { concurrency: 3 },
    );
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await settle();
    expect(active.size).toBe(3);
    queue.add('a'); // re-added while being processed
    while (processed.length < 6) {
      gates.shift()?.();
      await settle();
    }
    expect(maxActive).toBe(3);
    expect(overlap).toBe(false);
    expect(processed.filter((k) => k === 'a')).toHaveLength(2);
    expect([...processed].sort()).toEqual(['a', 'a', 'b', 'c', 'd', 'e']);
    queue.shutDown();
    await running;
  });

  it('resolves only after the reconciles in flight at shutdown have finished', async () => {
    const queue = new WorkQueue<string>({ clock: new FakeClock() });
    const gate = deferred();
    let finished = false;
    const running = runWorkers(
      queue,
      async () => {
        await gate.promise;
        finished = true;
      },
      { concurrency: 2 },
    );
    let drained = false;
    void running.then(() => {
      drained = true;
    });
    queue.add('slow');
    await settle();
    queue.shutDown();
    await settle();
    expect(drained).toBe(false);
    gate.resolve();
    await running;
    expect(finished).toBe(true);
    expect(queue.processingCount).toBe(0);
  });

  it('keeps working when onError itself throws', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock, backoffBaseMs: 10 });
    let calls = 0;
    const running = runWorkers(
      queue,
      () => {
        calls++;
        if (calls === 1) throw new Error('first');
      },
      {
        onError: () => {
          throw new Error('logger down');
        },
      },
    );
    queue.add('k');
    await clock.advance(10);
    expect(calls).toBe(2);
    queue.shutDown();
    await running;
  });
});
