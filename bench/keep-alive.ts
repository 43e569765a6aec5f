// Measures what a kept-alive connection saves (node bench/keep-alive.ts, also part of make bench): 100
// sequential GETs of one Namespace against a real kube-apiserver, sent through client-node's agent as
// `applyToHTTPSOptions` makes it (a new TCP and TLS connection per request) and through `kubeRequest`
// (one keep-alive agent per cluster and user). Prints figures; asserts nothing.
import { request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeRequest } from '../src/kube/request.ts';
import { TestCluster } from '../test/harness/cluster.ts';
import { median, spread } from './stats.ts';

const REQUESTS = 100;
const RUNS = 5;
const PATH = '/api/v1/namespaces/default';

/** The request as it was sent before: client-node's agent, which does not keep connections alive. */
async function clientNodeGet(kc: KubeConfig): Promise<void> {
  const options: Parameters<typeof request>[1] = {};
  await kc.applyToHTTPSOptions(options);
  const url = new URL(`${kc.getCurrentCluster()?.server}${PATH}`);
  await new Promise<void>((resolve, reject) => {
    const r = request(url, { ...options, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`))));
    });
    r.on('error', reject);
    r.end();
  });
}

async function timed(send: () => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) await send();
  return performance.now() - started;
}

export async function measureKeepAlive(kc: KubeConfig): Promise<{ withoutMs: number[]; withMs: number[] }> {
  const withoutMs: number[] = [];
  const withMs: number[] = [];
  await timed(() => kubeRequest(kc, { path: PATH })); // warm-up
  for (let run = 0; run < RUNS; run++) {
    withoutMs.push(await timed(() => clientNodeGet(kc)));
    withMs.push(await timed(() => kubeRequest(kc, { path: PATH })));
  }
  return { withoutMs, withMs };
}

if (import.meta.main) {
  const cluster = await TestCluster.start({ name: 'keepalive', controllers: false, kwok: false });
  try {
    const { withoutMs, withMs } = await measureKeepAlive(cluster.adminKubeConfig());
    const line = (label: string, xs: number[]) =>
      console.log(`${label}: median ${median(xs).toFixed(0)} ms (${spread(xs)}) over ${RUNS} runs`);
    console.log(`${REQUESTS} sequential GETs ${PATH}`);
    line('  new connection per request (client-node agent)', withoutMs);
    line('  one kept-alive connection (kubeRequest)       ', withMs);
  } finally {
    await cluster.stop();
  }
}
