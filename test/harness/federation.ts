// A hub and member control planes, as the federation e2e tests and `make demo-federation` use them:
// members with kube-controller-manager, kube-scheduler and KWOK nodes (so a Deployment applied there
// becomes Available), the member-side permissions of deploy/member/rbac.yaml, and the hub operator with
// the chart's hub permissions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { renderChart } from '../../scripts/render-deploy.ts';
import { GROUP, VERSION } from '../../src/api/group.ts';
import { kubeRequest } from '../../src/kube/request.ts';
import { kubectl, NAMESPACE, objects, RELEASE, toYamlStream } from '../integration/install/support.ts';
import { TestCluster } from './cluster.ts';
import { createKwokNode, waitForNodeReady } from './nodes.ts';
import { ensureNamespace, OPERATOR_NAMESPACE, OperatorProcess } from './operator.ts';
import { APP_NAMESPACE, buildWorld, createCloudService, sovereignBadge } from './world.ts';

const ROOT = join(import.meta.dirname, '../..');
export const API = `/apis/${GROUP}/${VERSION}`;
export const WORKLOADS = `${API}/namespaces/${APP_NAMESPACE}/sovereignworkloads`;
/** A second Sovereign-EU provider, so that workloads can spread over two. */
export const NORDCLOUD = 'nordcloud-sovereign';
export const UID_LABEL = 'sovereign-placement.io/workload-uid';
export const MEMBER_NAMESPACE = 'sovereign-placement-member';
export const MEMBER_SA = 'sovereign-placement-hub';

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
export interface WorkloadPlacement {
  cluster: string;
  provider: string;
  available?: boolean;
  state?: string;
  reason?: { code: string; message: string };
  message?: string;
}
export interface WorkloadObject {
  metadata: { name: string; uid: string; finalizers?: string[] };
  status?: {
    conditions?: Condition[];
    placements?: WorkloadPlacement[];
    rejected?: { cluster: string; reasons: { code: string; message: string }[] }[];
  };
}

/** A member control plane with two KWOK nodes and the hub's identity of deploy/member/rbac.yaml. */
export async function startMember(name: string, prefix = 'fed'): Promise<TestCluster> {
  const cluster = await TestCluster.start({ name: `${prefix}-${name}` });
  try {
    const kc = cluster.adminKubeConfig();
    for (const node of [`${name}-1`, `${name}-2`]) await createKwokNode(kc, { name: node });
    for (const node of [`${name}-1`, `${name}-2`]) await waitForNodeReady(kc, node);
    const applied = await kubectl(
      ['apply', '--server-side', '-f', join(ROOT, 'deploy/member/rbac.yaml')],
      cluster,
    );
    if (applied.code !== 0) throw new Error(`applying deploy/member/rbac.yaml failed: ${applied.stderr}`);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/**
 * The hub: CRDs and sample services, a second Sovereign provider, the chart's hub-mode permissions, and
 * the operator run with a token of its ServiceAccount.
 */
export async function startHub(
  prefix = 'fed',
): Promise<{ hub: TestCluster; kc: KubeConfig; operator: OperatorProcess }> {
  const hub = await TestCluster.start({ name: `${prefix}-hub`, controllers: false, kwok: false });
  try {
    const kc = await buildWorld(hub, []);
    await createCloudService(kc, NORDCLOUD, {
      description: 'Managed Kubernetes of a second EU-owned provider.',
      provider: {
        name: 'NordCloud GmbH',
        legalJurisdiction: 'DE',
        ultimateParent: { name: 'NordCloud Holding AG', legalJurisdiction: 'DE' },
      },
      badges: [sovereignBadge('2028-01-01T00:00:00Z')],
    });
    const chart = objects(renderChart({ set: { 'hub.enabled': true } })).filter((o) =>
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind),
    );
    await ensureNamespace(kc, NAMESPACE);
    const applied = await kubectl(['apply', '--server-side', '-f', '-'], hub, toYamlStream(chart));
    if (applied.code !== 0) throw new Error(`applying the chart's RBAC failed: ${applied.stderr}`);
    const identity = await hub.serviceAccountKubeConfig(NAMESPACE, RELEASE);
    const operator = await OperatorProcess.start(hub, {
      kubeconfigPath: identity.path,
      args: ['--hub', `--member-secrets-namespace=${OPERATOR_NAMESPACE}`],
    });
    return { hub, kc, operator };
  } catch (error) {
    await hub.stop();
    throw error;
  }
}

export async function createSecret(hubKc: KubeConfig, name: string, kubeconfig: string) {
  await kubeRequest(hubKc, {
    method: 'POST',
    path: `/api/v1/namespaces/${OPERATOR_NAMESPACE}/secrets`,
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { kubeconfig } },
  });
}

