import { createServer, type Server } from 'node:https';
import { type AdmissionRequest, admitPod, type PolicyLookup } from '../../cluster/admission/admit-pod.ts';
import type { Logger } from '../log.ts';
import type { ServingCertificate } from './certificate.ts';

export const MUTATE_PODS_PATH = '/mutate-pods';
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The HTTPS admission endpoint. It serves on every replica (not only the leader): admission must keep
 * working through a leader change, and it only reads the caches.
 */
export function startWebhookServer(
  port: number,
  host: string,
  certificate: ServingCertificate,
  lookup: PolicyLookup,
  log: Logger,
): Promise<Server> {
  const server = createServer(
    { cert: certificate.certificatePem, key: certificate.privateKeyPem },
    (req, res) => {
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== MUTATE_PODS_PATH) {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy();
        else chunks.push(chunk);
      });
      req.on('end', () => {
        let review: { apiVersion?: string; kind?: string; request?: AdmissionRequest };
        try {
          review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('body is not JSON');
          return;
        }
        if (!review.request?.uid) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('not an AdmissionReview request');
          return;
        }
        const response = admitPod(review.request, lookup);
        if (response.patch || !response.allowed) {
          log.info(
            {
              namespace: review.request.namespace,
              pod: review.request.object?.metadata?.name ?? review.request.object?.metadata?.generateName,
              allowed: response.allowed,
              mutated: !!response.patch,
            },
            'admitted pod',
          );
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
      });
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
