import { afterEach, describe, expect, it } from 'vitest';
import {
  diffSnapshot,
  objectKey,
  Reflector,
  type ReflectorEvent,
  type ReflectorSettings,
} from '../../../src/operator/runtime/reflector.ts';
import { FakeApi, type Obj } from './fake-api.ts';
import { FakeClock, settle } from './fake-clock.ts';

const obj = (name: string, rv: string, uid = `uid-${name}`, namespace?: string): Obj => ({
  metadata: { name, resourceVersion: rv, uid, ...(namespace ? { namespace } : {}) },
});

describe('diffSnapshot (what a relist changes in the cache)', () => {
  it('reports objects missing from the list as deleted, new ones as added, changed ones as modified', () => {
    const cache = new Map(
      [obj('same', '1'), obj('changed', '2'), obj('gone', '3'), obj('recreated', '4', 'uid-old')].map((o) => [
        objectKey(o),
        o,
      ]),
    );
    const listed = [obj('same', '1'), obj('changed', '7'), obj('new', '8'), obj('recreated', '9', 'uid-new')];
    const changes = diffSnapshot(cache, listed);
    expect(changes.added.map((c) => c.key)).toEqual(['new', 'recreated']);
    expect(
      changes.modified.map((c) => [c.key, c.old.metadata.resourceVersion, c.object.metadata.resourceVersion]),
    ).toEqual([['changed', '2', '7']]);
    expect(changes.deleted.map((c) => [c.key, c.object.metadata.uid])).toEqual([
      ['recreated', 'uid-old'],
      ['gone', 'uid-gone'],
    ]);
    expect([...changes.next.keys()]).toEqual(['same', 'changed', 'new', 'recreated']);
    expect(changes.next.get('changed')).toBe(listed[1]);
  });

  it('an empty list deletes everything; an empty cache adds everything', () => {
    const all = [obj('a', '1', 'u1', 'ns1'), obj('a', '2', 'u2', 'ns2')];
    expect(diffSnapshot(new Map(all.map((o) => [objectKey(o), o])), []).deleted.map((c) => c.key)).toEqual([
      'ns1/a',
      'ns2/a',
    ]);
    expect(diffSnapshot(new Map(), all).added.map((c) => c.key)).toEqual(['ns1/a', 'ns2/a']);
  });
});

