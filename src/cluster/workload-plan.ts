import type { SovereignWorkload } from '../api/index.ts';
import {
  type ClusterFailoverPlan,
  type MemberStanding,
  type PlacementRecord,
  planClusterFailover,
} from '../domain/cluster-failover.ts';
import { parseDuration } from '../domain/duration.ts';
import { type ClusterCandidate, clusterCandidate } from '../domain/placement.ts';
import type { Reason } from '../domain/reasons.ts';
import { formatInstant } from '../domain/time.ts';
import {
  type Condition,
  type ConditionInput,
  ConditionReason,
  ConditionType,
  mergeConditions,
} from './conditions.ts';
import type { Derived } from './facts.ts';
import {
  type MemberClusterObject,
  type MemberHealth,
  memberHealthNow,
  memberTarget,
} from './member-clusters.ts';

/**
 * The SovereignWorkload adapter: from a workload, what the hub knows of every member (records, prober,
 * facts) and what the last round observed on the members, the placement and failover plan and the
 * workload's status. The same conformance as for nodes and member verdict labels; the decision itself is
 * the domain's (placeWorkload, planClusterFailover).
 */

/** Label put on every object the hub applies to a member: the owning workload's uid. */
export const WORKLOAD_UID_LABEL = 'sovereign-placement.io/workload-uid';
/** Annotation naming the owning workload (namespace/name) on every object the hub applies. */
export const WORKLOAD_ANNOTATION = 'sovereign-placement.io/workload';
/** Finalizer that lets the hub remove a workload's copies from members before the workload goes. */
export const WORKLOAD_FINALIZER = 'sovereign-placement.io/member-cleanup';

/** The workload as cached: what the planner reads besides its validated spec. */
export interface WorkloadObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  status?: { conditions?: unknown; placements?: unknown };
}

/** What the hub reads of members: the record as cached and the prober's view. */
export interface MemberLookup {
  member: (name: string) => MemberClusterObject | undefined;
  health: (name: string) => MemberHealth;
}

/** What the shell observed of one member's copy in this round. */
export interface CopyObservation {
  /** Every manifest is there and Available (for Deployments and StatefulSets). */
  readonly available: boolean;
  /** Applying, reading or cleaning failed: why (the member, the object and the API server's answer). */
  readonly error?: string;
}

export interface PlacementStatus {
  cluster: string;
  cloudService: string;
  provider: string;
  since: string;
  available: boolean;
  state: 'Active' | 'Leaving';
  leavingSince?: string;
  reason?: Reason;
  removal?: 'Now' | 'AfterReplacementAvailable' | 'Retained';
  message?: string;
}

export interface WorkloadStatus {
  observedGeneration?: number;
  conditions: Condition[];
  placements: PlacementStatus[];
  rejected: { cluster: string; reasons: Reason[] }[];
  reasons: Reason[];
  nextTransitionAt?: string;
}

export interface WorkloadPlan {
  failover: ClusterFailoverPlan;
  status: WorkloadStatus;
  /** When to plan again: a badge edge or the end of a member's grace period. */
  nextTransitionAt: number | null;
}

const MAX_REJECTED = 500;
const MAX_REASONS_EACH = 16;

const earliest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

const parseTime = (value: unknown): number | null => {
  if (typeof value !== 'string') return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
};

/**
 * The placement records of the workload's status: the hub's durable memory of every copy it made. An
 * entry that is not well formed is dropped (the member is then swept by label like any other).
 */
export function recordsFromStatus(status: WorkloadObject['status']): PlacementRecord[] {
  const list = Array.isArray(status?.placements) ? (status.placements as unknown[]) : [];
  const records: PlacementRecord[] = [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    const since = parseTime(e.since);
    if (typeof e.cluster !== 'string' || since === null) continue;
    const leavingSince = parseTime(e.leavingSince);
    records.push({
      cluster: e.cluster,
      provider: typeof e.provider === 'string' ? e.provider : '',
      cloudService: typeof e.cloudService === 'string' ? e.cloudService : '',
      since,
      available: e.available === true,
      // The cause is recomputed at every plan: only that it is leaving, and since when, is kept.
      ...(e.state === 'Leaving'
        ? {
            leaving: {
              cause: 'NotSelected' as const,
              since: leavingSince ?? since,
              ...(e.removal === 'Retained' ? { retained: true } : {}),
            },
          }
        : {}),
    });
  }
  return records;
}

const API_VERSION_PATTERN = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+([a-z0-9]+)?$/;
const KIND_PATTERN = /^[A-Z][A-Za-z0-9]{0,62}$/;

