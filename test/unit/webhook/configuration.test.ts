// What the operator registers in a Karmada API server with --webhook-url, which URLs it accepts, and the
// caBundle it registers.
import { describe, expect, it } from 'vitest';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE } from '../../../src/api/group.ts';
import { trustedBundle } from '../../../src/operator/webhook/certificate.ts';
import {
  karmadaWebhookConfiguration,
  resourceBindingWebhook,
  webhookBaseUrl,
  webhookUrlHost,
} from '../../../src/operator/webhook/configuration.ts';
import { MUTATE_BINDINGS_PATH } from '../../../src/operator/webhook/server.ts';
import { createCertificateAuthority, splitPemBundle } from '../../../src/tls/certificates.ts';

const BASE = 'https://sovereign-placement-webhook.sovereign-placement-system.svc:443';

describe('karmadaWebhookConfiguration', () => {
  it('is the ResourceBinding entry alone, called by URL, failing closed, in enrolled namespaces only', () => {
    const config = karmadaWebhookConfiguration('sovereign-placement', BASE);
    expect(config).toEqual({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: {
        name: 'sovereign-placement',
        labels: { 'app.kubernetes.io/part-of': 'sovereign-placement' },
      },
      webhooks: [resourceBindingWebhook({ url: BASE })],
    });
    const [entry] = config.webhooks;
    expect(entry?.clientConfig).toEqual({ url: `${BASE}${MUTATE_BINDINGS_PATH}` });
    expect(entry?.clientConfig).not.toHaveProperty('service');
    expect(entry?.failurePolicy).toBe('Fail');
    expect(entry?.timeoutSeconds).toBe(5);
    expect(entry?.namespaceSelector).toEqual({ matchLabels: { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE } });
    expect(entry?.rules).toEqual([
      {
        apiGroups: ['work.karmada.io'],
        apiVersions: ['v1alpha2'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['resourcebindings'],
        scope: 'Namespaced',
      },
    ]);
    expect(karmadaWebhookConfiguration('x', BASE, 12).webhooks[0]?.timeoutSeconds).toBe(12);
  });

  it('appends the path to a base that has one of its own', () => {
    const config = karmadaWebhookConfiguration('x', webhookBaseUrl('https://gateway.example.eu/sp/'));
    expect(config.webhooks[0]?.clientConfig).toEqual({
      url: `https://gateway.example.eu/sp${MUTATE_BINDINGS_PATH}`,
    });
  });
});

describe('webhookBaseUrl', () => {
  it('accepts https URLs with a host, as written but for a trailing slash', () => {
    expect(webhookBaseUrl(BASE)).toBe(BASE);
    expect(webhookBaseUrl(`${BASE}/`)).toBe(BASE);
    expect(webhookBaseUrl('https://127.0.0.1:9443')).toBe('https://127.0.0.1:9443');
    expect(webhookBaseUrl('https://[::1]:9443')).toBe('https://[::1]:9443');
  });

  it.each([
    ['http://webhook.ns.svc:443', /must be https/],
    ['webhook.ns.svc:443', /must be https/],
    ['not a url', /expected an https URL/],
    ['https://', /expected an https URL|needs a host/],
    ['https://webhook.ns.svc/?x=1', /query or fragment/],
    ['https://webhook.ns.svc#frag', /query or fragment/],
    ['https://webhook.ns.svc?', /query or fragment/],
    ['https://user:pw@webhook.ns.svc', /user or password/],
  ])('refuses %s', (value, message) => {
    expect(() => webhookBaseUrl(value)).toThrow(message);
  });

  it('gives the host that goes into the serving certificate', () => {
    expect(webhookUrlHost(BASE)).toBe('sovereign-placement-webhook.sovereign-placement-system.svc');
    expect(webhookUrlHost('https://127.0.0.1:9443')).toBe('127.0.0.1');
    expect(webhookUrlHost('https://[::1]:9443')).toBe('::1');
  });
});

describe('trustedBundle (the caBundle the operator registers and keeps)', () => {
  const T0 = Date.parse('2030-01-01T00:00:00Z');
  const b64 = (pems: string[]) => Buffer.from(pems.join('')).toString('base64');
  const pemsOf = (bundle: string) => splitPemBundle(Buffer.from(bundle, 'base64').toString());

  it("adds the Secret's CAs to the unexpired ones already trusted, once each, and drops expired ones", async () => {
    const ca = async (validForMs: number) =>
      splitPemBundle(
        (await createCertificateAuthority('ca', validForMs, new Date(T0))).certificatePem,
      )[0] as string;
    const [current, other, expiring] = [await ca(90_000), await ca(90_000), await ca(10_000)];
    const now = new Date(T0 + 20_000);
    // First registration: nothing trusted yet.
    expect(pemsOf(trustedBundle(current, undefined, now))).toEqual([current]);
    // Another replica's CA stays trusted; the expired one goes; nothing twice.
    expect(pemsOf(trustedBundle(current, b64([other, expiring, current]), now))).toEqual([current, other]);
    expect(trustedBundle(current, b64([current]), now)).toBe(b64([current]));
  });
});
