import type { AnyPolicy } from '../api/index.ts';
import { assessNodes, conformingCapacityOf } from '../cluster/nodes.ts';
import type { PodObject } from '../cluster/objects.ts';
import { resolveArea } from '../domain/areas.ts';
import type { CapacitySummary } from '../domain/capacity.ts';
import type { Verdict } from '../domain/conformance.ts';
import { type OwnerReference, policiesSelecting } from '../domain/selection.ts';
import { formatInstant } from '../domain/time.ts';
import { evaluate, policyText, requirementJson } from './evaluate.ts';
import { placementOf } from './explain.ts';
import { describeObject, type Inventory, inventoryFrom } from './inventory.ts';
import { describeRequirementOutput } from './render/sentences.ts';
import type { SourceObject } from './sources.ts';

export type FindingCode =
  | 'Invalid'
  | 'UnknownArea'
  | 'NoConformingNode'
  | 'TooFewProviders'
  | 'PlacementIncomplete'
  | 'WorkloadWithoutConformingNode';

export interface Finding {
  file: string;
  line: number;
  object: string;
  code: FindingCode;
  message: string;
}

export interface CheckResult {
  kind: 'SovereigntyCheck';
  at: string;
  inventory: string | null;
  objects: number;
  findings: Finding[];
}

interface WorkloadShape {
  kind: string;
  labels: Record<string, string>;
  owners: OwnerReference[] | undefined;
}

/**
 * The pods a workload object would create, as selection sees them: labels of the pod template and the
 * owner their controller stamps (a Deployment's pods are owned by a ReplicaSet, a CronJob's by a Job).
 */
function workloadShape(object: unknown): WorkloadShape | null {
  const o = object as {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; labels?: Record<string, string>; ownerReferences?: OwnerReference[] };
    spec?: {
      template?: { metadata?: { labels?: Record<string, string> } };
      jobTemplate?: { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };
    };
  };
  const name = o?.metadata?.name ?? '';
  const template = o?.spec?.template?.metadata?.labels ?? {};
  const owner = (kind: string): OwnerReference[] => [{ kind, name, controller: true }];
  switch (`${o?.apiVersion}/${o?.kind}`) {
    case 'v1/Pod':
      return { kind: 'Pod', labels: o.metadata?.labels ?? {}, owners: o.metadata?.ownerReferences };
    case 'apps/v1/Deployment':
      return { kind: 'Deployment', labels: template, owners: owner('ReplicaSet') };
    case 'apps/v1/StatefulSet':
    case 'apps/v1/DaemonSet':
    case 'batch/v1/Job':
      return { kind: o.kind as string, labels: template, owners: owner(o.kind as string) };
    case 'batch/v1/CronJob':
      return {
        kind: 'CronJob',
        labels: o.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {},
        owners: owner('Job'),
      };
    default:
      return null;
  }
}

