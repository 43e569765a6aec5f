import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AT, cli, INVENTORY, reportJson } from './helpers.ts';

describe('sovctl report', () => {
  it('lists every policy with the nodes its pods run on, the verdict and the evidence behind it', async () => {
    const r = await reportJson();
    expect(r).toMatchObject({
      kind: 'SovereigntyReport',
      at: AT,
      source: { mode: 'inventory', location: INVENTORY },
    });
    // Cluster policies first.
    expect(r.policies.map((p: any) => `${p.kind} ${p.namespace}/${p.name}`)).toEqual([
      'ClusterSovereigntyPolicy null/dora-sovereign-eu',
      'SovereigntyPolicy analytics/reports-resilient',
      'SovereigntyPolicy payments/ledger-sovereign-eu',
    ]);
    const ledger = r.policies[2];
    // Non-conforming first.
    expect(ledger.placements.map((p: any) => [p.node, p.pods, p.verdict.conforms])).toEqual([
      ['fr-lapse-1', ['ledger-1'], false],
      ['fr-par-1', ['ledger-0'], true],
    ]);
    expect(ledger.notScheduled).toEqual(['ledger-2']);
    expect(ledger.placements[1].evidence).toEqual({
      cloudService: 'eurocloud-sovereign',
      provider: {
        name: 'EuroCloud SAS',
        legalJurisdiction: 'FR',
        ultimateParent: { name: 'EuroCloud Holding SE', legalJurisdiction: 'FR' },
      },
      badges: [
        {
          type: 'Sovereign',
          area: 'eu',
          assurance: 'ThirdPartyCertified',
          certifiedBy: 'Example Conformity Assessment Body',
          validFrom: '2026-01-01T00:00:00Z',
          validUntil: '2028-01-01T00:00:00Z',
          revokedAt: null,
          evidenceRef: 'https://certificates.example.eu/cispe/sov-0042',
        },
      ],
    });
    expect(ledger.placements[0].verdict.reasons.map((x: any) => x.code)).toEqual(['BadgeExpiringSoon']);
    // Each pod counted once, though ledger-* are selected by two policies: ledger-0 conforms to both;
    // ledger-1, web (cluster policy) and reports (Audit) do not; ledger-2 is not scheduled.
    expect(r.summary).toEqual({
      policies: 3,
      workloads: 2,
      podsOnConformingNodes: 1,
      podsOnNonConformingNodes: 3,
      podsNotScheduled: 1,
      incompleteWorkloads: 1,
      events: null,
    });
    expect(r.history).toBeNull();
  });

  it('lists cluster policies with their pods across namespaces, named with their namespace', async () => {
    const r = await reportJson();
    const dora = r.policies[0];
    expect(dora).toMatchObject({
      kind: 'ClusterSovereigntyPolicy',
      namespace: null,
      name: 'dora-sovereign-eu',
      mode: 'Enforce',
      expiryLeadTime: '72h',
    });
    expect(dora.requirement.minimumAssurance).toBe('SelfDeclared');
    expect(dora.placements.map((p: any) => [p.node, p.pods, p.verdict.conforms])).toEqual([
      ['fr-lapse-1', ['payments/ledger-1'], false],
      ['nl-ams-1', ['payments/web-6d4f9-abcde'], false],
      ['fr-par-1', ['payments/ledger-0'], true],
    ]);
    expect(dora.notScheduled).toEqual(['payments/ledger-2']);
    expect(dora.placements[1].evidence).toMatchObject({ cloudService: 'budget-hosting', badges: [] });
  });

  it('-n keeps the cluster policies that select the namespace, with that namespace pods only', async () => {
    const payments = await reportJson('-n', 'payments');
    expect(payments.policies.map((p: any) => p.name)).toEqual(['dora-sovereign-eu', 'ledger-sovereign-eu']);
    const analytics = await reportJson('-n', 'analytics');
    expect(analytics.policies.map((p: any) => p.name)).toEqual(['reports-resilient']);
    // The name label selects a namespace even without its Namespace object.
    const dir = mkdtempSync(join(tmpdir(), 'sovctl-report-'));
    for (const f of ['areas.yaml', 'cloud-services.yaml', 'nodes.yaml', 'pods.yaml', 'policies.yaml']) {
      writeFileSync(join(dir, f), readFileSync(join(INVENTORY, f)));
    }
    writeFileSync(
      join(dir, 'cluster-policy.yaml'),
      [
        'apiVersion: sovereign-placement.io/v1alpha1',
        'kind: ClusterSovereigntyPolicy',
        'metadata: { name: everywhere }',
        'spec: { namespaceSelector: {}, selector: {}, requirement: { badges: [Sovereign], area: eu } }',
      ].join('\n'),
    );
    const r = await cli('report', '--inventory', dir, '--at', AT, '-o', 'json', '-n', 'analytics');
    expect(r.code).toBe(0);
    const everywhere = JSON.parse(r.stdout).policies[0];
    expect(everywhere.name).toBe('everywhere');
    expect(everywhere.placements.flatMap((p: any) => p.pods)).toEqual(['analytics/reports-7c9d8-x2x1z']);
    expect(everywhere.notScheduled).toEqual([]);
  });

  it('lists every workload with its chosen and recorded clusters', async () => {
    const r = await reportJson();
    const api = r.workloads.find((w: any) => w.name === 'ledger-api');
    expect(
      api.placements.map((p: any) => [p.cluster, p.chosen, p.recorded, p.since, p.verdict.conforms]),
    ).toEqual([
      ['lyon-1', false, true, '2026-05-01T08:00:00Z', false],
      ['milan-1', true, false, null, true],
      ['paris-1', true, true, '2026-05-01T08:00:00Z', true],
    ]);
    expect(api.placements[1].evidence.cloudService).toBe('colo-alpha');
    expect(api.decision.complete).toBe(true);
    expect(r.cloudServices.map((s: any) => s.name)).toContain('revoked-cloud');
    expect(r.cloudServices.find((s: any) => s.name === 'revoked-cloud').badges[0].revokedAt).toBe(
      '2026-04-15T00:00:00Z',
    );
  });

  it('-n limits the report to one namespace', async () => {
    const r = await reportJson('-n', 'analytics');
    expect(r.policies.map((p: any) => p.name)).toEqual(['reports-resilient']);
    expect(r.workloads).toEqual([]);
  });

  it('renders Markdown with a table per policy', async () => {
    const r = await cli('report', '--inventory', INVENTORY, '--at', AT);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# Sovereignty report');
    expect(r.stdout).toContain('### payments/ledger-sovereign-eu (Enforce)');
    expect(r.stdout).toContain('### ClusterSovereigntyPolicy dora-sovereign-eu (Enforce)');
    expect(r.stdout).toMatch(
      /^\| nl-ams-1 \| payments\/web-6d4f9-abcde \| \*\*does not conform\*\* \| BadgeMissing: /m,
    );
    expect(r.stdout).toMatch(
      /^\| fr-lapse-1 \| ledger-1 \| \*\*does not conform\*\* \| BadgeExpiringSoon: /m,
    );
    expect(r.stdout).toContain('evidence https://certificates.example.eu/cispe/sov-0100');
  });

  it('renders a standalone HTML page: inline CSS, no script, no external resource', async () => {
    const r = await cli('report', '--inventory', INVENTORY, '--at', AT, '-o', 'html');
    expect(r.code).toBe(0);
    const html = r.stdout;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
    // Untrusted text is escaped.
    expect(html).not.toContain('"nordics"');
    expect(html).toContain('&quot;nordics&quot;');
    expect(html).toContain(
      '<section class="policy" data-policy="ClusterSovereigntyPolicy/dora-sovereign-eu">',
    );
    expect(html).toContain('<h3>ClusterSovereigntyPolicy dora-sovereign-eu (Enforce)</h3>');
  });
});
