import type { KubeConfig } from '@kubernetes/client-node';
import { httpStatusOf, kubeRequest } from '../../kube/request.ts';
import type { Logger } from '../log.ts';
import { trustedBundle } from './certificate.ts';
import type { karmadaWebhookConfiguration } from './configuration.ts';

const CONFIGURATIONS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
/** The field manager of the operator's own writes by server-side apply. */
export const FIELD_MANAGER = 'sovereign-placement';

type Configuration = ReturnType<typeof karmadaWebhookConfiguration>;
interface Stored {
  metadata?: { resourceVersion?: string };
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

/**
 * Creates or updates `configuration` by server-side apply, each entry trusting the CAs of `caPem` and
 * the unexpired ones it trusted already (as the caBundle upkeep does, so replicas never take away each
 * other's CA). The apply carries the resourceVersion read, so two replicas applying at once do not
 * overwrite each other's caBundle: the later one reads again. Entries of other field managers stay.
 */
export async function applyWebhookConfiguration(
  kc: KubeConfig,
  configuration: Configuration,
  caPem: string,
  options: { now: () => number; log: Logger },
): Promise<void> {
  const name = configuration.metadata.name;
  const path = `${CONFIGURATIONS}/${encodeURIComponent(name)}`;
  for (let attempt = 0; ; attempt++) {
    const current = await kubeRequest<Stored>(kc, { path }).catch((error: unknown) => {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    });
    const now = new Date(options.now());
    const body = {
      ...configuration,
      metadata: {
        ...configuration.metadata,
        ...(current ? { resourceVersion: current.metadata?.resourceVersion } : {}),
      },
      webhooks: configuration.webhooks.map((w) => {
        const stored = current?.webhooks?.find((s) => s.name === w.name)?.clientConfig?.caBundle;
        return { ...w, clientConfig: { ...w.clientConfig, caBundle: trustedBundle(caPem, stored, now) } };
      }),
    };
    try {
      const applied = await kubeRequest<Stored>(kc, {
        method: 'PATCH',
        path,
        query: { fieldManager: FIELD_MANAGER, force: true },
        body,
        contentType: 'application/apply-patch+yaml',
      });
      if (applied.metadata?.resourceVersion !== current?.metadata?.resourceVersion)
        options.log.info(
          { configuration: name, webhooks: configuration.webhooks.map((w) => w.clientConfig) },
          current ? 'webhook configuration updated' : 'webhook configuration created',
        );
      return;
    } catch (error) {
      // 409: changed since it was read (or created meanwhile by another replica): read it again.
      if (httpStatusOf(error) !== 409 || attempt >= 5) throw error;
    }
  }
}
