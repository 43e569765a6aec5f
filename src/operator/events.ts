import type { KubeConfig } from '@kubernetes/client-node';
import { httpStatusOf, kubeRequest } from '../kube/request.ts';
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

/** Where Events are written; `kubeEventSink` writes them to the API server. */
export interface EventSink {
  create(namespace: string, event: Record<string, unknown>): Promise<void>;
  patch(namespace: string, name: string, patch: Record<string, unknown>): Promise<void>;
}

export interface EventRecorderOptions {
  now?: () => Date;
  /** Event writes in flight at once (default 4): Events share the API server with the decisions. */
  concurrency?: number;
  /** Distinct messages of one (object, type, reason) before they are combined into one Event (default 10). */
  maxSimilar?: number;
  /** How long similar messages are counted together (default 10 minutes). */
  similarWindowMs?: number;
  /** Events waiting to be written, beyond which the oldest are dropped (default 10,000). */
  maxPending?: number;
}

const COMPONENT = 'sovereign-placement';
const MAX_FOLDED = 10_000;
const COMBINED = '(combined from similar events): ';

/** One Event as the API server has it (or will): repeats patch its count. */
interface Series {
  key: string;
  namespace: string;
  target: EventTarget;
  type: EventType;
  reason: string;
  message: string;
  /** The Event's name once created. */
  name?: string;
  firstTimestamp: Date;
  lastTimestamp: Date;
  /** Occurrences recorded so far. */
  count: number;
  /** The count the API server has. */
  written: number;
  writing: boolean;
}

/**
 * Records Kubernetes Events without ever making a reconcile wait for them, folding repeats as client-go's
 * EventRecorder does:
 *
 * - the same (object, type, reason, message) again is one Event whose `count` and `lastTimestamp` grow
 *   (client-go's EventLogger);
 * - more than `maxSimilar` different messages of the same (object, type, reason) within
 *   `similarWindowMs` are combined into one Event "(combined from similar events): <latest message>"
 *   (client-go's EventAggregator), so a failover of a thousand pods gives the policy one growing Event,
 *   not a thousand.
 *
 * `record` only notes the occurrence (with its instant) and returns; a small pool of writers sends the
 * creates and count patches, and occurrences that arrive while one is pending are folded into a single
 * write. Failures are logged, never thrown: an Event is a signal, not a decision.
 *
 * client-go's recorder is not available to a Node program and client-node has none, hence this one.
 */
export class EventRecorder {
  private readonly sink: EventSink;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly concurrency: number;
  private readonly maxSimilar: number;
  private readonly similarWindowMs: number;
  private readonly maxPending: number;
  /** Every known series, oldest first (bounded by MAX_FOLDED). */
  private readonly series = new Map<string, Series>();
  /** Distinct messages seen per (object, type, reason), for aggregation. */
  private readonly similar = new Map<string, { since: number; messages: Set<string> }>();
  /** Series with occurrences not yet written, in the order they became dirty. */
  private readonly dirty = new Set<Series>();
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(kc: KubeConfig | EventSink, log: Logger, options: EventRecorderOptions = {}) {
    this.sink = 'create' in kc ? kc : kubeEventSink(kc);
    this.log = log;
    this.now = options.now ?? (() => new Date());
    this.concurrency = options.concurrency ?? 4;
    this.maxSimilar = options.maxSimilar ?? 10;
    this.similarWindowMs = options.similarWindowMs ?? 600_000;
    this.maxPending = options.maxPending ?? 10_000;
  }

