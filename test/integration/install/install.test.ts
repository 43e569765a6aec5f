// The chart and the kustomizations against a real kube-apiserver: every object is accepted by a
// server-side dry-run, `helm install` creates them all, `helm upgrade` changes them, `helm uninstall`
// removes them (CRDs kept), and bad values are refused before anything is created. KWOK and the
// controllers are not needed: nothing here has to run, only to be admitted and stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceObject, renderChart } from '../../../scripts/render-deploy.ts';
import { mutatingWebhookConfiguration } from '../../../src/operator/webhook/configuration.ts';
import { TestCluster } from '../../harness/cluster.ts';
import {
  CHART_DIR,
  find,
  helm,
  type K8sObject,
  kubectl,
  kustomize,
  NAMESPACE,
  objects,
  parseYamlStream,
  RELEASE,
  thirdPartyCrds,
  toYamlStream,
} from './support.ts';

let cluster: TestCluster;
/** helm install over a webhook configuration that another install created. */
let overForeignWebhook: { code: number | null; stderr: string } = { code: null, stderr: '' };
/** helm install with each optional feature, before the cluster serves its API. */
const withoutThirdPartyApis: { code: number | null; stderr: string }[] = [];

const ALL_ON = ['--set', 'serviceMonitor.enabled=true,prometheusRule.enabled=true'];

/** Every API object the release's label selects, cluster-wide, as kubectl names them (`kind.group/name`). */
async function releaseObjects(): Promise<string[]> {
  const kinds = [
    'deployments.apps',
    'services',
    'serviceaccounts',
    'roles.rbac.authorization.k8s.io',
    'rolebindings.rbac.authorization.k8s.io',
    'clusterroles.rbac.authorization.k8s.io',
    'clusterrolebindings.rbac.authorization.k8s.io',
    'mutatingwebhookconfigurations.admissionregistration.k8s.io',
    'validatingadmissionpolicies.admissionregistration.k8s.io',
    'validatingadmissionpolicybindings.admissionregistration.k8s.io',
    'networkpolicies.networking.k8s.io',
    'poddisruptionbudgets.policy',
    'sovereigntyareas.sovereign-placement.io',
    'servicemonitors.monitoring.coreos.com',
    'prometheusrules.monitoring.coreos.com',
    'issuers.cert-manager.io',
    'certificates.cert-manager.io',
    'secrets',
    'configmaps',
  ];
  const result = await kubectl(
    ['get', kinds.join(','), '-A', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name'],
    cluster,
  );
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean).sort();
}

const expectedNames = (list: K8sObject[]) =>
  list
    .map((o) => {
      const plural: Record<string, string> = {
        Deployment: 'deployment.apps',
        Service: 'service',
        ServiceAccount: 'serviceaccount',
        Role: 'role.rbac.authorization.k8s.io',
        RoleBinding: 'rolebinding.rbac.authorization.k8s.io',
        ClusterRole: 'clusterrole.rbac.authorization.k8s.io',
        ClusterRoleBinding: 'clusterrolebinding.rbac.authorization.k8s.io',
        MutatingWebhookConfiguration: 'mutatingwebhookconfiguration.admissionregistration.k8s.io',
        ValidatingAdmissionPolicy: 'validatingadmissionpolicy.admissionregistration.k8s.io',
        ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybinding.admissionregistration.k8s.io',
        NetworkPolicy: 'networkpolicy.networking.k8s.io',
        PodDisruptionBudget: 'poddisruptionbudget.policy',
        SovereigntyArea: 'sovereigntyarea.sovereign-placement.io',
        ServiceMonitor: 'servicemonitor.monitoring.coreos.com',
        PrometheusRule: 'prometheusrule.monitoring.coreos.com',
        Issuer: 'issuer.cert-manager.io',
        Certificate: 'certificate.cert-manager.io',
      };
      return `${plural[o.kind] ?? o.kind}/${o.metadata.name}`;
    })
    .sort();

