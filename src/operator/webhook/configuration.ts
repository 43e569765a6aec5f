import { ENROLLMENT_LABEL, ENROLLMENT_VALUE } from '../../api/group.ts';
import { MUTATE_BINDINGS_PATH, MUTATE_PODS_PATH } from './server.ts';

export type WebhookClientConfig =
  | { service: { name: string; namespace: string; port: number } }
  | { url: string };

/**
 * The MutatingWebhookConfiguration of the operator: Pod and PersistentVolumeClaim CREATE in enrolled
 * namespaces only (claims of a non-conforming StorageClass are refused, nothing is mutated), failurePolicy
 * Fail (no operator, no pod: never placed elsewhere), a short timeout. The caBundle is written by the
 * operator itself at start-up (or by cert-manager's CA injector when the chart uses cert-manager).
 */
export function mutatingWebhookConfiguration(
  name: string,
  clientConfig: WebhookClientConfig,
  timeoutSeconds = 5,
) {
  const target =
    'service' in clientConfig
      ? { service: { ...clientConfig.service, path: MUTATE_PODS_PATH } }
      : { url: `${clientConfig.url}${MUTATE_PODS_PATH}` };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'sovereign-placement' } },
    webhooks: [
      {
        name: 'pods.sovereign-placement.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds,
        reinvocationPolicy: 'IfNeeded',
        clientConfig: target,
        namespaceSelector: { matchLabels: { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE } },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['pods', 'persistentvolumeclaims'],
            scope: 'Namespaced',
          },
        ],
      },
    ],
  };
}

/**
 * Karmada mode: the webhook entry that sends ResourceBinding CREATE and UPDATE in the Karmada API server
 * to the operator, failurePolicy Fail (no operator, no placement of a selected template), in enrolled
 * namespaces only, as for pods: with the operator down, templates elsewhere are still placed. Added to
 * the operator's MutatingWebhookConfiguration there, so that the same caBundle serves both entries.
 */
export function resourceBindingWebhook(clientConfig: WebhookClientConfig, timeoutSeconds = 5) {
  const target =
    'service' in clientConfig
      ? { service: { ...clientConfig.service, path: MUTATE_BINDINGS_PATH } }
      : { url: `${clientConfig.url}${MUTATE_BINDINGS_PATH}` };
  return {
    name: 'resourcebindings.sovereign-placement.io',
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    timeoutSeconds,
    reinvocationPolicy: 'IfNeeded',
    clientConfig: target,
    namespaceSelector: { matchLabels: { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE } },
    rules: [
      {
        apiGroups: ['work.karmada.io'],
        apiVersions: ['v1alpha2'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['resourcebindings'],
        scope: 'Namespaced',
      },
    ],
  };
}

/**
 * The `--webhook-url` base, checked: the API server calls webhooks over https only, needs a host, and
 * refuses user information, a query or a fragment in a webhook URL. A trailing `/` is dropped, since the
 * webhook paths are appended to it.
 */
export function webhookBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `expected an https URL such as https://sovereign-placement-webhook.sovereign-placement-system.svc:443, got "${value}"`,
    );
  }
  if (url.protocol !== 'https:')
    throw new Error(`must be https: the API server calls webhooks over TLS only, got "${value}"`);
  if (!url.hostname) throw new Error(`needs a host, got "${value}"`);
  if (url.username || url.password) throw new Error(`must not carry a user or password, got "${value}"`);
  if (url.search || url.hash || value.includes('?') || value.includes('#'))
    throw new Error(`must not have a query or fragment (the webhook paths are appended), got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** The host of a webhook base URL as it goes into the serving certificate (IPv6 without brackets). */
export const webhookUrlHost = (baseUrl: string) => new URL(baseUrl).hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Karmada mode (`--webhook-url`): the configuration the operator registers itself in the Karmada API
 * server, by URL, since that API server has no Services or Endpoints of the host cluster to resolve a
 * `service:` reference through. Only the ResourceBinding entry: no kubelet runs pods there.
 */
export function karmadaWebhookConfiguration(name: string, baseUrl: string, timeoutSeconds = 5) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'sovereign-placement' } },
    webhooks: [resourceBindingWebhook({ url: baseUrl }, timeoutSeconds)],
  };
}
