// `make demo`: a real control plane on this machine (or another cluster with --kubeconfig), the CRDs and
// samples, the operator, a sovereign workload; then one provider's badge is set to expire, and the demo
// prints the timeline of the failover and the explanations the operator gives.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import { CloudServiceDef, SovereigntyAreaDef } from '../src/api/index.ts';
import { indexAreas } from '../src/domain/areas.ts';
import { evaluateConformance } from '../src/domain/conformance.ts';
import { verdictSentence } from '../src/domain/explain.ts';
import { indexServices, nodeTarget } from '../src/domain/membership.ts';
import { kubeRequest } from '../src/kube/request.ts';
import { TestCluster } from '../test/harness/cluster.ts';
import type { Cluster } from '../test/harness/clusters.ts';
import { KindCluster } from '../test/harness/kind.ts';
import { waitFor } from '../test/harness/net.ts';
import { createKwokNode, waitForNodeReady } from '../test/harness/nodes.ts';
import { OPERATOR_NAMESPACE, OperatorProcess, WEBHOOK_CONFIGURATION } from '../test/harness/operator.ts';
import {
  applyPolicy,
  buildWorld,
  createCloudService,
  createDeployment,
  patchCloudService,
  podsOf,
  readPolicy,
  SOVEREIGN,
  sovereignBadge,
} from '../test/harness/world.ts';

const program = new Command('demo')
  .option(
    '--kubeconfig <path>',
    'use this existing cluster (without the operator installed) instead of starting one: the demo runs the operator and KWOK on this machine against it, and removes its objects afterwards',
  )
  .option(
    '--webhook-host <address>',
    "with --kubeconfig: this machine's address as the cluster's API server reaches it (for kind: the Docker bridge gateway)",
    '127.0.0.1',
  )
  .option(
    '--kind',
    'start a kind cluster (kind and a running Docker engine) instead of the local control plane',
  )
  .option('--keep', 'keep the cluster and operator running after the timeline, until Ctrl-C')
  .parse();
const opts = program.opts<{ kubeconfig?: string; webhookHost: string; kind?: boolean; keep?: boolean }>();

