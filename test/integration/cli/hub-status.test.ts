// sovctl against a real kube-apiserver acting as a hub: MemberClusters and SovereignWorkloads whose status
// is written through the /status subresource, as the hub operator writes it. explain and report must
// show what the hub recorded (conditions, heartbeat, version, placements with their state and leaving
// reason) and count a member unhealthy when its recorded Ready condition is not True; the live answers
// must equal the offline ones for the same objects.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, resourceDefinitions, VERSION } from '../../../src/api/index.ts';
import { readSources } from '../../../src/cli/sources.ts';
import { TestCluster } from '../../harness/cluster.ts';
import { createObjects, installCrds } from '../../harness/install.ts';
import { AT, cli, INVENTORY, ROOT } from '../../unit/cli/helpers.ts';

const FILES = [
  join(INVENTORY, 'areas.yaml'),
  join(INVENTORY, 'cloud-services.yaml'),
  join(INVENTORY, 'cloud-service-variants.yaml'),
  join(ROOT, 'test/fixtures/hub-status/hub.yaml'),
];

let cluster: TestCluster;
let offlineDir: string;

const statusPath = (object: KubernetesObject): string => {
  const def = resourceDefinitions.find((d) => d.kind === object.kind);
  if (!def) throw new Error(`no status path for ${object.kind}`);
  const scope = def.scope === 'Namespaced' ? `/namespaces/${object.metadata?.namespace}` : '';
  return `/apis/${GROUP}/${VERSION}${scope}/${def.plural}/${object.metadata?.name}/status`;
};

beforeAll(async () => {
  offlineDir = mkdtempSync(join(tmpdir(), 'sovctl-hub-live-'));
  for (const f of FILES) copyFileSync(f, join(offlineDir, f.split('/').pop() as string));

  cluster = await TestCluster.start({ name: 'cli-hub', controllers: false, kwok: false });
  const kc = cluster.adminKubeConfig();
  await installCrds(kc);
  await createObjects(kc, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'analytics' } },
  ]);
  const objects = readSources(FILES).map((s) => s.object as KubernetesObject & { status?: unknown });
  // The API server sets metadata.generation itself; the status is only written through /status.
  await createObjects(
    kc,
    objects.map(({ status: _, metadata, ...rest }) => {
      const { generation: __, ...meta } = metadata ?? {};
      return { ...rest, metadata: meta } as KubernetesObject;
    }),
  );
  for (const object of objects.filter((o) => o.status !== undefined)) {
    const res = await cluster.request(
      'PATCH',
      statusPath(object),
      { status: object.status },
      { 'content-type': 'application/merge-patch+json' },
    );
    if (res.status !== 200) throw new Error(`status of ${object.kind} ${object.metadata?.name}: ${res.body}`);
  }
});
afterAll(async () => {
  await cluster?.stop();
});

const live = async (...args: string[]) => {
  const r = await cli(...args, '--kubeconfig', cluster.kubeconfigPath, '--at', AT);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};
