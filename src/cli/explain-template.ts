import type { AnyPolicy } from '../api/index.ts';
import {
  type BindingLookups,
  bindingRequirements,
  pinBinding,
  planBindingPin,
  templateIdentity,
} from '../cluster/admission/admit-binding.ts';
import { type Derived, leadTimeOf } from '../cluster/facts.ts';
import {
  type KarmadaStandings,
  karmadaStandings,
  NO_CONFORMING_CLUSTER,
  pinnedNames,
  readPinRecord,
  whyNotConforming,
} from '../cluster/karmada-placement.ts';
import { isClusterPolicy, policiesSelecting } from '../domain/selection.ts';
import { formatInstant } from '../domain/time.ts';
import { type Evaluation, formatLeadTime, ownerRef, requirementJson } from './evaluate.ts';
import type { ResourceBindingObject, TemplateObject } from './inventory.ts';
import type { TemplateExplanation } from './output-schema.ts';
import type { TemplateKind } from './target-ref.ts';

/**
 * A resource template of a Karmada API server (Deployment, StatefulSet, DaemonSet, Job) as the operator
 * sees it in Karmada mode: the policies that select it, its ResourceBinding, where Karmada scheduled it,
 * what it is pinned to, and every Karmada cluster judged by `karmadaStandings`, the function the operator
 * pins with, so that this never says something the operator would not do.
 */

const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';

/** The binding Karmada made for the template: the one whose spec.resource names it. */
export function bindingOf(
  bindings: readonly ResourceBindingObject[],
  template: TemplateObject,
): ResourceBindingObject | null {
  const namespace = template.metadata.namespace ?? 'default';
  return (
    bindings.find((b) => {
      const r = b.spec.resource;
      return (
        r.kind === template.kind &&
        r.name === template.metadata.name &&
        (r.namespace ?? b.metadata.namespace ?? 'default') === namespace &&
        groupOf(r.apiVersion) === groupOf(template.apiVersion)
      );
    }) ?? null
  );
}

/** The policies of the template's namespace and the cluster policies, as the operator's webhook looks them up. */
const policiesOf = (ev: Evaluation, namespace: string): AnyPolicy[] =>
  ev.inventory.policies.filter(
    (p) => isClusterPolicy(p) || (p.metadata.namespace ?? 'default') === namespace,
  );

/** The evaluation's facts with the MemberCluster records, which the Karmada standings read. */
export const karmadaDerived = (ev: Evaluation): Derived => ({
  ...ev.derived,
  memberClusters: ev.inventory.memberClusters,
});

/** The policies that select a template, cluster policies first. */
export function policiesSelectingTemplate(ev: Evaluation, template: TemplateObject): AnyPolicy[] {
  const namespace = template.metadata.namespace ?? 'default';
  const ref = {
    apiVersion: template.apiVersion,
    kind: template.kind,
    namespace,
    name: template.metadata.name,
  };
  return policiesSelecting(
    policiesOf(ev, namespace),
    templateIdentity(ref, template.metadata.labels ?? {}, ev.namespaceLabels.get(namespace)),
  );
}

/** What pinning reads, from the inventory instead of the operator's caches. */
function inventoryLookups(ev: Evaluation, template: TemplateObject, derived: Derived): BindingLookups {
  return {
    policies: (namespace) => ({
      policies: policiesOf(ev, namespace),
      namespaceLabels: ev.namespaceLabels.get(namespace) ?? {},
    }),
    template: () => ({ labels: template.metadata.labels ?? {} }),
    clusters: (policies) => karmadaStandings(ev.inventory.karmadaClusters, policies, derived).conforming,
  };
}

const listed = (names: readonly string[]): string => (names.length === 0 ? 'no cluster' : names.join(', '));

const pinText = (names: readonly string[]): string =>
  names.length === 1 && names[0] === NO_CONFORMING_CLUSTER ? 'no cluster' : listed(names);

type ReplicaScheduling = { replicaScheduling?: { replicaSchedulingType?: unknown } | null };

