import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../../src/operator/runtime/concurrency.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachConcurrently', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let max = 0;
    const seen: number[] = [];
    await forEachConcurrently([...Array(50).keys()], 7, async (i) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await tick();
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(max).toBe(7);
  });

  it('starts nothing new after a failure, lets the calls in flight finish, then throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachConcurrently([...Array(20).keys()], 4, async (i) => {
      started.push(i);
      if (i === 1) throw new Error('boom 1');
      await tick();
      if (i === 3) throw new Error('boom 3');
      finished.push(i);
    });
    await expect(run).rejects.toThrow('boom 1');
    expect(started).toEqual([0, 1, 2, 3]);
    expect(finished.sort()).toEqual([0, 2]);
  });
});
