// Faults injected into failovers on a real control plane, with the invariant checker sampling the whole
// file: SIGKILL of the operator at seeded random points, SIGTERM, the leader of two replicas killed,
// kube-apiserver and etcd restarts, and a watch expired by compaction with a change made during the gap.
//
// Every failover is a "round": a Deployment runs on the nodes of one pool (a cloud service of its own),
// the pool's badge is revoked, and the pods must move to the other pool; the fault is injected while
// that happens. The sovereign sample nodes are cordoned, so the other pool is the only place to go.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutatingWebhookConfiguration } from '../../src/operator/webhook/configuration.ts';
import { TestCluster as Cluster, type TestCluster } from '../harness/cluster.ts';
import { assertNoViolations, InvariantChecker, type InvariantReport } from '../harness/invariants.ts';
import { freePort, waitFor } from '../harness/net.ts';
import { createKwokNode, waitForNodeReady } from '../harness/nodes.ts';
import { OPERATOR_NAMESPACE, OperatorProcess, WEBHOOK_CONFIGURATION } from '../harness/operator.ts';
import { TcpProxy } from '../harness/proxy.ts';
import {
  applyPolicy,
  buildWorld,
  createCloudService,
  createDeployment,
  setUnschedulable,
  sovereignBadge,
} from '../harness/world.ts';
import {
  Figures,
  faultSeed,
  metricSum,
  SOV_EU,
  seededRandom,
  setPoolBadge,
  sleep,
  waitForPodsOn,
  whenMetric,
} from './support.ts';

const APP = 'rounds';
const REPLICAS = 3;
const KILL_ROUNDS = 20;
const POOLS = {
  'pool-a': ['pool-a-1', 'pool-a-2'],
  'pool-b': ['pool-b-1', 'pool-b-2'],
} as const;
type Pool = keyof typeof POOLS;
const RECONCILES = 'sovereign_placement_reconcile_duration_seconds_count';

const seed = faultSeed();
const random = seededRandom(seed);
const figures = new Figures('operator-faults', seed);
let cluster: TestCluster;
let kc: KubeConfig;
let apiProxy: TcpProxy;
let webhookProxy: TcpProxy;
let proxiedKubeconfig: string;
/** The webhook ports of the two replicas, behind the webhook proxy. */
let webhookPorts: number[] = [];
let replicas: OperatorProcess[] = [];
let checker: InvariantChecker | undefined;
let report: InvariantReport | undefined;
/** The pool the Deployment runs on now. */
let current: Pool = 'pool-a';

const other = (pool: Pool): Pool => (pool === 'pool-a' ? 'pool-b' : 'pool-a');

beforeAll(async () => {
  // Without the watch cache, and with etcd compacted every second, a watch resumed from a resourceVersion
  // older than a few seconds gets 410 Gone: the watch-expiry fault needs that, and every other fault
  // runs under the harsher condition too.
  cluster = await Cluster.start({
    name: 'faults',
    apiServerFlags: ['--watch-cache=false', '--etcd-compaction-interval=1s'],
  });
  kc = await buildWorld(cluster);
  // The operator reaches the API server through a proxy the test can partition, and the API server
  // reaches the webhooks of every replica through a proxy, as through a Service.
  apiProxy = await TcpProxy.start(() => [Number(new URL(cluster.server).port)]);
  proxiedKubeconfig = join(cluster.dir, 'operator-via-proxy.kubeconfig');
  writeFileSync(
    proxiedKubeconfig,
    readFileSync(cluster.kubeconfigPath, 'utf8').replace(
      cluster.server,
      `https://127.0.0.1:${apiProxy.port}`,
    ),
  );
  webhookPorts = [await freePort(), await freePort()];
  webhookProxy = await TcpProxy.start(() => webhookPorts);
  await KubernetesObjectApi.makeApiClient(kc).create(
    mutatingWebhookConfiguration(WEBHOOK_CONFIGURATION, { url: webhookProxy.url }) as never,
  );
  replicas = [
    await OperatorProcess.start(cluster, {
      identity: 'operator-0',
      webhookPort: webhookPorts[0],
      kubeconfigPath: proxiedKubeconfig,
    }),
  ];
  checker = InvariantChecker.start(kc);

  for (const service of Object.keys(POOLS) as Pool[]) {
    await createCloudService(kc, service, {
      provider: {
        name: `${service} SAS`,
        legalJurisdiction: 'FR',
        ultimateParent: { name: `${service} Group`, legalJurisdiction: 'FR' },
      },
      badges: [sovereignBadge('2028-01-01T00:00:00Z')],
    });
    for (const name of POOLS[service])
      await createKwokNode(kc, { name, cloudService: service, country: 'FR' });
  }
  for (const nodes of Object.values(POOLS)) for (const name of nodes) await waitForNodeReady(kc, name);
  await setPoolBadge(kc, 'pool-b', Date.now());
  for (const name of ['sov-1', 'sov-2']) await setUnschedulable(kc, name, true);
  await applyPolicy(kc, APP, {
    selector: { matchLabels: { app: APP } },
    requirement: { badges: ['Sovereign'], area: 'eu' },
    // A short grace, so that kills land before, during and after it; a rate limit that the rounds
    // (a few seconds apart) never reach, so that every delay measured is the operator's own.
    failover: { gracePeriod: '2s', maxEvictionsPerMinute: 1000 },
  });
  await waitFor('pool-a verdict labels', async () => labelled('pool-a', true));
  await createDeployment(kc, APP, REPLICAS, { app: APP });
  await waitForPodsOn(kc, APP, REPLICAS, [...POOLS['pool-a']]);
  checker.note('setup done: 3 pods on pool-a');
}, 300_000);

