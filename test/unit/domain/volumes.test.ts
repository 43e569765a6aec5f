import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudService } from '../../../src/api/index.ts';
import {
  claimRefusal,
  evaluateConformance,
  indexStorage,
  type JudgedClass,
  type StorageFacts,
  storageMembership,
  storageTarget,
  volumeProblems,
} from '../../../src/domain/index.ts';
import {
  COUNTRIES,
  codes,
  facts,
  instantArb,
  requirementArb,
  service,
  serviceArb,
  sovereignEu,
  T0,
} from './fixtures.ts';

const RUNS = { numRuns: 300 };

const withStorage = (s: CloudService, storage: CloudService['spec']['storage']): CloudService => ({
  ...s,
  spec: { ...s.spec, storage },
});
const volumeFacts = (partial: Partial<StorageFacts> = {}): StorageFacts => ({
  kind: 'Volume',
  name: 'pv-1',
  storageClass: 'gold',
  drivers: [],
  country: 'FR',
  ...partial,
});

describe('storage membership', () => {
  const gold = withStorage(service('gold-storage'), { storageClasses: ['gold'] });
  const csi = withStorage(service('csi-storage'), { csiDrivers: ['csi.example.eu'] });

  it('a volume is stored by the service that claims its StorageClass, or its CSI driver', () => {
    const catalog = indexStorage([gold, csi]);
    expect(storageMembership(volumeFacts(), catalog).service).toBe(gold);
    const byDriver = volumeFacts({ storageClass: 'other', drivers: ['csi.example.eu'] });
    expect(storageMembership(byDriver, catalog).service).toBe(csi);
  });

  it('no claimant: UnknownCloudService naming the class and driver; two: AmbiguousCloudService', () => {
    const none = storageMembership(volumeFacts({ drivers: ['x.csi'] }), indexStorage([]));
    expect(none.reason?.code).toBe('UnknownCloudService');
    expect(none.reason?.message).toContain('its StorageClass "gold" or its CSI driver "x.csi"');
    const both = storageMembership(volumeFacts({ drivers: ['csi.example.eu'] }), indexStorage([gold, csi]));
    expect(both.reason?.code).toBe('AmbiguousCloudService');
    expect(both.reason?.message).toContain('(csi-storage, gold-storage)');
  });

  it('the membership does not depend on the order of the services (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.constantFrom('a', 'b', 'c', 'd'),
            classes: fc.subarray(['gold', 'silver']),
            drivers: fc.subarray(['d1', 'd2']),
          }),
          { maxLength: 4 },
        ),
        fc.constantFrom('gold', 'silver', null),
        fc.subarray(['d1', 'd2']),
        (specs, storageClass, drivers) => {
          const services = specs.map((x) =>
            withStorage(service(x.name), { storageClasses: x.classes, csiDrivers: x.drivers }),
          );
          const f = volumeFacts({ storageClass, drivers });
          const forward = storageMembership(f, indexStorage(services));
          const backward = storageMembership(f, indexStorage([...services].reverse()));
          expect(forward.service).toBe(backward.service);
          expect(forward.reason).toEqual(backward.reason);
          const claimants = services.filter(
            (s) =>
              (storageClass !== null && s.spec.storage?.storageClasses?.includes(storageClass)) ||
              drivers.some((d) => s.spec.storage?.csiDrivers?.includes(d)),
          );
          expect(forward.service !== null).toBe(claimants.length === 1);
        },
      ),
      RUNS,
    );
  });
});