async function getJson(args: string[]): Promise<any> {
  const result = await kubectl(['get', ...args, '-o', 'json'], cluster);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'install', controllers: false, kwok: false });
  // The release namespace as deploy/base ships it: Pod Security `restricted` enforced.
  const ns = await kubectl(['apply', '--server-side', '-f', '-'], cluster, toYamlStream([namespaceObject()]));
  expect(ns.code, ns.stderr).toBe(0);
  // Before their APIs exist, the optional features are refused by the chart (asserted below).
  for (const set of [
    'certManager.enabled=true',
    'serviceMonitor.enabled=true',
    'prometheusRule.enabled=true',
  ]) {
    withoutThirdPartyApis.push(
      await helm(
        ['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--skip-crds', '--set', set],
        cluster,
      ),
    );
  }
  // A webhook configuration of the same name left by another install (here: the demo's, by URL).
  const foreign = mutatingWebhookConfiguration('sovereign-placement', { url: 'https://127.0.0.1:9443' });
  const created = await kubectl(['create', '-f', '-'], cluster, JSON.stringify(foreign));
  expect(created.code, created.stderr).toBe(0);
  overForeignWebhook = await helm(
    ['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--skip-crds'],
    cluster,
  );
  const removed = await kubectl(['delete', 'mutatingwebhookconfiguration', 'sovereign-placement'], cluster);
  expect(removed.code, removed.stderr).toBe(0);
  // The optional features' kinds (Prometheus Operator, cert-manager), schemaless.
  const crds = await kubectl(['apply', '--server-side', '-f', '-'], cluster, toYamlStream(thirdPartyCrds()));
  expect(crds.code, crds.stderr).toBe(0);
  const established = await kubectl(
    [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...thirdPartyCrds().map((c) => `crd/${c.metadata.name}`),
    ],
    cluster,
  );
  expect(established.code, established.stderr).toBe(0);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('helm install, upgrade, uninstall', () => {
  it('install creates the CRDs and every object of the chart', async () => {
    const result = await helm(
      [
        'install',
        RELEASE,
        CHART_DIR,
        '--namespace',
        NAMESPACE,
        ...ALL_ON,
        '--wait=false',
        '--timeout',
        '60s',
      ],
      cluster,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('STATUS: deployed');
    // NOTES.txt rendered.
    expect(result.stdout).toContain(
      'kubectl label namespace <namespace> sovereign-placement.io/enforcement=enabled',
    );

    const crdNames = (await getJson(['crd'])).items
      .map((c: any) => c.metadata.name)
      .filter((n: string) => n.endsWith('.sovereign-placement.io'));
    expect(crdNames.sort()).toEqual(
      [
        'cloudservices.sovereign-placement.io',
        'clustersovereigntypolicies.sovereign-placement.io',
        'fulcrumfederations.sovereign-placement.io',
        'memberclusters.sovereign-placement.io',
        'sovereignworkloads.sovereign-placement.io',
        'sovereigntyareas.sovereign-placement.io',
        'sovereigntypolicies.sovereign-placement.io',
      ].sort(),
    );
    const established = await kubectl(
      ['wait', '--for=condition=Established', '--timeout=60s', ...crdNames.map((n: string) => `crd/${n}`)],
      cluster,
    );
    expect(established.code, established.stderr).toBe(0);

    const manifest = await helm(['get', 'manifest', RELEASE, '--namespace', NAMESPACE], cluster);
    const installed = parseYamlStream(manifest.stdout);
    expect(installed.length).toBe(18);
    expect(await releaseObjects()).toEqual(expectedNames(installed));
    // Stored as rendered: spot checks on what the API server defaulted or could have refused.
    const mwc = await getJson(['mutatingwebhookconfiguration', 'sovereign-placement']);
    expect(mwc.webhooks[0].failurePolicy).toBe('Fail');
    expect(mwc.webhooks[0].clientConfig.service).toEqual({
      name: 'sovereign-placement-webhook',
      namespace: NAMESPACE,
      port: 443,
      path: '/mutate-pods',
    });
    const areas = await getJson(['sovereigntyareas']);
    expect(areas.items.map((a: any) => a.metadata.name).sort()).toEqual(['eea', 'eu']);
  });

  it('upgrade with changed values changes the objects and keeps the caBundle the operator wrote', async () => {
    // What the operator does at start-up (injectCaBundle): a JSON patch adding the caBundle.
    const caBundle = Buffer.from(
      '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n',
    ).toString('base64');
    const patched = await kubectl(
      [
        'patch',
        'mutatingwebhookconfiguration',
        'sovereign-placement',
        '--type=json',
        `-p=${JSON.stringify([{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: caBundle }])}`,
      ],
      cluster,
    );
    expect(patched.code, patched.stderr).toBe(0);

    const result = await helm(
      [
        'upgrade',
        RELEASE,
        CHART_DIR,
        '--namespace',
        NAMESPACE,
        ...ALL_ON,
        '--set',
        'replicas=3,logLevel=debug,webhook.timeoutSeconds=10,prometheusRule.badgeExpiryWarningDays=14,certManager.enabled=true',
        '--wait=false',
      ],
      cluster,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('REVISION: 2');

    const deployment = await getJson(['deployment', RELEASE, '-n', NAMESPACE]);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].args).toContain('--log-level=debug');
    const mwc = await getJson(['mutatingwebhookconfiguration', 'sovereign-placement']);
    expect(mwc.webhooks[0].timeoutSeconds).toBe(10);
    expect(mwc.webhooks[0].clientConfig.caBundle).toBe(caBundle);
    expect(mwc.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(
      `${NAMESPACE}/sovereign-placement-webhook`,
    );
    const rule = await getJson(['prometheusrule', RELEASE, '-n', NAMESPACE]);
    expect(JSON.stringify(rule.spec)).toContain('< 14 * 86400');
    // cert-manager mode: its objects appear, and the operator loses every right on the Secret (mounted).
    const certificates = await getJson(['certificates', '-n', NAMESPACE]);
    expect(certificates.items.map((c: any) => c.metadata.name).sort()).toEqual([
      'sovereign-placement-ca',
      'sovereign-placement-webhook',
    ]);
    const role = await getJson(['role', RELEASE, '-n', NAMESPACE]);
    const secretVerbs = role.rules
      .filter((r: any) => r.resources.includes('secrets'))
      .flatMap((r: any) => r.verbs);
    expect(secretVerbs).toEqual([]);
  });

  it('uninstall removes every object of the release and keeps the CRDs', async () => {
    const result = await helm(
      ['uninstall', RELEASE, '--namespace', NAMESPACE, '--wait', '--timeout', '60s'],
      cluster,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await releaseObjects()).toEqual([]);
    // Nothing of the release by name either (for objects whose labels could have been edited).
    const leftovers = await kubectl(
      [
        'get',
        'clusterroles,clusterrolebindings,mutatingwebhookconfigurations,sovereigntyareas',
        '-o',
        'name',
      ],
      cluster,
    );
    expect(leftovers.stdout.split('\n').filter((l) => /sovereign-placement|\/eu$|\/eea$/.test(l))).toEqual(
      [],
    );
    const inNamespace = await kubectl(
      [
        'get',
        'all,roles,rolebindings,serviceaccounts,networkpolicies,poddisruptionbudgets',
        '-n',
        NAMESPACE,
        '-o',
        'name',
      ],
      cluster,
    );
    // At most the namespace's own default ServiceAccount (made by a controller, not by the chart) is left.
    expect(inNamespace.stdout.split('\n').filter((l) => l && l !== 'serviceaccount/default')).toEqual([]);
    const crds = (await getJson(['crd'])).items.filter((c: any) =>
      c.metadata.name.endsWith('.sovereign-placement.io'),
    );
    expect(crds).toHaveLength(7);
    const history = await helm(['list', '--all-namespaces', '--all', '-q'], cluster);
    expect(history.stdout.trim()).toBe('');
  });

  it('install refuses bad values before creating anything', async () => {
    const cases: [string, string][] = [
      ['replicas=0', "at '/replicas': minimum: got 0, want 1"],
      ['replicas=2,leaderElection.enabled=false', 'replicas=2 needs leaderElection.enabled=true'],
    ];
    for (const [set, message] of cases) {
      const result = await helm(
        ['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--set', set],
        cluster,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(message);
      expect(await releaseObjects()).toEqual([]);
    }
  });

  it('install over a webhook configuration of another install is refused, saying whose it may be', () => {
    expect(overForeignWebhook.code).toBe(1);
    expect(overForeignWebhook.stderr).toContain(
      'MutatingWebhookConfiguration sovereign-placement already exists and is not part of release sovereign-placement: another install of the operator owns it',
    );
  });

  it('install refuses cert-manager and Prometheus Operator features on a cluster without their APIs, saying what to install', () => {
    expect(withoutThirdPartyApis.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(withoutThirdPartyApis[0]?.stderr).toContain(
      'certManager.enabled=true needs cert-manager, but this cluster does not serve cert-manager.io/v1/Certificate: install cert-manager first, or set certManager.enabled=false; the operator then manages the webhook certificate itself',
    );
    expect(withoutThirdPartyApis[1]?.stderr).toContain(
      "serviceMonitor.enabled=true needs the Prometheus Operator's CRDs, but this cluster does not serve monitoring.coreos.com/v1/ServiceMonitor",
    );
    expect(withoutThirdPartyApis[2]?.stderr).toContain(
      "prometheusRule.enabled=true needs the Prometheus Operator's CRDs, but this cluster does not serve monitoring.coreos.com/v1/PrometheusRule",
    );
  });
});

describe('server-side dry-run of everything rendered (CRDs installed)', () => {
  const dryRun = async (list: K8sObject[]) => {
    const result = await kubectl(
      [
        'apply',
        '--server-side',
        '--dry-run=server',
        '--force-conflicts',
        '--field-manager=install-test',
        '-o',
        'name',
        '-f',
        '-',
      ],
      cluster,
      toYamlStream(list),
    );
    expect(result.code, result.stderr).toBe(0);
    // No warning either: in particular none from Pod Security admission ("would violate PodSecurity").
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean);
  };

  it.each([
    ['default values', {}],
    ['PolicyReports with their CRD', { policyReports: { enabled: true, installCrd: true } }],
    [
      'cert-manager, ServiceMonitor and PrometheusRule',
      {
        certManager: { enabled: true },
        serviceMonitor: { enabled: true },
        prometheusRule: { enabled: true },
      },
    ],
    [
      'one replica, no leader election, nothing optional',
      {
        replicas: 1,
        leaderElection: { enabled: false },
        areas: { install: false },
        networkPolicy: { enabled: false },
        podDisruptionBudget: { enabled: false },
        rbac: { aggregateToViewRole: false },
      },
    ],
    ['fullnameOverride', { fullnameOverride: 'sovplace' }],
  ])('helm template (%s) with its CRDs', async (_name, set) => {
    const list = objects(renderChart({ set, includeCrds: true }));
    expect(await dryRun(list)).toHaveLength(list.length);
  });

  it.each(['deploy/base', 'deploy/overlays/cert-manager', 'deploy/overlays/single-replica'])(
    'kubectl kustomize %s',
    async (dir) => {
      const list = await kustomize(dir);
      expect(list.some((o) => o.kind === 'Deployment')).toBe(true);
      expect(await dryRun(list)).toHaveLength(list.length);
    },
  );

  it("the operator's pod is admitted under the restricted Pod Security Standard", async () => {
    const rendered = objects(renderChart());
    const deployment = find(rendered, 'Deployment');
    // The pod's ServiceAccount must exist for it to be admitted at all.
    const sa = await kubectl(
      ['apply', '--server-side', '-f', '-'],
      cluster,
      toYamlStream([find(rendered, 'ServiceAccount')]),
    );
    expect(sa.code, sa.stderr).toBe(0);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'operator-pod-security-check',
        namespace: NAMESPACE,
        labels: deployment.spec.template.metadata.labels,
      },
      spec: deployment.spec.template.spec,
    };
    const namespace = await getJson(['namespace', NAMESPACE]);
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const res = await cluster.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods?dryRun=All`, pod);
    expect(res.status, res.body).toBe(201);
    // The check bites: a privileged variant is refused.
    const bad = structuredClone(pod);
    bad.spec.containers[0].securityContext = {
      ...bad.spec.containers[0].securityContext,
      allowPrivilegeEscalation: true,
    };
    const refused = await cluster.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods?dryRun=All`, bad);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).message).toContain(
      'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
    );
    await kubectl(['delete', 'serviceaccount', RELEASE, '-n', NAMESPACE], cluster);
  });
});
