// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does it
// (client-node has none): several replicas run, one leads (runs the controllers), the others wait and
// take over when the leader releases the Lease on shutdown or stops renewing it.
//
// Safety rests on two things. Every write replaces the Lease *as read*, resourceVersion included, so of
// two candidates that read the same free Lease only one write succeeds (the other gets 409 Conflict).
// And a leader gives up (onStoppedLeading, isLeader() false) when it has not renewed for
// `renewDeadlineMs`, while the others wait `leaseDurationMs` past the last renewal before taking over;
// the difference (5 s by default) must exceed the clock skew between replicas.
import type { KubeConfig } from '@kubernetes/client-node';
import { httpStatusOf, kubeRequest, resourcePath } from '../../kube/request.ts';
import { type Clock, sleep, systemClock, type TimerHandle } from './clock.ts';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  /** MicroTime: RFC 3339 with microseconds. */
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [field: string]: unknown };
  spec?: LeaseSpec;
}

export type LeaseDecision =
  /** No Lease yet: create it, holding it. */
  | { action: 'create' }
  /** We hold it: write a new renewTime. */
  | { action: 'renew' }
  /** Free or expired: take it, counting one more transition. */
  | { action: 'acquire'; leaseTransitions: number; previousHolder: string | undefined }
  /** Someone else holds it until `expiresAt`. */
  | { action: 'wait'; holder: string; expiresAt: number };

/** When a Lease held by someone stops being valid: its last renewal plus its duration. */
export function leaseExpiresAt(spec: LeaseSpec): number | undefined {
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  if (Number.isNaN(renewed) || !spec.leaseDurationSeconds) return undefined;
  return renewed + spec.leaseDurationSeconds * 1000;
}

/** What `identity` should do with `lease` at `now` (epoch ms). Pure: the whole election policy. */
export function decide(lease: Lease | undefined, now: number, identity: string): LeaseDecision {
  if (lease === undefined) return { action: 'create' };
  const spec = lease.spec ?? {};
  const holder = spec.holderIdentity || undefined;
  if (holder === identity) return { action: 'renew' };
  const expiresAt = holder === undefined ? undefined : leaseExpiresAt(spec);
  // A holder without a valid renewTime or duration cannot prove it is alive: treat it as expired.
  if (holder !== undefined && expiresAt !== undefined && now <= expiresAt) {
    return { action: 'wait', holder, expiresAt };
  }
  return { action: 'acquire', leaseTransitions: (spec.leaseTransitions ?? 0) + 1, previousHolder: holder };
}

/** A MicroTime as the API server wants it: six fractional digits (client-node's Date gives three). */
export function formatMicroTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Reads and writes one Lease; throws errors carrying the HTTP status (404, 409) as `statusCode`. */
export interface LeaseClient {
  get(signal?: AbortSignal): Promise<Lease | undefined>;
  create(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  /** Replaces the Lease; `lease.metadata.resourceVersion` makes it fail with 409 if it changed meanwhile. */
  replace(lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

export function kubeLeaseClient(
  kc: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs = 5_000,
): LeaseClient {
  const collection = resourcePath({
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    namespace,
  });
  const item = `${collection}/${encodeURIComponent(name)}`;
  return {
    async get(signal) {
      try {
        return await kubeRequest<Lease>(kc, { path: item, timeoutMs, signal });
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },
    create: (lease, signal) =>
      kubeRequest<Lease>(kc, { method: 'POST', path: collection, body: lease, timeoutMs, signal }),
    replace: (lease, signal) =>
      kubeRequest<Lease>(kc, { method: 'PUT', path: item, body: lease, timeoutMs, signal }),
  };
}

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  /** Unique per replica, for example the pod name. */
  identity: string;
  /** Either a KubeConfig or a LeaseClient (tests). */
  kubeConfig?: KubeConfig;
  client?: LeaseClient;
  /** How long others wait past the last renewal before taking over (default 15 s). */
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long (default 10 s). */
  renewDeadlineMs?: number;
  /** How often to renew, and to retry acquiring (default 2 s). */
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** A leader was observed for the first time or changed (our own identity included). */
  onNewLeader?: (identity: string) => void;
  /** A failed read or write of the Lease (it is retried). */
  onError?: (error: unknown) => void;
  clock?: Clock;
  random?: () => number;
}

export class LeaderElector {
  readonly identity: string;
  private readonly client: LeaseClient;
  private readonly options: LeaderElectorOptions;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private leading = false;
  private lastRenewAt = Number.NEGATIVE_INFINITY;
  private deadlineTimer: TimerHandle | undefined;
  private reportedLeader: string | undefined;
  private run = 0;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) {
      throw new Error('renewDeadlineMs must be shorter than leaseDurationMs');
    }
    if (!(this.retryPeriodMs < this.renewDeadlineMs)) {
      throw new Error('retryPeriodMs must be shorter than renewDeadlineMs');
    }
    if (!options.identity) throw new Error('identity must not be empty');
    const client =
      options.client ??
      (options.kubeConfig &&
        kubeLeaseClient(options.kubeConfig, options.namespace, options.name, this.retryPeriodMs * 2));
    if (!client) throw new Error('either kubeConfig or client is required');
    this.client = client;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** True while we hold the Lease and renewed it less than `renewDeadlineMs` ago. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.lastRenewAt + this.renewDeadlineMs;
  }

  /** The holder last seen in the Lease. */
  get leader(): string | undefined {
    return this.reportedLeader;
  }

  /** Starts trying to acquire, then renewing, the Lease, until stop() or release(). */
  start(): void {
    if (this.loop) return;
    const run = ++this.run;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.runLoop(run, abort.signal);
  }

  /**
   * Stops renewing without giving the Lease up: others take over once it expires. For a crash-like stop;
   * a graceful shutdown calls `release()`.
   */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.run++;
    this.abort?.abort(new Error('leader elector stopped'));
    this.loop = undefined;
    await loop;
    this.lose();
  }

