// make bench: the operator on the local control plane with KWOK nodes, beside what Kubernetes itself
// does in the same run. Prints a table and writes .tmp/bench/results.json and results.md. Every figure
// is the median of BENCH_RUNS runs (default 3) with the spread (min–max); benchmarks, never assertions.
//
//   1. Conformance loss: BENCH_NODES KWOK nodes (default 200) of two Sovereign-EU cloud services, a
//      Deployment of BENCH_PODS replicas (default 1,000) on the first service's nodes, an Enforce policy
//      allowing 10,000 evictions a minute. The first service's badge is revoked: time to the first and
//      last eviction and until every replica runs on the other service's nodes. The Kubernetes floor in
//      the same run: the policy set to Audit, the same pods removed with one delete-collection, time
//      until as many replicas run again.
//   4. Admission: the API server's own histogram apiserver_admission_webhook_admission_duration_seconds
//      (p50/p99 interpolated in its buckets, as Prometheus' histogram_quantile does), for pods created
//      one at a time and BENCH_BULK_PODS (default 1,000) created 50 at a time; pods/s created with the
//      webhook (enrolled namespace) and without (a namespace the webhook does not see); refusals.
//   3. Scale (reduced to what a 2-core machine holds): BENCH_SCALE_NODES nodes (default 1,000) and
//      BENCH_SCALE_PODS pods (default 2,000), the operator started BENCH_RUNS times: time from the
//      process start to every node's verdict label, and the operator's resident memory then.
//   Keep-alive: 100 sequential GETs with and without a kept-alive connection (bench/keep-alive.ts).
//
// The harness starts kube-controller-manager and kube-scheduler at BENCH_QPS (default 200) QPS. The
// operator runs as one replica without leader election: the harness's lease (6 s, renewed within 4 s)
// is shortened for tests and lapses on a machine this loaded, which would measure the lease, not the work.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE, GROUP, VERSION } from '../src/api/group.ts';
import { verdictLabelKey } from '../src/domain/verdict-labels.ts';
import { kubeRequest } from '../src/kube/request.ts';
import { nodeView, podView } from '../src/operator/cache-views.ts';
import { forEachConcurrently } from '../src/operator/runtime/concurrency.ts';
import { Reflector } from '../src/operator/runtime/reflector.ts';
import type { ObjectWithMeta } from '../src/operator/runtime/resource-client.ts';
import { binDir } from '../test/harness/binaries.ts';
import { TestCluster } from '../test/harness/cluster.ts';
import { createObjects, installCrds, sampleObjects } from '../test/harness/install.ts';
import { waitFor } from '../test/harness/net.ts';
import { createKwokNode } from '../test/harness/nodes.ts';
import { ensureNamespace, OperatorProcess } from '../test/harness/operator.ts';
import { processGroupMembers } from '../test/harness/processes.ts';
import { applyPolicy, createDeployment, sovereignBadge } from '../test/harness/world.ts';
import { measureKeepAlive } from './keep-alive.ts';
import { median, spread } from './stats.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RUNS = env('BENCH_RUNS', 3);
const NODES = env('BENCH_NODES', 200);
const PODS = env('BENCH_PODS', 1_000);
const BULK_PODS = env('BENCH_BULK_PODS', 1_000);
const SINGLE_PODS = env('BENCH_SINGLE_PODS', 100);
const SCALE_NODES = env('BENCH_SCALE_NODES', 1_000);
const SCALE_PODS = env('BENCH_SCALE_PODS', 2_000);
const QPS = env('BENCH_QPS', 200);
const OUT = join(import.meta.dirname, '..', '.tmp', 'bench');
const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const NS = 'bench';

