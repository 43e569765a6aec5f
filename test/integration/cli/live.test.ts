// sovctl against a real kube-apiserver: the fixture inventory is created as real objects (CRDs, samples,
// Nodes, Pods, statuses, Events), and the live answers must equal the offline ones for the same objects.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, resourceDefinitions, VERSION } from '../../../src/api/index.ts';
import { readSources } from '../../../src/cli/sources.ts';
import { binary } from '../../harness/binaries.ts';
import { TestCluster } from '../../harness/cluster.ts';
import { createObjects, installCrds } from '../../harness/install.ts';
import { AT, CLUSTERS, cli, INVENTORY, NODES, ROOT } from '../../unit/cli/helpers.ts';

let cluster: TestCluster;

const statusPath = (object: KubernetesObject): string => {
  const name = object.metadata?.name as string;
  const ns = object.metadata?.namespace;
  if (object.kind === 'Node') return `/api/v1/nodes/${name}/status`;
  if (object.kind === 'Pod') return `/api/v1/namespaces/${ns}/pods/${name}/status`;
  const def = resourceDefinitions.find((d) => d.kind === object.kind);
  if (!def) throw new Error(`no status path for ${object.kind}`);
  const scope = def.scope === 'Namespaced' ? `/namespaces/${ns}` : '';
  return `/apis/${GROUP}/${VERSION}${scope}/${def.plural}/${name}/status`;
};

const event = (
  name: string,
  namespace: string,
  involved: { kind: string; name: string; namespace?: string },
  fields: Record<string, unknown>,
) => ({
  metadata: { name, namespace },
  involvedObject: {
    apiVersion: involved.kind === 'Pod' || involved.kind === 'Node' ? 'v1' : `${GROUP}/${VERSION}`,
    ...involved,
  },
  type: 'Warning',
  count: 1,
  ...fields,
});

beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'cli', controllers: false, kwok: false });
  const kc = cluster.adminKubeConfig();
  await installCrds(kc);
  const core = kc.makeApiClient(CoreV1Api);
  // Exactly the objects of the offline inventory; statuses through the status subresource. Namespaces
  // (with the labels cluster policies select on) first.
  const objects = readSources([INVENTORY]).map((s) => s.object as KubernetesObject & { status?: unknown });
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  expect(namespaces.map((n) => n.metadata?.name).sort()).toEqual(['analytics', 'archive', 'payments']);
  await createObjects(kc, namespaces);
  for (const namespace of namespaces) {
    // No controller manager runs: pods need their service account made by hand.
    await core.createNamespacedServiceAccount({
      namespace: namespace.metadata?.name as string,
      body: { metadata: { name: 'default' } },
    });
  }
  await createObjects(
    kc,
    objects.filter((o) => o.kind !== 'Namespace').map(({ status: _, ...rest }) => rest as KubernetesObject),
  );
  for (const object of objects.filter((o) => o.status !== undefined)) {
    const res = await cluster.request(
      'PATCH',
      statusPath(object),
      { status: object.status },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    if (res.status !== 200) throw new Error(`status of ${object.kind} ${object.metadata?.name}: ${res.body}`);
  }
  const at = new Date('2026-06-01T00:00:00Z');
  const later = new Date('2026-06-01T00:05:00Z');
  await core.createNamespacedEvent({
    namespace: 'payments',
    body: event(
      'ledger-1.evicted',
      'payments',
      { kind: 'Pod', name: 'ledger-1', namespace: 'payments' },
      {
        reason: 'NodeNotConforming',
        message:
          'Node fr-lapse-1 no longer conforms; the pod is evicted so that its controller recreates it on a conforming node.',
        source: { component: 'sovereign-placement' },
        firstTimestamp: later,
        lastTimestamp: later,
      },
    ),
  });
  await core.createNamespacedEvent({
    namespace: 'default',
    body: event(
      'fr-lapse-1.revoked',
      'default',
      { kind: 'Node', name: 'fr-lapse-1' },
      {
        reason: 'VerdictRevoked',
        message:
          'Node fr-lapse-1 does not conform to the Sovereign badge for area eu at ThirdPartyCertified or higher.',
        reportingComponent: 'sovereign-placement',
        reportingInstance: 'sovereign-placement-0',
        source: {},
        firstTimestamp: at,
        lastTimestamp: at,
        count: 3,
      },
    ),
  });
  await core.createNamespacedEvent({
    namespace: 'payments',
    body: event(
      'ledger-0.pulled',
      'payments',
      { kind: 'Pod', name: 'ledger-0', namespace: 'payments' },
      {
        type: 'Normal',
        reason: 'Pulled',
        message: 'Container image pulled.',
        source: { component: 'kubelet' },
        firstTimestamp: at,
        lastTimestamp: at,
      },
    ),
  });
});
afterAll(async () => {
  await cluster?.stop();
});

