import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClusterCandidate,
  type ClusterFailoverInput,
  type ClusterFailoverPlan,
  type LeaveCause,
  leaveCause,
  type MemberStanding,
  type PlacementRecord,
  planClusterFailover,
  reason,
  type Verdict,
} from '../../../src/domain/index.ts';
import { codes, DAY, HOUR, T0 } from './fixtures.ts';

// ---- a small world of members, described by what the hub knows of each ----

interface Member {
  provider?: string;
  /** The hub reaches it now (default true). */
  reachable?: boolean;
  /** Healthy as the member controller judges it (default: reachable). */
  healthy?: boolean;
  cordoned?: boolean;
  /** The facts conform, ignoring lead time, health and cordon (default true). */
  conformsNow?: boolean;
  /** Conforms now, but its badge expires within the workload's lead time. */
  expiring?: boolean;
}
/** Members by name; a name absent here is a deleted MemberCluster. */
type World = Record<string, Member>;

const conformingVerdict: Verdict = {
  conforms: true,
  reasons: [reason('Conforming', { kind: 'MemberCluster', requirement: 'Sovereign in eu' })],
  nextTransitionAt: null,
  satisfiedBadges: [],
};
const failingVerdict: Verdict = {
  conforms: false,
  reasons: [reason('TargetUnhealthy', { kind: 'MemberCluster' })],
  nextTransitionAt: null,
  satisfiedBadges: [],
};

function standingOf(m: Member): MemberStanding {
  const reachable = m.reachable ?? true;
  const healthy = m.healthy ?? reachable;
  const cordoned = m.cordoned ?? false;
  const conformsNow = m.conformsNow ?? true;
  const conforms = conformsNow && healthy && !cordoned && !m.expiring;
  return {
    reachable,
    healthy,
    cordoned,
    conformsNow,
    verdict: conforms ? conformingVerdict : failingVerdict,
  };
}

const providerOf = (m: Member) => m.provider ?? 'P1';

function candidatesOf(world: World): ClusterCandidate[] {
  return Object.entries(world).map(([name, m]) => ({
    name,
    provider: providerOf(m),
    cloudService: `svc-${providerOf(m)}`,
    verdict: standingOf(m).verdict,
  }));
}

function record(cluster: string, extra: Partial<PlacementRecord> = {}): PlacementRecord {
  return {
    cluster,
    provider: 'P1',
    cloudService: 'svc-P1',
    since: T0 - DAY,
    available: true,
    ...extra,
  };
}

const leavingSince = (since: number) => ({ leaving: { cause: 'NotSelected' as const, since } });

function input(
  world: World,
  records: PlacementRecord[],
  o: Partial<ClusterFailoverInput> = {},
): ClusterFailoverInput {
  return {
    candidates: candidatesOf(world),
    clusters: 1,
    spreadAcrossProviders: 1,
    records,
    standing: (cluster) => {
      const m = world[cluster];
      return m ? standingOf(m) : undefined;
    },
    onNoConformingCapacity: 'Evict',
    removeNonConforming: 'Immediately',
    now: T0,
    ...o,
  };
}

const plan = (world: World, records: PlacementRecord[], o: Partial<ClusterFailoverInput> = {}) =>
  planClusterFailover(input(world, records, o));

const activeNames = (p: ClusterFailoverPlan) => p.active.map((r) => r.cluster);
const leavingOf = (p: ClusterFailoverPlan, cluster: string) =>
  p.leaving.find((l) => l.record.cluster === cluster);

describe('leaveCause', () => {
  it('names the most serious cause first', () => {
    const cases: [MemberStanding | undefined, LeaveCause][] = [
      [undefined, 'MemberDeleted'],
      // Unreachable past the grace period: its facts cannot be acted on anyway.
      [standingOf({ reachable: false, healthy: false, conformsNow: false }), 'Unreachable'],
      [standingOf({ reachable: false, healthy: false }), 'Unreachable'],
      // Unreachable within the grace period but no longer conforming: compliance first.
      [standingOf({ reachable: false, healthy: true, conformsNow: false }), 'NotConforming'],
      [standingOf({ conformsNow: false, cordoned: true, expiring: true }), 'NotConforming'],
      [standingOf({ cordoned: true, expiring: true }), 'Cordoned'],
      [standingOf({ expiring: true }), 'ExpiringSoon'],
      [standingOf({}), 'NotSelected'],
    ];
    for (const [standing, cause] of cases) expect(leaveCause(standing)).toBe(cause);
  });
});

