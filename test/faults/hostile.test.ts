// Hostile input on a real control plane, with the invariant checker running: policies with durations and
// numbers beyond what the engine accepts sent through the API server, an invalid policy written below
// it (as one stored before the schema had its bounds), and malformed or abusive requests sent straight to
// the webhook port. After each, the operator process is alive; at the end it still pins pods.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION } from '../../src/api/group.ts';
import { SCHEDULING_GATE } from '../../src/cluster/admission/pod-mutation.ts';
import type { TestCluster } from '../harness/cluster.ts';
import {
  assertNoViolations,
  formatTimeline,
  InvariantChecker,
  type InvariantReport,
} from '../harness/invariants.ts';
import { waitFor } from '../harness/net.ts';
import type { OperatorProcess } from '../harness/operator.ts';
import {
  APP_NAMESPACE,
  applyPolicy,
  condition,
  createDeployment,
  nodeNames,
  podsOf,
  readPolicy,
  startWorld,
  type World,
  waitForRunningPods,
} from '../harness/world.ts';
import { Figures, faultSeed, SOV_EU } from './support.ts';

const figures = new Figures('hostile', faultSeed());
let world: World | undefined;
let kc: KubeConfig;
let operator: OperatorProcess;
let checker: InvariantChecker | undefined;
let report: InvariantReport | undefined;

beforeAll(async () => {
  world = await startWorld({ name: 'hostile' });
  ({ kc, operator } = world);
});

afterAll(async () => {
  report ??= await checker?.stop();
  figures.save(report);
  await world?.stop();
});

const requirement = { badges: ['Sovereign'], area: 'eu' };

/** Alive: the process has not exited and its liveness probe answers. */
async function expectAlive(after: string): Promise<void> {
  expect(operator.running, `operator exited after ${after}:\n${operator.logs(30)}`).toBe(true);
  const res = await fetch(`http://127.0.0.1:${operator.probePort}/healthz`);
  expect(res.status, `liveness after ${after}`).toBe(200);
}

/** A Deployment of a fresh Enforce policy lands, ungated and pinned, on the sovereign nodes only. */
async function expectPinned(app: string): Promise<void> {
  await applyPolicy(kc, app, { selector: { matchLabels: { app } }, requirement });
  await createDeployment(kc, app, 2, { app });
  const pods = await waitForRunningPods(kc, `app=${app}`, 2, 120_000);
  expect(nodeNames(pods).every((n) => n === 'sov-1' || n === 'sov-2')).toBe(true);
  for (const pod of pods) {
    expect(pod.spec?.schedulingGates ?? []).toEqual([]);
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    expect(terms?.flatMap((t) => t.matchExpressions?.map((e) => e.key) ?? [])).toContain(SOV_EU);
  }
}

describe('the invariant checker', () => {
  it('flags a selected pod left on a non-conforming node, and a pod evicted twice', async () => {
    // Pods that run on the uncertified node before any policy selects them; the operator is stopped
    // when the policy arrives, so nothing moves them: a placement violation once the tolerance is over.
    const own = InvariantChecker.start(kc, { toleranceMs: 1_000 });
    await createDeployment(kc, 'stranded', 1, { app: 'stranded' }, { 'kubernetes.io/hostname': 'cheap-1' });
    await waitForRunningPods(kc, 'app=stranded', 1);
    await operator.stop();
    await applyPolicy(kc, 'stranded', { selector: { matchLabels: { app: 'stranded' } }, requirement });
    // Two eviction Events for one pod name, as a double eviction would record.
    const core = kc.makeApiClient(CoreV1Api);
    const fake = (n: number) => ({
      metadata: { name: `twice.${n}`, namespace: APP_NAMESPACE },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'twice', namespace: APP_NAMESPACE },
      reason: 'EvictedNonConforming',
      message: 'test',
      type: 'Warning',
      source: { component: 'sovereign-placement' },
      count: 1,
    });
    for (const n of [1, 2]) await core.createNamespacedEvent({ namespace: APP_NAMESPACE, body: fake(n) });
    await waitFor('both violations', () => own.violationCount >= 2, { timeoutMs: 30_000 }).catch(
      () => undefined,
    );
    const seen = await own.stop();
    expect(seen.violations.map((v) => v.invariant).sort()).toEqual(['double-eviction', 'placement']);
    expect(formatTimeline(seen)).toContain('VIOLATION (placement): pod payments/stranded-');
    // Clean up, so that the file's own checker starts from a sound cluster.
    for (const n of [1, 2])
      await core.deleteNamespacedEvent({ name: `twice.${n}`, namespace: APP_NAMESPACE });
    await operator.resume();
    await kc
      .makeApiClient(AppsV1Api)
      .deleteNamespacedDeployment({ name: 'stranded', namespace: APP_NAMESPACE });
    await waitFor('the stranded pods gone', async () => (await podsOf(kc, 'app=stranded')).length === 0);
  });
});

