import { z } from 'zod';
import {
  type AnyPolicy,
  API_VERSION,
  type CloudService,
  type ClusterSovereigntyPolicy,
  type FulcrumFederation,
  GROUP,
  type MemberCluster,
  resourceDefinitions,
  type SovereigntyArea,
  type SovereigntyPolicy,
  type SovereignWorkload,
} from '../api/index.ts';
import { formatPath, validateResource } from '../api/validate.ts';
import { admittedBindingSchema, TEMPLATE_KINDS } from '../cluster/admission/admit-binding.ts';
import type { KarmadaClusterObject } from '../cluster/karmada-clusters.ts';
import type {
  NamespaceObject,
  NodeObject,
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodObject,
  StorageClassObject,
} from '../cluster/objects.ts';
import { CliError } from './errors.ts';
import { readSources, type SourceObject } from './sources.ts';

/** A core v1 Event recorded by the operator, as the report shows it. */
export interface EventRecord {
  type: string;
  reason: string;
  message: string;
  object: { kind: string; namespace: string | null; name: string };
  count: number;
  firstTime: string | null;
  lastTime: string | null;
}

/** A workload template of a Karmada API server (Deployment, StatefulSet, DaemonSet or Job). */
export interface TemplateObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

/**
 * Everything the commands evaluate: the same plain object whether it was read from a folder of
 * manifests (`--inventory`) or loaded from an API server. Custom resources are validated (zod defaults
 * applied); namespaced objects always carry their namespace.
 */
export interface Inventory {
  areas: SovereigntyArea[];
  services: CloudService[];
  nodes: NodeObject[];
  pods: PodObject[];
  memberClusters: MemberCluster[];
  /** SovereigntyPolicies and ClusterSovereigntyPolicies, in the order they were read. */
  policies: AnyPolicy[];
  workloads: SovereignWorkload[];
  /**
   * Namespaces, for cluster policies' namespaceSelector. A namespace missing here is still known by its
   * name (`kubernetes.io/metadata.name`), so an inventory without Namespace objects stays usable.
   */
  namespaces: NamespaceObject[];
  /** Claims, volumes and StorageClasses, for data residency (empty when not read). */
  claims: PersistentVolumeClaimObject[];
  volumes: PersistentVolumeObject[];
  storageClasses: StorageClassObject[];
  /** FulcrumFederations (empty when not read). */
  fulcrumFederations: FulcrumFederation[];
  /**
   * Karmada's `cluster.karmada.io` Clusters, `work.karmada.io` ResourceBindings and the workload templates
   * they place (empty when not read, or when the API server is not a Karmada API server).
   */
  karmadaClusters: KarmadaClusterObject[];
  resourceBindings: ResourceBindingObject[];
  templates: TemplateObject[];
  /** Events of the operator; null when not available (offline). */
  events: EventRecord[] | null;
  /** Where it came from, for the report. */
  source: { mode: 'inventory' | 'cluster'; location: string };
}

export const emptyInventory = (source: Inventory['source']): Inventory => ({
  areas: [],
  services: [],
  nodes: [],
  pods: [],
  memberClusters: [],
  policies: [],
  workloads: [],
  namespaces: [],
  claims: [],
  volumes: [],
  storageClasses: [],
  fulcrumFederations: [],
  karmadaClusters: [],
  resourceBindings: [],
  templates: [],
  events: null,
  source,
});

/** A problem with one object of the input, located at file:line. */
export interface Problem {
  file: string;
  line: number;
  object: string;
  message: string;
}

export const formatProblem = (p: Problem): string => `${p.file}:${p.line}: ${p.object}: ${p.message}`;

const projectDefinitions = new Map<string, (typeof resourceDefinitions)[number]>(
  resourceDefinitions.map((d) => [d.kind, d]),
);

