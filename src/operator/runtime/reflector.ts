// A list+watch cache of one resource type, the part of client-go's informer a controller cannot do
// without: it lists (page by page), watches from the list's resourceVersion, resumes the watch from the
// last resourceVersion seen (bookmarks included) when it ends, relists when the server has compacted
// that resourceVersion away (410 Gone), backs off on errors, restarts a watch that went silent, and on
// every relist reconciles its cache with what the server has, so that a delete that happened while it
// was not watching is still reported.
//
// client-node's own ListWatch is not used: it stops for good on a network or 5xx error, does not
// paginate and does not ask for bookmarks (docs/architecture.md, "What the dependencies do not do").
import type { KubeConfig } from '@kubernetes/client-node';
import { httpStatusOf, KubeApiError, type ResourceRef, resourcePath } from '../../kube/request.ts';
import { type Clock, jitteredBackoff, systemClock, type TimerHandle } from './clock.ts';
import {
  kubeResourceClient,
  type ObjectWithMeta,
  type RawWatchEvent,
  type ResourceClient,
} from './resource-client.ts';
import { diffSnapshot, objectKey } from './snapshot.ts';

export { diffSnapshot, objectKey, type SnapshotChanges } from './snapshot.ts';

/** Why a watch ended. */
export type WatchEndReason =
  /** The server ended it after `timeoutSeconds`, as asked: resumed at once. */
  | 'Timeout'
  /** The server ended it earlier than asked: resumed after a backoff. */
  | 'Closed'
  /** A network error, an HTTP error or an ERROR event other than 410: resumed after a backoff. */
  | 'Error'
  /** 410 Gone: the resourceVersion is too old to resume from, so the reflector lists again. */
  | 'Expired'
  /** Nothing (no event, no bookmark) for `idleTimeoutMs`: the connection may be dead; resumed at once. */
  | 'Idle'
  /** The periodic full relist (`relistPeriodMs`). */
  | 'Relist'
  /** `stop()`. */
  | 'Stopped';

export type ReflectorEvent<T> =
  | { type: 'Added'; key: string; object: T }
  | { type: 'Modified'; key: string; object: T; old: T }
  /**
   * `finalStateUnknown`: found missing by a relist, so `object` is the last state the cache knew, not
   * the state at deletion (client-go's DeletedFinalStateUnknown).
   */
  | { type: 'Deleted'; key: string; object: T; finalStateUnknown: boolean }
  | {
      type: 'Listed';
      resourceVersion: string;
      count: number;
      pages: number;
      added: number;
      modified: number;
      deleted: number;
      durationMs: number;
    }
  | { type: 'ListFailed'; error: unknown; failures: number; retryInMs: number }
  | { type: 'WatchStarted'; resourceVersion: string }
  | { type: 'WatchEnded'; reason: WatchEndReason; error?: unknown; events: number; durationMs: number }
  | { type: 'WatchRestarted'; reason: WatchEndReason; delayMs: number; relist: boolean };

export type ReflectorListener<T> = (event: ReflectorEvent<T>) => void;

export type ReflectorSource<T> =
  | { client: ResourceClient<T> }
  | { kubeConfig: KubeConfig; resource: ResourceRef };

export interface ReflectorSettings<T = never> {
  /** For messages; defaults to the resource's plural. */
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects per list page (default 500). */
  pageSize?: number;
  /** Asks the server to end each watch after this long; it is then resumed (default 300 s). */
  watchTimeoutSeconds?: number;
  /**
   * Restart a watch that delivered nothing, not even a bookmark, for this long (default 150 s). The API
   * server sends a bookmark about every minute, so a healthy watch is never idle that long.
   */
  idleTimeoutMs?: number;
  /** List everything again this often, in case a watch missed something (default: never). */
  relistPeriodMs?: number;
  /** First retry delay after an error (default 500 ms), doubled per consecutive failure up to `backoffMaxMs` (30 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  clock?: Clock;
  random?: () => number;
  /**
   * Applied to every object before it is stored or handed to listeners, as client-go's cache transforms:
   * a controller keeps only the fields it reads, so the cache holds a fraction of each object. It must
   * keep `metadata.name`, `namespace`, `uid` and `resourceVersion` (a relist compares them); the
   * reflector resumes watches from the versions of the objects as received, whatever the transform does.
   */
  transform?: (object: T) => T;
  /** Where an exception thrown by a listener goes; by default it is rethrown outside the reflector. */
  onListenerError?: (error: unknown, event: ReflectorEvent<unknown>) => void;
}

