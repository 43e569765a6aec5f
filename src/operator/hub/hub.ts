import { GROUP, VERSION } from '../../api/group.ts';
import type { Facts } from '../../cluster/facts.ts';
import type { ResourceRef } from '../../kube/request.ts';
import type { ObjectWithMeta } from '../runtime/resource-client.ts';
import { type ProbeTarget, probeSettings } from './prober.ts';

/**
 * Hub mode (--hub): the operator also caches MemberClusters, SovereignWorkloads and the member
 * kubeconfig Secrets of one namespace, probes the members and writes their status and verdict labels.
 */

/** The caches hub mode adds. Secrets are watched in one namespace only: RBAC grants no more. */
export const hubResources = (secretsNamespace: string) =>
  ({
    memberClusters: { group: GROUP, version: VERSION, plural: 'memberclusters' },
    workloads: { group: GROUP, version: VERSION, plural: 'sovereignworkloads' },
    secrets: { version: 'v1', plural: 'secrets', namespace: secretsNamespace },
  }) satisfies Record<string, ResourceRef>;

/** A Secret as cached: its name and data, nothing else (annotations can hold a copy of the data). */
export function secretView(object: ObjectWithMeta): ObjectWithMeta {
  const secret = object as ObjectWithMeta & { data?: Record<string, string> };
  const meta = secret.metadata ?? {};
  return {
    apiVersion: secret.apiVersion,
    kind: secret.kind,
    metadata: { name: meta.name, namespace: meta.namespace, resourceVersion: meta.resourceVersion },
    ...(secret.data ? { data: secret.data } : {}),
  } as ObjectWithMeta;
}

/** What to probe: every valid MemberCluster (an invalid one has no trustworthy Secret reference). */
export function probeTargets(facts: Facts): ProbeTarget[] {
  return facts.memberClusters.map((m) => ({
    name: m.metadata.name,
    secretRef: { ...m.spec.kubeconfigSecretRef },
    settings: probeSettings(m.spec.probe),
  }));
}
