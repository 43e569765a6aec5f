// X.509 issuance for the webhook's self-managed certificate and the test control plane.
// @peculiar/x509 builds the certificates; it needs the reflect-metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  certificatePem: string;
  privateKeyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  keys: webcrypto.CryptoKeyPair;
  certificate: x509.X509Certificate;
}

export interface CertificateRequest {
  commonName: string;
  /** Subject organisations; Kubernetes reads them as groups of a client certificate. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'both';
  validForMs: number;
  /** Issuing instant; a parameter so that callers and tests control time. */
  now: Date;
}

const SKEW_MS = 5 * 60_000;

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

function subject(commonName: string, organizations: string[] = []): string {
  const escapeValue = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${escapeValue(commonName)}`, ...organizations.map((o) => `O=${escapeValue(o)}`)].join(', ');
}

async function privateKeyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function createCertificateAuthority(
  commonName: string,
  validForMs: number,
  now: Date,
): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject(commonName),
    notBefore: new Date(now.getTime() - SKEW_MS),
    notAfter: new Date(now.getTime() + validForMs),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    keys,
    certificate,
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await privateKeyPem(keys),
  };
}

export async function issueCertificate(
  ca: CertificateAuthority,
  request: CertificateRequest,
): Promise<KeyPairPem> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const usages = {
    server: [x509.ExtendedKeyUsage.serverAuth],
    client: [x509.ExtendedKeyUsage.clientAuth],
    both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  }[request.usage];
  const names = [
    ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject(request.commonName, request.organizations),
    issuer: ca.certificate.subject,
    notBefore: new Date(request.now.getTime() - SKEW_MS),
    notAfter: new Date(request.now.getTime() + request.validForMs),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(usages, false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
    ],
  });
  return { certificatePem: certificate.toString('pem'), privateKeyPem: await privateKeyPem(keys) };
}

/** A PKCS#10 request and its new key, for a signer that issues the certificate (the CSR API). */
export async function createCertificateRequest(
  commonName: string,
  organizations: string[] = [],
): Promise<{ requestPem: string; privateKeyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject(commonName, organizations),
    keys,
    signingAlgorithm: algorithm,
  });
  return { requestPem: request.toString('pem'), privateKeyPem: await privateKeyPem(keys) };
}

/** A CA read back from its PEM certificate and PKCS#8 key, to issue more certificates with it. */
export async function loadCertificateAuthority(
  certificatePem: string,
  privateKeyPem: string,
): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certificatePem);
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(privateKeyPem),
    algorithm,
    true,
    ['sign'],
  );
  const publicKey = await certificate.publicKey.export(algorithm, ['verify']);
  // The key must be the certificate's: sign and verify one message, or refuse the pair.
  const probe = new Uint8Array([1, 2, 3]);
  const signature = await webcrypto.subtle.sign(algorithm, privateKey, probe);
  if (!(await webcrypto.subtle.verify(algorithm, publicKey, signature, probe))) {
    throw new Error('the CA key does not belong to the CA certificate');
  }
  return { certificate, keys: { privateKey, publicKey }, certificatePem, privateKeyPem };
}

/** The PEM certificates of a bundle, in order. */
export function splitPemBundle(bundle: string): string[] {
  return (
    bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((p) => `${p}\n`) ?? []
  );
}