/** A Kubernetes object reference for messages: "CloudService eurocloud", "Pod payments/ledger-0". */
export function describeObject(object: unknown): string {
  const o = (object ?? {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const kind = typeof o.kind === 'string' && o.kind ? o.kind : 'object';
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '(no name)';
  const ns = typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : '';
  return `${kind} ${ns}${name}`;
}

export const isProjectObject = (object: unknown): boolean => {
  const apiVersion = (object as { apiVersion?: unknown } | null)?.apiVersion;
  return typeof apiVersion === 'string' && apiVersion.startsWith(`${GROUP}/`);
};

export type ValidatedProject =
  | { ok: true; kind: string; value: unknown }
  | { ok: false; problems: Problem[] };

/**
 * Validates an object of the project's API group with the operator's zod schemas. Each problem names
 * the file, the line of the offending field (or of its closest parent) and the field.
 */
export function validateProjectObject(source: SourceObject): ValidatedProject {
  const object = source.object as { apiVersion?: unknown; kind?: unknown };
  const what = describeObject(object);
  const def = object.apiVersion === API_VERSION ? projectDefinitions.get(object.kind as string) : undefined;
  if (!def) {
    const result = validateResource(object);
    const errors = result.ok ? ['not a kind of the API'] : result.errors;
    return {
      ok: false,
      problems: errors.map((message) => ({ file: source.file, line: source.line, object: what, message })),
    };
  }
  const result = def.object.safeParse(object);
  if (result.success) return { ok: true, kind: def.kind, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      file: source.file,
      line: source.lineOf(issue.path),
      object: what,
      message: `${formatPath(issue.path) || '(object)'}: ${issue.message}`,
    })),
  };
}

const labels = z.record(z.string(), z.string());
const meta = z.looseObject({
  name: z.string().min(1, 'must not be empty'),
  namespace: z.string().min(1).optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
});
const conditions = z.array(z.looseObject({ type: z.string(), status: z.string() })).optional();

/** What the commands read of a Node: checked so that a malformed one is reported, not mis-evaluated. */
const nodeSchema = z.looseObject({
  metadata: meta,
  spec: z.looseObject({ unschedulable: z.boolean().optional() }).optional(),
  status: z.looseObject({ conditions }).optional(),
});

const podSchema = z.looseObject({
  metadata: meta.extend({
    ownerReferences: z
      .array(z.looseObject({ kind: z.string(), name: z.string(), controller: z.boolean().optional() }))
      .optional(),
  }),
  spec: z.looseObject({ nodeName: z.string().optional() }).optional(),
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});

/** What the commands read of a Namespace: its labels, for namespaceSelectors. */
const namespaceSchema = z.looseObject({ metadata: meta });

