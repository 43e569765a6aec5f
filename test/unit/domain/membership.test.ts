import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InformationalLabels, NodeFactLabels } from '../../../src/api/group.ts';
import type { MemberCluster } from '../../../src/api/index.ts';
import {
  indexAreas,
  indexServices,
  informationalDisagreements,
  matchesSelector,
  memberClusterTarget,
  nodeMembership,
  nodeTarget,
  resolveArea,
} from '../../../src/domain/index.ts';
import { service } from './fixtures.ts';

const POOL = 'node-restriction.kubernetes.io/pool';
const plain = service('plain');
const pooled = service('pooled', { nodeSelector: { matchLabels: { [POOL]: 'a' } } });
const pooledToo = service('pooled-too', {
  nodeSelector: { matchExpressions: [{ key: POOL, operator: 'In', values: ['a', 'b'] }] },
});
const catalog = indexServices([plain, pooled]);

describe('areas', () => {
  const areas = indexAreas([{ metadata: { name: 'eu' }, spec: { countries: ['FR', 'DE'] } }]);
  it('resolves a known area to its countries', () => {
    const r = resolveArea(areas, 'eu');
    expect(r.ok && [...r.countries]).toEqual(['FR', 'DE']);
  });
  it('gives UnknownArea for an unknown one', () => {
    const r = resolveArea(areas, 'nowhere');
    expect(r.ok ? null : r.reason.code).toBe('UnknownArea');
  });
});

describe('nodeMembership', () => {
  it('takes the service named by the protected label when that service has no nodeSelector', () => {
    expect(nodeMembership({ [NodeFactLabels.cloudService]: 'plain' }, catalog).service?.metadata.name).toBe(
      'plain',
    );
  });

  it('takes the service whose nodeSelector matches', () => {
    expect(nodeMembership({ [POOL]: 'a' }, catalog).service?.metadata.name).toBe('pooled');
  });

  it('ignores the label naming a service that selects its nodes by nodeSelector', () => {
    const m = nodeMembership({ [NodeFactLabels.cloudService]: 'pooled' }, catalog);
    expect(m.service).toBeNull();
    expect(m.reason?.code).toBe('UnknownCloudService');
    expect(m.reason?.message).toContain('selects its nodes by nodeSelector');
  });

  it('gives UnknownCloudService when the label names no service', () => {
    const m = nodeMembership({ [NodeFactLabels.cloudService]: 'ghost' }, catalog);
    expect(m.reason?.code).toBe('UnknownCloudService');
    expect(m.reason?.message).toContain('"ghost", which does not exist');
  });

  it('never trusts the informational provider label', () => {
    const m = nodeMembership({ [InformationalLabels.provider]: 'plain', 'cloud-service': 'plain' }, catalog);
    expect(m.reason?.code).toBe('UnknownCloudService');
  });

  it('gives AmbiguousCloudService when two services claim the node, naming both', () => {
    const m = nodeMembership(
      { [POOL]: 'a', [NodeFactLabels.cloudService]: 'plain' },
      indexServices([plain, pooled, pooledToo]),
    );
    expect(m.service).toBeNull();
    expect(m.reason?.code).toBe('AmbiguousCloudService');
    expect(m.reason?.message).toContain('(plain, pooled, pooled-too)');
  });

  it('ignores a nodeSelector over unprotected keys (a kubelet could set them)', () => {
    const sneaky = service('sneaky', { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'n1' } } });
    const m = nodeMembership({ 'kubernetes.io/hostname': 'n1' }, indexServices([sneaky]));
    expect(m.reason?.code).toBe('UnknownCloudService');
  });
});

describe('nodeTarget', () => {
  it('reads country and cordon from protected labels only', () => {
    const t = nodeTarget(
      {
        name: 'n1',
        labels: {
          [NodeFactLabels.cloudService]: 'plain',
          [NodeFactLabels.country]: 'DE',
          [NodeFactLabels.cordoned]: 'true',
          [InformationalLabels.country]: 'FR',
        },
      },
      catalog,
    );
    expect(t).toMatchObject({ kind: 'Node', name: 'n1', country: 'DE', cordoned: true, healthy: true });
    expect(t.membership.service?.metadata.name).toBe('plain');
  });

  it('has no country without the protected label, whatever informational labels say', () => {
    const t = nodeTarget({ name: 'n', labels: { [InformationalLabels.country]: 'FR' } }, catalog);
    expect(t.country).toBeNull();
  });

  it('refuses a country label that is not an upper-case ISO code', () => {
    expect(nodeTarget({ name: 'n', labels: { [NodeFactLabels.country]: 'fr' } }, catalog).country).toBeNull();
    expect(
      nodeTarget({ name: 'n', labels: { [NodeFactLabels.country]: 'France' } }, catalog).country,
    ).toBeNull();
  });
});

