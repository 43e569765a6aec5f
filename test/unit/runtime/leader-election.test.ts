import { afterEach, describe, expect, it } from 'vitest';
import {
  decide,
  formatMicroTime,
  LeaderElector,
  type LeaderElectorOptions,
  type Lease,
  type LeaseClient,
} from '../../../src/operator/runtime/leader-election.ts';
import { FakeClock } from './fake-clock.ts';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const iso = (ms: number) => formatMicroTime(ms);
const lease = (spec: Lease['spec']): Lease => ({ metadata: { name: 'l', resourceVersion: '1' }, spec });

describe('decide (the election policy)', () => {
  it('creates a Lease that does not exist', () => {
    expect(decide(undefined, T0, 'me')).toEqual({ action: 'create' });
  });

  it('renews a Lease it holds, even an expired one', () => {
    const held = lease({ holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: iso(T0 - 60_000) });
    expect(decide(held, T0, 'me')).toEqual({ action: 'renew' });
  });

  it('waits while another holder renewed less than leaseDurationSeconds ago', () => {
    const held = lease({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: iso(T0 - 5_000) });
    expect(decide(held, T0, 'me')).toEqual({ action: 'wait', holder: 'other', expiresAt: T0 + 10_000 });
    expect(decide(held, T0 + 10_000, 'me').action).toBe('wait');
  });

  it('takes over an expired Lease, counting a transition', () => {
    const held = lease({
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      renewTime: iso(T0 - 15_001),
      leaseTransitions: 4,
    });
    expect(decide(held, T0, 'me')).toEqual({
      action: 'acquire',
      leaseTransitions: 5,
      previousHolder: 'other',
    });
  });

  it('takes a released Lease (empty holder) at once', () => {
    const released = lease({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: iso(T0),
      leaseTransitions: 2,
    });
    expect(decide(released, T0, 'me')).toEqual({
      action: 'acquire',
      leaseTransitions: 3,
      previousHolder: undefined,
    });
  });

  it('treats a holder without renewTime or duration as expired', () => {
    expect(decide(lease({ holderIdentity: 'other', leaseDurationSeconds: 15 }), T0, 'me').action).toBe(
      'acquire',
    );
    expect(decide(lease({ holderIdentity: 'other', renewTime: iso(T0) }), T0, 'me').action).toBe('acquire');
  });

  it('formats MicroTime with six fractional digits, as the API server requires', () => {
    expect(formatMicroTime(Date.UTC(2026, 10, 23, 9, 0, 0, 123))).toBe('2026-11-23T09:00:00.123000Z');
  });
});

/** One Lease with the API server's optimistic concurrency: a replace with a stale resourceVersion fails with 409. */
class FakeLeaseStore {
  lease: Lease | undefined;
  private rv = 0;
  readonly down = new Set<string>();
  writes = 0;

  clientFor(identity: string): LeaseClient {
    const check = () => {
      if (this.down.has(identity)) throw new Error(`${identity}: connection refused`);
    };
    const conflict = () => Object.assign(new Error('Conflict'), { statusCode: 409 });
    return {
      get: async () => {
        check();
        return structuredClone(this.lease);
      },
      create: async (lease) => {
        check();
        if (this.lease) throw conflict();
        this.lease = {
          ...structuredClone(lease),
          metadata: { ...lease.metadata, resourceVersion: String(++this.rv) },
        };
        this.writes++;
        return structuredClone(this.lease);
      },
      replace: async (lease) => {
        check();
        if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw conflict();
        this.lease = {
          ...structuredClone(lease),
          metadata: { ...lease.metadata, resourceVersion: String(++this.rv) },
        };
        this.writes++;
        return structuredClone(this.lease);
      },
    };
  }
}

