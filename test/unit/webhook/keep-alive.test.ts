// The webhook keeps idle connections longer than the API server does, so that the API server, not the
// webhook, closes them (otherwise a request sent as the webhook closes fails with "broken pipe"); an
// idle wait longer than the request timeout does not end a kept-alive connection.
import { connect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MUTATE_PODS_PATH, WEBHOOK_KEEP_ALIVE_MS } from '../../../src/operator/webhook/server.ts';
import { capturingLogger, type RunningWebhook, startTestWebhook } from './tls.ts';

let webhook: RunningWebhook;
beforeAll(async () => {
  webhook = await startTestWebhook(() => [], capturingLogger().log, { requestTimeoutMs: 500 });
});
afterAll(async () => {
  await webhook?.close();
});

it('serves a second request on a connection left idle longer than the request timeout', async () => {
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      operation: 'CREATE',
      namespace: 'ns',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: {} },
    },
  });
  const request = `POST ${MUTATE_PODS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const received = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = connect({ host: '127.0.0.1', port: webhook.port, ca: webhook.certificate.caPem }, () => {
      socket.write(request);
      setTimeout(() => socket.write(request), 1_500);
      setTimeout(() => {
        socket.destroy();
        resolve(text);
      }, 2_500);
    });
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('error', reject);
  });
  expect(received.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
  expect(received).toContain(`Keep-Alive: timeout=${WEBHOOK_KEEP_ALIVE_MS / 1000}`);
  expect(WEBHOOK_KEEP_ALIVE_MS).toBeGreaterThan(90_000);
});
