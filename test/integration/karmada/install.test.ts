// The install path beside Karmada, on the harness: a host cluster (where Karmada's control plane would
// run) and a real Karmada v1.18.2 control plane with one member. Into the Karmada API server go the
// project's CRDs, deploy/karmada/ (the operator's ServiceAccount, its token and its rights) and the
// samples; into the host cluster a Secret holding a kubeconfig of that ServiceAccount, then `helm
// install` of the chart with karmada.enabled. No pod runs in the host cluster here, so the operator is
// run as a process with exactly the rendered Deployment's arguments, its paths and addresses remapped to
// this machine. It registers its webhook in the Karmada API server itself, pins the ResourceBinding of
// a selected Deployment and labels the member's Cluster, with nothing but the rights of
// deploy/karmada/rbac.yaml: karmada-apiserver's audit log shows it was never refused and used every pair
// it is granted.
//
// Runs only with SOVEREIGN_PLACEMENT_KARMADA_TEST=1 (`make test-karmada`), like the other Karmada tests.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, ENROLLMENT_LABEL, ENROLLMENT_VALUE, GROUP, VERSION } from '../../../src/api/group.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { httpStatusOf, kubeRequest } from '../../../src/kube/request.ts';
import { karmadaWebhookConfiguration } from '../../../src/operator/webhook/configuration.ts';
import { FIELD_MANAGER } from '../../../src/operator/webhook/registration.ts';
import { splitPemBundle } from '../../../src/tls/certificates.ts';
import type { AuditEvent } from '../../harness/cluster.ts';
import { TestCluster, write } from '../../harness/cluster.ts';
import { createObjects, installCrds, sampleObjects } from '../../harness/install.ts';
import { CLUSTER_API, KarmadaControlPlane } from '../../harness/karmada.ts';
import { freePort, StopWaiting, waitFor } from '../../harness/net.ts';
import { ManagedProcess } from '../../harness/processes.ts';
import {
  CHART_DIR,
  grantedPairs,
  helm,
  type K8sObject,
  kubectl,
  NAMESPACE,
  operatorRules,
  parseYamlStream,
  RELEASE,
  ROOT,
  wildcards,
} from '../install/support.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const MEMBER = 'paris';
const APP_NAMESPACE = 'payments';
const SECRET = 'karmada-kubeconfig';
const USER = `system:serviceaccount:${NAMESPACE}:${RELEASE}`;
const VALUES = `karmada.enabled=true,karmada.kubeconfigSecret.name=${SECRET}`;

/**
 * Pairs deploy/karmada/rbac.yaml grants that this scenario cannot make the operator use, each with the
 * code that uses it.
 */
const JUSTIFIED_UNUSED: Record<string, string> = {
  'create admissionregistration.k8s.io/mutatingwebhookconfigurations':
    'the server-side apply that creates the webhook configuration: authorized as a create, recorded as a patch',
  'update /secrets':
    'renewing the webhook certificate when a third of its year is left (ManagedWebhookCertificate); test/integration/install/rbac.test.ts makes the operator do it',
  'patch /events': 'folding an Event raised again (src/operator/events.ts)',
  'patch work.karmada.io/resourcebindings':
    'pinning a binding again when the conforming clusters change (the binding controller of Karmada mode)',
  'list work.karmada.io/resourcebindings': 'the cache of ResourceBindings of Karmada mode',
  'watch work.karmada.io/resourcebindings': 'the cache of ResourceBindings of Karmada mode',
  'patch sovereign-placement.io/clustersovereigntypolicies/status':
    'the status of a ClusterSovereigntyPolicy (none here)',
};

interface Deployment {
  spec: { template: { spec: any } };
  status?: { conditions?: { type: string; status: string }[] };
}

