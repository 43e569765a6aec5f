import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../src/api/group.ts';
import { admitBindingReview, bindingMutation } from '../../../src/cluster/admission/admit-binding.ts';
import { derive } from '../../../src/cluster/facts.ts';
import { type KarmadaClusterObject, planKarmadaCluster } from '../../../src/cluster/karmada-clusters.ts';
import {
  describeRepin,
  karmadaStandings,
  NO_CONFORMING_CLUSTER,
  PINNED_ANNOTATION,
  readPinRecord,
} from '../../../src/cluster/karmada-placement.ts';
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

describe('karmadaStandings', () => {
  it("judges each Cluster by its MemberCluster record and Karmada's Ready condition, for every policy", () => {
    const d = derived([member('paris', 'sov'), member('berlin', 'sov'), member('dallas', 'us-managed')]);
    const out = karmadaStandings(
      [
        karmadaCluster('paris', 'True', { [SOV_EU]: 'ThirdPartyCertified' }),
        karmadaCluster('berlin', 'False'),
        karmadaCluster('dallas', 'True', { [SOV_EU]: 'SelfDeclared' }),
        karmadaCluster('ghost', 'True', { [SOV_EU]: 'ThirdPartyCertified' }),
      ],
      [policy('p', { mode: 'Enforce' })],
      d,
    );
    expect(out.conforming).toEqual(['paris']);
    const why = Object.fromEntries(out.clusters.map((c) => [c.name, c.reasons.map((r) => r.code)]));
    expect(why.paris).toEqual([]);
    expect(why.berlin).toContain('TargetUnhealthy');
    expect(why.dallas?.length).toBeGreaterThan(0);
    // A label on the Cluster counts for nothing: without a record it conforms to nothing.
    expect(why.ghost).toEqual(['UnknownCloudService']);
  });
});

