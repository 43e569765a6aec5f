import { verdictRecord } from '../../cluster/audit-records.ts';
import {
  type MemberClusterObject,
  type MemberHealth,
  type MemberState,
  planInvalidMemberCluster,
  planMemberCluster,
} from '../../cluster/member-clusters.ts';
import { sameStatus } from '../status.ts';
import { allOf, type ControllerContext, NOT_LEADER, type ReconcileResult, type Wake } from './context.ts';

/**
 * What wakes a member cluster: its own record, and every fact its verdicts come from. Policies and
 * SovereignWorkloads decide which requirements (and so which verdict labels) are in use. Probe results
 * wake it through the prober's own callback, not a cache.
 */
export const memberControllerWakes: readonly Wake[] = [
  { on: 'memberClusters', enqueue: (key) => [key] },
  { on: 'workloads', enqueue: allOf('memberClusters') },
  { on: 'policies', enqueue: allOf('memberClusters') },
  { on: 'clusterPolicies', enqueue: allOf('memberClusters') },
  { on: 'services', enqueue: allOf('memberClusters') },
  { on: 'areas', enqueue: allOf('memberClusters') },
];

/** What the member controller needs besides the common context: the raw record and the prober's view. */
export interface MemberAccess {
  member: (name: string) => MemberClusterObject | undefined;
  health: (name: string) => MemberHealth;
}

const memberRef = (name: string, uid?: string) => ({
  apiVersion: 'sovereign-placement.io/v1alpha1',
  kind: 'MemberCluster',
  name,
  uid,
});

/** Keeps each MemberCluster's status and verdict labels equal to what the domain decides. */
export class MemberController {
  private readonly ctx: ControllerContext;
  private readonly access: MemberAccess;
  /** The state of each member at its last reconcile, for the gauge. */
  private readonly states = new Map<string, MemberState>();

  constructor(ctx: ControllerContext, access: MemberAccess) {
    this.ctx = ctx;
    this.access = access;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const { ctx } = this;
    if (!ctx.isLeader()) return NOT_LEADER;
    const current = this.access.member(name);
    if (!current) {
      this.states.delete(name);
      this.updateGauge();
      return;
    }
    const derived = ctx.derived();
    const valid = derived.memberClusters.find((m) => m.metadata.name === name);
    const invalid = derived.invalid.find((i) => i.kind === 'MemberCluster' && i.name === name);
    const plan = valid
      ? planMemberCluster(valid, current, this.access.health(name), derived)
      : {
          changes: [],
          ...planInvalidMemberCluster(current, invalid?.errors ?? ['not validated yet'], derived.now),
        };
    const uid = (current.metadata as { uid?: string }).uid;

    if (plan.patch) {
      await ctx.writer.mergePatchCustom('memberclusters', undefined, name, plan.patch);
      for (const change of plan.changes) {
        ctx.log.info({ member: name, label: change.key, granted: change.granted }, change.sentence);
        if (change.facts)
          ctx.audit?.(
            verdictRecord({
              granted: change.granted,
              uid,
              sentence: change.sentence,
              at: derived.now,
              ...change.facts,
            }),
          );
        ctx.events.record(
          memberRef(name, uid),
          change.granted ? 'Normal' : 'Warning',
          change.granted ? 'VerdictGranted' : 'VerdictRevoked',
          change.sentence,
        );
      }
    }
    const previous = (current.status ?? {}) as Record<string, unknown>;
    if (!sameStatus(previous, plan.status)) {
      // A merge patch keeps fields it does not name: those the plan no longer sets are cleared with null.
      const cleared = { lastHeartbeatTime: null, kubernetesVersion: null, nextTransitionAt: null };
      await ctx.writer.mergePatchStatus('memberclusters', undefined, name, { ...cleared, ...plan.status });
    }
    this.states.set(name, plan.state);
    this.updateGauge();
    return plan.nextTransitionAt === null ? undefined : { requeueAt: plan.nextTransitionAt };
  }

  private updateGauge(): void {
    const gauge = this.ctx.metrics.memberClusters;
    const counts: Record<MemberState, number> = {
      ready: 0,
      unreachable_within_grace: 0,
      not_ready: 0,
      invalid: 0,
    };
    for (const state of this.states.values()) counts[state]++;
    for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count);
  }
}
