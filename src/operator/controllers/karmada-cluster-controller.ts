import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../api/group.ts';
import type { ConformingClusters, TemplateLookup } from '../../cluster/admission/admit-binding.ts';
import type { Derived } from '../../cluster/facts.ts';
import { type KarmadaClusterObject, planKarmadaCluster } from '../../cluster/karmada-clusters.ts';
import { karmadaStandings } from '../../cluster/karmada-placement.ts';
import { kubeRequest, type ResourceRef } from '../../kube/request.ts';
import type { ObjectWithMeta } from '../runtime/resource-client.ts';
import { type ControllerContext, NOT_LEADER, type ReconcileResult } from './context.ts';

/**
 * Karmada mode (`--karmada`): the operator runs against the Karmada API server, caches Karmada's
 * Clusters, the MemberCluster records that hold their facts, and the workload templates its webhook
 * reads when it pins ResourceBindings.
 */
export const CLUSTER_GROUP = 'cluster.karmada.io';
export const CLUSTER_VERSION = 'v1alpha1';

/** The caches Karmada mode adds. */
export const karmadaResources = () =>
  ({
    memberClusters: { group: GROUP, version: VERSION, plural: 'memberclusters' },
    karmadaClusters: { group: CLUSTER_GROUP, version: CLUSTER_VERSION, plural: 'clusters' },
    deployments: { group: 'apps', version: 'v1', plural: 'deployments' },
    statefulsets: { group: 'apps', version: 'v1', plural: 'statefulsets' },
    daemonsets: { group: 'apps', version: 'v1', plural: 'daemonsets' },
    jobs: { group: 'batch', version: 'v1', plural: 'jobs' },
    resourceBindings: { group: 'work.karmada.io', version: 'v1alpha2', plural: 'resourcebindings' },
  }) satisfies Record<string, ResourceRef>;

/** The caches whose changes can change a Karmada Cluster's verdict labels. */
export const KARMADA_CLUSTER_WAKES: readonly string[] = [
  'karmadaClusters',
  'memberClusters',
  'policies',
  'clusterPolicies',
  'services',
  'areas',
];

const TEMPLATE_CACHES: Readonly<Record<string, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
};

/**
 * The conforming Karmada Clusters for some policies, for the binding webhook and controller: undefined
 * until the Cluster and MemberCluster caches are synced.
 */
export function conformingClusters(
  cache: (name: string) => { list: () => ObjectWithMeta[]; hasSynced: () => boolean } | undefined,
  derived: () => Derived,
): ConformingClusters {
  return (policies) => {
    const clusters = cache('karmadaClusters');
    const members = cache('memberClusters');
    if (!clusters?.hasSynced() || !members?.hasSynced()) return undefined;
    return karmadaStandings(clusters.list() as unknown as KarmadaClusterObject[], policies, derived())
      .conforming;
  };
}

/** Template labels from the caches, for the binding webhook: undefined until they are synced. */
export function templateLookup(
  cache: (
    name: string,
  ) => { get: (key: string) => ObjectWithMeta | undefined; hasSynced: () => boolean } | undefined,
): TemplateLookup {
  return (ref) => {
    const name = TEMPLATE_CACHES[ref.kind];
    const c = name ? cache(name) : undefined;
    if (!c?.hasSynced()) return undefined;
    const object = c.get(`${ref.namespace}/${ref.name}`) as
      | { metadata?: { labels?: Record<string, string> } }
      | undefined;
    return object ? { labels: object.metadata?.labels ?? {} } : null;
  };
}

const clusterRef = (name: string) => ({
  apiVersion: `${CLUSTER_GROUP}/${CLUSTER_VERSION}`,
  kind: 'Cluster',
  name,
});

/** Keeps the verdict labels of each Karmada Cluster equal to what the domain decides. */
export class KarmadaClusterController {
  private readonly ctx: ControllerContext;
  private readonly kubeConfig: KubeConfig;
  private readonly cluster: (name: string) => KarmadaClusterObject | undefined;

  constructor(
    ctx: ControllerContext,
    kubeConfig: KubeConfig,
    cluster: (name: string) => KarmadaClusterObject | undefined,
  ) {
    this.ctx = ctx;
    this.kubeConfig = kubeConfig;
    this.cluster = cluster;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const { ctx } = this;
    if (!ctx.isLeader()) return NOT_LEADER;
    const cluster = this.cluster(name);
    if (!cluster) return;
    const derived = ctx.derived();
    const plan = planKarmadaCluster(cluster, derived);
    if (plan.patch) {
      await kubeRequest(this.kubeConfig, {
        method: 'PATCH',
        path: `/apis/${CLUSTER_GROUP}/${CLUSTER_VERSION}/clusters/${encodeURIComponent(name)}`,
        body: plan.patch,
        contentType: 'application/merge-patch+json',
      });
      for (const change of plan.changes) {
        ctx.log.info({ karmadaCluster: name, label: change.key, granted: change.granted }, change.sentence);
        ctx.events.record(
          clusterRef(name),
          change.granted ? 'Normal' : 'Warning',
          change.granted ? 'VerdictGranted' : 'VerdictRevoked',
          change.sentence,
        );
      }
    }
    return plan.nextTransitionAt === null ? undefined : { requeueAt: plan.nextTransitionAt };
  }
}
