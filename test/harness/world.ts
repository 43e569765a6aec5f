import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE, GROUP, VERSION } from '../../src/api/group.ts';
import { kubeRequest } from '../../src/kube/request.ts';
import type { ClusterOptions } from './cluster.ts';
import { type Cluster, startCluster } from './clusters.ts';
import { createObjects, installCrds, sampleObjects } from './install.ts';
import { waitFor } from './net.ts';
import { createKwokNode, waitForNodeReady } from './nodes.ts';
import { ensureNamespace, OperatorProcess, type OperatorProcessOptions } from './operator.ts';

export const SOVEREIGN = 'eurocloud-sovereign';
export const RESILIENT = 'globalcloud-frankfurt';
export const UNCERTIFIED = 'budget-hosting';
export const APP_NAMESPACE = 'payments';

export interface WorldNode {
  name: string;
  cloudService: string;
  country: string;
}

/** Three providers' nodes, as in the samples: a Sovereign-EU one, a Resilient one with a US parent, an uncertified one. */
export const defaultNodes: WorldNode[] = [
  { name: 'sov-1', cloudService: SOVEREIGN, country: 'FR' },
  { name: 'sov-2', cloudService: SOVEREIGN, country: 'FR' },
  { name: 'res-1', cloudService: RESILIENT, country: 'DE' },
  { name: 'cheap-1', cloudService: UNCERTIFIED, country: 'NL' },
];

/**
 * CRDs, the sample areas and cloud services, KWOK nodes and an enrolled application namespace. With
 * `reuse`, CRDs and samples that already exist are kept (an existing cluster, for the demo).
 */
export async function buildWorld(
  cluster: Cluster,
  nodes: WorldNode[] = defaultNodes,
  { reuse = false } = {},
): Promise<KubeConfig> {
  const kc = cluster.adminKubeConfig();
  await installCrds(kc, { reuse });
  await createObjects(
    kc,
    sampleObjects().filter((o) => o.kind === 'SovereigntyArea' || o.kind === 'CloudService'),
    { reuse },
  );
  await ensureNamespace(kc, APP_NAMESPACE, { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE });
  for (const node of nodes) await createKwokNode(kc, node);
  for (const node of nodes) await waitForNodeReady(kc, node.name);
  return kc;
}

export async function applyPolicy(
  kc: KubeConfig,
  name: string,
  spec: Record<string, unknown>,
  namespace = APP_NAMESPACE,
) {
  return KubernetesObjectApi.makeApiClient(kc).create({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'SovereigntyPolicy',
    metadata: { name, namespace },
    spec,
  } as never);
}

export async function readPolicy(kc: KubeConfig, name: string, namespace = APP_NAMESPACE): Promise<any> {
  return KubernetesObjectApi.makeApiClient(kc).read({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'SovereigntyPolicy',
    metadata: { name, namespace },
  } as never);
}

export function condition(
  policy: any,
  type: string,
): { status: string; reason: string; message: string } | undefined {
  return policy?.status?.conditions?.find((c: { type: string }) => c.type === type);
}

export async function createDeployment(
  kc: KubeConfig,
  name: string,
  replicas: number,
  labels: Record<string, string>,
  nodeSelector?: Record<string, string>,
  namespace = APP_NAMESPACE,
) {
  return kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { nodeSelector, containers: [{ name: 'app', image: 'registry.example.eu/app:1.0' }] },
        },
      },
    },
  });
}

export async function podsOf(kc: KubeConfig, selector: string, namespace = APP_NAMESPACE): Promise<V1Pod[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: selector });
  return list.items;
}