/** The affinity terms of a binding's placement: each of clusterAffinities, or the one clusterAffinity. */
function affinityTerms(
  binding: ResourceBindingObject,
): ({ clusterNames?: string[] | null } | null | undefined)[] {
  const p = binding.spec.placement;
  return p?.clusterAffinities && p.clusterAffinities.length > 0 ? p.clusterAffinities : [p?.clusterAffinity];
}

/** The pin the operator would write now, compared with the binding's. */
function pinOf(
  ev: Evaluation,
  template: TemplateObject,
  binding: ResourceBindingObject | null,
  enforcing: readonly AnyPolicy[],
  standings: KarmadaStandings,
  derived: Derived,
): TemplateExplanation['pin'] {
  if (enforcing.length === 0) return { expected: null, upToDate: null, differences: [] };
  if (!binding)
    return {
      expected: [pinnedNames(undefined, undefined, standings.conforming).names],
      upToDate: null,
      differences: [],
    };
  const namespace = template.metadata.namespace ?? 'default';
  const plan = planBindingPin(binding, namespace, inventoryLookups(ev, template, derived), 'UPDATE');
  if (plan.decision !== 'pin') return { expected: null, upToDate: null, differences: [] };
  const expected = pinBinding(binding, bindingRequirements(plan.selecting) ?? [], plan.conforming).record
    .pinned;
  const differences: string[] = [];
  affinityTerms(binding).forEach((term, i) => {
    const now = term?.clusterNames ?? [];
    const due = expected[i] ?? [];
    if (now.length === due.length && now.every((n, j) => due[j] === n)) return;
    const which = expected.length > 1 ? `Affinity term ${i + 1} of the binding` : 'The binding';
    differences.push(
      `${which} is pinned to ${now.length === 0 ? 'no cluster name (every cluster)' : pinText(now)}, but the operator would pin it to ${pinText(due)} now: its binding controller re-pins when the conforming clusters change, so the pin lags behind for as long as the operator's caches do (or the operator is down).`,
    );
  });
  if (differences.length === 0 && plan.patch.length > 0)
    differences.push(
      "The binding's cluster names are right, but the operator would still add its verdict-label expression or its pin record.",
    );
  return { expected, upToDate: plan.patch.length === 0, differences };
}

