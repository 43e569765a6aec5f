import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeFactLabels } from '../../../src/api/group.ts';
import type { CloudService } from '../../../src/api/index.ts';
import type { ClaimContext } from '../../../src/cluster/admission/admit-claim.ts';
import { admitReview } from '../../../src/cluster/admission/admit-pod.ts';
import { derive } from '../../../src/cluster/facts.ts';
import type {
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodObject,
  StorageClassObject,
} from '../../../src/cluster/objects.ts';
import { type PolicyPlan, planPolicy } from '../../../src/cluster/policy-plan.ts';
import {
  claimStorageClass,
  DEFAULT_CLASS_ANNOTATION,
  defaultStorageClass,
  volumeCountry,
} from '../../../src/cluster/volumes.ts';
import { service, T0 } from '../domain/fixtures.ts';
import { clusterState, euArea, freshRateLimit, NS, nodeObject, podObject, policyObject } from './fixtures.ts';

const withStorage = (s: CloudService, storage: CloudService['spec']['storage']): CloudService => ({
  ...s,
  spec: { ...s.spec, storage },
});

const services = [
  service('sov', { provider: 'EuroCloud' }),
  withStorage(service('sov-storage', { provider: 'EuroBlock' }), {
    storageClasses: ['sovereign-block'],
    csiDrivers: ['block.eurocloud.example'],
  }),
  withStorage(service('cheap-storage', { provider: 'Budget', badges: [] }), {
    storageClasses: ['cheap-block'],
  }),
];

const storageClass = (
  name: string,
  o: { provisioner?: string; isDefault?: boolean } = {},
): StorageClassObject => ({
  metadata: {
    name,
    ...(o.isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}),
  },
  provisioner: o.provisioner ?? 'kubernetes.io/no-provisioner',
});
const classes = [storageClass('sovereign-block'), storageClass('cheap-block', { isDefault: true })];

const pinned = (countries: string[][]) => ({
  required: {
    nodeSelectorTerms: countries.map((values) => ({
      matchExpressions: [{ key: NodeFactLabels.country, operator: 'In', values }],
    })),
  },
});
const volume = (name: string, cls: string, country: string | null): PersistentVolumeObject => ({
  metadata: { name },
  spec: { storageClassName: cls, ...(country ? { nodeAffinity: pinned([[country]]) } : {}) },
});
const claim = (
  name: string,
  o: { cls?: string | null; volume?: string } = {},
): PersistentVolumeClaimObject => ({
  metadata: { name, namespace: NS },
  spec: {
    ...(o.cls === undefined ? {} : { storageClassName: o.cls }),
    ...(o.volume ? { volumeName: o.volume } : {}),
  },
});
const mounting = (pod: PodObject, ...claims: string[]): PodObject => ({
  ...pod,
  spec: {
    ...pod.spec,
    volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
  },
});

function plan(
  pods: PodObject[],
  claims: PersistentVolumeClaimObject[],
  volumes: PersistentVolumeObject[],
  policies = [policyObject('sov-all')],
): PolicyPlan {
  const state = clusterState({
    policies,
    services,
    areas: [euArea],
    nodes: [nodeObject('sov-1', { service: 'sov' })],
    pods,
    claims,
    volumes,
    storageClasses: classes,
  });
  const derived = derive(state, T0);
  expect(derived.invalid).toEqual([]);
  const policy = derived.policies[0];
  if (!policy) throw new Error('no policy');
  return planPolicy({ policy, state, derived, rateLimit: freshRateLimit, hasCapacity: () => true });
}

