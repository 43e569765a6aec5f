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
  /** Only the leader writes; other replicas keep their caches warm and serve admission. */
  isLeader: () => boolean;
}

export type { ReconcileResult };

/**
 * What a reconcile returns when leadership was lost under it: try again, never drop the key. The
 * operator's workers also wait for leadership before reconciling, so this is only the rare race.
 */
export const NOT_LEADER: ReconcileResult = { requeueAfterMs: 1_000 };