const liveJson = async (...args: string[]) => JSON.parse(await live(...args, '-o', 'json'));
const offlineJson = async (...args: string[]) => {
  const r = await cli(...args, '--inventory', offlineDir, '--at', AT, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('sovctl against a hub: what the hub recorded', () => {
  it('explain cluster/...: recorded conditions, heartbeat, version and the workloads placed on it', async () => {
    const lyon = await liveJson('explain', 'cluster/lyon-1');
    expect(lyon.facts).toMatchObject({ healthy: false, healthSource: 'ReadyCondition' });
    expect(lyon.recorded.conditions.map((c: any) => `${c.type}=${c.status}:${c.reason}`)).toEqual([
      'Reachable=False:ProbeFailed',
      'Ready=False:UnreachablePastGracePeriod',
    ]);
    expect(lyon.recorded.lastHeartbeatTime).toBe('2026-05-31T21:59:55Z');
    expect(lyon.recorded.kubernetesVersion).toBe('v1.37.2');
    expect(
      lyon.workloads.map((w: any) => [`${w.namespace}/${w.name}`, w.state, w.reason?.code ?? null]),
    ).toEqual([
      ['analytics/reports-fed', 'Active', null],
      ['payments/ledger-api', 'Leaving', 'LeavingMemberCluster'],
    ]);
    // The hub's Ready condition decides health: False and Unknown are unhealthy, True is healthy even
    // while unreachable within the grace period, and no condition at all is assumed healthy.
    const health = async (name: string) => {
      const e = await liveJson('explain', `mcl/${name}`);
      return `${e.facts.healthy}/${e.facts.healthSource}`;
    };
    expect(await health('paris-1')).toBe('true/ReadyCondition');
    expect(await health('turin-1')).toBe('true/ReadyCondition');
    expect(await health('genoa-1')).toBe('false/ReadyCondition');
    expect(await health('rome-1')).toBe('true/Assumed');

    const table = await live('explain', 'mcl/lyon-1');
    expect(table).toContain(
      "healthy:            no (from the hub's status: Ready False, UnreachablePastGracePeriod)",
    );
    expect(table).toMatch(/^payments\/ledger-api +Leaving +2026-05-01T08:00:00Z +yes +2026-05-31T22:00:20Z/m);

    for (const name of ['paris-1', 'milan-1', 'lyon-1', 'turin-1', 'genoa-1', 'rome-1']) {
      expect(await liveJson('explain', `mcl/${name}`), name).toEqual(
        await offlineJson('explain', `mcl/${name}`),
      );
    }
  });

  it('explain workload/...: recorded placements and conditions, and whether they agree with the recomputation', async () => {
    const ledger = await liveJson('explain', 'swl/payments/ledger-api');
    expect(ledger.recorded.placements.map((p: any) => [p.cluster, p.state, p.available])).toEqual([
      ['paris-1', 'Active', true],
      ['milan-1', 'Active', false],
      ['lyon-1', 'Leaving', true],
    ]);
    expect(ledger.recorded.placements[1].message).toContain('is forbidden');
    expect(ledger.recorded.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual([
      'Ready=True',
      'CapacityAvailable=True',
      'Available=False',
    ]);
    expect(ledger.recorded.matchesRecomputed).toBe(true);
    expect(ledger.placement.placements.map((p: any) => p.cluster)).toEqual(['milan-1', 'paris-1']);

    const reports = await liveJson('explain', 'swl/analytics/reports-fed');
    expect(reports.recorded.matchesRecomputed).toBe(false);
    expect(reports.recorded.differences).toEqual([
      'The recomputed placement chooses milan-1, which the hub has not recorded as Active.',
      'The hub records lyon-1 as Active, which the recomputed placement does not choose.',
    ]);
    const table = await live('explain', 'swl/analytics/reports-fed');
    expect(table).toContain('The placement the hub recorded DIFFERS from the one recomputed here:');
    expect(table).toContain('the hub probes members, sovctl cannot');

    for (const target of ['swl/payments/ledger-api', 'swl/analytics/reports-fed']) {
      expect(await liveJson('explain', target), target).toEqual(await offlineJson('explain', target));
    }
  });

  it('report: the federated workloads with their placement history, in JSON, Markdown and HTML', async () => {
    const report = await liveJson('report');
    expect(report.source.mode).toBe('cluster');
    expect(report.workloads).toEqual((await offlineJson('report')).workloads);
    const ledger = report.workloads.find((w: any) => w.name === 'ledger-api');
    expect(ledger.placements.map((p: any) => [p.cluster, p.state, p.leavingSince])).toEqual([
      ['lyon-1', 'Leaving', '2026-05-31T22:00:20Z'],
      ['milan-1', 'Active', null],
      ['paris-1', 'Active', null],
    ]);
    const md = await live('report');
    expect(md).toContain(
      '- Leaving lyon-1: Leaving member cluster lyon-1: it is unreachable past its grace period; its copy is removed once the replacement is Available.',
    );
    expect(md).toContain('**The placement the hub recorded differs from the recomputed one:**');
    const html = await live('report', '-o', 'html');
    expect(html).toContain(
      '<tr class="cluster-placement" data-cluster="lyon-1" data-conforms="false" data-state="Leaving">',
    );
  });
});
