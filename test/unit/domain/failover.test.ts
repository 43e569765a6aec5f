import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DisruptionBudget,
  type FailoverInput,
  type FailoverPlan,
  matchesSelector,
  type NodeStanding,
  planFailover,
  RATE_WINDOW_MS,
  rateLimitAfter,
  type SelectedPod,
} from '../../../src/domain/index.ts';
import { bad, failoverInput, good, pod } from './failover-fixtures.ts';
import { codes, HOUR, T0 } from './fixtures.ts';

const names = (entries: readonly { pod: { name: string } }[]) => entries.map((e) => e.pod.name);
const web: DisruptionBudget = {
  namespace: 'apps',
  name: 'web',
  selector: { matchLabels: { app: 'web' } },
  disruptionsAllowed: 1,
};

describe('planFailover', () => {
  it('evicts pods on non-conforming nodes only, with the node reasons', () => {
    const plan = planFailover(
      failoverInput({ pods: [pod('a', 'bad-node'), pod('b', 'good-node'), pod('c', null)] }),
    );
    expect(names(plan.evictNow)).toEqual(['a']);
    expect(plan.evictNow[0]?.reason.code).toBe('NodeNotConforming');
    expect(codes(plan.evictNow[0]?.nodeReasons ?? [])).toEqual(['BadgeExpired']);
    expect(plan.deferred).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(plan.evictsWithoutCapacity).toBe(false);
  });

  it('says when a bare pod will not be recreated', () => {
    const plan = planFailover(failoverInput({ pods: [pod('a', 'bad-node', { owner: null })] }));
    expect(plan.evictNow[0]?.reason.message).toContain('nothing recreates it');
  });

  it('Audit mode evicts nothing and reports every affected pod', () => {
    const plan = planFailover(
      failoverInput({ mode: 'Audit', pods: [pod('a', 'bad-node'), pod('b', 'bad-node')] }),
    );
    expect(plan.evictNow).toEqual([]);
    expect(plan.blocked.map((b) => [b.pod.name, b.reason.code])).toEqual([
      ['a', 'AuditOnly'],
      ['b', 'AuditOnly'],
    ]);
  });

  describe('grace period', () => {
    const since = T0 - HOUR;
    const at = (now: number) =>
      planFailover(
        failoverInput({
          pods: [pod('a', 'bad-node')],
          nodes: new Map([['bad-node', bad(since)]]),
          gracePeriodMs: 2 * HOUR,
          now,
        }),
      );
    it('defers until it ends', () => {
      const plan = at(since + 2 * HOUR - 1);
      expect(plan.evictNow).toEqual([]);
      expect(plan.deferred.map((d) => [d.pod.name, d.until, d.reason.code])).toEqual([
        ['a', since + 2 * HOUR, 'GracePeriodPending'],
      ]);
      expect(plan.nextPlanAt).toBe(since + 2 * HOUR);
    });
    it('evicts at the instant it ends', () => {
      expect(names(at(since + 2 * HOUR).evictNow)).toEqual(['a']);
    });
  });

  it('respects the disruption budget and blocks the rest with the budget named', () => {
    const plan = planFailover(
      failoverInput({ pods: [pod('a', 'bad-node'), pod('b', 'bad-node')], budgets: [web] }),
    );
    expect(names(plan.evictNow)).toEqual(['a']);
    expect(plan.evictNow[0]?.budget).toBe('apps/web');
    expect(plan.blocked.map((b) => [b.pod.name, b.reason.code])).toEqual([
      ['b', 'DisruptionBudgetExhausted'],
    ]);
  });

  it('a budget of another namespace, or with a null selector, does not cover the pod', () => {
    const budgets: DisruptionBudget[] = [
      { ...web, namespace: 'other', disruptionsAllowed: 0 },
      { ...web, name: 'none', selector: null, disruptionsAllowed: 0 },
    ];
    expect(names(planFailover(failoverInput({ pods: [pod('a', 'bad-node')], budgets })).evictNow)).toEqual([
      'a',
    ]);
  });

  it('refuses pods covered by several budgets, as the Eviction API does', () => {
    const plan = planFailover(
      failoverInput({ pods: [pod('a', 'bad-node')], budgets: [web, { ...web, name: 'all', selector: {} }] }),
    );
    expect(plan.blocked.map((b) => b.reason.code)).toEqual(['MultipleDisruptionBudgets']);
  });

  it('respects the rate limit and defers the rest to the next window', () => {
    const rateLimit = { maxEvictionsPerMinute: 3, windowStartedAt: T0 - 10_000, evictionsInWindow: 1 };
    const pods = ['a', 'b', 'c', 'd'].map((n) => pod(n, 'bad-node'));
    const plan = planFailover(failoverInput({ pods, rateLimit }));
    expect(names(plan.evictNow)).toEqual(['a', 'b']);
    expect(plan.deferred.map((d) => [d.pod.name, d.until, d.reason.code])).toEqual([
      ['c', T0 - 10_000 + RATE_WINDOW_MS, 'RateLimited'],
      ['d', T0 - 10_000 + RATE_WINDOW_MS, 'RateLimited'],
    ]);
  });

  it('a window that has ended counts as empty', () => {
    const rateLimit = {
      maxEvictionsPerMinute: 2,
      windowStartedAt: T0 - RATE_WINDOW_MS,
      evictionsInWindow: 2,
    };
    const plan = planFailover(
      failoverInput({ pods: ['a', 'b', 'c'].map((n) => pod(n, 'bad-node')), rateLimit }),
    );
    expect(names(plan.evictNow)).toEqual(['a', 'b']);
    expect(plan.deferred[0]?.until).toBe(T0 + RATE_WINDOW_MS);
    expect(rateLimitAfter(rateLimit, 2, T0)).toEqual({
      maxEvictionsPerMinute: 2,
      windowStartedAt: T0,
      evictionsInWindow: 2,
    });
  });

  it('no conforming capacity + Retain keeps the pods, with a reason', () => {
    const plan = planFailover(
      failoverInput({
        pods: [pod('a', 'bad-node')],
        conformingCapacityExists: false,
        onNoConformingCapacity: 'Retain',
      }),
    );
    expect(plan.evictNow).toEqual([]);
    expect(plan.blocked.map((b) => b.reason.code)).toEqual(['RetainedWithoutCapacity']);
    expect(plan.evictsWithoutCapacity).toBe(false);
  });

  it('no conforming capacity + Evict evicts, and the plan says so explicitly', () => {
    const plan = planFailover(
      failoverInput({ pods: [pod('a', 'bad-node')], conformingCapacityExists: false }),
    );
    expect(plan.evictNow.map((e) => e.reason.code)).toEqual(['EvictedWithoutCapacity']);
    expect(plan.evictsWithoutCapacity).toBe(true);
  });

  it('never evicts a terminating pod again', () => {
    const plan = planFailover(failoverInput({ pods: [pod('a', 'bad-node', { terminating: true })] }));
    expect(plan.evictNow).toEqual([]);
    expect(plan.blocked.map((b) => b.reason.code)).toEqual(['PodTerminating']);
  });

  it('evicts nothing on a node without a known verdict', () => {
    const plan = planFailover(failoverInput({ pods: [pod('a', 'unknown-node')] }));
    expect(plan.blocked.map((b) => b.reason.code)).toEqual(['NodeVerdictUnknown']);
  });

  it('evicts the longest-overdue pods first', () => {
    const nodes = new Map([
      ['old', bad(T0 - 5 * HOUR)],
      ['new', bad(T0 - HOUR)],
    ]);
    const rateLimit = { maxEvictionsPerMinute: 1, windowStartedAt: 0, evictionsInWindow: 0 };
    const plan = planFailover(failoverInput({ nodes, rateLimit, pods: [pod('a', 'new'), pod('z', 'old')] }));
    expect(names(plan.evictNow)).toEqual(['z']);
  });
});

