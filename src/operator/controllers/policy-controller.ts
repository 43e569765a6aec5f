import { API_VERSION } from '../../api/group.ts';
import type { AnyPolicy } from '../../api/index.ts';
import { SCHEDULING_GATE } from '../../cluster/admission/pod-mutation.ts';
import { capacityRecord, podRecord } from '../../cluster/audit-records.ts';
import { type Condition, ConditionReason, ConditionType, mergeConditions } from '../../cluster/conditions.ts';
import {
  currentEvictionWindow,
  readEvictionWindow,
  recordEvictionWindow,
} from '../../cluster/eviction-window.ts';
import { leadTimeOf } from '../../cluster/facts.ts';
import type { KarmadaPolicyView } from '../../cluster/karmada-placement.ts';
import { assessNodes, capacityOf } from '../../cluster/nodes.ts';
import { objectKey } from '../../cluster/objects.ts';
import { type PolicyPlan, planPolicy } from '../../cluster/policy-plan.ts';
import { type PolicyReportObject, planPolicyReports } from '../../cluster/policy-reports.ts';
import { type EvictionRateLimit, type PodRef, rateLimitAfter } from '../../domain/failover.ts';
import { formatInstant } from '../../domain/time.ts';
import { httpStatusOf } from '../../kube/request.ts';
import { forEachConcurrently } from '../runtime/concurrency.ts';
import { sameStatus } from '../status.ts';
import {
  allOf,
  type ControllerContext,
  inNamespace,
  NOT_LEADER,
  type ReconcileResult,
  type Wake,
} from './context.ts';

/** Try again soon when a disruption budget refused an eviction (429), or the pod changed under it (409). */
const BUDGET_RETRY_MS = 5_000;
/**
 * Evictions and gate removals sent at once. The plan already bounds how many evictions there are (the
 * policy's rate limit, and the API server refuses those a PodDisruptionBudget forbids); this bounds the
 * requests in flight.
 */
const WRITES_IN_FLIGHT = 32;
/** While evictions run, how often the replacement pods that may be released from the gate are looked for. */
const GATE_RECHECK_MS = 200;

const podRef = (p: PodRef, uid?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  name: p.name,
  namespace: p.namespace,
  uid,
});
/** A policy as the object of its Events. */
export const policyRef = (p: AnyPolicy) => ({
  apiVersion: API_VERSION,
  kind: p.kind,
  name: p.metadata.name,
  namespace: p.metadata.namespace,
  uid: p.metadata.uid,
});

const pluralOf = (kind: AnyPolicy['kind']) =>
  kind === 'ClusterSovereigntyPolicy' ? 'clustersovereigntypolicies' : 'sovereigntypolicies';

/**
 * What wakes a policy: its own edits; pods, PodDisruptionBudgets and the Namespace (enrolment) of its
 * namespace; and any change of the facts its verdicts come from (nodes, CloudServices, areas).
 */
export const policyControllerWakes: readonly Wake[] = [
  { on: 'policies', enqueue: (key) => [key] },
  { on: 'clusterPolicies', enqueue: (key) => [key] },
  {
    on: 'pods',
    enqueue: (_key, pod, caches) => [
      ...inNamespace(caches, 'policies', pod.metadata?.namespace),
      ...caches('clusterPolicies'),
    ],
  },
  {
    on: 'budgets',
    enqueue: (_key, pdb, caches) => [
      ...inNamespace(caches, 'policies', pdb.metadata?.namespace),
      ...caches('clusterPolicies'),
    ],
  },
  // A namespace's labels decide its enrolment, and which cluster policies select it.
  {
    on: 'namespaces',
    enqueue: (key, _ns, caches) => [...inNamespace(caches, 'policies', key), ...caches('clusterPolicies')],
  },
  { on: 'nodes', enqueue: allOf('policies', 'clusterPolicies') },
  { on: 'services', enqueue: allOf('policies', 'clusterPolicies') },
  { on: 'areas', enqueue: allOf('policies', 'clusterPolicies') },
  // Data residency: a claim of the namespace, any volume or StorageClass can change a pod's volume verdict.
  {
    on: 'claims',
    enqueue: (_key, claim, caches) => [
      ...inNamespace(caches, 'policies', claim.metadata?.namespace),
      ...caches('clusterPolicies'),
    ],
  },
  { on: 'volumes', enqueue: allOf('policies', 'clusterPolicies') },
  { on: 'storageClasses', enqueue: allOf('policies', 'clusterPolicies') },
];

