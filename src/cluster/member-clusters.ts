import type { MemberCluster } from '../api/index.ts';
import { formatDuration, parseDuration } from '../domain/duration.ts';
import { verdictSentence } from '../domain/explain.ts';
import { memberClusterTarget } from '../domain/membership.ts';
import type { Reason } from '../domain/reasons.ts';
import {
  type ConformanceRequirement,
  describeRequirement,
  normalizeRequirement,
  requirementKey,
} from '../domain/requirement.ts';
import type { Target } from '../domain/target.ts';
import { formatInstant } from '../domain/time.ts';
import {
  createVerdictLabeler,
  diffVerdictLabels,
  isEmptyDiff,
  VERDICT_LABEL_PREFIX,
  verdictLabelKey,
} from '../domain/verdict-labels.ts';
import {
  type Condition,
  type ConditionInput,
  ConditionReason,
  ConditionType,
  mergeConditions,
} from './conditions.ts';
import type { Derived } from './facts.ts';
import type { VerdictChange } from './node-verdicts.ts';

/**
 * The member-cluster adapter: from a MemberCluster record, the facts and what the hub's prober observed,
 * the member's status and verdict labels. The same conformance, labeler and sentences as for nodes: a
 * member cluster is one more kind of Target.
 */

/** What the prober concluded about a member, after its thresholds. */
export interface MemberHealth {
  /** Unknown: not probed since this operator process started. */
  readonly state: 'Reachable' | 'Unreachable' | 'Unknown';
  /** Why (for Unreachable: the credentials problem or the failed probe). */
  readonly reason: ConditionReason;
  readonly message: string;
  /** When the prober's state last changed (ms); null when unknown. */
  readonly since: number | null;
  /** Last successful probe of this process (ms); null when none. */
  readonly lastHeartbeat: number | null;
  readonly kubernetesVersion: string | null;
}

export const NOT_PROBED: MemberHealth = {
  state: 'Unknown',
  reason: ConditionReason.NotProbedYet,
  message: 'The hub has not probed this member since the operator started.',
  since: null,
  lastHeartbeat: null,
  kubernetesVersion: null,
};

/** For the `sovereign_placement_member_clusters{state}` gauge. */
export type MemberState = 'ready' | 'unreachable_within_grace' | 'not_ready' | 'invalid';

export interface MemberVerdictStatus {
  requirement: string;
  conforms: boolean;
  reasons: Reason[];
}

export interface MemberClusterStatus {
  observedGeneration?: number;
  conditions: Condition[];
  lastHeartbeatTime?: string;
  kubernetesVersion?: string;
  reasons: Reason[];
  verdicts: MemberVerdictStatus[];
  nextTransitionAt?: string;
}

export interface MemberClusterPlan {
  /** JSON merge patch of the MemberCluster's verdict labels, or null when they are already right. */
  patch: { metadata: { labels: Record<string, string | null> } } | null;
  status: MemberClusterStatus;
  changes: VerdictChange[];
  state: MemberState;
  /** When to plan again: a badge edge, or the end of the unreachable grace period. */
  nextTransitionAt: number | null;
}

/** The part of a MemberCluster the planner reads besides its spec: what the operator wrote last time. */
export interface MemberClusterObject {
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  status?: {
    conditions?: Condition[];
    lastHeartbeatTime?: string;
    kubernetesVersion?: string;
  };
}

const MAX_REASONS = 32;
const MAX_VERDICTS = 256;

const earliest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

const parseTime = (value: string | undefined): number | null => {
  const t = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(t) ? null : t;
};

interface Health {
  healthy: boolean;
  reachable: ConditionInput;
  ready: ConditionInput;
  /** End of the grace period while unreachable within it. */
  graceEndsAt: number | null;
  lastHeartbeat: number | null;
}

