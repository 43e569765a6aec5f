import { API_VERSION } from '../api/group.ts';
import type { AnyPolicy } from '../api/index.ts';
import { verdictSentence } from '../domain/explain.ts';
import { describeRequirement } from '../domain/requirement.ts';
import { isClusterPolicy } from '../domain/selection.ts';
import type { PodObject } from './objects.ts';
import type { PolicyPlan } from './policy-plan.ts';

/**
 * The operator's current results as `wgpolicyk8s.io/v1alpha2` PolicyReports (the Kubernetes Policy
 * working group's format, which Kyverno writes and Policy Reporter displays): for one policy, one report
 * per namespace holding pods it selects, one result per pod. Pure: the controller applies them.
 */

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
export const POLICY_REPORT_SOURCE = 'sovereign-placement';
/** Results kept in one report; the summary still counts every pod. */
export const MAX_REPORT_RESULTS = 1_000;
/** Set on a report that holds fewer results than the pods it counts: "<kept> of <total>". */
export const TRUNCATED_ANNOTATION = 'sovereign-placement.io/results-truncated';

export type ReportResultValue = 'pass' | 'fail' | 'skip';

export interface PolicyReportResult {
  policy: string;
  rule: string;
  result: ReportResultValue;
  message: string;
  source: string;
  scored: boolean;
  timestamp: { seconds: number; nanos: number };
  resources: { apiVersion: string; kind: string; namespace: string; name: string; uid?: string }[];
  properties: Record<string, string>;
}

export interface PolicyReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReportObject {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: 'PolicyReport';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  };
  summary: PolicyReportSummary;
  results: PolicyReportResult[];
}

/** What planPolicy already computed for the policy: nothing is evaluated twice for its reports. */
export interface PolicyReportsInput {
  policy: AnyPolicy;
  plan: Pick<PolicyPlan, 'assessed' | 'selected'>;
  now: number;
  maxResults?: number;
}

/** The report's name in each namespace: one per policy, so that policies never overwrite each other. */
export const policyReportName = (policy: AnyPolicy): string =>
  isClusterPolicy(policy)
    ? `sovereign-placement-cluster-${policy.metadata.name}`
    : `sovereign-placement-${policy.metadata.name}`;

const order: Record<ReportResultValue, number> = { fail: 0, skip: 1, pass: 2 };

/**
 * The PolicyReports of one policy at `now`, from its plan. A SovereigntyPolicy always has the report of its own
 * namespace (empty when it selects no pod, so that old results disappear); a ClusterSovereigntyPolicy
 * has one in each namespace holding pods it selects. A pod not yet bound to a node is `skip`.
 */
export function planPolicyReports(input: PolicyReportsInput): PolicyReportObject[] {
  const { policy, plan, now } = input;
  const max = input.maxResults ?? MAX_REPORT_RESULTS;
  const requirement = policy.spec.requirement;
  const rule = describeRequirement(requirement);
  const policyName = `${policy.kind}/${policy.metadata.name}`;
  const timestamp = { seconds: Math.floor(now / 1000), nanos: 0 };
  const byNode = new Map(plan.assessed.map((a) => [a.node.metadata.name, a]));

  const resultOf = (pod: PodObject): PolicyReportResult => {
    const nodeName = pod.spec?.nodeName;
    const assessed = nodeName ? byNode.get(nodeName) : undefined;
    const base = {
      policy: policyName,
      rule,
      source: POLICY_REPORT_SOURCE,
      scored: true,
      timestamp,
      resources: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: pod.metadata.namespace ?? '',
          name: pod.metadata.name,
          ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
        },
      ],
    };
    if (!nodeName || !assessed) {
      return {
        ...base,
        result: 'skip',
        message: nodeName
          ? `Pod ${pod.metadata.name} runs on node ${nodeName}, which the operator does not assess.`
          : `Pod ${pod.metadata.name} is not bound to a node yet.`,
        properties: { mode: policy.spec.mode, ...(nodeName ? { node: nodeName } : {}) },
      };
    }
    const { verdict, target } = assessed;
    return {
      ...base,
      result: verdict.conforms ? 'pass' : 'fail',
      message: verdictSentence({ kind: 'Node', name: nodeName }, requirement, verdict),
      properties: {
        mode: policy.spec.mode,
        node: nodeName,
        ...(target.membership.service ? { cloudService: target.membership.service.metadata.name } : {}),
        reasons: verdict.reasons.map((r) => r.code).join(','),
      },
    };
  };

  const byNamespace = new Map<string, PolicyReportResult[]>();
  if (!isClusterPolicy(policy)) byNamespace.set(policy.metadata.namespace ?? '', []);
  for (const pod of plan.selected) {
    const namespace = pod.metadata.namespace ?? '';
    const results = byNamespace.get(namespace) ?? [];
    results.push(resultOf(pod));
    byNamespace.set(namespace, results);
  }

  return [...byNamespace.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, results]) => {
      const summary: PolicyReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
      for (const r of results) summary[r.result]++;
      // Failures first, so that a truncated report still shows every pod that needs attention.
      const sorted = results.sort(
        (a, b) =>
          order[a.result] - order[b.result] ||
          (a.resources[0]?.name ?? '').localeCompare(b.resources[0]?.name ?? ''),
      );
      const kept = sorted.slice(0, max);
      const uid = policy.metadata.uid;
      return {
        apiVersion: POLICY_REPORT_API_VERSION,
        kind: 'PolicyReport',
        metadata: {
          name: policyReportName(policy),
          namespace,
          labels: { 'app.kubernetes.io/managed-by': POLICY_REPORT_SOURCE },
          ...(kept.length < results.length
            ? { annotations: { [TRUNCATED_ANNOTATION]: `${kept.length} of ${results.length}` } }
            : {}),
          ...(uid
            ? {
                ownerReferences: [
                  { apiVersion: API_VERSION, kind: policy.kind, name: policy.metadata.name, uid },
                ],
              }
            : {}),
        },
        summary,
        results: kept,
      };
    });
}
