import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from '@kubernetes/client-node';
import {
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  splitPemBundle,
} from '../../tls/certificates.ts';
import type { Logger } from '../log.ts';

export interface ServingCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** The CAs to trust, PEM concatenated (during a CA rollover, the new one and the old one). */
  caPem: string;
}

export interface WebhookCertificateOptions {
  namespace: string;
  secretName: string;
  dnsNames: string[];
  ipAddresses: string[];
  now: Date;
}

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;

/** How long the self-managed certificates live; each is renewed once less than a third of it is left. */
export interface CertificateValidity {
  caMs: number;
  servingMs: number;
}
export const DEFAULT_VALIDITY: CertificateValidity = { caMs: 10 * YEAR_MS, servingMs: YEAR_MS };
const renewBefore = (validForMs: number) => validForMs / 3;

/** What the Secret holds: the served pair, the trusted CAs (signing CA first) and the signing CA's key. */
export interface StoredCertificate extends ServingCertificate {
  caKeyPem: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : '');

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

const msLeft = (cert: X509Certificate, now: Date) => Date.parse(cert.validTo) - now.getTime();

/** Whether a stored certificate still serves: parses, covers every name, and is not due for renewal. */
export function certificateServes(
  cert: ServingCertificate,
  options: WebhookCertificateOptions,
  validity: CertificateValidity = DEFAULT_VALIDITY,
): boolean {
  const x509 = parse(cert.certificatePem);
  if (!x509 || !cert.privateKeyPem) return false;
  const names = x509.subjectAltName ?? '';
  const covers =
    options.dnsNames.every((d) => names.includes(`DNS:${d}`)) &&
    options.ipAddresses.every((ip) => names.includes(`IP Address:${ip}`));
  return covers && msLeft(x509, options.now) > renewBefore(validity.servingMs);
}

/**
 * The certificate the Secret should hold at `options.now`, or undefined when the stored one is still
 * good. The CA is renewed when less than a third of its life is left (or its key is missing): the new CA
 * signs from then on, and the old one stays in the trust bundle until it expires, so a serving
 * certificate it signed (which never outlives it) stays trusted during the rollover. The serving
 * certificate is renewed when it is due, does not cover the names, or was not signed by the current CA.
 */
export async function renewedCertificate(
  stored: StoredCertificate | undefined,
  options: WebhookCertificateOptions,
  validity: CertificateValidity = DEFAULT_VALIDITY,
): Promise<StoredCertificate | undefined> {
  const { now } = options;
  const bundle = splitPemBundle(stored?.caPem ?? '').filter((pem) => {
    const cert = parse(pem);
    return cert !== undefined && msLeft(cert, now) > 0;
  });
  let ca = await (async () => {
    const signing = bundle[0] && parse(bundle[0]);
    if (!signing || !stored?.caKeyPem || msLeft(signing, now) <= renewBefore(validity.caMs)) return undefined;
    return loadCertificateAuthority(bundle[0] as string, stored.caKeyPem).catch(() => undefined);
  })();
  const caRenewed = !ca;
  if (!ca) {
    ca = await createCertificateAuthority('sovereign-placement-webhook-ca', validity.caMs, now);
    bundle.unshift(...splitPemBundle(ca.certificatePem));
  }
  const serving = stored && parse(stored.certificatePem);
  // By signature: every CA of ours has the same subject, so names cannot tell them apart.
  const signedByCurrent = !!serving && serving.verify(new X509Certificate(ca.certificatePem).publicKey);
  if (!caRenewed && stored && signedByCurrent && certificateServes(stored, options, validity)) {
    return undefined;
  }
  const caLeft = Date.parse(ca.certificate.notAfter.toISOString()) - now.getTime();
  const issued = await issueCertificate(ca, {
    commonName: options.dnsNames[0] ?? options.ipAddresses[0] ?? 'sovereign-placement-webhook',
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
    usage: 'server',
    // Never beyond its CA, so that it is renewed while its CA is still in the bundle.
    validForMs: Math.min(validity.servingMs, caLeft),
    now,
  });
  return {
    certificatePem: issued.certificatePem,
    privateKeyPem: issued.privateKeyPem,
    caPem: bundle.join(''),
    caKeyPem: ca.privateKeyPem,
  };
}

