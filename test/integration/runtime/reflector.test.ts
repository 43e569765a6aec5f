// The reflector against a real kube-apiserver (with its watch cache, as in production): paginated
// lists, watch events, watches ended by the server and resumed, bookmarks, the idle watchdog, the
// relist after a restart, and a custom resource.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, SovereigntyAreaDef, VERSION } from '../../../src/api/index.ts';
import { Reflector, type ReflectorOptions } from '../../../src/operator/runtime/reflector.ts';
import { kubeResourceClient } from '../../../src/operator/runtime/resource-client.ts';
import { TestCluster } from '../../harness/cluster.ts';
import { createObjects, installCrds, sampleObjects } from '../../harness/install.ts';
import { waitFor } from '../../harness/net.ts';
import {
  type ConfigMapJson,
  cacheState,
  collect,
  createNamespace,
  recording,
  serverState,
  sleep,
} from './support.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const configMaps = { version: 'v1', plural: 'configmaps' };

let cluster: TestCluster;
const running: { stop(): void }[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'reflector', controllers: false, kwok: false });
});
afterEach(() => {
  for (const r of running.splice(0)) r.stop();
});
afterAll(async () => {
  await cluster?.stop();
});

function reflector<T extends ConfigMapJson>(options: ReflectorOptions<T>): Reflector<T> {
  const r = new Reflector<T>(options);
  running.push(r);
  return r;
}

async function createConfigMaps(namespace: string, names: string[], labels: Record<string, string> = {}) {
  const core = cluster.adminKubeConfig().makeApiClient(CoreV1Api);
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(
      names.slice(i, i + 10).map((name) =>
        core.createNamespacedConfigMap({
          namespace,
          body: { metadata: { name, labels }, data: { v: '1' } },
        }),
      ),
    );
  }
}