// ---- properties ----

const NODES = ['n1', 'n2', 'n3', 'n4'];
const standingArb: fc.Arbitrary<NodeStanding> = fc.oneof(
  fc.constant(good),
  fc.integer({ min: -3 * HOUR, max: 0 }).map((o) => bad(T0 + o)),
  fc.constant(bad(null)),
);
const podArb: fc.Arbitrary<SelectedPod> = fc.record({
  namespace: fc.constantFrom('apps', 'data'),
  name: fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('a', 'b', 'c', 'd') }),
  node: fc.option(fc.constantFrom(...NODES, 'ghost'), { freq: 8, nil: null }),
  labels: fc.record({ app: fc.constantFrom('web', 'db'), tier: fc.constantFrom('a', 'b') }),
  owner: fc.option(fc.constant({ kind: 'ReplicaSet', name: 'rs' }), { freq: 5, nil: null }),
  terminating: fc.integer({ min: 1, max: 5 }).map((n) => n === 1),
});
const budgetArb: fc.Arbitrary<DisruptionBudget> = fc.record({
  namespace: fc.constantFrom('apps', 'data'),
  name: fc.constantFrom('b1', 'b2', 'b3'),
  selector: fc.oneof(
    fc.constant(null),
    fc.record({ matchLabels: fc.record({ app: fc.constantFrom('web', 'db') }) }),
    fc.record({ matchLabels: fc.record({ tier: fc.constantFrom('a', 'b') }) }),
  ),
  disruptionsAllowed: fc.integer({ min: -1, max: 3 }),
});
const inputArb: fc.Arbitrary<FailoverInput> = fc
  .record({
    pods: fc.uniqueArray(podArb, { selector: (p) => `${p.namespace}/${p.name}`, maxLength: 12 }),
    standings: fc.tuple(standingArb, standingArb, standingArb, standingArb),
    budgets: fc.uniqueArray(budgetArb, { selector: (b) => `${b.namespace}/${b.name}`, maxLength: 3 }),
    max: fc.integer({ min: 1, max: 5 }),
    used: fc.integer({ min: 0, max: 6 }),
    windowAge: fc.integer({ min: 0, max: 2 * RATE_WINDOW_MS }),
    gracePeriodMs: fc.constantFrom(0, HOUR, 2 * HOUR),
    mode: fc.constantFrom('Enforce' as const, 'Enforce' as const, 'Audit' as const),
    onNoConformingCapacity: fc.constantFrom('Evict' as const, 'Retain' as const),
    conformingCapacityExists: fc.boolean(),
  })
  .map((r) => ({
    pods: r.pods,
    nodes: new Map(NODES.map((n, i) => [n, r.standings[i] as NodeStanding])),
    budgets: r.budgets,
    rateLimit: { maxEvictionsPerMinute: r.max, windowStartedAt: T0 - r.windowAge, evictionsInWindow: r.used },
    gracePeriodMs: r.gracePeriodMs,
    mode: r.mode,
    onNoConformingCapacity: r.onNoConformingCapacity,
    conformingCapacityExists: r.conformingCapacityExists,
    now: T0,
  }));