describe('planClusterFailover: compliance first', () => {
  const world: World = { a: { conformsNow: false }, b: {} };

  it('removes a copy on a reachable member that no longer conforms at once (Immediately)', () => {
    const p = plan(world, [record('a')]);
    expect(activeNames(p)).toEqual(['b']);
    expect(p.available).toBe(false);
    expect(leavingOf(p, 'a')).toMatchObject({ cause: 'NotConforming', removal: 'Now', due: true });
    expect(p.remove).toEqual(['a']);
    expect(p.failovers).toEqual([{ cluster: 'a', cause: 'NotConforming' }]);
    expect(leavingOf(p, 'a')?.reason.code).toBe('LeavingMemberCluster');
    expect(leavingOf(p, 'a')?.reason.message).toContain('removed at once');
  });

  it('with AfterReplacementAvailable, waits until every chosen member runs it Available', () => {
    const o = { removeNonConforming: 'AfterReplacementAvailable' as const };
    const waiting = plan(world, [record('a')], o);
    expect(leavingOf(waiting, 'a')).toMatchObject({ removal: 'AfterReplacementAvailable', due: false });
    expect(waiting.remove).toEqual([]);

    // Two asked: one replacement Available is not enough.
    const two: World = { a: { conformsNow: false }, b: {}, c: {} };
    const half = plan(two, [record('a'), record('b', { available: true })], { ...o, clusters: 2 });
    expect(activeNames(half)).toEqual(['b', 'c']);
    expect(half.remove).toEqual([]);

    const done = plan(two, [record('a'), record('b'), record('c', { available: true })], {
      ...o,
      clusters: 2,
    });
    expect(done.available).toBe(true);
    expect(leavingOf(done, 'a')).toMatchObject({ removal: 'AfterReplacementAvailable', due: true });
    expect(done.remove).toEqual(['a']);
  });

  it('a due removal waits for an unreachable member and says so', () => {
    const p = plan({ a: { conformsNow: false, reachable: false, healthy: true }, b: {} }, [record('a')]);
    expect(leavingOf(p, 'a')).toMatchObject({ cause: 'NotConforming', removal: 'Now', due: true });
    expect(p.remove).toEqual([]);
    expect(leavingOf(p, 'a')?.reason.message).toContain('waits until the member is reachable');
  });
});

describe('planClusterFailover: make before break', () => {
  const leaves: [string, World, PlacementRecord[], Partial<ClusterFailoverInput>, LeaveCause][] = [
    [
      'badge expiring within the lead time',
      { a: { expiring: true }, b: {} },
      [record('a')],
      {},
      'ExpiringSoon',
    ],
    ['cordoned', { a: { cordoned: true }, b: {} }, [record('a')], {}, 'Cordoned'],
    [
      'moved for the spread',
      { a: {}, b: {}, c: { provider: 'P2' } },
      [record('a'), record('b')],
      { clusters: 2, spreadAcrossProviders: 2 },
      'NotSelected',
    ],
    [
      'unreachable past its grace',
      { a: { reachable: false, healthy: false }, b: {} },
      [record('a')],
      {},
      'Unreachable',
    ],
  ];

  for (const [what, world, records, o, cause] of leaves) {
    const left = cause === 'NotSelected' ? 'b' : 'a';
    const replacement = cause === 'NotSelected' ? 'c' : 'b';

    it(`${what}: the copy stays until the replacement is Available`, () => {
      const waiting = plan(world, records, o);
      expect(activeNames(waiting)).toContain(replacement);
      expect(activeNames(waiting)).not.toContain(left);
      expect(leavingOf(waiting, left)).toMatchObject({
        cause,
        removal: 'AfterReplacementAvailable',
        due: false,
      });
      expect(waiting.remove).toEqual([]);
      expect(waiting.failovers).toEqual([{ cluster: left, cause }]);

      // Next round: the replacement is recorded and Available, the left copy recorded as leaving.
      const next = records.map((r) => (r.cluster === left ? { ...r, ...leavingSince(T0) } : r));
      const ready = plan(world, [...next, record(replacement, { since: T0, available: true })], o);
      expect(ready.available).toBe(true);
      expect(leavingOf(ready, left)).toMatchObject({ cause, due: true });
      // Removed only from a reachable member.
      expect(ready.remove).toEqual(world[left]?.reachable === false ? [] : [left]);
      // Already leaving: no second failover.
      expect(ready.failovers).toEqual([]);
    });
  }

  it('keeps a leaving copy while fewer members than asked are chosen, even all Available', () => {
    const p = plan({ a: { expiring: true }, b: {} }, [record('a'), record('b')], { clusters: 2 });
    expect(activeNames(p)).toEqual(['b']);
    expect(p.active.every((r) => r.available)).toBe(true);
    expect(p.available).toBe(false);
    expect(leavingOf(p, 'a')?.due).toBe(false);
    expect(p.remove).toEqual([]);
  });

  it('keeps a leaving copy while one chosen member is not yet Available', () => {
    const p = plan(
      { a: { cordoned: true }, b: {}, c: {} },
      [record('a'), record('b'), record('c', { available: false })],
      { clusters: 2 },
    );
    expect(activeNames(p)).toEqual(['b', 'c']);
    expect(p.available).toBe(false);
    expect(p.remove).toEqual([]);
  });
});

