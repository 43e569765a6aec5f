import { describe, expect, it } from 'vitest';
import type { CloudService } from '../../../src/api/index.ts';
import { badgeExpiresAt, badgeInForce, nextBadgeEdge } from '../../../src/domain/badges.ts';

const t = (iso: string) => Date.parse(iso);
const badge = (validFrom: string, validUntil: string, revokedAt?: string) => ({
  type: 'Sovereign' as const,
  area: 'eu',
  assurance: 'SelfDeclared' as const,
  validFrom,
  validUntil,
  ...(revokedAt ? { revokedAt } : {}),
});
const service = (...badges: ReturnType<typeof badge>[]) =>
  ({
    metadata: { name: 's' },
    spec: { provider: { name: 'p', legalJurisdiction: 'FR' }, badges },
  }) as unknown as CloudService;

describe('badges in force', () => {
  const b = badge('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', '2026-06-01T00:00:00Z');
  it('count from validFrom, until validUntil or revokedAt, at millisecond edges', () => {
    expect(badgeInForce(b, t('2026-01-01T00:00:00Z') - 1)).toBe(false);
    expect(badgeInForce(b, t('2026-01-01T00:00:00Z'))).toBe(true);
    expect(badgeInForce(b, t('2026-06-01T00:00:00Z') - 1)).toBe(true);
    expect(badgeInForce(b, t('2026-06-01T00:00:00Z'))).toBe(false);
  });
  it('give the earliest expiry among badges in force, and the next edge of any badge', () => {
    const s = service(
      badge('2026-01-01T00:00:00Z', '2028-01-01T00:00:00Z'),
      badge('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
      badge('2027-06-01T00:00:00Z', '2029-01-01T00:00:00Z'),
    );
    expect(badgeExpiresAt(s, t('2026-05-01T00:00:00Z'))).toBe(t('2027-01-01T00:00:00Z'));
    expect(badgeExpiresAt(s, t('2030-01-01T00:00:00Z'))).toBeNull();
    expect(nextBadgeEdge([s], t('2027-01-01T00:00:00Z'))).toBe(t('2027-06-01T00:00:00Z'));
    expect(nextBadgeEdge([s], t('2029-01-01T00:00:00Z'))).toBeNull();
  });
});