const started = Date.now();
const say = (text: string) => {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5, '0');
  console.log(`[+${t}s] ${text}`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const nodes = [
  { name: 'sov-1', cloudService: SOVEREIGN, country: 'FR' },
  { name: 'sov-2', cloudService: SOVEREIGN, country: 'FR' },
  { name: 'nord-1', cloudService: 'nordsky-sovereign', country: 'FI' },
  { name: 'nord-2', cloudService: 'nordsky-sovereign', country: 'FI' },
  { name: 'res-1', cloudService: 'globalcloud-frankfurt', country: 'DE' },
  { name: 'cheap-1', cloudService: 'budget-hosting', country: 'NL' },
];

async function main() {
  say(
    opts.kubeconfig
      ? `using the cluster of ${opts.kubeconfig}`
      : opts.kind
        ? 'starting a kind cluster (and KWOK nodes in it)'
        : 'starting a local control plane (etcd, kube-apiserver, controllers, KWOK)',
  );
  const cluster: Cluster = opts.kubeconfig
    ? await KindCluster.attach(opts.kubeconfig, opts.webhookHost)
    : opts.kind
      ? await KindCluster.start({ name: 'demo' })
      : await TestCluster.start({ name: 'demo' });
  let operator: OperatorProcess | undefined;
  let kc: KubeConfig | undefined;
  const cleanup = async () => {
    await operator?.stop();
    if (opts.kubeconfig && kc) await removeDemoObjects(kc);
    await cluster.stop();
  };
  // Ctrl-C is how a kept demo is meant to end: after cleaning up, that is a success (exit 0, so that
  // make stays quiet); during the timeline it is an interruption (130).
  let timelineDone = false;
  process.on('SIGINT', () => {
    say(timelineDone ? 'stopping (Ctrl-C): removing what the demo started' : 'interrupted: cleaning up');
    void cleanup().then(() => process.exit(timelineDone ? 0 : 130));
  });
  try {
    kc = await buildDemoWorld(cluster, !!opts.kubeconfig);
    operator = await OperatorProcess.start(cluster);
    say(
      `operator running (webhook https://127.0.0.1:${operator.webhookPort}, metrics http://127.0.0.1:${operator.probePort}/metrics)`,
    );

    await applyPolicy(kc, 'ledger', {
      selector: { matchLabels: { app: 'ledger' } },
      requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
      failover: { expiryLeadTime: '20s', maxEvictionsPerMinute: 60 },
    });
    say(
      'SovereigntyPolicy payments/ledger: the ledger needs the Sovereign badge for area eu, ThirdPartyCertified',
    );
    await createDeployment(kc, 'ledger', 4, { app: 'ledger' });
    say('Deployment payments/ledger with 4 replicas created');
    await waitForPlacement(kc, (where) => where.length === 4);

    const expiresAt = Date.now() + 35_000;
    await patchCloudService(kc, SOVEREIGN, { badges: [sovereignBadge(new Date(expiresAt).toISOString())] });
    say(
      `CloudService ${SOVEREIGN}: its Sovereign/eu badge now expires at ${new Date(expiresAt).toISOString()} (in 35s); the policy's lead time is 20s`,
    );
    await watchTimeline(kc, expiresAt + 5_000);

    say('explanations (the same functions as the operator and sovctl):');
    for (const line of await explainNodes(kc, Date.now())) console.log(`    ${line}`);
    const policy = await readPolicy(kc, 'ledger');
    for (const c of policy.status?.conditions ?? [])
      console.log(`    policy condition ${c.type}=${c.status} (${c.reason}): ${c.message}`);
    timelineDone = true;
    if (opts.keep) {
      say(`kept running: export KUBECONFIG=${cluster.kubeconfigPath}; Ctrl-C to stop (and clean up)`);
      console.log(
        opts.kind || opts.kubeconfig
          ? '    The operator runs on this machine, registered by URL in the MutatingWebhookConfiguration sovereign-placement:\n' +
              '    stop the demo before installing the chart or deploy/base in this cluster (docs/install.md#try-it-on-kind).'
          : '    This control plane runs no containers (KWOK plays the kubelets) and its webhook points at this machine:\n' +
              '    it cannot take `helm install` or deploy/base. For a cluster that can, see docs/install.md#try-it-on-kind.',
      );
      await new Promise(() => setInterval(() => undefined, 60_000));
    }
  } finally {
    if (!opts.keep) await cleanup();
  }
  say('done');
}

async function buildDemoWorld(cluster: Cluster, reuse: boolean): Promise<KubeConfig> {
  const kc = await buildWorld(cluster, [], { reuse });
  await createCloudService(kc, 'nordsky-sovereign', {
    description: 'A second EU provider, operated from Finland.',
    provider: { name: 'NordSky Oy', legalJurisdiction: 'FI' },
    badges: [sovereignBadge('2028-01-01T00:00:00Z', 'https://certificates.example.eu/cispe/sov-0077')],
  });
  for (const node of nodes) await createKwokNode(kc, node);
  for (const node of nodes) await waitForNodeReady(kc, node.name);
  say(
    `${nodes.length} nodes of 4 providers: ${nodes.map((n) => `${n.name} (${n.cloudService}, ${n.country})`).join(', ')}`,
  );
  return kc;
}

async function placement(kc: KubeConfig): Promise<string[]> {
  const pods = (await podsOf(kc, 'app=ledger')).filter(
    (p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running',
  );
  return pods.map((p) => p.spec?.nodeName ?? '?').sort();
}

async function waitForPlacement(kc: KubeConfig, done: (where: string[]) => boolean) {
  const where = await waitFor(
    'ledger pods',
    async () => {
      const w = await placement(kc);
      return done(w) ? w : undefined;
    },
    { timeoutMs: 60_000 },
  );
  say(`${where.length} ledger pods Running on ${where.join(', ')}`);
}

async function watchTimeline(kc: KubeConfig, until: number) {
  const core = kc.makeApiClient(CoreV1Api);
  const seen = new Set<string>();
  let last = '';
  while (Date.now() < until) {
    const where = (await placement(kc)).join(', ');
    if (where !== last) {
      say(`ledger pods Running on: ${where || '(none)'}`);
      last = where;
    }
    const events = [
      ...(await core.listNamespacedEvent({ namespace: 'payments' })).items,
      ...(await core.listNamespacedEvent({ namespace: 'default' })).items,
    ].filter((e) => e.source?.component === 'sovereign-placement');
    for (const e of events.sort((a, b) => String(a.firstTimestamp).localeCompare(String(b.firstTimestamp)))) {
      const key = `${e.metadata?.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      say(`event ${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`);
    }
    await sleep(1_000);
  }
}

/** The verdict of each node for the policy's requirement, computed from the cluster's own objects. */
async function explainNodes(kc: KubeConfig, at: number): Promise<string[]> {
  const list = async (path: string) => (await kubeRequest<{ items: unknown[] }>(kc, { path })).items ?? [];
  const services = (await list('/apis/sovereign-placement.io/v1alpha1/cloudservices')).map((o) =>
    CloudServiceDef.object.parse(o),
  );
  const areas = (await list('/apis/sovereign-placement.io/v1alpha1/sovereigntyareas')).map((o) =>
    SovereigntyAreaDef.object.parse(o),
  );
  const catalog = indexServices(services);
  const requirement = {
    badges: ['Sovereign' as const],
    area: 'eu',
    minimumAssurance: 'ThirdPartyCertified' as const,
  };
  const nodeList = (await kc.makeApiClient(CoreV1Api).listNode()).items;
  return nodeList.map((n) => {
    const target = nodeTarget({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} }, catalog);
    const verdict = evaluateConformance(target, requirement, { areas: indexAreas(areas) }, at, {
      expiryLeadTimeMs: 20_000,
    });
    return verdictSentence(target, requirement, verdict);
  });
}

/** On an existing cluster, the demo leaves no object of its own behind (the CRDs and samples stay). */
async function removeDemoObjects(kc: KubeConfig): Promise<void> {
  const ignore = () => undefined;
  await kubeRequest(kc, {
    method: 'DELETE',
    path: '/apis/apps/v1/namespaces/payments/deployments/ledger',
  }).catch(ignore);
  await kubeRequest(kc, {
    method: 'DELETE',
    path: '/apis/sovereign-placement.io/v1alpha1/namespaces/payments/sovereigntypolicies/ledger',
  }).catch(ignore);
  await kubeRequest(kc, {
    method: 'DELETE',
    path: '/apis/sovereign-placement.io/v1alpha1/cloudservices/nordsky-sovereign',
  }).catch(ignore);
  for (const node of nodes)
    await kubeRequest(kc, { method: 'DELETE', path: `/api/v1/nodes/${node.name}` }).catch(ignore);
  // The webhook pointed at this machine: left behind, it would refuse pods in enrolled namespaces.
  await kubeRequest(kc, {
    method: 'DELETE',
    path: `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}`,
  }).catch(ignore);
  await kubeRequest(kc, { method: 'DELETE', path: `/api/v1/namespaces/${OPERATOR_NAMESPACE}` }).catch(ignore);
  say(
    'removed the demo workload, policy, nodes, the nordsky-sovereign service and the webhook configuration',
  );
}

main().catch((error) => {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exit(1);
});
