import type { Verdict } from './conformance.ts';
import { type ClusterCandidate, type Placement, placeWorkload } from './placement.ts';
import { type Reason, reason } from './reasons.ts';

/**
 * Failing a SovereignWorkload over between member clusters (docs/architecture.md, "Member clusters and
 * SovereignWorkloads"): which copies to keep applied, which to remove now, which to keep until their
 * replacement is Available.
 *
 * - Compliance first: a copy on a member that no longer conforms is removed at once, unless the workload
 *   asks otherwise (removeNonConforming: AfterReplacementAvailable) or no conforming capacity exists and
 *   it says onNoConformingCapacity: Retain.
 * - Make before break: a member that still conforms but is left (its badge is within the lead time of its
 *   expiry, it is cordoned, the spread moved the workload) or that cannot be reached keeps its copy until
 *   every chosen member runs the workload Available.
 * - A copy is only ever removed from a reachable member; an unreachable one keeps its record (in the
 *   workload's status, so a restart forgets nothing) until it can be cleaned.
 * - Stable and deterministic, as placeWorkload: same input, same plan.
 */

/** Why the workload is leaving a member it ran on. */
export type LeaveCause =
  | 'NotConforming'
  | 'ExpiringSoon'
  | 'Cordoned'
  | 'Unreachable'
  | 'NotSelected'
  | 'MemberDeleted';

/** What the hub knows of a member now. */
export interface MemberStanding {
  /** The hub reaches its API server now: copies can be applied, read and removed. */
  readonly reachable: boolean;
  /** Healthy as the member controller judges it (reachable, or unreachable within its grace period). */
  readonly healthy: boolean;
  readonly cordoned: boolean;
  /** The verdict with the workload's expiry lead time: what placement uses. */
  readonly verdict: Verdict;
  /** Whether it conforms at this instant ignoring the lead time, health and cordon: only the facts. */
  readonly conformsNow: boolean;
}

/** One member the workload runs on or is leaving, as recorded in the workload's status. */
export interface PlacementRecord {
  readonly cluster: string;
  readonly provider: string;
  readonly cloudService: string;
  readonly since: number;
  /** Every manifest of the copy is there and, for Deployments and StatefulSets, Available. */
  readonly available: boolean;
  /** Set while the workload is leaving this member. */
  readonly leaving?: {
    readonly cause: LeaveCause;
    readonly since: number;
    /** The copy was retained for want of conforming capacity: it stays until the replacement is Available. */
    readonly retained?: boolean;
  };
}

export interface ClusterFailoverInput {
  readonly candidates: readonly ClusterCandidate[];
  readonly clusters: number;
  readonly spreadAcrossProviders: number;
  readonly records: readonly PlacementRecord[];
  /** undefined when the MemberCluster no longer exists. */
  readonly standing: (cluster: string) => MemberStanding | undefined;
  readonly onNoConformingCapacity: 'Evict' | 'Retain';
  readonly removeNonConforming: 'Immediately' | 'AfterReplacementAvailable';
  readonly now: number;
}

/** How a leaving copy is removed. */
export type Removal = 'Now' | 'AfterReplacementAvailable' | 'Retained';

export interface LeavingCopy {
  readonly record: PlacementRecord;
  readonly cause: LeaveCause;
  readonly removal: Removal;
  /** The removal is due now (the member may still be unreachable: then it waits for it). */
  readonly due: boolean;
  readonly reason: Reason;
}