export async function createMember(hubKc: KubeConfig, name: string, spec: Record<string, unknown>) {
  await kubeRequest(hubKc, {
    method: 'POST',
    path: `${API}/memberclusters`,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'MemberCluster',
      metadata: { name },
      spec: {
        country: 'FR',
        kubeconfigSecretRef: { namespace: OPERATOR_NAMESPACE, name: `member-${name}` },
        ...spec,
      },
    },
  });
}

/** The text of a kubeconfig holding a token of the member's hub ServiceAccount. */
export async function memberKubeconfigText(member: TestCluster): Promise<string> {
  const token = await member.serviceAccountKubeConfig(MEMBER_NAMESPACE, MEMBER_SA);
  return readFileSync(token.path, 'utf8');
}

/** A Secret with the member's kubeconfig on the hub, and the MemberCluster naming it. */
export async function registerMember(
  hubKc: KubeConfig,
  name: string,
  member: TestCluster,
  spec: Record<string, unknown>,
) {
  await createSecret(hubKc, `member-${name}`, await memberKubeconfigText(member));
  await createMember(hubKc, name, spec);
}

export const deploymentManifest = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: 'registry.example.eu/app:1.0' }] },
    },
  },
});

/** A SovereignWorkload needing Sovereign/eu, with a 1h expiry lead time. */
export async function createWorkload(
  hubKc: KubeConfig,
  name: string,
  clusters: number,
  spread: number,
  manifests?: unknown[],
) {
  return kubeRequest<WorkloadObject>(hubKc, {
    method: 'POST',
    path: WORKLOADS,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SovereignWorkload',
      metadata: { name },
      spec: {
        requirement: { badges: ['Sovereign'], area: 'eu' },
        placement: { clusters, spreadAcrossProviders: spread },
        failover: { expiryLeadTime: '1h' },
        manifests: manifests ?? [deploymentManifest(name)],
      },
    },
  });
}

export const readWorkload = (hubKc: KubeConfig, name: string) =>
  kubeRequest<WorkloadObject>(hubKc, { path: `${WORKLOADS}/${name}` });

export const workloadCondition = (w: WorkloadObject, type: string) =>
  w.status?.conditions?.find((c) => c.type === type);

/** Members the workload is placed on and not leaving. */
export const activeMembers = (w: WorkloadObject) =>
  (w.status?.placements ?? []).filter((p) => p.state !== 'Leaving').map((p) => p.cluster);

/** Whether the workload is Available exactly on these members (and is leaving none). */
export const availableOn =
  (...clusters: string[]) =>
  (w: WorkloadObject): boolean =>
    workloadCondition(w, 'Available')?.status === 'True' &&
    JSON.stringify(activeMembers(w).sort()) === JSON.stringify([...clusters].sort()) &&
    (w.status?.placements ?? []).every((p) => p.state !== 'Leaving');

/** Names of the workload's Deployments on a member, found by its uid label as the member's admin sees them. */
export async function copiesOn(member: TestCluster, uid: string): Promise<string[]> {
  const list = await kubeRequest<{ items: { metadata: { name: string } }[] }>(member.adminKubeConfig(), {
    path: `/apis/apps/v1/namespaces/${APP_NAMESPACE}/deployments`,
    query: { labelSelector: `${UID_LABEL}=${uid}` },
    timeoutMs: 5_000,
  });
  return list.items.map((d) => d.metadata.name);
}

/** Sets the Sovereign badge of a service to end at `validUntil` (its other badges are kept). */
export async function setSovereignBadge(hubKc: KubeConfig, service: string, validUntil: string) {
  const current = await kubeRequest<{ spec: { badges: { type: string }[] } }>(hubKc, {
    path: `${API}/cloudservices/${service}`,
  });
  const badges = current.spec.badges.map((b) => (b.type === 'Sovereign' ? sovereignBadge(validUntil) : b));
  await kubeRequest(hubKc, {
    method: 'PATCH',
    path: `${API}/cloudservices/${service}`,
    body: { spec: { badges } },
    contentType: 'application/merge-patch+json',
  });
}
