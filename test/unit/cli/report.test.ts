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
    expect(r.policies.map((p: any) => `${p.namespace}/${p.name}`)).toEqual([
      'analytics/reports-resilient',
      'payments/ledger-sovereign-eu',
    ]);
    const ledger = r.policies[1];
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
    expect(r.summary).toEqual({
      policies: 2,
      workloads: 2,
      podsOnConformingNodes: 1,
      podsOnNonConformingNodes: 2,
      podsNotScheduled: 1,
      incompleteWorkloads: 1,
      events: null,
    });
    expect(r.history).toBeNull();
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
  });
});