/**
 * Whether the member counts as healthy. Only a member the hub has reached at least once gets the grace
 * period: a member that was never reached (a new record with a wrong Secret) must not receive verdict
 * labels. The grace runs from when the prober declared the member unreachable, or from the Reachable=False
 * transition already in status when that is earlier, so that restarting the hub neither resets nor skips it.
 */
function assessHealth(
  member: MemberCluster,
  previous: MemberClusterObject['status'],
  health: MemberHealth,
  now: number,
): Health {
  const generation = member.metadata.generation;
  const lastHeartbeat = health.lastHeartbeat ?? parseTime(previous?.lastHeartbeatTime);
  const before = (type: string) => previous?.conditions?.find((c) => c.type === type);
  const condition = (
    type: ConditionType,
    status: Condition['status'],
    reason: ConditionReason,
    message: string,
  ): ConditionInput => ({
    type,
    status,
    reason,
    message,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  });

  if (health.state === 'Reachable') {
    return {
      healthy: true,
      reachable: condition(ConditionType.Reachable, 'True', ConditionReason.Reachable, health.message),
      ready: condition(
        ConditionType.Ready,
        'True',
        ConditionReason.Reachable,
        'The member is reachable and ready.',
      ),
      graceEndsAt: null,
      lastHeartbeat,
    };
  }

  if (health.state === 'Unknown') {
    // Right after a restart the prober has no result yet: the last written conditions stand, so that a
    // restart flips neither Reachable nor Ready nor a verdict label.
    const reachable = before(ConditionType.Reachable);
    const ready = before(ConditionType.Ready);
    const wasReady = ready?.status === 'True';
    return {
      healthy: wasReady,
      reachable: reachable
        ? condition(ConditionType.Reachable, reachable.status, reachable.reason, reachable.message)
        : condition(ConditionType.Reachable, 'Unknown', ConditionReason.NotProbedYet, health.message),
      ready: ready
        ? condition(ConditionType.Ready, ready.status, ready.reason, ready.message)
        : condition(ConditionType.Ready, 'False', ConditionReason.NotProbedYet, health.message),
      graceEndsAt: null,
      lastHeartbeat,
    };
  }

  const reachable = condition(ConditionType.Reachable, 'False', health.reason, health.message);
  const previousReachable = before(ConditionType.Reachable);
  const recorded =
    previousReachable?.status === 'False' ? parseTime(previousReachable.lastTransitionTime) : null;
  const since = earliest(health.since, recorded) ?? now;
  const grace = parseDuration(member.spec.unreachableGracePeriod);
  const deadline = since + grace;
  if (lastHeartbeat === null) {
    return {
      healthy: false,
      reachable,
      ready: condition(
        ConditionType.Ready,
        'False',
        health.reason,
        `The hub has never reached this member: ${health.message}`,
      ),
      graceEndsAt: null,
      lastHeartbeat,
    };
  }
  if (now < deadline) {
    return {
      healthy: true,
      reachable,
      ready: condition(
        ConditionType.Ready,
        'True',
        ConditionReason.WithinGracePeriod,
        `Unreachable since ${formatInstant(since)}; it keeps its verdicts until the grace period (${member.spec.unreachableGracePeriod}) ends at ${formatInstant(deadline)}.`,
      ),
      graceEndsAt: deadline,
      lastHeartbeat,
    };
  }
  return {
    healthy: false,
    reachable,
    ready: condition(
      ConditionType.Ready,
      'False',
      ConditionReason.UnreachablePastGracePeriod,
      `Unreachable since ${formatInstant(since)}, past the grace period (${member.spec.unreachableGracePeriod}) that ended at ${formatInstant(deadline)}; it conforms to nothing until it is reachable again.`,
    ),
    graceEndsAt: null,
    lastHeartbeat,
  };
}

/**
 * Whether a member counts as healthy now and until when (the end of its grace period while unreachable
 * within it): the same judgement the member controller writes in Ready, for the workload planner.
 */
