import type { Verdict } from './conformance.ts';
import type { FailoverPlan, PodRef } from './failover.ts';
import type { Placement } from './placement.ts';
import type { Reason, TargetKind } from './reasons.ts';
import {
  type ConformanceRequirement,
  describeBadges,
  describeRequirement,
  normalizeRequirement,
} from './requirement.ts';
import { formatInstant } from './time.ts';

/**
 * Verdicts, placements and failover plans as JSON-friendly objects (status, `sovctl explain -o json`,
 * audit reports) and as short English sentences (Events, `sovctl explain`). Controllers and the CLI use
 * these same functions so that every surface says the same thing.
 */

export interface ReasonJson {
  code: string;
  message: string;
}

export interface VerdictJson {
  target: { kind: TargetKind; name: string };
  requirement: { badge: string; area: string; minimumAssurance: string };
  conforms: boolean;
  reasons: ReasonJson[];
  nextTransitionAt: string | null;
}

export interface TargetRef {
  readonly kind: TargetKind;
  readonly name: string;
}

const reasonJson = (r: Reason): ReasonJson => ({ code: r.code, message: r.message });
const instantJson = (ms: number | null): string | null => (ms === null ? null : formatInstant(ms));

/**
 * `{"target":{"kind","name"},"requirement":{"badge","area","minimumAssurance"},"conforms","reasons",
 * "nextTransitionAt"}`. `badge` names one badge, or several joined by " or " (AnyOf) / " and " (AllOf).
 */
export function verdictJson(
  target: TargetRef,
  requirement: ConformanceRequirement,
  verdict: Verdict,
): VerdictJson {
  const r = normalizeRequirement(requirement);
  return {
    target: { kind: target.kind, name: target.name },
    requirement: { badge: describeBadges(r), area: r.area, minimumAssurance: r.minimumAssurance },
    conforms: verdict.conforms,
    reasons: verdict.reasons.map(reasonJson),
    nextTransitionAt: instantJson(verdict.nextTransitionAt),
  };
}

const TITLES: Record<TargetKind, string> = {
  Node: 'Node',
  MemberCluster: 'Member cluster',
  FulcrumAgent: 'Fulcrum agent',
  Volume: 'Volume',
  StorageClass: 'StorageClass',
};

const title = (target: TargetRef): string => `${TITLES[target.kind]} ${target.name}`;

/** "Node n1 does not conform to the Sovereign badge for area eu at any assurance: <reasons>." */
export function verdictSentence(
  target: TargetRef,
  requirement: ConformanceRequirement,
  verdict: Verdict,
): string {
  const what = describeRequirement(requirement);
  const next =
    verdict.nextTransitionAt === null
      ? ''
      : ` This can change at ${formatInstant(verdict.nextTransitionAt)}.`;
  if (verdict.conforms) return `${title(target)} conforms to ${what}.${next}`;
  const why = verdict.reasons.map((r) => r.message).join(' ');
  return `${title(target)} does not conform to ${what}. ${why}${next}`;
}

export interface PlacementJson {
  complete: boolean;
  placements: { cluster: string; provider: string; cloudService: string; kept: boolean }[];
  added: string[];
  removed: string[];
  rejected: { cluster: string; reasons: ReasonJson[] }[];
  reasons: ReasonJson[];
  nextTransitionAt: string | null;
}

export function placementJson(placement: Placement): PlacementJson {
  return {
    complete: placement.complete,
    placements: placement.chosen.map((c) => ({ ...c })),
    added: [...placement.added],
    removed: [...placement.removed],
    rejected: placement.rejected.map((r) => ({ cluster: r.cluster, reasons: r.reasons.map(reasonJson) })),
    reasons: placement.reasons.map(reasonJson),
    nextTransitionAt: instantJson(placement.nextTransitionAt),
  };
}

const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : names.join(', '));

/** One sentence for the outcome, one per change, one per rejected cluster. */
export function placementSentences(placement: Placement): string[] {
  const sentences = placement.reasons.map((r) => r.message);
  sentences.push(`Runs on: ${list(placement.chosen.map((c) => `${c.cluster} (${c.provider})`))}.`);
  if (placement.added.length > 0) sentences.push(`Added: ${list(placement.added)}.`);
  if (placement.removed.length > 0) sentences.push(`Removed: ${list(placement.removed)}.`);
  for (const r of placement.rejected) {
    sentences.push(`Not chosen: ${r.cluster}. ${r.reasons.map((x) => x.message).join(' ')}`);
  }
  return sentences;
}

const podName = (pod: PodRef): string => `${pod.namespace}/${pod.name}`;

export interface FailoverPlanJson {
  evictsWithoutCapacity: boolean;
  evictNow: {
    pod: string;
    node: string;
    reason: ReasonJson;
    budget: string | null;
    nodeReasons: ReasonJson[];
  }[];
  deferred: { pod: string; node: string; until: string; reason: ReasonJson; nodeReasons: ReasonJson[] }[];
  blocked: { pod: string; node: string; reason: ReasonJson; nodeReasons: ReasonJson[] }[];
  nextPlanAt: string | null;
}

export function failoverPlanJson(plan: FailoverPlan): FailoverPlanJson {
  return {
    evictsWithoutCapacity: plan.evictsWithoutCapacity,
    evictNow: plan.evictNow.map((e) => ({
      pod: podName(e.pod),
      node: e.node,
      reason: reasonJson(e.reason),
      budget: e.budget,
      nodeReasons: e.nodeReasons.map(reasonJson),
    })),
    deferred: plan.deferred.map((d) => ({
      pod: podName(d.pod),
      node: d.node,
      until: formatInstant(d.until),
      reason: reasonJson(d.reason),
      nodeReasons: d.nodeReasons.map(reasonJson),
    })),
    blocked: plan.blocked.map((b) => ({
      pod: podName(b.pod),
      node: b.node,
      reason: reasonJson(b.reason),
      nodeReasons: b.nodeReasons.map(reasonJson),
    })),
    nextPlanAt: instantJson(plan.nextPlanAt),
  };
}

/** One sentence per pod, evictions first, then deferred, then blocked. */
export function failoverPlanSentences(plan: FailoverPlan): string[] {
  const sentences: string[] = [];
  if (plan.evictsWithoutCapacity) {
    sentences.push(
      'No conforming capacity exists: this plan evicts pods that will stay Pending (compliance first).',
    );
  }
  for (const e of plan.evictNow) sentences.push(`Evict ${podName(e.pod)}: ${e.reason.message}`);
  for (const d of plan.deferred) {
    sentences.push(`Defer ${podName(d.pod)} until ${formatInstant(d.until)}: ${d.reason.message}`);
  }
  for (const b of plan.blocked) sentences.push(`Keep ${podName(b.pod)}: ${b.reason.message}`);
  return sentences;
}