const offline = async (...args: string[]) => {
  const r = await cli(...args, '--inventory', INVENTORY, '--at', AT, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const live = async (...args: string[]) => {
  const r = await cli(...args, '--kubeconfig', cluster.kubeconfigPath, '--at', AT, '-o', 'json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe('sovctl against a real API server', () => {
  it('explain node/... gives the same verdicts as offline, for every node', async () => {
    for (const node of NODES) {
      const fromCluster = await live('explain', `node/${node}`);
      expect(fromCluster, node).toEqual(await offline('explain', `node/${node}`));
    }
    const lapsing = await live('explain', 'node/fr-lapse-1');
    expect(lapsing.verdicts.map((v: any) => v.verdict.reasons.map((r: any) => r.code))).toEqual([
      ['BadgeExpiringSoon'],
      ['BadgeMissing', 'SchemeLevelTooLow'],
      ['BadgeExpiringSoon'],
    ]);
    expect(lapsing.verdicts[0].usedBy).toEqual([
      { kind: 'ClusterSovereigntyPolicy', namespace: null, name: 'dora-sovereign-eu' },
    ]);
  });

  it('explain policy/... gives the same nodes, capacity and pods as offline', async () => {
    for (const policy of ['spol/payments/ledger-sovereign-eu', 'policy/analytics/reports-resilient']) {
      expect(await live('explain', policy)).toEqual(await offline('explain', policy));
    }
    const ledger = await live('explain', 'spol/ledger-sovereign-eu', '-n', 'payments');
    expect(ledger.capacity.schedulableConformingNodes).toBe(1);
    expect(ledger.pods.map((p: any) => `${p.name}@${p.node}=${p.conforms}`)).toEqual([
      'ledger-0@fr-par-1=true',
      'ledger-1@fr-lapse-1=false',
      'ledger-2@null=null',
    ]);
  });

  it('explain cspol/... selects by the labels of the live Namespaces, as offline', async () => {
    const dora = await live('explain', 'cspol/dora-sovereign-eu');
    expect(dora).toEqual(await offline('explain', 'cspol/dora-sovereign-eu'));
    expect(dora.namespaces).toEqual(['payments']);
    expect(dora.pods.map((p: any) => p.name)).toEqual([
      'ledger-0',
      'ledger-1',
      'ledger-2',
      'web-6d4f9-abcde',
    ]);
  });

  it('explain pod, cluster and workload agree with offline too', async () => {
    for (const target of [
      'pod/payments/ledger-0',
      'pod/payments/ledger-1',
      'pod/payments/ledger-2',
      'pod/payments/web-6d4f9-abcde',
      'pod/analytics/reports-7c9d8-x2x1z',
      'swl/payments/ledger-api',
      'swl/archive/cold-storage',
    ]) {
      expect(await live('explain', target), target).toEqual(await offline('explain', target));
    }
    const ledger = await live('explain', 'pod/payments/ledger-1');
    expect(ledger.policies.map((p: any) => [p.policy.kind, p.pinned])).toEqual([
      ['ClusterSovereigntyPolicy', true],
      ['SovereigntyPolicy', true],
    ]);
    for (const name of CLUSTERS) {
      expect(await live('explain', `mcl/${name}`), name).toEqual(await offline('explain', `mcl/${name}`));
    }
  });

  it('report -o json: same placements, verdicts and evidence as offline, plus the operator Events', async () => {
    const fromCluster = await live('report');
    const fromFiles = await offline('report');
    expect(fromCluster.source.mode).toBe('cluster');
    expect(fromCluster.source.location).toContain(cluster.server);
    expect(fromCluster.policies).toEqual(fromFiles.policies);
    expect(fromCluster.workloads).toEqual(fromFiles.workloads);
    expect(fromCluster.cloudServices).toEqual(fromFiles.cloudServices);
    expect({ ...fromCluster.summary, events: null }).toEqual(fromFiles.summary);
    expect(fromCluster.summary.events).toBe(2);
    // Oldest first; only the operator's Events (source or reporting component), never the kubelet's.
    expect(fromCluster.history).toEqual([
      {
        time: '2026-06-01T00:00:00Z',
        firstTime: '2026-06-01T00:00:00Z',
        count: 3,
        type: 'Warning',
        reason: 'VerdictRevoked',
        message:
          'Node fr-lapse-1 does not conform to the Sovereign badge for area eu at ThirdPartyCertified or higher.',
        object: { kind: 'Node', namespace: null, name: 'fr-lapse-1' },
      },
      {
        time: '2026-06-01T00:05:00Z',
        firstTime: '2026-06-01T00:05:00Z',
        count: 1,
        type: 'Warning',
        reason: 'NodeNotConforming',
        message:
          'Node fr-lapse-1 no longer conforms; the pod is evicted so that its controller recreates it on a conforming node.',
        object: { kind: 'Pod', namespace: 'payments', name: 'ledger-1' },
      },
    ]);
    const html = await cli('report', '--kubeconfig', cluster.kubeconfigPath, '--at', AT, '-o', 'html');
    expect(html.code).toBe(0);
    expect(html.stdout).toContain('<tr class="event" data-reason="NodeNotConforming">');
    expect(html.stdout).not.toContain('Pulled');
  });

  it('unknown names in the cluster are a one-line error with exit code 2', async () => {
    const r = await cli('explain', 'node/nope', '--kubeconfig', cluster.kubeconfigPath);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sovctl: Node nope not found in https:\/\/127\.0\.0\.1:\d+ \(context cli\)\n$/);
  });

  it('runs as the kubectl plugin: kubectl sovereignty explain ...', async () => {
    const kubectl = binary('kubectl');
    const path = [join(ROOT, 'bin'), dirname(kubectl), process.env.PATH].join(':');
    const r = spawnSync(kubectl, ['sovereignty', 'explain', 'node/fr-par-1', '--at', AT, '-o', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: path, KUBECONFIG: cluster.kubeconfigPath, SOVCTL_NAME: '' },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(await offline('explain', 'node/fr-par-1'));
  });
});
