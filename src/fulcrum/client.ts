import { z } from 'zod';

/**
 * A client for the part of the Fulcrum Core REST API the operator and sovctl use, kept strictly to its
 * OpenAPI description (fulcrumproject/core, docs/openapi.yaml): Bearer auth, `page`/`pageSize` queries,
 * `PageRes` pages, `PATCH /agents/{id}` with an `UpdateAgentReq` body holding `tags` alone.
 *
 * Fulcrum is outside the trust boundary: every answer is bounded in size, validated with zod before use,
 * and every request has a timeout. Errors are typed, so that a controller can say which one it met.
 */

/** Why a request failed, as a condition reason names it. */
export type FulcrumErrorKind =
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Rejected'
  | 'ServerError'
  | 'Timeout'
  | 'Unreachable'
  | 'InvalidResponse';

export class FulcrumError extends Error {
  readonly kind: FulcrumErrorKind;
  readonly status: number | undefined;
  constructor(kind: FulcrumErrorKind, message: string, status?: number) {
    super(message);
    this.name = 'FulcrumError';
    this.kind = kind;
    this.status = status;
  }
}

const MAX_TAGS = 256;
const MAX_TEXT = 1024;
const text = z.string().max(MAX_TEXT);
const id = z.string().min(1).max(64);
/** Go encodes an empty slice as null: an absent or null tag list is no tag. */
const tagList = z
  .array(text)
  .max(MAX_TAGS)
  .nullish()
  .transform((t) => t ?? []);

const participant = z.looseObject({
  id,
  name: text.nullish().transform((n) => n ?? ''),
  status: text.nullish(),
});

const agent = z.looseObject({
  id,
  name: text.nullish().transform((n) => n ?? ''),
  status: text.nullish().transform((s) => s ?? 'Unknown'),
  providerId: id.nullish(),
  agentTypeId: id.nullish(),
  tags: tagList,
  participant: participant.nullish(),
  agentType: z
    .looseObject({ id, name: text.nullish(), serviceTypeIds: z.array(id).max(1024).nullish() })
    .nullish(),
});

const service = z.looseObject({
  id,
  name: text.nullish().transform((n) => n ?? ''),
  status: text.nullish(),
  agentId: id.nullish(),
  serviceTypeId: id.nullish(),
  groupId: id.nullish(),
  properties: z.record(z.string(), z.unknown()).nullish(),
});

export type FulcrumParticipant = z.output<typeof participant>;
export type FulcrumAgent = z.output<typeof agent>;
export type FulcrumService = z.output<typeof service>;

/** `PageRes`: every field optional in the description, so the end of the list is found defensively. */
const page = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    items: z.array(item).max(PAGE_SIZE).nullish(),
    totalItems: z.int().min(0).nullish(),
    totalPages: z.int().min(0).nullish(),
    currentPage: z.int().min(0).nullish(),
    hasNext: z.boolean().nullish(),
    hasPrev: z.boolean().nullish(),
  });

/** The largest page Fulcrum serves. */
export const PAGE_SIZE = 100;
/** At most this many pages of one list (100 000 objects): a server that never ends its list is an error. */
const MAX_PAGES = 1000;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export interface ServiceRequest {
  groupId: string;
  serviceTypeId: string;
  name: string;
  properties?: Record<string, unknown>;
  agentTags: string[];
}

export interface FulcrumClientOptions {
  /** Base URL, up to and including /api/v1. */
  url: string;
  token: string;
  timeoutMs: number;
  /** The largest answer read, in bytes (default 8 MiB). */
  maxResponseBytes?: number;
}

export class FulcrumClient {
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(options: FulcrumClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs;
    this.maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_BYTES;
  }

  /** Every agent, all pages. */
  listAgents(): Promise<FulcrumAgent[]> {
    return this.listAll('/agents', agent);
  }

  /** Every participant, all pages. */
  listParticipants(): Promise<FulcrumParticipant[]> {
    return this.listAll('/participants', participant);
  }

  /** Every service the token may see, all pages (the list has no agent filter). */
  listServices(): Promise<FulcrumService[]> {
    return this.listAll('/services', service);
  }

  async getAgent(agentId: string): Promise<FulcrumAgent> {
    return this.parse(agent, await this.request('GET', `/agents/${encodeURIComponent(agentId)}`), 'AgentRes');
  }

  /** Replaces the agent's whole tag array (`UpdateAgentReq` with `tags` only). */
  async setAgentTags(agentId: string, tags: readonly string[]): Promise<FulcrumAgent> {
    const body = { tags: [...tags] };
    return this.parse(
      agent,
      await this.request('PATCH', `/agents/${encodeURIComponent(agentId)}`, body),
      'AgentRes',
    );
  }