type Pod = {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
};
type Node = { metadata: { name: string; labels?: Record<string, string> } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (message: string) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function provider(name: string) {
  return { name, legalJurisdiction: 'FR', ultimateParent: { name, legalJurisdiction: 'FR' } };
}

/** A cache of a collection, for watching progress without polling the API server. */
async function watchCache<T>(kc: KubeConfig, plural: string, namespace?: string, labelSelector?: string) {
  const reflector = new Reflector<ObjectWithMeta>({
    kubeConfig: kc,
    resource: { version: 'v1', plural, namespace },
    labelSelector,
    transform: plural === 'pods' ? podView : nodeView,
  });
  reflector.start();
  await reflector.synced;
  return { list: () => reflector.list() as unknown as T[], reflector, stop: () => reflector.stop() };
}

/** Polls `check` on every cache change (and every 50 ms) until it returns a value; resolves with the instant. */
async function when(description: string, check: () => boolean, timeoutMs: number): Promise<number> {
  return waitFor(description, () => (check() ? Date.now() : undefined), { timeoutMs, intervalMs: 50 });
}

async function world(kc: KubeConfig, services: string[]) {
  await installCrds(kc);
  await createObjects(
    kc,
    sampleObjects().filter((o) => o.kind === 'SovereigntyArea'),
  );
  for (const name of services) {
    await kubeRequest(kc, {
      method: 'POST',
      path: `/apis/${GROUP}/${VERSION}/cloudservices`,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'CloudService',
        metadata: { name },
        spec: { provider: provider(name), badges: [sovereignBadge('2028-01-01T00:00:00Z')] },
      },
    });
  }
}

async function createNodes(kc: KubeConfig, names: { name: string; cloudService: string }[]) {
  await forEachConcurrently(names, 16, async (n) => {
    await createKwokNode(kc, { ...n, country: 'FR', pods: 110 });
  });
}

async function setUnschedulable(kc: KubeConfig, names: string[], unschedulable: boolean) {
  await forEachConcurrently(names, 16, (name) =>
    kubeRequest<void>(kc, {
      method: 'PATCH',
      path: `/api/v1/nodes/${name}`,
      body: { spec: { unschedulable } },
      contentType: 'application/merge-patch+json',
    }),
  );
}

interface FailoverRun {
  operator: { firstEvictionS: number; lastEvictionS: number; allRunningS: number };
  floor: { firstDeletionS: number; lastDeletionS: number; allRunningS: number };
  admission: AdmissionRun;
  load: string;
}

interface AdmissionRun {
  single: { p50Ms: number; p99Ms: number; count: number };
  bulk: { p50Ms: number; p99Ms: number; count: number; podsPerS: number; refused: number };
  withoutWebhook: { podsPerS: number; refused: number };
}

