import {
  type ClusterPolicyReportObject,
  type ObservedMember,
  planMemberClustersReport,
  planNodesReport,
} from '../../cluster/cluster-policy-reports.ts';
import type { MemberClusterObject, MemberHealth } from '../../cluster/member-clusters.ts';
import { type ControllerContext, NOT_LEADER, type ReconcileResult, type Wake } from './context.ts';

/** The keys of the cluster report queue: one per ClusterPolicyReport. */
export const NODES_REPORT_KEY = 'nodes';
export const MEMBERS_REPORT_KEY = 'member-clusters';

/**
 * What makes the ClusterPolicyReports stale: any node (verdict facts, not heartbeats), any policy (the
 * requirements in use), any fact; in hub mode the member records and SovereignWorkloads too. Probe results
 * wake the member report through the prober's callback.
 */
export function clusterReportWakes(hub: boolean): Wake[] {
  const both = () => (hub ? [NODES_REPORT_KEY, MEMBERS_REPORT_KEY] : [NODES_REPORT_KEY]);
  return [
    { on: 'nodes', enqueue: () => [NODES_REPORT_KEY] },
    { on: 'policies', enqueue: both },
    { on: 'clusterPolicies', enqueue: both },
    { on: 'services', enqueue: both },
    { on: 'areas', enqueue: both },
    ...(hub
      ? [
          { on: 'memberClusters' as const, enqueue: () => [MEMBERS_REPORT_KEY] },
          { on: 'workloads' as const, enqueue: () => [MEMBERS_REPORT_KEY] },
        ]
      : []),
  ];
}

/** In hub mode: every member record and what the prober says of it. */
export interface MemberRecords {
  member: (name: string) => MemberClusterObject | undefined;
  health: (name: string) => MemberHealth;
}

/**
 * Applies the nodes' ClusterPolicyReport and, in hub mode, the member clusters' one, when their results
 * changed since this replica last applied them (a new timestamp alone is no change).
 */
export class ClusterReportController {
  private readonly ctx: ControllerContext;
  private readonly members: MemberRecords | undefined;
  private readonly applied = new Map<string, string>();

  constructor(ctx: ControllerContext, members?: MemberRecords) {
    this.ctx = ctx;
    this.members = members;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx } = this;
    if (!ctx.isLeader()) return NOT_LEADER;
    const derived = ctx.derived();
    let planned: { report: ClusterPolicyReportObject; nextTransitionAt: number | null };
    if (key === NODES_REPORT_KEY) {
      planned = planNodesReport(ctx.state().nodes, derived);
    } else if (key === MEMBERS_REPORT_KEY && this.members) {
      const access = this.members;
      const observed: ObservedMember[] = derived.memberClusters.flatMap((member) => {
        const current = access.member(member.metadata.name);
        return current ? [{ member, current, health: access.health(member.metadata.name) }] : [];
      });
      planned = planMemberClustersReport(observed, derived);
    } else return;
    await this.apply(planned.report);
    return planned.nextTransitionAt === null ? undefined : { requeueAt: planned.nextTransitionAt };
  }

  private async apply(report: ClusterPolicyReportObject): Promise<void> {
    const name = report.metadata.name;
    const content = JSON.stringify({ ...report, results: report.results.map(({ timestamp: _, ...r }) => r) });
    if (this.applied.get(name) === content) return;
    try {
      await this.ctx.writer.applyClusterPolicyReport(report);
    } catch (error) {
      // The ClusterPolicyReport CRD is not installed: say so, go on (the next change tries again).
      this.ctx.log.warn({ err: error, report: name }, 'ClusterPolicyReport not written');
      return;
    }
    this.applied.set(name, content);
  }
}
