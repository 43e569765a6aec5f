// The chart beside Karmada (karmada.enabled), without a cluster: what it renders in the host cluster,
// the flags and the mounted kubeconfig Secret, and the values it refuses. The install itself, on a real
// Karmada control plane, is test/integration/karmada/install.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmTemplate, parseRendered, renderChart } from '../../../scripts/render-deploy.ts';
import {
  CHART_DIR,
  find,
  helm,
  type K8sObject,
  NAMESPACE,
  objects,
  operatorRules,
  parseYamlStream,
  RELEASE,
  ROOT,
  run,
  wildcards,
} from './support.ts';

const KARMADA = { karmada: { enabled: true, kubeconfigSecret: { name: 'karmada-kubeconfig' } } };
const render = (set: Record<string, unknown> = {}, release = RELEASE, namespace = NAMESPACE) =>
  objects(renderChart({ set, release, namespace }));
const kinds = (list: K8sObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const containerOf = (list: K8sObject[]) => find(list, 'Deployment').spec.template.spec.containers[0];

describe('the chart beside Karmada', () => {
  it('lints strictly with the karmada values', async () => {
    const result = await helm([
      'lint',
      '--strict',
      CHART_DIR,
      '--set',
      'karmada.enabled=true,karmada.kubeconfigSecret.name=karmada-kubeconfig',
    ]);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('renders no webhook configuration, RBAC, admission policy or areas in the host cluster', () => {
    expect(kinds(render(KARMADA))).toEqual(
      [
        'Deployment/sovereign-placement',
        'NetworkPolicy/sovereign-placement',
        'PodDisruptionBudget/sovereign-placement',
        'Service/sovereign-placement-metrics',
        'Service/sovereign-placement-webhook',
        'ServiceAccount/sovereign-placement',
      ].sort(),
    );
  });

  it('runs the operator with --karmada, the mounted kubeconfig and the webhook Service as URL', () => {
    for (const [release, namespace, fullname] of [
      [RELEASE, NAMESPACE, 'sovereign-placement'],
      ['prod', 'platform', 'prod-sovereign-placement'],
    ] as const) {
      const list = render(
        {
          ...KARMADA,
          karmada: { enabled: true, kubeconfigSecret: { name: 'kc', key: 'karmada.config' } },
          webhook: { timeoutSeconds: 8 },
        },
        release,
        namespace,
      );
      const deployment = find(list, 'Deployment');
      const pod = deployment.spec.template.spec;
      const container = containerOf(list);
      const args = container.args as string[];
      const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
      expect(args).toContain('--karmada');
      expect(flag('webhook-url')).toBe(`https://${fullname}-webhook.${namespace}.svc:443`);
      expect(find(list, 'Service', `${fullname}-webhook`).spec.ports[0].port).toBe(443);
      expect(flag('webhook-timeout')).toBe('8');
      expect(flag('webhook-configuration')).toBe(fullname);
      expect(args.some((a) => a.startsWith('--webhook-cert-dir'))).toBe(false);
      // The Secret, mounted read-only, its key at the path --kubeconfig names.
      const volume = pod.volumes.find((v: any) => v.secret?.secretName === 'kc');
      expect(volume.secret.items).toEqual([{ key: 'karmada.config', path: 'kubeconfig' }]);
      const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
      expect(mount.readOnly).toBe(true);
      expect(flag('kubeconfig')).toBe(join(mount.mountPath, 'kubeconfig'));
      // It makes no request to the host cluster: no token mounted, no RBAC.
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(list.filter((o) => /Role/.test(o.kind))).toEqual([]);
    }
    // Off by default, and nothing of it then.
    const off = containerOf(render());
    expect(off.args.filter((a: string) => /karmada|webhook-url|kubeconfig|webhook-timeout/.test(a))).toEqual(
      [],
    );
    expect(find(render(), 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  it('lets the operator reach the Karmada API server through the NetworkPolicy', () => {
    const egressPorts = (set: Record<string, unknown>) =>
      (find(render(set), 'NetworkPolicy').spec.egress[0].ports as { port: number }[]).map((p) => p.port);
    expect(egressPorts({})).toEqual([443, 6443]);
    expect(egressPorts(KARMADA)).toEqual([443, 6443, 5443]);
    expect(egressPorts({ karmada: { ...KARMADA.karmada, apiServerPort: 6443 } })).toEqual([443, 6443]);
  });

  it("has no helm test Pod: the webhook's certificate Secret is in the Karmada API server", () => {
    const hooks = (set: Record<string, unknown>) =>
      objects(parseRendered(helmTemplate({ set, includeTests: true })))
        .filter((o) => o.metadata.annotations)
        .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(hooks({})).toContain('Pod/sovereign-placement-test-webhook');
    expect(hooks(KARMADA)).toEqual([]);
  });

  it('main.ts accepts every flag the chart passes', async () => {
    const args = containerOf(render(KARMADA)).args as string[];
    const result = await run(process.execPath, [
      join(ROOT, 'src/operator/main.ts'),
      ...args,
      '--kubeconfig=/nonexistent/kubeconfig',
    ]);
    expect(result.stderr).not.toMatch(/unknown option|error: option/);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/nonexistent/kubeconfig');
  });

  it('refuses karmada.enabled without the Secret, and with cert-manager, saying which value', async () => {
    const refused = async (args: string[]) => {
      const result = await helm(['template', RELEASE, CHART_DIR, ...args]);
      expect(result.code, `helm template ${args.join(' ')} should fail`).not.toBe(0);
      return result.stderr;
    };
    expect(await refused(['--set', 'karmada.enabled=true'])).toContain(
      "at '/karmada/kubeconfigSecret/name': minLength: got 0, want 1",
    );
    expect(
      await refused(['--set', 'karmada.enabled=true', '--set', 'karmada.kubeconfigSecret=null']),
    ).toContain("at '/karmada': missing property 'kubeconfigSecret'");
    expect(
      await refused([
        '--set',
        'karmada.enabled=true,karmada.kubeconfigSecret.name=kc,certManager.enabled=true',
      ]),
    ).toContain('karmada.enabled=true cannot be used with certManager.enabled=true');
    for (const other of ['hub', 'policyReports'])
      expect(
        await refused([
          '--set',
          `karmada.enabled=true,karmada.kubeconfigSecret.name=kc,${other}.enabled=true`,
        ]),
      ).toContain(`karmada.enabled=true cannot be used with ${other}.enabled=true`);
    expect(await refused(['--set', 'karmada.kubeconfigSecret.nam=kc'])).toContain(
      "additional properties 'nam' not allowed",
    );
    // A name without karmada.enabled is accepted (and unused).
    expect(() => helmTemplate({ set: { 'karmada.kubeconfigSecret.name': 'kc' } })).not.toThrow();
  });
});

describe('deploy/karmada, what goes into the Karmada API server', () => {
  const manifest = (file: string) =>
    parseYamlStream(readFileSync(join(ROOT, 'deploy/karmada', file), 'utf8'));

  it("names the objects the chart's documented release makes the operator use", () => {
    const args = containerOf(render(KARMADA)).args as string[];
    const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
    const rbac = manifest('rbac.yaml');
    const rules = operatorRules(rbac, RELEASE, NAMESPACE);
    expect(wildcards(rules)).toEqual([]);
    const namesFor = (resource: string) =>
      rules.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.resourceNames ?? []);
    expect(namesFor('leases')).toEqual([flag('lease-name')]);
    expect(namesFor('secrets')).toEqual([flag('webhook-secret')]);
    expect(namesFor('mutatingwebhookconfigurations')).toEqual([flag('webhook-configuration')]);
    // The chart's POD_NAMESPACE (the release namespace) is where the operator looks for them.
    expect(find(rbac, 'Namespace').metadata.name).toBe(NAMESPACE);
    expect(find(rbac, 'Role').metadata.namespace).toBe(NAMESPACE);
    expect(find(rbac, 'Secret').metadata.annotations['kubernetes.io/service-account.name']).toBe(RELEASE);
  });

  it("its ValidatingAdmissionPolicy is the chart's, for the ServiceAccount of rbac.yaml", () => {
    const strip = (o: K8sObject) => ({ kind: o.kind, name: o.metadata.name, spec: o.spec });
    const chart = render().filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'));
    expect(chart).toHaveLength(2);
    expect(manifest('validatingadmissionpolicy.yaml').map(strip)).toEqual(chart.map(strip));
  });
});
