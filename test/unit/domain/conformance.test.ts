import { describe, expect, it } from 'vitest';
import { type ConformanceRequirement, evaluateConformance, parseInstant } from '../../../src/domain/index.ts';
import { badge, cluster, codes, DAY, facts, HOUR, iso, node, service, sovereignEu, T0 } from './fixtures.ts';

describe('evaluateConformance', () => {
  it('conforms with a valid third-party Sovereign badge for the area, EU provider, node in the area', () => {
    const v = evaluateConformance(node('n', service('s')), sovereignEu, facts, T0);
    expect(v.conforms).toBe(true);
    expect(codes(v.reasons)).toEqual(['Conforming']);
    expect(v.satisfiedBadges).toEqual([
      { type: 'Sovereign', assurance: 'ThirdPartyCertified', validUntil: T0 + 365 * DAY },
    ]);
    expect(v.nextTransitionAt).toBe(T0 + 365 * DAY);
  });

  it('collects every failing reason, not only the first', () => {
    const s = service('s', {
      jurisdiction: 'US',
      parent: { name: 'Parent', legalJurisdiction: 'CN' },
      badges: [badge({ assurance: 'SelfDeclared', validUntil: iso(T0 - DAY) })],
      schemeLevels: { seal: 1 },
    });
    const req: ConformanceRequirement = {
      ...sovereignEu,
      minimumAssurance: 'ThirdPartyCertified',
      minimumSchemeLevels: { seal: 3, eucs: 'High' },
    };
    const v = evaluateConformance(
      cluster('c', s, { country: 'US', cordoned: true, healthy: false }),
      req,
      facts,
      T0,
    );
    expect(v.conforms).toBe(false);
    expect(codes(v.reasons)).toEqual([
      'AssuranceTooLow',
      'BadgeExpired',
      'JurisdictionOutsideArea',
      'ParentJurisdictionOutsideArea',
      'SchemeLevelTooLow',
      'SchemeLevelTooLow',
      'CountryOutsideArea',
      'TargetCordoned',
      'TargetUnhealthy',
    ]);
    expect(v.satisfiedBadges).toEqual([]);
  });

  it('reports the membership reason and still checks country and cordon without a service', () => {
    const v = evaluateConformance(node('n', null, { country: null, cordoned: true }), sovereignEu, facts, T0);
    expect(codes(v.reasons)).toEqual(['UnknownCloudService', 'CountryUnknown', 'TargetCordoned']);
    expect(v.nextTransitionAt).toBeNull();
  });

  it('never conforms to an unknown area, even with a badge issued under that name', () => {
    const s = service('s', { badges: [badge({ area: 'atlantis' })] });
    const v = evaluateConformance(node('n', s), { badges: ['Sovereign'], area: 'atlantis' }, facts, T0);
    expect(v.conforms).toBe(false);
    expect(codes(v.reasons)).toEqual(['UnknownArea']);
  });

  it('gives UnknownArea alone, not BadgeMissing, when the service holds no badge for the unknown area', () => {
    const s = service('s', { badges: [badge({ area: 'eu' })] });
    for (const badges of [['Sovereign'], ['Resilient'], ['Sovereign', 'Resilient']] as const) {
      const v = evaluateConformance(node('n', s), { badges: [...badges], area: 'atlantis' }, facts, T0);
      expect(v.conforms).toBe(false);
      expect(codes(v.reasons)).toEqual(['UnknownArea']);
    }
  });

  it('does not take a badge for another area', () => {
    const s = service('s', { badges: [badge({ area: 'fr' })] });
    expect(codes(evaluateConformance(node('n', s), sovereignEu, facts, T0).reasons)).toEqual([
      'BadgeMissing',
    ]);
  });

  it('does not take a badge of another type', () => {
    const s = service('s', { badges: [badge({ type: 'Resilient' })] });
    expect(codes(evaluateConformance(node('n', s), sovereignEu, facts, T0).reasons)).toEqual([
      'BadgeMissing',
    ]);
  });

  it('accepts ThirdPartyCertified where SelfDeclared is the minimum, not the reverse', () => {
    const self = service('s', { badges: [badge({ assurance: 'SelfDeclared' })] });
    const third = service('t', { badges: [badge({ assurance: 'ThirdPartyCertified' })] });
    const atLeastSelf = { ...sovereignEu, minimumAssurance: 'SelfDeclared' as const };
    const atLeastThird = { ...sovereignEu, minimumAssurance: 'ThirdPartyCertified' as const };
    expect(evaluateConformance(node('n', self), atLeastSelf, facts, T0).conforms).toBe(true);
    expect(evaluateConformance(node('n', third), atLeastSelf, facts, T0).conforms).toBe(true);
    expect(evaluateConformance(node('n', self), atLeastThird, facts, T0).conforms).toBe(false);
    expect(evaluateConformance(node('n', third), atLeastThird, facts, T0).conforms).toBe(true);
  });

  it('uses any good badge of the type and ignores the problems of the others', () => {
    const s = service('s', {
      badges: [badge({ validUntil: iso(T0 - DAY) }), badge({ assurance: 'SelfDeclared' })],
    });
    const v = evaluateConformance(node('n', s), sovereignEu, facts, T0);
    expect(v.conforms).toBe(true);
    expect(v.satisfiedBadges[0]?.assurance).toBe('SelfDeclared');
  });

  it('reports the highest assurance among good badges', () => {
    const s = service('s', {
      badges: [badge({ assurance: 'SelfDeclared' }), badge({ assurance: 'ThirdPartyCertified' })],
    });
    expect(evaluateConformance(node('n', s), sovereignEu, facts, T0).satisfiedBadges[0]?.assurance).toBe(
      'ThirdPartyCertified',
    );
  });

  describe('Sovereign checks jurisdictions, Resilient does not', () => {
    const foreign = service('s', {
      jurisdiction: 'US',
      badges: [badge({ type: 'Sovereign' }), badge({ type: 'Resilient' })],
    });
    it('Sovereign fails on a foreign provider', () => {
      expect(evaluateConformance(node('n', foreign), sovereignEu, facts, T0).conforms).toBe(false);
    });
    it('Resilient holds with a foreign provider', () => {
      expect(
        evaluateConformance(node('n', foreign), { badges: ['Resilient'], area: 'eu' }, facts, T0).conforms,
      ).toBe(true);
    });
    it('AnyOf [Sovereign, Resilient] holds through Resilient only', () => {
      const v = evaluateConformance(
        node('n', foreign),
        { badges: ['Sovereign', 'Resilient'], area: 'eu' },
        facts,
        T0,
      );
      expect(v.conforms).toBe(true);
      expect(v.satisfiedBadges.map((b) => b.type)).toEqual(['Resilient']);
    });
    it('AllOf [Sovereign, Resilient] fails and says why', () => {
      const v = evaluateConformance(
        node('n', foreign),
        { badges: ['Sovereign', 'Resilient'], badgeMatch: 'AllOf', area: 'eu' },
        facts,
        T0,
      );
      expect(v.conforms).toBe(false);
      expect(codes(v.reasons)).toEqual(['JurisdictionOutsideArea']);
    });
    it('a parent outside the area fails Sovereign even when the provider is inside', () => {
      const s = service('s', { parent: { name: 'Parent', legalJurisdiction: 'US' } });
      expect(codes(evaluateConformance(node('n', s), sovereignEu, facts, T0).reasons)).toEqual([
        'ParentJurisdictionOutsideArea',
      ]);
    });
  });

  describe('AnyOf and AllOf', () => {
    const onlySovereign = service('s', { badges: [badge({ type: 'Sovereign' })] });
    it('AnyOf holds with one of the badges', () => {
      expect(
        evaluateConformance(
          node('n', onlySovereign),
          { badges: ['Sovereign', 'Resilient'], area: 'eu' },
          facts,
          T0,
        ).conforms,
      ).toBe(true);
    });
    it('AllOf needs every badge', () => {
      const v = evaluateConformance(
        node('n', onlySovereign),
        { badges: ['Sovereign', 'Resilient'], badgeMatch: 'AllOf', area: 'eu' },
        facts,
        T0,
      );
      expect(codes(v.reasons)).toEqual(['BadgeMissing']);
      expect(v.reasons[0]?.message).toContain('Resilient');
    });
  });

  describe('minimum scheme levels', () => {
    const levels = service('s', {
      schemeLevels: { seal: 3, gaiaXLabel: 2, secNumCloud: true, eucs: 'Substantial' },
    });
    it.each<[string, NonNullable<ConformanceRequirement['minimumSchemeLevels']>, boolean]>([
      ['equal levels', { seal: 3, gaiaXLabel: 2, secNumCloud: true, eucs: 'Substantial' }, true],
      ['lower levels', { seal: 0, gaiaXLabel: 1, eucs: 'Basic' }, true],
      ['seal above', { seal: 4 }, false],
      ['gaia-x above', { gaiaXLabel: 3 }, false],
      ['eucs above', { eucs: 'High' }, false],
      ['secNumCloud false asks nothing', { secNumCloud: false }, true],
    ])('%s', (_, minimumSchemeLevels, conforms) => {
      const v = evaluateConformance(node('n', levels), { ...sovereignEu, minimumSchemeLevels }, facts, T0);
      expect(v.conforms).toBe(conforms);
      if (!conforms) expect(codes(v.reasons)).toEqual(['SchemeLevelTooLow']);
    });
    it('a service without the scheme fails a minimum', () => {
      const v = evaluateConformance(
        node('n', service('p')),
        { ...sovereignEu, minimumSchemeLevels: { secNumCloud: true } },
        facts,
        T0,
      );
      expect(v.reasons[0]?.message).toContain('holds no SecNumCloud qualification');
    });
  });
});

