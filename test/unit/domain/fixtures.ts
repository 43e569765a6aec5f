import fc from 'fast-check';
import { API_VERSION } from '../../../src/api/group.ts';
import type { Badge, CloudService } from '../../../src/api/index.ts';
import {
  type AreaIndex,
  type ConformanceRequirement,
  indexAreas,
  type Membership,
  reason,
  type Target,
} from '../../../src/domain/index.ts';

/** A fixed "now" for example-based tests. */
export const T0 = Date.parse('2026-06-01T00:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const iso = (ms: number): string => new Date(ms).toISOString();

export const EU = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
];

export const areas: AreaIndex = indexAreas([
  {
    metadata: { name: 'eu' },
    spec: { countries: [...EU, 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE'] },
  },
  { metadata: { name: 'fr' }, spec: { countries: ['FR'] } },
  { metadata: { name: 'dach' }, spec: { countries: ['DE', 'AT', 'CH'] } },
]);
export const facts = { areas };

export function badge(partial: Partial<Badge> = {}): Badge {
  return {
    type: 'Sovereign',
    area: 'eu',
    assurance: 'ThirdPartyCertified',
    certifiedBy: 'Accredited Body',
    validFrom: iso(T0 - 365 * DAY),
    validUntil: iso(T0 + 365 * DAY),
    ...partial,
  };
}

export interface ServiceOptions {
  provider?: string;
  jurisdiction?: string;
  parent?: { name: string; legalJurisdiction: string };
  badges?: Badge[];
  schemeLevels?: CloudService['spec']['schemeLevels'];
  nodeSelector?: CloudService['spec']['nodeSelector'];
}

export function service(name: string, o: ServiceOptions = {}): CloudService {
  return {
    apiVersion: API_VERSION,
    kind: 'CloudService',
    metadata: { name },
    spec: {
      provider: {
        name: o.provider ?? `Provider of ${name}`,
        legalJurisdiction: o.jurisdiction ?? 'FR',
        ...(o.parent ? { ultimateParent: o.parent } : {}),
      },
      badges: o.badges ?? [badge()],
      ...(o.schemeLevels ? { schemeLevels: o.schemeLevels } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
    },
  } as CloudService;
}

export const member = (s: CloudService): Membership => ({ service: s, reason: null });
export const unknownService: Membership = {
  service: null,
  reason: reason('UnknownCloudService', { kind: 'Node', detail: 'test' }),
};

export function node(name: string, s: CloudService | null, overrides: Partial<Target> = {}): Target {
  return {
    kind: 'Node',
    name,
    membership: s ? member(s) : unknownService,
    country: 'FR',
    healthy: true,
    cordoned: false,
    ...overrides,
  };
}

export function cluster(name: string, s: CloudService | null, overrides: Partial<Target> = {}): Target {
  return { ...node(name, s, overrides), kind: 'MemberCluster', ...overrides };
}

/** A PersistentVolume stored by a service, pinned to a country (null: not pinned). */
export function volume(name: string, s: CloudService | null, country: string | null): Target {
  return { ...node(name, s), kind: 'Volume', country };
}

/** A StorageClass as conformance sees it: its service only. */
export function storageClass(name: string, s: CloudService | null): Target {
  return { ...node(name, s), kind: 'StorageClass', country: null };
}

export const sovereignEu: ConformanceRequirement = { badges: ['Sovereign'], area: 'eu' };

export const codes = (rs: readonly { code: string }[]): string[] => rs.map((r) => r.code);

// ---- fast-check arbitraries over a small world, biased so that conforming and non-conforming verdicts,
// shared edges and equal instants are all common (uniform generation almost never conforms) ----

export const COUNTRIES = ['FR', 'DE', 'CH', 'US'] as const;
export const AREA_NAMES = ['eu', 'fr', 'dach', 'nowhere'] as const;

/** Mostly true. */
const likely = fc.integer({ min: 1, max: 10 }).map((n) => n > 1);
const country = fc.constantFrom<string>('FR', 'FR', 'FR', 'FR', 'DE', 'DE', 'CH', 'US');

/** Instants within ±10 days of T0, on a coarse grid plus jitter so that equal instants are common. */
export const instantArb = fc.oneof(
  fc.integer({ min: -10, max: 10 }).map((d) => T0 + d * DAY),
  fc.integer({ min: -10 * DAY, max: 10 * DAY }).map((o) => T0 + o),
);

export const badgeArb: fc.Arbitrary<Badge> = fc
  .record({
    type: fc.constantFrom<Badge['type']>('Sovereign', 'Sovereign', 'Resilient'),
    area: fc.constantFrom('eu', 'eu', 'eu', 'fr', 'dach'),
    assurance: fc.constantFrom<Badge['assurance']>(
      'SelfDeclared',
      'ThirdPartyCertified',
      'ThirdPartyCertified',
    ),
    from: fc.oneof(
      instantArb,
      fc.integer({ min: -30, max: 0 }).map((d) => T0 + d * DAY),
    ),
    length: fc.oneof(
      fc.integer({ min: 1, max: 15 * DAY }),
      fc.integer({ min: 1, max: 40 }).map((d) => d * DAY),
    ),
    revokedAt: fc.option(instantArb, { freq: 4, nil: undefined }),
  })
  .map(({ from, length, revokedAt, ...b }) => ({
    ...b,
    certifiedBy: 'Body',
    validFrom: iso(from),
    validUntil: iso(from + length),
    ...(revokedAt === undefined ? {} : { revokedAt: iso(revokedAt) }),
  }));

const randomServiceArb: fc.Arbitrary<CloudService> = fc
  .record({
    name: fc.constantFrom('alpha', 'beta', 'gamma', 'delta', 'epsilon'),
    provider: fc.constantFrom('P1', 'P2', 'P3'),
    jurisdiction: country,
    parent: fc.option(country, { nil: undefined }),
    badges: fc.array(badgeArb, { minLength: 0, maxLength: 3 }),
    seal: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  })
  .map((s) =>
    service(s.name, {
      provider: s.provider,
      jurisdiction: s.jurisdiction,
      ...(s.parent ? { parent: { name: 'Parent', legalJurisdiction: s.parent } } : {}),
      badges: s.badges,
      ...(s.seal === undefined ? {} : { schemeLevels: { seal: s.seal } }),
    }),
  );

/** A service that holds good Sovereign and Resilient badges for eu around T0, plus random extra badges. */
const goodServiceArb: fc.Arbitrary<CloudService> = fc
  .record({
    base: randomServiceArb,
    jurisdiction: fc.constantFrom('FR', 'DE'),
    before: fc.integer({ min: 1, max: 12 * DAY }),
    after: fc.integer({ min: 1, max: 12 * DAY }),
    types: fc.constantFrom<Badge['type'][]>(['Sovereign'], ['Sovereign', 'Resilient'], ['Resilient']),
    assurance: fc.constantFrom<Badge['assurance']>(
      'SelfDeclared',
      'ThirdPartyCertified',
      'ThirdPartyCertified',
    ),
  })
  .map(({ base, jurisdiction, before, after, types, assurance }) => {
    const good = types.map((type) =>
      badge({ type, assurance, validFrom: iso(T0 - before), validUntil: iso(T0 + after) }),
    );
    return {
      ...base,
      spec: {
        ...base.spec,
        provider: { name: base.spec.provider.name, legalJurisdiction: jurisdiction },
        badges: [...good, ...base.spec.badges],
      },
    };
  });

export const serviceArb: fc.Arbitrary<CloudService> = fc.oneof(
  { weight: 2, arbitrary: goodServiceArb },
  { weight: 1, arbitrary: randomServiceArb },
);

export const requirementArb: fc.Arbitrary<ConformanceRequirement> = fc.record({
  badges: fc.constantFrom<('Sovereign' | 'Resilient')[]>(
    ['Sovereign'],
    ['Sovereign'],
    ['Resilient'],
    ['Sovereign', 'Resilient'],
  ),
  badgeMatch: fc.constantFrom('AnyOf' as const, 'AllOf' as const),
  area: fc.constantFrom<string>('eu', 'eu', 'eu', 'fr', 'dach', 'nowhere'),
  minimumAssurance: fc.constantFrom('SelfDeclared' as const, 'ThirdPartyCertified' as const),
  minimumSchemeLevels: fc.option(fc.record({ seal: fc.integer({ min: 0, max: 4 }) }), {
    freq: 4,
    nil: undefined,
  }),
});

export const targetArb = (kind: 'Node' | 'MemberCluster' = 'Node'): fc.Arbitrary<Target> =>
  fc
    .record({
      name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
      service: fc.option(serviceArb, { freq: 6, nil: null }),
      country: fc.option(country, { freq: 8, nil: null }),
      healthy: likely,
      cordoned: likely.map((b) => !b),
    })
    .map((t) => ({
      kind,
      name: t.name,
      membership: t.service ? member(t.service) : unknownService,
      country: t.country,
      healthy: t.healthy,
      cordoned: t.cordoned,
    }));

export const leadArb = fc.constantFrom(0, HOUR, DAY, 3 * DAY);