describe('memberClusterTarget', () => {
  const mc = (cloudService: string, cordoned = false) =>
    ({
      metadata: { name: 'm1' },
      spec: {
        cloudService,
        country: 'FR',
        kubeconfigSecretRef: { namespace: 'ns', name: 'kc', key: 'kubeconfig' },
        unreachableGracePeriod: '60s',
        cordoned,
      },
    }) as Pick<MemberCluster, 'metadata' | 'spec'>;

  it('takes service and country from the MemberCluster spec', () => {
    const t = memberClusterTarget(mc('plain', true), catalog, false);
    expect(t).toMatchObject({
      kind: 'MemberCluster',
      name: 'm1',
      country: 'FR',
      cordoned: true,
      healthy: false,
    });
    expect(t.membership.service?.metadata.name).toBe('plain');
  });

  it('gives UnknownCloudService for a service that does not exist', () => {
    expect(memberClusterTarget(mc('ghost'), catalog, true).membership.reason?.code).toBe(
      'UnknownCloudService',
    );
  });
});

describe('informationalDisagreements', () => {
  const fr = service('fr-cloud', { provider: 'Cloud Souverain SAS' });
  const m = { service: fr, reason: null } as const;

  it('is empty when informational labels agree with the facts', () => {
    expect(
      informationalDisagreements(
        {
          [NodeFactLabels.country]: 'FR',
          [InformationalLabels.country]: 'fr',
          [InformationalLabels.provider]: 'cloud-souverain-sas',
        },
        m,
      ),
    ).toEqual([]);
  });

  it('lists each label that disagrees, with the fact', () => {
    const found = informationalDisagreements(
      {
        [NodeFactLabels.country]: 'FR',
        [InformationalLabels.country]: 'DE',
        [InformationalLabels.provider]: 'hyperscaler',
      },
      m,
    );
    expect(found.map((d) => [d.label, d.value, d.factValue])).toEqual([
      [InformationalLabels.country, 'DE', 'FR'],
      [InformationalLabels.provider, 'hyperscaler', 'Cloud Souverain SAS'],
    ]);
    expect(found.every((d) => d.reason.code === 'InformationalLabelMismatch')).toBe(true);
  });

  it('reports a claim that no trusted fact backs', () => {
    const found = informationalDisagreements(
      { [InformationalLabels.country]: 'FR' },
      { service: null, reason: nodeMembership({}, catalog).reason as never },
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.factValue).toBeUndefined();
    expect(found[0]?.reason.message).toContain('not known');
  });
});

describe('nodeMembership against the definition (property)', () => {
  const KEYS = ['node-restriction.kubernetes.io/pool', 'node-restriction.kubernetes.io/zone'];
  const selectorArb = fc.oneof(
    fc.record({
      matchLabels: fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom('a', 'b'), { minKeys: 1 }),
    }),
    fc.record({
      matchExpressions: fc.array(
        fc.record({
          key: fc.constantFrom(...KEYS),
          operator: fc.constantFrom(
            'In' as const,
            'NotIn' as const,
            'Exists' as const,
            'DoesNotExist' as const,
          ),
          values: fc.constant<string[]>(['a']),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
  );
  const servicesArb = fc
    .uniqueArray(fc.constantFrom('s1', 's2', 's3', 's4'), { minLength: 1 })
    .chain((names) =>
      fc.tuple(
        ...names.map((n) =>
          fc
            .option(selectorArb, { nil: undefined })
            .map((sel) => service(n, sel ? { nodeSelector: sel } : {})),
        ),
      ),
    );
  const labelsArb = fc.dictionary(
    fc.constantFrom(...KEYS, NodeFactLabels.cloudService),
    fc.constantFrom('a', 'b', 's1', 's2'),
  );

  it('names the one service that claims the node, and refuses none or several', () => {
    fc.assert(
      fc.property(servicesArb, labelsArb, (services, labels) => {
        const claimants = services.filter((s) =>
          s.spec.nodeSelector
            ? matchesSelector(s.spec.nodeSelector, labels)
            : labels[NodeFactLabels.cloudService] === s.metadata.name,
        );
        const m = nodeMembership(labels, indexServices(services));
        if (claimants.length === 1) expect(m.service).toBe(claimants[0]);
        else {
          expect(m.service).toBeNull();
          expect(m.reason?.code).toBe(
            claimants.length === 0 ? 'UnknownCloudService' : 'AmbiguousCloudService',
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});
