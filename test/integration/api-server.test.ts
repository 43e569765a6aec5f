// The CRDs and their validation, judged by a real kube-apiserver.
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, resourceDefinitions, VERSION } from '../../src/api/index.ts';
import { TestCluster } from '../harness/cluster.ts';
import { createObjects, installCrds, sampleObjects } from '../harness/install.ts';
import { invalidCases } from '../unit/api/invalid-cases.ts';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ name: 'api', controllers: false, kwok: false });
});
afterAll(async () => {
  await cluster?.stop();
});

const pluralOf = new Map(resourceDefinitions.map((d) => [d.kind, d]));

function collectionPath(object: KubernetesObject): string {
  const def = pluralOf.get(object.kind as never);
  if (!def) throw new Error(`not a kind of ${GROUP}: ${object.kind}`);
  const ns = def.scope === 'Namespaced' ? `/namespaces/${object.metadata?.namespace ?? 'default'}` : '';
  return `/apis/${GROUP}/${VERSION}${ns}/${def.plural}`;
}

describe('CRDs on a real API server', () => {
  it('every CRD in crds/ installs and becomes Established', async () => {
    const names = await installCrds(cluster.adminKubeConfig());
    expect(names.sort()).toEqual(resourceDefinitions.map((d) => `${d.plural}.${GROUP}`).sort());
  });

  it('every sample manifest is accepted', async () => {
    const kc = cluster.adminKubeConfig();
    // The samples create their own namespace (kubectl apply -k deploy/samples on an empty cluster).
    const samples = sampleObjects().sort(
      (a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'),
    );
    const created = await createObjects(kc, samples);
    expect(created.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(
      samples.map((o) => `${o.kind}/${o.metadata?.name}`),
    );
    // Defaults declared in the zod schemas are applied by the API server.
    const policy = created.find((o) => o.kind === 'SovereigntyPolicy') as any;
    expect(policy.spec.requirement.badgeMatch).toBe('AnyOf');
    expect(policy.spec.requirement.minimumProviders).toBe(1);
  });

  it('serves the printer columns and short names', async () => {
    const res = await cluster.request('GET', `/apis/${GROUP}/${VERSION}/cloudservices`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    const table = JSON.parse(res.body);
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['Provider', 'Jurisdiction', 'Parent Jurisdiction', 'Badge Expires']),
    );
    // A badge expiry lies in the future: the column shows the instant, not `<invalid>`.
    const expiresAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
    const status = await cluster.request(
      'PATCH',
      `/apis/${GROUP}/${VERSION}/cloudservices/${table.rows[0].object.metadata.name}/status`,
      { status: { badgeExpiresAt: expiresAt } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(status.status, status.body).toBe(200);
    const one = JSON.parse(
      (
        await cluster.request(
          'GET',
          `/apis/${GROUP}/${VERSION}/cloudservices/${table.rows[0].object.metadata.name}`,
          undefined,
          { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
        )
      ).body,
    );
    const column = one.columnDefinitions.findIndex((c: { name: string }) => c.name === 'Badge Expires');
    expect(one.rows[0].cells[column]).toBe(expiresAt);
    const discovery = JSON.parse((await cluster.request('GET', `/apis/${GROUP}/${VERSION}`)).body);
    const area = discovery.resources.find((r: { name: string }) => r.name === 'sovereigntyareas');
    expect(area.shortNames).toEqual(['sarea']);
    expect(area.categories).toEqual(['sovereignty']);
  });

  it.each(invalidCases.map((c) => [c.name, c]))('refuses %s, naming the field', async (_, c) => {
    const object = structuredClone(c.object) as KubernetesObject;
    object.metadata = { ...object.metadata, name: `invalid-${invalidCases.indexOf(c)}` };
    const res = await cluster.request('POST', `${collectionPath(object)}?fieldValidation=Strict`, object);
    expect(res.status, res.body).toBeGreaterThanOrEqual(400);
    expect(res.status, res.body).toBeLessThan(500);
    const { message } = JSON.parse(res.body) as { message: string };
    expect(message).toContain(c.serverField ?? c.field);
    if (c.serverMessage) expect(message).toContain(c.serverMessage);
  });
});
