// What of each cached object the operator reads, in one place: which changes of an object wake the
// controllers (and invalidate the facts), so that heartbeats, status writes (the operator's own
// included) and other churn wake nothing up; and which fields of them the caches keep at all.
import { GROUP } from '../api/group.ts';
/** Whether a Modified event changes anything a controller decides from. */
export type ChangeMatters = (old: object, object: object) => boolean;

interface Loose {
  metadata?: {
    generation?: number;
    labels?: unknown;
    annotations?: unknown;
    deletionTimestamp?: unknown;
    ownerReferences?: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: { type?: string; status?: unknown }[] };
}

const differ =
  (view: (o: Loose) => unknown[]): ChangeMatters =>
  (old, object) =>
    JSON.stringify(view(old as Loose)) !== JSON.stringify(view(object as Loose));

/**
 * Kubelets (and KWOK) rewrite Node status every few seconds to minutes; only labels, annotations,
 * schedulability, taints and readiness change a decision, so heartbeats alone wake nothing up.
 */
export const nodeChangeMatters = differ((n) => [
  n.metadata?.labels,
  n.metadata?.annotations,
  n.spec?.unschedulable,
  n.spec?.taints,
  n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
]);

/**
 * A pod matters to selection (labels, owner), placement (node, gates), counting (phase) and failover
 * (terminating); its conditions, container statuses and IPs, which change several times while it starts,
 * do not.
 */
export const podChangeMatters = differ((p) => [
  p.metadata?.labels,
  p.metadata?.ownerReferences,
  p.metadata?.deletionTimestamp,
  p.spec?.nodeName,
  p.spec?.schedulingGates,
  p.spec?.volumes,
  p.status?.phase,
]);

/** A Namespace matters by its labels (enrolment, and the selectors of cluster-wide policies). */
export const namespaceChangeMatters = differ((n) => [n.metadata?.labels]);

/**
 * A custom resource matters by its spec and labels. Status-only writes (metadata.generation unchanged
 * and the same spec), the operator's own among them, wake nothing and leave the facts as they are.
 */
export const specChangeMatters: ChangeMatters = (old, object) => {
  const a = old as Loose;
  const b = object as Loose;
  if (a.metadata?.generation !== b.metadata?.generation) return true;
  return JSON.stringify([a.spec, a.metadata?.labels]) !== JSON.stringify([b.spec, b.metadata?.labels]);
};

export const everyChangeMatters: ChangeMatters = () => true;

// Cache transforms (as client-go's): each cached object keeps only the fields the operator reads, so
// that the caches, which hold every Pod and Node of the cluster, hold a fraction of each. The fields
// are those of src/cluster/objects.ts; a reflector needs name, namespace, uid and resourceVersion.

type Meta = {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  ownerReferences?: { apiVersion?: string; kind: string; name: string; uid?: string; controller?: boolean }[];
};
type Full = {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

/** Annotations under this prefix are the operator's own (on Nodes: the not-conforming-since stamps). */
const OWN_ANNOTATION_PREFIX = `${GROUP}/`;

function ownAnnotations(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!annotations) return undefined;
  const kept = Object.entries(annotations).filter(([key]) => key.startsWith(OWN_ANNOTATION_PREFIX));
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/** Drops undefined fields, so that a kept object has no empty keys. */
function compact<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}

function identity(m: Meta | undefined): Meta {
  return compact({
    name: m?.name,
    namespace: m?.namespace,
    uid: m?.uid,
    resourceVersion: m?.resourceVersion,
  });
}

/** A Pod: selection (labels, owners), placement (node, gates), phase and termination. */
export function podView<T extends object>(object: T): T {
  const o = object as Full;
  const m = o.metadata;
  const spec = o.spec as
    | {
        nodeName?: string;
        schedulingGates?: unknown[];
        volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
      }
    | undefined;
  // Only the claims it mounts: other volumes (Secrets, ConfigMaps, emptyDirs) decide nothing.
  const claims = spec?.volumes
    ?.filter((v) => v.persistentVolumeClaim?.claimName)
    .map((v) => ({ name: v.name, persistentVolumeClaim: { claimName: v.persistentVolumeClaim?.claimName } }));
  return compact({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: compact({
      ...identity(m),
      labels: m?.labels,
      annotations: ownAnnotations(m?.annotations),
      ownerReferences: m?.ownerReferences?.map((r) =>
        compact({
          apiVersion: r.apiVersion,
          kind: r.kind,
          name: r.name,
          uid: r.uid,
          controller: r.controller,
        }),
      ),
      deletionTimestamp: m?.deletionTimestamp,
    }),
    spec: compact({
      nodeName: spec?.nodeName,
      schedulingGates: spec?.schedulingGates,
      volumes: claims?.length ? claims : undefined,
    }),
    status: compact({ phase: (o.status as { phase?: string } | undefined)?.phase }),
  }) as T;
}