export type ReflectorOptions<T> = ReflectorSource<T> & ReflectorSettings<T>;

interface WatchState {
  startedAt: number;
  events: number;
  ended: boolean;
  abort?: () => void;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

export class Reflector<T extends ObjectWithMeta> {
  readonly name: string;
  private readonly client: ResourceClient<T>;
  private readonly settings: Required<
    Pick<
      ReflectorSettings<T>,
      'pageSize' | 'watchTimeoutSeconds' | 'idleTimeoutMs' | 'backoffBaseMs' | 'backoffMaxMs'
    >
  > &
    ReflectorSettings<T>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly listeners = new Set<ReflectorListener<T>>();
  private cache = new Map<string, T>();
  private lastResourceVersion = '';
  private running = false;
  /** Incremented by start() and stop(): callbacks of an earlier run compare it and do nothing. */
  private run = 0;
  private failures = 0;
  private watchState: WatchState | undefined;
  private listAbort: AbortController | undefined;
  private retryTimer: TimerHandle | undefined;
  private watchdogTimer: TimerHandle | undefined;
  private relistTimer: TimerHandle | undefined;
  private relistDue = false;
  private syncedOnce = false;
  private deferred: Deferred;

  constructor(options: ReflectorOptions<T>) {
    if ('client' in options) {
      this.client = options.client;
      this.name = options.name ?? 'reflector';
    } else {
      this.client = kubeResourceClient<T>(options.kubeConfig, resourcePath(options.resource), {
        watchInactivityTimeoutMs: (options.idleTimeoutMs ?? 150_000) + 60_000,
      });
      this.name = options.name ?? options.resource.plural;
    }
    this.settings = {
      ...options,
      pageSize: options.pageSize ?? 500,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      idleTimeoutMs: options.idleTimeoutMs ?? 150_000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
    };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.deferred = deferred();
  }

  /** Resolves after the first complete list; rejects if the reflector is stopped before that. */
  get synced(): Promise<void> {
    return this.deferred.promise;
  }

  hasSynced(): boolean {
    return this.syncedOnce;
  }

