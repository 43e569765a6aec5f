import type { AnyPolicy, CloudService, MemberCluster, SovereignWorkload } from '../api/index.ts';
import { badgeEvidence } from '../cluster/audit-records.ts';
import { type Derived, derive, leadTimeOf } from '../cluster/facts.ts';
import { assessNodes } from '../cluster/nodes.ts';
import type { NodeObject, PodObject } from '../cluster/objects.ts';
import { namespaceLabelsByName, podIdentity } from '../cluster/policy-plan.ts';
import type { Verdict } from '../domain/conformance.ts';
import { formatDuration, parseDuration } from '../domain/duration.ts';
import { verdictJson } from '../domain/explain.ts';
import { memberClusterTarget } from '../domain/membership.ts';
import {
  type BadgeType,
  type ConformanceRequirement,
  normalizeRequirement,
  requirementKey,
} from '../domain/requirement.ts';
import { isClusterPolicy, type PodIdentity } from '../domain/selection.ts';
import type { Labels } from '../domain/selector.ts';
import type { Target } from '../domain/target.ts';
import type { Inventory } from './inventory.ts';
import type {
  BadgeEvidenceOutput,
  EvidenceOutput,
  HealthSource,
  ObjectRefOutput,
  RequirementOutput,
  VerdictOutput,
} from './output-schema.ts';

/**
 * The facts of an inventory at one instant, derived exactly as the operator derives them (state.ts
 * `derive`: the same validation, service catalogue, node targets and memoising evaluator), plus the
 * member clusters, which the hub evaluates with the same evaluator.
 */
export interface Evaluation {
  readonly inventory: Inventory;
  readonly at: number;
  readonly derived: Derived;
  clusterTarget(cluster: MemberCluster): Target;
  clusterVerdict(cluster: MemberCluster, workload: SovereignWorkload): Verdict;
  nodeVerdict(policy: AnyPolicy, node: NodeObject): Verdict | null;
  /** A pod as selection sees it, with its Namespace's labels from the inventory. */
  podIdentity(pod: PodObject): PodIdentity;
  /** Labels of each Namespace of the inventory, by name. */
  namespaceLabels: ReadonlyMap<string, Labels>;
}

type RecordedCondition = NonNullable<NonNullable<MemberCluster['status']>['conditions']>[number];

/** Whether a member counts as healthy, and where that comes from. */
export interface MemberHealth {
  healthy: boolean;
  source: HealthSource;
  ready: RecordedCondition | null;
}

/**
 * The hub's health judgement of a member, as recorded in its status: healthy on Ready True, not on Ready
 * False or Unknown (the hub itself only counts a member healthy on Ready True; sovctl cannot probe
 * members). Without a Ready condition (a record the hub never judged, an offline inventory) the member
 * is assumed healthy.
 */
export function memberHealth(cluster: MemberCluster): MemberHealth {
  const ready = cluster.status?.conditions?.find((c) => c.type === 'Ready') ?? null;
  if (ready === null) return { healthy: true, source: 'Assumed', ready };
  return { healthy: ready.status === 'True', source: 'ReadyCondition', ready };
}

export const memberHealthy = (cluster: MemberCluster): boolean => memberHealth(cluster).healthy;

export const workloadLeadTime = (workload: SovereignWorkload): number =>
  parseDuration(workload.spec.failover.expiryLeadTime);

export function evaluate(inventory: Inventory, at: number): Evaluation {
  const derived = derive(
    {
      nodes: inventory.nodes,
      pods: inventory.pods,
      namespaces: inventory.namespaces,
      budgets: [],
      claims: inventory.claims,
      volumes: inventory.volumes,
      storageClasses: inventory.storageClasses,
      policies: inventory.policies.filter((p) => !isClusterPolicy(p)),
      clusterPolicies: inventory.policies.filter(isClusterPolicy),
      services: inventory.services,
      areas: inventory.areas,
    },
    at,
  );
  const clusterTargets = new Map<MemberCluster, Target>();
  const clusterTarget = (cluster: MemberCluster): Target => {
    let target = clusterTargets.get(cluster);
    if (!target) {
      target = memberClusterTarget(cluster, derived.catalog, memberHealthy(cluster));
      clusterTargets.set(cluster, target);
    }
    return target;
  };
  const namespaceLabels = namespaceLabelsByName(inventory.namespaces);
  return {
    inventory,
    at,
    derived,
    namespaceLabels,
    podIdentity: (pod) => podIdentity(pod, namespaceLabels),
    clusterTarget,
    clusterVerdict: (cluster, workload) =>
      derived.evaluator.evaluate(clusterTarget(cluster), workload.spec.requirement, {
        expiryLeadTimeMs: workloadLeadTime(workload),
      }),
    nodeVerdict: (policy, node) => assessNodes(policy, [node], derived)[0]?.verdict ?? null,
  };
}