/** Templates listed in a policy's status (the count says how many there are). */
const MAX_KARMADA_PLACEMENTS = 64;

/** How long this process remembers a pod it evicted (a terminating pod is gone well before). */
const EVICTED_MEMORY_MS = 10 * 60_000;

/**
 * One AnyPolicy: pods it selects are let through the scheduling gate once conforming capacity
 * exists, moved (Eviction API) when their node stops conforming, and the status says what holds and why.
 * The decisions are planPolicy's; this only carries them out.
 */
export class PolicyController {
  private readonly ctx: ControllerContext;
  /** Evictions per policy in the current window, ahead of the status until the cache sees our own write. */
  private readonly rateLimits = new Map<string, EvictionRateLimit>();

  private readonly policyReports: boolean;
  /** What each PolicyReport (namespace/name) was last applied with, without timestamps. */
  private readonly appliedReports = new Map<string, string>();
  /** Per policy, the pods (uid) this process saw bound to a node, with the node: for PodPlaced and PodGone. */
  private readonly placed = new Map<string, Map<string, { pod: PodRefWithUid; node: string }>>();

  /**
   * Pods (by uid) this process evicted, with when. Under load (a busy API server, watches broken by an
   * etcd restart) the fault suite saw one process evict, and report, the same pod twice: a reconcile ran
   * before the cache had seen the first eviction, and the second Eviction was accepted too. The uid and
   * resourceVersion preconditions cover other replicas; this covers this process's own repeats.
   */
  private readonly evictedUids = new Map<string, number>();

  /** Karmada mode: the policy's view of the Karmada clusters and of the templates it selects. */
  private readonly karmada: ((policy: AnyPolicy) => KarmadaPolicyView) | undefined;

  constructor(
    ctx: ControllerContext,
    options: { policyReports?: boolean; karmada?: (policy: AnyPolicy) => KarmadaPolicyView } = {},
  ) {
    this.ctx = ctx;
    this.policyReports = options.policyReports === true;
    this.karmada = options.karmada;
  }

  private rememberEviction(uid: string, at: number): void {
    this.evictedUids.set(uid, at);
    for (const [known, when] of this.evictedUids)
      if (at - when >= EVICTED_MEMORY_MS) this.evictedUids.delete(known);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const ctx = this.ctx;
    if (!ctx.isLeader()) return NOT_LEADER;
    const derived = ctx.derived();
    // Keys are namespace/name for SovereigntyPolicies and name alone for ClusterSovereigntyPolicies.
    const policy = derived.policies.find((p) => objectKey(p.metadata) === key);
    if (!policy) return this.reportInvalid(key);
    const state = ctx.state();
    const capacityMemo = new Map<AnyPolicy, boolean>();
    const hasCapacity = (p: AnyPolicy) => {
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
    const karmada = this.karmada?.(policy);
    const plan = planPolicy({ policy, state, derived, rateLimit, hasCapacity, karmada });
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

    this.auditPlacements(policy, plan, derived.now);
    await this.releaseGates(policy, plan, state.pods);
    for (const pod of plan.stillGated) {
      const volumes = plan.heldByVolumes.get(`${pod.namespace}/${pod.name}`);
      ctx.events.record(
        podRef(pod),
        'Warning',
        volumes ? 'VolumeNotConforming' : ConditionReason.NoConformingCapacity,
        `Held by the scheduling gate ${SCHEDULING_GATE}: ${volumes ? volumes.map((r) => r.message).join(' ') : (plan.capacity.reasons[0]?.message ?? 'another policy selecting this pod has no conforming capacity.')}`,
      );
    }
    // Data cannot be evicted like a pod: each non-conforming volume is reported on its claim, every reconcile
    // (the recorder counts repeats into one Event), until the team moves the data.
    for (const v of plan.nonConformingVolumes) {
      ctx.events.record(
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: v.claim.name, namespace: v.claim.namespace },
        'Warning',
        'VolumeNotConforming',
        `Policy ${objectKey(policy.metadata)}: ${v.problem.message}`,
      );
    }
    if (plan.failover.evictNow.length > 0) {
      // Recorded before evicting: a crash in between costs evictions of this minute, never adds some.
      const planned = rateLimitAfter(rateLimit, plan.failover.evictNow.length, derived.now);
      this.rateLimits.set(key, planned);
      await ctx.writer.mergePatchStatus(
        pluralOf(policy.kind),
        policy.metadata.namespace,
        policy.metadata.name,
        {
          evictionWindow: recordEvictionWindow(planned),
        },
      );
    }
    // While evicting, replacements created meanwhile are released from the gate as soon as the plan
    // allows, rather than after the last eviction.
    const gatesNow = () => {
      const current = ctx.state();
      return {
        plan: planPolicy({ policy, state: current, derived, rateLimit, hasCapacity, karmada }),
        pods: current.pods,
      };
    };
    const { made, retrySoon } = await this.evict(policy, plan, gatesNow);
    const window = rateLimitAfter(rateLimit, made, derived.now);
    this.rateLimits.set(key, window);
    const unpinned = plan.failover.blocked.filter((b) => b.reason.code === 'ReplacementNotPinned');
    if (unpinned.length > 0) {
      ctx.events.record(
        policyRef(policy),
        'Warning',
        'ReplacementNotPinned',
        `${unpinned.length} pod(s) run on non-conforming nodes and are NOT evicted: ${unpinned[0]?.reason.message}`,
      );
    }
    if (policy.spec.mode === 'Audit') {
      for (const n of plan.nonConforming) {
        ctx.events.record(
          policyRef(policy),
          'Warning',
          'NonConformingPod',
          `Pod ${n.pod.name} runs on node ${n.node}, which does not conform: ${n.verdict.reasons.map((r) => r.message).join(' ')} (Audit: not moved)`,
        );
      }
    }
    await this.writeStatus(policy, plan, derived.now, plan.failover.evictNow.length > 0 ? window : null);
    this.updateMetrics(policy, plan);
    if (this.policyReports) await this.writeReports(planPolicyReports({ policy, plan, now: derived.now }));
    const retry = retrySoon ? derived.now + BUDGET_RETRY_MS : null;
    const requeueAt = [plan.requeueAt, retry].filter((t): t is number => t !== null);
    return requeueAt.length ? { requeueAt: Math.min(...requeueAt) } : undefined;
  }