describe('describeRepin', () => {
  const d = derived([member('paris', 'sov'), member('berlin', 'sov')]);
  const standings = karmadaStandings(
    [karmadaCluster('paris', 'True'), karmadaCluster('berlin', 'False')],
    [policy('p', { mode: 'Enforce' })],
    d,
  );
  it('says which cluster the template leaves and why, once per cluster', () => {
    const change = describeRepin('Deployment apps/web', [['berlin', 'paris']], ['paris'], standings);
    expect(change).toMatchObject({ type: 'Normal', reason: 'Repinned' });
    expect(change.message).toMatch(/It leaves berlin: The member cluster is not healthy/);
    expect(change.message).not.toContain('berlin: berlin');
  });
  it('warns when no cluster is left', () => {
    const change = describeRepin('Deployment apps/web', [['paris']], [], standings);
    expect(change).toMatchObject({ type: 'Warning', reason: 'NoConformingCapacity' });
    expect(change.message).toContain('places it nowhere');
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

/** Applies the webhook's JSON patch (only `add` of whole members, which is all it writes). */
function applied(object: ReturnType<typeof binding>, patch: { op: string; path: string; value: unknown }[]) {
  const copy = structuredClone(object) as Record<string, unknown>;
  for (const op of patch) {
    const keys = op.path
      .split('/')
      .slice(1)
      .map((k) => k.replaceAll('~1', '/'));
    let at = copy as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      at[k] ??= {};
      at = at[k] as Record<string, unknown>;
    }
    at[keys.at(-1) as string] = op.value;
  }
  return copy as ReturnType<typeof binding>;
}

describe('ResourceBinding admission', () => {
  const enforce = policy('p', { mode: 'Enforce' }, 'apps');
  const lookups = (
    labels: Record<string, string> | null | undefined = {},
    conforming: readonly string[] | undefined = ['berlin', 'paris'],
  ) => ({
    policies: () => ({ policies: [enforce], namespaceLabels: {} }),
    template: () => (labels === null || labels === undefined ? labels : { labels }),
    clusters: () => conforming,
  });
  const pinnedPlacement = (out: ReturnType<typeof admitBindingReview>) => {
    if (out.httpStatus !== 200) throw new Error('expected 200');
    expect(out.review.response.allowed).toBe(true);
    return decode(out.review.response.patch);
  };

  it('ANDs the verdict expression into the user clusterAffinity and narrows it to the conforming clusters', () => {
    const own = { key: 'zone', operator: 'In', values: ['eu'] };
    const patch = pinnedPlacement(
      admitBindingReview(
        review(binding({ clusterAffinity: { labelSelector: { matchExpressions: [own] } } })),
        lookups(),
      ),
    );
    expect(patch).toEqual([
      {
        op: 'add',
        path: '/spec/placement',
        value: {
          clusterAffinity: {
            labelSelector: { matchExpressions: [own, PIN] },
            clusterNames: ['berlin', 'paris'],
          },
        },
      },
      {
        op: 'add',
        path: '/metadata/annotations',
        value: { [PINNED_ANNOTATION]: JSON.stringify({ pinned: [['berlin', 'paris']], asked: [null] }) },
      },
    ]);
  });

  it('creates the placement when the binding has none, pins each term of clusterAffinities, and a pinned binding passes unchanged', () => {
    const once = applied(binding(), bindingMutation(binding(), [PIN], ['paris']));
    expect(once.spec).toMatchObject({
      placement: { clusterAffinity: { labelSelector: { matchExpressions: [PIN] }, clusterNames: ['paris'] } },
    });
    expect(bindingMutation(once, [PIN], ['paris'])).toEqual([]);
    const terms = binding({
      clusterAffinities: [{ affinityName: 'a' }, { affinityName: 'b', labelSelector: {} }],
    });
    const pinned = applied(terms, bindingMutation(terms, [PIN], ['paris']));
    expect(pinned.spec).toMatchObject({
      placement: {
        clusterAffinities: [
          { affinityName: 'a', labelSelector: { matchExpressions: [PIN] }, clusterNames: ['paris'] },
          { affinityName: 'b', labelSelector: { matchExpressions: [PIN] }, clusterNames: ['paris'] },
        ],
      },
    });
  });

  it('keeps the clusters the placement asks for, and finds them again when a cluster conforms again', () => {
    const asked = binding({ clusterAffinity: { clusterNames: ['frankfurt', 'paris', 'berlin'] } });
    const first = applied(asked, bindingMutation(asked, [], ['berlin', 'paris']));
    expect(first.spec).toMatchObject({
      placement: { clusterAffinity: { clusterNames: ['berlin', 'paris'] } },
    });
    // berlin stops conforming, then conforms again: the pin follows, within what the placement asked.
    const second = applied(first, bindingMutation(first, [], ['paris']));
    expect(second.spec).toMatchObject({ placement: { clusterAffinity: { clusterNames: ['paris'] } } });
    const third = applied(second, bindingMutation(second, [], ['berlin', 'lyon', 'paris']));
    expect(third.spec).toMatchObject({
      placement: { clusterAffinity: { clusterNames: ['berlin', 'paris'] } },
    });
    // Karmada rewrites the placement from its PropagationPolicy: its new list is what is asked now.
    const rewritten = structuredClone(third);
    (
      rewritten.spec as unknown as { placement: { clusterAffinity: { clusterNames: string[] } } }
    ).placement.clusterAffinity.clusterNames = ['lyon'];
    const fourth = applied(rewritten, bindingMutation(rewritten, [], ['berlin', 'lyon', 'paris']));
    expect(fourth.spec).toMatchObject({ placement: { clusterAffinity: { clusterNames: ['lyon'] } } });
  });

  it('pins to a name no cluster can have when nothing conforms (an empty list would mean every cluster)', () => {
    const pinned = applied(binding(), bindingMutation(binding(), [PIN], []));
    expect(pinned.spec).toMatchObject({
      placement: { clusterAffinity: { clusterNames: [NO_CONFORMING_CLUSTER] } },
    });
    expect(NO_CONFORMING_CLUSTER).not.toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('a pin record edited by hand cannot add a non-conforming cluster', () => {
    const forged = binding({ clusterAffinity: { clusterNames: ['paris'] } });
    (forged.metadata as Record<string, unknown>).annotations = {
      [PINNED_ANNOTATION]: JSON.stringify({ pinned: [['paris']], asked: [['frankfurt', 'paris']] }),
    };
    const out = applied(forged, bindingMutation(forged, [], ['paris']));
    expect(out.spec).toMatchObject({ placement: { clusterAffinity: { clusterNames: ['paris'] } } });
    expect(readPinRecord({ [PINNED_ANNOTATION]: '{not json' })).toBeNull();
    expect(readPinRecord({ [PINNED_ANNOTATION]: JSON.stringify({ pinned: [[]], asked: [] }) })).toBeNull();
  });

  it('pins AnyOf several badges by cluster names alone, instead of refusing it', () => {
    const anyOf = policy(
      'p',
      {
        mode: 'Enforce',
        requirement: { badges: ['Sovereign', 'Resilient'], badgeMatch: 'AnyOf', area: 'eu' },
      },
      'apps',
    );
    const patch = pinnedPlacement(
      admitBindingReview(review(binding()), {
        ...lookups(),
        policies: () => ({ policies: [anyOf], namespaceLabels: {} }),
      }),
    );
    expect(patch[0]).toEqual({
      op: 'add',
      path: '/spec/placement',
      value: { clusterAffinity: { clusterNames: ['berlin', 'paris'] } },
    });
  });

  it("fails closed: no policies loaded, the template not in the cache, or Karmada's clusters not loaded", () => {
    for (const l of [
      { ...lookups(), policies: () => undefined },
      lookups(null),
      { ...lookups(), clusters: () => undefined },
    ]) {
      const out = admitBindingReview(review(binding()), l);
      if (out.httpStatus !== 200) throw new Error('expected 200');
      expect(out.review.response).toMatchObject({ allowed: false, status: { code: 503 } });
    }
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
