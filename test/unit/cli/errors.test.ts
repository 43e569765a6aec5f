import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AT, CHECK, cli, INVENTORY } from './helpers.ts';

/** Exit code 2, and every stderr line a one-line "sovctl: ..." message, never a stack trace. */
function expectUsageError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  for (const line of lines) {
    expect(line).toMatch(/^sovctl: \S/);
    expect(line).not.toMatch(/^\s+at |\.ts:\d+:\d+\)?$/);
  }
  expect(r.stderr).toMatch(pattern);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sovctl-errors-'));

describe('bad input: one clear line on stderr, exit code 2', () => {
  it.each([
    [
      ['explain', 'cronjob/web'],
      /^sovctl: unknown resource type "cronjob": expected one of node \(no\), pod \(po\), policy \(spol\), clusterpolicy \(cspol\), cluster \(mcl\), workload \(swl\), pvc, pv, fulcrum-agent \(fagent; by id or name\), and in a Karmada API server deployment \(deploy\), statefulset \(sts\), daemonset \(ds\), job\n$/,
    ],
    [
      ['explain', 'deployment/web'],
      /^sovctl: Deployment default\/web not found in .*test\/fixtures\/inventory \(and it holds no Karmada Cluster: give the kubeconfig of the Karmada API server\)\n$/,
    ],
    [
      ['explain', 'fr-par-1'],
      /^sovctl: expected <kind>\/<name>, for example node\/fr-par-1 or pod\/payments\/ledger-0, got "fr-par-1"\n$/,
    ],
    [['explain', 'node/a/b'], /^sovctl: Node is cluster-scoped: expected node\/<name>, got "node\/a\/b"\n$/],
    [['explain', 'node/Not_A_Name'], /^sovctl: "Not_A_Name" is not a valid name/],
    [['explain', 'node/nope'], /^sovctl: Node nope not found in .*test\/fixtures\/inventory\n$/],
    [['explain', 'pod/payments/nope'], /^sovctl: Pod payments\/nope not found in /],
    [['explain', 'po/ledger-0'], /^sovctl: Pod default\/ledger-0 not found in /],
  ])('explain %j', async (args, pattern) => {
    expectUsageError(await cli(...args, '--inventory', INVENTORY, '--at', AT), pattern);
  });

  it.each([
    'tomorrow',
    '2026-13-01T00:00:00Z',
    '2026-13-01',
    '2026-02-30',
    '2026-6-1',
    '2026-06-01T00:00:00',
  ])('--at %s', async (at) => {
    expectUsageError(
      await cli('explain', 'node/fr-par-1', '--inventory', INVENTORY, '--at', at),
      new RegExp(
        `^sovctl: invalid --at "${at}": expected a date such as 2026-06-01 \\(midnight UTC\\) or an RFC 3339 date-time such as 2026-06-01T12:00:00Z\\n$`,
      ),
    );
  });

  it('an inventory folder that does not exist', async () => {
    expectUsageError(
      await cli('report', '--inventory', '/nonexistent/inventory'),
      /^sovctl: \/nonexistent\/inventory: no such file or directory\n$/,
    );
  });

  it('an unreadable file in the inventory (a dangling link)', async () => {
    const dir = tmp();
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'nodes.yaml'));
    expectUsageError(
      await cli('report', '--inventory', dir),
      /^sovctl: .*nodes\.yaml: no such file or directory\n$/,
    );
  });

  it('invalid YAML in the inventory, with file and line', async () => {
    expectUsageError(
      await cli('report', '--inventory', `${CHECK}/broken-yaml`),
      /^sovctl: .*broken-yaml\/broken\.yaml:7: invalid YAML: /,
    );
  });

  it('an invalid object in the inventory, with file, line and field', async () => {
    const r = await cli('explain', 'node/x', '--inventory', `${CHECK}/invalid-inventory`);
    expectUsageError(r, /has 1 invalid object:\n/);
    expect(r.stderr).toMatch(
      /^sovctl: .*invalid-inventory\/area\.yaml:9: SovereigntyArea benelux: spec\.countries\[1\]: must be an ISO 3166-1 alpha-2 country code in upper case: did you mean "NL"\?$/m,
    );
  });

  it('an invalid ClusterSovereigntyPolicy or Namespace in the inventory, with file, line and field', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'x.yaml'),
      [
        'apiVersion: sovereign-placement.io/v1alpha1',
        'kind: ClusterSovereigntyPolicy',
        'metadata: { name: dora }',
        'spec:',
        '  selector: {}',
        '  requirement: { badges: [Sovereign], area: eu }',
        '---',
        'apiVersion: v1',
        'kind: Namespace',
        'metadata:',
        '  name: payments',
        '  labels: { tier: 1 }',
        '',
      ].join('\n'),
    );
    const r = await cli('explain', 'cspol/dora', '--inventory', dir);
    expectUsageError(r, /has 2 invalid objects:\n/);
    expect(r.stderr).toMatch(/x\.yaml:4: ClusterSovereigntyPolicy dora: spec\.namespaceSelector: .+$/m);
    expect(r.stderr).toMatch(/x\.yaml:12: Namespace payments: metadata\.labels\.tier: .+$/m);
  });

  it('an object of the API group of an unknown kind or version', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'x.yaml'),
      'apiVersion: sovereign-placement.io/v1alpha1\nkind: SovereigntyZone\nmetadata: { name: z }\n---\napiVersion: sovereign-placement.io/v2\nkind: SovereigntyArea\nmetadata: { name: a }\nspec: { countries: [FR] }\n',
    );
    const r = await cli('report', '--inventory', dir);
    expectUsageError(
      r,
      /x\.yaml:1: SovereigntyZone z: kind: expected one of SovereigntyArea, CloudService, SovereigntyPolicy, ClusterSovereigntyPolicy, MemberCluster, SovereignWorkload, FulcrumFederation, got "SovereigntyZone"$/m,
    );
    expect(r.stderr).toMatch(
      /x\.yaml:5: SovereigntyArea a: apiVersion: expected sovereign-placement\.io\/v1alpha1, got "sovereign-placement\.io\/v2"$/m,
    );
  });

  it('an object defined twice', async () => {
    const dir = tmp();
    const area =
      'apiVersion: sovereign-placement.io/v1alpha1\nkind: SovereigntyArea\nmetadata: { name: fr }\nspec: { countries: [FR] }\n';
    writeFileSync(join(dir, 'a.yaml'), area);
    writeFileSync(join(dir, 'b.yaml'), area);
    expectUsageError(
      await cli('report', '--inventory', dir),
      /b\.yaml:1: SovereigntyArea fr: defined twice \(also at .*a\.yaml:1\)$/m,
    );
  });

  it.each([
    [['explain'], /missing required argument/],
    [['explain', 'node/x', '--frobnicate'], /unknown option '--frobnicate'/],
    [
      ['explain', 'node/x', '-o', 'xml'],
      /option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are table, json, yaml\./,
    ],
    [['report', '-o', 'pdf'], /Allowed choices are md, json, html\./],
    [['explian', 'node/x'], /unknown command 'explian'.*Did you mean explain\?/],
    [['check'], /missing required argument 'paths'/],
  ])('usage error %j', async (args, pattern) => {
    const r = await cli(...args);
    expectUsageError(r, pattern);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('no command prints the help on stderr and exits 2', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: sovctl [options] [command]');
  });

  it('--help exits 0 and documents the exit codes', async () => {
    for (const args of [['--help'], ['check', '--help'], ['explain', '--help'], ['report', '--help']]) {
      const r = await cli(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        'Exit codes:\n  0  success (check: no finding)\n  1  check found problems in the manifests\n  2  usage or input error',
      );
    }
  });

  it('--inventory and --kubeconfig together', async () => {
    expectUsageError(
      await cli('report', '--inventory', INVENTORY, '--kubeconfig', '/tmp/x'),
      /^sovctl: use either --inventory or --kubeconfig\/--context, not both\n$/,
    );
  });

  it('a kubeconfig that does not exist, an unknown context, an unreachable API server', async () => {
    expectUsageError(
      await cli('report', '--kubeconfig', '/nonexistent/kubeconfig'),
      /^sovctl: \/nonexistent\/kubeconfig: no such file\n$/,
    );
    const dir = tmp();
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
        'current-context: ctx',
      ].join('\n'),
    );
    expectUsageError(
      await cli('report', '--kubeconfig', kubeconfig, '--context', 'other'),
      /^sovctl: context "other" is not in the kubeconfig\n$/,
    );
    expectUsageError(
      await cli('explain', 'node/x', '--kubeconfig', kubeconfig),
      /^sovctl: cannot list \S+ on https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
  });
});
