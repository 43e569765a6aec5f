// Renewal of the self-managed webhook certificate, decided at chosen instants with short lifetimes.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renewedCertificate, type StoredCertificate } from '../../../src/operator/webhook/certificate.ts';
import { splitPemBundle } from '../../../src/tls/certificates.ts';

const validity = { caMs: 90_000, servingMs: 30_000 };
const T0 = Date.parse('2030-01-01T00:00:00Z');
const names = { namespace: 'ns', secretName: 's', dnsNames: ['webhook.ns.svc'], ipAddresses: ['127.0.0.1'] };
const at = (ms: number) => ({ ...names, now: new Date(T0 + ms) });

const cas = (stored: StoredCertificate) => splitPemBundle(stored.caPem).map((p) => new X509Certificate(p));
const serving = (stored: StoredCertificate) => new X509Certificate(stored.certificatePem);
const signedBy = (stored: StoredCertificate, ca: X509Certificate) => serving(stored).verify(ca.publicKey);

describe('renewedCertificate', () => {
  it('creates a CA, keeps its key, and issues a serving certificate for the names', async () => {
    const first = await renewedCertificate(undefined, at(0), validity);
    expect(first).toBeDefined();
    if (!first) return;
    expect(first.caKeyPem).toMatch(/BEGIN PRIVATE KEY/);
    expect(cas(first)).toHaveLength(1);
    expect(signedBy(first, cas(first)[0] as X509Certificate)).toBe(true);
    expect(serving(first).subjectAltName).toContain('DNS:webhook.ns.svc');
    // Nothing is due a moment later.
    expect(await renewedCertificate(first, at(5_000), validity)).toBeUndefined();
  });

  it('renews the serving certificate with the same CA once less than a third of its life is left', async () => {
    const first = (await renewedCertificate(undefined, at(0), validity)) as StoredCertificate;
    expect(await renewedCertificate(first, at(15_000), validity)).toBeUndefined();
    const second = await renewedCertificate(first, at(21_000), validity);
    expect(second).toBeDefined();
    if (!second) return;
    expect(second.certificatePem).not.toBe(first.certificatePem);
    expect(second.caPem).toBe(first.caPem);
    expect(second.caKeyPem).toBe(first.caKeyPem);
    expect(signedBy(second, cas(first)[0] as X509Certificate)).toBe(true);
  });

  it('rolls the CA over keeping the old one trusted until it expires', async () => {
    let stored = (await renewedCertificate(undefined, at(0), validity)) as StoredCertificate;
    const oldCa = cas(stored)[0] as X509Certificate;
    // Keep renewing every 10 s as the replicas would, until the CA changes.
    let t = 0;
    while (cas(stored)[0]?.fingerprint256 === oldCa.fingerprint256) {
      t += 10_000;
      stored = (await renewedCertificate(stored, at(t), validity)) ?? stored;
      expect(t).toBeLessThan(90_000);
    }
    expect(t).toBeGreaterThanOrEqual(60_000);
    const [newCa, keptOld] = cas(stored);
    expect(keptOld?.fingerprint256).toBe(oldCa.fingerprint256);
    expect(signedBy(stored, newCa as X509Certificate)).toBe(true);
    // The serving certificate never outlives the CA that signed it.
    for (let s = t; s < t + 60_000; s += 10_000) {
      stored = (await renewedCertificate(stored, at(s), validity)) ?? stored;
      const signer = cas(stored).find((ca) => signedBy(stored, ca)) as X509Certificate;
      expect(Date.parse(serving(stored).validTo)).toBeLessThanOrEqual(Date.parse(signer.validTo));
    }
    // Once the old CA has expired it is dropped from the bundle.
    expect(cas(stored).map((c) => c.fingerprint256)).not.toContain(oldCa.fingerprint256);
  });

  it('starts a new CA when the Secret has no CA key, keeping the old CA trusted', async () => {
    const first = (await renewedCertificate(undefined, at(0), validity)) as StoredCertificate;
    const legacy = { ...first, caKeyPem: '' };
    const next = await renewedCertificate(legacy, at(1_000), validity);
    expect(next).toBeDefined();
    if (!next) return;
    expect(cas(next)).toHaveLength(2);
    expect(cas(next)[1]?.fingerprint256).toBe(cas(first)[0]?.fingerprint256);
    expect(signedBy(next, cas(next)[0] as X509Certificate)).toBe(true);
  });

  it('reissues when a name is missing or the key does not match the CA', async () => {
    const first = (await renewedCertificate(undefined, at(0), validity)) as StoredCertificate;
    const moreNames = { ...at(1_000), dnsNames: ['webhook.ns.svc', 'webhook.ns.svc.cluster.local'] };
    expect(
      serving((await renewedCertificate(first, moreNames, validity)) as StoredCertificate).subjectAltName,
    ).toContain('webhook.ns.svc.cluster.local');
    const other = (await renewedCertificate(undefined, at(0), validity)) as StoredCertificate;
    const mismatched = await renewedCertificate({ ...first, caKeyPem: other.caKeyPem }, at(1_000), validity);
    expect(cas(mismatched as StoredCertificate)).toHaveLength(2);
  });
});