function decodeSecret(secret: V1Secret | undefined): StoredCertificate | undefined {
  if (!secret) return undefined;
  return {
    certificatePem: unb64(secret.data?.['tls.crt']),
    privateKeyPem: unb64(secret.data?.['tls.key']),
    caPem: unb64(secret.data?.['ca.crt']),
    caKeyPem: unb64(secret.data?.['ca.key']),
  };
}

export interface ManagedCertificateOptions {
  namespace: string;
  secretName: string;
  configurationName: string;
  dnsNames: string[];
  ipAddresses: string[];
  now: () => number;
  log: Logger;
  validity?: CertificateValidity;
  /** How often every replica looks at the Secret: renews when due, and reloads what another wrote. */
  checkPeriodMs?: number;
  /**
   * After the trust bundle gained a CA, how long to wait before serving a certificate it signed: the
   * API server picks a changed webhook configuration up from its own watch, not at once.
   */
  caPropagationMs?: number;
  /**
   * Creates or updates the webhook configuration itself (Karmada mode, `--webhook-url`) with the
   * Secret's CAs, before their trust is checked; on every check, so that a deleted configuration comes back.
   */
  register?: (caPem: string) => Promise<void>;
}

/**
 * The webhook's serving certificate, managed by the operator itself (no cert-manager needed). It lives
 * in a Secret, so every replica serves the same one. Every replica looks at the Secret on a period:
 * whoever finds the certificate due renews it with an optimistic update (the resourceVersion), a replica
 * that loses the race reads the winner's, and each one then makes sure the webhook configuration trusts
 * the Secret's CAs before it serves the new certificate (`onChange`, without a restart).
 */