  /** The resourceVersion the cache is at (from the last list, event or bookmark). */
  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  get size(): number {
    return this.cache.size;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  /** Registers a listener; returns the function that removes it. */
  onEvent(listener: ReflectorListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Lists, then watches. After a `stop()`, starts again with the cache as it was: the first list
   * reports what changed meanwhile, deletes included.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.run++;
    if (this.deferred.settled && !this.syncedOnce) this.deferred = deferred();
    this.failures = 0;
    void this.listAndWatch(this.run);
  }

  /** Ends the watch and every timer. Idempotent; the cache is kept. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.run++;
    this.listAbort?.abort();
    this.listAbort = undefined;
    if (this.watchState) this.endWatch(this.watchState, 'Stopped');
    for (const timer of [this.retryTimer, this.watchdogTimer, this.relistTimer]) {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
    this.retryTimer = this.watchdogTimer = this.relistTimer = undefined;
    if (!this.syncedOnce && !this.deferred.settled) {
      this.deferred.settled = true;
      this.deferred.reject(new Error(`reflector ${this.name} was stopped before it synced`));
    }
  }

  private async listAndWatch(run: number): Promise<void> {
    const started = this.clock.now();
    const abort = new AbortController();
    this.listAbort = abort;
    this.relistDue = false;
    let listed: { items: T[]; resourceVersion: string; pages: number };
    try {
      listed = await this.listAll(abort.signal);
    } catch (error) {
      if (run !== this.run) return;
      this.failures++;
      const retryInMs = this.backoff();
      this.emit({ type: 'ListFailed', error, failures: this.failures, retryInMs });
      this.retryTimer = this.clock.setTimeout(() => {
        if (run === this.run) void this.listAndWatch(run);
      }, retryInMs);
      return;
    }
    if (run !== this.run) return;
    this.listAbort = undefined;
    this.failures = 0;

    const changes = diffSnapshot(this.cache, listed.items);
    this.cache = changes.next;
    this.lastResourceVersion = listed.resourceVersion;
    for (const { key, object } of changes.deleted) {
      this.emit({ type: 'Deleted', key, object, finalStateUnknown: true });
    }
    for (const { key, object } of changes.added) this.emit({ type: 'Added', key, object });
    for (const { key, object, old } of changes.modified) this.emit({ type: 'Modified', key, object, old });
    this.emit({
      type: 'Listed',
      resourceVersion: listed.resourceVersion,
      count: listed.items.length,
      pages: listed.pages,
      added: changes.added.length,
      modified: changes.modified.length,
      deleted: changes.deleted.length,
      durationMs: this.clock.now() - started,
    });
    if (run !== this.run) return; // a listener stopped the reflector
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      this.deferred.settled = true;
      this.deferred.resolve();
    }
    this.scheduleRelist(run);
    this.startWatch(run);
  }

  /** Every page of one list, at one resourceVersion. */
  private async listAll(
    signal: AbortSignal,
  ): Promise<{ items: T[]; resourceVersion: string; pages: number }> {
    const transform = this.settings.transform;
    const kept = (objects: T[]) => (transform ? objects.map(transform) : objects);
    const selectors = {
      labelSelector: this.settings.labelSelector,
      fieldSelector: this.settings.fieldSelector,
    };
    const items: T[] = [];
    let pages = 0;
    let token: string | undefined;
    for (;;) {
      let page: Awaited<ReturnType<ResourceClient<T>['list']>>;
      try {
        page = await this.client.list({
          ...selectors,
          limit: this.settings.pageSize,
          continue: token,
          signal,
        });
      } catch (error) {
        // A continue token expires with the resourceVersion it pins (410): client-go's pager then falls
        // back to one list without pagination, which is consistent by construction.
        if (token === undefined || httpStatusOf(error) !== 410) throw error;
        const whole = await this.client.list({ ...selectors, signal });
        return { items: kept(whole.items), resourceVersion: whole.resourceVersion, pages: pages + 1 };
      }
      pages++;
      // Transformed page by page: the whole list as received is never held at once.
      for (const object of kept(page.items)) items.push(object);
      if (!page.continue) return { items, resourceVersion: page.resourceVersion, pages };
      token = page.continue;
    }
  }

  private startWatch(run: number): void {
    const state: WatchState = { startedAt: this.clock.now(), events: 0, ended: false };
    this.watchState = state;
    this.armWatchdog(state);
    const resourceVersion = this.lastResourceVersion;
    this.client
      .watch(
        {
          resourceVersion,
          timeoutSeconds: this.settings.watchTimeoutSeconds,
          labelSelector: this.settings.labelSelector,
          fieldSelector: this.settings.fieldSelector,
        },
        (event) => this.onWatchEvent(state, event),
        (error) => this.onWatchEnd(state, error),
      )
      .then(
        (abort) => {
          if (state.ended || run !== this.run) {
            abort();
            return;
          }
          state.abort = abort;
          this.emit({ type: 'WatchStarted', resourceVersion });
        },
        (error) => this.onWatchEnd(state, error),
      );
  }

  private onWatchEvent(state: WatchState, event: RawWatchEvent<T>): void {
    if (state.ended || state !== this.watchState) return;
    state.events++;
    this.armWatchdog(state);
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        this.noteVersion(event.object);
        const object = this.settings.transform ? this.settings.transform(event.object) : event.object;
        const key = objectKey(object);
        const old = this.cache.get(key);
        this.cache.set(key, object);
        if (old === undefined) this.emit({ type: 'Added', key, object });
        else this.emit({ type: 'Modified', key, object, old });
        return;
      }
      case 'DELETED': {
        this.noteVersion(event.object);
        const object = this.settings.transform ? this.settings.transform(event.object) : event.object;
        const key = objectKey(object);
        this.cache.delete(key);
        this.emit({ type: 'Deleted', key, object, finalStateUnknown: false });
        return;
      }
      case 'BOOKMARK':
        this.noteVersion(event.object);
        return;
      case 'ERROR': {
        const status = event.object ?? {};
        const code = status.code ?? 500;
        const error = new KubeApiError(code, status, 'watch ERROR event');
        this.endWatch(state, code === 410 ? 'Expired' : 'Error', error);
        return;
      }
      default:
        // An event type this reflector does not know: ignored rather than guessed at.
        return;
    }
  }