/** Scenario 1 (and 4 on the same cluster). */
async function failoverRun(run: number): Promise<FailoverRun> {
  log(`failover run ${run + 1}/${RUNS}: starting a control plane (load ${load()})`);
  // A delete-collection of 1,000 pods outlasts the API server's default request timeout (60 s), after
  // which it answers 504 and stops deleting.
  const cluster = await TestCluster.start({
    name: 'bench',
    controllerQps: QPS,
    apiServerFlags: ['--request-timeout=10m'],
  });
  let operator: OperatorProcess | undefined;
  const caches: { stop: () => void }[] = [];
  try {
    const kc = cluster.adminKubeConfig();
    await world(kc, ['bench-a', 'bench-b']);
    await ensureNamespace(kc, NS, { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE });
    const half = Math.floor(NODES / 2);
    const a = Array.from({ length: half }, (_, i) => ({ name: `a-${i}`, cloudService: 'bench-a' }));
    const b = Array.from({ length: NODES - half }, (_, i) => ({ name: `b-${i}`, cloudService: 'bench-b' }));
    const aNames = new Set(a.map((n) => n.name));
    const bNames = new Set(b.map((n) => n.name));
    await createNodes(kc, [...a, ...b]);
    await setUnschedulable(kc, [...bNames], true);
    const nodes = await watchCache<Node>(kc, 'nodes');
    caches.push(nodes);
    operator = await OperatorProcess.start(cluster, { logLevel: 'info', leaderElect: false });
    await applyPolicy(
      kc,
      'bench',
      {
        selector: { matchLabels: { app: 'bench' } },
        requirement: { badges: ['Sovereign'], area: 'eu' },
        failover: { maxEvictionsPerMinute: 10_000, gracePeriod: '0s' },
      },
      NS,
    );
    await when(
      'every node labelled',
      () => nodes.list().filter((n) => n.metadata.labels?.[SOV_EU]).length === NODES,
      300_000,
    );
    const pods = await watchCache<Pod>(kc, 'pods', NS, 'app=bench');
    caches.push(pods);
    const live = () => pods.list().filter((p) => !p.metadata.deletionTimestamp);
    const runningOn = (names: Set<string>) =>
      live().filter((p) => p.status?.phase === 'Running' && names.has(p.spec?.nodeName ?? '')).length;
    await createDeployment(kc, 'bench', PODS, { app: 'bench' }, undefined, NS);
    await when(`${PODS} pods running on the first service`, () => runningOn(aNames) === PODS, 600_000);
    await setUnschedulable(kc, [...bNames], false);
    await sleep(3_000);
    log(`conformance loss: revoking bench-a (load ${load()})`);

    // The operator's failover.
    const original = new Set(pods.list().map((p) => p.metadata.uid));
    const gone = () => {
      const present = new Map(pods.list().map((p) => [p.metadata.uid, p]));
      let count = 0;
      for (const uid of original) {
        const p = present.get(uid);
        if (!p || p.metadata.deletionTimestamp) count++;
      }
      return count;
    };
    const t0 = Date.now();
    await kubeRequest(kc, {
      method: 'PATCH',
      path: `/apis/${GROUP}/${VERSION}/cloudservices/bench-a`,
      body: {
        spec: {
          badges: [{ ...sovereignBadge('2028-01-01T00:00:00Z'), revokedAt: new Date(t0).toISOString() }],
        },
      },
      contentType: 'application/merge-patch+json',
    });
    const first = when('first eviction', () => gone() > 0, 300_000);
    const last = when('last eviction', () => gone() === PODS, 600_000);
    const allRunning = when(
      'every replica running on conforming nodes',
      () => gone() === PODS && runningOn(bNames) === PODS && live().length === PODS,
      900_000,
    );
    const ours = {
      firstEvictionS: ((await first) - t0) / 1000,
      lastEvictionS: ((await last) - t0) / 1000,
      allRunningS: ((await allRunning) - t0) / 1000,
    };
    log(`operator: ${JSON.stringify(ours)}`);

    // The Kubernetes floor: Audit, then delete-collection of the same pods.
    await kubeRequest(kc, {
      method: 'PATCH',
      path: `/apis/${GROUP}/${VERSION}/namespaces/${NS}/sovereigntypolicies/bench`,
      body: { spec: { mode: 'Audit' } },
      contentType: 'application/merge-patch+json',
    });
    await sleep(5_000);
    const before = new Set(pods.list().map((p) => p.metadata.uid));
    const goneBefore = () => {
      const present = new Map(pods.list().map((p) => [p.metadata.uid, p]));
      let count = 0;
      for (const uid of before) {
        const p = present.get(uid);
        if (!p || p.metadata.deletionTimestamp) count++;
      }
      return count;
    };
    const runningNew = () =>
      live().filter((p) => !before.has(p.metadata.uid) && p.status?.phase === 'Running' && p.spec?.nodeName)
        .length;
    const t1 = Date.now();
    // One delete-collection (the bench's API server allows it 10 minutes; it deletes one pod at a time).
    const deleted = kubeRequest(kc, {
      method: 'DELETE',
      path: `/api/v1/namespaces/${NS}/pods`,
      query: { labelSelector: 'app=bench' },
      timeoutMs: 600_000,
    }).catch((error: unknown) => log(`delete-collection answered: ${(error as Error).message}`));
    const floorFirst = when('first deletion', () => goneBefore() > 0, 300_000);
    const floorLast = when('last deletion', () => goneBefore() === before.size, 600_000);
    const floorRunning = when('every replica running again', () => runningNew() === PODS, 900_000);
    await deleted;
    const floor = {
      firstDeletionS: ((await floorFirst) - t1) / 1000,
      lastDeletionS: ((await floorLast) - t1) / 1000,
      allRunningS: ((await floorRunning) - t1) / 1000,
    };
    log(`floor: ${JSON.stringify(floor)}`);

    const admission = await admissionRun(cluster, kc);
    log(`admission: ${JSON.stringify(admission)}`);
    return { operator: ours, floor, admission, load: load() };
  } finally {
    for (const c of caches) c.stop();
    await operator?.stop();
    keepLog(cluster, operator, `failover-${run + 1}`);
    await cluster.stop();
  }
}