describe('validity edges, one millisecond before, at and after', () => {
  const validFrom = '2026-06-10T00:00:00Z';
  const validUntil = '2026-07-10T00:00:00Z';
  const revokedAt = '2026-06-20T00:00:00Z';
  const lead = 2 * DAY;
  const from = parseInstant(validFrom);
  const until = parseInstant(validUntil);
  const revoked = parseInstant(revokedAt);

  const evalAt = (at: number, b = badge({ validFrom, validUntil }), expiryLeadTimeMs = 0) =>
    evaluateConformance(node('n', service('s', { badges: [b] })), sovereignEu, facts, at, {
      expiryLeadTimeMs,
    });

  it.each<[string, number, string[], number | null]>([
    ['before validFrom', from - 1, ['BadgeNotYetValid'], from],
    ['at validFrom', from, ['Conforming'], until],
    ['after validFrom', from + 1, ['Conforming'], until],
    ['before validUntil', until - 1, ['Conforming'], until],
    ['at validUntil (exclusive)', until, ['BadgeExpired'], null],
    ['after validUntil', until + 1, ['BadgeExpired'], null],
  ])('%s', (_, at, expected, next) => {
    const v = evalAt(at);
    expect(codes(v.reasons)).toEqual(expected);
    expect(v.conforms).toBe(expected[0] === 'Conforming');
    expect(v.nextTransitionAt).toBe(next);
  });

  it.each<[string, number, string[], number | null]>([
    ['before validUntil - lead', until - lead - 1, ['Conforming'], until - lead],
    ['at validUntil - lead', until - lead, ['BadgeExpiringSoon'], until],
    ['after validUntil - lead', until - lead + 1, ['BadgeExpiringSoon'], until],
    ['before validUntil, inside the lead', until - 1, ['BadgeExpiringSoon'], until],
    ['at validUntil with a lead', until, ['BadgeExpired'], null],
  ])('lead time: %s', (_, at, expected, next) => {
    const v = evalAt(at, badge({ validFrom, validUntil }), lead);
    expect(codes(v.reasons)).toEqual(expected);
    expect(v.nextTransitionAt).toBe(next);
  });

  it.each<[string, number, string[], number | null]>([
    ['before revokedAt', revoked - 1, ['Conforming'], revoked],
    ['at revokedAt', revoked, ['BadgeRevoked'], until],
    ['after revokedAt', revoked + 1, ['BadgeRevoked'], until],
  ])('revocation: %s', (_, at, expected, next) => {
    const v = evalAt(at, badge({ validFrom, validUntil, revokedAt }));
    expect(codes(v.reasons)).toEqual(expected);
    expect(v.nextTransitionAt).toBe(next);
  });

  it('a lead time longer than the validity makes the badge expiring from its start', () => {
    const v = evalAt(from, badge({ validFrom, validUntil }), 60 * DAY);
    expect(codes(v.reasons)).toEqual(['BadgeExpiringSoon']);
  });

  it('the message names the lead time and the absolute instant', () => {
    const v = evalAt(until - HOUR, badge({ validFrom, validUntil }), lead);
    expect(v.reasons[0]?.message).toContain('expires at 2026-07-10T00:00:00Z');
    expect(v.reasons[0]?.message).toContain('lead time of 48h');
  });
});
