// The operator as the sovereignty brain of a real Karmada v1.18.2 control plane (`--karmada`, its
// kubeconfig the Karmada API server's): it labels Karmada's Clusters from the MemberCluster records of the
// same name, and its webhook (registered by URL in the Karmada API server, failurePolicy Fail) pins the
// ResourceBinding of a Deployment that an Enforce policy selects to Clusters carrying the verdict label.
// Members: paris (eurocloud-sovereign) and berlin (nordcloud-sovereign) conform; frankfurt
// (globalcloud-frankfurt, Resilient only, a parent outside the EU) does not.
//
// Finding of scenario 4: a forged verdict label on a Cluster is not refused (karmada-aggregated-apiserver runs no
// admission); the operator removes it, and a copy Karmada started meanwhile goes with it. See docs/karmada.md.
//
// Runs only with SOVEREIGN_PLACEMENT_KARMADA_TEST=1 (`make test-karmada`), like control-plane.test.ts.
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, ENROLLMENT_LABEL, ENROLLMENT_VALUE, GROUP, VERSION } from '../../../src/api/group.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { httpStatusOf, KubeApiError, kubeRequest } from '../../../src/kube/request.ts';
import {
  mutatingWebhookConfiguration,
  resourceBindingWebhook,
} from '../../../src/operator/webhook/configuration.ts';
import type { Cluster } from '../../harness/clusters.ts';
import { createObjects, installCrds, sampleObjects } from '../../harness/install.ts';
import { CLUSTER_API, KarmadaControlPlane } from '../../harness/karmada.ts';
import { freePort, waitFor } from '../../harness/net.ts';
import {
  ensureNamespace,
  OPERATOR_NAMESPACE,
  OperatorProcess,
  WEBHOOK_CONFIGURATION,
} from '../../harness/operator.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const NAMESPACE = 'payments';
const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`;
const MEMBERS = `/apis/${GROUP}/${VERSION}/memberclusters`;
const FORGER = 'cluster-editor';
const NORDCLOUD = 'nordcloud-sovereign';
const YEAR_2028 = '2028-01-01T00:00:00Z';

/** A second Sovereign/eu service, of another provider, with its badge valid until `validUntil`. */
const nordcloud = (validUntil: string) => ({
  provider: {
    name: 'NordCloud GmbH',
    legalJurisdiction: 'DE',
    ultimateParent: { name: 'NordCloud GmbH', legalJurisdiction: 'DE' },
  },
  badges: [
    {
      type: 'Sovereign',
      area: 'eu',
      assurance: 'ThirdPartyCertified',
      certifiedBy: 'Example Conformity Assessment Body',
      validFrom: '2026-01-01T00:00:00Z',
      validUntil,
    },
  ],
});

interface KarmadaClusterJson {
  metadata: { name: string; labels?: Record<string, string> };
}
interface Deployment {
  status?: { conditions?: { type: string; status: string }[] };
}

describe.skipIf(!process.env.SOVEREIGN_PLACEMENT_KARMADA_TEST)(
  'the operator in Karmada mode on a real Karmada control plane',
  () => {
    let karmada: KarmadaControlPlane;
    let kc: KubeConfig;
    let operator: OperatorProcess | undefined;

    const clusterLabels = async (name: string) =>
      (await kubeRequest<KarmadaClusterJson>(kc, { path: `${CLUSTER_API}/${name}` })).metadata.labels ?? {};
    const onMember = async (member: string, name: string): Promise<Deployment | undefined> => {
      try {
        return await kubeRequest<Deployment>(karmada.member(member).cluster.adminKubeConfig(), {
          path: `${DEPLOYMENTS}/${name}`,
        });
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    };
    const available = (d: Deployment | undefined) =>
      d?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true;

    const deploy = async (name: string) => {
      await kubeRequest(kc, {
        method: 'POST',
        path: DEPLOYMENTS,
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace: NAMESPACE, labels: { app: name, tier: 'regulated' } },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { containers: [{ name, image: 'registry.example.eu/app:1.0' }] },
            },
          },
        },
      });
      // Duplicated over every cluster: only the operator's pin keeps it off frankfurt.
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/policy.karmada.io/v1alpha1/namespaces/${NAMESPACE}/propagationpolicies`,
        body: {
          apiVersion: 'policy.karmada.io/v1alpha1',
          kind: 'PropagationPolicy',
          metadata: { name, namespace: NAMESPACE },
          spec: {
            resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name }],
            placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } },
          },
        },
      });
    };

    beforeAll(async () => {
      karmada = await KarmadaControlPlane.start({
        name: 'karmada-sov',
        members: ['paris', 'berlin', 'frankfurt'],
      });
      kc = karmada.adminKubeConfig();
      await installCrds(kc);
      await createObjects(
        kc,
        sampleObjects().filter((o) => o.kind === 'SovereigntyArea' || o.kind === 'CloudService'),
      );
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/${GROUP}/${VERSION}/cloudservices`,
        body: {
          apiVersion: API_VERSION,
          kind: 'CloudService',
          metadata: { name: NORDCLOUD },
          spec: nordcloud(YEAR_2028),
        },
      });
      const record = (name: string, cloudService: string, country: string) =>
        kubeRequest(kc, {
          method: 'POST',
          path: MEMBERS,
          body: {
            apiVersion: API_VERSION,
            kind: 'MemberCluster',
            metadata: { name },
            // Karmada reaches the members itself: the Secret reference is not used in Karmada mode.
            spec: {
              cloudService,
              country,
              kubeconfigSecretRef: { namespace: OPERATOR_NAMESPACE, name: 'unused' },
            },
          },
        });
      await record('paris', 'eurocloud-sovereign', 'FR');
      await record('berlin', NORDCLOUD, 'DE');
      await record('frankfurt', 'globalcloud-frankfurt', 'DE');
      // Enrolled, as for pods: the binding webhook sees enrolled namespaces only.
      await ensureNamespace(kc, NAMESPACE, { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE });
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/sovereigntypolicies`,
        body: {
          apiVersion: API_VERSION,
          kind: 'SovereigntyPolicy',
          metadata: { name: 'regulated', namespace: NAMESPACE },
          spec: {
            mode: 'Enforce',
            selector: { matchLabels: { tier: 'regulated' } },
            requirement: { badges: ['Sovereign'], area: 'eu' },
            failover: { expiryLeadTime: '1h' },
          },
        },
      });
      // The operator's webhook configuration in the Karmada API server: Pods as in one cluster, and
      // ResourceBindings, both by URL on loopback and failurePolicy Fail.
      await ensureNamespace(kc, OPERATOR_NAMESPACE);
      const webhookPort = await freePort();
      const url = { url: `https://127.0.0.1:${webhookPort}` };
      const config = mutatingWebhookConfiguration(WEBHOOK_CONFIGURATION, url);
      config.webhooks.push(resourceBindingWebhook(url) as never);
      await kubeRequest(kc, {
        method: 'POST',
        path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
        body: config,
      });
      const target = {
        name: 'karmada-sov',
        dir: karmada.dir,
        kubeconfigPath: karmada.kubeconfigPath,
        webhookHost: '127.0.0.1',
        adminKubeConfig: () => karmada.adminKubeConfig(),
      } as unknown as Cluster;
      operator = await OperatorProcess.start(target, { webhookPort, args: ['--karmada'] });
    }, 360_000);
    afterAll(async () => {
      await operator?.stop();
      await karmada?.stop();
    }, 120_000);

    it('labels the conforming member Cluster and not the other', async () => {
      const started = Date.now();
      await waitFor(
        'paris and berlin labelled',
        async () =>
          (await clusterLabels('paris'))[SOV_EU] !== undefined &&
          (await clusterLabels('berlin'))[SOV_EU] !== undefined,
        { timeoutMs: 30_000 },
      );
      console.log(
        `verdict label on Karmada Cluster paris ${Date.now() - started} ms after the operator was ready`,
      );
      expect((await clusterLabels('paris'))[SOV_EU]).toBe('ThirdPartyCertified');
      expect((await clusterLabels('frankfurt'))[SOV_EU]).toBeUndefined();
    });

    it('scenario 1: a Duplicated Deployment under an Enforce policy lands only on the conforming member', async () => {
      const created = Date.now();
      await deploy('ledger');
      await waitFor(
        'ledger Available on paris and berlin',
        async () =>
          available(await onMember('paris', 'ledger')) && available(await onMember('berlin', 'ledger')),
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      console.log(`ledger Available on paris and berlin ${Date.now() - created} ms after it was created`);
      const binding = await kubeRequest<{
        spec: {
          placement?: { clusterAffinity?: { labelSelector?: { matchExpressions?: { key: string }[] } } };
          clusters?: { name: string }[];
        };
      }>(kc, {
        path: `/apis/work.karmada.io/v1alpha2/namespaces/${NAMESPACE}/resourcebindings/ledger-deployment`,
      });
      expect(binding.spec.placement?.clusterAffinity?.labelSelector?.matchExpressions).toEqual([
        expect.objectContaining({ key: SOV_EU, operator: 'In' }),
      ]);
      expect(binding.spec.clusters?.map((c) => c.name).sort()).toEqual(['berlin', 'paris']);
      expect(await onMember('frankfurt', 'ledger')).toBeUndefined();
    }, 120_000);

    it('scenario 2: a badge nearing expiry takes the verdict label away and the workload leaves that member', async () => {
      const soon = new Date(Date.now() + 30 * 60_000).toISOString();
      const changed = Date.now();
      await kubeRequest(kc, {
        method: 'PATCH',
        path: `/apis/${GROUP}/${VERSION}/cloudservices/${NORDCLOUD}`,
        contentType: 'application/merge-patch+json',
        body: { spec: nordcloud(soon) },
      });
      await waitFor('berlin unlabelled', async () => (await clusterLabels('berlin'))[SOV_EU] === undefined, {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      const unlabelled = Date.now() - changed;
      await waitFor(
        'ledger gone from berlin',
        async () => (await onMember('berlin', 'ledger')) === undefined,
        {
          timeoutMs: 60_000,
          intervalMs: 100,
        },
      );
      console.log(
        `badge of ${NORDCLOUD} within the 1h lead time: label gone from berlin after ${unlabelled} ms, ledger gone from berlin after ${Date.now() - changed} ms`,
      );
      expect(available(await onMember('paris', 'ledger'))).toBe(true);
      expect(await onMember('frankfurt', 'ledger')).toBeUndefined();
      // Renewed: berlin conforms again and Karmada brings the copy back.
      await kubeRequest(kc, {
        method: 'PATCH',
        path: `/apis/${GROUP}/${VERSION}/cloudservices/${NORDCLOUD}`,
        contentType: 'application/merge-patch+json',
        body: { spec: nordcloud(YEAR_2028) },
      });
      await waitFor('ledger back on berlin', async () => (await onMember('berlin', 'ledger')) !== undefined, {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
    }, 120_000);

    it('scenario 5: with the operator down a selected template is placed nowhere, and lands once it is back', async () => {
      if (!operator) throw new Error('no operator');
      await operator.stop();
      await deploy('api');
      // The binding webhook fails closed: the detector cannot create the binding, so nothing is scheduled.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      for (const member of ['paris', 'berlin', 'frankfurt'])
        expect(await onMember(member, 'api')).toBeUndefined();
      const binding = await kubeRequest(kc, {
        path: `/apis/work.karmada.io/v1alpha2/namespaces/${NAMESPACE}/resourcebindings/api-deployment`,
      }).catch((error) => httpStatusOf(error));
      expect(binding).toBe(404);
      const resumed = Date.now();
      await operator.resume();
      try {
        await waitFor(
          'api Available on paris and berlin',
          async () => available(await onMember('paris', 'api')) && available(await onMember('berlin', 'api')),
          { timeoutMs: 120_000, intervalMs: 250 },
        );
      } catch (error) {
        const rb = await kubeRequest(kc, {
          path: `/apis/work.karmada.io/v1alpha2/namespaces/${NAMESPACE}/resourcebindings/api-deployment`,
        }).catch((e) => httpStatusOf(e));
        console.log(
          `binding of api: ${JSON.stringify(rb)}\n${operator.logs(30)}\n${karmada.logs('karmada-controller-manager', 30)}`,
        );
        throw error;
      }
      console.log(
        `api Available on the conforming members ${Date.now() - resumed} ms after the operator restarted`,
      );
      expect(await onMember('frankfurt', 'api')).toBeUndefined();
    }, 180_000);
    it('scenario 4: a forged verdict label on a Karmada Cluster, by a user with full rights on Clusters', async () => {
      // A user allowed everything on Cluster objects, and the chart's kind of ValidatingAdmissionPolicy
      // matching clusters.cluster.karmada.io in the Karmada API server.
      await kubeRequest(kc, {
        method: 'POST',
        path: '/api/v1/namespaces/default/serviceaccounts',
        body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: FORGER } },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: FORGER },
          rules: [{ apiGroups: ['cluster.karmada.io'], resources: ['*'], verbs: ['*'] }],
        },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: FORGER },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: FORGER },
          subjects: [{ kind: 'ServiceAccount', name: FORGER, namespace: 'default' }],
        },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies',
        body: {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicy',
          metadata: { name: 'karmada-cluster-verdict-labels' },
          spec: {
            failurePolicy: 'Fail',
            matchConstraints: {
              resourceRules: [
                {
                  apiGroups: ['cluster.karmada.io'],
                  apiVersions: ['*'],
                  operations: ['CREATE', 'UPDATE'],
                  resources: ['clusters'],
                },
              ],
            },
            validations: [
              {
                expression: `request.userInfo.username == 'karmada-admin' || !has(object.metadata.labels) || !object.metadata.labels.exists(k, k.startsWith('node-restriction.kubernetes.io/sp.') && (oldObject == null || !has(oldObject.metadata.labels) || !(k in oldObject.metadata.labels) || oldObject.metadata.labels[k] != object.metadata.labels[k]))`,
                message: 'verdict labels of a Karmada Cluster are written only by the operator',
              },
            ],
          },
        },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings',
        body: {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicyBinding',
          metadata: { name: 'karmada-cluster-verdict-labels' },
          spec: { policyName: 'karmada-cluster-verdict-labels', validationActions: ['Deny'] },
        },
      });
      const forger = (await tokenKubeConfig(karmada, kc, FORGER)) as KubeConfig;
      // The policy is in force for the resources kube-apiserver serves itself (a ConfigMap check is not
      // needed: MemberClusters are covered by the chart's test); wait for it to be loaded, then forge.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      let refused: KubeApiError | null = null;
      try {
        await kubeRequest(forger, {
          method: 'PATCH',
          path: `${CLUSTER_API}/frankfurt`,
          contentType: 'application/merge-patch+json',
          body: { metadata: { labels: { [SOV_EU]: 'ThirdPartyCertified' } } },
        });
      } catch (error) {
        if (!(error instanceof KubeApiError)) throw error;
        refused = error;
      }
      const forgedAt = Date.now();
      console.log(
        refused
          ? `forged verdict label on Cluster frankfurt refused: ${refused.status} ${refused.message}`
          : 'forged verdict label on Cluster frankfurt ACCEPTED by the Karmada API server: karmada-aggregated-apiserver runs no admission, so the ValidatingAdmissionPolicy does not apply to Clusters',
      );
      // Finding (Karmada v1.18.2): Cluster objects are served by karmada-aggregated-apiserver, which has no
      // admission chain; kube-apiserver proxies aggregated requests without running its own. The policy
      // is therefore not enforced, and the operator is what removes a forged label.
      expect(refused).toBeNull();
      await waitFor(
        'the forged label removed by the operator',
        async () => (await clusterLabels('frankfurt'))[SOV_EU] === undefined,
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      console.log(`forged label removed by the operator ${Date.now() - forgedAt} ms after it was set`);
      // What karmada-scheduler did with the label while it was there: watched for 20 s.
      let appeared: number | undefined;
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        if ((await onMember('frankfurt', 'ledger')) !== undefined) appeared ??= Date.now() - forgedAt;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const still = (await onMember('frankfurt', 'ledger')) !== undefined;
      // The label gone, Karmada takes the copy away (Duplicated bindings are rescheduled on label changes).
      await waitFor(
        'no ledger on frankfurt',
        async () => (await onMember('frankfurt', 'ledger')) === undefined,
        {
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
      const rb = await kubeRequest<{ spec: { clusters?: { name: string }[] } }>(kc, {
        path: `/apis/work.karmada.io/v1alpha2/namespaces/${NAMESPACE}/resourcebindings/ledger-deployment`,
      });
      console.log(
        `within 20 s of the forgery: a copy of ledger on frankfurt ${appeared === undefined ? 'never appeared' : `appeared after ${appeared} ms`}, ${still ? 'and is still there' : 'and is gone'}; binding clusters: ${(rb.spec.clusters ?? []).map((c) => c.name).join(', ')}`,
      );
    }, 120_000);
  },
);

/** A kubeconfig of the Karmada API server acting as a ServiceAccount (a TokenRequest by the admin). */
async function tokenKubeConfig(karmada: KarmadaControlPlane, admin: KubeConfig, name: string) {
  const { KubeConfig: Config } = await import('@kubernetes/client-node');
  const res = await kubeRequest<{ status: { token: string } }>(admin, {
    method: 'POST',
    path: `/api/v1/namespaces/default/serviceaccounts/${name}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`no cluster in ${karmada.kubeconfigPath}`);
  const kc = new Config();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token: res.status.token }],
    contexts: [{ name, cluster: cluster.name, user: name }],
    currentContext: name,
  });
  return kc;
}