/** The operator's log is kept beside the results, for reading what it did. */
function keepLog(cluster: TestCluster, operator: OperatorProcess | undefined, name: string) {
  if (!operator) return;
  try {
    copyFileSync(join(cluster.dir, `operator-${operator.identity}.log`), join(OUT, `operator-${name}.log`));
  } catch {
    // no log: the operator did not start
  }
}

/** Cumulative bucket counts of the webhook's admission histogram, from the API server's /metrics. */
async function webhookHistogram(cluster: TestCluster): Promise<Map<number, number>> {
  const res = await cluster.request('GET', '/metrics');
  const buckets = new Map<number, number>();
  for (const line of res.body.split('\n')) {
    if (!line.startsWith('apiserver_admission_webhook_admission_duration_seconds_bucket{')) continue;
    if (!line.includes('type="admit"') || !line.includes('operation="CREATE"')) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.split(' ').pop()));
  }
  return buckets;
}

/** Quantile of the observations between two snapshots, interpolated within buckets (histogram_quantile). */
function histogramQuantile(before: Map<number, number>, after: Map<number, number>, q: number) {
  const bounds = [...after.keys()].sort((x, y) => x - y);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total === 0) return { value: Number.NaN, count: 0 };
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if ((counts[i] as number) >= rank) {
      const upper = bounds[i] as number;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const below = i === 0 ? 0 : (counts[i - 1] as number);
      if (!Number.isFinite(upper)) return { value: lower, count: total };
      const inBucket = (counts[i] as number) - below;
      return { value: lower + (upper - lower) * ((rank - below) / inBucket), count: total };
    }
  }
  return { value: Number.NaN, count: total };
}

function barePod(name: string, labels: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'app', image: 'registry.example.eu/app:1.0' }] },
  };
}

async function createPods(
  kc: KubeConfig,
  namespace: string,
  prefix: string,
  count: number,
  concurrency: number,
) {
  let refused = 0;
  const started = Date.now();
  await forEachConcurrently(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      try {
        await kubeRequest(kc, {
          method: 'POST',
          path: `/api/v1/namespaces/${namespace}/pods`,
          body: barePod(`${prefix}-${i}`, { 'bench-admission': prefix }),
        });
      } catch (error) {
        refused++;
        if (refused <= 3) log(`pod creation refused: ${(error as Error).message}`);
      }
    },
  );
  return { podsPerS: count / ((Date.now() - started) / 1000), refused };
}

/** Scenario 4 on the failover cluster. */
async function admissionRun(cluster: TestCluster, kc: KubeConfig): Promise<AdmissionRun> {
  await applyPolicy(
    kc,
    'admission',
    {
      selector: { matchExpressions: [{ key: 'bench-admission', operator: 'Exists' }] },
      requirement: { badges: ['Sovereign'], area: 'eu' },
    },
    NS,
  );
  await ensureNamespace(kc, 'plain');
  await sleep(2_000);
  let before = await webhookHistogram(cluster);
  await createPods(kc, NS, 'single', SINGLE_PODS, 1);
  let after = await webhookHistogram(cluster);
  const s50 = histogramQuantile(before, after, 0.5);
  const s99 = histogramQuantile(before, after, 0.99);
  before = after;
  const bulk = await createPods(kc, NS, 'bulk', BULK_PODS, 50);
  after = await webhookHistogram(cluster);
  const b50 = histogramQuantile(before, after, 0.5);
  const b99 = histogramQuantile(before, after, 0.99);
  const without = await createPods(kc, 'plain', 'bulk', BULK_PODS, 50);
  return {
    single: { p50Ms: s50.value * 1000, p99Ms: s99.value * 1000, count: s50.count },
    bulk: { p50Ms: b50.value * 1000, p99Ms: b99.value * 1000, count: b50.count, ...bulk },
    withoutWebhook: without,
  };
}

interface ScaleRun {
  startToLabelsS: number;
  rssMiB: number;
  load: string;
}

function rssMiB(group: number | undefined): number {
  if (group === undefined) return Number.NaN;
  for (const pid of processGroupMembers(group)) {
    try {
      // The node process itself, not the guard script that started it (whose arguments are the same).
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv[0]?.endsWith('node') || !argv.some((a) => a.endsWith('src/operator/main.ts'))) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return Number(rss) / 1024;
    } catch {
      // the process ended meanwhile
    }
  }
  return Number.NaN;
}