export function explainTemplate(ev: Evaluation, template: TemplateObject): TemplateExplanation {
  const inv = ev.inventory;
  const namespace = template.metadata.namespace ?? 'default';
  const derived = karmadaDerived(ev);
  const selecting = policiesSelectingTemplate(ev, template);
  const enforcing = selecting.filter((p) => p.spec.mode === 'Enforce');
  const all = karmadaStandings(inv.karmadaClusters, selecting, derived);
  const enforced = karmadaStandings(inv.karmadaClusters, enforcing, derived);
  const binding = bindingOf(inv.resourceBindings, template);
  const scheduled = (binding?.spec.clusters ?? []).map((c) => ({
    cluster: c.name,
    replicas: c.replicas ?? null,
  }));
  const terms = binding
    ? affinityTerms(binding).map((t) => (t?.clusterNames?.length ? [...t.clusterNames] : null))
    : [];
  const pinnedSet = terms.some((t) => t !== null) ? new Set(terms.flatMap((t) => t ?? [])) : null;
  const pinnedToNoCluster =
    terms.length > 0 && terms.every((t) => t !== null && t.length === 1 && t[0] === NO_CONFORMING_CLUSTER);
  const karmada = inv.karmadaClusters.length > 0;
  // Without Karmada clusters there is no pin to judge: every cluster name would be "not conforming".
  const pin = karmada
    ? pinOf(ev, template, binding, enforcing, enforced, derived)
    : { expected: null, upToDate: null, differences: [] };
  const replicaScheduling = (binding?.spec.placement as ReplicaScheduling | null | undefined)
    ?.replicaScheduling?.replicaSchedulingType;

  const clusters = all.clusters.map((s) => {
    const placed = scheduled.find((c) => c.cluster === s.name);
    return {
      name: s.name,
      conforms: selecting.length === 0 ? null : s.conforms,
      scheduled: placed !== undefined,
      replicas: placed?.replicas ?? null,
      pinned: pinnedSet === null ? null : pinnedSet.has(s.name),
      reasons: selecting.length === 0 ? [] : s.reasons.map((r) => ({ code: r.code, message: r.message })),
      verdicts: s.verdicts.map((v, i) => ({
        policy: ownerRef(selecting[i] as AnyPolicy),
        conforms: v.conforms,
        reasons: v.reasons.map((r) => ({ code: r.code, message: r.message })),
        nextTransitionAt: v.nextTransitionAt === null ? null : formatInstant(v.nextTransitionAt),
      })),
    };
  });

  const explanation: TemplateExplanation = {
    kind: template.kind as TemplateKind,
    namespace,
    name: template.metadata.name,
    at: formatInstant(ev.at),
    karmada,
    policies: selecting.map((p) => ({
      policy: ownerRef(p),
      mode: p.spec.mode,
      requirement: requirementJson(p.spec.requirement),
      expiryLeadTime: formatLeadTime(leadTimeOf(p)),
    })),
    binding: binding
      ? {
          name: binding.metadata.name,
          replicaScheduling: typeof replicaScheduling === 'string' ? replicaScheduling : null,
          scheduled,
          pinned: terms,
          pinnedToNoCluster,
          pinRecorded: readPinRecord(binding.metadata.annotations) !== null,
        }
      : null,
    conforming: enforcing.length === 0 || !karmada ? [] : enforced.conforming,
    pin,
    clusters,
    notes: [],
  };

  const notes: string[] = [];
  if (!karmada)
    notes.push(
      `${inv.source.location} holds no Karmada Cluster (cluster.karmada.io/v1alpha1): it is not a Karmada API server, or no member cluster has joined, so nothing places this ${template.kind} across clusters. Give the kubeconfig of the Karmada API server.`,
    );
  if (selecting.length === 0)
    notes.push(
      `No SovereigntyPolicy or ClusterSovereigntyPolicy selects this ${template.kind}: the operator does not pin its binding, and Karmada places it as its PropagationPolicy says.`,
    );
  else if (enforcing.length === 0)
    notes.push(
      'Only Audit policies select it: its binding is not pinned, and a non-conforming cluster it is scheduled on is reported, not avoided.',
    );
  if (!karmada) return { ...explanation, notes };
  if (!binding)
    notes.push(
      `Karmada has made no ResourceBinding for it yet${enforcing.length > 0 ? ", so it runs nowhere: in an enrolled namespace the operator's webhook refuses a binding while the operator is down or has not cached the template yet, and Karmada's detector retries" : ''}.${
        pin.expected ? ` The operator would pin it to ${pinText(pin.expected[0] ?? [])}.` : ''
      }`,
    );
  if (binding && pinnedToNoCluster)
    notes.push(
      `It is pinned to no cluster (${NO_CONFORMING_CLUSTER}): no Karmada cluster conforms to its Enforce policies, so Karmada places it nowhere rather than on a non-conforming cluster.`,
    );
  if (binding && scheduled.length === 0 && !pinnedToNoCluster)
    notes.push("Karmada has not scheduled it on any cluster yet (the binding's spec.clusters is empty).");
  const unknown = scheduled
    .filter((c) => !all.clusters.some((s) => s.name === c.cluster))
    .map((c) => c.cluster);
  if (unknown.length > 0)
    notes.push(
      `Scheduled on ${listed(unknown)}, which ${unknown.length === 1 ? 'is not a Karmada Cluster' : 'are not Karmada Clusters'} here.`,
    );
  const off = clusters.filter((c) => c.scheduled && c.conforms === false).map((c) => c.name);
  if (off.length > 0)
    notes.push(
      `Scheduled on ${listed(off)}, which ${off.length === 1 ? 'does' : 'do'} not conform${
        enforcing.length > 0 ? ' (a move under way, or a pin that lags)' : ' (Audit: reported only)'
      }. ${whyNotConforming(off, all)}`,
    );

  return { ...explanation, notes };
}
