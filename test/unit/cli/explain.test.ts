import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REASON_CODES, Reasons } from '../../../src/domain/index.ts';
import { AT, CLUSTERS, cli, explainJson, INVENTORY, NODES, VOLUMES } from './helpers.ts';

const LEDGER = 'payments/ledger-sovereign-eu';
const REPORTS = 'analytics/reports-resilient';
const DORA = 'ClusterSovereigntyPolicy/dora-sovereign-eu';
const codes = (v: { reasons: { code: string }[] }) => v.reasons.map((r) => r.code);
/** "payments/ledger-sovereign-eu", or "ClusterSovereigntyPolicy/<name>" for a cluster policy. */
const refName = (u: any) => (u.namespace === null ? `${u.kind}/${u.name}` : `${u.namespace}/${u.name}`);
const verdictFor = (e: any, policy: string) =>
  e.verdicts.find((v: any) => v.usedBy.some((u: any) => refName(u) === policy)).verdict;

/** What each fixture node gives for the ledger policy (Sovereign/eu/ThirdPartyCertified, lead 72h) at AT. */
const LEDGER_CODES: Record<string, string[]> = {
  'fr-par-1': ['Conforming'],
  'fr-par-2': ['TargetCordoned'],
  'ch-zrh-1': ['CountryOutsideArea'],
  'de-fra-1': ['BadgeMissing', 'ParentJurisdictionOutsideArea'],
  'nl-ams-1': ['BadgeMissing'],
  'fr-lapse-1': ['BadgeExpiringSoon'],
  'be-old-1': ['BadgeExpired'],
  'at-new-1': ['BadgeNotYetValid'],
  'nl-rev-1': ['BadgeRevoked'],
  'fi-self-1': ['AssuranceTooLow'],
  'ie-off-1': ['JurisdictionOutsideArea'],
  'it-colo-1': ['AmbiguousCloudService'],
  'fr-ghost-1': ['UnknownCloudService'],
  'bare-1': ['UnknownCloudService', 'CountryUnknown'],
};

/** What each member cluster gives for payments/ledger-api (Sovereign/eu/ThirdPartyCertified, lead 72h). */
const LEDGER_API_CODES: Record<string, string[]> = {
  'paris-1': ['Conforming'],
  'lyon-1': ['TargetUnhealthy'],
  'zurich-1': ['CountryOutsideArea'],
  'frankfurt-1': ['BadgeMissing', 'ParentJurisdictionOutsideArea'],
  'milan-1': ['Conforming'],
  'rome-1': ['Conforming'],
  'bucharest-1': ['TargetCordoned'],
  'ghost-1': ['UnknownCloudService'],
  'vienna-1': ['ControlPlaneNotConforming'],
};