/** A Node: labels (facts and verdicts), the operator's annotations, schedulability, taints, readiness. */
export function nodeView<T extends object>(object: T): T {
  const o = object as Full;
  const m = o.metadata;
  const spec = o.spec as { unschedulable?: boolean; taints?: unknown[] } | undefined;
  const conditions = (o.status as { conditions?: { type?: string; status?: string }[] } | undefined)
    ?.conditions;
  const ready = conditions?.find((c) => c.type === 'Ready');
  return compact({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: compact({
      ...identity(m),
      labels: m?.labels,
      annotations: ownAnnotations(m?.annotations),
    }),
    spec: compact({ unschedulable: spec?.unschedulable, taints: spec?.taints }),
    status: ready ? { conditions: [{ type: 'Ready', status: ready.status }] } : {},
  }) as T;
}

/** A Namespace: its labels (enrolment, cluster-wide policy selectors). */
export function namespaceView<T extends object>(object: T): T {
  const o = object as Full;
  return compact({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: compact({ ...identity(o.metadata), labels: o.metadata?.labels }),
  }) as T;
}

/** A PersistentVolumeClaim: the class it asks for and the volume it is bound to; never its status. */
export function claimView<T extends object>(object: T): T {
  const o = object as Full;
  const spec = o.spec as { storageClassName?: string | null; volumeName?: string } | undefined;
  return compact({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: compact({ ...identity(o.metadata), labels: o.metadata?.labels }),
    spec: compact({ storageClassName: spec?.storageClassName, volumeName: spec?.volumeName }),
  }) as T;
}

/** A PersistentVolume: its class, CSI driver, bound claim and required node affinity (its residence). */
export function volumeView<T extends object>(object: T): T {
  const o = object as Full;
  const spec = o.spec as
    | {
        storageClassName?: string;
        csi?: { driver?: string };
        claimRef?: { namespace?: string; name?: string };
        nodeAffinity?: { required?: unknown };
      }
    | undefined;
  return compact({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: identity(o.metadata),
    spec: compact({
      storageClassName: spec?.storageClassName,
      csi: spec?.csi?.driver ? { driver: spec.csi.driver } : undefined,
      claimRef: spec?.claimRef
        ? compact({ namespace: spec.claimRef.namespace, name: spec.claimRef.name })
        : undefined,
      nodeAffinity: spec?.nodeAffinity?.required ? { required: spec.nodeAffinity.required } : undefined,
    }),
  }) as T;
}

/** A StorageClass: its provisioner and whether it is the default (its annotation). */
export function storageClassView<T extends object>(object: T): T {
  const o = object as Full & { provisioner?: string };
  const isDefault = o.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'];
  return compact({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: compact({
      ...identity(o.metadata),
      creationTimestamp: (o.metadata as { creationTimestamp?: string } | undefined)?.creationTimestamp,
      annotations:
        isDefault === undefined ? undefined : { 'storageclass.kubernetes.io/is-default-class': isDefault },
    }),
    provisioner: o.provisioner,
  }) as T;
}

/**
 * A Karmada ResourceBinding: its template, placement, schedule and the pin record; never its status,
 * which aggregates the status of every copy on every member and can be large.
 */
export function resourceBindingView<T extends object>(object: T): T {
  const o = object as Full;
  const m = o.metadata as
    | (Meta & { annotations?: Record<string, string>; deletionTimestamp?: string })
    | undefined;
  const spec = o.spec as { resource?: unknown; placement?: unknown; clusters?: unknown } | undefined;
  return compact({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: compact({
      ...identity(m),
      annotations: m?.annotations,
      deletionTimestamp: m?.deletionTimestamp,
    }),
    spec: compact({ resource: spec?.resource, placement: spec?.placement, clusters: spec?.clusters }),
  }) as T;
}