describe('planClusterFailover: no conforming capacity', () => {
  const alone: World = { a: { conformsNow: false }, b: { cordoned: true } };

  it('never chooses a non-conforming member, even one it runs on', () => {
    const p = plan(alone, [record('a'), record('b')], { clusters: 2, onNoConformingCapacity: 'Retain' });
    expect(p.active).toEqual([]);
    expect(p.placement.chosen).toEqual([]);
    expect(codes(p.placement.reasons)).toContain('NoConformingCapacity');
    expect(p.available).toBe(false);
  });

  it('Retain keeps the non-conforming copy, whatever removeNonConforming says', () => {
    for (const removeNonConforming of ['Immediately', 'AfterReplacementAvailable'] as const) {
      const p = plan(alone, [record('a')], { onNoConformingCapacity: 'Retain', removeNonConforming });
      expect(leavingOf(p, 'a')).toMatchObject({ cause: 'NotConforming', removal: 'Retained', due: false });
      expect(p.remove).toEqual([]);
      expect(leavingOf(p, 'a')?.reason.message).toContain('retained');
    }
  });

  it('Retain keeps the copy while the only conforming member is short of the count asked', () => {
    const p = plan({ a: { conformsNow: false }, b: {} }, [record('a'), record('b')], {
      clusters: 2,
      onNoConformingCapacity: 'Retain',
    });
    expect(activeNames(p)).toEqual(['b']);
    expect(leavingOf(p, 'a')).toMatchObject({ removal: 'Retained', due: false });
    expect(p.remove).toEqual([]);
  });

  it('Retain: the copy goes once a replacement is Available', () => {
    const world: World = { a: { conformsNow: false }, c: {} };
    const o = {
      onNoConformingCapacity: 'Retain' as const,
      removeNonConforming: 'AfterReplacementAvailable' as const,
    };
    const retained = [record('a', leavingSince(T0 - HOUR))];
    const chosen = plan(world, retained, o);
    expect(activeNames(chosen)).toEqual(['c']);
    expect(chosen.remove).toEqual([]);
    const available = plan(world, [...retained, record('c', { since: T0, available: true })], o);
    expect(available.available).toBe(true);
    expect(available.remove).toEqual(['a']);
  });

  it('Retain keeps its promise when a replacement appears: the retained copy stays until the replacement is Available, even with removeNonConforming Immediately', () => {
    const o = { onNoConformingCapacity: 'Retain' as const, removeNonConforming: 'Immediately' as const };
    // Retained for want of capacity: the decision is recorded as such.
    const first = plan(alone, [record('a')], o);
    expect(leavingOf(first, 'a')).toMatchObject({ removal: 'Retained' });
    const retained = first.leaving.map((l) => l.record);
    expect(retained[0]?.leaving?.retained).toBe(true);
    // A conforming member appears: it is chosen, not yet Available; the retained copy stays.
    const world: World = { a: { conformsNow: false }, c: {} };
    const chosen = plan(world, retained, o);
    expect(activeNames(chosen)).toEqual(['c']);
    expect(leavingOf(chosen, 'a')).toMatchObject({ removal: 'Retained', due: false });
    expect(chosen.remove).toEqual([]);
    // Once it is Available, the retained copy goes.
    const next = [
      ...chosen.leaving.map((l) => l.record),
      { ...(chosen.active[0] as PlacementRecord), available: true },
    ];
    expect(plan(world, next, o).remove).toEqual(['a']);
    // Without the retained mark (capacity existed when it was left) it is removed at once.
    expect(plan(world, [record('a')], o).remove).toEqual(['a']);
  });

  it('Evict removes the non-conforming copy at once', () => {
    const p = plan(alone, [record('a')], { onNoConformingCapacity: 'Evict' });
    expect(leavingOf(p, 'a')).toMatchObject({ cause: 'NotConforming', removal: 'Now', due: true });
    expect(p.remove).toEqual(['a']);
  });
});