  /** Notes one occurrence; it is written in the background. */
  record(target: EventTarget, type: EventType, reason: string, message: string): void {
    const time = this.now();
    const objectKey = [target.kind, target.namespace, target.name, target.uid, type, reason].join('\u0000');
    let text = message.slice(0, 1024);
    let seriesKey = `${objectKey}\u0000${text}`;
    if (!this.series.has(seriesKey)) {
      let group = this.similar.get(objectKey);
      if (!group || time.getTime() - group.since > this.similarWindowMs) {
        group = { since: time.getTime(), messages: new Set() };
        this.similar.set(objectKey, group);
        if (this.similar.size > MAX_FOLDED) this.similar.delete(this.similar.keys().next().value as string);
      }
      group.messages.add(text);
      if (group.messages.size > this.maxSimilar) {
        seriesKey = `${objectKey}\u0000${COMBINED}`;
        text = `${COMBINED}${text}`.slice(0, 1024);
      }
    }
    let series = this.series.get(seriesKey);
    if (!series) {
      series = {
        key: seriesKey,
        namespace: target.namespace ?? 'default',
        target,
        type,
        reason,
        message: text,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 0,
        written: 0,
        writing: false,
      };
      this.series.set(seriesKey, series);
      // Bounded memory: forget the oldest folds first (a forgotten one only starts a new Event).
      if (this.series.size > MAX_FOLDED) {
        const oldest = this.series.values().next().value as Series;
        if (!oldest.writing) {
          this.series.delete(oldest.key);
          this.dirty.delete(oldest);
        }
      }
    }
    series.count++;
    series.lastTimestamp = time;
    if (series.key.endsWith(COMBINED)) series.message = text;
    this.dirty.add(series);
    if (this.dirty.size > this.maxPending) {
      const dropped = this.dirty.values().next().value as Series;
      this.dirty.delete(dropped);
      this.log.warn({ target: dropped.target, reason: dropped.reason }, 'event dropped: too many pending');
    }
    this.pump();
  }

  /** Resolves once every occurrence recorded so far has been written (or given up). */
  flush(): Promise<void> {
    if (this.dirty.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Occurrences not yet written (for metrics and tests). */
  get pending(): number {
    return this.dirty.size;
  }

  private pump(): void {
    while (this.inFlight < this.concurrency) {
      const next = [...this.dirty].find((s) => !s.writing);
      if (!next) break;
      this.dirty.delete(next);
      this.inFlight++;
      next.writing = true;
      void this.write(next).finally(() => {
        next.writing = false;
        this.inFlight--;
        if (next.count > next.written && this.series.get(next.key) === next) this.dirty.add(next);
        this.pump();
        if (this.dirty.size === 0 && this.inFlight === 0) {
          for (const resolve of this.idle.splice(0)) resolve();
        }
      });
    }
  }

  private async write(series: Series): Promise<void> {
    const count = series.count;
    const { target } = series;
    try {
      if (series.name) {
        try {
          await this.sink.patch(series.namespace, series.name, {
            count,
            lastTimestamp: series.lastTimestamp.toISOString(),
            message: series.message,
          });
          series.written = count;
          return;
        } catch (error) {
          // The Event expired (the API server keeps them an hour): start a new one.
          if (httpStatusOf(error) !== 404) throw error;
          series.name = undefined;
        }
      }
      const first = series.firstTimestamp;
      const name = `${target.name}.${first.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
      await this.sink.create(series.namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: series.namespace },
        involvedObject: {
          apiVersion: target.apiVersion,
          kind: target.kind,
          name: target.name,
          namespace: target.namespace,
          uid: target.uid,
        },
        type: series.type,
        reason: series.reason,
        message: series.message,
        count,
        firstTimestamp: first.toISOString(),
        lastTimestamp: series.lastTimestamp.toISOString(),
        source: { component: COMPONENT },
        reportingComponent: COMPONENT,
        reportingInstance: process.env.POD_NAME ?? COMPONENT,
      });
      series.name = name;
      series.written = count;
    } catch (error) {
      // Given up: these occurrences are not retried (the next one starts over).
      series.written = count;
      this.log.warn({ err: error, target, reason: series.reason }, 'could not record event');
    }
  }
}

/** Writes Events to the API server as plain JSON (on the kept-alive connection of src/kube). */
export function kubeEventSink(kc: KubeConfig): EventSink {
  const path = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return {
    async create(namespace, event) {
      await kubeRequest(kc, { method: 'POST', path: path(namespace), body: event });
    },
    async patch(namespace, name, patch) {
      await kubeRequest(kc, {
        method: 'PATCH',
        path: `${path(namespace)}/${encodeURIComponent(name)}`,
        body: patch,
        contentType: 'application/merge-patch+json',
      });
    },
  };
}
