import type { KubeConfig } from '@kubernetes/client-node';
import type { SovereignWorkload } from '../../api/index.ts';
import { ConditionReason, ConditionType, mergeConditions } from '../../cluster/conditions.ts';
import {
  type CopyObservation,
  invalidWorkloadStatus,
  type MemberLookup,
  manifestProblems,
  planWorkload,
  WORKLOAD_FINALIZER,
  type WorkloadObject,
  type WorkloadPlan,
} from '../../cluster/workload-plan.ts';
import { formatInstant } from '../../domain/time.ts';
import { httpStatusOf } from '../../kube/request.ts';
import { type Manifest, MemberClient, type WorkloadIdentity } from '../hub/member-client.ts';
import { sameStatus } from '../status.ts';
import { allOf, type ControllerContext, NOT_LEADER, type ReconcileResult, type Wake } from './context.ts';
import { auditWorkloadDecision } from './workload-audit.ts';

/**
 * What wakes a SovereignWorkload: its own record, every member record (a new member, a cordon, a new
 * verdict), the facts behind verdicts, and the member Secrets (new credentials). Probe results wake every
 * workload through the prober's callback (see Operator), and each round asks to be woken again at the
 * next instant a verdict can change and, while copies are not all Available, shortly after.
 */
export const workloadControllerWakes: readonly Wake[] = [
  { on: 'workloads', enqueue: (key) => [key] },
  { on: 'memberClusters', enqueue: allOf('workloads') },
  { on: 'services', enqueue: allOf('workloads') },
  { on: 'areas', enqueue: allOf('workloads') },
  { on: 'secrets', enqueue: allOf('workloads') },
];

/** While copies are being applied, becoming Available or waiting for removal: look again this soon. */
const PROGRESS_POLL_MS = 2_000;
/** When everything is in place: look again this often (drift, a copy deleted on the member by hand). */
const STEADY_POLL_MS = 30_000;
/** Manifests are applied again at least this often, even when nothing changed on the hub. */
const REAPPLY_MS = 5 * 60_000;

export interface WorkloadAccess extends MemberLookup {
  workload: (key: string) => WorkloadObject | undefined;
  /** A member's credentials, from its kubeconfig Secret; throws with why when unusable. */
  credentials: (member: string) => { kubeConfig: KubeConfig; version: string };
}

const workloadRef = (raw: WorkloadObject) => ({
  apiVersion: 'sovereign-placement.io/v1alpha1',
  kind: 'SovereignWorkload',
  name: raw.metadata.name,
  namespace: raw.metadata.namespace,
  uid: raw.metadata.uid,
});

const errorText = (error: unknown): string => ((error as Error)?.message ?? String(error)).slice(0, 512);

/**
 * Places each SovereignWorkload on conforming members, applies its manifests there, follows their
 * availability, and fails it over: the decision (placeWorkload, planClusterFailover) is written to the
 * workload's status before any copy is made or removed, so a restart resumes from it.
 */
export class WorkloadController {
  private readonly ctx: ControllerContext;
  private readonly access: WorkloadAccess;
  private readonly clients = new Map<string, { version: string; client: MemberClient }>();
  /** workload key → member → generation and instant of the last successful apply. */
  private readonly applied = new Map<string, Map<string, { generation: number; at: number }>>();
  /** workload key → member → the member's reachable-since when it was last swept. */
  private readonly swept = new Map<string, Map<string, number | null>>();

  constructor(ctx: ControllerContext, access: WorkloadAccess) {
    this.ctx = ctx;
    this.access = access;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    try {
      return await this.reconcileWorkload(key);
    } catch (error) {
      // The workload changed since the cache was read (a status write carries its resourceVersion):
      // plan again from the newer object, without the error backoff.
      if (httpStatusOf(error) === 409) {
        this.ctx.log.debug({ workload: key }, 'the workload changed meanwhile; planning again');
        return { requeueAfterMs: 200 };
      }
      throw error;
    }
  }