afterAll(async () => {
  report ??= await checker?.stop();
  figures.save(report);
  for (const r of replicas) await r.stop();
  await apiProxy?.stop();
  await webhookProxy?.stop();
  await cluster?.stop();
});

async function labelled(pool: Pool, expected: boolean): Promise<boolean> {
  const list = await kc.makeApiClient(CoreV1Api).listNode();
  const nodes = list.items.filter((n) => (POOLS[pool] as readonly string[]).includes(n.metadata?.name ?? ''));
  return nodes.every((n) => (n.metadata?.labels?.[SOV_EU] !== undefined) === expected);
}

/**
 * One failover: the other pool conforms again, the current pool's badge is revoked, `fault` runs
 * meanwhile, and the round ends when every pod runs on the other pool. Returns the instant of the
 * revocation and of the end.
 */
async function round(
  what: string,
  fault: (revokedAt: number) => Promise<void>,
  beforeRevocation: () => Promise<void> = async () => {},
): Promise<{ revokedAt: number; doneAt: number }> {
  const from = current;
  const to = other(from);
  await setPoolBadge(kc, to);
  await waitFor(`${to} verdict labels`, async () => labelled(to, true), { timeoutMs: 120_000 });
  await beforeRevocation();
  const revokedAt = Date.now();
  checker?.note(`round "${what}": ${from} revoked, pods must move to ${to}`);
  await setPoolBadge(kc, from, revokedAt);
  await fault(revokedAt);
  await waitForPodsOn(kc, APP, REPLICAS, [...POOLS[to]]);
  const doneAt = Date.now();
  checker?.note(`round "${what}": every pod on ${to} after ${doneAt - revokedAt} ms`);
  current = to;
  return { revokedAt, doneAt };
}

