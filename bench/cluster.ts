// make bench: the operator on the local control plane with KWOK nodes, beside what Kubernetes itself
// and the descheduler do in the same run. Prints a table and writes .tmp/bench/results.json and
// results.md. Every figure is the median of BENCH_RUNS runs (default 3) with the spread (min–max);
// benchmarks, never assertions.
//
//   1. Conformance loss: BENCH_NODES KWOK nodes (default 200) of two Sovereign-EU cloud services, a
//      Deployment of BENCH_PODS replicas (default 1,000) on the first service's nodes, an Enforce policy
//      allowing 10,000 evictions a minute. The first service's badge is revoked: time to the first and
//      last eviction and until every replica runs on the other service's nodes, and the operator's CPU
//      seconds meanwhile. The Kubernetes floor in the same run: the policy set to Audit, the same pods
//      removed with one delete-collection, time until as many replicas run again. The descheduler in the
//      same run (bench/descheduler.ts), at each of BENCH_DESCHEDULER_INTERVALS (default 2m, the chart's
//      CronJob schedule, and 1s): a Deployment of as many replicas in a namespace the operator does not
//      see, pinned by required node affinity to nodes labelled bench.example/conforming, the revocation
//      represented by removing that label from the first service's nodes.
//   1b. No conforming capacity left (BENCH_NO_CAPACITY_PODS pods per case, default 100, on one service's
//      nodes, its badge revoked and its nodes' label removed): pods left on non-conforming nodes under a
//      policy with onNoConformingCapacity Evict, one with Retain, and the descheduler at 1s.
//   2. Node failure: BENCH_FAILURE_PODS policy pods (default 100) on one failable KWOK node whose
//      heartbeats stop; time until as many replacements run elsewhere with the policy's
//      nodeFailureToleration (BENCH_FAILURE_TOLERATION, default 30s) and, in the first
//      BENCH_FAILURE_DEFAULT_RUNS runs (default 1: it takes over 5 minutes), with Kubernetes' default 300 s.
//   4. Admission: the API server's own histogram apiserver_admission_webhook_admission_duration_seconds
//      (p50/p99 interpolated in its buckets, as Prometheus' histogram_quantile does), for pods created
//      one at a time and BENCH_BULK_PODS (default 1,000) created 50 at a time; pods/s created with the
//      webhook (enrolled namespace) and without (a namespace the webhook does not see); refusals.
//   3. Scale (reduced to what a 2-core machine holds): BENCH_SCALE_NODES nodes (default 1,000) of three
//      cloud services (one of them 10% of the nodes) and BENCH_SCALE_PODS pods (default 2,000), the
//      operator started BENCH_RUNS times: time from the process start to every node's verdict label, its
//      CPU seconds until then, its CPU over a minute of steady state, its resident memory, and the time
//      until the 10% service's nodes lose their label once its badge is revoked.
//   Keep-alive: 100 sequential GETs with and without a kept-alive connection (bench/keep-alive.ts).
//   5. Federation: a hub and three member control planes with default probes and grace; the member
//      running a SovereignWorkload loses its API server (bench/federation.ts).
//
// BENCH_ONLY (default keepalive,failover,nocapacity,nodefailure,scale,federation) selects scenarios. The harness
// starts kube-controller-manager and kube-scheduler at BENCH_QPS (default 200) QPS. The operator runs
// as one replica without leader election: the harness's lease (6 s, renewed within 4 s) is shortened
// for tests and lapses on a machine this loaded, which would measure the lease, not the work.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
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
import { applyPolicy, createDeployment, sovereignBadge } from '../test/harness/world.ts';
import { Descheduler, deschedulerVersion } from './descheduler.ts';
import { federationRuns } from './federation.ts';
import { measureKeepAlive } from './keep-alive.ts';
import { cpuSeconds, operatorPid, rssMiB } from './process-usage.ts';
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
const DESCHEDULER_INTERVALS = (process.env.BENCH_DESCHEDULER_INTERVALS ?? '2m,1s').split(',').filter(Boolean);
const NO_CAPACITY_PODS = env('BENCH_NO_CAPACITY_PODS', 100);
const FAILURE_PODS = env('BENCH_FAILURE_PODS', 100);
const FAILURE_TOLERATION = process.env.BENCH_FAILURE_TOLERATION ?? '30s';
const FAILURE_DEFAULT_RUNS = env('BENCH_FAILURE_DEFAULT_RUNS', 1);
/** The label the descheduler's pods are pinned to: its stand-in for the verdict label. */
const CONFORMING = 'bench.example/conforming';
const DS_NS = 'desched';
const OUT = join(import.meta.dirname, '..', '.tmp', 'bench');
const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const NS = 'bench';

