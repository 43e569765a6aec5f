// loadLiveInventory against a local API server that serves Karmada's APIs or not: what is listed, when,
// and which refusals are warned about.
import { createServer, type Server } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type Loadable, loadLiveInventory } from '../../../src/cli/live.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** An API server with these lists by path (404 for any other), recording the paths asked. */
async function serve(
  lists: Record<string, unknown[]>,
  forbidden: readonly string[] = [],
): Promise<{ kc: KubeConfig; asked: string[] }> {
  const asked: string[] = [];
  server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    asked.push(path);
    const items = lists[path];
    res.setHeader('content-type', 'application/json');
    if (forbidden.includes(path)) {
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden' }));
      return;
    }
    if (!items) {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }));
      return;
    }
    res.end(JSON.stringify({ metadata: {}, items }));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { kc, asked };
}

const CLUSTERS = '/apis/cluster.karmada.io/v1alpha1/clusters';
const BINDINGS = '/apis/work.karmada.io/v1alpha2/resourcebindings';
const DEPLOYMENTS = '/apis/apps/v1/deployments';
const deployment = { metadata: { name: 'ledger', namespace: 'payments', labels: { app: 'ledger' } } };
const KARMADA_LISTS: Loadable[] = ['karmadaClusters', 'resourceBindings', 'deployments'];

describe('loading Karmada objects from an API server', () => {
  it('lists clusters, bindings and templates of a Karmada API server, with apiVersion and kind', async () => {
    const { kc } = await serve({
      [CLUSTERS]: [
        { metadata: { name: 'paris' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      ],
      [BINDINGS]: [
        {
          metadata: { name: 'ledger-deployment', namespace: 'payments' },
          spec: {
            resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'payments', name: 'ledger' },
            clusters: [{ name: 'paris', replicas: 2 }],
          },
        },
      ],
      [DEPLOYMENTS]: [deployment],
    });
    const warnings: string[] = [];
    const inv = await loadLiveInventory(kc, new Set(KARMADA_LISTS), (l) => warnings.push(l));
    expect(warnings).toEqual([]);
    expect(inv.karmadaClusters.map((c) => c.metadata.name)).toEqual(['paris']);
    expect(inv.resourceBindings[0]?.spec.clusters).toEqual([{ name: 'paris', replicas: 2 }]);
    expect(inv.templates).toEqual([expect.objectContaining({ apiVersion: 'apps/v1', kind: 'Deployment' })]);
  });

  it('does not list bindings and templates of an API server without Karmada clusters, and warns of nothing for a report', async () => {
    const { kc, asked } = await serve({ [DEPLOYMENTS]: [deployment] });
    const warnings: string[] = [];
    const inv = await loadLiveInventory(kc, new Set(KARMADA_LISTS), (l) => warnings.push(l), {
      quiet: new Set<Loadable>(['karmadaClusters', 'resourceBindings']),
    });
    expect(warnings).toEqual([]);
    expect(asked).toEqual([CLUSTERS]);
    expect(inv.karmadaClusters).toEqual([]);
    expect(inv.templates).toEqual([]);
  });

  it("warns clearly, for explain of a template, when the API server does not serve Karmada's APIs", async () => {
    const { kc, asked } = await serve({ [DEPLOYMENTS]: [deployment] });
    const warnings: string[] = [];
    const inv = await loadLiveInventory(kc, new Set(KARMADA_LISTS), (l) => warnings.push(l), {
      always: true,
    });
    expect(asked.sort()).toEqual([BINDINGS, CLUSTERS, DEPLOYMENTS].sort());
    expect(warnings).toEqual([
      expect.stringContaining(
        'does not serve cluster.karmada.io/v1alpha1 Clusters: it is not a Karmada API server',
      ),
      expect.stringContaining('does not serve work.karmada.io/v1alpha2 ResourceBindings'),
    ]);
    expect(inv.templates.map((t) => t.metadata.name)).toEqual(['ledger']);
  });

  it('says, even for a report, when RBAC forbids listing Karmada clusters, and goes on without them', async () => {
    const { kc } = await serve({ [DEPLOYMENTS]: [deployment] }, [CLUSTERS]);
    const warnings: string[] = [];
    const inv = await loadLiveInventory(kc, new Set(KARMADA_LISTS), (l) => warnings.push(l), {
      quiet: new Set<Loadable>(['karmadaClusters', 'resourceBindings']),
    });
    expect(warnings).toEqual([
      'warning: cannot list clusters.cluster.karmada.io (forbidden): no Karmada cluster is judged',
    ]);
    expect(inv.karmadaClusters).toEqual([]);
  });
});