describe('sovctl explain over the fixture inventory', () => {
  it('gives every conformance reason code of the domain, through the JSON output', async () => {
    const seen = new Set<string>();
    for (const node of NODES) {
      const e = await explainJson(`node/${node}`);
      for (const v of e.verdicts) for (const c of codes(v.verdict)) seen.add(c);
    }
    for (const cluster of CLUSTERS) {
      const e = await explainJson(`cluster/${cluster}`);
      for (const v of e.verdicts) for (const c of codes(v.verdict)) seen.add(c);
    }
    for (const volume of VOLUMES) {
      const e = await explainJson(`pv/${volume}`);
      for (const v of e.verdicts) for (const c of codes(v.verdict)) seen.add(c);
    }
    const conformanceCodes = REASON_CODES.filter((c) => Reasons[c].decision === 'Conformance');
    expect(conformanceCodes).toEqual(
      expect.arrayContaining([
        'UnknownArea',
        'UnknownCloudService',
        'AmbiguousCloudService',
        'BadgeMissing',
        'BadgeNotYetValid',
        'BadgeExpired',
        'BadgeExpiringSoon',
        'BadgeRevoked',
        'AssuranceTooLow',
        'JurisdictionOutsideArea',
        'ParentJurisdictionOutsideArea',
        'SchemeLevelTooLow',
        'CountryUnknown',
        'CountryOutsideArea',
        'TargetCordoned',
        'ControlPlaneNotConforming',
        'TargetUnhealthy',
        'VolumeResidenceUnknown',
        'VolumeOutsideArea',
        'Conforming',
      ]),
    );
    expect([...seen].sort()).toEqual([...conformanceCodes].sort());
  });

  it.each(Object.entries(LEDGER_CODES))(
    'node/%s has the expected reasons for the ledger policy',
    async (node, expected) => {
      const e = await explainJson(`node/${node}`);
      expect(e.kind).toBe('Node');
      const v = verdictFor(e, LEDGER);
      expect(v.target).toEqual({ kind: 'Node', name: node });
      expect(v.requirement).toEqual({
        badge: 'Sovereign',
        area: 'eu',
        minimumAssurance: 'ThirdPartyCertified',
      });
      expect(codes(v)).toEqual(expected);
      expect(v.conforms).toBe(expected[0] === 'Conforming');
      for (const r of v.reasons) expect(r.message.length).toBeGreaterThan(20);
    },
  );

  it.each(Object.entries(LEDGER_API_CODES))(
    'cluster/%s has the expected reasons for ledger-api',
    async (cluster, expected) => {
      const e = await explainJson(`mcl/${cluster}`);
      expect(e.kind).toBe('MemberCluster');
      const v = verdictFor(e, 'payments/ledger-api');
      expect(v.target).toEqual({ kind: 'MemberCluster', name: cluster });
      expect(codes(v)).toEqual(expected);
      // The workload with an area that does not exist: no cluster conforms, whatever else holds.
      expect(codes(verdictFor(e, 'archive/cold-storage'))).toContain('UnknownArea');
    },
  );

  it('shows the facts of a node and one verdict per requirement in use, with its policies', async () => {
    const e = await explainJson('node/de-fra-1');
    expect(e.facts).toEqual({
      cloudService: 'globalcloud-frankfurt',
      provider: 'GlobalCloud Europe GmbH',
      country: 'DE',
      cordoned: false,
    });
    // Cluster policies first, as the operator orders policies.
    expect(e.verdicts.map((v: any) => [v.usedBy, v.expiryLeadTime])).toEqual([
      [[{ kind: 'ClusterSovereigntyPolicy', namespace: null, name: 'dora-sovereign-eu' }], '72h'],
      [[{ kind: 'SovereigntyPolicy', namespace: 'analytics', name: 'reports-resilient' }], '24h'],
      [[{ kind: 'SovereigntyPolicy', namespace: 'payments', name: 'ledger-sovereign-eu' }], '72h'],
    ]);
    expect(codes(verdictFor(e, DORA))).toEqual(['BadgeMissing', 'ParentJurisdictionOutsideArea']);
    expect(codes(verdictFor(e, REPORTS))).toEqual(['SchemeLevelTooLow']);
    expect(verdictFor(e, REPORTS).reasons[0].message).toBe(
      'CloudService globalcloud-frankfurt holds SEAL level 1; the requirement needs SEAL level 2 or higher.',
    );
    const bare = await explainJson('no/bare-1');
    expect(bare.facts).toEqual({ cloudService: null, provider: null, country: null, cordoned: false });
  });

  it('without any policy, a node is judged for every (badge, area) pair of the known areas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sovctl-nopolicy-'));
    for (const f of ['areas.yaml', 'cloud-services.yaml', 'nodes.yaml']) {
      writeFileSync(join(dir, f), readFileSync(join(INVENTORY, f)));
    }
    const r = await cli('explain', 'node/fr-par-1', '--inventory', dir, '--at', AT, '-o', 'json');
    expect(r.stderr).toBe('');
    const e = JSON.parse(r.stdout);
    expect(
      e.verdicts.map(
        (v: any) => `${v.verdict.requirement.badge}/${v.verdict.requirement.area}/${v.usedBy.length}`,
      ),
    ).toEqual(['Sovereign/eea/0', 'Resilient/eea/0', 'Sovereign/eu/0', 'Resilient/eu/0']);
    expect(e.verdicts.map((v: any) => codes(v.verdict))).toEqual([
      ['BadgeMissing'],
      ['BadgeMissing'],
      ['Conforming'],
      ['Conforming'],
    ]);
    expect(e.verdicts.map((v: any) => v.verdict.requirement.minimumAssurance)).toEqual(
      Array(4).fill('SelfDeclared'),
    );
  });

  it('--at changes verdicts: before, within the lead time of, and after a validUntil', async () => {
    const before = verdictFor(await explainJson('node/fr-lapse-1', '--at', '2026-05-01T00:00:00Z'), LEDGER);
    expect(codes(before)).toEqual(['Conforming']);
    // validUntil 2026-06-02 minus the policy's 72h lead time.
    expect(before.nextTransitionAt).toBe('2026-05-30T00:00:00Z');
    const within = verdictFor(await explainJson('node/fr-lapse-1'), LEDGER);
    expect(codes(within)).toEqual(['BadgeExpiringSoon']);
    expect(within.nextTransitionAt).toBe('2026-06-02T00:00:00Z');
    const after = verdictFor(
      await explainJson('node/fr-lapse-1', '--at', '2026-06-03T00:00:00+02:00'),
      LEDGER,
    );
    expect(codes(after)).toEqual(['BadgeExpired']);
    expect(after.nextTransitionAt).toBeNull();
    // A bare date is its midnight UTC.
    expect(await explainJson('node/fr-lapse-1', '--at', '2026-05-01')).toEqual(
      await explainJson('node/fr-lapse-1', '--at', '2026-05-01T00:00:00Z'),
    );
    // And a badge that is not yet valid becomes valid.
    expect(
      codes(verdictFor(await explainJson('node/at-new-1', '--at', '2026-09-01T00:00:00Z'), LEDGER)),
    ).toEqual(['Conforming']);
  });

  it('defaults --at to now', async () => {
    const e = await explainJson('node/fr-par-1');
    const r = await cli('explain', 'node/fr-par-1', '--inventory', INVENTORY, '-o', 'json');
    expect(JSON.parse(r.stdout)).toEqual(e);
    expect(e.at).toBe(AT);
  });

  it('explains a pod: the policies selecting it, of both kinds, and its node verdict for each', async () => {
    const onLapsing = await explainJson('pod/payments/ledger-1');
    expect(onLapsing).toMatchObject({
      kind: 'Pod',
      namespace: 'payments',
      name: 'ledger-1',
      node: 'fr-lapse-1',
      workloadKind: 'StatefulSet',
    });
    // The cluster policy selects it through the labels of its Namespace (namespaces.yaml), first.
    expect(onLapsing.policies.map((p: any) => [p.policy, p.mode, p.status, p.pinned])).toEqual([
      [
        { kind: 'ClusterSovereigntyPolicy', namespace: null, name: 'dora-sovereign-eu' },
        'Enforce',
        'NotConforming',
        true,
      ],
      [
        { kind: 'SovereigntyPolicy', namespace: 'payments', name: 'ledger-sovereign-eu' },
        'Enforce',
        'NotConforming',
        true,
      ],
    ]);
    expect(onLapsing.policies.map((p: any) => codes(p.verdict))).toEqual([
      ['BadgeExpiringSoon'],
      ['BadgeExpiringSoon'],
    ]);
    expect(onLapsing.policies[0].verdict.requirement.minimumAssurance).toBe('SelfDeclared');
    expect(onLapsing.pinnedBy).toEqual([
      { kind: 'ClusterSovereigntyPolicy', namespace: null, name: 'dora-sovereign-eu' },
      { kind: 'SovereigntyPolicy', namespace: 'payments', name: 'ledger-sovereign-eu' },
    ]);
    // The same pod named with -n and a short name.
    expect(await explainJson('po/ledger-1', '-n', 'payments')).toEqual(onLapsing);

    // Admitted before the cluster policy existed: selected by it now, but only the ledger policy pinned it.
    const pending = await explainJson('pod/payments/ledger-2');
    expect(pending.node).toBeNull();
    expect(pending.policies.map((p: any) => [p.policy.name, p.status, p.pinned, p.verdict])).toEqual([
      ['dora-sovereign-eu', 'NotScheduled', false, null],
      ['ledger-sovereign-eu', 'NotScheduled', true, null],
    ]);
    expect(pending.pinnedBy).toEqual([
      { kind: 'SovereigntyPolicy', namespace: 'payments', name: 'ledger-sovereign-eu' },
    ]);

    // analytics is not in DORA scope: only its own Audit policy selects the pod.
    const reports = await explainJson('pod/analytics/reports-7c9d8-x2x1z');
    expect(reports.workloadKind).toBe('Deployment');
    expect(reports.policies).toHaveLength(1);
    expect(reports.policies[0]).toMatchObject({ mode: 'Audit', status: 'NotConforming', pinned: null });
    expect(codes(reports.policies[0].verdict)).toEqual(['SchemeLevelTooLow']);
    expect(reports.pinnedBy).toBeNull();

    // No namespaced policy selects web, the cluster policy does; the pod has no policies annotation.
    const web = await explainJson('pod/payments/web-6d4f9-abcde');
    expect(web.policies.map((p: any) => [p.policy.kind, p.status, p.pinned])).toEqual([
      ['ClusterSovereigntyPolicy', 'NotConforming', null],
    ]);
    expect(codes(web.policies[0].verdict)).toEqual(['BadgeMissing']);
  });

  it('names cluster policies with their kind in the table, and says which policies pinned the pod', async () => {
    const r = await cli('explain', 'pod/payments/ledger-2', '--inventory', INVENTORY, '--at', AT);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('  pinned by:     payments/ledger-sovereign-eu');
    expect(lines.find((l) => l.startsWith('POLICY'))).toMatch(/^POLICY\s+MODE\s+STATUS\s+PINNED\s+REASONS$/);
    expect(lines).toContain('ClusterSovereigntyPolicy dora-sovereign-eu  Enforce  NotScheduled  no      -');
    expect(lines).toContain('payments/ledger-sovereign-eu                Enforce  NotScheduled  yes     -');
    expect(lines).toContain('  ClusterSovereigntyPolicy dora-sovereign-eu:');
    const web = await cli('explain', 'pod/payments/web-6d4f9-abcde', '--inventory', INVENTORY, '--at', AT);
    expect(web.stdout).toContain('  pinned by:     no policies annotation (not pinned at admission)\n');
  });

  it('explains a cluster policy by its long and short names: namespaces, nodes, capacity and pods', async () => {
    const e = await explainJson('cspol/dora-sovereign-eu');
    expect(await explainJson('clustersovereigntypolicy/dora-sovereign-eu')).toEqual(e);
    expect(await explainJson('clustersovereigntypolicies.sovereign-placement.io/dora-sovereign-eu')).toEqual(
      e,
    );
    expect(e).toMatchObject({
      kind: 'ClusterSovereigntyPolicy',
      name: 'dora-sovereign-eu',
      mode: 'Enforce',
      expiryLeadTime: '72h',
      namespaceSelector: {
        matchLabels: {
          'compliance.example.com/dora': 'in-scope',
          'sovereign-placement.io/enforcement': 'enabled',
        },
      },
      namespaces: ['payments'],
    });
    expect('namespace' in e).toBe(false);
    expect(e.requirement).toMatchObject({
      badges: ['Sovereign'],
      area: 'eu',
      minimumAssurance: 'SelfDeclared',
    });
    // At any assurance the self-declared Finnish service conforms too.
    expect(e.nodes.filter((n: any) => n.accepted).map((n: any) => n.verdict.target.name)).toEqual([
      'fi-self-1',
      'fr-par-1',
    ]);
    expect(e.capacity).toMatchObject({ conformingNodes: 2, providers: 2, sufficient: true });
    expect(e.pods).toEqual([
      { namespace: 'payments', name: 'ledger-0', node: 'fr-par-1', conforms: true },
      { namespace: 'payments', name: 'ledger-1', node: 'fr-lapse-1', conforms: false },
      { namespace: 'payments', name: 'ledger-2', node: null, conforms: null },
      { namespace: 'payments', name: 'web-6d4f9-abcde', node: 'nl-ams-1', conforms: false },
    ]);

    const table = await cli('explain', 'cspol/dora-sovereign-eu', '--inventory', INVENTORY, '--at', AT);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe(`ClusterSovereigntyPolicy dora-sovereign-eu at ${AT}`);
    expect(lines).toContain(
      '  namespaces:       compliance.example.com/dora=in-scope,sovereign-placement.io/enforcement=enabled',
    );
    expect(lines).toContain('  selected:         payments');

    // Cluster-scoped: a namespace in the name is refused; an unknown name is not found.
    const scoped = await cli('explain', 'cspol/payments/dora-sovereign-eu', '--inventory', INVENTORY);
    expect(scoped.code).toBe(2);
    expect(scoped.stderr).toBe(
      'sovctl: ClusterSovereigntyPolicy is cluster-scoped: expected cspol/<name>, got "cspol/payments/dora-sovereign-eu"\n',
    );
    const missing = await cli('explain', 'cspol/ledger-sovereign-eu', '--inventory', INVENTORY);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^sovctl: ClusterSovereigntyPolicy ledger-sovereign-eu not found in /);
  });

  it('without Namespace objects, a cluster policy selects by the namespace name label alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sovctl-nonamespaces-'));
    for (const f of ['areas.yaml', 'cloud-services.yaml', 'nodes.yaml', 'pods.yaml', 'policies.yaml']) {
      writeFileSync(join(dir, f), readFileSync(join(INVENTORY, f)));
    }
    const byName = (name: string, selector: string) =>
      [
        'apiVersion: sovereign-placement.io/v1alpha1',
        'kind: ClusterSovereigntyPolicy',
        `metadata: { name: ${name} }`,
        `spec: { namespaceSelector: ${selector}, selector: {}, requirement: { badges: [Sovereign], area: eu } }`,
      ].join('\n');
    writeFileSync(
      join(dir, 'cluster-policies.yaml'),
      [
        byName('dora-sovereign-eu', '{ matchLabels: { compliance.example.com/dora: in-scope } }'),
        byName('analytics-by-name', '{ matchLabels: { kubernetes.io/metadata.name: analytics } }'),
      ].join('\n---\n'),
    );
    const run = async (target: string) => {
      const r = await cli('explain', target, '--inventory', dir, '--at', AT, '-o', 'json');
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    };
    // The DORA label is on no Namespace of this inventory: nothing is selected.
    const dora = await run('cspol/dora-sovereign-eu');
    expect(dora.namespaces).toEqual([]);
    expect(dora.pods).toEqual([]);
    // The name label is always there.
    const analytics = await run('cspol/analytics-by-name');
    expect(analytics.namespaces).toEqual(['analytics']);
    expect(analytics.pods.map((p: any) => p.name)).toEqual(['reports-7c9d8-x2x1z']);
    const pod = await run('pod/analytics/reports-7c9d8-x2x1z');
    expect(pod.policies.map((p: any) => refName(p.policy))).toEqual([
      'ClusterSovereigntyPolicy/analytics-by-name',
      'analytics/reports-resilient',
    ]);
  });

  it('explains a policy: every node accepted or rejected with why, its capacity and its pods', async () => {
    const e = await explainJson('spol/payments/ledger-sovereign-eu');
    expect(e).toMatchObject({ kind: 'SovereigntyPolicy', mode: 'Enforce', expiryLeadTime: '72h' });
    expect(e.requirement).toEqual({
      badges: ['Sovereign'],
      badgeMatch: 'AnyOf',
      area: 'eu',
      minimumAssurance: 'ThirdPartyCertified',
      minimumSchemeLevels: null,
      minimumProviders: 1,
    });
    expect(e.nodes).toHaveLength(NODES.length);
    expect(e.nodes.filter((n: any) => n.accepted).map((n: any) => n.verdict.target.name)).toEqual([
      'fr-par-1',
    ]);
    for (const n of e.nodes) expect(codes(n.verdict)).toEqual(LEDGER_CODES[n.verdict.target.name]);
    expect(e.capacity).toEqual({
      conformingNodes: 1,
      schedulableConformingNodes: 1,
      providers: 1,
      minimumProviders: 1,
      sufficient: true,
      byService: [{ provider: 'EuroCloud SAS', cloudService: 'eurocloud-sovereign', conformingNodes: 1 }],
      reasons: [],
    });
    expect(e.pods).toEqual([
      { namespace: 'payments', name: 'ledger-0', node: 'fr-par-1', conforms: true },
      { namespace: 'payments', name: 'ledger-1', node: 'fr-lapse-1', conforms: false },
      { namespace: 'payments', name: 'ledger-2', node: null, conforms: null },
    ]);

    const reports = await explainJson('policy/reports-resilient', '-n', 'analytics');
    expect(reports.capacity.sufficient).toBe(false);
    expect(codes(reports.capacity)).toEqual(['TooFewProviders']);
  });

  it('explains a workload: the placement over member clusters, every rejected one with why', async () => {
    const e = await explainJson('swl/payments/ledger-api');
    expect(e.placement.complete).toBe(true);
    expect(e.placement.placements.map((p: any) => [p.cluster, p.kept])).toEqual([
      ['milan-1', false],
      ['paris-1', true],
    ]);
    expect(e.placement.added).toEqual(['milan-1']);
    expect(e.placement.removed).toEqual(['lyon-1']);
    expect(Object.fromEntries(e.placement.rejected.map((r: any) => [r.cluster, codes(r)]))).toEqual({
      'bucharest-1': ['TargetCordoned'],
      'frankfurt-1': ['BadgeMissing', 'ParentJurisdictionOutsideArea'],
      'ghost-1': ['UnknownCloudService'],
      'lyon-1': ['TargetUnhealthy'],
      'rome-1': ['NotSelected'],
      'vienna-1': ['ControlPlaneNotConforming'],
      'zurich-1': ['CountryOutsideArea'],
    });
    expect(e.verdicts.map((v: any) => v.target.name)).toEqual([...CLUSTERS].sort());

    const cold = await explainJson('workload/archive/cold-storage');
    expect(cold.placement.complete).toBe(false);
    expect(codes(cold.placement)).toEqual(['NoConformingCapacity', 'SpreadNotMet']);
    expect(cold.verdicts.every((v: any) => codes(v).includes('UnknownArea'))).toBe(true);
  });

  it('prints a readable table with the sentences by default', async () => {
    const r = await cli('explain', 'node/fr-lapse-1', '--inventory', INVENTORY, '--at', AT);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`Node fr-lapse-1 at ${AT}`);
    const header = lines.find((l) => l.startsWith('BADGE'));
    expect(header).toMatch(
      /^BADGE\s+AREA\s+MIN ASSURANCE\s+LEAD\s+CONFORMS\s+REASONS\s+NEXT CHANGE\s+USED BY$/,
    );
    const row = lines.find((l) => l.startsWith('Sovereign'));
    // Columns line up under the header.
    expect(row?.indexOf('BadgeExpiringSoon')).toBe(header?.indexOf('REASONS'));
    expect(r.stdout).toContain(
      'Node fr-lapse-1 does not conform to the Sovereign badge for area eu at ThirdPartyCertified or higher. The Sovereign badge of CloudService lapsing-cloud for area eu expires at 2026-06-02T00:00:00Z; within the lead time of 72h it no longer counts, so workloads move before it lapses. This can change at 2026-06-02T00:00:00Z.',
    );
    const workload = await cli('explain', 'swl/payments/ledger-api', '--inventory', INVENTORY, '--at', AT);
    expect(workload.stdout).toContain('Not chosen: lyon-1. The member cluster is not healthy.');
    expect(workload.stdout).toContain('Removed: lyon-1.');
  });

  it('prints the same document as YAML', async () => {
    const json = await explainJson('spol/payments/ledger-sovereign-eu');
    const r = await cli(
      'explain',
      'spol/payments/ledger-sovereign-eu',
      '--inventory',
      INVENTORY,
      '--at',
      AT,
      '-o',
      'yaml',
    );
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toEqual(json);
  });

  describe('data residency', () => {
    const LEDGER_VOLUME_CODES: Record<string, string[]> = {
      'pv-ledger-fr': ['Conforming'],
      'pv-ledger-us': ['VolumeOutsideArea'],
      'pv-unpinned': ['VolumeResidenceUnknown'],
      'pv-budget': ['BadgeMissing', 'JurisdictionOutsideArea'],
    };
    it.each(Object.entries(LEDGER_VOLUME_CODES))(
      'pv/%s has the expected reasons for the ledger policy',
      async (volume, expected) => {
        const e = await explainJson(`pv/${volume}`);
        expect(e.kind).toBe('PersistentVolume');
        expect(codes(verdictFor(e, LEDGER))).toEqual(expected);
      },
    );

    it('pv/ gives the facts the verdict comes from: class, driver, service, country, claim', async () => {
      const e = await explainJson('pv/pv-ledger-fr');
      expect(e.facts).toEqual({
        storageClass: 'sovereign-block',
        csiDrivers: ['block.csi.eurocloud.example'],
        cloudService: 'eurocloud-block',
        provider: 'EuroCloud SAS',
        country: 'FR',
      });
      expect(e.claim).toEqual({ namespace: 'payments', name: 'ledger-data' });
    });

    it('pvc/ judges a bound claim by its volume and says whether admission would take it', async () => {
      const ok = await explainJson('pvc/payments/ledger-data');
      expect(ok.admission).toEqual({ allowed: true, reason: null });
      expect(ok.policies.map((p: any) => [refName(p.policy), p.verdict.target, p.verdict.conforms])).toEqual([
        [DORA, { kind: 'Volume', name: 'pv-ledger-fr' }, true],
        [LEDGER, { kind: 'Volume', name: 'pv-ledger-fr' }, true],
      ]);
      const scratch = await explainJson('pvc/payments/ledger-scratch');
      expect(scratch.admission.allowed).toBe(false);
      expect(scratch.admission.reason.message).toContain('StorageClasses that would do: sovereign-block.');
    });

    it('pvc/ of a claim naming no class: the default class, refused with the field named', async () => {
      const r = await cli('explain', 'pvc/payments/ledger-cache', '--inventory', INVENTORY, '--at', AT);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('storage class: standard (default)');
      expect(r.stdout).toContain(
        'refused: PersistentVolumeClaim payments/ledger-cache gets the default StorageClass "standard" in spec.storageClassName (unset), which does not conform',
      );
    });
  });
});