describe('hostile objects through the API server', () => {
  beforeAll(() => {
    checker = InvariantChecker.start(kc);
  });

  it.each([
    ['failover.expiryLeadTime', { expiryLeadTime: '3000000h' }],
    ['failover.nodeFailureToleration', { nodeFailureToleration: '3000000h' }],
    ['failover.gracePeriod', { gracePeriod: '3000000h' }],
    ['failover.maxEvictionsPerMinute', { maxEvictionsPerMinute: 100_000_000 }],
  ])('a policy with an out-of-range %s is refused by the CRD', async (_field, failover) => {
    const error = await applyPolicy(kc, `huge-${randomUUID().slice(0, 8)}`, {
      selector: { matchLabels: { app: 'huge' } },
      requirement,
      failover,
    }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    figures.fault('hostile policy sent to the API server');
    expect(error?.code).toBe(422);
    await expectAlive('a refused policy');
  });

  it('an invalid policy stored before the bound existed is reported and skipped; others are still enforced', async () => {
    const cluster = world?.cluster as TestCluster;
    // Written into etcd directly, as the API server stored it before the CRD bounded the durations.
    const object = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'SovereigntyPolicy',
      metadata: {
        name: 'legacy',
        namespace: APP_NAMESPACE,
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      spec: {
        selector: { matchLabels: { app: 'victim' } },
        requirement,
        mode: 'Enforce',
        failover: {
          gracePeriod: '0s',
          expiryLeadTime: '3000000h',
          nodeFailureToleration: '3000000h',
          onNoConformingCapacity: 'Evict',
          maxEvictionsPerMinute: 10,
        },
      },
    };
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const put = await fetch(`${cluster.etcdEndpoint}/v3/kv/put`, {
      method: 'POST',
      body: JSON.stringify({
        key: b64(`/registry/${GROUP}/sovereigntypolicies/${APP_NAMESPACE}/legacy`),
        value: b64(JSON.stringify(object)),
      }),
    });
    expect(put.status).toBe(200);
    figures.fault('invalid policy written below the API server');
    // The API server serves it: the simulation holds.
    const read = await readPolicy(kc, 'legacy');
    expect(read.spec.failover.expiryLeadTime).toBe('3000000h');

    await expectAlive('an invalid policy in the cache');

    // A pod that the invalid policy selects goes through admission without harm to the process.
    await createDeployment(kc, 'victim', 1, { app: 'victim' });
    await new Promise((r) => setTimeout(r, 3_000));
    await expectAlive('admitting a pod the invalid policy selects');

    await expectPinned('after-invalid');
    await expectAlive('enforcing the other policies');
    // Last, as the one check the operator alone cannot pass: the API server must accept the status.
    const reported = await waitFor('the invalid policy reported on its own status', async () => {
      const p = await readPolicy(kc, 'legacy');
      return condition(p, 'Ready')?.status === 'False' ? condition(p, 'Ready') : undefined;
    }).catch((error: Error) => {
      const lines = readFileSync(operator.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('legacy'));
      throw new Error(`${error.message}\noperator log lines naming it:\n${lines.slice(-10).join('\n')}`);
    });
    expect(reported?.reason).toBe('InvalidSpec');
  });
});

interface Answer {
  status?: number;
  body?: string;
  error?: string;
}

function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: operator.webhookPort,
        path: '/mutate-pods',
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', ...headers },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
        res.on('error', (e) => resolve({ status: res.statusCode, error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

const review = (request: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });

/** An AdmissionReview for a pod the `guard` policy selects, its spec replaced by `spec`. */
const podReview = (spec: unknown, fields: Record<string, unknown> = {}) =>
  review({
    uid: randomUUID(),
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: APP_NAMESPACE,
    operation: 'CREATE',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'guarded-', labels: { app: 'guard' } },
      spec,
    },
    ...fields,
  });

/**
 * What any answer to a request about a selected pod must be: refused (4xx), denied, or allowed only with
 * the gate and the verdict-label affinity in its patch. Never a selected pod let through unpinned.
 */
function expectNeverUnpinned(what: string, answer: Answer): void {
  expect(answer.error, `${what}: ${answer.error}`).toBeUndefined();
  const status = answer.status ?? 0;
  if (status !== 200) {
    expect(status >= 400 && status < 500, `${what}: HTTP ${status} ${answer.body}`).toBe(true);
    return;
  }
  const response = JSON.parse(answer.body ?? '{}').response ?? {};
  if (!response.allowed) return;
  const patch = Buffer.from(response.patch ?? '', 'base64').toString('utf8');
  expect(patch, `${what}: allowed without pinning`).toContain(SCHEDULING_GATE);
  expect(patch, `${what}: allowed without pinning`).toContain(SOV_EU);
}

/** JSON text nested `depth` deep, built as text: JSON.stringify itself overflows the stack on it. */
function nested(depth: number): string {
  const open = '{"requiredDuringSchedulingIgnoredDuringExecution":[';
  return `${open.repeat(depth)}{}${']}'.repeat(depth)}`;
}

describe('hostile requests straight to the webhook port', () => {
  beforeAll(async () => {
    await applyPolicy(kc, 'guard', { selector: { matchLabels: { app: 'guard' } }, requirement });
    await waitFor(
      'guard policy seen',
      async () => (await readPolicy(kc, 'guard')).status?.observedGeneration === 1,
    );
  });

  const container = { name: 'app', image: 'registry.example.eu/app:1.0' };
  const cases: [string, () => string | Buffer][] = [
    ['body null', () => 'null'],
    ['body {}', () => '{}'],
    ['body []', () => '[]'],
    ['body "x"', () => '"x"'],
    ['body 5', () => '5'],
    ['body that is not JSON', () => '{"request":'],
    ['request with a uid only', () => review({ uid: randomUUID(), namespace: APP_NAMESPACE })],
    ['request without object', () => podReview(undefined, { object: undefined })],
    ['request without operation', () => podReview({ containers: [container] }, { operation: undefined })],
    ['request with object null', () => podReview(undefined, { object: null })],
    ['schedulingGates "x"', () => podReview({ containers: [container], schedulingGates: 'x' })],
    ['schedulingGates [null]', () => podReview({ containers: [container], schedulingGates: [null] })],
    ['tolerations 5', () => podReview({ containers: [container], tolerations: 5 })],
    ['tolerations [null]', () => podReview({ containers: [container], tolerations: [null] })],
    [
      'nodeSelectorTerms {}',
      () =>
        podReview({
          containers: [container],
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: {} } },
          },
        }),
    ],
    [
      'nodeSelectorTerms [null]',
      () =>
        podReview({
          containers: [container],
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [null] } },
          },
        }),
    ],
    ['spec null', () => podReview(null)],
    [
      'podAffinity nested 10,000 deep',
      () =>
        podReview({ containers: [container], affinity: { podAffinity: 'NESTED' } }).replace(
          '"NESTED"',
          nested(10_000),
        ),
    ],
  ];

  it.each(cases)(
    '%s: answered without a crash, and never a selected pod let through unpinned',
    async (what, body) => {
      const answer = await post(body());
      figures.fault('hostile webhook request');
      expectNeverUnpinned(what, answer);
      await expectAlive(what);
    },
  );

  it('a 4 MiB body is answered 413, announced or not', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const announced = await post(big);
    const chunked = await post(big, { 'transfer-encoding': 'chunked' });
    figures.fault('hostile webhook request', 2);
    expect(announced.status).toBe(413);
    expect(chunked.status).toBe(413);
    await expectAlive('a 4 MiB body');
  });

  it('a client that sends only headers does not stop the webhook from answering others', async () => {
    const openedAt = Date.now();
    let closedAt: number | undefined;
    const socket = connect(
      { host: '127.0.0.1', port: operator.webhookPort, rejectUnauthorized: false },
      () => {
        socket.write(
          'POST /mutate-pods HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
        );
      },
    );
    socket.on('error', () => {});
    socket.on('close', () => {
      closedAt = Date.now();
    });
    socket.resume();
    figures.fault('hostile webhook request');
    // While it hangs, an ordinary review is answered.
    const answer = await post(podReview({ containers: [container] }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body ?? '{}').response?.allowed).toBe(true);
    // How long the server holds such a connection is measured and printed, not asserted.
    await waitFor('the header-only connection closed', () => closedAt !== undefined, {
      timeoutMs: 60_000,
    }).catch(() => undefined);
    if (closedAt === undefined) {
      socket.destroy();
      figures.note('a header-only connection was still open after 60 s');
    } else figures.duration('header-only connection closed by the webhook after', closedAt - openedAt);
    await expectAlive('a header-only client');
  });

  it('afterwards the operator still pins pods, and no invariant was violated', async () => {
    await expectPinned('survivor');
    await expectAlive('the whole file');
    report = await (checker as InvariantChecker).stop();
    console.log(
      `hostile input: ${report.samples} invariant samples, ${report.violations.length} violations; ` +
        `faults ${JSON.stringify(figures.data.faults)}`,
    );
    expect(report.samples).toBeGreaterThan(0);
    assertNoViolations(report);
  });
});