/** Problems of the manifests that the schema cannot see: where they would land on the member. */
export function manifestProblems(workload: SovereignWorkload): string[] {
  const namespace = workload.metadata.namespace;
  const problems: string[] = [];
  workload.spec.manifests.forEach((m, i) => {
    const meta = m.metadata as { namespace?: unknown };
    // The apiVersion becomes a URL path on the member: only group/version or version, never more.
    if (!API_VERSION_PATTERN.test(m.apiVersion))
      problems.push(
        `spec.manifests[${i}].apiVersion: "${m.apiVersion.slice(0, 100)}" is not an API version (write group/version, for example apps/v1, or v1)`,
      );
    if (!KIND_PATTERN.test(m.kind))
      problems.push(
        `spec.manifests[${i}].kind: "${m.kind.slice(0, 100)}" is not a kind (for example Deployment)`,
      );
    if (m.kind === 'Namespace')
      problems.push(
        `spec.manifests[${i}]: kind Namespace is not allowed; the hub creates the workload's namespace on each member itself`,
      );
    if (meta.namespace !== undefined && meta.namespace !== namespace)
      problems.push(
        `spec.manifests[${i}].metadata.namespace: "${String(meta.namespace)}" is not the workload's namespace "${namespace}"; remove it or set it to "${namespace}"`,
      );
  });
  return problems;
}

interface Standings {
  candidates: ClusterCandidate[];
  standing: (cluster: string) => MemberStanding | undefined;
  nextTransitionAt: number | null;
}

/** Every valid member's standing for the workload's requirement and lead time. */
export function memberStandings(
  workload: SovereignWorkload,
  derived: Derived,
  lookup: MemberLookup,
): Standings {
  const leadTimeMs = parseDuration(workload.spec.failover.expiryLeadTime);
  const requirement = workload.spec.requirement;
  const standings = new Map<string, MemberStanding>();
  const candidates: ClusterCandidate[] = [];
  let next: number | null = null;
  for (const member of derived.memberClusters) {
    const name = member.metadata.name;
    const current = lookup.member(name) ?? { metadata: { name } };
    const health = lookup.health(name);
    const { healthy, graceEndsAt } = memberHealthNow(member, current, health, derived.now);
    const target = memberTarget(member, derived, healthy);
    const verdict = derived.evaluator.evaluate(target, requirement, { expiryLeadTimeMs: leadTimeMs });
    const facts = derived.evaluator.evaluate({ ...target, healthy: true, cordoned: false }, requirement, {
      expiryLeadTimeMs: 0,
    });
    next = earliest(next, earliest(graceEndsAt, earliest(verdict.nextTransitionAt, facts.nextTransitionAt)));
    standings.set(name, {
      reachable: health.state === 'Reachable',
      healthy,
      cordoned: target.cordoned === true,
      verdict,
      conformsNow: facts.conforms,
    });
    candidates.push(clusterCandidate(target, verdict));
  }
  // A MemberCluster that exists but fails validation cannot be reached (its Secret reference is not
  // trusted): its copies stay recorded, as for an unreachable member, instead of being forgotten.
  for (const invalid of derived.invalid) {
    if (invalid.kind !== 'MemberCluster' || standings.has(invalid.name)) continue;
    standings.set(invalid.name, {
      reachable: false,
      healthy: false,
      cordoned: false,
      verdict: { conforms: false, reasons: [], nextTransitionAt: null, satisfiedBadges: [] },
      conformsNow: false,
    });
  }
  return { candidates, standing: (cluster) => standings.get(cluster), nextTransitionAt: next };
}

/** The plan for one valid workload, with the availability and errors observed in this round. */
export function planWorkload(
  workload: SovereignWorkload,
  raw: WorkloadObject,
  derived: Derived,
  lookup: MemberLookup,
  observed: ReadonlyMap<string, CopyObservation> = new Map(),
): WorkloadPlan {
  const { candidates, standing, nextTransitionAt } = memberStandings(workload, derived, lookup);
  const records = recordsFromStatus(raw.status).map((r) => {
    const seen = observed.get(r.cluster);
    return seen ? { ...r, available: seen.available } : r;
  });
  const failover = planClusterFailover({
    candidates,
    clusters: workload.spec.placement.clusters,
    spreadAcrossProviders: workload.spec.placement.spreadAcrossProviders,
    records,
    standing,
    onNoConformingCapacity: workload.spec.failover.onNoConformingCapacity,
    removeNonConforming: workload.spec.failover.removeNonConforming,
    now: derived.now,
  });
  const next = earliest(nextTransitionAt, failover.placement.nextTransitionAt);
  return {
    failover,
    status: workloadStatus(workload, raw, failover, observed, derived.now, next),
    nextTransitionAt: next,
  };
}

