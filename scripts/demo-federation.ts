// `make demo-federation`: a hub and three member control planes on this machine (each its own
// kube-apiserver, controllers and KWOK nodes), the operator in hub mode, two SovereignWorkloads; then a
// badge nears its expiry, a member's API server is lost and comes back, and the demo prints the timeline
// of what the hub decides and does, as `make demo` does for one cluster.
import type { KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import type { TestCluster } from '../test/harness/cluster.ts';
import {
  availableOn,
  copiesOn,
  createWorkload,
  NORDCLOUD,
  readWorkload,
  registerMember,
  setSovereignBadge,
  startHub,
  startMember,
  type WorkloadObject,
  workloadCondition,
} from '../test/harness/federation.ts';
import { waitFor } from '../test/harness/net.ts';
import type { OperatorProcess } from '../test/harness/operator.ts';
import { RESILIENT, SOVEREIGN } from '../test/harness/world.ts';
import { kubectl } from '../test/integration/install/support.ts';

const program = new Command('demo-federation')
  .option('--keep', 'keep the hub, members and operator running after the timeline, until Ctrl-C')
  .parse();
const opts = program.opts<{ keep?: boolean }>();

const started = Date.now();
const say = (text: string) => {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5, '0');
  console.log(`[+${t}s] ${text}`);
};
const MEMBERS = ['paris', 'berlin', 'frankfurt'] as const;