const key = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The state of the cluster after the plan's evictions: pods terminating, budgets and rate window used. */
function apply(input: FailoverInput, plan: FailoverPlan, later = 0): FailoverInput {
  const evicted = new Set(plan.evictNow.map((e) => key(e.pod)));
  const used = new Map<string, number>();
  for (const e of plan.evictNow) if (e.budget) used.set(e.budget, (used.get(e.budget) ?? 0) + 1);
  return {
    ...input,
    pods: input.pods.map((p) => (evicted.has(key(p)) ? { ...p, terminating: true } : p)),
    budgets: input.budgets.map((b) => ({
      ...b,
      disruptionsAllowed: b.disruptionsAllowed - (used.get(key(b)) ?? 0),
    })),
    rateLimit: rateLimitAfter(input.rateLimit, plan.evictNow.length, input.now),
    now: input.now + later,
  };
}

describe('failover properties', () => {
  it('never exceeds any disruption budget nor the rate limit', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planFailover(input);
        const windowOpen = input.now < input.rateLimit.windowStartedAt + RATE_WINDOW_MS;
        const left =
          input.rateLimit.maxEvictionsPerMinute - (windowOpen ? input.rateLimit.evictionsInWindow : 0);
        expect(plan.evictNow.length).toBeLessThanOrEqual(Math.max(0, left));
        for (const b of input.budgets) {
          const covered = plan.evictNow.filter((e) => {
            const p = input.pods.find((x) => key(x) === key(e.pod));
            return (
              p && p.namespace === b.namespace && b.selector !== null && matchesSelector(b.selector, p.labels)
            );
          });
          expect(covered.length).toBeLessThanOrEqual(Math.max(0, b.disruptionsAllowed));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent: planning again after applying evicts no pod twice, now or a bit later', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(0, 1, RATE_WINDOW_MS, 3 * HOUR), (input, later) => {
        const first = planFailover(input);
        const second = planFailover(apply(input, first, later));
        const once = new Set(first.evictNow.map((e) => key(e.pod)));
        for (const e of second.evictNow) expect(once.has(key(e.pod))).toBe(false);
        // Planning twice from the same state gives the same plan.
        expect(planFailover(input)).toEqual(first);
      }),
      { numRuns: 1000 },
    );
  });

  it('evicts only Enforce pods on non-conforming nodes, never terminating ones, and accounts for every affected pod', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planFailover(input);
        if (input.mode === 'Audit') expect(plan.evictNow).toEqual([]);
        const affected = input.pods.filter((p) => p.node !== null && !input.nodes.get(p.node)?.conforms);
        const reported = [...plan.evictNow, ...plan.deferred, ...plan.blocked].map((e) => key(e.pod)).sort();
        expect(reported).toEqual(affected.map(key).sort());
        for (const e of plan.evictNow) {
          const p = input.pods.find((x) => key(x) === key(e.pod));
          expect(p?.terminating).toBe(false);
          expect(input.nodes.get(e.node)?.conforms).toBe(false);
        }
        if (!input.conformingCapacityExists && input.onNoConformingCapacity === 'Retain')
          expect(plan.evictNow).toEqual([]);
        expect(plan.evictsWithoutCapacity).toBe(!input.conformingCapacityExists && plan.evictNow.length > 0);
        for (const d of plan.deferred) expect(d.until).toBeGreaterThan(input.now);
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: the order of pods and budgets does not matter', () => {
    fc.assert(
      fc.property(
        inputArb.chain((i) =>
          fc.tuple(
            fc.constant(i),
            fc.shuffledSubarray([...i.pods], { minLength: i.pods.length }),
            fc.shuffledSubarray([...i.budgets], { minLength: i.budgets.length }),
          ),
        ),
        ([input, pods, budgets]) => {
          expect(planFailover({ ...input, pods, budgets })).toEqual(planFailover(input));
        },
      ),
      { numRuns: 500 },
    );
  });
});