  /**
   * Removes the gate (and only the gate) of pods that may now be scheduled, several at once; `test`
   * guards a concurrent change. Returns the keys of the pods released.
   */
  private async releaseGates(
    policy: AnyPolicy,
    plan: PolicyPlan,
    pods: ReturnType<ControllerContext['state']>['pods'],
    skip: ReadonlySet<string> = new Set(),
  ): Promise<string[]> {
    const refs = plan.ungate.filter((ref) => !skip.has(`${ref.namespace}/${ref.name}`));
    if (refs.length === 0) return [];
    const byKey = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    const released: string[] = [];
    await forEachConcurrently(refs, WRITES_IN_FLIGHT, async (ref) => {
      const key = `${ref.namespace}/${ref.name}`;
      const pod = byKey.get(key);
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
      } catch (error) {
        const code = httpStatusOf(error);
        // Gone, or changed under us: the pod's next event brings it back here.
        if (code !== 404 && code !== 409 && code !== 422) throw error;
        return;
      }
      released.push(key);
      const message = `Scheduling gate ${SCHEDULING_GATE} removed: ${plan.capacity.conformingTargets} conforming nodes can take the pod.`;
      this.ctx.events.record(podRef(ref, pod?.metadata.uid), 'Normal', 'ConformingCapacity', message);
      this.ctx.audit?.(
        podRecord({
          what: 'GateRemoved',
          pod: { ...ref, ...(pod?.metadata.uid ? { uid: pod.metadata.uid } : {}) },
          policy,
          leadTimeMs: leadTimeOf(policy),
          message,
          at: this.ctx.now(),
        }),
      );
    });
    return released;
  }

  private async evict(
    policy: AnyPolicy,
    plan: PolicyPlan,
    /** The gates the policy would release now, with the pods they belong to (fresh from the caches). */
    gatesNow?: () => { plan: PolicyPlan; pods: ReturnType<ControllerContext['state']>['pods'] },
  ): Promise<{ made: number; retrySoon: boolean }> {
    let made = 0;
    let retrySoon = false;
    const evictions = plan.failover.evictNow;
    if (evictions.length === 0) return { made, retrySoon };
    let evicting = true;
    const seen = new Map(
      this.ctx.state().pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata]),
    );
    const evicted = forEachConcurrently(evictions, WRITES_IN_FLIGHT, async (eviction) => {
      const { pod } = eviction;
      // A replica that lost the Lease while this reconcile ran stops here: the new leader decides.
      if (!this.ctx.isLeader()) return;
      const meta = seen.get(`${pod.namespace}/${pod.name}`);
      const now = this.ctx.now();
      if (meta?.uid && now - (this.evictedUids.get(meta.uid) ?? Number.NEGATIVE_INFINITY) < EVICTED_MEMORY_MS)
        return;
      try {
        await this.ctx.writer.evictPod(pod.namespace, pod.name, {
          uid: meta?.uid,
          resourceVersion: meta?.resourceVersion,
        });
      } catch (error) {
        const code = httpStatusOf(error);
        // Gone, or changed since the cache saw it (already evicted by an earlier attempt or another
        // replica, or updated): the next reconcile, from a fresher cache, decides again.
        if (code === 404) return;
        if (code === 409) {
          retrySoon = true;
          return;
        }
        if (code === 429) {
          retrySoon = true;
          return;
        }
        throw error;
      }
      made++;
      if (meta?.uid) this.rememberEviction(meta.uid, now);
      const why = `${eviction.reason.message} ${eviction.nodeReasons.map((r) => r.message).join(' ')}`.trim();
      this.ctx.metrics.evictions.inc({
        namespace: pod.namespace,
        policy: policy.metadata.name,
        reason: eviction.nodeReasons[0]?.code ?? eviction.reason.code,
      });
      this.ctx.log.info({ policy: objectKey(policy.metadata), pod: pod.name, node: eviction.node }, why);
      this.ctx.events.record(podRef(pod), 'Warning', 'EvictedNonConforming', why);
      this.ctx.events.record(policyRef(policy), 'Warning', 'EvictedNonConforming', `Pod ${pod.name}: ${why}`);
      const assessed = plan.assessed.find((a) => a.node.metadata.name === eviction.node);
      this.ctx.audit?.(
        podRecord({
          what: 'PodEvicted',
          pod: { ...pod, ...(meta?.uid ? { uid: meta.uid } : {}) },
          policy,
          leadTimeMs: leadTimeOf(policy),
          node: { name: eviction.node, target: assessed?.target, verdict: assessed?.verdict },
          reasons: [eviction.reason, ...eviction.nodeReasons],
          message: why,
          at: this.ctx.now(),
        }),
      );
    }).finally(() => {
      evicting = false;
    });
    // Replacements appear while evictions are still being sent: release their gates meanwhile.
    const released = new Set<string>();
    const releasing = (async () => {
      if (!gatesNow) return;
      while (evicting) {
        await Promise.race([evicted.catch(() => undefined), sleep(GATE_RECHECK_MS)]);
        const { plan: current, pods } = gatesNow();
        for (const key of await this.releaseGates(policy, current, pods, released)) released.add(key);
      }
    })();
    await Promise.all([evicted, releasing]);
    return { made, retrySoon };
  }

  private async writeStatus(
    policy: AnyPolicy,
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
      karmadaPlacements:
        plan.karmadaPlacements?.slice(0, MAX_KARMADA_PLACEMENTS).map((p) => ({
          template: p.template,
          clusters: p.clusters,
        })) ?? null,
      // Rewritten only when this reconcile evicted: a window that merely aged must not make every
      // reconcile write. A malformed stored one is dropped (null), never written back.
      evictionWindow: window
        ? recordEvictionWindow(window)
        : readEvictionWindow(previous)
          ? previous.evictionWindow
          : null,
    };
    if (sameStatus(previous, status)) return;
    for (const c of conditions) {
      const before = previous.conditions?.find((p) => p.type === c.type);
      if (before?.status === c.status) continue;
      // A condition that starts True is the policy's first state, not a transition: no Event says so
      // ("Every running pod (0)..." a second before the pods arrive). One that starts False is announced.
      if (before === undefined && c.status === 'True') continue;
      const bad = c.status === 'False';
      this.ctx.events.record(policyRef(policy), bad ? 'Warning' : 'Normal', c.reason, c.message);
      // Capacity lost, or back after it was lost: a decision the log keeps (not the first True).
      if (c.type === ConditionType.CapacityAvailable && (bad || before !== undefined))
        this.ctx.audit?.(
          capacityRecord({
            lost: bad,
            policy,
            leadTimeMs: leadTimeOf(policy),
            reasons: bad ? plan.capacity.reasons : [],
            message: c.message,
            at: now,
          }),
        );
    }
    await this.ctx.writer.mergePatchStatus(
      pluralOf(policy.kind),
      policy.metadata.namespace,
      policy.metadata.name,
      status,
    );
  }

  /**
   * Applies the reports whose results changed since this replica last applied them (a timestamp alone
   * is no change: every reconcile would otherwise write every report).
   */
  private async writeReports(reports: PolicyReportObject[]): Promise<void> {
    await forEachConcurrently(reports, WRITES_IN_FLIGHT, async (report) => {
      const key = `${report.metadata.namespace}/${report.metadata.name}`;
      const content = JSON.stringify({
        ...report,
        results: report.results.map(({ timestamp: _, ...r }) => r),
      });
      if (this.appliedReports.get(key) === content) return;
      try {
        await this.ctx.writer.applyPolicyReport(report);
      } catch (error) {
        // The namespace is being deleted, or the PolicyReport CRD is not installed: say so, go on.
        this.ctx.log.warn({ err: error, report: key }, 'PolicyReport not written');
        return;
      }
      this.appliedReports.set(key, content);
    });
  }

  /**
   * PodPlaced for each selected pod this process sees bound to a node for the first time, PodGone for
   * each it saw that is no longer selected there (deleted, evicted, moved out of the selection).
   */
  private auditPlacements(policy: AnyPolicy, plan: PolicyPlan, now: number): void {
    const audit = this.ctx.audit;
    if (!audit) return;
    const key = objectKey(policy.metadata);
    const before = this.placed.get(key) ?? new Map<string, { pod: PodRefWithUid; node: string }>();
    const after = new Map<string, { pod: PodRefWithUid; node: string }>();
    const byNode = new Map(plan.assessed.map((a) => [a.node.metadata.name, a]));
    const leadTimeMs = leadTimeOf(policy);
    for (const pod of plan.selected) {
      const node = pod.spec?.nodeName;
      const uid = pod.metadata.uid;
      if (!node || !uid) continue;
      const ref = { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name, uid };
      after.set(uid, { pod: ref, node });
      if (before.get(uid)?.node === node) continue;
      const assessed = byNode.get(node);
      audit(
        podRecord({
          what: 'PodPlaced',
          pod: ref,
          policy,
          leadTimeMs,
          node: { name: node, target: assessed?.target, verdict: assessed?.verdict },
          message: `Pod ${ref.name} runs on node ${node}${assessed ? (assessed.verdict.conforms ? ', which conforms.' : ', which does not conform.') : ', which the operator does not assess.'}`,
          at: now,
        }),
      );
    }
    for (const [uid, seen] of before) {
      if (after.has(uid)) continue;
      audit(
        podRecord({
          what: 'PodGone',
          pod: seen.pod,
          policy,
          leadTimeMs,
          node: { name: seen.node },
          message: `Pod ${seen.pod.name} no longer runs on node ${seen.node}.`,
          at: now,
        }),
      );
    }
    this.placed.set(key, after);
  }

  private async reportInvalid(key: string): Promise<ReconcileResult> {
    const ctx = this.ctx;
    this.placed.delete(key);
    const [namespace, name] = key.includes('/') ? (key.split('/') as [string, string]) : [undefined, key];
    const kind = namespace === undefined ? 'ClusterSovereigntyPolicy' : 'SovereigntyPolicy';
    const invalid = ctx
      .derived()
      .invalid.find((i) => i.kind === kind && i.namespace === namespace && i.name === name);
    for (const gauge of [ctx.metrics.matchedPods, ctx.metrics.gatedPods, ctx.metrics.capacityAvailable]) {
      gauge.remove({ namespace: namespace ?? '', policy: name });
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
    await ctx.writer.mergePatchStatus(pluralOf(kind), namespace, name, { conditions });
  }

  private updateMetrics(policy: AnyPolicy, plan: PolicyPlan): void {
    const labels = { namespace: policy.metadata.namespace ?? '', policy: policy.metadata.name };
    const m = this.ctx.metrics;
    m.matchedPods.set(labels, plan.counts.matchedPods);
    m.nonConformingPods.set({ ...labels, mode: policy.spec.mode }, plan.counts.nonConformingPods);
    m.gatedPods.set(labels, plan.counts.gatedPods);
    m.nonConformingVolumes.set({ ...labels, mode: policy.spec.mode }, plan.counts.nonConformingVolumes);
    m.capacityAvailable.set(labels, plan.capacity.conformingTargets > 0 ? 1 : 0);
  }
}

type PodRefWithUid = PodRef & { uid: string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