type Pod = {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
};
type Node = {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
};

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

async function labelNodes(kc: KubeConfig, names: string[], labels: Record<string, string | null>) {
  await forEachConcurrently(names, 16, (name) =>
    kubeRequest<void>(kc, {
      method: 'PATCH',
      path: `/api/v1/nodes/${name}`,
      body: { metadata: { labels } },
      contentType: 'application/merge-patch+json',
    }),
  );
}

/** A Deployment whose pods require nodes labelled CONFORMING=true (the descheduler's side). */
async function createPinnedDeployment(kc: KubeConfig, namespace: string, name: string, replicas: number) {
  const labels = { app: name };
  await kubeRequest(kc, {
    method: 'POST',
    path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: CONFORMING, operator: 'In', values: ['true'] }] },
                  ],
                },
              },
            },
            containers: [{ name: 'app', image: 'registry.example.eu/app:1.0' }],
          },
        },
      },
    },
  });
}

/** Counters over a pod cache: pods gone (or terminating) of a set taken now, and pods running on nodes. */
function podCounters(pods: { list: () => Pod[] }) {
  const live = () => pods.list().filter((p) => !p.metadata.deletionTimestamp);
  const runningOn = (names: Set<string>) =>
    live().filter((p) => p.status?.phase === 'Running' && names.has(p.spec?.nodeName ?? '')).length;
  const onNodes = (names: Set<string>) => live().filter((p) => names.has(p.spec?.nodeName ?? '')).length;
  const goneCounter = () => {
    const original = new Set(pods.list().map((p) => p.metadata.uid));
    return () => {
      const present = new Map(pods.list().map((p) => [p.metadata.uid, p]));
      let count = 0;
      for (const uid of original) {
        const p = present.get(uid);
        if (!p || p.metadata.deletionTimestamp) count++;
      }
      return count;
    };
  };
  return { live, runningOn, onNodes, goneCounter };
}

async function revoke(kc: KubeConfig, service: string, at: number) {
  await kubeRequest(kc, {
    method: 'PATCH',
    path: `/apis/${GROUP}/${VERSION}/cloudservices/${service}`,
    body: {
      spec: {
        badges: [{ ...sovereignBadge('2028-01-01T00:00:00Z'), revokedAt: new Date(at).toISOString() }],
      },
    },
    contentType: 'application/merge-patch+json',
  });
}

async function restoreBadge(kc: KubeConfig, service: string) {
  await kubeRequest(kc, {
    method: 'PATCH',
    path: `/apis/${GROUP}/${VERSION}/cloudservices/${service}`,
    body: { spec: { badges: [sovereignBadge('2028-01-01T00:00:00Z')] } },
    contentType: 'application/merge-patch+json',
  });
}

interface Moved {
  firstEvictionS: number;
  lastEvictionS: number;
  allRunningS: number;
}

interface DeschedulerCase extends Moved {
  /** Time to remove the label from the failed nodes (the revocation, for the descheduler). */
  labelsRemovedS: number;
  evictionsLogged: number;
}

/**
 * The descheduler moves PODS pods, running on `from`, to `to`: started at `interval`, its first cycle
 * done, then the CONFORMING label is removed from `from`. The revocation thus lands just after a cycle:
 * the worst case of the interval (on average it lands half an interval sooner).
 */