/** Scenario 3, reduced: one cluster, the operator started RUNS times. */
async function scaleRuns(): Promise<ScaleRun[]> {
  log(`scale: ${SCALE_NODES} nodes, ${SCALE_PODS} pods (load ${load()})`);
  const cluster = await TestCluster.start({ name: 'bench-scale', controllerQps: QPS });
  const caches: { stop: () => void }[] = [];
  let operator: OperatorProcess | undefined;
  try {
    const kc = cluster.adminKubeConfig();
    await world(kc, ['scale-a', 'scale-b']);
    await createNodes(
      kc,
      Array.from({ length: SCALE_NODES }, (_, i) => ({
        name: `n-${i}`,
        cloudService: i % 2 ? 'scale-a' : 'scale-b',
      })),
    );
    // Not enrolled: the pods exist whether or not the operator (and its webhook) runs.
    await ensureNamespace(kc, 'scale');
    await applyPolicy(
      kc,
      'scale',
      { selector: {}, requirement: { badges: ['Sovereign'], area: 'eu' } },
      'scale',
    );
    await createDeployment(kc, 'scale', SCALE_PODS, { app: 'scale' }, undefined, 'scale');
    const pods = await watchCache<Pod>(kc, 'pods', 'scale');
    caches.push(pods);
    await when(
      `${SCALE_PODS} pods running`,
      () => pods.list().filter((p) => p.status?.phase === 'Running').length === SCALE_PODS,
      900_000,
    );
    const nodes = await watchCache<Node>(kc, 'nodes');
    caches.push(nodes);
    const runs: ScaleRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = Date.now();
      operator = await OperatorProcess.start(cluster, {
        logLevel: 'info',
        identity: `scale-${run}`,
        leaderElect: false,
      });
      const labelled = await when(
        'every node labelled',
        () => nodes.list().filter((n) => n.metadata.labels?.[SOV_EU]).length === SCALE_NODES,
        600_000,
      );
      await sleep(5_000);
      const result = {
        startToLabelsS: (labelled - started) / 1000,
        rssMiB: rssMiB(operator.processGroup),
        load: load(),
      };
      log(`scale run ${run + 1}: ${JSON.stringify(result)}`);
      runs.push(result);
      await operator.stop();
      operator = undefined;
      await forEachConcurrently(
        nodes.list().map((n) => n.metadata.name),
        32,
        (name) =>
          kubeRequest<void>(kc, {
            method: 'PATCH',
            path: `/api/v1/nodes/${name}`,
            body: { metadata: { labels: { [SOV_EU]: null } } },
            contentType: 'application/merge-patch+json',
          }),
      );
      await when('labels removed', () => nodes.list().every((n) => !n.metadata.labels?.[SOV_EU]), 120_000);
    }
    return runs;
  } finally {
    for (const c of caches) c.stop();
    await operator?.stop();
    await cluster.stop();
  }
}

function versions() {
  const bin = binDir();
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(join(bin, cmd), args, { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
    } catch {
      return 'unknown';
    }
  };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    commit,
    node: process.version,
    binaries: bin.split('/').at(-2) ?? bin,
    kubeApiserver: v('kube-apiserver', ['--version']),
  };
}

const fmt = (xs: number[], digits = 1) => `${median(xs).toFixed(digits)} (${spread(xs, digits)})`;

