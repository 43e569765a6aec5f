// The chart's ValidatingAdmissionPolicy keeps the verdict labels of MemberClusters the operator's alone:
// on a real kube-apiserver, a cluster administrator (system:masters, which RBAC never refuses) can
// neither set, change nor remove one, while the operator's ServiceAccount can, and anyone may still
// change the record's other labels.
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderChart } from '../../../scripts/render-deploy.ts';
import { API_VERSION } from '../../../src/api/group.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { KubeApiError, kubeRequest } from '../../../src/kube/request.ts';
import { TestCluster } from '../../harness/cluster.ts';
import { installCrds } from '../../harness/install.ts';
import { waitFor } from '../../harness/net.ts';
import { ensureNamespace } from '../../harness/operator.ts';
import { kubectl, NAMESPACE, objects, RELEASE, toYamlStream } from '../install/support.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const PATH = '/apis/sovereign-placement.io/v1alpha1/memberclusters';

let cluster: TestCluster;
let admin: KubeConfig;
let operatorSa: KubeConfig;

const member = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: API_VERSION,
  kind: 'MemberCluster',
  metadata: { name, labels },
  spec: {
    cloudService: 'eurocloud-sovereign',
    country: 'FR',
    kubeconfigSecretRef: { namespace: NAMESPACE, name: `member-${name}` },
  },
});

const create = (kc: KubeConfig, body: unknown) => kubeRequest(kc, { method: 'POST', path: PATH, body });
const patchLabels = (kc: KubeConfig, name: string, labels: Record<string, string | null>) =>
  kubeRequest(kc, {
    method: 'PATCH',
    path: `${PATH}/${name}`,
    body: { metadata: { labels } },
    contentType: 'application/merge-patch+json',
  });

/** The API server's refusal, or null when the request was accepted. */
async function refusal(request: Promise<unknown>): Promise<KubeApiError | null> {
  try {
    await request;
    return null;
  } catch (error) {
    if (error instanceof KubeApiError) return error;
    throw error;
  }
}

beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'member-vap', controllers: false, kwok: false });
  admin = cluster.adminKubeConfig();
  await installCrds(admin);
  await ensureNamespace(admin, NAMESPACE);
  const chart = objects(renderChart());
  const policy = chart.filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'));
  expect(policy.map((o) => o.kind).sort()).toEqual([
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ]);
  // The operator's ServiceAccount as the chart names it, allowed by RBAC to write MemberClusters (the
  // chart grants patch in hub mode; create lets this test also check creation with labels).
  const rbac = [
    ...chart.filter((o) => o.kind === 'ServiceAccount'),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'test-member-writer' },
      rules: [
        {
          apiGroups: ['sovereign-placement.io'],
          resources: ['memberclusters'],
          verbs: ['create', 'patch', 'get'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'test-member-writer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'test-member-writer' },
      subjects: [{ kind: 'ServiceAccount', name: RELEASE, namespace: NAMESPACE }],
    },
  ];
  const applied = await kubectl(
    ['apply', '--server-side', '-f', '-'],
    cluster,
    toYamlStream([...policy, ...rbac] as never),
  );
  expect(applied.code, applied.stderr).toBe(0);
  operatorSa = (await cluster.serviceAccountKubeConfig(NAMESPACE, RELEASE)).kubeConfig;
  // An admission policy takes effect once the API server has compiled it: wait until it refuses.
  await waitFor(
    'the admission policy to refuse a verdict label set by an administrator',
    async () => {
      const error = await refusal(create(admin, member('probe', { [SOV_EU]: 'ThirdPartyCertified' })));
      if (error === null) await kubeRequest(admin, { method: 'DELETE', path: `${PATH}/probe` });
      return error !== null;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('verdict labels of MemberClusters', () => {
  it('a cluster administrator cannot create a MemberCluster with a verdict label', async () => {
    const error = await refusal(create(admin, member('paris', { [SOV_EU]: 'ThirdPartyCertified' })));
    expect(error?.statusCode).toBe(403);
    expect(error?.message).toContain('written only by the operator');
    expect(error?.message).toContain(`system:serviceaccount:${NAMESPACE}:${RELEASE}`);
  });

  it('a cluster administrator can create one without, and set other labels', async () => {
    expect(await refusal(create(admin, member('paris', { team: 'infra' })))).toBeNull();
    expect(await refusal(patchLabels(admin, 'paris', { team: 'platform' }))).toBeNull();
  });

  it('a cluster administrator cannot set a verdict label on an existing MemberCluster', async () => {
    const error = await refusal(patchLabels(admin, 'paris', { [SOV_EU]: 'SelfDeclared' }));
    expect(error?.statusCode).toBe(403);
  });

  it("the operator's ServiceAccount can set it", async () => {
    expect(await refusal(patchLabels(operatorSa, 'paris', { [SOV_EU]: 'ThirdPartyCertified' }))).toBeNull();
  });

  it('a cluster administrator can neither change nor remove it, but can still change other labels', async () => {
    expect((await refusal(patchLabels(admin, 'paris', { [SOV_EU]: 'SelfDeclared' })))?.statusCode).toBe(403);
    expect((await refusal(patchLabels(admin, 'paris', { [SOV_EU]: null })))?.statusCode).toBe(403);
    expect(await refusal(patchLabels(admin, 'paris', { team: 'sre' }))).toBeNull();
  });

  it("the operator's ServiceAccount can remove it", async () => {
    expect(await refusal(patchLabels(operatorSa, 'paris', { [SOV_EU]: null }))).toBeNull();
    const stored = await kubeRequest<{ metadata: { labels?: Record<string, string> } }>(admin, {
      path: `${PATH}/paris`,
    });
    expect(stored.metadata.labels).toEqual({ team: 'sre' });
  });
});
