import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { ClaimLookup } from '../../cluster/admission/admit-claim.ts';
import { admitReview, type PolicyLookup } from '../../cluster/admission/admit-pod.ts';
import type { Logger } from '../log.ts';
import type { ServingCertificate } from './certificate.ts';

export const MUTATE_PODS_PATH = '/mutate-pods';
/** Karmada mode: ResourceBindings in the Karmada API server. */
export const MUTATE_BINDINGS_PATH = '/mutate-resourcebindings';
/** The API server's own limit on an admission request body is 3 MiB; anything larger is not from it. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface WebhookServerLimits {
  /**
   * Time for a whole request (headers and body) and for the TLS handshake. The API server gives a
   * webhook at most 30 s (our configuration says 5 s), so a client slower than this is not the API
   * server, and must not hold a connection for Node's default of 300 s.
   */
  requestTimeoutMs?: number;
  /** Karmada mode: answers ResourceBinding reviews on MUTATE_BINDINGS_PATH (404 without it). */
  bindings?: (body: unknown) => ReturnType<typeof admitReview>;
  /** Answers PersistentVolumeClaim reviews on MUTATE_PODS_PATH (denied without it). */
  claims?: ClaimLookup;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Above the 90 s after which the API server's webhook client closes an idle connection. */
export const WEBHOOK_KEEP_ALIVE_MS = 120_000;

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain'): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
}

/** A 413 that the client can read, the connection then closed. */
function tooLarge(res: ServerResponse): void {
  res.shouldKeepAlive = false;
  reply(res, 413, `request body larger than ${MAX_BODY_BYTES} bytes`);
}

/**
 * The HTTPS admission endpoint. It serves on every replica (not only the leader): admission must keep
 * working through a leader change, and it only reads the caches. Nothing a client sends can throw out
 * of the handler: the body is validated before any field is read (`admitReview`), and any unexpected
 * error is answered, as a denial when the request could be understood, else as HTTP 500.
 */
export function startWebhookServer(
  port: number,
  host: string,
  certificate: ServingCertificate,
  lookup: PolicyLookup,
  log: Logger,
  limits: WebhookServerLimits = {},
  /** Called with each pod admitted with a mutation (pinned), for the audit log. */
  onPinned?: (body: unknown, review: { patch: string; namespace?: string }) => void,
): Promise<Server> {
  const timeoutMs = limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    const bindings = path === MUTATE_BINDINGS_PATH ? limits.bindings : undefined;
    if (req.method !== 'POST' || (path !== MUTATE_PODS_PATH && !bindings)) {
      req.resume();
      reply(res, 404, 'not found');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    req.on('error', (error) => log.debug({ err: error }, 'webhook request aborted'));
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Read to the end and discard rather than answer early: a client still sending when the server
      // closes gets a connection reset instead of the 413 (or, over TLS, may wait for an answer that
      // is stuck behind its own unread body). The request timeout bounds how long it can keep sending.
      if (size > MAX_BODY_BYTES) {
        overflow = true;
        chunks.length = 0;
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        if (overflow) {
          tooLarge(res);
          return;
        }
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          reply(res, 400, 'body is not JSON');
          return;
        }
        const outcome = bindings ? bindings(body) : admitReview(body, lookup, limits.claims);
        if (outcome.httpStatus !== 200) {
          reply(res, outcome.httpStatus, outcome.message);
          return;
        }
        const { response } = outcome.review;
        if (outcome.failure !== undefined) {
          log.error({ err: outcome.failure, uid: response.uid }, 'admission failed; pod denied');
        } else if (response.patch || !response.allowed) {
          log.info(
            {
              namespace: outcome.namespace,
              pod: outcome.pod,
              allowed: response.allowed,
              mutated: !!response.patch,
              reason: response.status?.message,
            },
            'admitted pod',
          );
        }
        if (response.allowed && response.patch && onPinned) {
          try {
            onPinned(body, { patch: response.patch, namespace: outcome.namespace });
          } catch (error) {
            log.error({ err: error }, 'audit of an admission failed');
          }
        }
        reply(res, 200, JSON.stringify(outcome.review), 'application/json');
      } catch (error) {
        // Only a bug here (logging, serialising our own response) can land in this branch.
        log.error({ err: error }, 'webhook handler failed');
        reply(res, 500, 'internal error');
      }
    });
  };

  const server = createServer(
    {
      cert: certificate.certificatePem,
      key: certificate.privateKeyPem,
      requestTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      handshakeTimeout: timeoutMs,
      // How often Node checks the two timeouts above (default 30 s, which would triple them).
      connectionsCheckingInterval: Math.min(1_000, timeoutMs),
      // Idle connections are kept longer than the API server keeps them (its webhook client closes idle
      // ones after 90 s): with Node's default of 5 s the server would close a connection just as the API
      // server sends an admission request on it, which fails the request ("broken pipe"). Idle time does
      // not count against the header and request timeouts above (they start with a request's first byte).
      keepAliveTimeout: WEBHOOK_KEEP_ALIVE_MS,
    },
    (req, res) => {
      try {
        handle(req, res);
      } catch (error) {
        log.error({ err: error }, 'webhook handler failed');
        reply(res, 500, 'internal error');
      }
    },
  );
  // A client announcing a body over the limit with "Expect: 100-continue" never gets to send it.
  server.on('checkContinue', (req, res) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      tooLarge(res);
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // After start-up an error of the listening socket is logged, not thrown into the process.
      server.on('error', (error) => log.error({ err: error }, 'webhook server error'));
      resolve(server);
    });
  });
}
