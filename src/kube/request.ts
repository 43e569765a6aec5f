// Plain JSON requests to the API server with the credentials of a KubeConfig.
//
// Why not the typed clients of @kubernetes/client-node: they turn built-in kinds into their model
// classes (timestamps become Date, `metadata.continue` becomes `_continue`, a Lease's MicroTime is sent
// with milliseconds), while its Watch hands out the JSON as sent by the server. A cache that mixes both
// shapes would give controllers objects that differ by where they came from. Here every object is the
// API server's JSON, as in the watch.
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** The `Status` object the API server returns with errors (and in watch ERROR events). */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string | undefined;
  readonly status: KubeStatus | undefined;

  constructor(statusCode: number, status: KubeStatus | undefined, detail: string) {
    super(`${statusCode} ${status?.reason ?? ''}: ${status?.message ?? detail}`.replace(' :', ':'));
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = status?.reason;
    this.status = status;
  }
}

/**
 * The HTTP status of an error thrown by this module, by client-node's typed APIs (`code`) or passed to
 * client-node's Watch `done` callback (`statusCode`); undefined for network errors.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { statusCode?: unknown; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  return undefined;
}

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server URL, for example `/api/v1/configmaps`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Gives up (with an error) when the whole request took longer (default 30 s). */
  timeoutMs?: number;
  /** Gives up (with an error) when the answer is larger (default: no bound), for servers not trusted to be sane. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Idle connections are closed after this long, well below the API server's own idle timeout (90 s), so
 * that a request is rarely sent on a connection the server is closing at the same moment.
 */
const IDLE_SOCKET_MS = 30_000;

/** One keep-alive agent per agent of client-node (itself one per cluster and user of a KubeConfig). */
const keepAliveAgents = new WeakMap<object, HttpAgent>();

/**
 * client-node's `applyToHTTPSOptions` gives an agent per (cluster, user) but without keep-alive, so every
 * request would pay a TCP and TLS handshake (and a sequential caller would open one connection per
 * request). This returns a keep-alive agent with the same TLS options, made once per client-node agent.
 * Proxy agents (hpagent, socks) are subclasses and are left as they are.
 */
function keepAliveAgent(agent: unknown): unknown {
  if (typeof agent !== 'object' || agent === null) return agent;
  const ctor = (agent as { constructor?: unknown }).constructor;
  if (ctor !== HttpsAgent && ctor !== HttpAgent) return agent;
  let reused = keepAliveAgents.get(agent);
  if (!reused) {
    const options = { ...(agent as HttpAgent & { options: object }).options };
    const settings = { keepAlive: true, keepAliveMsecs: 30_000, timeout: IDLE_SOCKET_MS };
    reused =
      ctor === HttpsAgent
        ? new HttpsAgent({ ...options, ...settings })
        : new HttpAgent({ ...options, ...settings });
    keepAliveAgents.set(agent, reused);
  }
  return reused;
}

/** Sends one request with the credentials of `kc` and returns the parsed JSON answer. */
export async function kubeRequest<T>(kc: KubeConfig, req: KubeRequest): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the KubeConfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + req.path);
  for (const [name, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const options: RequestOptions = {};
  // Client certificates, CA, bearer tokens and exec/OIDC plugins are all applied here.
  await kc.applyToHTTPSOptions(options);
  options.agent = keepAliveAgent(options.agent) as RequestOptions['agent'];
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  const headers: Record<string, string> = {
    ...(options.headers as Record<string, string> | undefined),
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const timeoutMs = req.timeoutMs ?? 30_000;

  const attempt = () =>
    new Promise<{ statusCode: number; text: string }>((resolve, reject) => {
      const r = send(url, { ...options, method: req.method ?? 'GET', headers, signal: req.signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (req.maxBytes !== undefined && size > req.maxBytes) {
            r.destroy(
              new Error(`${req.method ?? 'GET'} ${req.path}: the answer exceeds ${req.maxBytes} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      const timer = setTimeout(() => {
        r.destroy(new Error(`${req.method ?? 'GET'} ${req.path} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      r.on('close', () => clearTimeout(timer));
      r.on('error', (error: NodeJS.ErrnoException) => {
        // The server closed an idle kept-alive connection as the request was sent on it: the request
        // never reached it, so it is sent once more on a new connection (Node's documented pattern).
        if (r.reusedSocket && error.code === 'ECONNRESET') reject(new ReusedSocketReset(error));
        else reject(error);
      });
      r.end(body);
    });
  const { statusCode, text } = await attempt().catch((error: unknown) => {
    if (error instanceof ReusedSocketReset) return attempt();
    throw error;
  });

  if (statusCode >= 200 && statusCode < 300) return (text ? JSON.parse(text) : undefined) as T;
  let status: KubeStatus | undefined;
  try {
    status = JSON.parse(text) as KubeStatus;
  } catch {
    status = undefined;
  }
  throw new KubeApiError(statusCode, status, text.slice(0, 200));
}

class ReusedSocketReset extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

export interface ResourceRef {
  /** API group; empty or absent for the core group. */
  group?: string;
  version: string;
  /** Resource name in the URL (plural, lower case), for example `configmaps`. */
  plural: string;
  /** Only this namespace; absent for cluster-scoped kinds or to see all namespaces. */
  namespace?: string;
}

/** The collection URL of a resource: `/api/v1/configmaps`, `/apis/coordination.k8s.io/v1/namespaces/x/leases`. */
export function resourcePath(ref: ResourceRef): string {
  const root = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `${root}${ns}/${ref.plural}`;
}