describe('where a volume resides', () => {
  it('is the one country every term of its required node affinity pins it to', () => {
    expect(volumeCountry({ metadata: { name: 'v' }, spec: { nodeAffinity: pinned([['FR']]) } })).toBe('FR');
    expect(volumeCountry({ metadata: { name: 'v' }, spec: { nodeAffinity: pinned([['FR'], ['FR']]) } })).toBe(
      'FR',
    );
    expect(
      volumeCountry({ metadata: { name: 'v' }, spec: { nodeAffinity: pinned([['FR'], ['DE']]) } }),
    ).toBeNull();
    expect(volumeCountry({ metadata: { name: 'v' }, spec: {} })).toBeNull();
  });

  it('is known only when every term pins the protected country label to that one country (property)', () => {
    const expression = fc.record({
      key: fc.constantFrom(
        NodeFactLabels.country,
        'topology.kubernetes.io/region',
        'sovereign-placement.io/country',
      ),
      operator: fc.constantFrom('In', 'NotIn', 'Exists'),
      values: fc.subarray(['FR', 'DE', 'fr']),
    });
    fc.assert(
      fc.property(fc.array(fc.array(expression, { maxLength: 3 }), { maxLength: 3 }), (terms) => {
        const country = volumeCountry({
          metadata: { name: 'v' },
          spec: {
            nodeAffinity: {
              required: { nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })) },
            },
          },
        });
        if (country === null) return;
        expect(terms.length).toBeGreaterThan(0);
        for (const term of terms) {
          const pins = term.filter((e) => e.key === NodeFactLabels.country && e.operator === 'In');
          expect(pins.length).toBeGreaterThan(0);
          // The countries the term allows (its pins are ANDed): none, or only this one.
          const allowed = (pins[0]?.values ?? []).filter((v) => pins.every((p) => p.values.includes(v)));
          for (const c of allowed) expect(c).toBe(country);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the class of a claim', () => {
  it('is the one it names, the newest default when it names none, none for ""', () => {
    const older = {
      ...storageClass('old', { isDefault: true }),
      metadata: {
        ...storageClass('old', { isDefault: true }).metadata,
        creationTimestamp: '2025-01-01T00:00:00Z',
      },
    };
    const newer = {
      ...storageClass('new', { isDefault: true }),
      metadata: {
        ...storageClass('new', { isDefault: true }).metadata,
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
    };
    expect(defaultStorageClass([older, newer])).toBe('new');
    expect(claimStorageClass({}, [older, newer])).toEqual({ storageClass: 'new', defaulted: true });
    expect(claimStorageClass({ storageClassName: 'x' }, [older])).toEqual({
      storageClass: 'x',
      defaulted: false,
    });
    expect(claimStorageClass({ storageClassName: '' }, [older])).toEqual({
      storageClass: null,
      defaulted: false,
    });
  });
});

describe('planPolicy: volumes', () => {
  const claims = [
    claim('good', { cls: 'sovereign-block', volume: 'pv-good' }),
    claim('cheap', { cls: 'cheap-block', volume: 'pv-cheap' }),
    claim('away', { cls: 'sovereign-block', volume: 'pv-us' }),
    claim('pending', { cls: 'cheap-block' }),
  ];
  const volumes = [
    volume('pv-good', 'sovereign-block', 'FR'),
    volume('pv-cheap', 'cheap-block', 'FR'),
    volume('pv-us', 'sovereign-block', 'US'),
  ];

  it('releases the gate of a pod whose volumes conform, and keeps it on one whose volume does not', () => {
    const result = plan(
      [
        mounting(podObject('ok-0', { gated: true }), 'good'),
        mounting(podObject('cheap-0', { gated: true }), 'cheap'),
        mounting(podObject('away-0', { gated: true }), 'away'),
        mounting(podObject('unbound-0', { gated: true }), 'pending'),
        mounting(podObject('missing-0', { gated: true }), 'nowhere'),
      ],
      claims,
      volumes,
    );
    expect(result.ungate.map((p) => p.name)).toEqual(['ok-0']);
    expect(result.stillGated.map((p) => p.name)).toEqual(['cheap-0', 'away-0', 'unbound-0', 'missing-0']);
    const held = (name: string) =>
      result.heldByVolumes
        .get(`${NS}/${name}`)
        ?.map((r) => r.message)
        .join(' ');
    expect(held('cheap-0')).toContain(
      'bound to volume pv-cheap, which does not conform: CloudService cheap-storage holds no Sovereign badge',
    );
    expect(held('away-0')).toContain("The volume's data resides in US");
    expect(held('unbound-0')).toContain('not bound yet, whose StorageClass does not conform');
    expect(held('missing-0')).toContain('claim nowhere, which does not exist');
    expect(held('cheap-0')).toContain('keeps its scheduling gate');
  });

  it('counts and explains the non-conforming volumes of running pods, once per volume, and says data is not moved', () => {
    const result = plan(
      [
        mounting(podObject('db-0', { nodeName: 'sov-1' }), 'good', 'cheap'),
        mounting(podObject('db-1', { nodeName: 'sov-1' }), 'cheap'),
      ],
      claims,
      volumes,
    );
    expect(result.counts.nonConformingVolumes).toBe(1);
    expect(result.nonConformingVolumes).toEqual([
      expect.objectContaining({
        volume: 'pv-cheap',
        claim: { namespace: NS, name: 'cheap' },
        pods: ['db-0', 'db-1'],
      }),
    ]);
    const condition = result.conditions.find((c) => c.type === 'VolumesConform');
    expect(condition).toMatchObject({ status: 'False', reason: 'VolumesNotConforming' });
    expect(condition?.message).toContain('volume pv-cheap (claim cheap) of pods db-0, db-1');
    expect(condition?.message).toContain('Data cannot be evicted like a pod');
    // The pods themselves are on a conforming node: nothing is evicted for a volume.
    expect(result.failover.evictNow).toEqual([]);
  });

  it('has a VolumesConform condition only when a selected pod mounts a claim', () => {
    expect(
      plan([podObject('web-0', { nodeName: 'sov-1' })], claims, volumes).conditions.map((c) => c.type),
    ).toEqual(['Ready', 'Conforming', 'CapacityAvailable']);
    const ok = plan([mounting(podObject('db-0', { nodeName: 'sov-1' }), 'good')], claims, volumes);
    expect(ok.conditions.find((c) => c.type === 'VolumesConform')).toMatchObject({ status: 'True' });
    expect(ok.counts.nonConformingVolumes).toBe(0);
  });
});

describe('admission of a claim', () => {
  const state = clusterState({
    policies: [policyObject('sov-db', { selector: { matchLabels: { tier: 'db' } } })],
    services,
  });
  const derived = derive(state, T0);
  const context: ClaimContext = {
    policies: derived.policies,
    namespaceLabels: {},
    storageClasses: classes,
    derived,
  };
  const review = (labels: Record<string, string>, storageClassName?: string | null) =>
    admitReview(
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u1',
          operation: 'CREATE',
          kind: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
          namespace: NS,
          object: {
            metadata: { name: 'data', labels },
            spec: storageClassName === undefined ? {} : { storageClassName },
          },
        },
      },
      () => [],
      () => context,
    );
  const response = (o: ReturnType<typeof review>) => (o.httpStatus === 200 ? o.review.response : undefined);

  it('admits a selected claim of a conforming class, and any claim no Enforce policy selects', () => {
    expect(response(review({ tier: 'db' }, 'sovereign-block'))?.allowed).toBe(true);
    expect(response(review({ tier: 'web' }, 'cheap-block'))?.allowed).toBe(true);
  });

  it('refuses a selected claim of a non-conforming or default class, naming the field and the classes that would do', () => {
    const named = response(review({ tier: 'db' }, 'cheap-block'));
    expect(named?.allowed).toBe(false);
    expect(named?.status?.code).toBe(403);
    expect(named?.status?.message).toContain(
      'names StorageClass "cheap-block" in spec.storageClassName, which does not conform: CloudService cheap-storage holds no Sovereign badge for area eu. StorageClasses that would do: sovereign-block.',
    );
    expect(named?.status?.message).toContain('Enforce policy sov-db selects it by its labels');
    const defaulted = response(review({ tier: 'db' }));
    expect(defaulted?.status?.message).toContain('gets the default StorageClass "cheap-block"');
  });

  it('refuses while the caches are not synced (fail closed), and a claim it cannot read', () => {
    const unsynced = admitReview(
      {
        request: {
          uid: 'u2',
          operation: 'CREATE',
          kind: { group: '', kind: 'PersistentVolumeClaim' },
          namespace: NS,
          object: { metadata: { name: 'x' } },
        },
      },
      () => [],
      () => undefined,
    );
    expect(response(unsynced)?.status?.code).toBe(503);
    const malformed = admitReview(
      {
        request: {
          uid: 'u3',
          operation: 'CREATE',
          kind: { group: '', kind: 'PersistentVolumeClaim' },
          namespace: NS,
          object: { spec: { storageClassName: 7 } },
        },
      },
      () => [],
      () => context,
    );
    expect(response(malformed)?.status?.message).toContain('object.spec.storageClassName');
  });
});