async function deschedulerCase(
  cluster: TestCluster,
  kc: KubeConfig,
  pods: { list: () => Pod[] },
  from: Set<string>,
  to: Set<string>,
  interval: string,
  name: string,
): Promise<DeschedulerCase> {
  const { live, runningOn, goneCounter } = podCounters(pods);
  const descheduler = await Descheduler.start(cluster, interval, [DS_NS], name);
  try {
    await descheduler.waitForCycles(1, 300_000);
    log(
      `descheduler ${interval}: first cycle done; removing the label from ${from.size} nodes (load ${load()})`,
    );
    const gone = goneCounter();
    const t0 = Date.now();
    await labelNodes(kc, [...from], { [CONFORMING]: null });
    const labelsRemovedS = (Date.now() - t0) / 1000;
    const first = when('first descheduler eviction', () => gone() > 0, 900_000);
    const last = when('last descheduler eviction', () => gone() === PODS, 1_200_000);
    const allRunning = when(
      'every replica running on labelled nodes',
      () => gone() === PODS && runningOn(to) === PODS && live().length === PODS,
      1_500_000,
    );
    const result = {
      firstEvictionS: ((await first) - t0) / 1000,
      lastEvictionS: ((await last) - t0) / 1000,
      allRunningS: ((await allRunning) - t0) / 1000,
      labelsRemovedS,
      evictionsLogged: descheduler.evictions(),
    };
    log(`descheduler ${interval}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await descheduler.stop();
    try {
      copyFileSync(descheduler.logFile, join(OUT, `${name}.log`));
    } catch {
      // no log
    }
  }
}

interface FailoverRun {
  operator: Moved & { cpuS: number };
  floor: { firstDeletionS: number; lastDeletionS: number; allRunningS: number };
  descheduler: Record<string, DeschedulerCase>;
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
    const pid = operatorPid(operator.processGroup);
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    await revoke(kc, 'bench-a', t0);
    const first = when('first eviction', () => gone() > 0, 300_000);
    const last = when('last eviction', () => gone() === PODS, 600_000);
    const allRunning = when(
      'every replica running on conforming nodes',
      () => gone() === PODS && runningOn(bNames) === PODS && live().length === PODS,
      900_000,
    );
    const allRunningAt = await allRunning;
    const ours = {
      firstEvictionS: ((await first) - t0) / 1000,
      lastEvictionS: ((await last) - t0) / 1000,
      allRunningS: (allRunningAt - t0) / 1000,
      cpuS: cpuSeconds(pid) - cpu0,
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

    // The descheduler, on as many pods pinned by required node affinity to labelled nodes, in a
    // namespace the operator does not see. All nodes labelled; the pods placed on the first service's
    // nodes (the second's cordoned meanwhile); each interval moves them from one service's nodes to the
    // other's, the first from a to b, the next back.
    const descheduler: Record<string, DeschedulerCase> = {};
    if (DESCHEDULER_INTERVALS.length) {
      await ensureNamespace(kc, DS_NS);
      await labelNodes(kc, [...aNames, ...bNames], { [CONFORMING]: 'true' });
      await setUnschedulable(kc, [...bNames], true);
      const dpods = await watchCache<Pod>(kc, 'pods', DS_NS, 'app=desched');
      caches.push(dpods);
      await createPinnedDeployment(kc, DS_NS, 'desched', PODS);
      await when(
        `${PODS} descheduler pods running on the first service`,
        () => podCounters(dpods).runningOn(aNames) === PODS,
        600_000,
      );
      await setUnschedulable(kc, [...bNames], false);
      let [from, to] = [aNames, bNames];
      for (const interval of DESCHEDULER_INTERVALS) {
        await labelNodes(kc, [...to], { [CONFORMING]: 'true' });
        await sleep(3_000);
        descheduler[interval] = await deschedulerCase(
          cluster,
          kc,
          dpods,
          from,
          to,
          interval,
          `descheduler-${run + 1}-${interval}`,
        );
        [from, to] = [to, from];
      }
    }

    const admission = await admissionRun(cluster, kc);
    log(`admission: ${JSON.stringify(admission)}`);
    return { operator: ours, floor, descheduler, admission, load: load() };
  } finally {
    for (const c of caches) c.stop();
    log('failover: stopping the operator');
    await operator?.stop();
    keepLog(cluster, operator, `failover-${run + 1}`);
    log('failover: stopping the control plane');
    await cluster.stop();
    log('failover: stopped');
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

interface NoCapacityRun {
  /** Pods still on the (now non-conforming) nodes once the operator and the descheduler have acted. */
  leftEvict: number;
  leftRetain: number;
  leftDescheduler: number;
  /** Time until the Evict policy's last pod was evicted. */
  evictAllS: number;
  /** Descheduling cycles completed after the labels were removed, until the pods were counted. */
  deschedulerCycles: number;
  deschedulerEvictions: number;
}

/**
 * Scenario 1b: every node of the only Sovereign-EU service stops conforming (its badge revoked, and for
 * the descheduler its nodes' label removed), so no conforming capacity is left anywhere.
 */
async function noCapacityRun(run: number): Promise<NoCapacityRun> {
  log(`no-capacity run ${run + 1}/${RUNS}: starting a control plane (load ${load()})`);
  const cluster = await TestCluster.start({ name: 'bench-nocap', controllerQps: QPS });
  let operator: OperatorProcess | undefined;
  let descheduler: Descheduler | undefined;
  const caches: { stop: () => void }[] = [];
  const name = `descheduler-nocap-${run + 1}`;
  try {
    const kc = cluster.adminKubeConfig();
    await world(kc, ['nc-a']);
    await ensureNamespace(kc, NS, { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE });
    await ensureNamespace(kc, DS_NS);
    const perNode = 110;
    const count = Math.max(2, Math.ceil((3 * NO_CAPACITY_PODS) / (perNode * 0.8)));
    const nodeNames = Array.from({ length: count }, (_, i) => `nc-${i}`);
    await createNodes(
      kc,
      nodeNames.map((n) => ({ name: n, cloudService: 'nc-a' })),
    );
    const all = new Set(nodeNames);
    await labelNodes(kc, nodeNames, { [CONFORMING]: 'true' });
    const nodes = await watchCache<Node>(kc, 'nodes');
    caches.push(nodes);
    operator = await OperatorProcess.start(cluster, { logLevel: 'info', leaderElect: false });
    for (const policy of ['Evict', 'Retain'] as const) {
      await applyPolicy(
        kc,
        `nc-${policy.toLowerCase()}`,
        {
          selector: { matchLabels: { app: `nc-${policy.toLowerCase()}` } },
          requirement: { badges: ['Sovereign'], area: 'eu' },
          failover: { maxEvictionsPerMinute: 10_000, gracePeriod: '0s', onNoConformingCapacity: policy },
        },
        NS,
      );
    }
    await when(
      'every node labelled',
      () => nodes.list().filter((n) => n.metadata.labels?.[SOV_EU]).length === count,
      300_000,
    );
    const evictPods = await watchCache<Pod>(kc, 'pods', NS, 'app=nc-evict');
    const retainPods = await watchCache<Pod>(kc, 'pods', NS, 'app=nc-retain');
    const dPods = await watchCache<Pod>(kc, 'pods', DS_NS, 'app=desched');
    caches.push(evictPods, retainPods, dPods);
    await createDeployment(kc, 'nc-evict', NO_CAPACITY_PODS, { app: 'nc-evict' }, undefined, NS);
    await createDeployment(kc, 'nc-retain', NO_CAPACITY_PODS, { app: 'nc-retain' }, undefined, NS);
    await createPinnedDeployment(kc, DS_NS, 'desched', NO_CAPACITY_PODS);
    await when(
      `${3 * NO_CAPACITY_PODS} pods running`,
      () => [evictPods, retainPods, dPods].every((c) => podCounters(c).runningOn(all) === NO_CAPACITY_PODS),
      600_000,
    );
    // The descheduler at its shortest interval, the most eager it can be.
    descheduler = await Descheduler.start(cluster, '1s', [DS_NS], name);
    await descheduler.waitForCycles(1, 300_000);
    log(`no capacity: revoking nc-a and removing the label from its nodes (load ${load()})`);
    const gone = podCounters(evictPods).goneCounter();
    const t0 = Date.now();
    await Promise.all([revoke(kc, 'nc-a', t0), labelNodes(kc, nodeNames, { [CONFORMING]: null })]);
    const cyclesAtRemoval = descheduler.cycles();
    const evictedAll = await when(
      'the Evict policy evicts every pod',
      () => gone() === NO_CAPACITY_PODS,
      600_000,
    );
    // A window long enough for the Retain policy to act if it were going to (30 s after the revocation)
    // and for the descheduler to complete two cycles begun after the labels went: a cycle under way
    // while they were being removed works from the nodes as it listed them, some still labelled, and
    // evicts towards them.
    await sleep(Math.max(30_000 - (Date.now() - t0), 5_000));
    await descheduler.waitForCycles(cyclesAtRemoval + 3, 600_000);
    const result = {
      leftEvict: podCounters(evictPods).onNodes(all),
      leftRetain: podCounters(retainPods).onNodes(all),
      leftDescheduler: podCounters(dPods).onNodes(all),
      evictAllS: (evictedAll - t0) / 1000,
      deschedulerCycles: descheduler.cycles() - cyclesAtRemoval,
      deschedulerEvictions: descheduler.evictions(),
    };
    log(`no capacity: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const c of caches) c.stop();
    await descheduler?.stop();
    if (descheduler) {
      try {
        copyFileSync(descheduler.logFile, join(OUT, `${name}.log`));
      } catch {
        // no log
      }
    }
    await operator?.stop();
    keepLog(cluster, operator, `nocap-${run + 1}`);
    await cluster.stop();
  }
}

