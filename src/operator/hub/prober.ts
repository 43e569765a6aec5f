import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { ConditionReason } from '../../cluster/conditions.ts';
import { type MemberHealth, NOT_PROBED } from '../../cluster/member-clusters.ts';
import { parseDuration } from '../../domain/duration.ts';
import type { Logger } from '../log.ts';

/**
 * Probes each member cluster's API server from the hub: `/readyz`, then `/version`, with the credentials
 * of the kubeconfig in the member's Secret. One independent timer per member, each probe bounded by its
 * timeout, so a member that never answers never delays another. Thresholds count consecutive probes, so
 * one lost probe does not flip a member's Reachable condition.
 */

export interface ProbeSettings {
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

/** What the prober needs of a MemberCluster. */
export interface ProbeTarget {
  name: string;
  secretRef: { namespace: string; name: string; key: string };
  settings: ProbeSettings;
}

export interface SecretObject {
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

/** One probe: the member's version when /readyz answered ok, else throws with why. */
export type ProbeFunction = (kc: KubeConfig, timeoutMs: number) => Promise<{ version: string | null }>;

export interface ProberOptions {
  /** The one namespace the hub reads member Secrets from (--member-secrets-namespace). */
  secretsNamespace: string;
  /** A Secret from the hub's cache, undefined when absent. */
  secret: (namespace: string, name: string) => SecretObject | undefined;
  /** Called when what the member controller writes changes: state, reason, version, or a heartbeat refresh. */
  onChange: (name: string) => void;
  log: Logger;
  now?: () => number;
  probe?: ProbeFunction;
  /** How often a reachable member's lastHeartbeatTime is refreshed in status (default 60 s). */
  heartbeatRefreshMs?: number;
}

/** Settings of a MemberCluster's spec.probe (validated: durations parse, thresholds in 1..10). */
export function probeSettings(probe: {
  period: string;
  timeout: string;
  failureThreshold: number;
  successThreshold: number;
}): ProbeSettings {
  return {
    periodMs: parseDuration(probe.period),
    timeoutMs: parseDuration(probe.timeout),
    failureThreshold: probe.failureThreshold,
    successThreshold: probe.successThreshold,
  };
}

class CredentialsError extends Error {
  readonly reason: ConditionReason;
  constructor(reason: ConditionReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * A KubeConfig from the Secret's text, refusing what would let a Secret's author act on the hub itself:
 * exec and auth-provider plugins (they run commands in the operator's container) and file references
 * (they would read the operator's own files, its ServiceAccount token among them). Only inline data.
 */
export function memberKubeConfig(text: string, where: string): KubeConfig {
  // Checked on the raw document first: client-node reads a user's token-file while loading.
  refuseFileReferences(text, where);
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (error) {
    throw new CredentialsError(
      ConditionReason.KubeconfigInvalid,
      `${where} does not hold a valid kubeconfig: ${(error as Error).message}`,
    );
  }
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const invalid = (why: string) =>
    new CredentialsError(ConditionReason.KubeconfigInvalid, `${where}: ${why}`);
  if (!cluster) throw invalid('the kubeconfig has no current context with a cluster');
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw invalid(`the cluster's server "${cluster.server}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid(`the cluster's server "${cluster.server}" is not an http(s) URL`);
  if (cluster.caFile) throw invalid('certificate-authority must be inline (certificate-authority-data)');
  if (user?.exec) throw invalid('the user runs an exec credential plugin, which the hub refuses to run');
  if (user?.authProvider)
    throw invalid('the user needs an auth-provider plugin, which the hub refuses to run');
  if (user?.certFile || user?.keyFile)
    throw invalid(
      'client-certificate and client-key must be inline (client-certificate-data, client-key-data)',
    );
  if ((user as { tokenFile?: string } | null)?.tokenFile)
    throw invalid('the token must be inline, not a file');
  return kc;
}

const FILE_KEYS = ['token-file', 'tokenFile', 'client-certificate', 'client-key', 'exec', 'auth-provider'];

function refuseFileReferences(text: string, where: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new CredentialsError(
      ConditionReason.KubeconfigInvalid,
      `${where} does not hold a valid kubeconfig: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (typeof doc !== 'object' || doc === null)
    throw new CredentialsError(
      ConditionReason.KubeconfigInvalid,
      `${where} does not hold a kubeconfig object`,
    );
  const entries = (key: string) => {
    const list = (doc as Record<string, unknown>)[key];
    return Array.isArray(list) ? list : [];
  };
  for (const entry of entries('users')) {
    const user = (entry as { user?: Record<string, unknown> })?.user ?? {};
    const found = FILE_KEYS.find((k) => user[k] !== undefined && user[k] !== null);
    if (found === 'exec' || found === 'auth-provider')
      throw new CredentialsError(
        ConditionReason.KubeconfigInvalid,
        `${where}: the user needs an ${found === 'exec' ? 'exec credential' : 'auth-provider'} plugin, which the hub refuses to run`,
      );
    if (found)
      throw new CredentialsError(
        ConditionReason.KubeconfigInvalid,
        `${where}: ${found} names a file; credentials must be inline (token, client-certificate-data, client-key-data)`,
      );
  }
  for (const entry of entries('clusters')) {
    const cluster = (entry as { cluster?: Record<string, unknown> })?.cluster ?? {};
    if (cluster['certificate-authority'] !== undefined)
      throw new CredentialsError(
        ConditionReason.KubeconfigInvalid,
        `${where}: certificate-authority names a file; it must be inline (certificate-authority-data)`,
      );
  }
}

/** GET a path of the member's API server within the deadline; the body as text. */
async function get(
  kc: KubeConfig,
  path: string,
  signal: AbortSignal,
): Promise<{ status: number; text: string }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const r = send(url, { ...options, method: 'GET', signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        // A member answers /readyz and /version in a few hundred bytes: never buffer an unbounded body.
        size += chunk.length;
        if (size <= 65_536) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    r.on('error', reject);
    r.end();
  });
}

/** The real probe: /readyz must answer 200, then /version gives the version (informational). */
export const probeMember: ProbeFunction = async (kc, timeoutMs) => {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const ready = await get(kc, '/readyz', signal);
    if (ready.status !== 200)
      throw new Error(
        `GET /readyz answered ${ready.status}: ${ready.text.trim().slice(0, 200) || '(no body)'}`,
      );
    const version = await get(kc, '/version', signal);
    if (version.status !== 200) return { version: null };
    try {
      const gitVersion = (JSON.parse(version.text) as { gitVersion?: unknown }).gitVersion;
      return { version: typeof gitVersion === 'string' ? gitVersion.slice(0, 64) : null };
    } catch {
      return { version: null };
    }
  } catch (error) {
    if (signal.aborted) throw new Error(`no answer within the probe timeout of ${timeoutMs} ms`);
    throw error;
  }
};

/**
 * A member's KubeConfig from the hub's Secret cache; a CredentialsError (with its condition reason) says
 * what is wrong. The prober and the workload controller read members with the same credentials.
 */
export function memberCredentials(
  secretsNamespace: string,
  lookup: (namespace: string, name: string) => SecretObject | undefined,
  ref: { namespace: string; name: string; key: string },
): KubeConfig {
  const where = `Secret ${ref.namespace}/${ref.name}`;
  if (ref.namespace !== secretsNamespace)
    throw new CredentialsError(
      ConditionReason.SecretNotFound,
      `${where} is outside namespace ${secretsNamespace}, the only namespace the hub reads member Secrets from.`,
    );
  const secret = lookup(ref.namespace, ref.name);
  if (!secret) throw new CredentialsError(ConditionReason.SecretNotFound, `${where} does not exist.`);
  const data = secret.data ?? {};
  const encoded = Object.hasOwn(data, ref.key) ? data[ref.key] : undefined;
  if (encoded === undefined) {
    const keys = Object.keys(data).sort().slice(0, 10);
    throw new CredentialsError(
      ConditionReason.KubeconfigKeyMissing,
      `${where} has no key "${ref.key}" (its keys: ${keys.length ? keys.join(', ') : 'none'}).`,
    );
  }
  return memberKubeConfig(Buffer.from(encoded, 'base64').toString('utf8'), `${where}, key "${ref.key}"`);
}

interface MemberProbeState {
  target: ProbeTarget;
  /** Changes whenever the member is re-synced with other settings: late results of an old timer are dropped. */
  epoch: number;
  timer: NodeJS.Timeout | undefined;
  failures: number;
  successes: number;
  health: MemberHealth;
  notifiedHeartbeat: number | null;
}

const sameTarget = (a: ProbeTarget, b: ProbeTarget): boolean => JSON.stringify(a) === JSON.stringify(b);

export class MemberProber {
  private readonly options: ProberOptions;
  private readonly members = new Map<string, MemberProbeState>();
  private readonly now: () => number;
  private readonly probe: ProbeFunction;
  private stopped = false;
  private epochs = 0;

  constructor(options: ProberOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.probe = options.probe ?? probeMember;
  }

  /** What the prober concluded about a member; NOT_PROBED when it has no result yet. */
  health(name: string): MemberHealth {
    return this.members.get(name)?.health ?? NOT_PROBED;
  }

  /** Starts timers for new members, restarts those whose settings changed, stops those that are gone. */
  sync(targets: readonly ProbeTarget[]): void {
    if (this.stopped) return;
    const wanted = new Map(targets.map((t) => [t.name, t]));
    for (const [name, state] of this.members) {
      if (!wanted.has(name)) {
        clearTimeout(state.timer);
        this.members.delete(name);
      }
    }
    for (const target of targets) {
      const known = this.members.get(target.name);
      if (known && sameTarget(known.target, target)) continue;
      if (known) clearTimeout(known.timer);
      const state: MemberProbeState = {
        target,
        epoch: ++this.epochs,
        timer: undefined,
        failures: 0,
        successes: 0,
        // A new Secret or new settings keep what is known of the member: only the next probes change it.
        health: known?.health ?? NOT_PROBED,
        notifiedHeartbeat: known?.notifiedHeartbeat ?? null,
      };
      this.members.set(target.name, state);
      this.schedule(state, 0);
    }
  }

  /** Probes now the members whose Secret changed, so that fixing a Secret takes effect at once. */
  secretChanged(namespace: string, name: string): void {
    for (const state of this.members.values()) {
      const ref = state.target.secretRef;
      if (ref.namespace === namespace && ref.name === name) {
        clearTimeout(state.timer);
        state.epoch = ++this.epochs;
        this.schedule(state, 0);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.members.values()) clearTimeout(state.timer);
    this.members.clear();
  }

  private schedule(state: MemberProbeState, delayMs: number): void {
    const epoch = state.epoch;
    state.timer = setTimeout(() => void this.run(state, epoch), delayMs);
    state.timer.unref();
  }

  private async run(state: MemberProbeState, epoch: number): Promise<void> {
    const { target } = state;
    let outcome:
      | { ok: true; version: string | null }
      | { ok: false; reason: ConditionReason; message: string };
    try {
      const kc = this.credentials(target);
      const { version } = await this.probe(kc, target.settings.timeoutMs);
      outcome = { ok: true, version };
    } catch (error) {
      outcome =
        error instanceof CredentialsError
          ? { ok: false, reason: error.reason, message: error.message }
          : {
              ok: false,
              reason: ConditionReason.ProbeFailed,
              message: `Probe of ${target.name} failed: ${(error as Error)?.message ?? String(error)}`,
            };
    }
    // Stopped, deleted, or re-synced while the probe ran: this result belongs to an old timer.
    if (this.stopped || this.members.get(target.name) !== state || state.epoch !== epoch) return;
    try {
      this.record(state, outcome);
    } catch (error) {
      this.options.log.error({ err: error, member: target.name }, 'recording a probe result failed');
    }
    this.schedule(state, target.settings.periodMs);
  }

  private credentials(target: ProbeTarget): KubeConfig {
    return memberCredentials(this.options.secretsNamespace, this.options.secret, target.secretRef);
  }

  private record(
    state: MemberProbeState,
    outcome: { ok: true; version: string | null } | { ok: false; reason: ConditionReason; message: string },
  ): void {
    const now = this.now();
    const before = state.health;
    const { failureThreshold, successThreshold } = state.target.settings;
    let health = before;
    if (outcome.ok) {
      state.successes++;
      state.failures = 0;
      // A member never reached yet (new, or its Secret just fixed) becomes reachable at its first answer; one that was lost needs
      // successThreshold answers in a row.
      const reachable =
        before.state === 'Reachable' || before.lastHeartbeat === null || state.successes >= successThreshold;
      health = {
        ...before,
        lastHeartbeat: now,
        kubernetesVersion: outcome.version ?? before.kubernetesVersion,
        ...(reachable
          ? {
              state: 'Reachable' as const,
              reason: ConditionReason.Reachable,
              message: 'The API server answered /readyz with ok.',
              since: before.state === 'Reachable' ? before.since : now,
            }
          : {}),
      };
    } else {
      state.failures++;
      state.successes = 0;
      // Credentials problems are not lost probes: no threshold, the condition says so at once.
      const credentials = outcome.reason !== ConditionReason.ProbeFailed;
      const lost = credentials || before.state === 'Unreachable' || state.failures >= failureThreshold;
      if (lost) {
        health = {
          ...before,
          state: 'Unreachable',
          reason: outcome.reason,
          message: credentials
            ? outcome.message
            : `${outcome.message} (${state.failures} failed probe${state.failures === 1 ? '' : 's'} in a row)`,
          since: before.state === 'Unreachable' ? before.since : now,
        };
      }
    }
    state.health = health;
    const refresh = this.options.heartbeatRefreshMs ?? 60_000;
    const changed =
      health.state !== before.state ||
      health.reason !== before.reason ||
      health.kubernetesVersion !== before.kubernetesVersion ||
      (health.state === 'Unreachable' && stripCount(health.message) !== stripCount(before.message)) ||
      (health.lastHeartbeat !== null &&
        (state.notifiedHeartbeat === null || health.lastHeartbeat - state.notifiedHeartbeat >= refresh));
    if (changed) {
      if (health.state !== before.state)
        this.options.log.info(
          { member: state.target.name, state: health.state, reason: health.reason },
          health.message,
        );
      state.notifiedHeartbeat = health.lastHeartbeat;
      this.options.onChange(state.target.name);
    }
  }
}

/** The message without its running count, so that each further failed probe does not rewrite status. */
const stripCount = (message: string): string => message.replace(/ \(\d+ failed probes? in a row\)$/, '');