describe('planClusterFailover: records', () => {
  it('forgets the record of a deleted MemberCluster, never removes from it', () => {
    const p = plan({ b: {} }, [record('gone'), record('old-gone', leavingSince(T0 - HOUR)), record('b')]);
    expect(p.forgotten).toEqual(['gone', 'old-gone']);
    expect(p.remove).toEqual([]);
    expect(p.leaving).toEqual([]);
    expect(activeNames(p)).toEqual(['b']);
    // Only the record not already leaving is a new failover.
    expect(p.failovers).toEqual([{ cluster: 'gone', cause: 'MemberDeleted' }]);
  });

  it('lists in failovers only the members newly left, and keeps when a member started being left', () => {
    const p = plan({ a: { cordoned: true }, b: { expiring: true }, c: {} }, [
      record('a', leavingSince(T0 - HOUR)),
      record('b'),
    ]);
    expect(p.failovers).toEqual([{ cluster: 'b', cause: 'ExpiringSoon' }]);
    expect(leavingOf(p, 'a')?.record.leaving).toEqual({ cause: 'Cordoned', since: T0 - HOUR });
    expect(leavingOf(p, 'b')?.record.leaving).toEqual({ cause: 'ExpiringSoon', since: T0 });
  });

  it('a leaving member chosen again becomes active with its since and availability kept', () => {
    const p = plan({ a: { provider: 'P2' } }, [
      record('a', { since: T0 - 3 * DAY, ...leavingSince(T0 - HOUR) }),
    ]);
    expect(p.active).toEqual([
      { cluster: 'a', provider: 'P2', cloudService: 'svc-P2', since: T0 - 3 * DAY, available: true },
    ]);
    expect(p.leaving).toEqual([]);
    expect(p.failovers).toEqual([]);
    expect(p.available).toBe(true);
  });

  it('a newly chosen member starts now, not yet Available', () => {
    const p = plan({ a: {} }, [], { now: T0 + HOUR });
    expect(p.active).toEqual([
      { cluster: 'a', provider: 'P1', cloudService: 'svc-P1', since: T0 + HOUR, available: false },
    ]);
    expect(p.available).toBe(false);
  });

  it('keeps the conforming members it runs on, even when others sort first', () => {
    const p = plan({ a: {}, b: {}, z: {} }, [record('z')]);
    expect(activeNames(p)).toEqual(['z']);
    expect(p.placement.chosen[0]?.kept).toBe(true);
    expect(p.leaving).toEqual([]);
    expect(p.failovers).toEqual([]);
  });
});

// ---- properties over random worlds ----

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;

const memberArb: fc.Arbitrary<Member> = fc
  .record({
    provider: fc.constantFrom('P1', 'P2', 'P3'),
    reachable: fc.boolean(),
    healthy: fc.boolean(),
    cordoned: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    conformsNow: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
    expiring: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  })
  // A reachable member is healthy; an unreachable one may be within its grace period or past it.
  .map((m) => ({ ...m, healthy: m.reachable || m.healthy }));

const recordArb = (cluster: string): fc.Arbitrary<PlacementRecord> =>
  fc
    .record({
      provider: fc.constantFrom('P1', 'P2', 'P3'),
      since: fc.integer({ min: -10, max: 0 }).map((d) => T0 + d * HOUR),
      available: fc.boolean(),
      leaving: fc.option(
        fc.integer({ min: -10, max: 0 }).map((d) => T0 + d * HOUR),
        { nil: undefined },
      ),
    })
    .map((r) => ({
      cluster,
      provider: r.provider,
      cloudService: `svc-${r.provider}`,
      since: r.since,
      available: r.available,
      ...(r.leaving === undefined ? {} : leavingSince(r.leaving)),
    }));

const inputArb: fc.Arbitrary<ClusterFailoverInput> = fc
  .record({
    world: fc.dictionary(fc.constantFrom(...NAMES), memberArb, { maxKeys: NAMES.length }),
    // Records on known members and on deleted ones.
    recorded: fc.uniqueArray(fc.constantFrom(...NAMES, 'gone-1', 'gone-2'), { maxLength: 6 }),
    clusters: fc.integer({ min: 1, max: 4 }),
    spread: fc.integer({ min: 1, max: 3 }),
    onNoConformingCapacity: fc.constantFrom('Evict' as const, 'Retain' as const),
    removeNonConforming: fc.constantFrom('Immediately' as const, 'AfterReplacementAvailable' as const),
  })
  .chain((r) =>
    fc.tuple(fc.constant(r), fc.tuple(...r.recorded.map(recordArb)) as fc.Arbitrary<PlacementRecord[]>),
  )
  .map(([r, records]) =>
    input(r.world, records, {
      clusters: r.clusters,
      spreadAcrossProviders: Math.min(r.spread, r.clusters),
      onNoConformingCapacity: r.onNoConformingCapacity,
      removeNonConforming: r.removeNonConforming,
    }),
  );