describe('LeaderElector', () => {
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
  });

  function candidate(
    store: FakeLeaseStore,
    clock: FakeClock,
    identity: string,
    extra: Partial<LeaderElectorOptions> = {},
  ) {
    const log: string[] = [];
    const errors: unknown[] = [];
    const elector = new LeaderElector({
      namespace: 'sovereign-placement-system',
      name: 'operator',
      identity,
      client: store.clientFor(identity),
      clock,
      random: () => 0.5,
      onStartedLeading: () => log.push(`${identity} started@${clock.now() - T0}`),
      onStoppedLeading: () => log.push(`${identity} stopped@${clock.now() - T0}`),
      onNewLeader: (leader) => log.push(`${identity} sees ${leader}`),
      onError: (error) => errors.push(error),
      ...extra,
    });
    electors.push(elector);
    return { elector, log, errors };
  }

  /** Advances time in steps, failing if both ever lead at once. */
  async function sample(clock: FakeClock, ms: number, ...all: LeaderElector[]) {
    for (let t = 0; t < ms; t += 100) {
      await clock.advance(100);
      expect(all.filter((e) => e.isLeader()).length).toBeLessThanOrEqual(1);
    }
  }

  it('of two candidates exactly one leads; the other sees it as leader', async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    b.elector.start();
    await sample(clock, 30_000, a.elector, b.elector);
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.elector.isLeader() ? [a, b] : [b, a];
    expect(store.lease?.spec?.holderIdentity).toBe(leader.elector.identity);
    expect(other.log).toEqual([`${other.elector.identity} sees ${leader.elector.identity}`]);
    expect(store.lease?.spec?.leaseTransitions).toBe(0);
    // Conflicts from the race are expected, not reported as errors.
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('hands over at once when the leader releases the Lease', async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    a.elector.start();
    await clock.advance(0);
    expect(a.elector.isLeader()).toBe(true);
    const b = candidate(store, clock, 'b');
    b.elector.start();
    await sample(clock, 10_000, a.elector, b.elector);
    const releasedAt = clock.now();
    await a.elector.release();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.log.at(-1)).toBe(`a stopped@${releasedAt - T0}`);
    expect(store.lease?.spec?.holderIdentity).toBe('');
    await sample(clock, 5_000, a.elector, b.elector);
    expect(b.elector.isLeader()).toBe(true);
    // b retries every 2 s·(1 + 0.5·1.2) = 3.2 s: it takes over within one retry, not after 15 s.
    const took = Number(b.log.find((l) => l.startsWith('b started@'))?.split('@')[1]) - (releasedAt - T0);
    expect(took).toBeLessThanOrEqual(3_200);
    expect(store.lease?.spec?.leaseTransitions).toBe(1);
  });

  it('a leader that cannot renew steps down at renewDeadline; the other takes over only after leaseDuration', async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    a.elector.start();
    await clock.advance(0);
    const b = candidate(store, clock, 'b');
    b.elector.start();
    await sample(clock, 6_000, a.elector, b.elector);
    const lastRenew = Date.parse(store.lease?.spec?.renewTime ?? '');
    store.down.add('a'); // the leader is cut off from the API server
    await sample(clock, 30_000, a.elector, b.elector);
    expect(a.log).toContain(`a stopped@${lastRenew + 10_000 - T0}`);
    const bStarted = Number(b.log.find((l) => l.startsWith('b started@'))?.split('@')[1]) + T0;
    expect(bStarted).toBeGreaterThan(lastRenew + 15_000);
    expect(bStarted).toBeLessThanOrEqual(lastRenew + 15_000 + 3_200);
    expect(b.elector.isLeader()).toBe(true);
    expect(store.lease?.spec?.leaseTransitions).toBe(1);
    expect(a.errors.length).toBeGreaterThan(0);
    // Reconnected, the old leader sees the new one and does not fight for the Lease.
    store.down.delete('a');
    await sample(clock, 10_000, a.elector, b.elector);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.elector.leader).toBe('b');
  });

  it('a stopped leader (no release) is replaced once its Lease has expired', async () => {
    const clock = new FakeClock(T0);
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(4_000);
    await a.elector.stop();
    const lastRenew = Date.parse(store.lease?.spec?.renewTime ?? '');
    await sample(clock, 14_000, a.elector, b.elector);
    expect(b.elector.isLeader()).toBe(false);
    await sample(clock, 6_000, a.elector, b.elector);
    expect(b.elector.isLeader()).toBe(true);
    expect(clock.now()).toBeGreaterThan(lastRenew + 15_000);
  });

  it('refuses timings under which two leaders could overlap', () => {
    const store = new FakeLeaseStore();
    const base = { namespace: 'n', name: 'l', identity: 'a', client: store.clientFor('a') };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      /renewDeadlineMs/,
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(
      /retryPeriodMs/,
    );
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity/);
  });
});