  private async reconcileWorkload(key: string): Promise<ReconcileResult> {
    const { ctx } = this;
    if (!ctx.isLeader()) return NOT_LEADER;
    const raw = this.access.workload(key);
    if (!raw) {
      this.applied.delete(key);
      this.swept.delete(key);
      return;
    }
    const derived = ctx.derived();
    const [namespace = '', name = ''] = key.split('/');
    if (raw.metadata.deletionTimestamp)
      return this.finalize(
        raw,
        derived.workloads.find((w) => same(w, raw)),
      );
    let current = raw;
    if (!(raw.metadata.finalizers ?? []).includes(WORKLOAD_FINALIZER)) {
      // With a resourceVersion the merge patch is refused if the list changed meanwhile (then retried).
      const patched = (await ctx.writer.mergePatchCustom('sovereignworkloads', namespace, name, {
        metadata: {
          finalizers: [...(raw.metadata.finalizers ?? []), WORKLOAD_FINALIZER],
          resourceVersion: raw.metadata.resourceVersion,
        },
      })) as { metadata?: { resourceVersion?: string } } | undefined;
      current = {
        ...raw,
        metadata: { ...raw.metadata, resourceVersion: patched?.metadata?.resourceVersion },
      };
    }
    const workload = derived.workloads.find((w) => same(w, raw));
    const invalid = derived.invalid.find(
      (i) => i.kind === 'SovereignWorkload' && i.namespace === namespace && i.name === name,
    );
    const problems = workload ? manifestProblems(workload) : (invalid?.errors ?? ['not validated yet']);
    if (!workload || problems.length > 0) {
      const status = invalidWorkloadStatus(raw, problems, derived.now);
      if (!sameStatus(pick(raw.status, status), status))
        await ctx.writer.mergePatchStatus('sovereignworkloads', namespace, name, status);
      return;
    }

    const identity: WorkloadIdentity = { namespace, name, uid: raw.metadata.uid ?? '' };
    // 1. The decision, written before any copy is made or removed.
    const decided = planWorkload(workload, raw, derived, this.access);
    const version = await this.writeStatus(current, decided);
    this.announce(raw, decided);
    const afterDecision: WorkloadObject = {
      ...raw,
      metadata: { ...raw.metadata, resourceVersion: version },
      status: { ...raw.status, ...decided.status },
    };

    // 2. Copies on the chosen members: applied when new or changed, then read back.
    const observed = new Map<string, CopyObservation>();
    await Promise.all(
      decided.failover.active.map(async (record) => {
        const result = await this.ensureCopy(key, workload, identity, record.cluster);
        if (result) observed.set(record.cluster, result);
      }),
    );

    // 3. With what was observed: which leaving copies can go now; remove them, found by label.
    const plan = planWorkload(workload, afterDecision, derived, this.access, observed);
    const removed = new Set<string>();
    await Promise.all(
      plan.failover.remove.map(async (member) => {
        try {
          const left = await this.client(member).removeCopies(kindsOf(workload), identity);
          if (left === 0 || (await this.client(member).removeCopies(kindsOf(workload), identity)) === 0) {
            removed.add(member);
            this.applied.get(key)?.delete(member);
            ctx.events.record(
              workloadRef(raw),
              'Normal',
              'CopyRemoved',
              `Removed the copy from member cluster ${member}.`,
            );
          }
        } catch (error) {
          observed.set(member, { available: false, error: `removing the copy failed: ${errorText(error)}` });
        }
      }),
    );
    for (const member of plan.failover.forgotten)
      ctx.events.record(
        workloadRef(raw),
        'Warning',
        'MemberClusterDeleted',
        `MemberCluster ${member} was deleted while running this workload; the hub can no longer reach it to remove its copy.`,
      );

    // 4. Members that hold no record: swept by label when first seen by this process or back from a loss.
    await this.sweep(key, workload, identity, plan);

    const final =
      removed.size > 0 || observed.size > 0
        ? planWorkload(workload, afterDecision, derived, this.access, observed)
        : plan;
    const placements = final.status.placements.filter(
      (p) => !(p.state === 'Leaving' && removed.has(p.cluster)),
    );
    await this.writeStatus(afterDecision, { ...final, status: { ...final.status, placements } });
    this.updateMetrics(key, final);

    const settled =
      final.failover.available &&
      placements.every((p) => p.state === 'Active') &&
      [...observed.values()].every((o) => o.error === undefined);
    const poll = this.ctx.now() + (settled ? STEADY_POLL_MS : PROGRESS_POLL_MS);
    return { requeueAt: final.nextTransitionAt === null ? poll : Math.min(poll, final.nextTransitionAt) };
  }

