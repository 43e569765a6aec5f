import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * A stand-in for Fulcrum core serving the subset of its API the connector uses, and a contract check:
 * every request it receives and every response it sends is validated against the OpenAPI 3.1
 * description (fulcrumproject/core docs/openapi.yaml). Anything the description does not allow is
 * recorded in `violations` (tests assert it stays empty) and answered with 599, so that it also fails
 * loudly where it happens.
 *
 * Behaviour follows what the real server does: `PATCH /agents/{id}` replaces the whole tag array (admin,
 * or the participant owning the agent), `POST /services` takes the first agent whose tags contain every
 * requested tag, in no particular order and whatever its status, and answers 400 "no agent found"
 * otherwise.
 */

/** The description, read from the path CI has beside the repository; null when it is absent. */
export const FULCRUM_OPENAPI = resolve(import.meta.dirname, '../../../shared/fulcrum/openapi.yaml');
export const fulcrumDescriptionAvailable = (): boolean => existsSync(FULCRUM_OPENAPI);
export const SKIP_MESSAGE = `skipped: the Fulcrum OpenAPI description is absent at ${FULCRUM_OPENAPI}, so the contract cannot be checked`;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, unknown>;

interface Operation {
  template: string;
  method: string;
  regex: RegExp;
  names: string[];
  op: Json;
  pathParams: Json[];
}

/** Compiles the description once: operations by path template and method, and schemas by pointer. */
class Contract {
  readonly doc: Json;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<unknown, ValidateFunction>();
  readonly operations: Operation[] = [];