describe.skipIf(!process.env.SOVEREIGN_PLACEMENT_KARMADA_TEST)(
  'installing the operator beside Karmada with the chart',
  () => {
    let host: TestCluster;
    let karmada: KarmadaControlPlane;
    let kc: KubeConfig;
    let operator: ManagedProcess | undefined;
    let webhookPort: number;
    let hostDeployment: Deployment;
    const dir = mkdtempSync(join(tmpdir(), 'sovereign-placement-karmada-install-'));
    /** kubectl against the Karmada API server. */
    const karmadaCtl = (args: string[], input?: string) =>
      kubectl(args, { kubeconfigPath: karmada.kubeconfigPath } as TestCluster, input);
    const seen = () => karmada.auditEvents().filter((e) => e.user.username === USER);
    const pairOf = (e: AuditEvent) =>
      `${e.verb} ${e.objectRef?.apiGroup ?? ''}/${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;

    beforeAll(async () => {
      const started = await Promise.allSettled([
        TestCluster.start({ name: 'karmada-install-host', controllers: false, kwok: false }),
        KarmadaControlPlane.start({
          name: 'karmada-install',
          members: [MEMBER],
          auditPolicy: {
            apiVersion: 'audit.k8s.io/v1',
            kind: 'Policy',
            omitStages: ['RequestReceived'],
            rules: [{ level: 'Metadata', users: [USER] }, { level: 'None' }],
          },
        }),
      ]);
      if (started[0].status === 'fulfilled') host = started[0].value;
      if (started[1].status === 'fulfilled') karmada = started[1].value;
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      kc = karmada.adminKubeConfig();

      // The Karmada API server: CRDs, the operator's identity and rights, the policy on MemberClusters.
      await installCrds(kc);
      const applied = await karmadaCtl(['apply', '--server-side', '-f', join(ROOT, 'deploy/karmada')]);
      expect(applied.code, applied.stderr).toBe(0);
      console.log(`kubectl apply --server-side -f deploy/karmada/ (Karmada API server):\n${applied.stdout}`);
      await createObjects(
        kc,
        sampleObjects().filter((o) => o.kind === 'SovereigntyArea' || o.kind === 'CloudService'),
      );
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/${GROUP}/${VERSION}/memberclusters`,
        body: {
          apiVersion: API_VERSION,
          kind: 'MemberCluster',
          metadata: { name: MEMBER },
          spec: {
            cloudService: 'eurocloud-sovereign',
            country: 'FR',
            kubeconfigSecretRef: { namespace: NAMESPACE, name: 'unused' },
          },
        },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: '/api/v1/namespaces',
        body: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: APP_NAMESPACE, labels: { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE } },
        },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/${GROUP}/${VERSION}/namespaces/${APP_NAMESPACE}/sovereigntypolicies`,
        body: {
          apiVersion: API_VERSION,
          kind: 'SovereigntyPolicy',
          metadata: { name: 'regulated', namespace: APP_NAMESPACE },
          spec: {
            mode: 'Enforce',
            selector: { matchLabels: { tier: 'regulated' } },
            requirement: { badges: ['Sovereign'], area: 'eu' },
          },
        },
      });

      // The kubeconfig of the operator's ServiceAccount from the token Secret of deploy/karmada, made with
      // the commands of docs/karmada.md ("Installing beside Karmada", step 2).
      const tokenSecret = await waitFor('the token of deploy/karmada filled in', async () => {
        const secret = await kubeRequest<{ data?: Record<string, string> }>(kc, {
          path: `/api/v1/namespaces/${NAMESPACE}/secrets/sovereign-placement-token`,
        });
        return secret.data?.token && secret.data['ca.crt'] ? secret.data : undefined;
      });
      const decoded = (key: string) => Buffer.from(tokenSecret[key] as string, 'base64').toString();
      const caFile = write(dir, 'ca.crt', decoded('ca.crt'));
      const kubeconfigFile = join(dir, 'operator.kubeconfig');
      for (const args of [
        [
          'set-cluster',
          'karmada',
          `--server=${karmada.server}`,
          `--certificate-authority=${caFile}`,
          '--embed-certs',
        ],
        ['set-credentials', 'sovereign-placement', `--token=${decoded('token')}`],
        ['set-context', 'karmada', '--cluster=karmada', '--user=sovereign-placement'],
        ['use-context', 'karmada'],
      ]) {
        const result = await kubectl(['config', '--kubeconfig', kubeconfigFile, ...args]);
        expect(result.code, result.stderr).toBe(0);
      }

      // The host cluster: the release namespace, the Secret, the chart.
      for (const args of [
        ['create', 'namespace', NAMESPACE],
        ['create', 'secret', 'generic', SECRET, '-n', NAMESPACE, `--from-file=kubeconfig=${kubeconfigFile}`],
      ]) {
        const result = await kubectl(args, host);
        expect(result.code, result.stderr).toBe(0);
      }
      const installed = await helm(
        ['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--skip-crds', '--set', VALUES],
        host,
      );
      expect(installed.code, installed.stderr).toBe(0);
      const got = await kubectl(['get', 'deployment', RELEASE, '-n', NAMESPACE, '-o', 'json'], host);
      expect(got.code, got.stderr).toBe(0);
      hostDeployment = JSON.parse(got.stdout);
    }, 420_000);

    afterAll(async () => {
      await operator?.stop(15_000);
      await karmada?.stop();
      await host?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 180_000);

    it('creates in the host cluster the operator with the mounted Secret, and no webhook configuration or RBAC', async () => {
      const names = async (kinds: string) => {
        const result = await kubectl(
          ['get', kinds, '-A', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name'],
          host,
        );
        expect(result.code, result.stderr).toBe(0);
        return result.stdout.split('\n').filter(Boolean).sort();
      };
      const created = await names(
        'deployments,services,serviceaccounts,networkpolicies,poddisruptionbudgets,roles,rolebindings,clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingadmissionpolicies',
      );
      console.log(
        `helm install ${RELEASE} --set ${VALUES} created in the host cluster:\n${created.join('\n')}`,
      );
      expect(created).toEqual(
        [
          'deployment.apps/sovereign-placement',
          'networkpolicy.networking.k8s.io/sovereign-placement',
          'poddisruptionbudget.policy/sovereign-placement',
          'service/sovereign-placement-metrics',
          'service/sovereign-placement-webhook',
          'serviceaccount/sovereign-placement',
        ].sort(),
      );
      const webhooks = await kubectl(['get', 'mutatingwebhookconfigurations', '-o', 'name'], host);
      expect(webhooks.stdout.trim()).toBe('');
      const crds = await kubectl(['get', 'crds', '-o', 'name'], host);
      expect(crds.stdout).not.toContain(GROUP);
      const pod = hostDeployment.spec.template.spec;
      const volume = pod.volumes.find((v: any) => v.secret?.secretName === SECRET);
      expect(volume).toBeDefined();
      const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === volume.name);
      expect(mount.readOnly).toBe(true);
      expect(pod.containers[0].args).toContain(
        `--kubeconfig=${mount.mountPath}/${volume.secret.items[0].path}`,
      );
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    it("runs with the Deployment's arguments and registers its webhook in the Karmada API server", async () => {
      const container = hostDeployment.spec.template.spec.containers[0];
      const args = container.args as string[];
      // The Secret as the kubelet would mount it, read back from the host cluster.
      const secret = await kubectl(['get', 'secret', SECRET, '-n', NAMESPACE, '-o', 'json'], host);
      const kubeconfigFile = write(
        dir,
        'mounted-kubeconfig',
        Buffer.from(JSON.parse(secret.stdout).data.kubeconfig, 'base64').toString(),
      );
      webhookPort = await freePort();
      const probePort = await freePort();
      // Paths and addresses of a pod, remapped to this machine: the Karmada API server here calls the
      // webhook on loopback, not through the host cluster's Service.
      const remapped = args.map((arg) => {
        const [flag] = arg.split('=');
        if (flag === '--kubeconfig') return `--kubeconfig=${kubeconfigFile}`;
        if (flag === '--webhook-url') return `--webhook-url=https://127.0.0.1:${webhookPort}`;
        if (flag === '--webhook-bind') return `--webhook-bind=127.0.0.1:${webhookPort}`;
        if (flag === '--probe-bind') return `--probe-bind=127.0.0.1:${probePort}`;
        return arg;
      });
      expect(remapped.filter((a, i) => a !== args[i]).length).toBe(4);
      console.log(`operator arguments from the host cluster's Deployment:\n  ${args.join(' ')}`);
      const started = Date.now();
      const proc = new ManagedProcess(
        'operator',
        process.execPath,
        [join(ROOT, 'src/operator/main.ts'), ...remapped],
        join(dir, 'operator.log'),
        // The Deployment's fieldRef env, as the kubelet fills it in.
        { POD_NAMESPACE: NAMESPACE, POD_NAME: `${RELEASE}-5d8f7c9b4-x2k7q` },
      );
      operator = proc;
      await waitFor(
        'operator /readyz',
        async () => {
          if (!proc.running) throw new StopWaiting(`operator exited:\n${proc.tail(40)}`);
          return (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.ok === true;
        },
        { timeoutMs: 60_000 },
      );
      console.log(`operator ready ${Date.now() - started} ms after it was started`);

      const config = await kubeRequest<any>(kc, {
        path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sovereign-placement',
      });
      const expected = karmadaWebhookConfiguration('sovereign-placement', `https://127.0.0.1:${webhookPort}`);
      expect(config.metadata.labels).toMatchObject(expected.metadata.labels);
      const [entry] = config.webhooks;
      const { caBundle, ...clientConfig } = entry.clientConfig;
      expect({ ...entry, clientConfig }).toEqual(expect.objectContaining(expected.webhooks[0]));
      expect(clientConfig).toEqual({ url: `https://127.0.0.1:${webhookPort}/mutate-resourcebindings` });
      expect(config.metadata.managedFields.map((f: any) => f.manager)).toContain(FIELD_MANAGER);
      // Its caBundle trusts the CA of the certificate Secret the operator keeps in the Karmada API server.
      const tls = await kubeRequest<{ data: Record<string, string> }>(kc, {
        path: `/api/v1/namespaces/${NAMESPACE}/secrets/sovereign-placement-webhook-tls`,
      });
      const ca = splitPemBundle(Buffer.from(tls.data['ca.crt'] as string, 'base64').toString());
      expect(splitPemBundle(Buffer.from(caBundle, 'base64').toString())).toEqual(ca);
      console.log(
        `MutatingWebhookConfiguration sovereign-placement in the Karmada API server: ${entry.name} -> ${clientConfig.url}, caBundle of ${ca.length} CA, field manager ${FIELD_MANAGER}`,
      );
    }, 120_000);

    it('labels the Karmada Cluster and pins the ResourceBinding of a selected Deployment through its webhook', async () => {
      const labelled = Date.now();
      await waitFor(
        `verdict label on Cluster ${MEMBER}`,
        async () =>
          (
            await kubeRequest<{ metadata: { labels?: Record<string, string> } }>(kc, {
              path: `${CLUSTER_API}/${MEMBER}`,
            })
          ).metadata.labels?.[SOV_EU] === 'ThirdPartyCertified',
        { timeoutMs: 30_000 },
      );
      console.log(
        `Cluster ${MEMBER} labelled ${SOV_EU}=ThirdPartyCertified within ${Date.now() - labelled} ms`,
      );
      const created = Date.now();
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/apps/v1/namespaces/${APP_NAMESPACE}/deployments`,
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: {
            name: 'ledger',
            namespace: APP_NAMESPACE,
            labels: { app: 'ledger', tier: 'regulated' },
          },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'ledger' } },
            template: {
              metadata: { labels: { app: 'ledger' } },
              spec: { containers: [{ name: 'ledger', image: 'registry.example.eu/ledger:1.0' }] },
            },
          },
        },
      });
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/policy.karmada.io/v1alpha1/namespaces/${APP_NAMESPACE}/propagationpolicies`,
        body: {
          apiVersion: 'policy.karmada.io/v1alpha1',
          kind: 'PropagationPolicy',
          metadata: { name: 'ledger', namespace: APP_NAMESPACE },
          spec: {
            resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'ledger' }],
            placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } },
          },
        },
      });
      const onMember = async () =>
        kubeRequest<Deployment>(karmada.member(MEMBER).cluster.adminKubeConfig(), {
          path: `/apis/apps/v1/namespaces/${APP_NAMESPACE}/deployments/ledger`,
        }).catch((error) => {
          if (httpStatusOf(error) === 404) return undefined;
          throw error;
        });
      try {
        await waitFor(
          `ledger Available on ${MEMBER}`,
          async () =>
            (await onMember())?.status?.conditions?.some(
              (c) => c.type === 'Available' && c.status === 'True',
            ),
          { timeoutMs: 90_000, intervalMs: 250 },
        );
      } catch (error) {
        console.log(`${operator?.tail(30)}\n${karmada.logs('karmada-controller-manager', 30)}`);
        throw error;
      }
      // The binding exists, so the webhook the operator registered answered: with failurePolicy Fail an
      // unreachable or untrusted webhook refuses every binding of the enrolled namespace.
      const binding = await kubeRequest<any>(kc, {
        path: `/apis/work.karmada.io/v1alpha2/namespaces/${APP_NAMESPACE}/resourcebindings/ledger-deployment`,
      });
      const expressions = binding.spec.placement?.clusterAffinity?.labelSelector?.matchExpressions ?? [];
      expect(expressions).toContainEqual(expect.objectContaining({ key: SOV_EU, operator: 'In' }));
      expect(binding.spec.clusters.map((c: { name: string }) => c.name)).toEqual([MEMBER]);
      console.log(
        `ledger Available on ${MEMBER} ${Date.now() - created} ms after it was created; binding pinned to ${JSON.stringify(expressions)}`,
      );
    }, 150_000);

    it('puts its webhook configuration back when it is deleted from the Karmada API server', async () => {
      const path = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sovereign-placement';
      await kubeRequest(kc, { method: 'DELETE', path });
      const deleted = Date.now();
      // Every certificate check (once a minute) applies the configuration again.
      const back = await waitFor(
        'the webhook configuration back',
        async () =>
          kubeRequest<any>(kc, { path }).catch((error) => {
            if (httpStatusOf(error) === 404) return undefined;
            throw error;
          }),
        { timeoutMs: 75_000, intervalMs: 500 },
      );
      console.log(`webhook configuration deleted, back after ${Date.now() - deleted} ms`);
      expect(back.webhooks[0].clientConfig.url).toBe(
        `https://127.0.0.1:${webhookPort}/mutate-resourcebindings`,
      );
      expect(back.webhooks[0].clientConfig.caBundle).toBeTruthy();
    }, 90_000);

    describe('with the rights of deploy/karmada/rbac.yaml only, from the audit log', () => {
      const rbac = (): K8sObject[] =>
        parseYamlStream(readFileSync(join(ROOT, 'deploy/karmada/rbac.yaml'), 'utf8'));
      // The leader renews its Lease every --retry-period (2 s with the chart's values).
      beforeAll(async () => {
        await waitFor('a renewal of the Lease in the audit log', () =>
          seen().some((e) => e.verb === 'update' && e.objectRef?.resource === 'leases'),
        );
      }, 30_000);

      it('the operator was never refused, and made no request but resource requests', () => {
        const events = seen();
        expect(events.length).toBeGreaterThan(30);
        const forbidden = events.filter((e) => e.responseStatus?.code === 403);
        expect(forbidden.map((e) => `${pairOf(e)} ${e.requestURI}`)).toEqual([]);
        expect(events.filter((e) => !e.objectRef).map((e) => e.requestURI)).toEqual([]);
      });

      it('the ClusterRole and Role grant exactly the (verb, group, resource) pairs the operator used', () => {
        const rules = operatorRules(rbac(), RELEASE, NAMESPACE);
        expect(wildcards(rules)).toEqual([]);
        const granted = [...grantedPairs(rules)].sort();
        const used = [...new Set(seen().map(pairOf))].sort();
        console.log(`pairs the operator used in the Karmada API server:\n  ${used.join('\n  ')}`);
        expect(used.filter((p) => !granted.includes(p))).toEqual([]);
        expect(granted).toEqual([...new Set([...used, ...Object.keys(JUSTIFIED_UNUSED)])].sort());
      });

      it('rules restricted by name cover exactly the objects the operator touched', () => {
        const rules = operatorRules(rbac(), RELEASE, NAMESPACE);
        for (const rule of rules.filter((r) => r.resourceNames)) {
          const touched = new Set(
            seen()
              .filter(
                (e) =>
                  rule.resources?.includes(e.objectRef?.resource ?? '') &&
                  rule.apiGroups?.includes(e.objectRef?.apiGroup ?? '') &&
                  rule.verbs.includes(e.verb),
              )
              .map((e) => e.objectRef?.name),
          );
          expect([...touched], JSON.stringify(rule)).toEqual(rule.resourceNames);
        }
        const namespaced = seen().filter((e) => ['secrets', 'leases'].includes(e.objectRef?.resource ?? ''));
        expect(new Set(namespaced.map((e) => e.objectRef?.namespace))).toEqual(new Set([NAMESPACE]));
      });
    });
  },
);
