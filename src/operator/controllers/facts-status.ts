import { ConditionReason, ConditionType, mergeConditions } from '../../cluster/conditions.ts';
import type { Derived } from '../../cluster/facts.ts';
import { badgeExpiresAt, nextBadgeEdge } from '../../domain/badges.ts';
import { formatInstant } from '../../domain/time.ts';
import { sameStatus } from '../status.ts';
import { type ControllerContext, NOT_LEADER, type ReconcileResult } from './context.ts';

/** The key under which the status of every CloudService and SovereigntyArea is reconciled at once. */
export const FACTS_KEY = 'facts';

export interface CloudServiceStatus {
  observedGeneration?: number;
  nodeCount: number;
  /** Earliest validUntil among badges valid now; what alerts on expiring badges key on. */
  badgeExpiresAt?: string;
}

/** Status of each CloudService: the nodes it runs (by the same membership rule as verdicts) and the next expiry. */
export function cloudServiceStatuses(derived: Derived): Map<string, CloudServiceStatus> {
  const nodeCounts = new Map<string, number>();
  for (const target of derived.targets.values()) {
    const name = target.membership.service?.metadata.name;
    if (name) nodeCounts.set(name, (nodeCounts.get(name) ?? 0) + 1);
  }
  const statuses = new Map<string, CloudServiceStatus>();
  for (const service of derived.services) {
    const expiry = badgeExpiresAt(service, derived.now);
    statuses.set(service.metadata.name, {
      observedGeneration: service.metadata.generation,
      nodeCount: nodeCounts.get(service.metadata.name) ?? 0,
      ...(expiry === null ? {} : { badgeExpiresAt: formatInstant(expiry) }),
    });
  }
  return statuses;
}

/** Writes CloudService and SovereigntyArea status when it changed. */
export async function reconcileFactsStatus(
  ctx: ControllerContext,
  raw: (plural: string, name: string) => { status?: Record<string, unknown> } | undefined,
): Promise<ReconcileResult> {
  if (!ctx.isLeader()) return NOT_LEADER;
  const derived = ctx.derived();
  const now = formatInstant(derived.now);
  for (const [name, computed] of cloudServiceStatuses(derived)) {
    const previous = (raw('cloudservices', name)?.status ?? {}) as Record<string, unknown>;
    const conditions = mergeConditions(
      previous.conditions as never,
      [
        {
          type: ConditionType.Ready,
          status: 'True',
          reason: ConditionReason.Reconciled,
          message: `${computed.nodeCount} node${computed.nodeCount === 1 ? '' : 's'} run on this service.`,
          observedGeneration: computed.observedGeneration,
        },
      ],
      now,
    );
    const status = { ...computed, conditions };
    if (sameStatus(previous, status)) continue;
    await ctx.writer.mergePatchStatus('cloudservices', undefined, name, { badgeExpiresAt: null, ...status });
  }
  for (const area of derived.areas) {
    const status = { observedGeneration: area.metadata.generation, countryCount: area.spec.countries.length };
    const previous = raw('sovereigntyareas', area.metadata.name)?.status ?? {};
    if (sameStatus(previous, { ...previous, ...status })) continue;
    await ctx.writer.mergePatchStatus('sovereigntyareas', undefined, area.metadata.name, status);
  }
  const next = nextBadgeEdge(derived.services, derived.now);
  return next === null ? undefined : { requeueAt: next };
}
