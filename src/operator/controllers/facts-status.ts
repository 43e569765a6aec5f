import { ConditionReason, ConditionType, mergeConditions } from '../../cluster/conditions.ts';
import { cloudServiceStatuses } from '../../cluster/facts-status.ts';
import { nextBadgeEdge } from '../../domain/badges.ts';
import { formatInstant } from '../../domain/time.ts';
import { sameStatus } from '../status.ts';
import { type ControllerContext, NOT_LEADER, type ReconcileResult, type Wake } from './context.ts';

/** The key under which the status of every CloudService and SovereigntyArea is reconciled at once. */
export const FACTS_KEY = 'facts';

/** CloudService status counts nodes, so node changes wake it too; its own and the areas' edits do. */
export const factsStatusWakes: readonly Wake[] = [
  { on: 'nodes', enqueue: () => [FACTS_KEY] },
  { on: 'services', enqueue: () => [FACTS_KEY] },
  { on: 'areas', enqueue: () => [FACTS_KEY] },
];

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