  /** Applies the copy when needed and says whether it is Available; undefined when the member cannot be reached now. */
  private async ensureCopy(
    key: string,
    workload: SovereignWorkload,
    identity: WorkloadIdentity,
    member: string,
  ): Promise<CopyObservation | undefined> {
    if (this.access.health(member).state !== 'Reachable') return undefined;
    const manifests = workload.spec.manifests as Manifest[];
    const generation = workload.metadata.generation ?? 0;
    const byMember = this.applied.get(key) ?? new Map<string, { generation: number; at: number }>();
    this.applied.set(key, byMember);
    const last = byMember.get(member);
    const now = this.ctx.now();
    try {
      const client = this.client(member);
      const applyAll = async () => {
        await client.ensureNamespace(identity.namespace);
        for (const manifest of manifests) {
          try {
            await client.apply(manifest, identity);
          } catch (error) {
            throw new Error(`${manifest.kind} ${manifest.metadata.name}: ${errorText(error)}`);
          }
        }
        // Objects of the workload on the member that its manifests no longer name.
        await client.removeCopies(
          kindsOf(workload),
          identity,
          new Set(manifests.map((m) => `${m.kind}/${m.metadata.name}`)),
        );
        byMember.set(member, { generation, at: now });
        this.ctx.log.info({ workload: key, member }, 'applied the workload to the member');
      };
      const stale = !last || last.generation !== generation || now - last.at > REAPPLY_MS;
      if (stale) await applyAll();
      const read = async () => {
        const states = [];
        for (const manifest of manifests) states.push(await client.copyState(manifest, identity));
        return states;
      };
      let states = await read();
      // A copy deleted on the member (by hand, or by an earlier removal) is applied again at once.
      if (!stale && states.includes('Missing')) {
        await applyAll();
        states = await read();
      }
      return { available: states.every((state) => state === 'Available') };
    } catch (error) {
      byMember.delete(member);
      return { available: false, error: errorText(error) };
    }
  }

  private async sweep(
    key: string,
    workload: SovereignWorkload,
    identity: WorkloadIdentity,
    plan: WorkloadPlan,
  ): Promise<void> {
    const held = new Set(plan.status.placements.map((p) => p.cluster));
    const done = this.swept.get(key) ?? new Map<string, number | null>();
    this.swept.set(key, done);
    const members = this.ctx.derived().memberClusters.map((m) => m.metadata.name);
    await Promise.all(
      members.map(async (member) => {
        const health = this.access.health(member);
        if (held.has(member) || health.state !== 'Reachable') return;
        if (done.has(member) && done.get(member) === health.since) return;
        try {
          const found = await this.client(member).removeCopies(kindsOf(workload), identity);
          done.set(member, health.since);
          if (found > 0)
            this.ctx.events.record(
              workloadRef(raw(workload)),
              'Normal',
              'CopyRemoved',
              `Removed ${found} object${found === 1 ? '' : 's'} of this workload from member cluster ${member}, which no longer hosts it.`,
            );
        } catch (error) {
          this.ctx.log.warn(
            { err: error, workload: key, member },
            'sweeping the member failed; retried next round',
          );
        }
      }),
    );
  }

  /** The workload is being deleted: its copies go from every reachable member, then the finalizer. */
  private async finalize(
    raw: WorkloadObject,
    workload: SovereignWorkload | undefined,
  ): Promise<ReconcileResult> {
    const { ctx } = this;
    const [namespace, name] = [raw.metadata.namespace ?? '', raw.metadata.name];
    if (!(raw.metadata.finalizers ?? []).includes(WORKLOAD_FINALIZER)) return;
    const identity: WorkloadIdentity = { namespace, name, uid: raw.metadata.uid ?? '' };
    const kinds = workload ? kindsOf(workload) : [];
    const holding = new Set(
      (Array.isArray(raw.status?.placements) ? (raw.status.placements as { cluster?: unknown }[]) : [])
        .map((p) => p.cluster)
        .filter((c): c is string => typeof c === 'string'),
    );
    const members = new Set(ctx.derived().memberClusters.map((m) => m.metadata.name));
    const pending: string[] = [];
    await Promise.all(
      [...members].map(async (member) => {
        if (this.access.health(member).state !== 'Reachable' || kinds.length === 0) {
          if (holding.has(member)) pending.push(member);
          return;
        }
        try {
          const left = await this.client(member).removeCopies(kinds, identity);
          if (left > 0 && (await this.client(member).removeCopies(kinds, identity)) > 0) pending.push(member);
        } catch {
          if (holding.has(member)) pending.push(member);
        }
      }),
    );
    if (pending.length > 0) {
      pending.sort();
      const status = {
        conditions: mergeConditions(
          Array.isArray(raw.status?.conditions) ? (raw.status.conditions as never) : undefined,
          [
            {
              type: ConditionType.Ready,
              status: 'False',
              reason: ConditionReason.Deleting,
              message: `Waiting to remove the copies on ${pending.join(', ')}, which the hub cannot reach now. Deleting their MemberCluster gives up on them.`,
            },
          ],
          formatInstant(ctx.now()),
        ),
      };
      if (!sameStatus(pick(raw.status, status), status))
        await ctx.writer.mergePatchStatus('sovereignworkloads', namespace, name, status);
      return { requeueAfterMs: PROGRESS_POLL_MS };
    }
    await ctx.writer.mergePatchCustom('sovereignworkloads', namespace, name, {
      metadata: {
        finalizers: (raw.metadata.finalizers ?? []).filter((f) => f !== WORKLOAD_FINALIZER),
        resourceVersion: raw.metadata.resourceVersion,
      },
    });
    this.applied.delete(`${namespace}/${name}`);
    this.swept.delete(`${namespace}/${name}`);
    this.updateMetrics(`${namespace}/${name}`, undefined);
    return;
  }