describe('planClusterFailover properties', () => {
  it('never removes a copy from an unreachable member, and never runs on fewer members than it could', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const p = planClusterFailover(i);
        for (const cluster of p.remove) expect(i.standing(cluster)?.reachable).toBe(true);
        const conforming = i.candidates.filter((c) => c.verdict.conforms).map((c) => c.name);
        expect(p.active.length).toBe(Math.min(i.clusters, conforming.length));
        // Never on a non-conforming member.
        for (const r of p.active) expect(conforming).toContain(r.cluster);
        // Only copies being left are removed; deleted members are never cleaned.
        const leaving = p.leaving.map((l) => l.record.cluster);
        for (const cluster of p.remove) expect(leaving).toContain(cluster);
        for (const cluster of p.forgotten) expect(i.standing(cluster)).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('loses no record: each is active, leaving or forgotten, exactly once', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const p = planClusterFailover(i);
        const accounted = [...activeNames(p), ...p.leaving.map((l) => l.record.cluster), ...p.forgotten];
        expect(new Set(accounted).size).toBe(accounted.length);
        for (const r of i.records) expect(accounted).toContain(r.cluster);
      }),
      { numRuns: 1000 },
    );
  });

  it('removes as the rules say: non-conforming copies per the workload, others only once Available elsewhere', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const p = planClusterFailover(i);
        const complete = p.active.length >= i.clusters;
        expect(p.available).toBe(complete && p.active.every((r) => r.available));
        for (const l of p.leaving) {
          const reachable = i.standing(l.record.cluster)?.reachable === true;
          const removed = p.remove.includes(l.record.cluster);
          if (l.cause === 'NotConforming') {
            const retained = !complete && i.onNoConformingCapacity === 'Retain';
            const immediately = !retained && i.removeNonConforming === 'Immediately';
            expect(l.removal).toBe(retained ? 'Retained' : immediately ? 'Now' : 'AfterReplacementAvailable');
            expect(removed).toBe(reachable && (immediately || p.available));
          } else {
            expect(l.removal).toBe('AfterReplacementAvailable');
            expect(removed).toBe(reachable && p.available);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('reports as failovers exactly the records newly left', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const p = planClusterFailover(i);
        const active = new Set(activeNames(p));
        const expected = i.records
          .filter((r) => !r.leaving && !active.has(r.cluster))
          .map((r) => r.cluster)
          .sort();
        expect(p.failovers.map((f) => f.cluster)).toEqual(expected);
        for (const f of p.failovers) expect(f.cause).toBe(leaveCause(i.standing(f.cluster)));
      }),
      { numRuns: 1000 },
    );
  });

  it('is stable: conforming members it runs on stay chosen while they fit', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const single = { ...i, spreadAcrossProviders: 1 };
        const p = planClusterFailover(single);
        const conforming = new Set(i.candidates.filter((c) => c.verdict.conforms).map((c) => c.name));
        const kept = i.records.filter((r) => !r.leaving && conforming.has(r.cluster)).map((r) => r.cluster);
        const active = activeNames(p);
        if (kept.length <= i.clusters) for (const c of kept) expect(active).toContain(c);
        else for (const c of active) expect(kept).toContain(c);
        // Planning again from its own records moves nothing.
        const again = planClusterFailover({
          ...single,
          records: [...p.active, ...p.leaving.map((l) => l.record)],
        });
        expect(activeNames(again)).toEqual(active);
        expect(again.failovers).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: the order of records and candidates does not matter', () => {
    fc.assert(
      fc.property(
        inputArb.chain((i) =>
          fc.tuple(
            fc.constant(i),
            fc.shuffledSubarray([...i.records], { minLength: i.records.length }),
            fc.shuffledSubarray([...i.candidates], { minLength: i.candidates.length }),
          ),
        ),
        ([i, records, candidates]) => {
          expect(planClusterFailover({ ...i, records, candidates })).toEqual(planClusterFailover(i));
        },
      ),
      { numRuns: 500 },
    );
  });
});
