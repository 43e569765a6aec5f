import type { MemberCluster } from '../api/index.ts';
import { formatDuration, parseDuration } from '../domain/duration.ts';
import { verdictSentence } from '../domain/explain.ts';
import { type ConformanceRequirement, describeRequirement, requirementKey } from '../domain/requirement.ts';
import type { Target } from '../domain/target.ts';
import type { Derived } from './facts.ts';
import {
  type MemberClusterObject,
  type MemberHealth,
  memberHealthNow,
  memberTarget,
} from './member-clusters.ts';
import type { NodeObject } from './objects.ts';
import {
  MAX_REPORT_RESULTS,
  POLICY_REPORT_API_VERSION,
  POLICY_REPORT_SOURCE,
  type PolicyReportResult,
  type PolicyReportSummary,
  type ReportResultValue,
  TRUNCATED_ANNOTATION,
} from './policy-reports.ts';

/**
 * The operator's current verdicts of cluster-scoped targets as `wgpolicyk8s.io/v1alpha2`
 * ClusterPolicyReports: one report for the nodes, and in hub mode one for the member clusters, with one
 * result per target and requirement in use (pass or fail, the policies or workloads that ask it, the
 * requirement as the rule, the reason codes and the verdict sentence). Pure: the operator applies them.
 */

export const NODES_REPORT_NAME = 'sovereign-placement-nodes';
export const MEMBER_CLUSTERS_REPORT_NAME = 'sovereign-placement-member-clusters';
/** How many users of one requirement are named in a result's `policies` property; the rest are counted. */
const MAX_NAMED_USERS = 10;

/** A PolicyReport result whose resources are cluster-scoped (no namespace). */
export type ClusterPolicyReportResult = Omit<PolicyReportResult, 'resources'> & {
  resources: { apiVersion: string; kind: string; name: string; uid?: string }[];
};

export interface ClusterPolicyReportObject {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: 'ClusterPolicyReport';
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  summary: PolicyReportSummary;
  results: ClusterPolicyReportResult[];
}

/** One distinct requirement with its expiry lead time, and who asks for it. */
export interface RequirementInUse {
  requirement: ConformanceRequirement;
  leadTimeMs: number;
  /** `SovereigntyPolicy/<ns>/<name>`, `ClusterSovereigntyPolicy/<name>`, `SovereignWorkload/<ns>/<name>`, sorted. */
  users: string[];
}

const refOf = (kind: string, meta: { name: string; namespace?: string }) =>
  meta.namespace ? `${kind}/${meta.namespace}/${meta.name}` : `${kind}/${meta.name}`;

/**
 * The distinct requirements nodes are judged against (every policy's), or with `members` those member
 * clusters are judged against (every policy's and every SovereignWorkload's), each with its lead time.
 */
export function requirementsInUse(derived: Derived, { members = false } = {}): RequirementInUse[] {
  const byKey = new Map<string, RequirementInUse>();
  const add = (requirement: ConformanceRequirement, leadTimeMs: number, user: string) => {
    const key = `${requirementKey(requirement)}#${leadTimeMs}`;
    const known = byKey.get(key);
    if (known) known.users.push(user);
    else byKey.set(key, { requirement, leadTimeMs, users: [user] });
  };
  for (const p of derived.policies)
    add(p.spec.requirement, parseDuration(p.spec.failover.expiryLeadTime), refOf(p.kind, p.metadata));
  if (members)
    for (const w of derived.workloads)
      add(
        w.spec.requirement,
        parseDuration(w.spec.failover.expiryLeadTime),
        refOf('SovereignWorkload', w.metadata),
      );
  const uses = [...byKey.values()];
  for (const u of uses) u.users.sort();
  return uses.sort((a, b) => ruleOf(a).localeCompare(ruleOf(b)) || a.leadTimeMs - b.leadTimeMs);
}

/** The rule of a result: the requirement as a sentence (its lead time is the `expiryLeadTime` property). */
export const ruleOf = (use: Pick<RequirementInUse, 'requirement'>): string =>
  describeRequirement(use.requirement);

const order: Record<ReportResultValue, number> = { fail: 0, skip: 1, pass: 2 };

interface Judged {
  target: Target;
  resource: ClusterPolicyReportResult['resources'][number];
}