export const nameOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const nsName = (o: { metadata: { namespace?: string | undefined; name: string } }): string =>
  `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

export const refOf = (o: { metadata: { namespace?: string | undefined; name: string } }) => ({
  namespace: o.metadata.namespace ?? 'default',
  name: o.metadata.name,
});

export const byNamespacedName = <T extends { metadata: { namespace?: string | undefined; name: string } }>(
  a: T,
  b: T,
): number => nameOrder(nsName(a), nsName(b));

/** Cluster policies first, by name; then namespaced objects by namespace and name (as policiesSelecting orders). */
export const byPolicyOrder = (a: AnyPolicy | SovereignWorkload, b: AnyPolicy | SovereignWorkload): number =>
  Number(a.kind !== 'ClusterSovereigntyPolicy') - Number(b.kind !== 'ClusterSovereigntyPolicy') ||
  nameOrder(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
  nameOrder(a.metadata.name, b.metadata.name);

/** A policy or workload as its kind, namespace (null for a cluster policy) and name. */
export const ownerRef = (o: AnyPolicy | SovereignWorkload): ObjectRefOutput =>
  o.kind === 'ClusterSovereigntyPolicy'
    ? { kind: o.kind, namespace: null, name: o.metadata.name }
    : { kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name };

/** "ClusterSovereigntyPolicy dora-sovereign-eu", "SovereigntyPolicy payments/ledger-sovereign-eu". */
export const policyText = (p: AnyPolicy): string =>
  p.kind === 'ClusterSovereigntyPolicy'
    ? `ClusterSovereigntyPolicy ${p.metadata.name}`
    : `SovereigntyPolicy ${nsName(p)}`;

export function requirementJson(requirement: AnyPolicy['spec']['requirement']): RequirementOutput {
  const r = normalizeRequirement(requirement);
  return {
    badges: [...r.badges],
    badgeMatch: r.badgeMatch,
    area: r.area,
    minimumAssurance: r.minimumAssurance,
    minimumSchemeLevels: r.minimumSchemeLevels ? { ...r.minimumSchemeLevels } : null,
    minimumProviders: requirement.minimumProviders ?? 1,
  };
}

/** A requirement in use with one lead time, and who uses it. */
export interface RequirementInUse {
  requirement: ConformanceRequirement;
  leadTimeMs: number;
  usedBy: ObjectRefOutput[];
}

/**
 * The distinct (requirement, lead time) pairs of the owners (policies or workloads), in order of first
 * use; when there is none, every (badge, area) pair of the known areas at any assurance, so that
 * `explain` still says what the target could satisfy.
 */
export function requirementsInUse(
  owners: readonly (AnyPolicy | SovereignWorkload)[],
  leadTimeOfOwner: (owner: AnyPolicy | SovereignWorkload) => number,
  areaNames: readonly string[],
): RequirementInUse[] {
  const found = new Map<string, RequirementInUse>();
  for (const owner of [...owners].sort(byPolicyOrder)) {
    const leadTimeMs = leadTimeOfOwner(owner);
    const key = `${requirementKey(owner.spec.requirement)}#${leadTimeMs}`;
    const known = found.get(key);
    if (known) known.usedBy.push(ownerRef(owner));
    else found.set(key, { requirement: owner.spec.requirement, leadTimeMs, usedBy: [ownerRef(owner)] });
  }
  if (found.size > 0) return [...found.values()];
  const badges: BadgeType[] = ['Sovereign', 'Resilient'];
  return [...areaNames].sort(nameOrder).flatMap((area) =>
    badges.map((badge) => ({
      requirement: { badges: [badge], area, minimumAssurance: 'SelfDeclared' as const },
      leadTimeMs: 0,
      usedBy: [],
    })),
  );
}

export const policyLeadTime = (owner: AnyPolicy | SovereignWorkload): number =>
  owner.kind === 'SovereignWorkload' ? workloadLeadTime(owner) : leadTimeOf(owner);

export const formatLeadTime = (ms: number): string => formatDuration(ms);

export function providerJson(service: CloudService): EvidenceOutput['provider'] {
  const p = service.spec.provider;
  return {
    name: p.name,
    legalJurisdiction: p.legalJurisdiction,
    ultimateParent: p.ultimateParent
      ? { name: p.ultimateParent.name, legalJurisdiction: p.ultimateParent.legalJurisdiction }
      : null,
  };
}

export const allBadgeEvidence = (service: CloudService): BadgeEvidenceOutput[] =>
  service.spec.badges.map(badgeEvidence);

/** The CloudService of a target and its badges relevant to the requirement; null when none is known. */
export function evidenceOf(target: Target, requirement: ConformanceRequirement): EvidenceOutput | null {
  const service = target.membership.service;
  if (!service) return null;
  const r = normalizeRequirement(requirement);
  return {
    cloudService: service.metadata.name,
    provider: providerJson(service),
    badges: service.spec.badges
      .filter((b) => b.area === r.area && r.badges.includes(b.type))
      .map(badgeEvidence),
  };
}

/**
 * The domain's verdictJson, typed as the documented output (whose minimumAssurance is an enum where
 * the domain says string): the value is not touched.
 */
export const verdictOutput = (...args: Parameters<typeof verdictJson>): VerdictOutput =>
  verdictJson(...args) as VerdictOutput;