describe('Reflector on a real API server', () => {
  it('lists in pages smaller than the collection, then sees creates, updates and deletes', async () => {
    const kc = cluster.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await createNamespace(kc, 'paging');
    const names = Array.from({ length: 60 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);
    await createConfigMaps('paging', names, { suite: 'paging' });
    // Not selected: must stay out of the cache.
    await createConfigMaps('paging', ['unlabelled']);

    const r = reflector<ConfigMapJson>({
      kubeConfig: kc,
      resource: configMaps,
      labelSelector: 'suite=paging',
      pageSize: 25,
    });
    const { of } = collect(r);
    r.start();
    await r.synced;
    expect(of('Listed')).toEqual([expect.objectContaining({ count: 60, pages: 3, added: 60 })]);
    expect(r.size).toBe(60);
    expect(r.get('paging/unlabelled')).toBeUndefined();
    // Listed objects have the same shape as watched ones: kind filled in, timestamps as strings.
    const listed = r.get('paging/cm-07');
    expect(listed).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { v: '1' } });
    expect(typeof listed?.metadata.creationTimestamp).toBe('string');
    await waitFor('the watch to start', () => of('WatchStarted').length === 1);

    await createConfigMaps('paging', ['cm-new'], { suite: 'paging' });
    await core.patchNamespacedConfigMap(
      { name: 'cm-03', namespace: 'paging', body: { data: { v: '2' } } },
      mergePatch,
    );
    await core.deleteNamespacedConfigMap({ name: 'cm-05', namespace: 'paging' });
    await waitFor('the three changes', () => of('Deleted').length === 1);

    expect(
      of('Added')
        .slice(60)
        .map((e) => e.key),
    ).toEqual(['paging/cm-new']);
    const watched = of('Added').at(-1)?.object;
    expect(watched).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(typeof watched?.metadata.creationTimestamp).toBe('string');
    expect(of('Modified').map((e) => [e.key, e.old.data?.v, e.object.data?.v])).toEqual([
      ['paging/cm-03', '1', '2'],
    ]);
    expect(of('Deleted').map((e) => [e.key, e.finalStateUnknown])).toEqual([['paging/cm-05', false]]);
    expect(cacheState(r)).toEqual(await serverState(kc, 'paging', 'suite=paging'));
  });

  it('resumes watches the server ends (timeoutSeconds) from the last resourceVersion, bookmarks included, without missing events', async () => {
    const kc = cluster.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await createNamespace(kc, 'resume');
    await createNamespace(kc, 'elsewhere');
    const rec = recording(kubeResourceClient<ConfigMapJson>(kc, '/api/v1/namespaces/resume/configmaps'));
    const r = reflector<ConfigMapJson>({ client: rec.client, watchTimeoutSeconds: 4 });
    const { of } = collect(r);
    r.start();
    await r.synced;

    // Changes while watches end and resume every 4 s.
    const created: string[] = [];
    const deleted: string[] = [];
    const until = Date.now() + 9_000;
    for (let i = 0; Date.now() < until; i++) {
      const name = `c-${i}`;
      await createConfigMaps('resume', [name]);
      created.push(name);
      if (i % 3 === 2) {
        const target = created[i - 1] as string;
        await core.patchNamespacedConfigMap(
          { name: target, namespace: 'resume', body: { data: { v: `${i}` } } },
          mergePatch,
        );
      }
      if (i % 5 === 4) {
        const target = created[i - 4] as string;
        await core.deleteNamespacedConfigMap({ name: target, namespace: 'resume' });
        deleted.push(target);
      }
      await sleep(150);
    }
    // A quiet spell for this namespace while others change: the bookmark carries a newer
    // resourceVersion than any event here, and the next watch resumes from it.
    const quietFrom = Date.now();
    for (let i = 0; Date.now() - quietFrom < 6_000; i++) {
      await createConfigMaps('elsewhere', [`e-${i}`]);
      await sleep(300);
    }

    const server = await serverState(kc, 'resume');
    await waitFor(
      'the cache to equal the server',
      () => JSON.stringify(cacheState(r)) === JSON.stringify(server),
    );
    expect(of('Listed')).toHaveLength(1); // never had to relist
    const ends = of('WatchEnded').map((e) => e.reason);
    expect(ends.filter((reason) => reason === 'Timeout').length).toBeGreaterThanOrEqual(3);
    expect(ends.filter((reason) => reason !== 'Timeout')).toEqual([]);
    expect(of('Added').map((e) => e.key.split('/')[1])).toEqual(created);
    expect(of('Deleted').map((e) => [e.key.split('/')[1], e.finalStateUnknown])).toEqual(
      deleted.map((d) => [d, false]),
    );

    const bookmarks = rec.raw.filter((e) => e.type === 'BOOKMARK').map((e) => e.resourceVersion);
    const newestObject = Math.max(...r.list().map((cm) => Number(cm.metadata.resourceVersion)));
    const resumedFromBookmark = rec.watches.filter(
      (w) => bookmarks.includes(w.resourceVersion) && Number(w.resourceVersion) > newestObject,
    );
    expect(resumedFromBookmark.length).toBeGreaterThanOrEqual(1);
    // Each watch starts where the previous one stopped, never earlier.
    const versions = rec.watches.map((w) => Number(w.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('restarts a watch that has been silent longer than idleTimeoutMs and still sees what follows', async () => {
    const kc = cluster.adminKubeConfig();
    await createNamespace(kc, 'idle');
    const r = reflector<ConfigMapJson>({
      kubeConfig: kc,
      resource: { ...configMaps, namespace: 'idle' },
      watchTimeoutSeconds: 120,
      idleTimeoutMs: 1_500,
    });
    const { of } = collect(r);
    r.start();
    await r.synced;
    await waitFor(
      'two idle restarts',
      () => of('WatchEnded').filter((e) => e.reason === 'Idle').length >= 2,
      {
        timeoutMs: 10_000,
      },
    );
    expect(of('WatchRestarted').map((e) => [e.reason, e.delayMs, e.relist])).toContainEqual([
      'Idle',
      0,
      false,
    ]);
    await createConfigMaps('idle', ['after-idle']);
    await waitFor('the object created after the restarts', () => r.get('idle/after-idle'));
    expect(of('Listed')).toHaveLength(1);
  });

  it('after a stop, a restarted reflector relists and reports the deletes and changes it missed', async () => {
    const kc = cluster.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await createNamespace(kc, 'restart');
    const names = Array.from({ length: 10 }, (_, i) => `r-${i}`);
    await createConfigMaps('restart', names);
    const r = reflector<ConfigMapJson>({
      kubeConfig: kc,
      resource: { ...configMaps, namespace: 'restart' },
      pageSize: 4,
    });
    const { of, events } = collect(r);
    r.start();
    await r.synced;
    r.stop();
    r.stop();
    expect(of('WatchEnded').at(-1)?.reason).toBe('Stopped');

    for (const name of ['r-1', 'r-4', 'r-6', 'r-9'])
      await core.deleteNamespacedConfigMap({ name, namespace: 'restart' });
    for (const name of ['r-2', 'r-3']) {
      await core.patchNamespacedConfigMap(
        { name, namespace: 'restart', body: { data: { v: 'changed' } } },
        mergePatch,
      );
    }
    await createConfigMaps('restart', ['r-10', 'r-11', 'r-12']);
    expect(r.size).toBe(10); // the stopped cache is stale, as expected

    events.length = 0;
    r.start();
    await waitFor('the relist', () => of('Listed').length === 1);
    expect(
      of('Deleted')
        .map((e) => [e.key, e.finalStateUnknown])
        .sort(),
    ).toEqual(['r-1', 'r-4', 'r-6', 'r-9'].map((n) => [`restart/${n}`, true]));
    expect(
      of('Modified')
        .map((e) => [e.key, e.object.data?.v])
        .sort(),
    ).toEqual([
      ['restart/r-2', 'changed'],
      ['restart/r-3', 'changed'],
    ]);
    expect(
      of('Added')
        .map((e) => e.key)
        .sort(),
    ).toEqual(['restart/r-10', 'restart/r-11', 'restart/r-12']);
    expect(cacheState(r)).toEqual(await serverState(kc, 'restart'));

    // And it watches again.
    await waitFor('the watch to start', () => of('WatchStarted').length === 1);
    await core.deleteNamespacedConfigMap({ name: 'r-0', namespace: 'restart' });
    await waitFor('the watched delete', () =>
      of('Deleted').some((e) => e.key === 'restart/r-0' && !e.finalStateUnknown),
    );
  });

  it('caches a cluster-scoped custom resource, keyed by name', async () => {
    const kc = cluster.adminKubeConfig();
    await installCrds(kc);
    await createObjects(
      kc,
      sampleObjects().filter((o) => o.kind === SovereigntyAreaDef.kind),
    );
    interface Area {
      apiVersion?: string;
      kind?: string;
      metadata: { name: string; resourceVersion?: string };
      spec: { countries: string[] };
    }
    const r = new Reflector<Area>({
      kubeConfig: kc,
      resource: { group: GROUP, version: VERSION, plural: SovereigntyAreaDef.plural },
    });
    running.push(r);
    const { of } = collect(r);
    r.start();
    await r.synced;
    const names = r.keys().sort();
    expect(names.length).toBe(2);
    expect(names.every((n) => !n.includes('/'))).toBe(true);
    const area = r.get(names[0] as string);
    expect(area).toMatchObject({ apiVersion: `${GROUP}/${VERSION}`, kind: SovereigntyAreaDef.kind });
    expect(area?.spec.countries.length).toBeGreaterThan(0);
    await waitFor('the watch to start', () => of('WatchStarted').length === 1);
    const res = await cluster.request(
      'DELETE',
      `/apis/${GROUP}/${VERSION}/${SovereigntyAreaDef.plural}/${names[0]}`,
    );
    expect(res.status).toBe(200);
    await waitFor('the delete', () => of('Deleted').length === 1);
    expect(r.keys()).toEqual([names[1]]);
  });
});
