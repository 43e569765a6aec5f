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
