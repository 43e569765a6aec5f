import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WORKLOAD_ANNOTATION, WORKLOAD_UID_LABEL } from '../../../src/cluster/workload-plan.ts';
import { copyOf, type Manifest } from '../../../src/operator/hub/member-client.ts';

const workload = { namespace: 'apps', name: 'web', uid: 'uid-1234' };

const manifest = (): Manifest => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'elsewhere',
    labels: { app: 'web', tier: 'front' },
    annotations: { 'team.example/owner': 'payments' },
    uid: 'hub-uid',
    resourceVersion: '42',
    generation: 7,
    creationTimestamp: '2026-01-01T00:00:00Z',
    deletionTimestamp: '2026-01-02T00:00:00Z',
    deletionGracePeriodSeconds: 30,
    managedFields: [{ manager: 'kubectl' }],
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'x' }],
    selfLink: '/apis/apps/v1/namespaces/elsewhere/deployments/web',
    finalizers: ['example.com/keep'],
  },
  spec: { replicas: 2, template: { metadata: { labels: { app: 'web' } } } },
  status: { availableReplicas: 2 },
});

describe('copyOf', () => {
  it('strips hub-side metadata and status, forces the namespace, labels and annotates with the workload', () => {
    const copy = copyOf(manifest(), workload);
    expect(copy).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'apps',
        labels: { app: 'web', tier: 'front', [WORKLOAD_UID_LABEL]: 'uid-1234' },
        annotations: { 'team.example/owner': 'payments', [WORKLOAD_ANNOTATION]: 'apps/web' },
        finalizers: ['example.com/keep'],
      },
      spec: { replicas: 2, template: { metadata: { labels: { app: 'web' } } } },
    });
  });

  it('adds the label and annotation when the manifest has none', () => {
    const copy = copyOf(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } },
      workload,
    );
    expect(copy.metadata).toEqual({
      name: 'cfg',
      namespace: 'apps',
      labels: { [WORKLOAD_UID_LABEL]: 'uid-1234' },
      annotations: { [WORKLOAD_ANNOTATION]: 'apps/web' },
    });
    expect(copy.data).toEqual({ a: '1' });
  });

  it('a user label or annotation with the hub key cannot name another workload', () => {
    const copy = copyOf(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'cfg',
          labels: { [WORKLOAD_UID_LABEL]: 'someone-else' },
          annotations: { [WORKLOAD_ANNOTATION]: 'other/workload' },
        },
      },
      workload,
    );
    expect(copy.metadata.labels).toEqual({ [WORKLOAD_UID_LABEL]: 'uid-1234' });
    expect(copy.metadata.annotations).toEqual({ [WORKLOAD_ANNOTATION]: 'apps/web' });
  });

  it('leaves the workload manifest untouched', () => {
    const original = manifest();
    copyOf(original, workload);
    expect(original).toEqual(manifest());
  });

  it('for any manifest: the workload namespace, the uid label, the user labels kept, nothing hub-side', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9.-]{0,12}(\/[a-z0-9-]{1,8})?$/);
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.string({ maxLength: 8 }), { maxKeys: 4 }),
        fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
        fc.subarray(['uid', 'resourceVersion', 'managedFields', 'ownerReferences', 'generation'] as const),
        (labels, namespace, hubFields) => {
          const metadata: Manifest['metadata'] = { name: 'x', labels };
          if (namespace !== undefined) metadata.namespace = namespace;
          for (const f of hubFields) metadata[f] = f === 'generation' ? 1 : 'value';
          const copy = copyOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata, status: {} }, workload);
          expect(copy.metadata.namespace).toBe('apps');
          expect(copy.status).toBeUndefined();
          for (const f of hubFields) expect(copy.metadata[f]).toBeUndefined();
          const copied = copy.metadata.labels as Record<string, string>;
          expect(copied[WORKLOAD_UID_LABEL]).toBe('uid-1234');
          for (const [k, v] of Object.entries(labels))
            if (k !== WORKLOAD_UID_LABEL) expect(copied[k]).toBe(v);
        },
      ),
      { numRuns: 300 },
    );
  });
});