  private onWatchEnd(state: WatchState, error: unknown): void {
    if (state.ended || state !== this.watchState) return;
    let reason: WatchEndReason;
    if (error === undefined) {
      const lived = this.clock.now() - state.startedAt;
      reason = lived >= this.settings.watchTimeoutSeconds * 900 ? 'Timeout' : 'Closed';
    } else if (httpStatusOf(error) === 410) {
      reason = 'Expired';
    } else if ((error as { name?: string }).name === 'TimeoutError') {
      reason = 'Idle'; // client-node's own inactivity timer
    } else {
      reason = 'Error';
    }
    this.endWatch(state, reason, error);
  }

  private endWatch(state: WatchState, reason: WatchEndReason, error?: unknown): void {
    state.ended = true;
    state.abort?.();
    if (this.watchState === state) this.watchState = undefined;
    if (this.watchdogTimer !== undefined) this.clock.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = undefined;
    this.emit({
      type: 'WatchEnded',
      reason,
      ...(error === undefined ? {} : { error }),
      events: state.events,
      durationMs: this.clock.now() - state.startedAt,
    });
    if (reason === 'Stopped' || !this.running) return;

    // A watch that delivered events was healthy: its end starts a fresh backoff sequence.
    if (state.events > 0) this.failures = 0;
    let delayMs = 0;
    if (reason === 'Closed' || reason === 'Error' || (reason === 'Expired' && state.events === 0)) {
      this.failures++;
      delayMs = this.backoff();
    }
    const relist = reason === 'Expired' || reason === 'Relist' || this.relistDue;
    this.emit({ type: 'WatchRestarted', reason, delayMs, relist });
    const run = this.run;
    if (!this.running) return; // a listener stopped the reflector
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (run !== this.run) return;
      if (relist || this.relistDue) void this.listAndWatch(run);
      else this.startWatch(run);
    }, delayMs);
  }

  private armWatchdog(state: WatchState): void {
    if (this.watchdogTimer !== undefined) this.clock.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = this.clock.setTimeout(() => {
      this.watchdogTimer = undefined;
      if (!state.ended && state === this.watchState) this.endWatch(state, 'Idle');
    }, this.settings.idleTimeoutMs);
  }

  private scheduleRelist(run: number): void {
    const period = this.settings.relistPeriodMs;
    if (!period || period <= 0) return;
    if (this.relistTimer !== undefined) this.clock.clearTimeout(this.relistTimer);
    this.relistTimer = this.clock.setTimeout(() => {
      this.relistTimer = undefined;
      if (run !== this.run) return;
      this.relistDue = true;
      if (this.watchState) this.endWatch(this.watchState, 'Relist');
      // Otherwise a retry is pending; it sees `relistDue` and lists.
    }, period);
  }

  private noteVersion(object: ObjectWithMeta | undefined): void {
    const rv = object?.metadata?.resourceVersion;
    if (rv) this.lastResourceVersion = rv;
  }

  private backoff(): number {
    return jitteredBackoff(
      this.failures,
      this.settings.backoffBaseMs,
      this.settings.backoffMaxMs,
      this.random,
    );
  }

  private emit(event: ReflectorEvent<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        if (this.settings.onListenerError) {
          this.settings.onListenerError(error, event);
        } else {
          // A bug in a listener must surface, but must not leave the cache half-updated.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be awaiting `synced`: a rejection on stop must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject, settled: false };
}
