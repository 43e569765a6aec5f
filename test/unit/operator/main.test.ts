// The operator's command line as a real process: --version, --help, usage errors, and what it does
// when it has no cluster to talk to.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeConfigError, loadKubeConfig, SERVICE_ACCOUNT_TOKEN } from '../../../src/operator/kubeconfig.ts';

const ROOT = join(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'src/operator/main.ts');

function operator(args: string[], env: Record<string, string | undefined> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'operator-home-'));
  const started = Date.now();
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    // No kubeconfig anywhere and not in a pod, unless a test says otherwise.
    env: {
      PATH: process.env.PATH,
      HOME: home,
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
      POD_NAME: '',
      ...env,
    },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

function kubeconfigFile(dir: string, name: string, server: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: ${name}, cluster: {server: "${server}"}}]`,
      `users: [{name: ${name}, user: {token: t}}]`,
      `contexts: [{name: ${name}, context: {cluster: ${name}, user: ${name}}}]`,
      `current-context: ${name}`,
    ].join('\n'),
  );
  return file;
}

describe('the operator command line', { timeout: 60_000 }, () => {
  it('--version prints the package version', () => {
    const r = operator(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('--help shows defaults in the units it accepts, not internal values', () => {
    const r = operator(['--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--lease-duration <duration>');
    expect(help).toContain('(default: 15s)');
    expect(help).toContain('(default: 10s)');
    expect(help).toContain('(default: 2s)');
    expect(help).toContain('(default: 0.0.0.0:8080)');
    expect(help).toContain('(default: 0.0.0.0:9443)');
    expect(help).toContain('$POD_NAME, else the host name');
    expect(help).not.toMatch(/15000|\{"host"|\[\]/);
    // The machine's own name is a run-time value, not a default to document.
    expect(help).not.toContain(`"${hostname()}"`);
  });

  it('exits 1 at once, saying what is missing, when no cluster is configured', () => {
    const r = operator([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: no Kubernetes API server configured: pass --kubeconfig PATH, set \$KUBECONFIG/,
    );
    expect(r.stderr).not.toContain('skipTLSVerify');
    expect(r.ms).toBeLessThan(15_000);
  });

  it('exits 1 naming a --kubeconfig that does not exist', () => {
    const r = operator(['--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --kubeconfig: no such file: /nonexistent/kubeconfig\n');
  });

  it.each([
    [
      ['--lease-duration', '15 seconds'],
      /option '--lease-duration <duration>' argument '15 seconds' is invalid. expected seconds \(15\) or a duration/,
    ],
    [
      ['--probe-bind', '8080'],
      /option '--probe-bind <host:port>' argument '8080' is invalid. expected HOST:PORT/,
    ],
    [
      ['--log-level', 'verbose'],
      /option '--log-level <level>' argument 'verbose' is invalid. Allowed choices are fatal, error/,
    ],
    [
      ['--retry-period', '20s'],
      /--retry-period \(20s\) < --renew-deadline \(10s\) < --lease-duration \(15s\) must hold/,
    ],
    [
      ['--karmada', '--webhook-url', 'http://webhook.ns.svc:443'],
      /option '--webhook-url <url>' argument 'http:\/\/webhook.ns.svc:443' is invalid. must be https/,
    ],
    [
      ['--karmada', '--webhook-url', 'https://webhook.ns.svc/?a=b'],
      /option '--webhook-url <url>' argument .* is invalid. must not have a query or fragment/,
    ],
    [['--webhook-url', 'https://webhook.ns.svc'], /^error: --webhook-url needs --karmada\n$/],
    [
      ['--karmada', '--webhook-url', 'https://webhook.ns.svc', '--no-webhook'],
      /cannot be used with --no-webhook/,
    ],
    [
      ['--karmada', '--webhook-url', 'https://webhook.ns.svc', '--webhook-cert-dir', '/tls'],
      /cannot be used with --webhook-cert-dir/,
    ],
    [
      ['--webhook-timeout', '60'],
      /option '--webhook-timeout <seconds>' argument '60' is invalid. expected whole seconds from 1 to 30/,
    ],
  ])('exits 2 on a bad value, naming the flag: %s', (args, message) => {
    const r = operator(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('loadKubeConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  const a = kubeconfigFile(dir, 'a', 'https://a.example:6443');
  const b = kubeconfigFile(dir, 'b', 'https://b.example:6443');

  it('--kubeconfig wins over $KUBECONFIG', () => {
    const { kubeConfig } = loadKubeConfig({ flag: b, env: { KUBECONFIG: a }, home: dir });
    expect(kubeConfig.getCurrentCluster()?.server).toBe('https://b.example:6443');
  });

  it('$KUBECONFIG merges its files in order, skipping missing ones, like kubectl', () => {
    const { kubeConfig } = loadKubeConfig({ env: { KUBECONFIG: `/missing:${a}:${b}` }, home: dir });
    expect(kubeConfig.getCurrentCluster()?.server).toBe('https://a.example:6443');
    expect(kubeConfig.getClusters().map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('then ~/.kube/config, then the in-cluster ServiceAccount', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), readFileSync(b));
    expect(loadKubeConfig({ env: {}, home }).kubeConfig.getCurrentCluster()?.server).toBe(
      'https://b.example:6443',
    );
    const pod = mkdtempSync(join(tmpdir(), 'pod-'));
    mkdirSync(join(pod, SERVICE_ACCOUNT_TOKEN, '..'), { recursive: true });
    writeFileSync(join(pod, SERVICE_ACCOUNT_TOKEN), 'token');
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(loadKubeConfig({ env, home: dir, root: pod }).source).toBe('in-cluster ServiceAccount');
    // Not in a pod without the token, whatever the environment says.
    expect(() => loadKubeConfig({ env, home: dir, root: dir })).toThrow(KubeConfigError);
  });

  it('refuses a file without a current cluster', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\n');
    expect(() => loadKubeConfig({ flag: empty, env: {} })).toThrow(
      `--kubeconfig: ${empty} has no current context with a cluster`,
    );
  });
});
