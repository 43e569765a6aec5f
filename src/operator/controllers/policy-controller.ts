import { API_VERSION } from '../../api/group.ts';
import type { SovereigntyPolicy } from '../../api/index.ts';
import { SCHEDULING_GATE } from '../../cluster/admission/pod-mutation.ts';
import { type Condition, ConditionReason, ConditionType, mergeConditions } from '../../cluster/conditions.ts';
import {
  currentEvictionWindow,
  readEvictionWindow,
  recordEvictionWindow,
} from '../../cluster/eviction-window.ts';
import { assessNodes, capacityOf } from '../../cluster/nodes.ts';
import { objectKey } from '../../cluster/objects.ts';
import { type PolicyPlan, planPolicy } from '../../cluster/policy-plan.ts';
import { type EvictionRateLimit, type PodRef, rateLimitAfter } from '../../domain/failover.ts';
import { formatInstant } from '../../domain/time.ts';
import { httpStatusOf } from '../../kube/request.ts';
import { sameStatus } from '../status.ts';
import {
  allOf,
  type ControllerContext,
  inNamespace,
  NOT_LEADER,
  type ReconcileResult,
  type Wake,
} from './context.ts';

/** Try again soon when a disruption budget refused an eviction (429). */
const BUDGET_RETRY_MS = 5_000;

const podRef = (p: PodRef, uid?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  name: p.name,
  namespace: p.namespace,
  uid,
});
const policyRef = (p: SovereigntyPolicy) => ({
  apiVersion: API_VERSION,
  kind: 'SovereigntyPolicy',
  name: p.metadata.name,
  namespace: p.metadata.namespace,
  uid: p.metadata.uid,
});

/**
 * What wakes a policy: its own edits; pods, PodDisruptionBudgets and the Namespace (enrolment) of its
 * namespace; and any change of the facts its verdicts come from (nodes, CloudServices, areas).
 */
export const policyControllerWakes: readonly Wake[] = [
  { on: 'policies', enqueue: (key) => [key] },
  { on: 'pods', enqueue: (_key, pod, caches) => inNamespace(caches, 'policies', pod.metadata?.namespace) },
  { on: 'budgets', enqueue: (_key, pdb, caches) => inNamespace(caches, 'policies', pdb.metadata?.namespace) },
  { on: 'namespaces', enqueue: (key, _ns, caches) => inNamespace(caches, 'policies', key) },
  { on: 'nodes', enqueue: allOf('policies') },
  { on: 'services', enqueue: allOf('policies') },
  { on: 'areas', enqueue: allOf('policies') },
];

/**
 * One SovereigntyPolicy: pods it selects are let through the scheduling gate once conforming capacity
 * exists, moved (Eviction API) when their node stops conforming, and the status says what holds and why.
 * The decisions are planPolicy's; this only carries them out.
 */
export class PolicyController {
  private readonly ctx: ControllerContext;
  /** Evictions per policy in the current window, ahead of the status until the cache sees our own write. */
  private readonly rateLimits = new Map<string, EvictionRateLimit>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const ctx = this.ctx;
    if (!ctx.isLeader()) return NOT_LEADER;
    const derived = ctx.derived();
    const [namespace, name] = key.split('/');
    const policy = derived.policies.find(
      (p) => p.metadata.namespace === namespace && p.metadata.name === name,
    );
    if (!policy) return this.reportInvalid(key, namespace ?? '', name ?? '');
    const state = ctx.state();
    const capacityMemo = new Map<SovereigntyPolicy, boolean>();
    const hasCapacity = (p: SovereigntyPolicy) => {
      let known = capacityMemo.get(p);
      if (known === undefined) {
        known = capacityOf(assessNodes(p, state.nodes, derived)).sufficient;
        capacityMemo.set(p, known);
      }
      return known;
    };
    const rateLimit = currentEvictionWindow(
      policy.spec.failover.maxEvictionsPerMinute,
      readEvictionWindow(ctx.rawPolicy(key)?.status),
      this.rateLimits.get(key),
      derived.now,
    );
    const plan = planPolicy({ policy, state, derived, rateLimit, hasCapacity });
    ctx.log.debug(
      {
        policy: key,
        ...plan.counts,
        ungate: plan.ungate.length,
        evictNow: plan.failover.evictNow.length,
        deferred: plan.failover.deferred.map((d) => `${d.pod.name}: ${d.reason.code}`),
        blocked: plan.failover.blocked.map((b) => `${b.pod.name}: ${b.reason.code}`),
        requeueAt: plan.requeueAt,
        budgets: state.budgets
          .filter((b) => b.metadata.namespace === policy.metadata.namespace)
          .map((b) => `${b.metadata.name}: ${b.status?.disruptionsAllowed ?? 0} disruptions allowed`),
      },
      'planned',
    );

