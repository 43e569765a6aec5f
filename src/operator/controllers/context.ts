import type { AuditEntry } from '../../api/audit.ts';
import type { ClusterState, Derived } from '../../cluster/facts.ts';
import type { NodeObject } from '../../cluster/objects.ts';
import type { EventRecorder } from '../events.ts';
import type { KubeWriter } from '../kube.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { ReconcileResult } from '../runtime/controller.ts';

/** What a controller needs from the operator: the caches, the clock, and the means to write. */
export interface ControllerContext {
  state: () => ClusterState;
  /** One Node from the cache, without copying the whole cluster state. */
  node: (name: string) => NodeObject | undefined;
  /** Facts from the caches at the current instant. */
  derived: () => Derived;
  /** The raw cached object of a custom resource (for its current status). */
  rawPolicy: (key: string) => { status?: Record<string, unknown> } | undefined;
  writer: KubeWriter;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** Writes one record on the decision log (`--audit-log`); absent or a no-op when it is off. */
  audit?: (entry: AuditEntry) => void;
  /** Only the leader writes; other replicas keep their caches warm and serve admission. */
  isLeader: () => boolean;
}

export type { ReconcileResult };

/**
 * What a reconcile returns when leadership was lost under it: try again, never drop the key. The
 * operator's workers also wait for leadership before reconciling, so this is only the rare race.
 */
export const NOT_LEADER: ReconcileResult = { requeueAfterMs: 1_000 };

/** The caches the operator keeps, by the name controllers use for them. */
export type CacheName =
  | 'nodes'
  | 'pods'
  | 'namespaces'
  | 'budgets'
  | 'policies'
  | 'clusterPolicies'
  | 'services'
  | 'areas'
  | 'claims'
  | 'volumes'
  | 'storageClasses'
  // Hub mode only.
  | 'memberClusters'
  | 'workloads'
  | 'secrets'
  // With --fulcrum only.
  | 'fulcrumFederations';

/** The keys a controller can enqueue from: every key a cache holds. */
export type CacheKeys = (cache: CacheName) => Iterable<string>;

/**
 * One thing that wakes a controller: an Added, Modified or Deleted object of cache `on`, and the keys of
 * the controller's own queue that it concerns. Each controller declares its list next to its reconcile
 * (as controller-runtime's builder does with For/Owns/Watches), and the operator wires them.
 */
export interface Wake {
  on: CacheName;
  enqueue: (
    key: string,
    object: { metadata?: { namespace?: string } },
    caches: CacheKeys,
  ) => Iterable<string>;
}

/** Every key of some caches: for changes that can alter any decision (a CloudService, an area). */
export const allOf =
  (...names: CacheName[]): Wake['enqueue'] =>
  (_key, _object, caches) =>
    names.flatMap((name) => [...caches(name)]);

/** The keys of namespaced objects of `cache` in one namespace. */
export function* inNamespace(caches: CacheKeys, cache: CacheName, namespace: string | undefined) {
  if (namespace === undefined) return;
  for (const key of caches(cache)) if (key.startsWith(`${namespace}/`)) yield key;
}
