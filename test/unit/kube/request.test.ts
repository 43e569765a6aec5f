// kubeRequest against a local HTTPS server: sequential requests share one kept-alive connection, and a
// request sent on an idle connection that the server closes at that moment is sent again.
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeRequest } from '../../../src/kube/request.ts';
import { createCertificateAuthority, issueCertificate } from '../../../src/tls/certificates.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(
  handle: (socket: Socket, count: number) => 'answer' | 'reset',
): Promise<{ kc: KubeConfig; connections: () => number }> {
  const now = new Date();
  const ca = await createCertificateAuthority('request-test-ca', 86_400_000, now);
  const cert = await issueCertificate(ca, {
    commonName: '127.0.0.1',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: 86_400_000,
    now,
  });
  let connections = 0;
  let requests = 0;
  server = createServer({ cert: cert.certificatePem, key: cert.privateKeyPem }, (req, res) => {
    requests++;
    if (handle(req.socket, requests) === 'reset') {
      req.socket.destroy();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kind: 'Namespace', n: requests }));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `https://127.0.0.1:${port}`,
        caData: Buffer.from(ca.certificatePem).toString('base64'),
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { kc, connections: () => connections };
}

describe('kubeRequest', () => {
  it('sends sequential requests on one kept-alive connection', async () => {
    const { kc, connections } = await serve(() => 'answer');
    for (let i = 0; i < 10; i++) await kubeRequest(kc, { path: '/api/v1/namespaces/default' });
    expect(connections()).toBe(1);
  });

  it('sends a request again when the server resets the reused connection it was sent on', async () => {
    // The second request arrives on the kept-alive connection and is reset, as when the server's idle
    // timeout closes it just as the request is written.
    const { kc, connections } = await serve((_socket, count) => (count === 2 ? 'reset' : 'answer'));
    await kubeRequest(kc, { path: '/a' });
    const answer = await kubeRequest<{ n: number }>(kc, { path: '/b' });
    expect(answer.n).toBe(3);
    expect(connections()).toBe(2);
  });
});

describe('kubeRequest with maxBytes', () => {
  it('gives up on an answer larger than maxBytes, and reads one within it', async () => {
    const { createServer: createHttpServer } = await import('node:http');
    const big = createHttpServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      // 2 MiB of JSON, sent in pieces.
      res.write('{"items":"');
      for (let i = 0; i < 32; i++) res.write('x'.repeat(65_536));
      res.end('"}');
    });
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    try {
      const port = (big.address() as { port: number }).port;
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
        currentContext: 'c',
      });
      const refused = await kubeRequest(kc, { path: '/big', maxBytes: 1_000_000 }).catch((e: unknown) => e);
      expect((refused as Error).message).toBe('GET /big: the answer exceeds 1000000 bytes');
      const read = await kubeRequest<{ items: string }>(kc, { path: '/big', maxBytes: 4_000_000 });
      expect(read.items).toHaveLength(32 * 65_536);
    } finally {
      big.closeAllConnections();
      await new Promise<void>((resolve) => big.close(() => resolve()));
    }
  });
});