function workloadStatus(
  workload: SovereignWorkload,
  raw: WorkloadObject,
  failover: ClusterFailoverPlan,
  observed: ReadonlyMap<string, CopyObservation>,
  now: number,
  next: number | null,
): WorkloadStatus {
  const generation = workload.metadata.generation;
  const withGeneration = (c: Omit<ConditionInput, 'observedGeneration'>): ConditionInput => ({
    ...c,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  });
  const { placement } = failover;
  const messageOf = (cluster: string) => {
    const error = observed.get(cluster)?.error;
    return error === undefined ? {} : { message: error.slice(0, 1024) };
  };
  const placements: PlacementStatus[] = [
    ...failover.active.map((r) => ({
      cluster: r.cluster,
      cloudService: r.cloudService,
      provider: r.provider,
      since: formatInstant(r.since),
      available: r.available,
      state: 'Active' as const,
      ...messageOf(r.cluster),
    })),
    ...failover.leaving.map(({ record: r, reason, removal }) => ({
      cluster: r.cluster,
      cloudService: r.cloudService,
      provider: r.provider,
      since: formatInstant(r.since),
      available: r.available,
      state: 'Leaving' as const,
      leavingSince: formatInstant(r.leaving?.since ?? now),
      reason,
      removal,
      ...messageOf(r.cluster),
    })),
  ];

  const chosen = placement.chosen.length;
  const wanted = workload.spec.placement.clusters;
  const shortfall = placement.reasons.find((r) => r.code === 'NoConformingCapacity');
  const spread = placement.reasons.find((r) => r.code === 'SpreadNotMet');
  const capacity: ConditionInput = shortfall
    ? withGeneration({
        type: ConditionType.CapacityAvailable,
        status: 'False',
        reason: ConditionReason.NoConformingCapacity,
        message: shortfall.message,
      })
    : spread
      ? withGeneration({
          type: ConditionType.CapacityAvailable,
          status: 'False',
          reason: ConditionReason.SpreadNotMet,
          message: spread.message,
        })
      : withGeneration({
          type: ConditionType.CapacityAvailable,
          status: 'True',
          reason: ConditionReason.ConformingCapacity,
          message: `${chosen} conforming member cluster${chosen === 1 ? '' : 's'} of ${placement.providers} provider${placement.providers === 1 ? '' : 's'} run the workload.`,
        });

  const failed = failover.active.filter((r) => observed.get(r.cluster)?.error !== undefined);
  const ready: ConditionInput =
    failed.length > 0
      ? withGeneration({
          type: ConditionType.Ready,
          status: 'False',
          reason: ConditionReason.ApplyFailed,
          message: failed
            .map((r) => `Member ${r.cluster}: ${observed.get(r.cluster)?.error ?? ''}`)
            .join('; ')
            .slice(0, 1024),
        })
      : placement.complete
        ? withGeneration({
            type: ConditionType.Ready,
            status: 'True',
            reason: ConditionReason.Placed,
            message: placementSentence(failover),
          })
        : withGeneration({
            type: ConditionType.Ready,
            status: 'False',
            reason: shortfall ? ConditionReason.NoConformingCapacity : ConditionReason.SpreadNotMet,
            message: placementSentence(failover),
          });

  const notAvailable = failover.active.filter((r) => !r.available).map((r) => r.cluster);
  const available: ConditionInput = failover.available
    ? withGeneration({
        type: ConditionType.Available,
        status: 'True',
        reason: ConditionReason.CopiesAvailable,
        message: `Available on ${failover.active.map((r) => r.cluster).join(', ')}.`,
      })
    : withGeneration({
        type: ConditionType.Available,
        status: 'False',
        reason: ConditionReason.CopiesNotAvailable,
        message:
          chosen === 0
            ? 'No member cluster runs the workload.'
            : notAvailable.length > 0
              ? `Not yet Available on ${notAvailable.join(', ')}.`
              : `Available on ${chosen} of the ${wanted} member clusters asked.`,
      });

  const previous = Array.isArray(raw.status?.conditions) ? (raw.status.conditions as Condition[]) : undefined;
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: mergeConditions(previous, [ready, capacity, available], formatInstant(now)),
    placements,
    rejected: placement.rejected
      .slice(0, MAX_REJECTED)
      .map((r) => ({ cluster: r.cluster, reasons: r.reasons.slice(0, MAX_REASONS_EACH) })),
    reasons: placement.reasons.slice(0, MAX_REASONS_EACH),
    ...(next === null ? {} : { nextTransitionAt: formatInstant(next) }),
  };
}

/** The placement and what is being left, as one sentence list. */
function placementSentence(failover: ClusterFailoverPlan): string {
  const parts = failover.placement.reasons.map((r) => r.message);
  for (const l of failover.leaving) parts.push(l.reason.message);
  return parts.join(' ').slice(0, 1024);
}

/** Ready=False with the validation errors: nothing is placed, applied or removed for an invalid workload. */
export function invalidWorkloadStatus(raw: WorkloadObject, errors: readonly string[], now: number) {
  const generation = raw.metadata.generation;
  const previous = Array.isArray(raw.status?.conditions) ? (raw.status.conditions as Condition[]) : undefined;
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: mergeConditions(
      previous,
      [
        {
          type: ConditionType.Ready,
          status: 'False' as const,
          reason: ConditionReason.InvalidSpec,
          message: `The spec is invalid: ${errors.join('; ')}`.slice(0, 1024),
          ...(generation === undefined ? {} : { observedGeneration: generation }),
        },
      ],
      formatInstant(now),
    ),
  };
}
