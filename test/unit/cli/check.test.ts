import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AT, CHECK, cli, INVENTORY } from './helpers.ts';

const check = (...args: string[]) => cli('check', ...args, '--inventory', INVENTORY, '--at', AT);

describe('sovctl check', () => {
  it('exits 0 when the manifests are valid and every workload can be placed', async () => {
    const r = await check(`${CHECK}/good`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('OK: 3 objects checked, no finding.\n');
    expect(r.code).toBe(0);
  });

  it('exits 1 with every finding, naming file, line and field', async () => {
    const r = await check(`${CHECK}/good`, `${CHECK}/bad`, '-o', 'json');
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    const rel = (f: string) => f.replace(/^.*cli-check\//, '');
    expect(result.findings.map((f: any) => `${rel(f.file)}:${f.line} ${f.object} ${f.code}`)).toEqual([
      'bad/cloud-service.yaml:12 CloudService new-provider Invalid',
      'bad/cloud-service.yaml:16 CloudService new-provider Invalid',
      'bad/ledger-everywhere.yaml:2 SovereignWorkload payments/ledger-everywhere PlacementIncomplete',
      'bad/vault.yaml:2 SovereigntyPolicy vault/hsm-sovereign NoConformingNode',
      'bad/vault.yaml:17 Deployment vault/hsm-proxy WorkloadWithoutConformingNode',
      'bad/vault.yaml:35 Job vault/hsm-rotate WorkloadWithoutConformingNode',
    ]);
    const messages = result.findings.map((f: any) => f.message);
    expect(messages[0]).toBe(
      'spec.badges[0].certifiedBy: certifiedBy is required when assurance is ThirdPartyCertified: name the accredited certifying body',
    );
    expect(messages[1]).toBe('spec.badges[0].validUntil: validUntil must be after validFrom');
    expect(messages[2]).toContain('The chosen clusters span 2 providers, 3 were asked');
    expect(messages[3]).toContain('with SEAL level 4 or higher');
    expect(messages[3]).toContain('SchemeLevelTooLow on 11 nodes');
    expect(messages[4]).toContain('its pods would stay Pending');
  });

  it('names a missing SovereigntyArea as its own finding, not as "no conforming node"', async () => {
    const r = await check(`${CHECK}/unknown-area`, '-o', 'json');
    expect(r.code).toBe(1);
    const { findings } = JSON.parse(r.stdout);
    expect(findings.map((f: any) => `${f.object} ${f.code}`)).toEqual([
      'SovereigntyPolicy payments/ledger-eu UnknownArea',
    ]);
    expect(findings[0].message).toBe(
      "spec.requirement.area: no SovereigntyArea named 'european-union' in the inventory or the manifests (known: eea, eu); fix the name or add the SovereigntyArea",
    );
  });

  it('prints one line per finding as file:line: object: [code] message', async () => {
    const r = await check(`${CHECK}/bad/cloud-service.yaml`);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(
        /cli-check\/bad\/cloud-service\.yaml:12: CloudService new-provider: \[Invalid\] spec\.badges\[0\]\.certifiedBy: /,
      ),
      expect.stringMatching(
        /cloud-service\.yaml:16: CloudService new-provider: \[Invalid\] spec\.badges\[0\]\.validUntil: /,
      ),
      '2 findings in 1 object.',
      '',
    ]);
  });

  it('uses the policies of the inventory for workloads in the manifests', async () => {
    // The Audit policy of the inventory selects this Deployment; a node conforms to it, so no finding.
    const ok = await check(`${CHECK}/good/ledger.yaml`);
    expect(ok.code).toBe(0);
    // Once every Sovereign badge of the inventory has expired, the ledger StatefulSet has nowhere to go.
    const later = await cli(
      'check',
      `${CHECK}/good/ledger.yaml`,
      '--inventory',
      INVENTORY,
      '--at',
      '2028-10-01T00:00:00Z',
    );
    expect(later.code).toBe(1);
    expect(later.stdout).toMatch(
      /ledger\.yaml:3: StatefulSet payments\/ledger: \[WorkloadWithoutConformingNode\] selected by SovereigntyPolicy payments\/ledger-sovereign-eu/,
    );
  });

  it('treats ClusterSovereigntyPolicies like SovereigntyPolicies, selecting workloads by Namespace labels', async () => {
    const r = await check(`${CHECK}/cluster-policies`, '-o', 'json');
    expect(r.code).toBe(1);
    const { findings } = JSON.parse(r.stdout);
    const rel = (f: string) => f.replace(/^.*cli-check\//, '');
    expect(findings.map((f: any) => `${rel(f.file)}:${f.line} ${f.object} ${f.code}`)).toEqual([
      'cluster-policies/policies.yaml:3 ClusterSovereigntyPolicy hsm-critical NoConformingNode',
      'cluster-policies/policies.yaml:18 ClusterSovereigntyPolicy dora-hsm NoConformingNode',
      'cluster-policies/policies.yaml:35 ClusterSovereigntyPolicy three-providers TooFewProviders',
      'cluster-policies/policies.yaml:48 ClusterSovereigntyPolicy nordics-only UnknownArea',
      // Through the labels of the Namespace of the manifests.
      'cluster-policies/workloads.yaml:8 Deployment vault-critical/hsm-proxy WorkloadWithoutConformingNode',
      // Through the labels of the inventory's Namespace; vault-other, labelled nowhere, is not selected.
      'cluster-policies/workloads.yaml:42 Deployment payments/hsm WorkloadWithoutConformingNode',
    ]);
    expect(findings[4].message).toMatch(
      /^selected by ClusterSovereigntyPolicy hsm-critical, but no node of the inventory conforms to the Sovereign badge for area eu at any assurance, with SEAL level 4 or higher; its pods would stay Pending: /,
    );
    expect(findings[5].message).toMatch(
      /^selected by ClusterSovereigntyPolicy dora-hsm, .*its pods would run on non-conforming nodes \(Audit\)/,
    );
    expect(findings[2].message).toContain(
      'Conforming capacity exists on 2 providers; the requirement needs 3.',
    );
  });

  it('a Namespace of the manifests replaces the inventory one: its labels decide the selection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sovctl-check-'));
    writeFileSync(
      join(dir, 'manifests.yaml'),
      `${readFileSync(join(CHECK, 'cluster-policies/workloads.yaml'), 'utf8')}\n---\n${[
        'apiVersion: v1',
        'kind: Namespace',
        'metadata: { name: payments }',
      ].join('\n')}\n`,
    );
    writeFileSync(
      join(dir, 'policy.yaml'),
      readFileSync(join(CHECK, 'cluster-policies/policies.yaml'), 'utf8'),
    );
    const r = await check(dir, '-o', 'json');
    const objects = JSON.parse(r.stdout).findings.map((f: any) => `${f.object} ${f.code}`);
    // payments, now without the DORA label, is no longer selected by dora-hsm.
    expect(objects).not.toContain('Deployment payments/hsm WorkloadWithoutConformingNode');
    expect(objects).toContain('Deployment vault-critical/hsm-proxy WorkloadWithoutConformingNode');
  });

  it('without --inventory validates only, and says so', async () => {
    const r = await cli('check', `${CHECK}/bad/vault.yaml`);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('sovctl: no --inventory given: only the schemas are checked\n');
    const invalid = await cli('check', `${CHECK}/bad/cloud-service.yaml`);
    expect(invalid.code).toBe(1);
  });

  it('exits 2 on invalid YAML, naming file and line', async () => {
    const r = await check(`${CHECK}/broken-yaml`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sovctl: .*cli-check\/broken-yaml\/broken\.yaml:7: invalid YAML: .+\n$/);
  });
});