  private client(member: string): MemberClient {
    const { kubeConfig, version } = this.access.credentials(member);
    const known = this.clients.get(member);
    if (known && known.version === version) return known.client;
    const client = new MemberClient(member, kubeConfig);
    this.clients.set(member, { version, client });
    return client;
  }

  /**
   * Writes the status when it changed, only over the version it was computed from: the placements are
   * the hub's record of every copy, and one computed from a stale cache must not drop a newer record.
   * Returns the object's resourceVersion after the write.
   */
  private async writeStatus(raw: WorkloadObject, plan: WorkloadPlan): Promise<string | undefined> {
    if (sameStatus(raw.status ?? {}, plan.status)) return raw.metadata.resourceVersion;
    const cleared = { nextTransitionAt: null };
    const written = await this.ctx.writer.mergePatchStatus(
      'sovereignworkloads',
      raw.metadata.namespace,
      raw.metadata.name,
      { ...cleared, ...plan.status },
      raw.metadata.resourceVersion,
    );
    return written?.metadata?.resourceVersion;
  }

  /** Events and the failover counter for what the decision changed. */
  private announce(raw: WorkloadObject, plan: WorkloadPlan): void {
    const { ctx } = this;
    auditWorkloadDecision(ctx, raw, plan);
    for (const leaving of plan.failover.leaving) {
      if (!plan.failover.failovers.some((f) => f.cluster === leaving.record.cluster)) continue;
      ctx.metrics.clusterFailovers.inc({ reason: leaving.cause });
      ctx.events.record(workloadRef(raw), 'Warning', 'FailingOver', leaving.reason.message);
    }
    for (const c of plan.failover.placement.chosen.filter((c) => !c.kept))
      ctx.events.record(
        workloadRef(raw),
        'Normal',
        'Placed',
        `Placed on member cluster ${c.cluster} (CloudService ${c.cloudService}, provider ${c.provider}).`,
      );
    const before = (
      Array.isArray(raw.status?.conditions)
        ? (raw.status.conditions as { type: string; status: string }[])
        : []
    ).find((c) => c.type === ConditionType.CapacityAvailable);
    const now = plan.status.conditions.find((c) => c.type === ConditionType.CapacityAvailable);
    if (now?.status === 'False' && before?.status !== 'False')
      ctx.events.record(workloadRef(raw), 'Warning', now.reason, now.message);
  }

  private readonly placementCounts = new Map<
    string,
    { active: number; leaving: number; capacity: boolean }
  >();

  private updateMetrics(key: string, plan: WorkloadPlan | undefined): void {
    if (plan)
      this.placementCounts.set(key, {
        active: plan.failover.active.length,
        leaving: plan.failover.leaving.length,
        capacity: plan.failover.placement.complete,
      });
    else this.placementCounts.delete(key);
    let active = 0;
    let leaving = 0;
    let withoutCapacity = 0;
    for (const c of this.placementCounts.values()) {
      active += c.active;
      leaving += c.leaving;
      if (!c.capacity) withoutCapacity++;
    }
    this.ctx.metrics.workloadPlacements.set({ state: 'active' }, active);
    this.ctx.metrics.workloadPlacements.set({ state: 'leaving' }, leaving);
    this.ctx.metrics.workloadsWithoutCapacity.set(withoutCapacity);
  }
}

const same = (w: SovereignWorkload, raw: WorkloadObject): boolean =>
  w.metadata.name === raw.metadata.name && w.metadata.namespace === raw.metadata.namespace;

const kindsOf = (workload: SovereignWorkload) =>
  workload.spec.manifests.map((m) => ({ apiVersion: m.apiVersion, kind: m.kind }));

const raw = (workload: SovereignWorkload): WorkloadObject => workload as unknown as WorkloadObject;

/** The stored status restricted to the keys the computed one sets, so that other fields do not force a write. */
function pick(stored: unknown, computed: object): Record<string, unknown> {
  const s = (stored ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(computed).map((k) => [k, s[k]]));
}
