// The HTTPS admission endpoint under hostile clients: every request is answered, none crashes the
// process or holds a connection, and a pod an Enforce policy selects is never let through unpinned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyLookup } from '../../../src/cluster/admission/admit-pod.ts';
import { MAX_BODY_BYTES } from '../../../src/operator/webhook/server.ts';
import { applyJsonPatch, decodePatch, NS, notPinned, policy } from './support.ts';
import { capturingLogger, holdConnection, type RunningWebhook, startTestWebhook } from './tls.ts';

const UID = 'b1c2d3';
const enforce = [policy('ledger')];
let mode: 'ok' | 'unsynced' | 'throws' = 'ok';
const lookup: PolicyLookup = (namespace) => {
  if (mode === 'unsynced') return undefined;
  if (mode === 'throws') throw new Error('lookup failed');
  return namespace === NS ? enforce : [];
};
const logger = capturingLogger();
let webhook: RunningWebhook;

beforeAll(async () => {
  webhook = await startTestWebhook(lookup, logger.log, { requestTimeoutMs: 1_000 });
});
afterAll(async () => {
  await webhook?.close();
});

const pod = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'ledger-0', namespace: NS, labels: { app: 'ledger' } },
  spec: { containers: [{ name: 'app', image: 'ledger:1' }], ...spec },
});
const review = (request: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
const create = (object: unknown) => review({ uid: UID, operation: 'CREATE', namespace: NS, object });

async function responseOf(body: string) {
  const res = await webhook.post(body);
  expect(res.status, res.body).toBe(200);
  return JSON.parse(res.body).response as {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    patch?: string;
  };
}

describe('webhook server', () => {
  it('pins a selected pod', async () => {
    const object = pod();
    const response = await responseOf(create(object));
    expect(response.allowed).toBe(true);
    expect(notPinned(applyJsonPatch(object, decodePatch(response.patch)), enforce)).toBeUndefined();
  });

  it.each([
    ['null', 'null'],
    ['a number', '5'],
    ['an empty object', '{}'],
    ['a review without request', '{"kind":"AdmissionReview"}'],
    ['a request without uid', review({ operation: 'CREATE', object: pod() })],
    ['not JSON', '{"request":'],
  ])('answers %s with 400 and keeps serving', async (_, body) => {
    const res = await webhook.post(body);
    expect(res.status).toBe(400);
    expect((await responseOf(create(pod()))).allowed).toBe(true);
  });

  it.each([
    ['no operation', review({ uid: UID, namespace: NS, object: pod() })],
    ['no object', review({ uid: UID, operation: 'CREATE', namespace: NS })],
    ['schedulingGates "x"', create(pod({ schedulingGates: 'x' }))],
    ['schedulingGates [null]', create(pod({ schedulingGates: [null] }))],
    ['tolerations 5', create(pod({ tolerations: 5 }))],
    ['tolerations [null]', create(pod({ tolerations: [null] }))],
    [
      'nodeSelectorTerms {}',
      create(
        pod({
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: {} } },
          },
        }),
      ),
    ],
    [
      'nodeSelectorTerms [null]',
      create(
        pod({
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [null] } },
          },
        }),
      ),
    ],
  ])('denies a request with %s', async (_, body) => {
    const response = await responseOf(body);
    expect(response.uid).toBe(UID);
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(400);
  });

  it('pins a pod whose podAffinity is nested 10,000 deep', async () => {
    const body = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"${UID}","operation":"CREATE","namespace":"${NS}","object":{"metadata":{"name":"deep","labels":{}},"spec":{"affinity":{"podAffinity":${'{"a":['.repeat(10_000)}{}${']}'.repeat(10_000)}}}}}}`;
    const response = await responseOf(body);
    expect(response.allowed).toBe(true);
    expect(decodePatch(response.patch).map((o) => o.path)).toContain('/spec/affinity/nodeAffinity');
  });

  it('keeps failing closed with 503 while the policies are not loaded', async () => {
    mode = 'unsynced';
    try {
      const response = await responseOf(create(pod()));
      expect(response).toMatchObject({ allowed: false, status: { code: 503 } });
    } finally {
      mode = 'ok';
    }
  });

  it('denies with 500 and logs when admission fails unexpectedly', async () => {
    mode = 'throws';
    try {
      const response = await responseOf(create(pod()));
      expect(response).toMatchObject({ uid: UID, allowed: false, status: { code: 500 } });
      expect(logger.lines().some((l) => l.msg === 'admission failed; pod denied')).toBe(true);
    } finally {
      mode = 'ok';
    }
  });

  it('answers a body over 3 MiB with a readable 413, announced or not', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1024, 0x20);
    // Announced by Content-Length: read to the end, discarded, then answered.
    expect((await webhook.post(big)).status).toBe(413);
    // Announced with "Expect: 100-continue": the body is never sent.
    expect((await webhook.post(big, { expect: '100-continue' })).status).toBe(413);
    // Not announced (chunked): read to the end and discarded, then answered.
    const chunked = await new Promise<number>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: webhook.port,
            path: '/mutate-pods',
            method: 'POST',
            ca: webhook.certificate.caPem,
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        for (let i = 0; i < 8; i++) req.write(Buffer.alloc(512 * 1024, 0x20));
        req.end();
      }, reject);
    });
    expect(chunked).toBe(413);
    expect((await responseOf(create(pod()))).allowed).toBe(true);
  });

  it('closes a connection that sends only headers once the request timeout passes', async () => {
    const held = await holdConnection(
      webhook.port,
      webhook.certificate.caPem,
      'POST /mutate-pods HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n',
      8_000,
    );
    expect(held.closedAfterMs).toBeLessThan(4_000);
    expect(held.received).toMatch(/^HTTP\/1.1 408/);
    const partial = await holdConnection(
      webhook.port,
      webhook.certificate.caPem,
      'POST /mutate-pods HTTP/1.1\r\n',
      8_000,
    );
    expect(partial.closedAfterMs).toBeLessThan(4_000);
  });
});