  async createService(request: ServiceRequest): Promise<FulcrumService> {
    return this.parse(service, await this.request('POST', '/services', request), 'ServiceRes');
  }

  async deleteService(serviceId: string): Promise<void> {
    await this.request('DELETE', `/services/${encodeURIComponent(serviceId)}`);
  }

  private async listAll<T extends z.ZodType>(path: string, item: T): Promise<z.output<T>[]> {
    const items: z.output<T>[] = [];
    const seen = new Set<string>();
    const schema = page(item);
    for (let n = 1; n <= MAX_PAGES; n++) {
      const body = await this.request('GET', path, undefined, {
        page: String(n),
        pageSize: String(PAGE_SIZE),
      });
      const p = this.parse(schema, body, 'PageRes');
      const got = (p.items ?? []) as z.output<T>[];
      for (const i of got) {
        const key = (i as { id: string }).id;
        // A server that ignores `page` would hand out the first page forever.
        if (seen.has(key)) throw new FulcrumError('InvalidResponse', `GET ${path} page ${n} repeats ${key}`);
        seen.add(key);
        items.push(i);
      }
      const more = p.hasNext ?? (p.totalPages != null ? n < p.totalPages : got.length === PAGE_SIZE);
      if (!more || got.length === 0) return items;
    }
    throw new FulcrumError('InvalidResponse', `GET ${path} did not end within ${MAX_PAGES} pages`);
  }

  private parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
    const result = schema.safeParse(body);
    if (result.success) return result.data;
    const first = result.error.issues[0];
    throw new FulcrumError(
      'InvalidResponse',
      `Fulcrum answered with an invalid ${what}: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unreadable'}`,
    );
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<unknown> {
    const url = `${this.base}${path}${query ? `?${new URLSearchParams(query)}` : ''}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.transportError(method, path, error);
    }
    let raw: string;
    try {
      raw = await readBounded(response, this.maxBytes);
    } catch (error) {
      if (error instanceof FulcrumError) throw error;
      throw this.transportError(method, path, error);
    }
    if (!response.ok) throw httpError(method, path, response.status, raw);
    if (response.status === 204 || raw === '') return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      throw new FulcrumError('InvalidResponse', `${method} ${path}: the answer is not JSON`, response.status);
    }
  }

  private transportError(method: string, path: string, error: unknown): FulcrumError {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return new FulcrumError('Timeout', `${method} ${path}: no answer within ${this.timeoutMs} ms`);
    const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
    return new FulcrumError('Unreachable', `${method} ${path}: ${cause}`);
  }
}

/** The body as text, refusing more than `max` bytes (a hostile server could send gigabytes). */
async function readBounded(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await response.body?.cancel();
    throw new FulcrumError(
      'InvalidResponse',
      `the answer is ${declared} bytes, more than the ${max} allowed`,
    );
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new FulcrumError('InvalidResponse', `the answer is more than the ${max} bytes allowed`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The description's `ErrorRes` is `{status, error}` (strings); the server's own error type is
 * `{status: <HTTP code>, message}`. Either is read, and anything else is shown cut short.
 */
const errorBody = z.looseObject({
  status: z.union([z.string().max(MAX_TEXT), z.number()]).nullish(),
  message: z.string().max(MAX_TEXT).nullish(),
  error: z.string().max(MAX_TEXT).nullish(),
});
const validationBody = z.looseObject({
  errors: z
    .array(
      z.looseObject({
        path: z.string().max(MAX_TEXT).nullish(),
        message: z.string().max(MAX_TEXT).nullish(),
      }),
    )
    .max(64),
});

/** What Fulcrum said, from an `ErrorRes` or a `ValidationErrRes`, cut to one line. */
function errorDetail(raw: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw.slice(0, 200);
  }
  const v = validationBody.safeParse(parsed);
  if (v.success && v.data.errors.length > 0)
    return v.data.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message ?? ''}`).join('; ');
  const e = errorBody.safeParse(parsed);
  if (e.success) {
    const status = typeof e.data.status === 'string' ? e.data.status : undefined;
    const parts = [status, e.data.message, e.data.error].filter(Boolean);
    if (parts.length > 0) return parts.join(': ');
  }
  return raw.slice(0, 200);
}

function httpError(method: string, path: string, status: number, raw: string): FulcrumError {
  const detail = errorDetail(raw);
  const what = `${method} ${path}: HTTP ${status}${detail ? ` (${detail})` : ''}`;
  if (status === 401) return new FulcrumError('Unauthorized', what, status);
  if (status === 403) return new FulcrumError('Forbidden', what, status);
  if (status === 404) return new FulcrumError('NotFound', what, status);
  if (status >= 500) return new FulcrumError('ServerError', what, status);
  return new FulcrumError('Rejected', what, status);
}