async function main() {
  mkdirSync(OUT, { recursive: true });
  const machine = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    uptimeAtStart: execFileSync('uptime', { encoding: 'utf8' }).trim(),
    ...versions(),
  };
  log(JSON.stringify(machine));
  const only = (process.env.BENCH_ONLY ?? 'keepalive,failover,scale').split(',');

  const results: Record<string, unknown> = {
    machine,
    settings: { RUNS, NODES, PODS, BULK_PODS, SINGLE_PODS, SCALE_NODES, SCALE_PODS, QPS },
  };
  const rows: [string, string, string][] = [];

  if (only.includes('keepalive')) {
    const cluster = await TestCluster.start({ name: 'bench-keepalive', controllers: false, kwok: false });
    try {
      const ka = await measureKeepAlive(cluster.adminKubeConfig());
      results.keepAlive = ka;
      rows.push(['100 sequential GETs, new connection each (ms)', fmt(ka.withoutMs, 0), '']);
      rows.push(['100 sequential GETs, kept-alive connection (ms)', fmt(ka.withMs, 0), '']);
    } finally {
      await cluster.stop();
    }
  }

  if (only.includes('failover')) {
    const runs: FailoverRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await failoverRun(i));
    results.failover = runs;
    const col = (f: (r: FailoverRun) => number) => runs.map(f);
    const ratio = col((r) => r.operator.allRunningS / r.floor.allRunningS);
    rows.push(
      [
        `1. first eviction after the revocation (s), ${NODES} nodes, ${PODS} pods`,
        fmt(
          col((r) => r.operator.firstEvictionS),
          2,
        ),
        '',
      ],
      ['1. last eviction (s)', fmt(col((r) => r.operator.lastEvictionS)), ''],
      ['1. all Running on conforming nodes (s)', fmt(col((r) => r.operator.allRunningS)), ''],
      [
        '1. floor: delete-collection, first pod gone (s)',
        fmt(
          col((r) => r.floor.firstDeletionS),
          2,
        ),
        '',
      ],
      ['1. floor: last pod gone (s)', fmt(col((r) => r.floor.lastDeletionS)), ''],
      ['1. floor: all Running again (s)', fmt(col((r) => r.floor.allRunningS)), ''],
      ['1. operator / floor, all Running', fmt(ratio, 2), 'target ≤ 1.3'],
      [
        '1. evictions per second (pods / last eviction)',
        fmt(col((r) => PODS / r.operator.lastEvictionS)),
        'target ≥ 100',
      ],
      [`4. webhook p50, pods created one at a time (ms)`, fmt(col((r) => r.admission.single.p50Ms)), ''],
      [`4. webhook p99, pods created one at a time (ms)`, fmt(col((r) => r.admission.single.p99Ms)), ''],
      [`4. webhook p50, ${BULK_PODS} pods 50 at a time (ms)`, fmt(col((r) => r.admission.bulk.p50Ms)), ''],
      [
        `4. webhook p99, ${BULK_PODS} pods 50 at a time (ms)`,
        fmt(col((r) => r.admission.bulk.p99Ms)),
        'target < 10',
      ],
      ['4. pods/s created, with the webhook', fmt(col((r) => r.admission.bulk.podsPerS)), ''],
      ['4. pods/s created, without the webhook', fmt(col((r) => r.admission.withoutWebhook.podsPerS)), ''],
      [
        '4. creations refused (with the webhook)',
        fmt(
          col((r) => r.admission.bulk.refused),
          0,
        ),
        'target 0',
      ],
    );
  }

  if (only.includes('scale')) {
    const runs = await scaleRuns();
    results.scale = runs;
    rows.push(
      [
        `3. start to every verdict label (s), ${SCALE_NODES} nodes, ${SCALE_PODS} pods`,
        fmt(runs.map((r) => r.startToLabelsS)),
        '',
      ],
      [
        `3. operator resident memory (MiB), ${SCALE_NODES} nodes, ${SCALE_PODS} pods`,
        fmt(
          runs.map((r) => r.rssMiB),
          0,
        ),
        '',
      ],
    );
  }

  const uptimeAtEnd = execFileSync('uptime', { encoding: 'utf8' }).trim();
  results.uptimeAtEnd = uptimeAtEnd;
  const md = [
    `Run ${machine.date} at ${machine.commit}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB; ` +
      `Node ${machine.node}; ${machine.kubeApiserver} (${machine.binaries}); controllers at ${QPS} QPS.`,
    `Load at start: ${machine.uptimeAtStart}. At end: ${uptimeAtEnd}.`,
    `Each figure: median of ${RUNS} runs (min–max).`,
    '',
    '| measure | median (min–max) | note |',
    '| --- | --- | --- |',
    ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
    '',
  ].join('\n');
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(OUT, 'results.md'), md);
  console.log(md);
  console.log(`written to ${OUT}/results.json and results.md`);
}

await main();