export interface ClusterFailoverPlan {
  readonly placement: Placement;
  /** Records of the chosen members (copies to keep applied), sorted by cluster. */
  readonly active: readonly PlacementRecord[];
  /** Members being left whose copy is still there, sorted by cluster. */
  readonly leaving: readonly LeavingCopy[];
  /** Members whose copy is removed now: due and reachable. */
  readonly remove: readonly string[];
  /** Records dropped without cleaning: their MemberCluster was deleted, the hub cannot reach them. */
  readonly forgotten: readonly string[];
  /** Members the workload started leaving in this plan, with why: one failover each. */
  readonly failovers: readonly { readonly cluster: string; readonly cause: LeaveCause }[];
  /** Every chosen member runs the workload Available, and as many as asked. */
  readonly available: boolean;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Why a member is not (or no longer) chosen; the most serious cause first. */
export function leaveCause(standing: MemberStanding | undefined): LeaveCause {
  if (standing === undefined) return 'MemberDeleted';
  if (!standing.reachable && !standing.healthy) return 'Unreachable';
  if (!standing.conformsNow) return 'NotConforming';
  if (!standing.healthy) return 'Unreachable';
  if (standing.cordoned) return 'Cordoned';
  if (!standing.verdict.conforms) return 'ExpiringSoon';
  return 'NotSelected';
}

export function planClusterFailover(input: ClusterFailoverInput): ClusterFailoverPlan {
  const byCluster = new Map<string, PlacementRecord>();
  for (const r of input.records) if (!byCluster.has(r.cluster)) byCluster.set(r.cluster, r);
  const current = [...byCluster.values()].filter((r) => !r.leaving).map((r) => r.cluster);
  const placement = placeWorkload(input.candidates, {
    clusters: input.clusters,
    spreadAcrossProviders: input.spreadAcrossProviders,
    current,
  });

  // A member being left that is chosen again (it came back, conforming) keeps its copy and its history.
  const active: PlacementRecord[] = placement.chosen.map((c) => {
    const known = byCluster.get(c.cluster);
    return known
      ? {
          cluster: c.cluster,
          provider: c.provider,
          cloudService: c.cloudService,
          since: known.since,
          available: known.available,
        }
      : {
          cluster: c.cluster,
          provider: c.provider,
          cloudService: c.cloudService,
          since: input.now,
          available: false,
        };
  });
  const chosen = new Set(active.map((r) => r.cluster));
  const complete = active.length >= input.clusters;
  const available = complete && active.every((r) => r.available);

  const leaving: LeavingCopy[] = [];
  const remove: string[] = [];
  const forgotten: string[] = [];
  const failovers: { cluster: string; cause: LeaveCause }[] = [];
  for (const record of [...byCluster.values()].sort((a, b) => cmp(a.cluster, b.cluster))) {
    if (chosen.has(record.cluster)) continue;
    const standing = input.standing(record.cluster);
    const cause = leaveCause(standing);
    if (!record.leaving) failovers.push({ cluster: record.cluster, cause });
    if (cause === 'MemberDeleted') {
      forgotten.push(record.cluster);
      continue;
    }
    // A copy retained for want of capacity keeps that promise once a replacement is chosen: it stays
    // until the replacement is Available, whatever removeNonConforming says.
    const retain =
      input.onNoConformingCapacity === 'Retain' && (!complete || record.leaving?.retained === true);
    const removal: Removal =
      cause !== 'NotConforming'
        ? 'AfterReplacementAvailable'
        : retain
          ? 'Retained'
          : input.removeNonConforming === 'Immediately'
            ? 'Now'
            : 'AfterReplacementAvailable';
    // Retained copies go as soon as the workload is Available elsewhere again.
    const due = removal === 'Now' || available;
    const reachable = standing?.reachable === true;
    const kept: PlacementRecord = {
      ...record,
      available: record.available,
      leaving: {
        cause,
        since: record.leaving?.since ?? input.now,
        ...(removal === 'Retained' ? { retained: true } : {}),
      },
    };
    leaving.push({
      record: kept,
      cause,
      removal,
      due,
      reason: reason('LeavingMemberCluster', { cluster: record.cluster, cause, removal, due, reachable }),
    });
    if (due && reachable) remove.push(record.cluster);
  }

  return { placement, active, leaving, remove, forgotten, failovers, available };
}