/** Manifests override the inventory's objects of the same kind and name (the change under review wins). */
function merged<T extends { kind?: string; metadata: { name: string; namespace?: string | undefined } }>(
  base: readonly T[],
  override: readonly T[],
): T[] {
  // The kind is part of the key: policies of both kinds share one list.
  const key = (o: T) => `${o.kind ?? ''}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const replaced = new Set(override.map(key));
  return [...base.filter((o) => !replaced.has(key(o))), ...override];
}

/** "No node conforms; ... (SchemeLevelTooLow on 3 nodes, BadgeMissing on 2 nodes)": the most frequent codes. */
function summary(capacity: CapacitySummary, verdicts: readonly Verdict[]): string {
  const nodesByCode = new Map<string, number>();
  for (const v of verdicts) {
    if (v.conforms) continue;
    for (const code of new Set(v.reasons.map((r) => r.code)))
      nodesByCode.set(code, (nodesByCode.get(code) ?? 0) + 1);
  }
  const top = [...nodesByCode]
    .sort(([a, n], [b, m]) => m - n || (a < b ? -1 : 1))
    .slice(0, 5)
    .map(([code, count]) => `${code} on ${count} node${count === 1 ? '' : 's'}`);
  const why = capacity.reasons.map((r) => r.message).join(' ');
  return top.length > 0 ? `${why} (${top.join(', ')})` : why;
}

/**
 * Checks manifests for a CI pipeline: the project's custom resources must be valid, and every workload
 * in them must have somewhere to run in the inventory: policies need a conforming node, SovereignWorkloads
 * enough conforming member clusters, and Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and Pods
 * selected by a policy (of the manifests or the inventory) need a conforming node for it.
 *
 * Conformance is judged on the facts of the inventory (readiness of nodes is not a fact of a manifest).
 */
export function check(
  manifests: readonly SourceObject[],
  inventory: Inventory | null,
  at: number,
): CheckResult {
  const loaded = inventoryFrom(manifests, { mode: 'inventory', location: 'manifests' });
  const findings: Finding[] = loaded.problems.map((p) => ({ ...p, code: 'Invalid' as const }));
  const result: CheckResult = {
    kind: 'SovereigntyCheck',
    at: formatInstant(at),
    inventory: inventory?.source.location ?? null,
    objects: manifests.length,
    findings,
  };
  if (!inventory) return result;

  const m = loaded.inventory;
  const combined: Inventory = {
    ...inventory,
    areas: merged(inventory.areas, m.areas),
    services: merged(inventory.services, m.services),
    nodes: merged(inventory.nodes, m.nodes),
    memberClusters: merged(inventory.memberClusters, m.memberClusters),
    policies: merged(inventory.policies, m.policies),
    workloads: merged(inventory.workloads, m.workloads),
    namespaces: merged(inventory.namespaces, m.namespaces),
  };
  const ev = evaluate(combined, at);
  const where = (object: object) => loaded.origins.get(object) ?? { file: '?', line: 0 };

  const capacities = new Map<AnyPolicy, { capacity: CapacitySummary; text: string }>();
  const capacityOf = (policy: AnyPolicy) => {
    let known = capacities.get(policy);
    if (!known) {
      const assessed = assessNodes(policy, combined.nodes, ev.derived);
      // Every conforming node counts, Ready or not: a manifest is judged against what the inventory can
      // host, not against which nodes happened to be Ready when it was exported (the operator's
      // CapacityAvailable condition, by contrast, counts only Ready, schedulable nodes).
      const capacity = conformingCapacityOf(assessed, policy.spec.requirement.minimumProviders);
      known = {
        capacity,
        text: summary(
          capacity,
          assessed.map((a) => a.verdict),
        ),
      };
      capacities.set(policy, known);
    }
    return known;
  };
  const requirementText = (p: AnyPolicy) => describeRequirementOutput(requirementJson(p.spec.requirement));

  // An area that does not exist is its own finding: the fix is a SovereigntyArea (or the name), not a
  // node or a badge, and "no conforming node" alone would send the reader after the wrong thing.
  const known = combined.areas.map((a) => a.metadata.name).sort();
  const unknownArea = (object: AnyPolicy | (typeof m.workloads)[number]): boolean => {
    const area = object.spec.requirement.area;
    if (resolveArea(ev.derived.areaIndex, area).ok) return false;
    findings.push({
      ...where(object),
      object: describeObject(object),
      code: 'UnknownArea',
      message: `spec.requirement.area: no SovereigntyArea named '${area}' in the inventory or the manifests (known: ${known.join(', ') || 'none'}); fix the name or add the SovereigntyArea`,
    });
    return true;
  };

  for (const policy of m.policies) {
    if (unknownArea(policy)) continue;
    const { capacity, text } = capacityOf(policy);
    if (capacity.sufficient) continue;
    const tooFew = capacity.conformingTargets > 0;
    findings.push({
      ...where(policy),
      object: describeObject(policy),
      code: tooFew ? 'TooFewProviders' : 'NoConformingNode',
      message: tooFew
        ? `conforming nodes for ${requirementText(policy)} exist on too few providers: ${text}`
        : `no node of the inventory conforms to ${requirementText(policy)}: ${text}`,
    });
  }

  for (const workload of m.workloads) {
    if (unknownArea(workload)) continue;
    const { placement } = placementOf(ev, workload);
    if (placement.complete) continue;
    const rejected = placement.rejected
      .filter((r) => !r.reasons.some((x) => x.code === 'NotSelected'))
      .map((r) => `${r.cluster}: ${r.reasons.map((x) => x.code).join(', ')}`);
    findings.push({
      ...where(workload),
      object: describeObject(workload),
      code: 'PlacementIncomplete',
      message: `placement incomplete: ${placement.reasons.map((r) => r.message).join(' ')}${
        rejected.length > 0 ? ` Rejected: ${rejected.join('; ')}.` : ''
      }`,
    });
  }

  const workloadObjects: { origin: { file: string; line: number }; object: unknown }[] = [
    ...loaded.others.map((s) => ({ origin: { file: s.file, line: s.line }, object: s.object })),
    ...m.pods.map((pod) => ({ origin: where(pod), object: pod })),
  ];
  for (const { origin, object } of workloadObjects) {
    const shape = workloadShape(object);
    if (!shape) continue;
    const meta = (object as PodObject).metadata;
    const namespace = meta?.namespace ?? 'default';
    // The namespace's labels come from a Namespace of the manifests or the inventory; without one, cluster
    // policies see only its name label, as the API server guarantees on every Namespace.
    const selecting = policiesSelecting(combined.policies, {
      namespace,
      labels: shape.labels,
      ownerReferences: shape.owners,
      namespaceLabels: ev.namespaceLabels.get(namespace),
    });
    for (const policy of selecting) {
      const { capacity, text } = capacityOf(policy);
      if (capacity.conformingTargets > 0) continue;
      const consequence =
        policy.spec.mode === 'Enforce'
          ? 'its pods would stay Pending'
          : 'its pods would run on non-conforming nodes (Audit)';
      findings.push({
        ...origin,
        object: `${shape.kind} ${namespace}/${meta?.name ?? '(no name)'}`,
        code: 'WorkloadWithoutConformingNode',
        message: `selected by ${policyText(policy)}, but no node of the inventory conforms to ${requirementText(policy)}; ${consequence}: ${text}`,
      });
    }
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return result;
}

export const formatFinding = (f: Finding): string =>
  `${f.file}:${f.line}: ${f.object}: [${f.code}] ${f.message}`;