async function main() {
  const members = new Map<string, TestCluster>();
  let hub: TestCluster | undefined;
  let operator: OperatorProcess | undefined;
  const cleanup = async () => {
    await operator?.stop();
    for (const m of members.values()) await m.stop();
    await hub?.stop();
  };
  let timelineDone = false;
  process.on('SIGINT', () => {
    say(timelineDone ? 'stopping (Ctrl-C)' : 'interrupted: cleaning up');
    void cleanup().then(() => process.exit(timelineDone ? 0 : 130));
  });
  try {
    say('starting three member control planes (etcd, kube-apiserver, controllers, two KWOK nodes each)');
    for (const name of MEMBERS) members.set(name, await startMember(name, 'demo'));
    say('starting the hub and the operator in hub mode (--hub)');
    const federation = await startHub('demo');
    hub = federation.hub;
    operator = federation.operator;
    const kc = federation.kc;
    const hubCluster = hub;
    const member = (name: string) => members.get(name) as TestCluster;
    await registerMember(kc, 'paris', member('paris'), { cloudService: SOVEREIGN });
    await registerMember(kc, 'berlin', member('berlin'), { cloudService: NORDCLOUD, country: 'DE' });
    await registerMember(kc, 'frankfurt', member('frankfurt'), { cloudService: RESILIENT, country: 'DE' });
    say(
      `members registered: paris (${SOVEREIGN}), berlin (${NORDCLOUD}), frankfurt (${RESILIENT}, Resilient only); default probes (5s, 3 failures) and grace (20s)`,
    );
    await waitFor(
      'members Ready',
      async () =>
        (await table(hubCluster, 'mcl')).split('\n').filter((l) => / True +True /.test(l)).length === 3,
      {
        timeoutMs: 120_000,
      },
    );
    for (const line of (await table(hubCluster, 'mcl')).split('\n')) console.log(`    ${line}`);

    await createWorkload(kc, 'ledger', 2, 2);
    await createWorkload(kc, 'api', 1, 1);
    say(
      'SovereignWorkloads payments/ledger (2 clusters, 2 providers) and payments/api (1 cluster) created, needing Sovereign/eu with a 1h lead time',
    );
    await follow(kc, 'api', availableOn('berlin'), 'api Available on berlin', 120_000);
    await follow(
      kc,
      'ledger',
      availableOn('paris', 'berlin'),
      'ledger Available on paris and berlin',
      120_000,
    );
    for (const line of (await table(hubCluster, 'swl')).split('\n')) console.log(`    ${line}`);
    const frankfurt = (await readWorkload(kc, 'ledger')).status?.rejected?.find(
      (r) => r.cluster === 'frankfurt',
    );
    console.log(
      `    frankfurt rejected: ${frankfurt?.reasons.map((r) => `[${r.code}] ${r.message}`).join(' ')}`,
    );

    const api = await readWorkload(kc, 'api');
    const expiresAt = new Date(Date.now() + 30 * 60_000).toISOString();
    await setSovereignBadge(kc, NORDCLOUD, expiresAt);
    say(
      `CloudService ${NORDCLOUD}: its Sovereign/eu badge now expires at ${expiresAt}, within the workloads' 1h lead time`,
    );
    await follow(kc, 'api', (w) => placementState(w, 'berlin') === 'Leaving', 'api leaving berlin');
    await follow(
      kc,
      'api',
      availableOn('paris'),
      'api Available on paris; its copy on berlin removed (make before break)',
      120_000,
    );
    say(
      `copies of api: paris ${await count(member('paris'), api)}, berlin ${await count(member('berlin'), api)}`,
    );
    const ledger = await readWorkload(kc, 'ledger');
    say(
      `ledger: ${workloadCondition(ledger, 'CapacityAvailable')?.message} ${(ledger.status?.placements ?? []).find((p) => p.cluster === 'berlin')?.reason?.message ?? ''}`,
    );
    await setSovereignBadge(kc, NORDCLOUD, '2028-01-01T00:00:00Z');
    say(`CloudService ${NORDCLOUD}: badge renewed until 2028`);
    await follow(
      kc,
      'ledger',
      availableOn('paris', 'berlin'),
      'ledger Available on paris and berlin again',
      120_000,
    );

    await member('paris').stopProcess('kube-apiserver');
    const lostAt = Date.now();
    say("paris's API server stopped");
    await follow(
      kc,
      'api',
      (w) => placementState(w, 'paris') === 'Leaving',
      'api leaving paris (unreachable past its grace period)',
      120_000,
    );
    await follow(
      kc,
      'api',
      (w) => workloadCondition(w, 'Available')?.status === 'True' && placementState(w, 'berlin') === 'Active',
      `api Available on berlin`,
      120_000,
    );
    say(
      `failover of a lost member: ${((Date.now() - lostAt) / 1000).toFixed(1)}s from the loss to Available elsewhere, with default settings`,
    );
    await member('paris').startProcess('kube-apiserver');
    say("paris's API server serving again");
    await follow(kc, 'api', availableOn('berlin'), "api's copy on paris removed: no dual running", 120_000);
    say(
      `copies of api: paris ${await count(member('paris'), api)}, berlin ${await count(member('berlin'), api)}`,
    );
    for (const line of (await table(hubCluster, 'swl')).split('\n')) console.log(`    ${line}`);
    const events = await kubectl(
      [
        'get',
        'events',
        '-n',
        'payments',
        '--field-selector',
        'involvedObject.kind=SovereignWorkload',
        '--sort-by=.lastTimestamp',
        '-o',
        'custom-columns=WORKLOAD:.involvedObject.name,REASON:.reason,MESSAGE:.message',
      ],
      hub,
    );
    say('Events of the workloads:');
    for (const line of events.stdout.trim().split('\n')) console.log(`    ${line}`);
    timelineDone = true;
    if (opts.keep) {
      say(`kept running: export KUBECONFIG=${hub.kubeconfigPath}; Ctrl-C to stop`);
      await new Promise(() => setInterval(() => undefined, 60_000));
    }
  } finally {
    if (!opts.keep) await cleanup();
  }
  say('done');
}

const placementState = (w: WorkloadObject, cluster: string) =>
  w.status?.placements?.find((p) => p.cluster === cluster)?.state;

async function count(member: TestCluster, w: WorkloadObject): Promise<number> {
  return (await copiesOn(member, w.metadata.uid)).length;
}

/** `kubectl get <kind>` on the hub, as a platform engineer would read it. */
async function table(hub: TestCluster, kind: 'mcl' | 'swl'): Promise<string> {
  const out = await kubectl(['get', kind, ...(kind === 'swl' ? ['-n', 'payments'] : [])], hub);
  return out.stdout.trim();
}

async function follow(
  kc: KubeConfig,
  name: string,
  check: (w: WorkloadObject) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(what, async () => check(await readWorkload(kc, name)), { timeoutMs, intervalMs: 250 });
  say(what);
}

main().catch((error) => {
  console.error(`demo-federation failed: ${(error as Error).message}`);
  process.exit(1);
});
