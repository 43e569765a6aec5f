// The Event recorder: record() never waits for the API server, repeats are folded into counts, many
// different messages about one object are combined, and writes in flight stay bounded.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventRecorder, type EventSink } from '../../../src/operator/events.ts';

const log = pino({ level: 'silent' });
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', name, namespace: 'ns', uid: `uid-${name}` });

/** A sink that holds every write until `release()`, and remembers what the API server would have. */
function heldSink() {
  const events = new Map<string, Record<string, unknown>>();
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const hold = async () => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
  };
  const sink: EventSink = {
    async create(_namespace, event) {
      await hold();
      events.set((event.metadata as { name: string }).name, { ...event });
    },
    async patch(_namespace, name, patch) {
      await hold();
      const known = events.get(name);
      if (!known) throw Object.assign(new Error('not found'), { statusCode: 404 });
      Object.assign(known, patch);
    },
  };
  const release = async () => {
    while (waiting.length) {
      for (const resolve of waiting.splice(0)) resolve();
      await new Promise((r) => setImmediate(r));
    }
  };
  return {
    sink,
    events: () => [...events.values()],
    expire: () => events.clear(),
    release,
    maxInFlight: () => maxInFlight,
  };
}

describe('EventRecorder', () => {
  it('returns at once and folds repeats of one Event into its count', async () => {
    const held = heldSink();
    const recorder = new EventRecorder(held.sink, log);
    for (let i = 0; i < 5; i++) recorder.record(pod('a'), 'Warning', 'NoConformingCapacity', 'held');
    expect(held.events()).toHaveLength(0);
    const flushed = recorder.flush();
    await held.release();
    await flushed;
    expect(held.events()).toHaveLength(1);
    expect(held.events()[0]).toMatchObject({ reason: 'NoConformingCapacity', message: 'held', count: 5 });
  });

  it('combines more than maxSimilar different messages about one object into one Event', async () => {
    const held = heldSink();
    const recorder = new EventRecorder(held.sink, log, { maxSimilar: 3 });
    const policy = { apiVersion: 'x/v1', kind: 'SovereigntyPolicy', name: 'p', namespace: 'ns' };
    for (let i = 0; i < 20; i++) recorder.record(policy, 'Warning', 'EvictedNonConforming', `Pod ${i}`);
    const flushed = recorder.flush();
    await held.release();
    await flushed;
    const events = held.events();
    expect(events).toHaveLength(4);
    const combined = events.find((e) => String(e.message).startsWith('(combined from similar events)'));
    expect(combined).toMatchObject({ count: 17, message: '(combined from similar events): Pod 19' });
  });

  it('keeps distinct objects apart and never has more than `concurrency` writes in flight', async () => {
    const held = heldSink();
    const recorder = new EventRecorder(held.sink, log, { concurrency: 3 });
    for (let i = 0; i < 40; i++) recorder.record(pod(`p${i}`), 'Warning', 'EvictedNonConforming', 'moved');
    const flushed = recorder.flush();
    await held.release();
    await flushed;
    expect(held.events()).toHaveLength(40);
    expect(held.maxInFlight()).toBe(3);
  });

  it('creates a new Event when the folded one has expired', async () => {
    const held = heldSink();
    const recorder = new EventRecorder(held.sink, log);
    const once = async () => {
      recorder.record(pod('a'), 'Normal', 'R', 'm');
      const flushed = recorder.flush();
      await held.release();
      await flushed;
    };
    await once();
    held.expire(); // the API server keeps Events an hour
    await once();
    expect(held.events()).toHaveLength(1);
    expect(held.events()[0]).toMatchObject({ reason: 'R', count: 2 });
  });
});