export class ManagedWebhookCertificate {
  private readonly core: CoreV1Api;
  private readonly admission: AdmissionregistrationV1Api;
  private readonly options: ManagedCertificateOptions;
  private timer: NodeJS.Timeout | undefined;
  private served: StoredCertificate | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(kc: KubeConfig, options: ManagedCertificateOptions) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.admission = kc.makeApiClient(AdmissionregistrationV1Api);
    this.options = options;
  }

  /** The certificate to serve now: renewed in the Secret if due, and trusted by the webhook configuration. */
  async current(): Promise<StoredCertificate> {
    return (await this.sync()).stored;
  }

  private async sync(): Promise<{ stored: StoredCertificate; bundleChanged: boolean }> {
    const stored = await this.reconcileSecret();
    await this.options.register?.(stored.caPem);
    return { stored, bundleChanged: await this.trustBundle(stored.caPem) };
  }

  /** Starts the periodic check; `onChange` is called with each certificate that differs from the served one. */
  start(served: StoredCertificate, onChange: (certificate: StoredCertificate) => void): void {
    this.served = served;
    const period = this.options.checkPeriodMs ?? 60_000;
    const tick = async () => {
      try {
        const { stored: next, bundleChanged } = await this.sync();
        if (next.certificatePem === this.served?.certificatePem) return;
        if (bundleChanged) await sleep(this.options.caPropagationMs ?? 5_000);
        this.served = next;
        onChange(next);
        this.options.log.info(
          { notAfter: new X509Certificate(next.certificatePem).validTo },
          'webhook certificate reloaded',
        );
      } catch (error) {
        // The certificate in use stays; the next period tries again.
        this.options.log.warn({ err: error }, 'webhook certificate check failed');
      }
    };
    this.timer = setInterval(() => {
      this.running = this.running.then(tick);
    }, period);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async readSecret(): Promise<V1Secret | undefined> {
    const { namespace, secretName: name } = this.options;
    return this.core.readNamespacedSecret({ name, namespace }).catch((e: { code?: number }) => {
      if (e.code === 404) return undefined;
      throw e;
    });
  }

  /** Renews the Secret's content when due; replicas racing converge on whichever write won. */
  private async reconcileSecret(): Promise<StoredCertificate> {
    const { namespace, secretName: name } = this.options;
    for (let attempt = 0; ; attempt++) {
      const existing = await this.readSecret();
      const stored = decodeSecret(existing);
      const now = new Date(this.options.now());
      const next = await renewedCertificate(stored, { ...this.options, now }, this.options.validity);
      if (!next) return stored as StoredCertificate;
      const body: V1Secret = {
        metadata: {
          name,
          namespace,
          labels: { 'app.kubernetes.io/part-of': 'sovereign-placement' },
          ...(existing ? { resourceVersion: existing.metadata?.resourceVersion } : {}),
        },
        type: 'kubernetes.io/tls',
        data: {
          'tls.crt': b64(next.certificatePem),
          'tls.key': b64(next.privateKeyPem),
          'ca.crt': b64(next.caPem),
          'ca.key': b64(next.caKeyPem),
        },
      };
      try {
        if (existing) await this.core.replaceNamespacedSecret({ name, namespace, body });
        else await this.core.createNamespacedSecret({ namespace, body });
        this.options.log.info(
          {
            secret: name,
            notAfter: new X509Certificate(next.certificatePem).validTo,
            caRenewed: splitPemBundle(next.caPem)[0] !== splitPemBundle(stored?.caPem ?? '')[0],
          },
          'webhook certificate renewed',
        );
        return next;
      } catch (error) {
        // Another replica wrote first (409 on create or on a stale resourceVersion): read theirs.
        if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error;
      }
    }
  }

  /**
   * Makes the webhook configuration trust every CA of the Secret's bundle. CAs are only ever added here,
   * and dropped once expired: a replica that has not seen the newest Secret yet can never take away the
   * trust another replica's certificate needs. Returns whether the configuration changed.
   */
  private async trustBundle(caPem: string): Promise<boolean> {
    const name = this.options.configurationName;
    for (let attempt = 0; ; attempt++) {
      const now = new Date(this.options.now());
      const config = await this.admission.readMutatingWebhookConfiguration({ name });
      const changes = (config.webhooks ?? []).flatMap((w, i) => {
        const value = trustedBundle(caPem, w.clientConfig.caBundle, now);
        return value === w.clientConfig.caBundle
          ? []
          : [{ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value }];
      });
      if (changes.length === 0) return false;
      // Only if nobody changed the configuration since it was read: two replicas adding different CAs
      // at once must not overwrite each other's.
      const patch = [
        { op: 'test', path: '/metadata/resourceVersion', value: config.metadata?.resourceVersion },
        ...changes,
      ];
      try {
        await this.admission.patchMutatingWebhookConfiguration(
          { name, body: patch },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        );
        return true;
      } catch (error) {
        const code = (error as { code?: number }).code;
        if ((code !== 409 && code !== 422) || attempt >= 5) throw error;
      }
    }
  }
}

/**
 * The caBundle (base64) that trusts the CAs of `caPem` and keeps the unexpired ones of `current`: CAs are
 * only added, so a replica that has not seen the newest Secret yet never takes away a trust another
 * replica's certificate needs.
 */
export function trustedBundle(caPem: string, current: string | undefined, now: Date): string {
  const wanted = [...splitPemBundle(caPem), ...splitPemBundle(unb64(current))].filter((pem, j, all) => {
    const cert = parse(pem);
    return cert !== undefined && msLeft(cert, now) > 0 && all.indexOf(pem) === j;
  });
  return b64(wanted.join(''));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A certificate mounted from a Secret that another tool (cert-manager) manages: tls.crt, tls.key, ca.crt. */
export function readMountedCertificate(dir: string): ServingCertificate {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    certificatePem: read('tls.crt'),
    privateKeyPem: read('tls.key'),
    caPem: existsSync(join(dir, 'ca.crt')) ? read('ca.crt') : '',
  };
}
