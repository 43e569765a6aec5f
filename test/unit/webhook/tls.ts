import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { connect } from 'node:tls';
import { pino } from 'pino';
import type { PolicyLookup } from '../../../src/cluster/admission/admit-pod.ts';
import type { Logger } from '../../../src/operator/log.ts';
import type { ServingCertificate } from '../../../src/operator/webhook/certificate.ts';
import {
  MUTATE_PODS_PATH,
  startWebhookServer,
  type WebhookServerLimits,
} from '../../../src/operator/webhook/server.ts';
import { createCertificateAuthority, issueCertificate } from '../../../src/tls/certificates.ts';

/** A CA and a serving certificate for 127.0.0.1, as the operator would make for itself. */
export async function testCertificate(): Promise<ServingCertificate> {
  const now = new Date();
  const ca = await createCertificateAuthority('webhook-test-ca', 86_400_000, now);
  const serving = await issueCertificate(ca, {
    commonName: '127.0.0.1',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: 86_400_000,
    now,
  });
  return { ...serving, caPem: ca.certificatePem };
}

/** A logger whose lines the test can read. */
export function capturingLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines: () => lines };
}

export interface RunningWebhook {
  url: string;
  port: number;
  certificate: ServingCertificate;
  post: (
    body: string | Buffer,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: string }>;
  close: () => Promise<void>;
}

export async function startTestWebhook(
  lookup: PolicyLookup,
  log: Logger,
  limits: WebhookServerLimits = {},
  certificate?: ServingCertificate,
): Promise<RunningWebhook> {
  const cert = certificate ?? (await testCertificate());
  const server = await startWebhookServer(0, '127.0.0.1', cert, lookup, log, limits);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: MUTATE_PODS_PATH,
          method: 'POST',
          ca: cert.caPem,
          agent: false,
          headers: { 'content-type': 'application/json', ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    url: `https://127.0.0.1:${port}${MUTATE_PODS_PATH}`,
    port,
    certificate: cert,
    post,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Opens a TLS connection, writes `head` and nothing else; resolves with what the server said and how long it kept the connection. */
export function holdConnection(
  port: number,
  caPem: string,
  head: string,
  giveUpMs: number,
): Promise<{ closedAfterMs: number; received: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: undefined }, () =>
      socket.write(head),
    );
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: Number.POSITIVE_INFINITY, received });
    }, giveUpMs);
    socket.on('data', (d) => {
      received += d.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, received });
    });
    socket.on('timeout', () => reject(new Error('timeout')));
  });
}
