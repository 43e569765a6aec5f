import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import { admitBindingReview, bindingMutation } from '../../../src/cluster/admission/admit-binding.ts';
import { derive } from '../../../src/cluster/facts.ts';
import { type KarmadaClusterObject, planKarmadaCluster } from '../../../src/cluster/karmada-clusters.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { badge, service, T0 } from '../domain/fixtures.ts';
import { clusterState, policy, policyObject } from './fixtures.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const sov = service('sov', { badges: [badge()] });
const usManaged = service('us-managed', { jurisdiction: 'US' });

const member = (name: string, cloudService: string) => ({
  apiVersion: API_VERSION,
  kind: 'MemberCluster',
  metadata: { name, generation: 1 },
  spec: { cloudService, country: 'FR', kubeconfigSecretRef: { namespace: 'unused', name: 'unused' } },
});

const karmadaCluster = (
  name: string,
  ready: string | undefined,
  labels: Record<string, string> = {},
): KarmadaClusterObject => ({
  metadata: { name, labels },
  status: ready === undefined ? {} : { conditions: [{ type: 'Ready', status: ready }] },
});

const derived = (members: unknown[]) =>
  derive(
    clusterState({ services: [sov, usManaged], policies: [policyObject('p')], memberClusters: members }),
    T0,
  );

describe('planKarmadaCluster', () => {
  it('labels a Ready Karmada Cluster whose MemberCluster record conforms', () => {
    const plan = planKarmadaCluster(karmadaCluster('paris', 'True'), derived([member('paris', 'sov')]));
    expect(plan.patch).toEqual({ metadata: { labels: { [SOV_EU]: 'ThirdPartyCertified' } } });
    expect(plan.recorded).toBe(true);
    expect(plan.changes).toEqual([expect.objectContaining({ key: SOV_EU, granted: true })]);
  });

  it('gives no label to a non-conforming member, and removes a forged one', () => {
    const plan = planKarmadaCluster(
      karmadaCluster('virginia', 'True', { [SOV_EU]: 'ThirdPartyCertified', zone: 'x' }),
      derived([member('virginia', 'us-managed')]),
    );
    expect(plan.patch).toEqual({ metadata: { labels: { [SOV_EU]: null } } });
  });

  it('a Cluster Karmada does not report Ready conforms to nothing', () => {
    const plan = planKarmadaCluster(
      karmadaCluster('paris', 'False', { [SOV_EU]: 'ThirdPartyCertified' }),
      derived([member('paris', 'sov')]),
    );
    expect(plan.patch).toEqual({ metadata: { labels: { [SOV_EU]: null } } });
  });

  it('a Cluster without a MemberCluster record loses every verdict label', () => {
    const plan = planKarmadaCluster(
      karmadaCluster('ghost', 'True', { [SOV_EU]: 'SelfDeclared' }),
      derived([]),
    );
    expect(plan.recorded).toBe(false);
    expect(plan.patch).toEqual({ metadata: { labels: { [SOV_EU]: null } } });
    expect(plan.changes).toEqual([expect.objectContaining({ key: SOV_EU, granted: false })]);
  });
});

const binding = (placement?: Record<string, unknown>) => ({
  apiVersion: 'work.karmada.io/v1alpha2',
  kind: 'ResourceBinding',
  metadata: { name: 'web-deployment', namespace: 'apps' },
  spec: {
    resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'web' },
    ...(placement ? { placement } : {}),
  },
});
const review = (object: unknown, operation = 'CREATE') => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u1', operation, namespace: 'apps', object },
});
const PIN = { key: SOV_EU, operator: 'In', values: ['SelfDeclared', 'ThirdPartyCertified'] };
const decode = (patch?: string) => JSON.parse(Buffer.from(patch ?? '', 'base64').toString('utf8'));

describe('ResourceBinding admission', () => {
  const enforce = policy('p', { mode: 'Enforce' }, 'apps');
  const lookups = (labels: Record<string, string> | null | undefined = {}) => ({
    policies: () => ({ policies: [enforce], namespaceLabels: {} }),
    template: () => (labels === null || labels === undefined ? labels : { labels }),
  });

  it('ANDs the verdict expression into the user clusterAffinity', () => {
    const own = { key: 'zone', operator: 'In', values: ['eu'] };
    const out = admitBindingReview(
      review(binding({ clusterAffinity: { labelSelector: { matchExpressions: [own] } } })),
      lookups(),
    );
    if (out.httpStatus !== 200) throw new Error('expected 200');
    expect(out.review.response.allowed).toBe(true);
    expect(decode(out.review.response.patch)).toEqual([
      { op: 'add', path: '/spec/placement/clusterAffinity/labelSelector/matchExpressions/-', value: PIN },
    ]);
  });

  it('creates the placement when the binding has none, and adds nothing twice', () => {
    expect(bindingMutation(binding(), [PIN])).toEqual([
      {
        op: 'add',
        path: '/spec/placement',
        value: { clusterAffinity: { labelSelector: { matchExpressions: [PIN] } } },
      },
    ]);
    expect(
      bindingMutation(binding({ clusterAffinity: { labelSelector: { matchExpressions: [PIN] } } }), [PIN]),
    ).toEqual([]);
    expect(
      bindingMutation(
        binding({ clusterAffinities: [{ affinityName: 'a' }, { affinityName: 'b', labelSelector: {} }] }),
        [PIN],
      ),
    ).toEqual([
      {
        op: 'add',
        path: '/spec/placement/clusterAffinities/0/labelSelector',
        value: { matchExpressions: [PIN] },
      },
      { op: 'add', path: '/spec/placement/clusterAffinities/1/labelSelector/matchExpressions', value: [PIN] },
    ]);
  });

  it('fails closed: no policies loaded, or the template not in the cache', () => {
    const unsynced = admitBindingReview(review(binding()), { ...lookups(), policies: () => undefined });
    if (unsynced.httpStatus !== 200) throw new Error('expected 200');
    expect(unsynced.review.response).toMatchObject({ allowed: false, status: { code: 503 } });
    const missing = admitBindingReview(review(binding()), lookups(null));
    if (missing.httpStatus !== 200) throw new Error('expected 200');
    expect(missing.review.response).toMatchObject({ allowed: false, status: { code: 503 } });
  });

  it('leaves templates no Enforce policy selects, and non-workload kinds, alone', () => {
    const other = admitBindingReview(review(binding()), {
      ...lookups(),
      policies: () => ({
        policies: [policy('p', { mode: 'Enforce', selector: { matchLabels: { a: 'b' } } }, 'apps')],
        namespaceLabels: {},
      }),
    });
    if (other.httpStatus !== 200) throw new Error('expected 200');
    expect(other.review.response).toEqual({ uid: 'u1', allowed: true });
    const cm = binding();
    cm.spec.resource = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'c' };
    const out = admitBindingReview(review(cm), lookups());
    if (out.httpStatus !== 200) throw new Error('expected 200');
    expect(out.review.response).toEqual({ uid: 'u1', allowed: true });
  });
});
