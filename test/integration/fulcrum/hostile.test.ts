import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FulcrumClient, FulcrumError } from '../../../src/fulcrum/client.ts';

/**
 * A Fulcrum that misbehaves (outside the trust boundary, and outside its own description, so no contract
 * check here): every bad answer is a typed FulcrumError, never a crash or an unbounded read.
 */

type Handler = (url: URL) => { status: number; body: string; headers?: Record<string, string> };
let handler: Handler = () => ({ status: 200, body: '{}' });
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = handler(new URL(req.url ?? '/', 'http://x'));
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

const client = (maxResponseBytes?: number) =>
  new FulcrumClient({ url, token: 't', timeoutMs: 2000, ...(maxResponseBytes ? { maxResponseBytes } : {}) });
const failure = async (p: Promise<unknown>) => {
  const e = await p.catch((error: unknown) => error);
  expect(e).toBeInstanceOf(FulcrumError);
  return e as FulcrumError;
};
const agent = (id: string) => ({ id, name: id, status: 'Connected', tags: null });

describe('the Fulcrum client against a hostile server', () => {
  it('refuses an answer larger than its bound', async () => {
    handler = () => ({ status: 200, body: JSON.stringify({ items: [], pad: 'x'.repeat(20_000) }) });
    expect((await failure(client(10_000).listAgents())).kind).toBe('InvalidResponse');
  });

  it('refuses what is not JSON, or not a page of agents', async () => {
    handler = () => ({ status: 200, body: '<html>' });
    expect((await failure(client().listAgents())).message).toContain('not JSON');
    handler = () => ({ status: 200, body: JSON.stringify({ items: [{ name: 'no id' }] }) });
    expect((await failure(client().listAgents())).message).toContain('invalid PageRes: items.0.id');
    handler = () => ({ status: 200, body: JSON.stringify({ items: [{ id: 'a', tags: 'gpu' }] }) });
    expect((await failure(client().listAgents())).kind).toBe('InvalidResponse');
  });

  it('takes null tags as none, and stops a list that repeats itself or never ends', async () => {
    handler = () => ({ status: 200, body: JSON.stringify({ items: [agent('a')], hasNext: false }) });
    expect((await client().listAgents())[0]?.tags).toEqual([]);
    handler = () => ({ status: 200, body: JSON.stringify({ items: [agent('a')], hasNext: true }) });
    expect((await failure(client().listAgents())).message).toContain('page 2 repeats a');
    let n = 0;
    handler = () => ({ status: 200, body: JSON.stringify({ items: [agent(`a${n++}`)], hasNext: true }) });
    expect((await failure(client().listAgents())).message).toContain('did not end within 1000 pages');
  });

  it('says which HTTP error it met, from ErrorRes or ValidationErrRes', async () => {
    handler = () => ({ status: 502, body: 'Bad Gateway' });
    const bad = await failure(client().listAgents());
    expect([bad.kind, bad.status]).toEqual(['ServerError', 502]);
    handler = () => ({ status: 403, body: JSON.stringify({ status: 'Forbidden', error: 'admin only' }) });
    expect((await failure(client().listAgents())).message).toContain('HTTP 403 (Forbidden: admin only)');
    handler = () => ({ status: 400, body: JSON.stringify({ status: 400, message: 'no agent found' }) });
    expect((await failure(client().listAgents())).message).toContain('HTTP 400 (no agent found)');
  });

  it('does not follow redirects (the token would go along)', async () => {
    handler = () => ({ status: 302, body: '', headers: { location: 'http://127.0.0.1:1/steal' } });
    expect((await failure(client().listAgents())).kind).toBe('Unreachable');
  });
});