  /** Stops, and if we hold the Lease, empties its holder so that another replica takes over at once. */
  async release(): Promise<void> {
    await this.stop();
    // Only a replica that has held the Lease may have it still; the others have nothing to give up.
    if (this.reportedLeader !== this.identity) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const lease = await this.client.get();
        if (lease?.spec?.holderIdentity !== this.identity) return;
        const now = this.clock.now();
        await this.client.replace({
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: formatMicroTime(now),
            renewTime: formatMicroTime(now),
          },
        });
        return;
      } catch (error) {
        // 409: a write of ours that was still in flight landed meanwhile; read again.
        if (httpStatusOf(error) !== 409) {
          this.report(error);
          return;
        }
      }
    }
  }

  private async runLoop(run: number, signal: AbortSignal): Promise<void> {
    while (run === this.run) {
      await this.tryAcquireOrRenew(run, signal);
      if (run !== this.run) return;
      // Candidates spread their attempts (client-go's JitterFactor 1.2); the leader renews on time.
      const wait = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + this.random() * 1.2);
      try {
        await sleep(this.clock, wait, signal);
      } catch {
        return;
      }
    }
  }

  private async tryAcquireOrRenew(run: number, signal: AbortSignal): Promise<void> {
    try {
      const lease = await this.client.get(signal);
      if (run !== this.run) return;
      // The renewal instant is taken before the write: others count the expiry from the renewTime we
      // write, and we count our deadline from the same instant, never from a later response.
      const now = this.clock.now();
      const decision = decide(lease, now, this.identity);
      const spec: LeaseSpec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        renewTime: formatMicroTime(now),
      };
      switch (decision.action) {
        case 'wait':
          this.observe(decision.holder);
          // Someone else holds a valid Lease: if we thought we led, we do not.
          this.lose();
          return;
        case 'create':
          await this.client.create(
            {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name: this.options.name, namespace: this.options.namespace },
              spec: { ...spec, acquireTime: formatMicroTime(now), leaseTransitions: 0 },
            },
            signal,
          );
          break;
        case 'renew':
          await this.client.replace({ ...lease, spec: { ...lease?.spec, ...spec } }, signal);
          break;
        case 'acquire':
          await this.client.replace(
            {
              ...lease,
              spec: {
                ...lease?.spec,
                ...spec,
                acquireTime: formatMicroTime(now),
                leaseTransitions: decision.leaseTransitions,
              },
            },
            signal,
          );
          break;
      }
      if (run !== this.run) return;
      this.renewed(now);
    } catch (error) {
      if (run !== this.run) return;
      // 409 Conflict / AlreadyExists: another candidate wrote first; not an error worth reporting.
      const status = httpStatusOf(error);
      if (status !== 409) this.report(error);
    }
  }

  private renewed(at: number): void {
    this.lastRenewAt = at;
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    // Fires unless a later renewal re-arms it, even when a request hangs.
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.lose();
      },
      at + this.renewDeadlineMs - this.clock.now(),
    );
    this.observe(this.identity);
    if (!this.leading) {
      this.leading = true;
      this.call(this.options.onStartedLeading);
    }
  }

  private lose(): void {
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (!this.leading) return;
    this.leading = false;
    this.call(this.options.onStoppedLeading);
  }

  private observe(holder: string): void {
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    this.call(() => this.options.onNewLeader?.(holder));
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // a failing logger must not stop the renew loop
    }
  }

  // A throwing callback must not stop the renew loop: that would end leadership for the wrong reason.
  private call(callback: (() => void) | undefined): void {
    try {
      callback?.();
    } catch (error) {
      this.report(error);
    }
  }
}
