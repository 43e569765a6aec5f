import type { MemberCluster, SovereignWorkload } from '../api/index.ts';
import { byNamespacedName, nameOrder } from './evaluate.ts';
import type { ConditionOutput, RecordedPlacementOutput } from './output-schema.ts';

/**
 * What the hub recorded in the status of MemberClusters and SovereignWorkloads, as sovctl shows it next
 * to its own recomputation. sovctl cannot probe members: their health is the Ready condition the hub
 * wrote, and the hub's placement can therefore differ from the one recomputed here.
 */

type RecordedCondition = NonNullable<NonNullable<MemberCluster['status']>['conditions']>[number];

/** The recorded conditions, those of `first` in that order, then any other by type. */
export function conditionsJson(
  conditions: readonly RecordedCondition[] | undefined,
  first: readonly string[],
): ConditionOutput[] {
  const rank = (type: string) => {
    const i = first.indexOf(type);
    return i < 0 ? first.length : i;
  };
  return [...(conditions ?? [])]
    .sort((a, b) => rank(a.type) - rank(b.type) || nameOrder(a.type, b.type))
    .map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason ?? null,
      message: c.message ?? null,
      lastTransitionTime: c.lastTransitionTime ?? null,
    }));
}

export const MEMBER_CONDITIONS = ['Reachable', 'Ready'] as const;
export const WORKLOAD_CONDITIONS = ['Ready', 'CapacityAvailable', 'Available'] as const;

type StatusPlacement = NonNullable<NonNullable<SovereignWorkload['status']>['placements']>[number];

/** One status.placements entry, with absent fields made explicit (a missing state is Active). */
export function recordedPlacementJson(p: StatusPlacement): RecordedPlacementOutput {
  return {
    cluster: p.cluster,
    cloudService: p.cloudService,
    provider: p.provider,
    state: p.state ?? 'Active',
    since: p.since,
    available: p.available ?? null,
    leavingSince: p.leavingSince ?? null,
    reason: p.reason ? { code: p.reason.code, message: p.reason.message } : null,
    message: p.message ?? null,
  };
}

export const recordedPlacements = (workload: SovereignWorkload): RecordedPlacementOutput[] =>
  (workload.status?.placements ?? []).map(recordedPlacementJson);

/** Each workload whose status names the member, with its entry for it, by namespace and name. */
export function workloadsOn(
  workloads: readonly SovereignWorkload[],
  cluster: string,
): { workload: SovereignWorkload; placement: RecordedPlacementOutput }[] {
  return [...workloads].sort(byNamespacedName).flatMap((workload) =>
    recordedPlacements(workload)
      .filter((p) => p.cluster === cluster)
      .slice(0, 1)
      .map((placement) => ({ workload, placement })),
  );
}

const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : names.join(', '));

/**
 * How the placement the hub recorded compares with the one recomputed from the same objects: the members
 * recorded Active must be those chosen, and none of those being left may be chosen again. Each
 * difference is one sentence.
 */
export function compareWithRecorded(
  workload: SovereignWorkload,
  chosen: readonly string[],
): { matches: boolean; differences: string[] } {
  const records = recordedPlacements(workload);
  const active = records.filter((r) => r.state === 'Active').map((r) => r.cluster);
  const leaving = records.filter((r) => r.state === 'Leaving').map((r) => r.cluster);
  const differences: string[] = [];
  if (workload.status === undefined && chosen.length > 0) {
    differences.push(
      `The hub has recorded no status for this workload (is an operator running in hub mode?); the recomputed placement is ${list([...chosen].sort(nameOrder))}.`,
    );
    return { matches: false, differences };
  }
  for (const cluster of [...chosen].sort(nameOrder)) {
    if (leaving.includes(cluster)) {
      differences.push(`The hub is leaving ${cluster}, which the recomputed placement chooses.`);
    } else if (!active.includes(cluster)) {
      differences.push(
        `The recomputed placement chooses ${cluster}, which the hub has not recorded as Active.`,
      );
    }
  }
  for (const cluster of [...active].sort(nameOrder)) {
    if (!chosen.includes(cluster)) {
      differences.push(
        `The hub records ${cluster} as Active, which the recomputed placement does not choose.`,
      );
    }
  }
  return { matches: differences.length === 0, differences };
}

/** Said wherever the two can differ: what the hub knows that sovctl does not. */
export const HEALTH_NOTE =
  "Member health comes from the Ready condition the hub recorded in each MemberCluster's status: the hub probes members, sovctl cannot, so a recorded placement can differ from the recomputed one while a member's health changes or until the hub reconciles again.";
