import { clusterRecord } from '../../cluster/audit-records.ts';
import type { WorkloadObject, WorkloadPlan } from '../../cluster/workload-plan.ts';
import { parseDuration } from '../../domain/duration.ts';
import type { ControllerContext } from './context.ts';

/**
 * The audit records of one SovereignWorkload decision (hub mode): ClusterChosen for each member it is
 * newly placed on, ClusterLeft for each member it starts leaving, with the member's cloud service and
 * badges. Called where the workload controller announces the decision with Events.
 */
export function auditWorkloadDecision(ctx: ControllerContext, raw: WorkloadObject, plan: WorkloadPlan): void {
  const audit = ctx.audit;
  if (!audit) return;
  const derived = ctx.derived();
  const workload = derived.workloads.find(
    (w) => w.metadata.name === raw.metadata.name && w.metadata.namespace === raw.metadata.namespace,
  );
  if (!workload) return;
  const leadTimeMs = parseDuration(workload.spec.failover.expiryLeadTime);
  const service = (name: string | undefined) => derived.services.find((s) => s.metadata.name === name);
  for (const failover of plan.failover.failovers) {
    const leaving = plan.failover.leaving.find((l) => l.record.cluster === failover.cluster);
    const member = derived.memberClusters.find((m) => m.metadata.name === failover.cluster);
    const reasons = leaving ? [leaving.reason] : [];
    audit(
      clusterRecord({
        chosen: false,
        workload,
        cluster: failover.cluster,
        service: service(leaving?.record.cloudService ?? member?.spec.cloudService),
        leadTimeMs,
        reasons,
        message: leaving?.reason.message ?? `Leaving member cluster ${failover.cluster} (${failover.cause}).`,
        at: derived.now,
      }),
    );
  }
  for (const c of plan.failover.placement.chosen.filter((c) => !c.kept))
    audit(
      clusterRecord({
        chosen: true,
        workload,
        cluster: c.cluster,
        service: service(c.cloudService),
        leadTimeMs,
        reasons: plan.failover.placement.reasons,
        message: `Placed on member cluster ${c.cluster} (CloudService ${c.cloudService}, provider ${c.provider}).`,
        at: derived.now,
      }),
    );
}