describe('conformance of a volume', () => {
  it('is the conformance of a node of the same service in the same country (property)', () => {
    fc.assert(
      fc.property(
        serviceArb,
        fc.constantFrom<string | null>(...COUNTRIES, null),
        requirementArb,
        instantArb,
        (s, country, requirement, at) => {
          const stored = withStorage(s, { storageClasses: ['gold'] });
          const catalog = indexStorage([stored]);
          const volume = storageTarget(volumeFacts({ country }), catalog);
          const node = { ...volume, kind: 'Node' as const };
          const v = evaluateConformance(volume, requirement, facts, at);
          const n = evaluateConformance(node, requirement, facts, at);
          expect(v.conforms).toBe(n.conforms);
          expect(v.nextTransitionAt).toBe(n.nextTransitionAt);
          // Same reasons, but the country ones in the volume's words.
          const rename = (code: string) =>
            code === 'CountryUnknown'
              ? 'VolumeResidenceUnknown'
              : code === 'CountryOutsideArea'
                ? 'VolumeOutsideArea'
                : code;
          expect(codes(v.reasons)).toEqual(codes(n.reasons).map(rename));
        },
      ),
      RUNS,
    );
  });

  it('a StorageClass is judged by its service only: no country, so never a residence reason', () => {
    const stored = withStorage(service('s'), { storageClasses: ['gold'] });
    const target = storageTarget(
      { ...volumeFacts(), kind: 'StorageClass', name: 'gold' },
      indexStorage([stored]),
    );
    expect(target.country).toBeNull();
    expect(evaluateConformance(target, sovereignEu, facts, T0).conforms).toBe(true);
  });
});

describe('admission of a claim', () => {
  const judged = (name: string, conforms: boolean): JudgedClass => {
    const s = service(`svc-${name}`, conforms ? {} : { badges: [] });
    const target = storageTarget(
      { kind: 'StorageClass', name, storageClass: name, drivers: [], country: null },
      indexStorage([withStorage(s, { storageClasses: [name] })]),
    );
    return { name, verdicts: [evaluateConformance(target, sovereignEu, facts, T0)] };
  };

  it('refuses a claim exactly when its class is unknown or does not conform, and lists the classes that would do (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), ok: fc.boolean() }), {
          selector: (c) => c.name,
          maxLength: 4,
        }),
        fc.constantFrom('a', 'b', 'c', 'd', null),
        fc.boolean(),
        (classes, storageClass, defaulted) => {
          const all = classes.map((c) => judged(c.name, c.ok));
          const refusal = claimRefusal({ claim: 'apps/data', storageClass, defaulted, classes: all });
          const named = classes.find((c) => c.name === storageClass);
          expect(refusal === null).toBe(named?.ok === true);
          if (!refusal) return;
          expect(refusal.code).toBe('StorageClassNotConforming');
          expect(refusal.message).toContain('spec.storageClassName');
          const good = classes
            .filter((c) => c.ok)
            .map((c) => c.name)
            .sort();
          if (good.length)
            expect(refusal.message).toContain(`StorageClasses that would do: ${good.join(', ')}.`);
          else expect(refusal.message).toContain('No StorageClass conforms');
        },
      ),
      RUNS,
    );
  });

  it('names a class that does not exist', () => {
    const refusal = claimRefusal({
      claim: 'apps/data',
      storageClass: 'ghost',
      defaulted: false,
      classes: [],
    });
    expect(refusal?.message).toContain('No StorageClass named "ghost" exists.');
  });
});

describe('volumes of a pod', () => {
  const verdict = (country: string) =>
    evaluateConformance(
      storageTarget(
        volumeFacts({ country }),
        indexStorage([withStorage(service('s'), { storageClasses: ['gold'] })]),
      ),
      sovereignEu,
      facts,
      T0,
    );

  it('one VolumeNotConforming per missing or non-conforming claim, none for conforming ones', () => {
    const problems = volumeProblems(
      'db-0',
      [
        { claim: 'ok', volume: 'pv-ok', exists: true, verdicts: [verdict('FR')] },
        { claim: 'away', volume: 'pv-us', exists: true, verdicts: [verdict('US')] },
        { claim: 'gone', volume: null, exists: false, verdicts: [] },
      ],
      false,
    );
    expect(codes(problems)).toEqual(['VolumeNotConforming', 'VolumeNotConforming']);
    expect(problems[0]?.message).toContain('bound to volume pv-us, which does not conform');
    expect(problems[0]?.message).toContain('keeps its scheduling gate');
    expect(problems[1]?.message).toContain('claim gone, which does not exist');
  });
});
