// Shared by the install tests: running helm and kubectl (the harness's binaries), rendering the chart
// and the kustomizations, third-party CRDs for the optional features, and RBAC rule arithmetic.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  forKustomize,
  type K8sObject,
  NAMESPACE,
  namespaceObject,
  type RenderedObject,
  ROOT,
  renderChart,
} from '../../../scripts/render-deploy.ts';
import { binary } from '../../harness/binaries.ts';
import type { TestCluster } from '../../harness/cluster.ts';

export { CHART_DIR, NAMESPACE, RELEASE, ROOT } from '../../../scripts/render-deploy.ts';
export type { K8sObject, RenderedObject };

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never throws on a non-zero exit: the caller asserts on `code`). */
export function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** helm, against `cluster` when given (its own HOME-independent cache and config dirs). */
export function helm(args: string[], cluster?: TestCluster, input?: string): Promise<RunResult> {
  const env = cluster
    ? {
        HELM_CACHE_HOME: join(cluster.dir, 'helm/cache'),
        HELM_CONFIG_HOME: join(cluster.dir, 'helm/config'),
        HELM_DATA_HOME: join(cluster.dir, 'helm/data'),
      }
    : {};
  return run(binary('helm'), [...args, ...(cluster ? ['--kubeconfig', cluster.kubeconfigPath] : [])], {
    env,
    input,
  });
}

export function kubectl(args: string[], cluster?: TestCluster, input?: string): Promise<RunResult> {
  return run(binary('kubectl'), [...args, ...(cluster ? ['--kubeconfig', cluster.kubeconfigPath] : [])], {
    input,
  });
}

export function parseYamlStream(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** `kubectl kustomize <dir>`, parsed. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const result = await kubectl(['kustomize', join(ROOT, dir)]);
  if (result.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  return parseYamlStream(result.stdout);
}

export const objects = (rendered: RenderedObject[]) => rendered.map((r) => r.object);

/** What `kubectl apply -k` of a kustomization equivalent to these chart values must create. */
export function kustomizeEquivalent(set: Record<string, unknown> = {}): K8sObject[] {
  return [namespaceObject(), ...objects(renderChart({ set, includeCrds: true })).map(forKustomize)];
}

export const keyOf = (o: K8sObject) =>
  `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : 'core'}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export const byKey = (list: K8sObject[]) => new Map(list.map((o) => [keyOf(o), o]));

export const find = (list: K8sObject[], kind: string, name?: string) => {
  const found = list.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${list.map(keyOf).join(', ')}`);
  return found as any;
};

/** YAML stream of objects, for `kubectl apply -f -`. */
export const toYamlStream = (list: K8sObject[]) => list.map((o) => JSON.stringify(o)).join('\n---\n');

/**
 * Minimal CRDs for the third-party kinds the chart can render (Prometheus Operator's ServiceMonitor and
 * PrometheusRule, cert-manager's Issuer and Certificate): the schema accepts anything, so a dry-run or
 * an install checks the objects' envelope (kind, version, scope, names), not their fields.
 */
export function thirdPartyCrds(): K8sObject[] {
  const crd = (group: string, kind: string, plural: string): K8sObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      ],
    },
  });
  return [
    crd('monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors'),
    crd('monitoring.coreos.com', 'PrometheusRule', 'prometheusrules'),
    crd('cert-manager.io', 'Issuer', 'issuers'),
    crd('cert-manager.io', 'Certificate', 'certificates'),
  ];
}

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Every (verb, group, resource[/subresource]) a set of rules grants, as `verb group/resource` strings. */
export function grantedPairs(rules: Rule[]): Set<string> {
  const pairs = new Set<string>();
  for (const rule of rules)
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? [])
        for (const verb of rule.verbs) pairs.add(`${verb} ${group}/${resource}`);
  return pairs;
}

/** Wildcards anywhere in the rules (`*` verbs, groups, resources), or non-resource URLs. */
export function wildcards(rules: Rule[]): string[] {
  return rules.flatMap((rule, i) =>
    [
      ...(rule.apiGroups ?? []).filter((g) => g.includes('*')).map((g) => `rules[${i}].apiGroups: ${g}`),
      ...(rule.resources ?? []).filter((r) => r.includes('*')).map((r) => `rules[${i}].resources: ${r}`),
      ...rule.verbs.filter((v) => v.includes('*')).map((v) => `rules[${i}].verbs: ${v}`),
      ...(rule.nonResourceURLs ?? []).map((u) => `rules[${i}].nonResourceURLs: ${u}`),
    ].filter(Boolean),
  );
}

/** The rules bound to the operator's ServiceAccount among rendered objects (its ClusterRole and Role). */
export function operatorRules(list: K8sObject[], serviceAccount: string, namespace = NAMESPACE): Rule[] {
  const boundRoles = list
    .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
    .filter((b: any) =>
      (b.subjects ?? []).some(
        (s: any) => s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === namespace,
      ),
    )
    .map((b: any) => `${b.roleRef.kind}/${b.roleRef.name}`);
  return list
    .filter(
      (o) =>
        (o.kind === 'ClusterRole' || o.kind === 'Role') &&
        boundRoles.includes(`${o.kind}/${o.metadata.name}`),
    )
    .flatMap((o: any) => o.rules as Rule[]);
}