export function memberHealthNow(
  member: MemberCluster,
  current: MemberClusterObject,
  health: MemberHealth,
  now: number,
): { healthy: boolean; graceEndsAt: number | null } {
  const { healthy, graceEndsAt } = assessHealth(member, current.status, health, now);
  return { healthy, graceEndsAt };
}

interface Use {
  requirement: ConformanceRequirement;
  leadTimeMs: number;
}

/** Distinct (requirement, lead time) pairs in use, in the order they first appear. */
function distinctUses(derived: Derived): Use[] {
  const seen = new Set<string>();
  const uses: Use[] = [];
  for (const use of derived.memberVerdictLabelUses) {
    const leadTimeMs = use.expiryLeadTimeMs ?? 0;
    const key = `${requirementKey(use.requirement)}#${leadTimeMs}`;
    if (seen.has(key)) continue;
    seen.add(key);
    uses.push({ requirement: use.requirement, leadTimeMs });
  }
  return uses;
}

/** The requirement as a sentence, with its lead time: two workloads with different lead times get two verdicts. */
const describeUse = (use: Use): string =>
  use.leadTimeMs === 0
    ? describeRequirement(use.requirement)
    : `${describeRequirement(use.requirement)} (expiry lead time ${formatDuration(use.leadTimeMs)})`;

/** The member's target at this instant, with the health the prober's observation gives. */
export function memberTarget(member: MemberCluster, derived: Derived, healthy: boolean): Target {
  return memberClusterTarget(member, derived.catalog, healthy);
}

/**
 * Everything the member controller writes for one member: status (conditions, verdicts, reasons,
 * heartbeat, version, next transition) and its verdict labels, plus the sentences of label changes.
 */
export function planMemberCluster(
  member: MemberCluster,
  current: MemberClusterObject,
  health: MemberHealth,
  derived: Derived,
): MemberClusterPlan {
  const now = derived.now;
  const assessed = assessHealth(member, current.status, health, now);
  const target = memberTarget(member, derived, assessed.healthy);

  const verdicts: MemberVerdictStatus[] = [];
  const reasons: Reason[] = [];
  const seenReasons = new Set<string>();
  let next = assessed.graceEndsAt;
  for (const use of distinctUses(derived)) {
    const verdict = derived.evaluator.evaluate(target, use.requirement, { expiryLeadTimeMs: use.leadTimeMs });
    next = earliest(next, verdict.nextTransitionAt);
    if (verdicts.length < MAX_VERDICTS)
      verdicts.push({
        requirement: describeUse(use),
        conforms: verdict.conforms,
        reasons: [...verdict.reasons],
      });
    if (verdict.conforms) continue;
    for (const r of verdict.reasons) {
      const key = `${r.code}\u0000${r.message}`;
      if (seenReasons.has(key) || reasons.length >= MAX_REASONS) continue;
      seenReasons.add(key);
      reasons.push(r);
    }
  }

  const labeler = createVerdictLabeler(
    derived.memberVerdictLabelUses,
    { areas: derived.areaIndex },
    now,
    derived.evaluator,
  );
  const desired = labeler(target);
  next = earliest(next, desired.nextTransitionAt);
  const labels = current.metadata.labels ?? {};
  const diff = diffVerdictLabels(labels, desired.labels);
  const changes = describeChanges(target, derived, labels, diff);
  const patchLabels: Record<string, string | null> = { ...diff.add };
  for (const key of diff.remove) patchLabels[key] = null;

  const nowIso = formatInstant(now);
  const status: MemberClusterStatus = {
    ...(member.metadata.generation === undefined ? {} : { observedGeneration: member.metadata.generation }),
    conditions: mergeConditions(current.status?.conditions, [assessed.reachable, assessed.ready], nowIso),
    ...(assessed.lastHeartbeat === null ? {} : { lastHeartbeatTime: formatInstant(assessed.lastHeartbeat) }),
    ...versionOf(health, current.status),
    reasons,
    verdicts,
    ...(next === null ? {} : { nextTransitionAt: formatInstant(next) }),
  };
  return {
    patch: isEmptyDiff(diff) ? null : { metadata: { labels: patchLabels } },
    status,
    changes,
    state:
      assessed.ready.status !== 'True'
        ? 'not_ready'
        : assessed.graceEndsAt !== null
          ? 'unreachable_within_grace'
          : 'ready',
    nextTransitionAt: next,
  };
}

