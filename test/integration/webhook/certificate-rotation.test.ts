// Rotation of the self-managed webhook certificate on a real kube-apiserver, with lifetimes of seconds:
// two replicas share the Secret, renew the serving certificate and roll the CA over while pods are
// created through the API server, and no pod creation fails for want of a trusted certificate.
import { X509Certificate } from 'node:crypto';
import type { Server } from 'node:https';
import { connect } from 'node:tls';
import { AdmissionregistrationV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE } from '../../../src/api/group.ts';
import { createLogger } from '../../../src/operator/log.ts';
import { ManagedWebhookCertificate } from '../../../src/operator/webhook/certificate.ts';
import { mutatingWebhookConfiguration } from '../../../src/operator/webhook/configuration.ts';
import { startWebhookServer } from '../../../src/operator/webhook/server.ts';
import { splitPemBundle } from '../../../src/tls/certificates.ts';
import { TestCluster } from '../../harness/cluster.ts';
import { freePort } from '../../harness/net.ts';
import { ensureNamespace } from '../../harness/operator.ts';

const SYSTEM = 'sovereign-placement-system';
const ENROLLED = 'rotation';
const CONFIGURATION = 'rotation-webhook';
// Serving certificates renewed every ~6 s (a third of 9 s left), the CA every ~20 s.
const VALIDITY = { caMs: 30_000, servingMs: 9_000 };
const RUN_MS = 45_000;

let cluster: TestCluster;
const replicas: { managed: ManagedWebhookCertificate; server: Server; port: number }[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'webhook-cert', controllers: false, kwok: false });
  const kc = cluster.adminKubeConfig();
  await ensureNamespace(kc, SYSTEM);
  await ensureNamespace(kc, ENROLLED, { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE });
  // No controllers run here: the ServiceAccount admission plugin needs the namespace's default account.
  await cluster.request('POST', `/api/v1/namespaces/${ENROLLED}/serviceaccounts`, {
    metadata: { name: 'default' },
  });
  const ports = [await freePort(), await freePort()];
  await KubernetesObjectApi.makeApiClient(kc).create(
    mutatingWebhookConfiguration(CONFIGURATION, { url: `https://127.0.0.1:${ports[0]}` }) as never,
  );
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  for (const [i, port] of ports.entries()) {
    const managed = new ManagedWebhookCertificate(kc, {
      namespace: SYSTEM,
      secretName: 'webhook-tls',
      configurationName: CONFIGURATION,
      dnsNames: [],
      ipAddresses: ['127.0.0.1'],
      now: Date.now,
      log: log.child({ replica: i }),
      validity: VALIDITY,
      checkPeriodMs: 1_000,
      caPropagationMs: 1_500,
    });
    const stored = await managed.current();
    const server = await startWebhookServer(port, '127.0.0.1', stored, () => [], log);
    managed.start(stored, (next) =>
      server.setSecureContext({ cert: next.certificatePem, key: next.privateKeyPem }),
    );
    replicas.push({ managed, server, port });
  }
});

afterAll(async () => {
  for (const { managed, server } of replicas) {
    await managed.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await cluster?.stop();
});

/** The caBundle the API server uses for the webhook. */
async function caBundle(): Promise<string> {
  const config = await cluster
    .adminKubeConfig()
    .makeApiClient(AdmissionregistrationV1Api)
    .readMutatingWebhookConfiguration({ name: CONFIGURATION });
  return Buffer.from(config.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString();
}

/** The certificate a replica serves, verified against `ca` (throws when it does not verify). */
function servedCertificate(port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error('no certificate'));
    });
    socket.on('error', reject);
  });
}

describe('webhook certificate rotation', () => {
  it('renews and rolls the CA over on every replica while pod creation keeps working', async () => {
    const started = Date.now();
    const servingSeen = new Set<string>();
    const casSeen = new Set<string>();
    let maxCas = 0;
    let created = 0;
    const failures: string[] = [];
    let n = 0;
    while (Date.now() - started < RUN_MS) {
      const res = await cluster.request('POST', `/api/v1/namespaces/${ENROLLED}/pods`, {
        metadata: { name: `pod-${n++}` },
        spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }] },
      });
      if (res.status === 201) created++;
      else
        failures.push(
          `${((Date.now() - started) / 1000).toFixed(1)}s ${res.status} ${res.body.slice(0, 300)}`,
        );
      const bundle = await caBundle();
      const cas = splitPemBundle(bundle);
      maxCas = Math.max(maxCas, cas.length);
      for (const pem of cas) casSeen.add(new X509Certificate(pem).fingerprint256);
      // Both replicas always serve a certificate the webhook configuration trusts.
      for (const [i, { port }] of replicas.entries()) {
        await servedCertificate(port, bundle).then(
          (cert) => servingSeen.add(cert.fingerprint256),
          (error: Error) =>
            failures.push(`${((Date.now() - started) / 1000).toFixed(1)}s replica ${i}: ${error.message}`),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(
      `certificate rotation: ${created} pods admitted, ${failures.length} refused, ${servingSeen.size} serving certificates, ${casSeen.size} CAs`,
    );
    expect(failures).toEqual([]);
    expect(created).toBeGreaterThan(20);
    expect(servingSeen.size).toBeGreaterThanOrEqual(5);
    expect(casSeen.size).toBeGreaterThanOrEqual(2);
    // During a rollover the old and the new CA are trusted together.
    expect(maxCas).toBeGreaterThanOrEqual(2);
    // The replicas converge on the Secret's certificate: between two renewals, both serve exactly it.
    let converged = false;
    for (let i = 0; i < 40 && !converged; i++) {
      const secret = JSON.parse(
        (await cluster.request('GET', `/api/v1/namespaces/${SYSTEM}/secrets/webhook-tls`)).body,
      ) as { data: Record<string, string> };
      expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
      const inSecret = new X509Certificate(Buffer.from(secret.data['tls.crt'] as string, 'base64'));
      const bundle = await caBundle();
      const served = await Promise.all(replicas.map(({ port }) => servedCertificate(port, bundle)));
      converged = served.every((c) => c.fingerprint256 === inSecret.fingerprint256);
      if (!converged) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(converged).toBe(true);
  }, 120_000);
});
