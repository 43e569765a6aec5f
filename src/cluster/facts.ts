import type { z } from 'zod';
import {
  type AnyPolicy,
  type CloudService,
  CloudServiceDef,
  type ClusterSovereigntyPolicy,
  ClusterSovereigntyPolicyDef,
  type MemberCluster,
  MemberClusterDef,
  type SovereigntyArea,
  SovereigntyAreaDef,
  type SovereigntyPolicy,
  SovereigntyPolicyDef,
  type SovereignWorkload,
  SovereignWorkloadDef,
} from '../api/index.ts';
import { validateWith } from '../api/validate.ts';
import { type AreaIndex, indexAreas } from '../domain/areas.ts';
import { type ConformanceEvaluator, createConformanceEvaluator } from '../domain/conformance.ts';
import { parseDuration } from '../domain/duration.ts';
import { indexServices, nodeTarget, type ServiceCatalog } from '../domain/membership.ts';
import type { Target } from '../domain/target.ts';
import type { VerdictLabelUse } from '../domain/verdict-labels.ts';
import { indexStorage, type StorageCatalog } from '../domain/volumes.ts';
import type {
  NamespaceObject,
  NodeObject,
  ObjectMeta,
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodDisruptionBudgetObject,
  PodObject,
  StorageClassObject,
} from './objects.ts';

/** What the caches hold at one instant. */
export interface ClusterState {
  nodes: readonly NodeObject[];
  pods: readonly PodObject[];
  namespaces: readonly NamespaceObject[];
  budgets: readonly PodDisruptionBudgetObject[];
  /** Raw custom resources: validated here, so that one bad object never stops the others. */
  policies: readonly unknown[];
  /** ClusterSovereigntyPolicies (optional for callers that have none, such as offline inventories). */
  clusterPolicies?: readonly unknown[];
  services: readonly unknown[];
  areas: readonly unknown[];
  /** Claims, volumes and StorageClasses (absent: no pod's volume is judged, as for inventories without them). */
  claims?: readonly PersistentVolumeClaimObject[];
  volumes?: readonly PersistentVolumeObject[];
  storageClasses?: readonly StorageClassObject[];
  /** MemberClusters and SovereignWorkloads (hub mode only; absent elsewhere). */
  memberClusters?: readonly unknown[];
  workloads?: readonly unknown[];
}

export interface InvalidObject {
  kind: string;
  name: string;
  namespace?: string;
  errors: string[];
}

/** Facts derived from the caches, independent of the instant: recomputed only when an object changes. */
export interface Facts {
  /** Valid policies of both kinds: cluster policies first, then namespaced ones. */
  policies: AnyPolicy[];
  services: CloudService[];
  areas: SovereigntyArea[];
  invalid: InvalidObject[];
  areaIndex: AreaIndex;
  catalog: ServiceCatalog;
  /** Which services store which StorageClasses and CSI drivers (data residency of volumes). */
  storage: StorageCatalog;
  targets: Map<string, Target>;
  verdictLabelUses: VerdictLabelUse[];
  /** Valid MemberClusters and SovereignWorkloads (empty outside hub mode). */
  memberClusters: MemberCluster[];
  workloads: SovereignWorkload[];
  /**
   * The requirements member clusters are judged against: every policy's and every SovereignWorkload's.
   * Nodes keep `verdictLabelUses` (policies only): a workload placed on members says nothing about the
   * hub's own nodes.
   */
  memberVerdictLabelUses: VerdictLabelUse[];
}

/** Facts plus an evaluator at one instant: what every planner reads. */
export interface Derived extends Facts {
  evaluator: ConformanceEvaluator;
  now: number;
}

function validAll<S extends z.ZodType>(
  kind: string,
  schema: S,
  objects: readonly unknown[],
  invalid: InvalidObject[],
): z.output<S>[] {
  const valid: z.output<S>[] = [];
  for (const object of objects) {
    const result = validateWith(schema, object);
    if (result.ok) {
      valid.push(result.value);
    } else {
      const meta = (object as { metadata?: ObjectMeta }).metadata;
      invalid.push({ kind, name: meta?.name ?? '?', namespace: meta?.namespace, errors: result.errors });
    }
  }
  return valid;
}

export const leadTimeOf = (policy: AnyPolicy): number => parseDuration(policy.spec.failover.expiryLeadTime);

export function deriveFacts(state: ClusterState): Facts {
  const invalid: InvalidObject[] = [];
  const clusterPolicies = validAll(
    'ClusterSovereigntyPolicy',
    ClusterSovereigntyPolicyDef.object,
    state.clusterPolicies ?? [],
    invalid,
  ) as ClusterSovereigntyPolicy[];
  const namespacedPolicies = validAll(
    'SovereigntyPolicy',
    SovereigntyPolicyDef.object,
    state.policies,
    invalid,
  ) as SovereigntyPolicy[];
  const policies: AnyPolicy[] = [...clusterPolicies, ...namespacedPolicies];
  const services = validAll(
    'CloudService',
    CloudServiceDef.object,
    state.services,
    invalid,
  ) as CloudService[];
  const areas = validAll(
    'SovereigntyArea',
    SovereigntyAreaDef.object,
    state.areas,
    invalid,
  ) as SovereigntyArea[];
  const memberClusters = validAll(
    'MemberCluster',
    MemberClusterDef.object,
    state.memberClusters ?? [],
    invalid,
  ) as MemberCluster[];
  const workloads = validAll(
    'SovereignWorkload',
    SovereignWorkloadDef.object,
    state.workloads ?? [],
    invalid,
  ) as SovereignWorkload[];
  const catalog = indexServices(services);
  const verdictLabelUses: VerdictLabelUse[] = policies.map((p) => ({
    requirement: p.spec.requirement,
    expiryLeadTimeMs: leadTimeOf(p),
  }));
  const targets = new Map(
    state.nodes.map((n) => [
      n.metadata.name,
      nodeTarget({ name: n.metadata.name, labels: n.metadata.labels ?? {} }, catalog),
    ]),
  );
  return {
    policies,
    services,
    areas,
    invalid,
    areaIndex: indexAreas(areas),
    catalog,
    storage: indexStorage(services),
    targets,
    verdictLabelUses,
    memberClusters,
    workloads,
    memberVerdictLabelUses: [
      ...verdictLabelUses,
      ...workloads.map((w) => ({
        requirement: w.spec.requirement,
        expiryLeadTimeMs: parseDuration(w.spec.failover.expiryLeadTime),
      })),
    ],
  };
}

/** Facts at an instant. The evaluator memoises verdicts, so one is made per reconcile, not shared. */
export const atInstant = (facts: Facts, now: number): Derived => ({
  ...facts,
  evaluator: createConformanceEvaluator({ areas: facts.areaIndex }, now),
  now,
});

export const derive = (state: ClusterState, now: number): Derived => atInstant(deriveFacts(state), now);