    await this.releaseGates(plan, state.pods);
    for (const pod of plan.stillGated) {
      await ctx.events.record(
        podRef(pod),
        'Warning',
        ConditionReason.NoConformingCapacity,
        `Held by the scheduling gate ${SCHEDULING_GATE}: ${plan.capacity.reasons[0]?.message ?? 'another policy selecting this pod has no conforming capacity.'}`,
      );
    }
    if (plan.failover.evictNow.length > 0) {
      // Recorded before evicting: a crash in between costs evictions of this minute, never adds some.
      const planned = rateLimitAfter(rateLimit, plan.failover.evictNow.length, derived.now);
      this.rateLimits.set(key, planned);
      await ctx.writer.mergePatchStatus(
        'sovereigntypolicies',
        policy.metadata.namespace,
        policy.metadata.name,
        {
          evictionWindow: recordEvictionWindow(planned),
        },
      );
    }
    const { made, refusedByBudget } = await this.evict(policy, plan);
    const window = rateLimitAfter(rateLimit, made, derived.now);
    this.rateLimits.set(key, window);
    const unpinned = plan.failover.blocked.filter((b) => b.reason.code === 'ReplacementNotPinned');
    if (unpinned.length > 0) {
      await ctx.events.record(
        policyRef(policy),
        'Warning',
        'ReplacementNotPinned',
        `${unpinned.length} pod(s) run on non-conforming nodes and are NOT evicted: ${unpinned[0]?.reason.message}`,
      );
    }
    if (policy.spec.mode === 'Audit') {
      for (const n of plan.nonConforming) {
        await ctx.events.record(
          policyRef(policy),
          'Warning',
          'NonConformingPod',
          `Pod ${n.pod.name} runs on node ${n.node}, which does not conform: ${n.verdict.reasons.map((r) => r.message).join(' ')} (Audit: not moved)`,
        );
      }
    }
    await this.writeStatus(policy, plan, derived.now, plan.failover.evictNow.length > 0 ? window : null);
    this.updateMetrics(policy, plan);
    const retry = refusedByBudget ? derived.now + BUDGET_RETRY_MS : null;
    const requeueAt = [plan.requeueAt, retry].filter((t): t is number => t !== null);
    return requeueAt.length ? { requeueAt: Math.min(...requeueAt) } : undefined;
  }

  /** Removes the gate (and only the gate) of pods that may now be scheduled; `test` guards a concurrent change. */
  private async releaseGates(
    plan: PolicyPlan,
    pods: ReturnType<ControllerContext['state']>['pods'],
  ): Promise<void> {
    for (const ref of plan.ungate) {
      const pod = pods.find((p) => p.metadata.namespace === ref.namespace && p.metadata.name === ref.name);
      const gates = pod?.spec?.schedulingGates ?? [];
      try {
        await this.ctx.writer.jsonPatchPod(ref.namespace, ref.name, [
          { op: 'test', path: '/spec/schedulingGates', value: gates },
          {
            op: 'replace',
            path: '/spec/schedulingGates',
            value: gates.filter((g) => g.name !== SCHEDULING_GATE),
          },
        ]);
        await this.ctx.events.record(
          podRef(ref, pod?.metadata.uid),
          'Normal',
          'ConformingCapacity',
          `Scheduling gate ${SCHEDULING_GATE} removed: ${plan.capacity.conformingTargets} conforming nodes can take the pod.`,
        );
      } catch (error) {
        const code = httpStatusOf(error);
        // Gone, or changed under us: the pod's next event brings it back here.
        if (code !== 404 && code !== 409 && code !== 422) throw error;
      }
    }
  }

  private async evict(
    policy: SovereigntyPolicy,
    plan: PolicyPlan,
  ): Promise<{ made: number; refusedByBudget: boolean }> {
    let made = 0;
    let refusedByBudget = false;
    for (const eviction of plan.failover.evictNow) {
      const { pod } = eviction;
      try {
        await this.ctx.writer.evictPod(pod.namespace, pod.name);
      } catch (error) {
        const code = httpStatusOf(error);
        if (code === 404) continue;
        if (code === 429) {
          refusedByBudget = true;
          continue;
        }
        throw error;
      }
      made++;
      const why = `${eviction.reason.message} ${eviction.nodeReasons.map((r) => r.message).join(' ')}`.trim();
      this.ctx.metrics.evictions.inc({
        namespace: pod.namespace,
        policy: policy.metadata.name,
        reason: eviction.nodeReasons[0]?.code ?? eviction.reason.code,
      });
      this.ctx.log.info({ policy: objectKey(policy.metadata), pod: pod.name, node: eviction.node }, why);
      await this.ctx.events.record(podRef(pod), 'Warning', 'EvictedNonConforming', why);
      await this.ctx.events.record(
        policyRef(policy),
        'Warning',
        'EvictedNonConforming',
        `Pod ${pod.name}: ${why}`,
      );
    }
    return { made, refusedByBudget };
  }

  private async writeStatus(
    policy: SovereigntyPolicy,
    plan: PolicyPlan,
    now: number,
    /** The window after this reconcile's evictions; null when it evicted nothing (the stored one stays). */
    window: EvictionRateLimit | null,
  ): Promise<void> {
    const key = objectKey(policy.metadata);
    const previous = (this.ctx.rawPolicy(key)?.status ?? {}) as {
      conditions?: Condition[];
      evictionWindow?: unknown;
    };
    const conditions = mergeConditions(previous.conditions, plan.conditions, formatInstant(now));
    const status = {
      observedGeneration: policy.metadata.generation,
      conditions,
      ...plan.counts,
      capacity: plan.capacity.byService.map((s) => ({
        provider: s.provider,
        cloudService: s.cloudService,
        conformingNodes: s.conformingTargets,
      })),
      nextTransitionAt: plan.nextTransitionAt === null ? null : formatInstant(plan.nextTransitionAt),
      reasons: plan.reasons,
      // Rewritten only when this reconcile evicted: a window that merely aged must not make every
      // reconcile write (each write is an event that wakes the policy again).
      evictionWindow: window ? recordEvictionWindow(window) : previous.evictionWindow,
    };
    if (sameStatus(previous, status)) return;
    for (const c of conditions) {
      const before = previous.conditions?.find((p) => p.type === c.type);
      if (before?.status === c.status) continue;
      const bad = c.status === 'False';
      await this.ctx.events.record(policyRef(policy), bad ? 'Warning' : 'Normal', c.reason, c.message);
    }
    await this.ctx.writer.mergePatchStatus(
      'sovereigntypolicies',
      policy.metadata.namespace,
      policy.metadata.name,
      status,
    );
  }

  private async reportInvalid(key: string, namespace: string, name: string): Promise<ReconcileResult> {
    const ctx = this.ctx;
    const invalid = ctx
      .derived()
      .invalid.find((i) => i.kind === 'SovereigntyPolicy' && i.namespace === namespace && i.name === name);
    for (const gauge of [ctx.metrics.matchedPods, ctx.metrics.gatedPods, ctx.metrics.capacityAvailable]) {
      gauge.remove({ namespace, policy: name });
    }
    if (!invalid) return;
    const previous = (ctx.rawPolicy(key)?.status ?? {}) as { conditions?: Condition[] };
    const conditions = mergeConditions(
      previous.conditions,
      [
        {
          type: ConditionType.Ready,
          status: 'False',
          reason: ConditionReason.InvalidSpec,
          message: invalid.errors.join('; '),
        },
      ],
      formatInstant(ctx.now()),
    );
    if (sameStatus(previous, { conditions })) return;
    await ctx.writer.mergePatchStatus('sovereigntypolicies', namespace, name, { conditions });
  }

  private updateMetrics(policy: SovereigntyPolicy, plan: PolicyPlan): void {
    const labels = { namespace: policy.metadata.namespace ?? '', policy: policy.metadata.name };
    const m = this.ctx.metrics;
    m.matchedPods.set(labels, plan.counts.matchedPods);
    m.nonConformingPods.set({ ...labels, mode: policy.spec.mode }, plan.counts.nonConformingPods);
    m.gatedPods.set(labels, plan.counts.gatedPods);
    m.capacityAvailable.set(labels, plan.capacity.conformingTargets > 0 ? 1 : 0);
  }
}
