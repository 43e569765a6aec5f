// The reflector when the API server has compacted away the resourceVersion it needs: a real 410 Gone.
// This API server runs without its watch cache and compacts etcd every second, so a resourceVersion
// (of a watch, or pinned by a list's continue token) expires within a few seconds of the next change.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Reflector } from '../../../src/operator/runtime/reflector.ts';
import { kubeResourceClient, type ResourceClient } from '../../../src/operator/runtime/resource-client.ts';
import { TestCluster } from '../../harness/cluster.ts';
import { waitFor } from '../../harness/net.ts';
import { type ConfigMapJson, cacheState, collect, createNamespace, serverState, sleep } from './support.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Long enough for two compactions (each compacts to the revision seen at the one before). */
const COMPACTED_AFTER_MS = 3_500;

let cluster: TestCluster;
const running: { stop(): void }[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start({
    name: 'reflector-expired',
    controllers: false,
    kwok: false,
    apiServerFlags: ['--watch-cache=false', '--etcd-compaction-interval=1s'],
  });
});
afterEach(() => {
  for (const r of running.splice(0)) r.stop();
});
afterAll(async () => {
  await cluster?.stop();
});

async function createConfigMaps(namespace: string, names: string[]) {
  const core = cluster.adminKubeConfig().makeApiClient(CoreV1Api);
  await Promise.all(
    names.map((name) => core.createNamespacedConfigMap({ namespace, body: { metadata: { name } } })),
  );
}

describe('Reflector and 410 Gone from a real API server', () => {
  it('relists when it resumes a watch from a compacted resourceVersion, and reports what it missed', async () => {
    const kc = cluster.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await createNamespace(kc, 'gone');
    await createConfigMaps('gone', ['keep', 'change', 'drop-1', 'drop-2']);

    // A client whose watch connections the test can cut, and whose reconnects it can hold back.
    const inner = kubeResourceClient<ConfigMapJson>(kc, '/api/v1/namespaces/gone/configmaps');
    let cut: ((error: Error) => void) | undefined;
    let held: Promise<void> | undefined;
    const watchedFrom: string[] = [];
    const client: ResourceClient<ConfigMapJson> = {
      list: (request) => inner.list(request),
      watch: async (request, onEvent, onEnd) => {
        await held;
        watchedFrom.push(request.resourceVersion);
        let ended = false;
        const end = (error?: unknown) => {
          if (!ended) {
            ended = true;
            onEnd(error);
          }
        };
        const abort = await inner.watch(request, onEvent, end);
        cut = (error) => {
          end(error);
          abort();
        };
        return abort;
      },
    };
    const r = new Reflector<ConfigMapJson>({ client, backoffBaseMs: 100 });
    running.push(r);
    const { of, events } = collect(r);
    r.start();
    await r.synced;
    await waitFor('the watch to start', () => of('WatchStarted').length === 1);

    let release!: () => void;
    held = new Promise((resolve) => {
      release = resolve;
    });
    events.length = 0;
    cut?.(new Error('connection reset by the test'));
    // Changes the reflector cannot see, then time for the server to compact their history away.
    await core.deleteNamespacedConfigMap({ name: 'drop-1', namespace: 'gone' });
    await core.deleteNamespacedConfigMap({ name: 'drop-2', namespace: 'gone' });
    await core.patchNamespacedConfigMap(
      { name: 'change', namespace: 'gone', body: { data: { v: '2' } } },
      mergePatch,
    );
    await createConfigMaps('gone', ['fresh']);
    await sleep(COMPACTED_AFTER_MS);
    release();

    await waitFor('the relist', () => of('Listed').length === 1, { timeoutMs: 15_000 });
    expect(of('WatchEnded').map((e) => e.reason)).toEqual(['Error', 'Expired']);
    expect(of('WatchRestarted').map((e) => [e.reason, e.relist])).toEqual([
      ['Error', false],
      ['Expired', true],
    ]);
    // The resumed watch asked for the old resourceVersion, which the server no longer had.
    expect(watchedFrom[1]).toBe(watchedFrom[0]);
    expect(
      of('Deleted')
        .map((e) => [e.key, e.finalStateUnknown])
        .sort(),
    ).toEqual([
      ['gone/drop-1', true],
      ['gone/drop-2', true],
    ]);
    expect(of('Modified').map((e) => e.key)).toEqual(['gone/change']);
    expect(of('Added').map((e) => e.key)).toEqual(['gone/fresh']);
    expect(cacheState(r)).toEqual(await serverState(kc, 'gone'));
    await waitFor(
      'a watch started after the relist',
      () =>
        events.findLastIndex((e) => e.type === 'WatchStarted') > events.findIndex((e) => e.type === 'Listed'),
    );
  });

  it('lists again without pagination when the continue token expired between two pages', async () => {
    const kc = cluster.adminKubeConfig();
    await createNamespace(kc, 'pages');
    await createConfigMaps(
      'pages',
      Array.from({ length: 12 }, (_, i) => `p-${i}`),
    );
    const inner = kubeResourceClient<ConfigMapJson>(kc, '/api/v1/namespaces/pages/configmaps');
    const requests: { limit?: number; continue?: boolean; failed?: number }[] = [];
    let pages = 0;
    const client: ResourceClient<ConfigMapJson> = {
      list: async (request) => {
        const entry: (typeof requests)[number] = {
          limit: request.limit,
          continue: request.continue !== undefined,
        };
        requests.push(entry);
        try {
          const page = await inner.list(request);
          if (++pages === 1) {
            // Something changes while the first page is being processed, and is compacted.
            await createConfigMaps('pages', ['p-late']);
            await sleep(COMPACTED_AFTER_MS);
          }
          return page;
        } catch (error) {
          entry.failed = (error as { statusCode?: number }).statusCode;
          throw error;
        }
      },
      watch: (request, onEvent, onEnd) => inner.watch(request, onEvent, onEnd),
    };
    const r = new Reflector<ConfigMapJson>({ client, pageSize: 5 });
    running.push(r);
    const { of } = collect(r);
    r.start();
    await r.synced;
    expect(requests).toEqual([
      { limit: 5, continue: false },
      { limit: 5, continue: true, failed: 410 },
      { limit: undefined, continue: false },
    ]);
    expect(of('Listed')).toEqual([expect.objectContaining({ count: 13 })]);
    expect(cacheState(r)).toEqual(await serverState(kc, 'pages'));
  });
});
