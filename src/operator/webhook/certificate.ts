import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { createCertificateAuthority, issueCertificate } from '../../tls/certificates.ts';

export interface ServingCertificate {
  certificatePem: string;
  privateKeyPem: string;
  caPem: string;
}

export interface WebhookCertificateOptions {
  namespace: string;
  secretName: string;
  dnsNames: string[];
  ipAddresses: string[];
  now: Date;
}

const YEAR_MS = 365 * 86_400_000;
/** Renew when less than this is left, so a certificate never expires under a running webhook. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : '');

/** Whether a stored certificate still serves: parses, covers every name, and is not about to expire. */
export function certificateServes(cert: ServingCertificate, options: WebhookCertificateOptions): boolean {
  try {
    const x509 = new X509Certificate(cert.certificatePem);
    const names = x509.subjectAltName ?? '';
    const covers =
      options.dnsNames.every((d) => names.includes(`DNS:${d}`)) &&
      options.ipAddresses.every((ip) => names.includes(`IP Address:${ip}`));
    return (
      covers && Date.parse(x509.validTo) - options.now.getTime() > RENEW_BEFORE_MS && !!cert.privateKeyPem
    );
  } catch {
    return false;
  }
}

/**
 * The webhook's serving certificate, managed by the operator itself (no cert-manager needed): kept in a
 * Secret so that every replica serves the same one, issued by a CA of its own whose certificate goes into
 * the webhook configuration's caBundle. Replicas racing to create it converge: the loser reads the winner's.
 */
export async function ensureWebhookCertificate(
  kc: KubeConfig,
  options: WebhookCertificateOptions,
): Promise<ServingCertificate> {
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace, secretName: name } = options;
  const existing = await core.readNamespacedSecret({ name, namespace }).catch((e: { code?: number }) => {
    if (e.code === 404) return undefined;
    throw e;
  });
  if (existing) {
    const stored = {
      certificatePem: unb64(existing.data?.['tls.crt']),
      privateKeyPem: unb64(existing.data?.['tls.key']),
      caPem: unb64(existing.data?.['ca.crt']),
    };
    if (certificateServes(stored, options)) return stored;
  }
  const ca = await createCertificateAuthority('sovereign-placement-webhook-ca', 10 * YEAR_MS, options.now);
  const serving = await issueCertificate(ca, {
    commonName: options.dnsNames[0] ?? options.ipAddresses[0] ?? 'sovereign-placement-webhook',
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
    usage: 'server',
    validForMs: YEAR_MS,
    now: options.now,
  });
  const fresh = {
    certificatePem: serving.certificatePem,
    privateKeyPem: serving.privateKeyPem,
    caPem: ca.certificatePem,
  };
  const body = {
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'sovereign-placement' } },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': b64(fresh.certificatePem),
      'tls.key': b64(fresh.privateKeyPem),
      'ca.crt': b64(fresh.caPem),
    },
  };
  try {
    if (existing) {
      await core.replaceNamespacedSecret({
        name,
        namespace,
        body: {
          ...body,
          metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion },
        },
      });
    } else {
      await core.createNamespacedSecret({ namespace, body });
    }
    return fresh;
  } catch (error) {
    // Another replica wrote it first (409): use theirs.
    if ((error as { code?: number }).code === 409) return ensureWebhookCertificate(kc, options);
    throw error;
  }
}

/** Writes the CA into every webhook of the configuration, so the API server trusts the serving certificate. */
export async function injectCaBundle(
  kc: KubeConfig,
  configurationName: string,
  caPem: string,
): Promise<void> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const config = await api.readMutatingWebhookConfiguration({ name: configurationName });
  const caBundle = b64(caPem);
  if ((config.webhooks ?? []).every((w) => w.clientConfig.caBundle === caBundle)) return;
  const patch = (config.webhooks ?? []).map((_, i) => ({
    op: 'add',
    path: `/webhooks/${i}/clientConfig/caBundle`,
    value: caBundle,
  }));
  await api.patchMutatingWebhookConfiguration(
    { name: configurationName, body: patch },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
}

/** A certificate mounted from a Secret that another tool (cert-manager) manages: tls.crt, tls.key, ca.crt. */
export function readMountedCertificate(dir: string): ServingCertificate {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    certificatePem: read('tls.crt'),
    privateKeyPem: read('tls.key'),
    caPem: existsSync(join(dir, 'ca.crt')) ? read('ca.crt') : '',
  };
}