interface NodeFailureRun {
  /** From the node's last heartbeat to its Ready condition leaving True, as kube-controller-manager sees it. */
  notReadyS: number;
  /** From the heartbeats stopping to every replacement Running on another node. */
  shortS: number;
  defaultS?: number;
}

/**
 * Scenario 2: FAILURE_PODS policy pods on one failable KWOK node (and as many under a policy without
 * nodeFailureToleration, in the runs that measure Kubernetes' default); its KWOK controller stops, so the
 * node's lease and heartbeats stop as when its kubelet dies.
 */
async function nodeFailureRun(run: number, withDefault: boolean): Promise<NodeFailureRun> {
  log(
    `node-failure run ${run + 1}/${RUNS}${withDefault ? ' (with the default tolerations)' : ''} (load ${load()})`,
  );
  // Kubernetes' default node-monitor-grace-period (50 s), where the harness's default is 40 s.
  const cluster = await TestCluster.start({
    name: 'bench-nodefail',
    controllerQps: QPS,
    nodeMonitorGracePeriod: '50s',
  });
  let operator: OperatorProcess | undefined;
  const caches: { stop: () => void }[] = [];
  try {
    const kc = cluster.adminKubeConfig();
    await world(kc, ['nf-a']);
    await ensureNamespace(kc, NS, { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE });
    const failing = 'nf-failing';
    const healthy = Array.from({ length: 10 }, (_, i) => `nf-${i}`);
    const healthySet = new Set(healthy);
    await createKwokNode(kc, {
      name: failing,
      cloudService: 'nf-a',
      country: 'FR',
      pods: 2 * FAILURE_PODS + 20,
      failable: true,
    });
    await createNodes(
      kc,
      healthy.map((name) => ({ name, cloudService: 'nf-a' })),
    );
    await setUnschedulable(kc, healthy, true);
    const nodes = await watchCache<Node>(kc, 'nodes');
    caches.push(nodes);
    operator = await OperatorProcess.start(cluster, { logLevel: 'info', leaderElect: false });
    const cases = withDefault ? (['short', 'default'] as const) : (['short'] as const);
    for (const c of cases) {
      await applyPolicy(
        kc,
        `nf-${c}`,
        {
          selector: { matchLabels: { app: `nf-${c}` } },
          requirement: { badges: ['Sovereign'], area: 'eu' },
          failover: {
            maxEvictionsPerMinute: 10_000,
            ...(c === 'short' ? { nodeFailureToleration: FAILURE_TOLERATION } : {}),
          },
        },
        NS,
      );
    }
    await when(
      'every node labelled',
      () => nodes.list().filter((n) => n.metadata.labels?.[SOV_EU]).length === healthy.length + 1,
      300_000,
    );
    const pods = new Map<string, { list: () => Pod[]; stop: () => void }>();
    for (const c of cases) {
      const cache = await watchCache<Pod>(kc, 'pods', NS, `app=nf-${c}`);
      caches.push(cache);
      pods.set(c, cache);
      await createDeployment(kc, `nf-${c}`, FAILURE_PODS, { app: `nf-${c}` }, undefined, NS);
    }
    const failingSet = new Set([failing]);
    await when(
      `${cases.length * FAILURE_PODS} pods running on the failing node`,
      () => [...pods.values()].every((c) => podCounters(c).runningOn(failingSet) === FAILURE_PODS),
      600_000,
    );
    await setUnschedulable(kc, healthy, false);
    await sleep(3_000);
    log(`node failure: stopping ${failing}'s heartbeats (load ${load()})`);
    const t0 = Date.now();
    await cluster.failNodes();
    const notReady = when(
      'the node NotReady',
      () =>
        nodes
          .list()
          .find((n) => n.metadata.name === failing)
          ?.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True',
      600_000,
    );
    const replaced = (c: 'short' | 'default') => {
      const cache = pods.get(c);
      if (!cache) return undefined;
      return when(
        `${c}: every replacement running`,
        () => podCounters(cache).runningOn(healthySet) === FAILURE_PODS,
        1_200_000,
      );
    };
    const short = replaced('short');
    const dflt = withDefault ? replaced('default') : undefined;
    const result: NodeFailureRun = {
      notReadyS: ((await notReady) - t0) / 1000,
      shortS: (((await short) ?? Number.NaN) - t0) / 1000,
      ...(dflt ? { defaultS: (((await dflt) ?? Number.NaN) - t0) / 1000 } : {}),
    };
    log(`node failure: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const c of caches) c.stop();
    await operator?.stop();
    keepLog(cluster, operator, `nodefail-${run + 1}`);
    await cluster.stop();
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
  /** CPU seconds of the operator from its start until every node was labelled. */
  cpuToLabelsS: number;
  /** CPU seconds of the operator over STEADY_S of steady state, per minute. */
  steadyCpuSPerMin: number;
  rssMiB: number;
  /** From the revocation of the service holding 10% of the nodes until none of them has the label. */
  tenPercentChangeS: number;
  load: string;
}

const STEADY_S = 60;

/** Scenario 3, reduced: one cluster, the operator started RUNS times. */
async function scaleRuns(): Promise<ScaleRun[]> {
  log(`scale: ${SCALE_NODES} nodes, ${SCALE_PODS} pods (load ${load()})`);
  const cluster = await TestCluster.start({ name: 'bench-scale', controllerQps: QPS });
  const caches: { stop: () => void }[] = [];
  let operator: OperatorProcess | undefined;
  try {
    const kc = cluster.adminKubeConfig();
    await world(kc, ['scale-a', 'scale-b', 'scale-c']);
    // One service in ten nodes, for the CloudService change that affects 10% of the nodes.
    const serviceOf = (i: number) => (i % 10 === 0 ? 'scale-c' : i % 2 ? 'scale-a' : 'scale-b');
    const tenth = new Set(
      Array.from({ length: SCALE_NODES }, (_, i) => i)
        .filter((i) => i % 10 === 0)
        .map((i) => `n-${i}`),
    );
    await createNodes(
      kc,
      Array.from({ length: SCALE_NODES }, (_, i) => ({ name: `n-${i}`, cloudService: serviceOf(i) })),
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
      const pid = operatorPid(operator.processGroup);
      const cpuToLabelsS = cpuSeconds(pid);
      await sleep(5_000);
      const steady0 = cpuSeconds(pid);
      await sleep(STEADY_S * 1000);
      const steadyCpuSPerMin = ((cpuSeconds(pid) - steady0) * 60) / STEADY_S;
      const memory = rssMiB(pid);
      const t0 = Date.now();
      await revoke(kc, 'scale-c', t0);
      const changed = await when(
        "the 10% service's nodes unlabelled",
        () => nodes.list().every((n) => !tenth.has(n.metadata.name) || !n.metadata.labels?.[SOV_EU]),
        600_000,
      );
      const result: ScaleRun = {
        startToLabelsS: (labelled - started) / 1000,
        cpuToLabelsS,
        steadyCpuSPerMin,
        rssMiB: memory,
        tenPercentChangeS: (changed - t0) / 1000,
        load: load(),
      };
      log(`scale run ${run + 1}: ${JSON.stringify(result)}`);
      runs.push(result);
      await operator.stop();
      operator = undefined;
      await restoreBadge(kc, 'scale-c');
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
    descheduler: `descheduler ${/GitVersion:(\S+)/.exec(deschedulerVersion())?.[1] ?? deschedulerVersion()}`,
  };
}

/** Median (min–max); a figure of fewer runs than RUNS says how many. */
const fmt = (xs: number[], digits = 1) =>
  xs.length === 0
    ? 'not measured'
    : xs.length === 1
      ? `${(xs[0] as number).toFixed(digits)} (1 run)`
      : `${median(xs).toFixed(digits)} (${spread(xs, digits)})${xs.length === RUNS ? '' : `, ${xs.length} runs`}`;

async function main() {
  mkdirSync(OUT, { recursive: true });
  // The harness's processes are unreferenced child processes: while the bench awaits one's exit (after
  // a SIGKILL, say) nothing else may keep the event loop alive, and Node would end with the await unsettled.
  const keepAlive = setInterval(() => {}, 60_000);
  const machine = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    uptimeAtStart: execFileSync('uptime', { encoding: 'utf8' }).trim(),
    ...versions(),
  };
  log(JSON.stringify(machine));
  const only = (process.env.BENCH_ONLY ?? 'keepalive,failover,nocapacity,nodefailure,scale,federation').split(
    ',',
  );

  const results: Record<string, unknown> = {
    machine,
    settings: {
      RUNS,
      NODES,
      PODS,
      BULK_PODS,
      SINGLE_PODS,
      SCALE_NODES,
      SCALE_PODS,
      QPS,
      DESCHEDULER_INTERVALS,
      NO_CAPACITY_PODS,
      FAILURE_PODS,
      FAILURE_TOLERATION,
      FAILURE_DEFAULT_RUNS,
    },
  };
  const rows: [string, string, string][] = [];
  // Written after every scenario, so that a run cut short keeps what it measured.
  const flush = (uptimeAtEnd?: string) => {
    if (uptimeAtEnd) results.uptimeAtEnd = uptimeAtEnd;
    const md = [
      `Run ${machine.date} at ${machine.commit}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB; ` +
        `Node ${machine.node}; ${machine.kubeApiserver}, ${machine.descheduler} (${machine.binaries}); controllers at ${QPS} QPS.`,
      `Load at start: ${machine.uptimeAtStart}. At end: ${uptimeAtEnd ?? '(still running)'}.`,
      `Each figure: median of ${RUNS} runs (min–max) unless it says otherwise.`,
      '',
      '| measure | median (min–max) | note |',
      '| --- | --- | --- |',
      ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
      '',
    ].join('\n');
    writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(OUT, 'results.md'), md);
    return md;
  };

  if (only.includes('keepalive')) {
    const cluster = await TestCluster.start({ name: 'bench-keepalive', controllers: false, kwok: false });
    try {
      const ka = await measureKeepAlive(cluster.adminKubeConfig());
      results.keepAlive = ka;
      rows.push(['100 sequential GETs, new connection each (ms)', fmt(ka.withoutMs, 0), '']);
      rows.push(['100 sequential GETs, kept-alive connection (ms)', fmt(ka.withMs, 0), '']);
      log(`keep-alive: ${JSON.stringify(ka)}`);
      flush();
    } finally {
      await cluster.stop();
    }
  }

  if (only.includes('failover')) {
    const runs: FailoverRun[] = [];
    results.failover = runs;
    for (let i = 0; i < RUNS; i++) {
      runs.push(await failoverRun(i));
      flush(); // each run's figures kept in results.json as soon as it ends
    }
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
      ['1. operator CPU seconds, revocation to all Running', fmt(col((r) => r.operator.cpuS)), ''],
    );
    for (const interval of DESCHEDULER_INTERVALS) {
      const d = (f: (c: DeschedulerCase) => number) =>
        runs.flatMap((r) => (r.descheduler[interval] ? [f(r.descheduler[interval])] : []));
      const dRatio = runs.flatMap((r) =>
        r.descheduler[interval] ? [r.descheduler[interval].allRunningS / r.floor.allRunningS] : [],
      );
      rows.push(
        [
          `1. descheduler every ${interval}: first eviction (s)`,
          fmt(d((c) => c.firstEvictionS)),
          'revocation just after a cycle',
        ],
        [`1. descheduler every ${interval}: last eviction (s)`, fmt(d((c) => c.lastEvictionS)), ''],
        [
          `1. descheduler every ${interval}: all Running on labelled nodes (s)`,
          fmt(d((c) => c.allRunningS)),
          '',
        ],
        [`1. descheduler every ${interval} / floor, all Running`, fmt(dRatio, 2), ''],
      );
    }
    rows.push(
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
    flush();
  }

  if (only.includes('nocapacity')) {
    const runs: NoCapacityRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await noCapacityRun(i));
    results.noCapacity = runs;
    const col = (f: (r: NoCapacityRun) => number) => runs.map(f);
    const n = NO_CAPACITY_PODS;
    rows.push(
      [
        `1b. no capacity left: pods left on non-conforming nodes, policy Evict (of ${n})`,
        fmt(
          col((r) => r.leftEvict),
          0,
        ),
        '',
      ],
      ['1b. no capacity left: Evict policy, last eviction (s)', fmt(col((r) => r.evictAllS)), ''],
      [
        `1b. no capacity left: pods left, policy Retain (of ${n})`,
        fmt(
          col((r) => r.leftRetain),
          0,
        ),
        'kept by choice, reported',
      ],
      [
        `1b. no capacity left: pods left, descheduler every 1s (of ${n})`,
        fmt(
          col((r) => r.leftDescheduler),
          0,
        ),
        `${fmt(
          col((r) => r.deschedulerCycles),
          0,
        )} cycles, ${fmt(
          col((r) => r.deschedulerEvictions),
          0,
        )} evictions logged`,
      ],
    );
    flush();
  }

  if (only.includes('nodefailure')) {
    const runs: NodeFailureRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await nodeFailureRun(i, i < FAILURE_DEFAULT_RUNS));
    results.nodeFailure = runs;
    rows.push(
      [
        '2. node failure: node NotReady after its heartbeats stop (s)',
        fmt(runs.map((r) => r.notReadyS)),
        'node-monitor-grace-period 50 s, the default',
      ],
      [
        `2. node failure: ${FAILURE_PODS} replacements Running, nodeFailureToleration ${FAILURE_TOLERATION} (s)`,
        fmt(runs.map((r) => r.shortS)),
        '',
      ],
      [
        `2. node failure: ${FAILURE_PODS} replacements Running, Kubernetes default 300 s (s)`,
        fmt(runs.flatMap((r) => (r.defaultS === undefined ? [] : [r.defaultS]))),
        '',
      ],
    );
    flush();
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
      ['3. operator CPU seconds, start to every verdict label', fmt(runs.map((r) => r.cpuToLabelsS)), ''],
      [
        `3. operator CPU seconds per minute, steady state (${STEADY_S} s)`,
        fmt(
          runs.map((r) => r.steadyCpuSPerMin),
          2,
        ),
        '',
      ],
      [
        `3. CloudService change on ${SCALE_NODES / 10} nodes (10%): revocation to their labels gone (s)`,
        fmt(runs.map((r) => r.tenPercentChangeS)),
        '',
      ],
    );
    flush();
  }

  if (only.includes('federation')) {
    const runs = await federationRuns(RUNS, log);
    results.federation = runs;
    rows.push(
      [
        "5. federation: member's API server stopped to its Ready=False on the hub (s)",
        fmt(runs.map((r) => r.notReadyS)),
        'default probes (5 s, 3 failures) and grace (20 s)',
      ],
      [
        '5. federation: stopped to the workload Available on another conforming member (s)',
        fmt(runs.map((r) => r.availableElsewhereS)),
        "Karmada's defaults: 40 s to NotReady, 300 s toleration, failover off; not run side by side yet",
      ],
      [
        "5. federation: the member's API server serving again to its copy removed (s)",
        fmt(runs.map((r) => r.cleanedS)),
        '',
      ],
    );
    flush();
  }

  const md = flush(execFileSync('uptime', { encoding: 'utf8' }).trim());
  clearInterval(keepAlive);
  console.log(md);
  console.log(`written to ${OUT}/results.json and results.md`);
}

await main();