function versionOf(
  health: MemberHealth,
  previous: MemberClusterObject['status'],
): { kubernetesVersion?: string } {
  const version = health.kubernetesVersion ?? previous?.kubernetesVersion;
  return version === undefined ? {} : { kubernetesVersion: version };
}

function describeChanges(
  target: Target,
  derived: Derived,
  labels: Record<string, string>,
  diff: { add: Readonly<Record<string, string>>; remove: readonly string[] },
): VerdictChange[] {
  const pairs = new Map<string, { requirement: ConformanceRequirement; leadTimeMs: number }>();
  for (const use of derived.memberVerdictLabelUses) {
    const r = normalizeRequirement(use.requirement);
    for (const badge of r.badges) {
      const key = verdictLabelKey(badge, r.area);
      const lead = use.expiryLeadTimeMs ?? 0;
      const known = pairs.get(key);
      if (!known || lead > known.leadTimeMs)
        pairs.set(key, { requirement: { badges: [badge], area: r.area }, leadTimeMs: lead });
    }
  }
  const changes: VerdictChange[] = [];
  const describe = (key: string, granted: boolean): void => {
    const pair = pairs.get(key);
    if (!pair) {
      // A label of a pair no requirement uses any more: removed without a verdict to cite.
      changes.push({
        key,
        granted,
        sentence: `No requirement in use names ${key} any more; the label is removed.`,
      });
      return;
    }
    const assurance = granted ? diff.add[key] : undefined;
    const requirement: ConformanceRequirement =
      assurance === 'ThirdPartyCertified'
        ? { ...pair.requirement, minimumAssurance: assurance }
        : pair.requirement;
    const verdict = derived.evaluator.evaluate(target, requirement, { expiryLeadTimeMs: pair.leadTimeMs });
    changes.push({
      key,
      granted,
      sentence: verdictSentence(target, requirement, verdict),
      facts: { target, requirement, leadTimeMs: pair.leadTimeMs, verdict },
    });
  };
  for (const key of Object.keys(diff.add)) if (labels[key] === undefined) describe(key, true);
  for (const key of diff.remove) describe(key, false);
  return changes;
}

/**
 * A MemberCluster whose spec the schema refuses (written around the API server's validation, or by an
 * older CRD): it conforms to nothing, so every verdict label goes, and its status says which field.
 */
export function planInvalidMemberCluster(
  current: MemberClusterObject,
  errors: readonly string[],
  now: number,
): Pick<MemberClusterPlan, 'patch' | 'status' | 'state' | 'nextTransitionAt'> {
  const labels = current.metadata.labels ?? {};
  const remove = Object.keys(labels).filter((k) => k.startsWith(VERDICT_LABEL_PREFIX));
  const generation = current.metadata.generation;
  // The record failed validation, its status included: conditions are reused only when they are a list.
  const previous = Array.isArray(current.status?.conditions) ? current.status.conditions : undefined;
  const message = `The spec is invalid: ${errors.join('; ')}`;
  const status: MemberClusterStatus = {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: mergeConditions(
      previous,
      [
        {
          type: ConditionType.Ready,
          status: 'False',
          reason: ConditionReason.InvalidSpec,
          message,
          ...(generation === undefined ? {} : { observedGeneration: generation }),
        },
      ],
      formatInstant(now),
    ),
    reasons: [],
    verdicts: [],
  };
  return {
    patch:
      remove.length === 0 ? null : { metadata: { labels: Object.fromEntries(remove.map((k) => [k, null])) } },
    status,
    state: 'invalid',
    nextTransitionAt: null,
  };
}
