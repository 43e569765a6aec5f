import { VERDICT_LABEL_PREFIX } from '../domain/verdict-labels.ts';
import { ConditionReason } from './conditions.ts';
import type { Derived } from './facts.ts';
import { type MemberHealth, planInvalidMemberCluster, planMemberCluster } from './member-clusters.ts';
import type { VerdictChange } from './node-verdicts.ts';

/**
 * The Karmada adapter (`--karmada`): verdict labels on Karmada's `cluster.karmada.io/v1alpha1` Clusters.
 * Facts come from the `MemberCluster` record of the same name in the Karmada API server (which RBAC and
 * the chart's ValidatingAdmissionPolicy reserve to administrators), never from the Cluster object, which
 * Karmada's own agents may write; health comes from the Cluster's `Ready` condition, which Karmada keeps
 * (Karmada reaches the members, not the operator). Conformance, labels and sentences are those of
 * `planMemberCluster`: a Karmada Cluster is judged exactly as a hub member is.
 */

/** The parts of a Karmada Cluster the planner reads. */
export interface KarmadaClusterObject {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    kubernetesVersion?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
  };
}

export interface KarmadaClusterPlan {
  /** JSON merge patch of the Cluster's verdict labels, or null when they are already right. */
  patch: { metadata: { labels: Record<string, string | null> } } | null;
  changes: VerdictChange[];
  /** Whether a valid MemberCluster record of the same name holds the facts. */
  recorded: boolean;
  /** When to plan again: the next badge edge. */
  nextTransitionAt: number | null;
}

const parseTime = (value: string | undefined): number | null => {
  const t = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(t) ? null : t;
};

/**
 * The health of a Karmada Cluster as the member planner takes it. Ready=True is reachable now. Anything
 * else is unreachable with no heartbeat, so it conforms to nothing at once: Karmada's cluster-status
 * controller has already waited its own grace period (`--cluster-monitor-grace-period`, 40 s by default)
 * before it sets Ready=False, and a grace of our own on top would only delay the verdict.
 */
export function karmadaClusterHealth(cluster: KarmadaClusterObject, now: number): MemberHealth {
  const ready = cluster.status?.conditions?.find((c) => c.type === 'Ready');
  const since = parseTime(ready?.lastTransitionTime);
  const kubernetesVersion = cluster.status?.kubernetesVersion ?? null;
  if (ready?.status === 'True')
    return {
      state: 'Reachable',
      reason: ConditionReason.Reachable,
      message: `Karmada reports the cluster Ready${ready.message ? `: ${ready.message}` : ''}.`,
      since,
      lastHeartbeat: now,
      kubernetesVersion,
    };
  return {
    state: 'Unreachable',
    reason: ConditionReason.NotProbedYet,
    message: ready
      ? `Karmada reports the cluster Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}${ready.message ? `: ${ready.message}` : ''}.`
      : 'Karmada reports no Ready condition for the cluster yet.',
    since,
    lastHeartbeat: null,
    kubernetesVersion,
  };
}

/**
 * The verdict labels of one Karmada Cluster. Without a valid MemberCluster record of the same name the
 * cluster conforms to nothing: every verdict label goes (a forged one included).
 */
export function planKarmadaCluster(cluster: KarmadaClusterObject, derived: Derived): KarmadaClusterPlan {
  const name = cluster.metadata.name;
  const current = { metadata: { name, labels: cluster.metadata.labels ?? {} } };
  const member = derived.memberClusters.find((m) => m.metadata.name === name);
  if (!member) {
    const { patch } = planInvalidMemberCluster(current, ['no MemberCluster record'], derived.now);
    const changes: VerdictChange[] = Object.keys(patch?.metadata.labels ?? {})
      .filter((key) => key.startsWith(VERDICT_LABEL_PREFIX))
      .map((key) => ({
        key,
        granted: false,
        sentence: `No valid MemberCluster named ${name} records the facts of Karmada cluster ${name}; it conforms to nothing and the label is removed.`,
      }));
    return { patch, changes, recorded: false, nextTransitionAt: null };
  }
  const plan = planMemberCluster(member, current, karmadaClusterHealth(cluster, derived.now), derived);
  return {
    patch: plan.patch,
    changes: plan.changes,
    recorded: true,
    nextTransitionAt: plan.nextTransitionAt,
  };
}