const claimSchema = z.looseObject({
  metadata: meta,
  spec: z
    .looseObject({ storageClassName: z.string().nullish(), volumeName: z.string().optional() })
    .optional(),
});
const nodeSelectorTerm = z.looseObject({
  matchExpressions: z
    .array(z.looseObject({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});
const volumeSchema = z.looseObject({
  metadata: meta,
  spec: z
    .looseObject({
      storageClassName: z.string().optional(),
      csi: z.looseObject({ driver: z.string() }).optional(),
      claimRef: z.looseObject({ namespace: z.string().optional(), name: z.string().optional() }).optional(),
      nodeAffinity: z
        .looseObject({
          required: z.looseObject({ nodeSelectorTerms: z.array(nodeSelectorTerm).optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
});
const storageClassSchema = z.looseObject({ metadata: meta, provisioner: z.string().optional() });

/** What the commands read of a Karmada Cluster: its labels and Karmada's Ready condition. */
const karmadaClusterSchema = z.looseObject({
  metadata: meta,
  status: z
    .looseObject({
      kubernetesVersion: z.string().optional(),
      conditions: z
        .array(
          z.looseObject({
            type: z.string(),
            status: z.string(),
            reason: z.string().optional(),
            message: z.string().optional(),
            lastTransitionTime: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

/** A ResourceBinding as admission reads it, plus Karmada's schedule (`spec.clusters`). */
const bindingSchema = admittedBindingSchema.extend({
  metadata: meta,
  spec: admittedBindingSchema.shape.spec.extend({
    replicas: z.int().nullish(),
    clusters: z.array(z.looseObject({ name: z.string(), replicas: z.int().nullish() })).nullish(),
  }),
});
export type ResourceBindingObject = z.output<typeof bindingSchema>;

const templateSchema = z.looseObject({ metadata: meta });

const KARMADA_CLUSTER_API = 'cluster.karmada.io/v1alpha1';
const BINDING_API = 'work.karmada.io/v1alpha2';

const isKind = (object: unknown, apiVersion: string, kind: string): boolean => {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  return o?.apiVersion === apiVersion && o.kind === kind;
};

/** A Deployment, StatefulSet, DaemonSet or Job of its API group's v1. */
export const isTemplate = (object: unknown): boolean => {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  const template = typeof o?.kind === 'string' ? TEMPLATE_KINDS[o.kind] : undefined;
  return template !== undefined && o?.apiVersion === `${template.group}/v1`;
};

const isStorageClass = (object: unknown): boolean => {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  return o?.apiVersion === 'storage.k8s.io/v1' && o.kind === 'StorageClass';
};

export const isCoreKind = (object: unknown, kind: string): boolean => {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  return o?.apiVersion === 'v1' && o.kind === kind;
};

function validateCore(source: SourceObject, schema: z.ZodType): ValidatedProject {
  const result = schema.safeParse(source.object);
  if (result.success) return { ok: true, kind: (source.object as { kind: string }).kind, value: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      file: source.file,
      line: source.lineOf(issue.path),
      object: describeObject(source.object),
      message: `${formatPath(issue.path) || '(object)'}: ${issue.message}`,
    })),
  };
}

/** Namespaced objects without a namespace go to "default", as `kubectl apply` would put them. */
function withNamespace<T extends { metadata: { namespace?: string | undefined } }>(object: T): T {
  return object.metadata.namespace
    ? object
    : { ...object, metadata: { ...object.metadata, namespace: 'default' } };
}

const NAMESPACE_IGNORED: ReadonlySet<string> = new Set([
  'ClusterSovereigntyPolicy',
  'Namespace',
  'PersistentVolume',
  'StorageClass',
  'Cluster',
]);

export interface InventoryLoad {
  inventory: Inventory;
  problems: Problem[];
  /** Where each object of the inventory was read. */
  origins: Map<object, { file: string; line: number }>;
  /**
   * Objects of other kinds (CronJobs, ConfigMaps, ...), for `check`; the workload templates are here too,
   * since `check` judges them whatever their shape.
   */
  others: SourceObject[];
}

/**
 * Sorts objects into an inventory. The project's kinds, Nodes, Pods and Namespaces are validated; objects of other
 * kinds are returned in `others`. An object defined twice (same kind, namespace and name) is a problem.
 */
export function inventoryFrom(sources: readonly SourceObject[], source: Inventory['source']): InventoryLoad {
  const inventory = emptyInventory(source);
  const problems: Problem[] = [];
  const origins = new Map<object, { file: string; line: number }>();
  const others: SourceObject[] = [];
  const seen = new Map<string, SourceObject>();

  for (const src of sources) {
    let validated: ValidatedProject;
    if (isProjectObject(src.object)) validated = validateProjectObject(src);
    else if (isCoreKind(src.object, 'Node')) validated = validateCore(src, nodeSchema);
    else if (isCoreKind(src.object, 'Pod')) validated = validateCore(src, podSchema);
    else if (isCoreKind(src.object, 'Namespace')) validated = validateCore(src, namespaceSchema);
    else if (isCoreKind(src.object, 'PersistentVolumeClaim')) validated = validateCore(src, claimSchema);
    else if (isCoreKind(src.object, 'PersistentVolume')) validated = validateCore(src, volumeSchema);
    else if (isStorageClass(src.object)) validated = validateCore(src, storageClassSchema);
    else if (isKind(src.object, KARMADA_CLUSTER_API, 'Cluster'))
      validated = validateCore(src, karmadaClusterSchema);
    else if (isKind(src.object, BINDING_API, 'ResourceBinding')) validated = validateCore(src, bindingSchema);
    else if (isTemplate(src.object)) {
      others.push(src);
      validated = validateCore(src, templateSchema);
    } else {
      others.push(src);
      continue;
    }
    if (!validated.ok) {
      problems.push(...validated.problems);
      continue;
    }
    let value = validated.value as { metadata: { name: string; namespace?: string } };
    const namespaced = [
      'Pod',
      'SovereigntyPolicy',
      'SovereignWorkload',
      'PersistentVolumeClaim',
      'ResourceBinding',
      ...Object.keys(TEMPLATE_KINDS),
    ].includes(validated.kind);
    if (namespaced) value = withNamespace(value);
    else if (value.metadata.namespace !== undefined && NAMESPACE_IGNORED.has(validated.kind)) {
      // The API server ignores a namespace on a cluster-scoped object, as kubectl apply does; so do we,
      // so that a cluster policy is never read as belonging to one namespace.
      const { namespace: _, ...metadata } = value.metadata;
      value = { ...value, metadata };
    }
    const key = `${validated.kind}/${namespaced ? `${value.metadata.namespace}/` : ''}${value.metadata.name}`;
    const earlier = seen.get(key);
    if (earlier) {
      problems.push({
        file: src.file,
        line: src.line,
        object: describeObject(value),
        message: `defined twice (also at ${earlier.file}:${earlier.line})`,
      });
      continue;
    }
    seen.set(key, src);
    origins.set(value, { file: src.file, line: src.line });
    switch (validated.kind) {
      case 'SovereigntyArea':
        inventory.areas.push(value as SovereigntyArea);
        break;
      case 'CloudService':
        inventory.services.push(value as CloudService);
        break;
      case 'MemberCluster':
        inventory.memberClusters.push(value as MemberCluster);
        break;
      case 'SovereigntyPolicy':
        inventory.policies.push(value as SovereigntyPolicy);
        break;
      case 'ClusterSovereigntyPolicy':
        inventory.policies.push(value as ClusterSovereigntyPolicy);
        break;
      case 'Namespace':
        inventory.namespaces.push(value as NamespaceObject);
        break;
      case 'SovereignWorkload':
        inventory.workloads.push(value as SovereignWorkload);
        break;
      case 'FulcrumFederation':
        inventory.fulcrumFederations.push(value as FulcrumFederation);
        break;
      case 'Node':
        inventory.nodes.push(value as NodeObject);
        break;
      case 'Pod':
        inventory.pods.push(value as PodObject);
        break;
      case 'PersistentVolumeClaim':
        inventory.claims.push(value as PersistentVolumeClaimObject);
        break;
      case 'PersistentVolume':
        inventory.volumes.push(value as PersistentVolumeObject);
        break;
      case 'StorageClass':
        inventory.storageClasses.push(value as StorageClassObject);
        break;
      case 'Cluster':
        inventory.karmadaClusters.push(value as KarmadaClusterObject);
        break;
      case 'ResourceBinding':
        inventory.resourceBindings.push(value as ResourceBindingObject);
        break;
      default:
        if (TEMPLATE_KINDS[validated.kind]) inventory.templates.push(value as TemplateObject);
    }
  }
  return { inventory, problems, origins, others };
}

/**
 * The inventory of a folder (recursively) of YAML manifests. Any invalid object is an input error:
 * every problem is reported, one line each, with file and line.
 */
export function loadInventory(dir: string): Inventory {
  const sources = readSources([dir]);
  const { inventory, problems } = inventoryFrom(sources, { mode: 'inventory', location: dir });
  if (problems.length > 0) {
    throw new CliError([
      `the inventory ${dir} has ${problems.length} invalid object${problems.length === 1 ? '' : 's'}:`,
      ...problems.map(formatProblem),
    ]);
  }
  return inventory;
}