function report(
  name: string,
  judged: readonly Judged[],
  uses: readonly RequirementInUse[],
  derived: Derived,
  maxResults: number,
): { report: ClusterPolicyReportObject; nextTransitionAt: number | null } {
  const timestamp = { seconds: Math.floor(derived.now / 1000), nanos: 0 };
  const summary: PolicyReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const results: ClusterPolicyReportResult[] = [];
  let next: number | null = null;
  for (const { target, resource } of judged) {
    for (const use of uses) {
      const verdict = derived.evaluator.evaluate(target, use.requirement, {
        expiryLeadTimeMs: use.leadTimeMs,
      });
      if (verdict.nextTransitionAt !== null)
        next = next === null ? verdict.nextTransitionAt : Math.min(next, verdict.nextTransitionAt);
      const result: ReportResultValue = verdict.conforms ? 'pass' : 'fail';
      summary[result]++;
      const named = use.users.slice(0, MAX_NAMED_USERS);
      const more = use.users.length - named.length;
      results.push({
        policy: use.users[0] ?? '',
        rule: ruleOf(use),
        result,
        message: verdictSentence(target, use.requirement, verdict),
        source: POLICY_REPORT_SOURCE,
        scored: true,
        timestamp,
        resources: [resource],
        properties: {
          expiryLeadTime: formatDuration(use.leadTimeMs),
          policies: more > 0 ? `${named.join(',')},+${more} more` : named.join(','),
          ...(target.membership.service ? { cloudService: target.membership.service.metadata.name } : {}),
          reasons: verdict.reasons.map((r) => r.code).join(','),
        },
      });
    }
  }
  // Failures first (a stable sort: then by target, then in the order of the requirements), so that a truncated report still shows every target that needs attention.
  results.sort(
    (a, b) =>
      order[a.result] - order[b.result] ||
      (a.resources[0]?.name ?? '').localeCompare(b.resources[0]?.name ?? ''),
  );
  const kept = results.slice(0, maxResults);
  return {
    report: {
      apiVersion: POLICY_REPORT_API_VERSION,
      kind: 'ClusterPolicyReport',
      metadata: {
        name,
        labels: { 'app.kubernetes.io/managed-by': POLICY_REPORT_SOURCE },
        ...(kept.length < results.length
          ? { annotations: { [TRUNCATED_ANNOTATION]: `${kept.length} of ${results.length}` } }
          : {}),
      },
      summary,
      results: kept,
    },
    nextTransitionAt: next,
  };
}

/**
 * The nodes' ClusterPolicyReport at `derived.now`: one result per node the operator assesses and per
 * requirement any policy uses, and the next instant a result can change.
 */
export function planNodesReport(
  nodes: readonly NodeObject[],
  derived: Derived,
  maxResults = MAX_REPORT_RESULTS,
): { report: ClusterPolicyReportObject; nextTransitionAt: number | null } {
  const judged = [...nodes]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .flatMap((node): Judged[] => {
      const target = derived.targets.get(node.metadata.name);
      if (!target) return [];
      const { name, uid } = node.metadata;
      return [{ target, resource: { apiVersion: 'v1', kind: 'Node', name, ...(uid ? { uid } : {}) } }];
    });
  return report(NODES_REPORT_NAME, judged, requirementsInUse(derived), derived, maxResults);
}

/** A member cluster as the hub sees it: its validated record, the stored object and the prober's view. */
export interface ObservedMember {
  member: MemberCluster;
  current: MemberClusterObject;
  health: MemberHealth;
}

/**
 * The member clusters' ClusterPolicyReport (hub mode): one result per valid member and per requirement
 * any policy or SovereignWorkload uses, judged with the same health rule as the member's `Ready`.
 */
export function planMemberClustersReport(
  members: readonly ObservedMember[],
  derived: Derived,
  maxResults = MAX_REPORT_RESULTS,
): { report: ClusterPolicyReportObject; nextTransitionAt: number | null } {
  let graceEnds: number | null = null;
  const judged = [...members]
    .sort((a, b) => a.member.metadata.name.localeCompare(b.member.metadata.name))
    .map(({ member, current, health }): Judged => {
      const { healthy, graceEndsAt } = memberHealthNow(member, current, health, derived.now);
      if (graceEndsAt !== null)
        graceEnds = graceEnds === null ? graceEndsAt : Math.min(graceEnds, graceEndsAt);
      const { name, uid } = member.metadata as { name: string; uid?: string };
      return {
        target: memberTarget(member, derived, healthy),
        resource: {
          apiVersion: member.apiVersion ?? 'sovereign-placement.io/v1alpha1',
          kind: 'MemberCluster',
          name,
          ...(uid ? { uid } : {}),
        },
      };
    });
  const planned = report(
    MEMBER_CLUSTERS_REPORT_NAME,
    judged,
    requirementsInUse(derived, { members: true }),
    derived,
    maxResults,
  );
  const next: number | null = planned.nextTransitionAt;
  const ends = graceEnds as number | null;
  return {
    report: planned.report,
    nextTransitionAt: ends === null ? next : next === null ? ends : Math.min(next, ends),
  };
}
