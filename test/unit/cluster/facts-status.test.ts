import { describe, expect, it } from 'vitest';
import { derive } from '../../../src/cluster/facts.ts';
import { cloudServiceStatuses } from '../../../src/cluster/facts-status.ts';
import { badge, DAY, iso, service, T0 } from '../domain/fixtures.ts';
import { clusterState, nodeObject } from './fixtures.ts';

const withGeneration = <T extends { metadata: object }>(object: T, generation: number): T => ({
  ...object,
  metadata: { ...object.metadata, generation },
});

describe('cloudServiceStatuses', () => {
  const services = [
    withGeneration(
      service('sov', {
        badges: [
          badge({ validUntil: iso(T0 + 90 * DAY) }),
          badge({ type: 'Resilient', validUntil: iso(T0 + 30 * DAY) }),
          // Not valid now: expired, revoked, or not yet valid. None of them counts.
          badge({ validFrom: iso(T0 - 20 * DAY), validUntil: iso(T0 - DAY) }),
          badge({ area: 'fr', validUntil: iso(T0 + 2 * DAY), revokedAt: iso(T0 - DAY) }),
          badge({ area: 'dach', validFrom: iso(T0 + DAY), validUntil: iso(T0 + 3 * DAY) }),
        ],
      }),
      4,
    ),
    service('expired', { badges: [badge({ validFrom: iso(T0 - 20 * DAY), validUntil: iso(T0 - DAY) })] }),
    service('idle', { badges: [] }),
  ];
  const nodes = [
    nodeObject('sov-1', { service: 'sov' }),
    nodeObject('sov-2', { service: 'sov', ready: false }),
    nodeObject('sov-3', { service: 'sov', unschedulable: true }),
    nodeObject('exp-1', { service: 'expired' }),
    nodeObject('stray', { service: 'missing' }),
    nodeObject('nobody'),
  ];

  it('counts the nodes of each service, whatever their health, and gives the earliest expiry in force', () => {
    const statuses = cloudServiceStatuses(derive(clusterState({ services, nodes }), T0));
    expect([...statuses.keys()].sort()).toEqual(['expired', 'idle', 'sov']);
    expect(statuses.get('sov')).toEqual({
      observedGeneration: 4,
      nodeCount: 3,
      // Second precision, as the API server writes RFC 3339 instants.
      badgeExpiresAt: '2026-07-01T00:00:00Z',
    });
    expect(statuses.get('expired')).toEqual({ observedGeneration: undefined, nodeCount: 1 });
    expect(statuses.get('idle')).toEqual({ observedGeneration: undefined, nodeCount: 0 });
    expect(statuses.get('idle')).not.toHaveProperty('badgeExpiresAt');
  });

  it('moves badgeExpiresAt on as badges expire and start', () => {
    const at = (now: number) =>
      cloudServiceStatuses(derive(clusterState({ services, nodes }), now)).get('sov')?.badgeExpiresAt;
    // At T0 + 1 day the dach badge starts and is the earliest.
    expect(at(T0 + DAY)).toBe('2026-06-04T00:00:00Z');
    // At T0 + 30 days the Resilient badge has ended (validUntil is exclusive).
    expect(at(T0 + 30 * DAY)).toBe('2026-08-30T00:00:00Z');
    expect(at(T0 + 90 * DAY)).toBeUndefined();
  });

  it('counts a node claimed by a service nodeSelector, and no node claimed twice', () => {
    const selecting = service('selecting', {
      nodeSelector: { matchLabels: { 'node-restriction.kubernetes.io/pool': 'gold' } },
    });
    const alsoSelecting = service('also', {
      nodeSelector: { matchLabels: { 'node-restriction.kubernetes.io/pool': 'gold' } },
    });
    const statuses = cloudServiceStatuses(
      derive(
        clusterState({
          services: [selecting],
          nodes: [nodeObject('g1', { labels: { 'node-restriction.kubernetes.io/pool': 'gold' } })],
        }),
        T0,
      ),
    );
    expect(statuses.get('selecting')?.nodeCount).toBe(1);

    const ambiguous = cloudServiceStatuses(
      derive(
        clusterState({
          services: [selecting, alsoSelecting],
          nodes: [nodeObject('g1', { labels: { 'node-restriction.kubernetes.io/pool': 'gold' } })],
        }),
        T0,
      ),
    );
    expect(ambiguous.get('selecting')?.nodeCount).toBe(0);
    expect(ambiguous.get('also')?.nodeCount).toBe(0);
  });
});