/** Waits until `count` pods of the selector run (not terminating), and returns them. */
export async function waitForRunningPods(
  kc: KubeConfig,
  selector: string,
  count: number,
  timeoutMs = 90_000,
): Promise<V1Pod[]> {
  return waitFor(
    `${count} running pods (${selector})`,
    async () => {
      const pods = (await podsOf(kc, selector)).filter((p) => !p.metadata?.deletionTimestamp);
      const running = pods.filter((p) => p.status?.phase === 'Running');
      return running.length === count && pods.length === count ? running : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

export const nodeNames = (pods: V1Pod[]) => [...new Set(pods.map((p) => p.spec?.nodeName ?? ''))].sort();

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export async function createCloudService(kc: KubeConfig, name: string, spec: Record<string, unknown>) {
  return KubernetesObjectApi.makeApiClient(kc).create({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'CloudService',
    metadata: { name },
    spec,
  } as never);
}

export async function patchCloudService(kc: KubeConfig, name: string, spec: Record<string, unknown>) {
  return kubeMergePatch(kc, `/apis/${GROUP}/${VERSION}/cloudservices/${name}`, { spec });
}

/** `kubectl cordon` / `uncordon`. */
export async function setUnschedulable(kc: KubeConfig, name: string, unschedulable: boolean) {
  await kc.makeApiClient(CoreV1Api).patchNode({ name, body: { spec: { unschedulable } } }, mergePatch);
}

export async function setNodeLabels(kc: KubeConfig, name: string, labels: Record<string, string | null>) {
  await kc.makeApiClient(CoreV1Api).patchNode({ name, body: { metadata: { labels } } }, mergePatch);
}

export async function createPdb(
  kc: KubeConfig,
  name: string,
  labels: Record<string, string>,
  spec: Record<string, unknown>,
) {
  return kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
    namespace: APP_NAMESPACE,
    body: { metadata: { name }, spec: { selector: { matchLabels: labels }, ...spec } },
  });
}

async function kubeMergePatch(kc: KubeConfig, path: string, body: unknown) {
  return kubeRequest(kc, { method: 'PATCH', path, body, contentType: 'application/merge-patch+json' });
}

/** Events the operator recorded in the application namespace, optionally for one reason. */
export async function operatorEvents(kc: KubeConfig, reason?: string, namespace = APP_NAMESPACE) {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace });
  return list.items.filter(
    (e) => e.source?.component === 'sovereign-placement' && (!reason || e.reason === reason),
  );
}

/** A cluster with the world built and the operator running: what every e2e file starts from. */
export interface World {
  cluster: Cluster;
  kc: KubeConfig;
  operator: OperatorProcess;
  labelsOf: (node: string) => Promise<Record<string, string>>;
  stop: () => Promise<void>;
}

export async function startWorld(
  options: ClusterOptions,
  nodes: WorldNode[] = defaultNodes,
  operatorOptions: OperatorProcessOptions = {},
): Promise<World> {
  const cluster = await startCluster(options);
  let operator: OperatorProcess | undefined;
  const stop = async () => {
    await operator?.stop();
    await cluster.stop();
  };
  try {
    const kc = await buildWorld(cluster, nodes);
    operator = await OperatorProcess.start(cluster, operatorOptions);
    const labelsOf = async (name: string) =>
      (await kc.makeApiClient(CoreV1Api).readNode({ name })).metadata?.labels ?? {};
    return { cluster, kc, operator, labelsOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A third-party certified Sovereign badge for the EU, valid from 2026 until `validUntil`. */
export const sovereignBadge = (
  validUntil: string,
  evidenceRef = 'https://certificates.example.eu/cispe/sov-0042',
) => ({
  type: 'Sovereign',
  area: 'eu',
  assurance: 'ThirdPartyCertified',
  certifiedBy: 'Example Conformity Assessment Body',
  validFrom: '2026-01-01T00:00:00Z',
  validUntil,
  evidenceRef,
});

// ---- Data residency: StorageClasses, statically provisioned PersistentVolumes, claims ----

/** A StorageClass without a provisioner: its volumes are provisioned statically. */
export async function createStorageClass(kc: KubeConfig, name: string) {
  return KubernetesObjectApi.makeApiClient(kc).create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
  } as never);
}

/**
 * A statically provisioned PersistentVolume of a class, pinned to a country by its required node affinity
 * on the protected country label (where its data resides), and reserved for one claim.
 */
export async function createStaticVolume(
  kc: KubeConfig,
  name: string,
  o: { storageClass: string; country: string; claim: string; namespace?: string },
) {
  return kc.makeApiClient(CoreV1Api).createPersistentVolume({
    body: {
      metadata: { name },
      spec: {
        storageClassName: o.storageClass,
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/data/${name}` },
        claimRef: { namespace: o.namespace ?? APP_NAMESPACE, name: o.claim },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  {
                    key: 'node-restriction.kubernetes.io/sovereign-placement.country',
                    operator: 'In',
                    values: [o.country],
                  },
                ],
              },
            ],
          },
        },
      },
    },
  });
}

/** A claim of a class, bound to the named volume. */
export async function createClaim(
  kc: KubeConfig,
  name: string,
  o: { storageClass: string; volume: string; labels?: Record<string, string>; namespace?: string },
) {
  return kc.makeApiClient(CoreV1Api).createNamespacedPersistentVolumeClaim({
    namespace: o.namespace ?? APP_NAMESPACE,
    body: {
      metadata: { name, labels: o.labels },
      spec: {
        storageClassName: o.storageClass,
        volumeName: o.volume,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      },
    },
  });
}

/** A bare pod mounting a claim. */
export async function createPodWithClaim(
  kc: KubeConfig,
  name: string,
  claim: string,
  labels: Record<string, string>,
  namespace = APP_NAMESPACE,
) {
  return kc.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.example.eu/app:1.0',
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
      },
    },
  });
}
