// Hostile requests sent straight to the running operator's webhook port, as any pod on the network
// could: the process answers each, stays alive, and keeps pinning the pods the API server sends it.
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE } from '../../../src/api/group.ts';
import { SCHEDULING_GATE } from '../../../src/cluster/admission/pod-mutation.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { MUTATE_PODS_PATH } from '../../../src/operator/webhook/server.ts';
import { TestCluster } from '../../harness/cluster.ts';
import { installCrds } from '../../harness/install.ts';
import { ensureNamespace, OperatorProcess } from '../../harness/operator.ts';

const NS = 'hostile';
let cluster: TestCluster;
let operator: OperatorProcess;

beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'hostile-webhook', controllers: false, kwok: false });
  const kc = cluster.adminKubeConfig();
  await installCrds(kc);
  await ensureNamespace(kc, NS, { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE });
  // No controllers run here: the ServiceAccount admission plugin needs the namespace's default account.
  await cluster.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, {
    metadata: { name: 'default' },
  });
  await KubernetesObjectApi.makeApiClient(kc).create({
    apiVersion: 'sovereign-placement.io/v1alpha1',
    kind: 'SovereigntyPolicy',
    metadata: { name: 'ledger', namespace: NS },
    spec: { selector: {}, requirement: { badges: ['Sovereign'], area: 'eu' } },
  } as never);
  operator = await OperatorProcess.start(cluster);
});

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

/** One POST to the operator's webhook port; the status, or the network error's code. */
function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: operator.webhookPort,
        path: MUTATE_PODS_PATH,
        method: 'POST',
        rejectUnauthorized: false,
        agent: false,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

const review = (object: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', operation: 'CREATE', namespace: NS, object, ...extra },
  });
const pod = (spec: Record<string, unknown>) => ({
  metadata: { name: 'p' },
  spec: { containers: [], ...spec },
});

async function createPinnedPod(name: string) {
  const core = cluster.adminKubeConfig().makeApiClient(CoreV1Api);
  const created = await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }] } },
  });
  expect(created.spec?.schedulingGates?.map((g) => g.name)).toContain(SCHEDULING_GATE);
  const terms =
    created.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  expect(terms?.[0]?.matchExpressions?.map((e) => e.key)).toContain(verdictLabelKey('Sovereign', 'eu'));
}

describe('hostile requests to the webhook port', () => {
  it('answers each without dying, and keeps pinning pods', async () => {
    await createPinnedPod('before');
    // A client that sends headers only, held open while the rest runs: it is cut after the request timeout.
    const started = Date.now();
    const held = new Promise<number>((resolve) => {
      const socket = connect(
        { host: '127.0.0.1', port: operator.webhookPort, rejectUnauthorized: false },
        () => socket.write(`POST ${MUTATE_PODS_PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n`),
      );
      socket.on('error', () => {});
      // Read what the server sends (its 408 and the end of the stream), or 'close' never comes.
      socket.resume();
      socket.on('close', () => resolve(Date.now() - started));
    });
    const deep = `${'{"a":['.repeat(10_000)}{}${']}'.repeat(10_000)}`;
    const cases: [string, string | Buffer, number][] = [
      ['null', 'null', 400],
      ['not JSON', '{"request":', 400],
      ['an empty review', '{}', 400],
      ['no operation', JSON.stringify({ request: { uid: 'u-2', namespace: NS, object: pod({}) } }), 200],
      ['no object', review(undefined), 200],
      ['schedulingGates "x"', review(pod({ schedulingGates: 'x' })), 200],
      ['schedulingGates [null]', review(pod({ schedulingGates: [null] })), 200],
      ['tolerations 5', review(pod({ tolerations: 5 })), 200],
      [
        'nodeSelectorTerms {}',
        review(
          pod({
            affinity: {
              nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: {} } },
            },
          }),
        ),
        200,
      ],
      [
        'a podAffinity nested 10,000 deep',
        // Spliced in as text: JSON.stringify itself cannot serialise such depth.
        review(pod({})).replace('"containers":[]', `"containers":[],"affinity":{"podAffinity":${deep}}`),
        200,
      ],
      ['a body over 3 MiB', Buffer.alloc(3 * 1024 * 1024 + 1, 0x20), 413],
    ];
    for (const [name, body, status] of cases) {
      expect(await post(body), name).toBe(status);
      expect(operator.running, `operator alive after ${name}`).toBe(true);
    }
    expect(await held).toBeLessThan(20_000);
    expect(operator.running).toBe(true);
    await createPinnedPod('after');
  }, 60_000);
});
