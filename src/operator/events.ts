import { CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from './log.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects; their Events go to the `default` namespace, as Node events do. */
  namespace?: string;
  uid?: string;
}

export type EventType = 'Normal' | 'Warning';

const COMPONENT = 'sovereign-placement';
const MAX_FOLDED = 10_000;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Records Kubernetes Events, folding repeats of the same (object, reason, message) into one Event with a
 * count, as kubelet and client-go's recorder do, so a verdict re-checked every minute does not flood
 * `kubectl describe`. Failures to record are logged, never thrown: an Event is a signal, not a decision.
 */
export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly seen = new Map<string, { name: string; namespace: string; count: number }>();
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(kc: KubeConfig, log: Logger, now: () => Date = () => new Date()) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.log = log;
    this.now = now;
  }

  async record(target: EventTarget, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = target.namespace ?? 'default';
    const key = [target.kind, target.namespace, target.name, target.uid, type, reason, message].join(
      '\u0000',
    );
    const time = this.now();
    try {
      const known = this.seen.get(key);
      if (known) {
        known.count += 1;
        await this.core.patchNamespacedEvent(
          { name: known.name, namespace: known.namespace, body: { count: known.count, lastTimestamp: time } },
          mergePatch,
        );
        return;
      }
      const name = `${target.name}.${time.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            name: target.name,
            namespace: target.namespace,
            uid: target.uid,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          count: 1,
          firstTimestamp: time,
          lastTimestamp: time,
          source: { component: COMPONENT },
          reportingComponent: COMPONENT,
          reportingInstance: process.env.POD_NAME ?? COMPONENT,
        },
      });
      this.seen.set(key, { name, namespace, count: 1 });
      // Bounded memory: forget the oldest folds first (a forgotten one only starts a new Event).
      if (this.seen.size > MAX_FOLDED) this.seen.delete(this.seen.keys().next().value as string);
    } catch (error) {
      this.seen.delete(key);
      this.log.warn({ err: error, target, reason }, 'could not record event');
    }
  }
}