  constructor(path: string) {
    const doc = parse(readFileSync(path, 'utf8')) as Json;
    // Refs in the description are relative to its root; the schemas are compiled one by one, so each
    // ref is made absolute against the document registered under this id.
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (node && typeof node === 'object') {
        const out: Json = {};
        for (const [k, v] of Object.entries(node)) {
          out[k] =
            k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `fulcrum.json${v}` : rewrite(v);
        }
        return out;
      }
      return node;
    };
    this.doc = rewrite(doc) as Json;
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('int64', true).addFormat('int32', true);
    this.ajv.addSchema({ $id: 'fulcrum.json', components: this.doc.components }, 'fulcrum.json');
    for (const [template, item] of Object.entries(this.doc.paths as Record<string, Json>)) {
      const names: string[] = [];
      const regex = new RegExp(
        `^${template.replace(/\{([^}]+)\}/g, (_, n: string) => {
          names.push(n);
          return '([^/]+)';
        })}$`,
      );
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        const op = item[method] as Json | undefined;
        if (op)
          this.operations.push({
            template,
            method: method.toUpperCase(),
            regex,
            names,
            op,
            pathParams: (item.parameters as Json[] | undefined) ?? [],
          });
      }
    }
  }

  /** A literal path beats a templated one (`/agents/me` before `/agents/{id}`). */
  find(method: string, path: string): { operation: Operation; params: Record<string, string> } | null {
    const matches = this.operations
      .filter((o) => o.method === method && o.regex.test(path))
      .sort((a, b) => a.names.length - b.names.length);
    const operation = matches[0];
    if (!operation) return null;
    const values = operation.regex.exec(path)?.slice(1) ?? [];
    return {
      operation,
      params: Object.fromEntries(operation.names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')])),
    };
  }

  deref(node: Json): Json {
    let current = node;
    while (typeof current.$ref === 'string') {
      const pointer = (current.$ref as string).replace(/^fulcrum\.json#\//, '').split('/');
      current = pointer.reduce<Json>(
        (n, key) => n[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Json,
        this.doc,
      );
    }
    return current;
  }

  validate(schema: unknown, value: unknown): string[] {
    let fn = this.compiled.get(schema);
    if (!fn) {
      fn = this.ajv.compile(schema as Json);
      this.compiled.set(schema, fn);
    }
    if (fn(value)) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
  }
}

export interface StandInAgent {
  id: string;
  name: string;
  status: 'New' | 'Connected' | 'Disconnected' | 'Error' | 'Disabled';
  providerId: string;
  agentTypeId: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface StandInParticipant {
  id: string;
  name: string;
  status: 'Enabled' | 'Disabled';
  createdAt: string;
  updatedAt: string;
}

export interface StandInService {
  id: string;
  name: string;
  status: string;
  properties: Json;
  agentInstanceData: Json;
  agentId: string;
  providerId: string;
  consumerId: string;
  serviceTypeId: string;
  groupId: string;
  createdAt: string;
  updatedAt: string;
}

interface Fault {
  /** Which requests: a method and a path prefix. */
  method?: string;
  path?: string;
  status?: number;
  /** Answer after this long instead (for timeouts). */
  delayMs?: number;
  times: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
}

export class FulcrumStandIn {
  readonly adminToken = `admin-${randomUUID()}`;
  readonly participants = new Map<string, StandInParticipant>();
  readonly agents = new Map<string, StandInAgent>();
  readonly services = new Map<string, StandInService>();
  /** Tokens of participants: token → participant id. */
  readonly participantTokens = new Map<string, string>();
  readonly violations: string[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Runs right after a PATCH /agents/{id} is applied (to simulate another writer racing it). */
  afterPatch: ((agent: StandInAgent) => void) | undefined;
  private readonly contract: Contract;
  private readonly faults: Fault[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(specPath = FULCRUM_OPENAPI) {
    this.contract = new Contract(specPath);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
    this.server = undefined;
  }

  /** The next `times` requests matching answer `status` (or hang for `delayMs`). */
  fail(fault: Omit<Fault, 'times'> & { times?: number }): void {
    this.faults.push({ times: 1, ...fault });
  }

  addParticipant(name: string): StandInParticipant {
    const now = new Date().toISOString();
    const p: StandInParticipant = {
      id: randomUUID(),
      name,
      status: 'Enabled',
      createdAt: now,
      updatedAt: now,
    };
    this.participants.set(p.id, p);
    const token = `participant-${randomUUID()}`;
    this.participantTokens.set(token, p.id);
    return p;
  }

  tokenOf(participantId: string): string {
    for (const [token, id] of this.participantTokens) if (id === participantId) return token;
    throw new Error(`no token for ${participantId}`);
  }

  addAgent(
    participant: StandInParticipant,
    name: string,
    tags: string[] = [],
    status: StandInAgent['status'] = 'Connected',
  ): StandInAgent {
    const now = new Date().toISOString();
    const a: StandInAgent = {
      id: randomUUID(),
      name,
      status,
      providerId: participant.id,
      agentTypeId: AGENT_TYPE,
      tags: [...tags],
      createdAt: now,
      updatedAt: now,
    };
    this.agents.set(a.id, a);
    return a;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.search,
      body: undefined,
      status: 0,
    };
    this.requests.push(record);
    const violation = (what: string) => {
      this.violations.push(`${method} ${url.pathname}${url.search}: ${what}`);
    };
    const send = (status: number, body: unknown, op?: Operation, injected = false) => {
      record.status = status;
      if (op) {
        const responses = op.op.responses as Record<string, Json>;
        const declared = responses[String(status)] ?? responses.default;
        if (!declared) {
          // The description lists what each operation returns; a 5xx of a failing server is the one
          // answer any operation may give, and it is sent only when a test injects it.
          if (!(injected && status >= 500)) violation(`response ${status} is not in the description`);
          else {
            const errors = this.contract.validate(
              this.contract.deref({ $ref: 'fulcrum.json#/components/schemas/ErrorRes' }),
              body,
            );
            for (const e of errors) violation(`response ${status} body: ${e}`);
          }
        } else {
          const response = this.contract.deref(declared);
          const schema = (response.content as Record<string, Json> | undefined)?.['application/json']?.schema;
          if (schema)
            for (const e of this.contract.validate(schema, body)) violation(`response ${status} body: ${e}`);
          else if (body !== undefined) violation(`response ${status} has no body in the description`);
        }
      }
      if (body === undefined) {
        res.writeHead(status).end();
      } else {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
      return true;
    };

    if (!url.pathname.startsWith('/api/v1/')) return send(404, { status: 'Not found' });
    const path = url.pathname.slice('/api/v1'.length);
    const found = this.contract.find(method, path);
    if (!found) {
      violation('no such operation in the description');
      return send(599, { status: 'not in the description' });
    }
    const { operation, params } = found;

    // Request: parameters, body, auth.
    const declaredParams = [
      ...operation.pathParams,
      ...((operation.op.parameters as Json[] | undefined) ?? []),
    ].map((p) => this.contract.deref(p));
    for (const name of new Set(url.searchParams.keys())) {
      const p = declaredParams.find((d) => d.in === 'query' && d.name === name);
      if (!p) {
        violation(`query parameter "${name}" is not in the description`);
        continue;
      }
      const schema = this.contract.deref(p.schema as Json);
      const values = url.searchParams.getAll(name);
      const value =
        schema.type === 'array'
          ? values
          : schema.type === 'integer' && /^-?\d+$/.test(values[0] ?? '')
            ? Number(values[0])
            : values[0];
      if (schema.type !== 'array' && values.length > 1) violation(`query parameter "${name}" repeated`);
      for (const e of this.contract.validate(p.schema, value)) violation(`query ${name}: ${e}`);
    }
    for (const [name, value] of Object.entries(params)) {
      const p = declaredParams.find((d) => d.in === 'path' && d.name === name);
      if (p) for (const e of this.contract.validate(p.schema, value)) violation(`path ${name}: ${e}`);
    }
    let body: unknown;
    const requestBody = operation.op.requestBody
      ? this.contract.deref(operation.op.requestBody as Json)
      : undefined;
    if (raw !== '') {
      if (!requestBody) violation('a body was sent, and the operation takes none');
      else if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
        violation(`content-type ${req.headers['content-type']} is not application/json`);
      try {
        body = JSON.parse(raw);
      } catch {
        violation('the body is not JSON');
      }
      const schema = (requestBody?.content as Record<string, Json> | undefined)?.['application/json']?.schema;
      if (schema) for (const e of this.contract.validate(schema, body)) violation(`request body: ${e}`);
    } else if (requestBody?.required) violation('the required body is missing');
    record.body = body;

    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!token) violation('no Authorization: Bearer header');

    for (const fault of this.faults) {
      if (fault.times <= 0) continue;
      if (fault.method && fault.method !== method) continue;
      if (fault.path && !path.startsWith(fault.path)) continue;
      fault.times--;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.status === 401)
        return send(401, { status: 'Unauthorized', error: 'invalid token' }, operation, true);
      if (fault.status)
        return send(fault.status, { status: 'Internal Server Error', error: 'injected' }, operation, true);
    }

    const role =
      token === this.adminToken ? 'admin' : token && this.participantTokens.has(token) ? 'participant' : null;
    if (!role) {
      const responses = operation.op.responses as Record<string, Json>;
      // Every operation answers 401 to a bad token; where the description lists it, the body is checked.
      return send(
        401,
        { status: 'Unauthorized', error: 'invalid token' },
        responses['401'] ? operation : undefined,
      );
    }
    const own = role === 'participant' ? this.participantTokens.get(token as string) : undefined;
    return this.route(operation, params, body, url, own, send);
  }

  private route(
    operation: Operation,
    params: Record<string, string>,
    body: unknown,
    url: URL,
    participantId: string | undefined,
    send: (status: number, body: unknown, op?: Operation) => boolean,
  ): boolean {
    const key = `${operation.method} ${operation.template}`;
    const pageOf = <T>(all: T[]) => {
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get('pageSize') ?? 10)));
      const totalPages = Math.ceil(all.length / pageSize);
      return {
        items: all.slice((page - 1) * pageSize, page * pageSize),
        totalItems: all.length,
        totalPages,
        currentPage: page,
        hasNext: page < totalPages,
        hasPrev: page > 1,
      };
    };
    const visibleAgents = () =>
      [...this.agents.values()].filter((a) => participantId === undefined || a.providerId === participantId);
    switch (key) {
      case 'GET /agents':
        return send(200, pageOf(visibleAgents()), operation);
      case 'GET /participants':
        return send(
          200,
          pageOf(
            [...this.participants.values()].filter(
              (p) => participantId === undefined || p.id === participantId,
            ),
          ),
          operation,
        );
      case 'GET /agents/{id}': {
        const a = visibleAgents().find((x) => x.id === params.id);
        return a
          ? send(200, a, operation)
          : send(404, { status: 'Not found', error: 'agent not found' }, operation);
      }
      case 'PATCH /agents/{id}': {
        const a = visibleAgents().find((x) => x.id === params.id);
        if (!a) return send(404, { status: 'Not found', error: 'agent not found' }, operation);
        const tags = (body as { tags?: string[] }).tags;
        if (tags) a.tags = [...tags];
        a.updatedAt = new Date().toISOString();
        const answer = send(200, structuredClone(a), operation);
        this.afterPatch?.(a);
        return answer;
      }
      case 'GET /services':
        return send(
          200,
          pageOf(
            [...this.services.values()].filter(
              (s) =>
                participantId === undefined ||
                s.providerId === participantId ||
                s.consumerId === participantId,
            ),
          ),
          operation,
        );
      case 'POST /services': {
        const req = body as {
          name: string;
          agentTags?: string[];
          agentId?: string;
          serviceTypeId: string;
          groupId: string;
          properties?: Json;
        };
        const wanted = req.agentTags ?? [];
        // As Fulcrum core: the first agent whose tags contain every requested tag; no ordering, no status filter.
        const agent = req.agentId
          ? this.agents.get(req.agentId)
          : [...this.agents.values()].find((a) => wanted.every((t) => a.tags.includes(t)));
        if (!agent)
          return send(
            400,
            {
              status: 'no agent found',
              valid: false,
              errors: [{ path: 'agentTags', message: 'no agent found' }],
            },
            operation,
          );
        const now = new Date().toISOString();
        const s: StandInService = {
          id: randomUUID(),
          name: req.name,
          status: 'New',
          properties: req.properties ?? {},
          agentInstanceData: {},
          agentId: agent.id,
          providerId: agent.providerId,
          consumerId: participantId ?? agent.providerId,
          serviceTypeId: req.serviceTypeId,
          groupId: req.groupId,
          createdAt: now,
          updatedAt: now,
        };
        this.services.set(s.id, s);
        return send(201, s, operation);
      }
      case 'DELETE /services/{id}':
        if (!this.services.delete(params.id as string))
          return send(404, { status: 'Not found', error: 'service not found' }, operation);
        return send(204, undefined, operation);
      default:
        this.violations.push(`${key}: not served by the stand-in`);
        return send(599, { status: 'not served by the stand-in' });
    }
  }
}

/** The one agent type of the stand-in. */
export const AGENT_TYPE = '0b7c52a2-4c3b-4f5e-9d61-2f6f0c6b6a10';