/** The replica that leads now (its leader gauge is 1), waiting for one if none does. */
async function leader(): Promise<OperatorProcess> {
  return waitFor(
    'a leader',
    async () => {
      for (const r of replicas) {
        if (!r.running) continue;
        if ((await r.metric('sovereign_placement_leader').catch(() => 0)) === 1) return r;
      }
      return undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** Restarts a killed replica and measures the time from its start to its first policy reconcile. */
async function restartAndMeasure(operator: OperatorProcess, endOutage: () => void): Promise<void> {
  const startedAt = Date.now();
  await operator.resume();
  const readyAt = Date.now();
  const reconciledAt = await whenMetric(
    operator,
    RECONCILES,
    { controller: 'policies' },
    (v) => (v ?? 0) > 0,
  );
  endOutage();
  figures.duration('operator start to /readyz', readyAt - startedAt);
  figures.duration('operator start to first policy reconcile', reconciledAt - startedAt);
}

describe('faults during failover', () => {
  it(`SIGKILL of the operator at ${KILL_ROUNDS} seeded random points of a failover`, async () => {
    console.log(`fault seed: ${seed} (replay with FAULT_SEED=${seed} make test-faults)`);
    const operator = replicas[0] as OperatorProcess;
    // One round without a fault, for comparison.
    const baseline = await round('baseline', async () => {});
    figures.duration(
      'failover without a fault (revocation to every pod moved)',
      baseline.doneAt - baseline.revokedAt,
    );
    for (let i = 0; i < KILL_ROUNDS; i++) {
      // 0-6 s after the revocation: before the verdict label goes, within the 2 s grace, during the
      // evictions and while the replacements are being admitted and ungated.
      const killAfter = Math.floor(random() * 6_000);
      const downFor = Math.floor(random() * 1_500);
      const { revokedAt, doneAt } = await round(`kill ${i + 1}`, async (at) => {
        await sleep(Math.max(0, at + killAfter - Date.now()));
        await operator.kill();
        figures.fault('SIGKILL of the operator');
        const end = checker?.outage(`operator SIGKILLed ${killAfter} ms into round ${i + 1}`) ?? (() => {});
        await sleep(downFor);
        await restartAndMeasure(operator, end);
      });
      figures.duration('failover with a SIGKILL (revocation to every pod moved)', doneAt - revokedAt);
    }
    expect(operator.running).toBe(true);
  });

  it('SIGTERM mid-failover: the Lease is released and the process exits within its grace', async () => {
    const operator = replicas[0] as OperatorProcess;
    const logBefore = readFileSync(operator.logFile, 'utf8').length;
    let outcome: string | undefined;
    await round('SIGTERM', async (at) => {
      await sleep(Math.max(0, at + 2_500 - Date.now()));
      const end = checker?.outage('operator stopped with SIGTERM') ?? (() => {});
      const stopAt = Date.now();
      outcome = await operator.stop();
      figures.fault('SIGTERM of the operator');
      figures.duration('SIGTERM to exit', Date.now() - stopAt);
      const lease = await cluster.request(
        'GET',
        `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/sovereign-placement-leader`,
      );
      expect(lease.status).toBe(200);
      expect(JSON.parse(lease.body).spec?.holderIdentity ?? '').toBe('');
      await restartAndMeasure(operator, end);
    });
    expect(outcome).toBe('exited');
    // The drain logs "stopped" once every reconcile in flight has finished and the Lease is released.
    const log = readFileSync(operator.logFile, 'utf8').slice(logBefore);
    expect(log).toMatch(/"msg":"stopped"/);
  });

  it('two replicas: the leader is SIGKILLed mid-failover and the standby takes over', async () => {
    const standby = await OperatorProcess.start(cluster, {
      identity: 'operator-1',
      webhookPort: webhookPorts[1],
      kubeconfigPath: proxiedKubeconfig,
    });
    replicas.push(standby);
    for (let i = 0; i < 2; i++) {
      const leading = await leader();
      const next = replicas.find((r) => r !== leading) as OperatorProcess;
      await round(`leader ${leading.identity} killed`, async (at) => {
        await sleep(Math.max(0, at + 1_000 + Math.floor(random() * 3_000) - Date.now()));
        const killedAt = Date.now();
        await leading.kill();
        figures.fault('SIGKILL of the leader (two replicas)');
        const end = checker?.outage(`leader ${leading.identity} SIGKILLed`) ?? (() => {});
        const tookOverAt = await whenMetric(next, 'sovereign_placement_leader', {}, (v) => v === 1);
        end();
        figures.duration('leader SIGKILL to standby leading', tookOverAt - killedAt);
        await leading.resume();
      });
    }
  });

  it('kube-apiserver restart mid-failover', async () => {
    await round('kube-apiserver restart', async (at) => {
      await sleep(Math.max(0, at + 1_000 - Date.now()));
      const end = checker?.outage('kube-apiserver restarting') ?? (() => {});
      const t = await cluster.restartProcess('kube-apiserver');
      end();
      figures.fault('kube-apiserver restart');
      figures.duration('kube-apiserver down (stop to /readyz)', t.servingAt - t.stoppedAt);
    });
  });

  it('etcd restart mid-failover', async () => {
    await round('etcd restart', async (at) => {
      await sleep(Math.max(0, at + 1_000 - Date.now()));
      const end = checker?.outage('etcd restarting') ?? (() => {});
      const t = await cluster.restartProcess('etcd');
      // The API server serves again once it reaches etcd.
      await waitFor(
        'kube-apiserver ready after etcd',
        async () => (await cluster.request('GET', '/readyz')).status === 200,
      );
      end();
      figures.fault('etcd restart');
      figures.duration('etcd down (stop to /health)', t.servingAt - t.stoppedAt);
    });
  });

  it('watch expiry: the operator is cut off, the badge is revoked and compacted away, then it reconnects', async () => {
    const expiredBefore = await totalExpired();
    let healedAt = 0;
    let end = () => {};
    const { doneAt } = await round(
      'watch expiry by compaction',
      async () => {
        // The badge was revoked while the operator was cut off: keep it cut off for several compactions
        // (one a second), so that the revision its watches stopped at is gone, then let it reconnect.
        await sleep(5_000);
        apiProxy.heal();
        healedAt = Date.now();
        end();
      },
      async () => {
        apiProxy.partition();
        end = checker?.outage('operator partitioned from the API server') ?? (() => {});
        figures.fault('partition with a change compacted away');
      },
    );
    figures.duration('partition healed to every pod moved', doneAt - healedAt);
    // Resumed watches asked for a compacted resourceVersion and relisted: the 410 path really ran.
    expect(await totalExpired()).toBeGreaterThan(expiredBefore);
  });

  it('no invariant violation over the whole file', async () => {
    report = await (checker as InvariantChecker).stop();
    console.log(
      `operator faults: ${report.samples} invariant samples (${report.gaps} unreadable), ` +
        `${report.violations.length} violations; faults ${JSON.stringify(figures.data.faults)}`,
    );
    expect(report.samples).toBeGreaterThan(0);
    assertNoViolations(report);
  });
});

/** Watch restarts after a 410 Gone, over every live replica. */
async function totalExpired(): Promise<number> {
  let sum = 0;
  for (const r of replicas)
    if (r.running)
      sum += await metricSum(r, 'sovereign_placement_watch_restarts_total', { reason: 'Expired' });
  return sum;
}
