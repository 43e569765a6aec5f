import type { z } from 'zod';
import {
  type CloudService,
  CloudServiceDef,
  type SovereigntyArea,
  SovereigntyAreaDef,
  type SovereigntyPolicy,
  SovereigntyPolicyDef,
} from '../api/index.ts';
import { validateWith } from '../api/validate.ts';
import { type AreaIndex, indexAreas } from '../domain/areas.ts';
import { type ConformanceEvaluator, createConformanceEvaluator } from '../domain/conformance.ts';
import { parseDuration } from '../domain/duration.ts';
import { indexServices, nodeTarget, type ServiceCatalog } from '../domain/membership.ts';
import type { Target } from '../domain/target.ts';
import type { VerdictLabelUse } from '../domain/verdict-labels.ts';

/** Plain JSON objects as the API server sends them (watch events), typed by what the operator reads. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
}

export interface NodeObject {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface PodObject {
  metadata: ObjectMeta;
  spec?: { nodeName?: string; schedulingGates?: { name: string }[] };
  status?: { phase?: string };
}

export interface NamespaceObject {
  metadata: ObjectMeta;
}

export interface PodDisruptionBudgetObject {
  metadata: ObjectMeta;
  spec?: { selector?: { matchLabels?: Record<string, string>; matchExpressions?: never[] } | null };
  status?: { disruptionsAllowed?: number };
}

/** What the caches hold at one instant. */
export interface ClusterState {
  nodes: readonly NodeObject[];
  pods: readonly PodObject[];
  namespaces: readonly NamespaceObject[];
  budgets: readonly PodDisruptionBudgetObject[];
  /** Raw custom resources: validated here, so that one bad object never stops the others. */
  policies: readonly unknown[];
  services: readonly unknown[];
  areas: readonly unknown[];
}

export interface InvalidObject {
  kind: string;
  name: string;
  namespace?: string;
  errors: string[];
}

/** Facts derived once per reconcile pass from the caches and shared by every verdict in it. */
export interface Derived {
  policies: SovereigntyPolicy[];
  services: CloudService[];
  areas: SovereigntyArea[];
  invalid: InvalidObject[];
  areaIndex: AreaIndex;
  catalog: ServiceCatalog;
  evaluator: ConformanceEvaluator;
  targets: Map<string, Target>;
  verdictLabelUses: VerdictLabelUse[];
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

export const leadTimeOf = (policy: SovereigntyPolicy): number =>
  parseDuration(policy.spec.failover.expiryLeadTime);

export function derive(state: ClusterState, now: number): Derived {
  const invalid: InvalidObject[] = [];
  const policies = validAll('SovereigntyPolicy', SovereigntyPolicyDef.object, state.policies, invalid);
  const services = validAll('CloudService', CloudServiceDef.object, state.services, invalid);
  const areas = validAll('SovereigntyArea', SovereigntyAreaDef.object, state.areas, invalid);
  const areaIndex = indexAreas(areas);
  const catalog = indexServices(services);
  const targets = new Map(
    state.nodes.map((n) => [
      n.metadata.name,
      nodeTarget({ name: n.metadata.name, labels: n.metadata.labels ?? {} }, catalog),
    ]),
  );
  return {
    policies: policies as SovereigntyPolicy[],
    services: services as CloudService[],
    areas: areas as SovereigntyArea[],
    invalid,
    areaIndex,
    catalog,
    evaluator: createConformanceEvaluator({ areas: areaIndex }, now),
    targets,
    verdictLabelUses: (policies as SovereigntyPolicy[]).map((p) => ({
      requirement: p.spec.requirement,
      expiryLeadTimeMs: leadTimeOf(p),
    })),
    now,
  };
}

export const objectKey = (meta: ObjectMeta): string =>
  meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
