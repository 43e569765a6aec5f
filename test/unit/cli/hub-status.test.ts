// What the hub recorded (MemberCluster and SovereignWorkload status) in explain and report, over the
// fixture test/fixtures/hub-status/hub.yaml with the areas and cloud services of the inventory fixture.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainOutput, reportOutput } from '../../../src/cli/output-schema.ts';
import { AT, cli, explainJson, INVENTORY, ROOT } from './helpers.ts';
import { checkJsonSchema } from './json-schema-check.ts';

const HUB = join(ROOT, 'test/fixtures/hub-status/hub.yaml');
const docs = (name: string) => JSON.parse(readFileSync(join(ROOT, 'docs', name), 'utf8'));
const codes = (v: { reasons: { code: string }[] }) => v.reasons.map((r) => r.code);

/** A fresh inventory: the fixture's areas and services, hub.yaml, and any extra files. */
function inventory(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sovctl-hub-'));
  for (const f of ['areas.yaml', 'cloud-services.yaml', 'cloud-service-variants.yaml']) {
    copyFileSync(join(INVENTORY, f), join(dir, f));
  }
  copyFileSync(HUB, join(dir, 'hub.yaml'));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

let dir: string;
beforeAll(() => {
  dir = inventory();
});

const run = async (...args: string[]) => {
  const r = await cli(...args, '--inventory', dir, '--at', AT);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};
const json = async (...args: string[]) => JSON.parse(await run(...args, '-o', 'json'));

describe('explain cluster/... shows what the hub recorded', () => {
  it('conditions, heartbeat, version and the workloads placed on it, from their status', async () => {
    const paris = await json('explain', 'cluster/paris-1');
    expect(paris.facts).toMatchObject({ healthy: true, healthSource: 'ReadyCondition' });
    expect(paris.recorded).toEqual({
      conditions: [
        {
          type: 'Reachable',
          status: 'True',
          reason: 'Reachable',
          message: "The member's API server answers /readyz.",
          lastTransitionTime: '2026-05-01T07:59:00Z',
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'Reachable',
          message: 'The member is reachable and ready.',
          lastTransitionTime: '2026-05-01T07:59:00Z',
        },
      ],
      lastHeartbeatTime: '2026-05-31T23:59:55Z',
      kubernetesVersion: 'v1.37.2',
      nextTransitionAt: null,
    });
    expect(paris.workloads).toEqual([
      {
        namespace: 'payments',
        name: 'ledger-api',
        state: 'Active',
        since: '2026-05-01T08:00:00Z',
        available: true,
        leavingSince: null,
        reason: null,
        message: null,
      },
    ]);

    // Active for one workload (the hub has not reconciled it since), Leaving for the other.
    const lyon = await json('explain', 'mcl/lyon-1');
    expect(lyon.facts).toMatchObject({ healthy: false, healthSource: 'ReadyCondition' });
    expect(lyon.recorded.conditions.map((c: any) => `${c.type}=${c.status}:${c.reason}`)).toEqual([
      'Reachable=False:ProbeFailed',
      'Ready=False:UnreachablePastGracePeriod',
    ]);
    expect(lyon.workloads.map((w: any) => [`${w.namespace}/${w.name}`, w.state, w.leavingSince])).toEqual([
      ['analytics/reports-fed', 'Active', null],
      ['payments/ledger-api', 'Leaving', '2026-05-31T22:00:20Z'],
    ]);
    expect(lyon.workloads[1].reason.code).toBe('LeavingMemberCluster');
    expect(lyon.verdicts.every((v: any) => codes(v.verdict).includes('TargetUnhealthy'))).toBe(true);
  });

  it('takes health from the recorded Ready condition: only True is healthy; none recorded is assumed healthy', async () => {
    const health = async (name: string) => {
      const e = await json('explain', `cluster/${name}`);
      return [e.facts.healthy, e.facts.healthSource, codes(e.verdicts[1].verdict)];
    };
    // Unreachable within its grace period: the hub keeps it Ready.
    expect(await health('turin-1')).toEqual([true, 'ReadyCondition', ['Conforming']]);
    // Never probed by this hub: Ready Unknown is not healthy, as the hub judges it.
    expect(await health('genoa-1')).toEqual([false, 'ReadyCondition', ['TargetUnhealthy']]);
    expect(await health('rome-1')).toEqual([true, 'Assumed', ['Conforming']]);
    // The inventory fixture: lyon-1 has Ready False, paris-1 no status.
    expect((await explainJson('cluster/lyon-1')).facts).toMatchObject({
      healthy: false,
      healthSource: 'ReadyCondition',
    });
    expect((await explainJson('cluster/paris-1')).facts).toMatchObject({
      healthy: true,
      healthSource: 'Assumed',
    });
  });

  it('says in the table where health comes from, and lists the workloads with why they leave', async () => {
    const lyon = await run('explain', 'mcl/lyon-1');
    expect(lyon).toMatch(
      /^ {2}healthy: +no \(from the hub's status: Ready False, UnreachablePastGracePeriod\)$/m,
    );
    expect(lyon).toMatch(/^ {2}last heartbeat: +2026-05-31T21:59:55Z$/m);
    expect(lyon).toMatch(/^ {2}kubernetes version: +v1\.37\.2$/m);
    expect(lyon).toMatch(
      /^Reachable +False +ProbeFailed +2026-05-31T22:00:00Z +GET \/readyz: connect ECONNREFUSED/m,
    );
    expect(lyon).toMatch(
      /^payments\/ledger-api +Leaving +2026-05-01T08:00:00Z +yes +2026-05-31T22:00:20Z +LeavingMemberCluster$/m,
    );
    expect(lyon).toContain(
      'payments/ledger-api leaving: Leaving member cluster lyon-1: it is unreachable past its grace period; its copy is removed once the replacement is Available.',
    );
    const rome = await run('explain', 'mcl/rome-1');
    expect(rome).toContain('healthy:            yes (assumed: the hub recorded no Ready condition)');
    expect(rome).toContain('No condition recorded: the hub has not judged this member.');
    expect(rome).toContain("No SovereignWorkload's status places it on this member.");
  });
});

describe('explain workload/... shows what the hub recorded next to the recomputed placement', () => {
  it('every recorded placement with state, availability, leaving reason and last error, and the conditions', async () => {
    const e = await json('explain', 'swl/payments/ledger-api');
    expect(e.placement.placements.map((p: any) => [p.cluster, p.kept])).toEqual([
      ['milan-1', true],
      ['paris-1', true],
    ]);
    // lyon-1 is being left: it is not a current placement, so it is not "removed" again.
    expect(e.placement.removed).toEqual([]);
    const r = e.recorded;
    expect(r.present).toBe(true);
    expect(r.observedGeneration).toBe(2);
    expect(r.placements.map((p: any) => [p.cluster, p.state, p.available, p.leavingSince])).toEqual([
      ['paris-1', 'Active', true, null],
      ['milan-1', 'Active', false, null],
      ['lyon-1', 'Leaving', true, '2026-05-31T22:00:20Z'],
    ]);
    expect(r.placements[1].message).toContain('403 configmaps "ledger-api" is forbidden');
    expect(r.placements[2].reason).toEqual({
      code: 'LeavingMemberCluster',
      message:
        'Leaving member cluster lyon-1: it is unreachable past its grace period; its copy is removed once the replacement is Available.',
    });
    expect(r.conditions.map((c: any) => `${c.type}=${c.status}:${c.reason}`)).toEqual([
      'Ready=True:Placed',
      'CapacityAvailable=True:ConformingCapacity',
      'Available=False:CopiesNotAvailable',
    ]);
    expect(r.reasons.map((x: any) => x.code)).toEqual(['Placed']);
    expect(r.nextTransitionAt).toBe('2027-12-29T00:00:00Z');
    expect(r.matchesRecomputed).toBe(true);
    expect(r.differences).toEqual([]);
    expect(e.health).toEqual([
      { cluster: 'genoa-1', healthy: false, source: 'ReadyCondition' },
      { cluster: 'lyon-1', healthy: false, source: 'ReadyCondition' },
      { cluster: 'milan-1', healthy: true, source: 'ReadyCondition' },
      { cluster: 'paris-1', healthy: true, source: 'ReadyCondition' },
      { cluster: 'rome-1', healthy: true, source: 'Assumed' },
      { cluster: 'turin-1', healthy: true, source: 'ReadyCondition' },
    ]);

    const table = await run('explain', 'swl/payments/ledger-api');
    expect(table).toContain('Recorded by the hub (status, observed generation 2):');
    expect(table).toMatch(
      /^lyon-1 +Leaving +2026-05-01T08:00:00Z +yes +2026-05-31T22:00:20Z +LeavingMemberCluster$/m,
    );
    expect(table).toMatch(/^milan-1 +Active +2026-05-31T22:00:20Z +no +- +-$/m);
    expect(table).toContain(
      '  milan-1 last error: member milan-1: applying ConfigMap payments/ledger-api: 403',
    );
    expect(table).toMatch(
      /^Available +False +CopiesNotAvailable +2026-05-31T22:00:20Z +Not yet Available on milan-1\.$/m,
    );
    expect(table).toMatch(/^CLUSTER +CHOSEN +HEALTHY +CONFORMS +REASONS +NEXT CHANGE$/m);
    expect(table).toMatch(/^rome-1 +no +assumed +yes +Conforming/m);
    expect(table).toContain(
      "Member health is the Ready condition the hub recorded in each MemberCluster's status",
    );
    expect(table).toContain('The placement the hub recorded agrees with the one recomputed here.');
  });

  it('says plainly when the recorded placement differs from the recomputed one', async () => {
    const e = await json('explain', 'workload/analytics/reports-fed');
    expect(e.placement.placements.map((p: any) => p.cluster)).toEqual(['milan-1']);
    expect(e.recorded.matchesRecomputed).toBe(false);
    expect(e.recorded.differences).toEqual([
      'The recomputed placement chooses milan-1, which the hub has not recorded as Active.',
      'The hub records lyon-1 as Active, which the recomputed placement does not choose.',
    ]);
    const table = await run('explain', 'workload/analytics/reports-fed');
    expect(table).toContain('The placement the hub recorded DIFFERS from the one recomputed here:');
    expect(table).toContain(
      '  - The hub records lyon-1 as Active, which the recomputed placement does not choose.',
    );
    expect(table).toContain('the hub probes members, sovctl cannot');
  });

  it('follows the hub: members being left are not current; a workload without status is not placed yet', async () => {
    const other = inventory({
      'more.yaml': [
        'apiVersion: sovereign-placement.io/v1alpha1',
        'kind: SovereignWorkload',
        'metadata: { name: moved, namespace: payments }',
        'spec:',
        '  requirement: { badges: [Sovereign], area: eu }',
        '  placement: { clusters: 1 }',
        '  manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: moved } }]',
        'status:',
        '  placements:',
        '    - { cluster: rome-1, cloudService: colo-alpha, provider: Colo Alpha SpA, since: "2026-05-30T00:00:00Z", state: Active }',
        '    - { cluster: milan-1, cloudService: colo-alpha, provider: Colo Alpha SpA, since: "2026-05-01T00:00:00Z", state: Leaving, leavingSince: "2026-05-30T00:00:00Z" }',
        '---',
        'apiVersion: sovereign-placement.io/v1alpha1',
        'kind: SovereignWorkload',
        'metadata: { name: fresh, namespace: payments }',
        'spec:',
        '  requirement: { badges: [Sovereign], area: eu }',
        '  placement: { clusters: 1 }',
        '  manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: fresh } }]',
      ].join('\n'),
    });
    const explainIn = async (target: string) => {
      const r = await cli('explain', target, '--inventory', other, '--at', AT, '-o', 'json');
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    // milan-1 would come first by name if it still counted as current.
    const moved = await explainIn('swl/payments/moved');
    expect(moved.placement.placements.map((p: any) => [p.cluster, p.kept])).toEqual([['rome-1', true]]);
    expect(moved.recorded.matchesRecomputed).toBe(true);
    expect(moved.recorded.placements[1].reason).toBeNull();

    const fresh = await explainIn('swl/payments/fresh');
    expect(fresh.recorded).toMatchObject({
      present: false,
      placements: [],
      conditions: [],
      matchesRecomputed: false,
    });
    expect(fresh.recorded.differences[0]).toMatch(/^The hub has recorded no status for this workload/);
  });
});

describe('report shows the federated workloads with their recorded placements', () => {
  it('JSON: state, availability, leaving reason, last error, the conditions and the agreement', async () => {
    const r = await json('report');
    expect(r.workloads.map((w: any) => `${w.namespace}/${w.name}`)).toEqual([
      'analytics/reports-fed',
      'payments/ledger-api',
    ]);
    const [reports, ledger] = r.workloads;
    expect(
      ledger.placements.map((p: any) => [p.cluster, p.chosen, p.state, p.since, p.available, p.leavingSince]),
    ).toEqual([
      ['lyon-1', false, 'Leaving', '2026-05-01T08:00:00Z', true, '2026-05-31T22:00:20Z'],
      ['milan-1', true, 'Active', '2026-05-31T22:00:20Z', false, null],
      ['paris-1', true, 'Active', '2026-05-01T08:00:00Z', true, null],
    ]);
    expect(ledger.placements[0].leavingReason.code).toBe('LeavingMemberCluster');
    expect(ledger.placements[1].message).toContain('is forbidden');
    expect(ledger.conditions.map((c: any) => c.type)).toEqual(['Ready', 'CapacityAvailable', 'Available']);
    expect([ledger.matchesRecorded, ledger.differences]).toEqual([true, []]);
    expect(reports.placements.map((p: any) => [p.cluster, p.chosen, p.state])).toEqual([
      ['lyon-1', false, 'Active'],
      ['milan-1', true, null],
    ]);
    expect(reports.matchesRecorded).toBe(false);
    expect(reports.differences).toHaveLength(2);
    expect(checkJsonSchema(docs('report-output.schema.json'), r)).toEqual([]);
    expect(reportOutput.safeParse(r).success).toBe(true);
  });

  it('Markdown and HTML show the hub state, why a member is left, the conditions and any difference', async () => {
    const md = await run('report');
    expect(md).toMatch(/^\| Cluster \| Chosen \| Recorded since \| Hub state \| Available \| Verdict \|/m);
    expect(md).toMatch(
      /^\| lyon-1 \| no \| 2026-05-01T08:00:00Z \| Leaving since 2026-05-31T22:00:20Z \| yes \| \*\*does not conform\*\* \|/m,
    );
    expect(md).toContain(
      '- Leaving lyon-1: Leaving member cluster lyon-1: it is unreachable past its grace period; its copy is removed once the replacement is Available.',
    );
    expect(md).toContain(
      '- Last error on milan-1: member milan-1: applying ConfigMap payments/ledger-api: 403',
    );
    expect(md).toContain(
      '- Available=False (CopiesNotAvailable) since 2026-05-31T22:00:20Z: Not yet Available on milan-1.',
    );
    expect(md).toContain('**The placement the hub recorded differs from the recomputed one:**');
    expect(md).toContain(
      '- The hub records lyon-1 as Active, which the recomputed placement does not choose.',
    );

    const html = await run('report', '-o', 'html');
    expect(html).toContain(
      '<tr class="cluster-placement" data-cluster="lyon-1" data-conforms="false" data-state="Leaving">',
    );
    expect(html).toContain('<td>Leaving since 2026-05-31T22:00:20Z<br><span class="muted">Available</span>');
    expect(html).toContain('<p class="hub-agreement" data-matches-recorded="false">');
    expect(html).toContain(
      '<li>The recomputed placement chooses milan-1, which the hub has not recorded as Active.</li>',
    );
    expect(html).toContain(
      'Last error: member milan-1: applying ConfigMap payments/ledger-api: 403 configmaps &quot;ledger-api&quot; is forbidden',
    );
  });
});

describe('the new fields are documented', () => {
  it('explain outputs of hub objects validate against docs/explain-output.schema.json', async () => {
    const schema = docs('explain-output.schema.json');
    for (const target of [
      'mcl/paris-1',
      'mcl/lyon-1',
      'mcl/turin-1',
      'mcl/genoa-1',
      'mcl/rome-1',
      'swl/payments/ledger-api',
      'swl/analytics/reports-fed',
    ]) {
      const output = await json('explain', target);
      expect(checkJsonSchema(schema, output), target).toEqual([]);
      expect(explainOutput.safeParse(output).success, target).toBe(true);
    }
  });
});