describe('Reflector against a scripted API', () => {
  let reflector: Reflector<Obj> | undefined;
  afterEach(() => {
    reflector?.stop();
    reflector = undefined;
  });

  function setup(settings: ReflectorSettings<Obj> = {}) {
    const api = new FakeApi();
    const clock = new FakeClock();
    const events: ReflectorEvent<Obj>[] = [];
    const r = new Reflector<Obj>({
      client: api.client,
      clock,
      random: () => 1, // the backoff is then exactly its ceiling
      pageSize: 3,
      watchTimeoutSeconds: 60,
      idleTimeoutMs: 90_000,
      backoffBaseMs: 500,
      backoffMaxMs: 4_000,
      ...settings,
    });
    r.onEvent((e) => events.push(e));
    reflector = r;
    const of = <K extends ReflectorEvent<Obj>['type']>(type: K) =>
      events.filter((e): e is Extract<ReflectorEvent<Obj>, { type: K }> => e.type === type);
    return { api, clock, events, r, of };
  }

  it('lists page by page, becomes synced, then watches from the list resourceVersion', async () => {
    const { api, clock, r, of } = setup();
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) api.put(n);
    expect(r.hasSynced()).toBe(false);
    r.start();
    await r.synced;
    expect(r.hasSynced()).toBe(true);
    expect(api.listCalls.map((c) => [c.limit, c.continue])).toEqual([
      [3, undefined],
      [3, '1:3'],
      [3, '1:6'],
    ]);
    expect(of('Listed')).toEqual([
      expect.objectContaining({ count: 7, pages: 3, added: 7, resourceVersion: '107' }),
    ]);
    expect(r.keys().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    await clock.advance(0);
    expect(api.lastWatch.request).toMatchObject({ resourceVersion: '107', timeoutSeconds: 60 });
    expect(of('WatchStarted')).toEqual([{ type: 'WatchStarted', resourceVersion: '107' }]);
  });

  it('stores and hands out transformed objects, and still resumes and relists by resourceVersion', async () => {
    const seen: string[] = [];
    const { api, clock, r, of } = setup({
      transform: (o) => {
        seen.push(o.metadata.name);
        return { metadata: o.metadata, data: (o.data ?? '').toUpperCase() };
      },
    });
    for (const n of ['a', 'b', 'c', 'd']) api.put(n);
    r.start();
    await clock.advance(0);
    expect(r.get('a')).toEqual({ metadata: expect.objectContaining({ name: 'a' }), data: 'A' });
    expect(r.get('a')?.kind).toBeUndefined();
    api.put('a', 'changed');
    api.remove('b');
    expect(of('Modified').map((e) => [e.old.data, e.object.data])).toEqual([['A', 'CHANGED']]);
    expect(of('Deleted').map((e) => e.object.data)).toEqual(['B']);
    expect(r.resourceVersion).toBe(String(api.rv));
    // A relist compares resourceVersions of transformed objects: unchanged ones are not reported.
    api.lastWatch.send({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    await clock.advance(0);
    expect(api.listCalls.length).toBeGreaterThan(2);
    expect(of('Modified')).toHaveLength(1);
    expect(of('Listed').at(-1)).toMatchObject({ added: 0, modified: 0, deleted: 0 });
    expect(seen.filter((n) => n === 'c').length).toBe(2);
  });

  it('applies watch events and resumes from the last resourceVersion, bookmarks included, when the server ends the watch', async () => {
    const { api, clock, r, of } = setup();
    api.put('a');
    r.start();
    await clock.advance(0);
    api.put('b');
    api.put('a', 'changed');
    api.remove('b');
    expect(of('Added').map((e) => e.key)).toEqual(['a', 'b']);
    expect(of('Modified').map((e) => [e.key, e.old.data, e.object.data])).toEqual([['a', 'a', 'changed']]);
    expect(of('Deleted')).toEqual([
      expect.objectContaining({
        key: 'b',
        finalStateUnknown: false,
        object: expect.objectContaining({ data: 'b' }),
      }),
    ]);
    expect(r.get('a')?.data).toBe('changed');
    expect(r.get('b')).toBeUndefined();
    api.lastWatch.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '999' } } });
    expect(r.resourceVersion).toBe('999');
    await clock.advance(60_000);
    api.lastWatch.end();
    await clock.advance(0);
    expect(of('WatchEnded').map((e) => e.reason)).toEqual(['Timeout']);
    expect(of('WatchRestarted')).toEqual([
      { type: 'WatchRestarted', reason: 'Timeout', delayMs: 0, relist: false },
    ]);
    expect(api.watches).toHaveLength(2);
    expect(api.lastWatch.request.resourceVersion).toBe('999');
    expect(api.listCalls).toHaveLength(1);
  });

  it('relists on a 410 ERROR event and reports the deletes it missed as Deleted with final state unknown', async () => {
    const { api, clock, r, of, events } = setup();
    for (const n of ['keep', 'change', 'drop', 'renew']) api.put(n);
    r.start();
    await clock.advance(0);
    api.silent = true; // the watch misses these
    api.remove('drop');
    api.put('change', 'v2');
    api.put('fresh');
    api.recreate('renew');
    events.length = 0;
    api.lastWatch.send({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' },
    });
    await clock.advance(0);
    expect(api.lastWatch.request.resourceVersion).toBe(String(api.rv));
    expect(of('WatchEnded')).toEqual([expect.objectContaining({ reason: 'Expired' })]);
    expect(of('WatchRestarted')).toEqual([
      expect.objectContaining({ reason: 'Expired', relist: true, delayMs: 0 }),
    ]);
    expect(of('Deleted').map((e) => [e.key, e.finalStateUnknown, e.object.data])).toEqual([
      ['renew', true, 'renew'],
      ['drop', true, 'drop'],
    ]);
    expect(of('Added').map((e) => e.key)).toEqual(['fresh', 'renew']);
    expect(of('Modified').map((e) => e.key)).toEqual(['change']);
    expect(of('Listed')).toEqual([expect.objectContaining({ added: 2, modified: 1, deleted: 2, count: 4 })]);
    expect(r.keys().sort()).toEqual(['change', 'fresh', 'keep', 'renew']);
  });

  it('relists when the watch request itself is answered 410 Gone', async () => {
    const { api, clock, r, of } = setup();
    r.start();
    await clock.advance(0);
    api.watchStartErrors.push(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await clock.advance(60_000);
    api.lastWatch.end();
    await clock.advance(10_000);
    expect(of('WatchEnded').map((e) => e.reason)).toEqual(['Timeout', 'Expired']);
    expect(api.listCalls).toHaveLength(2);
  });

  it('reconnects after errors with a growing, bounded backoff, and starts over after a healthy watch', async () => {
    const { api, clock, r, of } = setup();
    r.start();
    await clock.advance(0);
    for (let i = 0; i < 5; i++) {
      api.lastWatch.end(new Error('ECONNRESET'));
      await clock.advance(10_000);
    }
    expect(of('WatchRestarted').map((e) => [e.reason, e.delayMs])).toEqual([
      ['Error', 500],
      ['Error', 1_000],
      ['Error', 2_000],
      ['Error', 4_000],
      ['Error', 4_000],
    ]);
    api.put('x'); // the watch delivers an event: it is healthy
    api.lastWatch.end(new Error('ECONNRESET'));
    await clock.advance(0);
    expect(of('WatchRestarted').at(-1)?.delayMs).toBe(500);
    await clock.advance(500);
    expect(api.lastWatch.request.resourceVersion).toBe(String(api.rv));
    expect(api.listCalls).toHaveLength(1);
  });

  it('treats a normal end long before timeoutSeconds as unexpected, with backoff', async () => {
    const { api, clock, r, of } = setup();
    r.start();
    await clock.advance(1_000);
    api.lastWatch.end();
    await clock.advance(0);
    expect(of('WatchRestarted')).toEqual([expect.objectContaining({ reason: 'Closed', delayMs: 500 })]);
  });

  it('restarts a watch that has been silent for idleTimeoutMs; a bookmark counts as a sign of life', async () => {
    const { api, clock, r, of } = setup({ idleTimeoutMs: 10_000 });
    r.start();
    await clock.advance(9_000);
    api.lastWatch.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '555' } } });
    await clock.advance(9_000);
    expect(of('WatchEnded')).toEqual([]);
    await clock.advance(1_000);
    expect(of('WatchEnded').map((e) => e.reason)).toEqual(['Idle']);
    expect(api.watches[0]?.aborted).toBe(true);
    expect(api.watches).toHaveLength(2);
    expect(api.lastWatch.request.resourceVersion).toBe('555');
  });

  it('retries a failed list with backoff and is synced once a list succeeds', async () => {
    const { api, clock, r, of } = setup();
    api.listErrors.push(new Error('connection refused'), new Error('503'));
    api.put('a');
    r.start();
    await clock.advance(0);
    expect(r.hasSynced()).toBe(false);
    expect(of('ListFailed').map((e) => e.retryInMs)).toEqual([500]);
    await clock.advance(500);
    expect(of('ListFailed').map((e) => e.retryInMs)).toEqual([500, 1_000]);
    await clock.advance(1_000);
    expect(r.hasSynced()).toBe(true);
    expect(r.keys()).toEqual(['a']);
  });

  it('lists again without pagination when a continue token has expired', async () => {
    const { api, clock, r, of } = setup({ pageSize: 2 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) api.put(n);
    const list = api.client.list;
    let calls = 0;
    api.client.list = async (request) => {
      if (++calls === 2) api.expireContinueTokens();
      return list(request);
    };
    r.start();
    await clock.advance(0);
    expect(api.listCalls.map((c) => [c.limit, c.continue])).toEqual([
      [2, undefined],
      [2, '1:2'],
      [undefined, undefined],
    ]);
    expect(of('Listed')).toEqual([expect.objectContaining({ count: 5 })]);
    expect(r.size).toBe(5);
  });

  it('relists every relistPeriodMs', async () => {
    const { api, clock, r, of } = setup({
      relistPeriodMs: 600_000,
      idleTimeoutMs: 700_000,
      watchTimeoutSeconds: 3_600,
    });
    r.start();
    await clock.advance(600_000);
    expect(of('WatchEnded').map((e) => e.reason)).toEqual(['Relist']);
    expect(api.listCalls).toHaveLength(2);
    await clock.advance(600_000);
    expect(api.listCalls).toHaveLength(3);
  });

  it('stop() ends the watch and every timer, is idempotent, and a restart reports what changed meanwhile', async () => {
    const { api, clock, r, of, events } = setup({ relistPeriodMs: 600_000 });
    for (const n of ['a', 'b', 'c']) api.put(n);
    r.start();
    await clock.advance(0);
    r.stop();
    r.stop();
    await settle();
    expect(api.lastWatch.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    expect(of('WatchEnded').map((e) => e.reason)).toEqual(['Stopped']);
    expect(of('WatchRestarted')).toEqual([]);
    api.remove('b');
    api.put('c', 'c2');
    api.put('d');
    expect(r.keys().sort()).toEqual(['a', 'b', 'c']);
    events.length = 0;
    r.start();
    await clock.advance(0);
    expect(events.filter((e) => 'key' in e).map((e) => [e.type, 'key' in e ? e.key : ''])).toEqual([
      ['Deleted', 'b'],
      ['Added', 'd'],
      ['Modified', 'c'],
    ]);
    expect(api.watches).toHaveLength(2);
  });

  it('synced rejects when the reflector is stopped before its first list', async () => {
    const { api, clock, r } = setup();
    api.listErrors.push(new Error('down'));
    r.start();
    await clock.advance(0);
    r.stop();
    await expect(r.synced).rejects.toThrow(/stopped before it synced/);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ignores events and ends of a watch it has abandoned', async () => {
    const { api, clock, r, of } = setup({ idleTimeoutMs: 1_000 });
    r.start();
    await clock.advance(1_000); // idle: the first watch is abandoned
    const abandoned = api.watches[0];
    abandoned?.send({ type: 'ADDED', object: { metadata: { name: 'ghost', resourceVersion: '1' } } });
    expect(r.get('ghost')).toBeUndefined();
    expect(of('WatchEnded')).toHaveLength(1);
  });
});
