import { describe, expect, it } from 'vitest';
import { NodeFactLabels } from '../../../src/api/group.ts';
import { atInstant, derive, deriveFacts, leadTimeOf } from '../../../src/cluster/facts.ts';
import { objectKey } from '../../../src/cluster/objects.ts';
import { badge, DAY, HOUR, iso, service, T0 } from '../domain/fixtures.ts';
import { areaObject, clusterState, euArea, nodeObject, policy, policyObject } from './fixtures.ts';

const sovereignEu = { badges: ['Sovereign' as const], area: 'eu' };

describe('deriveFacts: validation', () => {
  it('keeps valid custom resources and reports each invalid one with its kind, name, namespace and field', () => {
    const badPolicy = policyObject('bad-policy', {
      requirement: { badges: ['Gold'], area: 'eu' },
    });
    const badService = service('bad-service', {
      badges: [badge({ validFrom: iso(T0), validUntil: iso(T0 - DAY) })],
    });
    const badArea = areaObject('bad-area', ['XX']);
    const facts = deriveFacts(
      clusterState({
        policies: [policyObject('good-policy'), badPolicy],
        services: [service('good-service'), badService],
        areas: [euArea, badArea],
      }),
    );

    expect(facts.policies.map((p) => p.metadata.name)).toEqual(['good-policy']);
    expect(facts.services.map((s) => s.metadata.name)).toEqual(['good-service']);
    expect(facts.areas.map((a) => a.metadata.name)).toEqual(['eu']);

    expect(facts.invalid.map(({ kind, name, namespace }) => ({ kind, name, namespace }))).toEqual([
      { kind: 'SovereigntyPolicy', name: 'bad-policy', namespace: 'payments' },
      { kind: 'CloudService', name: 'bad-service', namespace: undefined },
      { kind: 'SovereigntyArea', name: 'bad-area', namespace: undefined },
    ]);
    const [policyErrors, serviceErrors, areaErrors] = facts.invalid.map((i) => i.errors);
    expect(policyErrors?.some((e) => e.startsWith('spec.requirement.badges[0]:'))).toBe(true);
    expect(serviceErrors).toEqual(['spec.badges[0].validUntil: validUntil must be after validFrom']);
    expect(areaErrors?.some((e) => e.startsWith('spec.countries[0]:'))).toBe(true);
  });

  it('applies the schema defaults to the policies it keeps', () => {
    const [p] = deriveFacts(clusterState({ policies: [policyObject('ledger')] })).policies;
    expect(p?.spec.mode).toBe('Enforce');
    expect(p?.spec.failover).toEqual({
      gracePeriod: '0s',
      expiryLeadTime: '24h',
      onNoConformingCapacity: 'Evict',
      maxEvictionsPerMinute: 10,
    });
    expect(p?.spec.requirement.badgeMatch).toBe('AnyOf');
    expect(p?.spec.requirement.minimumProviders).toBe(1);
  });

  it('names an object without metadata "?"', () => {
    const facts = deriveFacts(clusterState({ services: [{ kind: 'CloudService' }] }));
    expect(facts.invalid).toHaveLength(1);
    expect(facts.invalid[0]).toMatchObject({ kind: 'CloudService', name: '?', namespace: undefined });
    expect(facts.invalid[0]?.errors.length).toBeGreaterThan(0);
  });

  it('indexes the valid areas and services', () => {
    const facts = deriveFacts(
      clusterState({ services: [service('b'), service('a')], areas: [euArea, areaObject('fr', ['FR'])] }),
    );
    expect([...facts.areaIndex.keys()].sort()).toEqual(['eu', 'fr']);
    expect([...(facts.areaIndex.get('fr') ?? [])]).toEqual(['FR']);
    expect([...facts.catalog.byName.keys()]).toEqual(['a', 'b']);
  });
});

describe('deriveFacts: node targets', () => {
  it('builds a target for every node, from its protected labels only', () => {
    const facts = deriveFacts(
      clusterState({
        services: [service('sov')],
        nodes: [
          nodeObject('sov-1', { service: 'sov', country: 'DE' }),
          nodeObject('stray', { country: 'FR' }),
          nodeObject('cordoned', {
            service: 'sov',
            labels: { [NodeFactLabels.cordoned]: 'true' },
          }),
          nodeObject('claims', {
            labels: { 'sovereign-placement.io/provider': 'sov', 'sovereign-placement.io/country': 'FR' },
            country: 'lowercase',
          }),
        ],
      }),
    );
    expect([...facts.targets.keys()]).toEqual(['sov-1', 'stray', 'cordoned', 'claims']);

    const sov = facts.targets.get('sov-1');
    expect(sov).toMatchObject({ kind: 'Node', name: 'sov-1', country: 'DE', healthy: true, cordoned: false });
    expect(sov?.membership.service?.metadata.name).toBe('sov');
    expect(sov?.membership.reason).toBeNull();

    const stray = facts.targets.get('stray');
    expect(stray?.membership.service).toBeNull();
    expect(stray?.membership.reason?.code).toBe('UnknownCloudService');

    expect(facts.targets.get('cordoned')?.cordoned).toBe(true);

    const claims = facts.targets.get('claims');
    expect(claims?.membership.service).toBeNull();
    expect(claims?.country).toBeNull();
  });

  it('names a node of an unknown service UnknownCloudService', () => {
    const facts = deriveFacts(clusterState({ nodes: [nodeObject('n', { service: 'gone' })] }));
    const target = facts.targets.get('n');
    expect(target?.membership.service).toBeNull();
    expect(target?.membership.reason?.message).toContain('"gone"');
  });

  it('ignores a service that failed validation when building targets', () => {
    const invalid = service('sov', { badges: [badge({ validFrom: iso(T0), validUntil: iso(T0 - DAY) })] });
    const facts = deriveFacts(
      clusterState({ services: [invalid], nodes: [nodeObject('n', { service: 'sov' })] }),
    );
    expect(facts.targets.get('n')?.membership.service).toBeNull();
  });
});

describe('deriveFacts: verdict label uses', () => {
  it('carries each policy requirement with its lead time', () => {
    const facts = deriveFacts(
      clusterState({
        policies: [
          policyObject('a', { failover: { expiryLeadTime: '1h' } }),
          policyObject('b', { requirement: { badges: ['Resilient'], area: 'fr' } }),
          policyObject('c', { failover: { expiryLeadTime: '720h' } }, 'other'),
        ],
      }),
    );
    expect(
      facts.verdictLabelUses.map((u) => ({
        badges: u.requirement.badges,
        area: u.requirement.area,
        lead: u.expiryLeadTimeMs,
      })),
    ).toEqual([
      { badges: ['Sovereign'], area: 'eu', lead: HOUR },
      { badges: ['Resilient'], area: 'fr', lead: DAY },
      { badges: ['Sovereign'], area: 'eu', lead: 30 * DAY },
    ]);
  });

  it('has no use for an invalid policy', () => {
    const facts = deriveFacts(
      clusterState({ policies: [policyObject('bad', { failover: { expiryLeadTime: '-1h' } })] }),
    );
    expect(facts.verdictLabelUses).toEqual([]);
    expect(facts.invalid[0]?.errors.some((e) => e.startsWith('spec.failover.expiryLeadTime:'))).toBe(true);
  });

  it('leadTimeOf parses the policy expiryLeadTime', () => {
    expect(leadTimeOf(policy('p', { failover: { expiryLeadTime: '1h30m' } }))).toBe(90 * 60_000);
    expect(leadTimeOf(policy('p'))).toBe(DAY);
  });
});

describe('atInstant and derive', () => {
  const state = clusterState({
    services: [service('sov', { badges: [badge({ validUntil: iso(T0 + 10 * DAY) })] })],
    nodes: [nodeObject('sov-1', { service: 'sov' })],
  });

  it('gives the facts an evaluator at `now`', () => {
    const facts = deriveFacts(state);
    const before = atInstant(facts, T0);
    const after = atInstant(facts, T0 + 11 * DAY);
    const target = facts.targets.get('sov-1');
    if (!target) throw new Error('no target');

    expect(before.now).toBe(T0);
    expect(after.now).toBe(T0 + 11 * DAY);
    expect(before.evaluator.evaluate(target, sovereignEu).conforms).toBe(true);
    const expired = after.evaluator.evaluate(target, sovereignEu);
    expect(expired.conforms).toBe(false);
    expect(expired.reasons.map((r) => r.code)).toContain('BadgeExpired');
    // The lead time is the caller's: 11 days before expiry with a 30-day lead the badge no longer counts.
    expect(before.evaluator.evaluate(target, sovereignEu, { expiryLeadTimeMs: 30 * DAY }).conforms).toBe(
      false,
    );
  });

  it('makes a fresh evaluator each time and shares the facts', () => {
    const facts = deriveFacts(state);
    const a = atInstant(facts, T0);
    const b = atInstant(facts, T0);
    expect(a.evaluator).not.toBe(b.evaluator);
    expect(a.targets).toBe(facts.targets);
    expect(a.policies).toBe(facts.policies);
  });

  it('derive is deriveFacts then atInstant', () => {
    const derived = derive(state, T0 + DAY);
    expect(derived.now).toBe(T0 + DAY);
    expect([...derived.targets.keys()]).toEqual(['sov-1']);
    expect(derived.services.map((s) => s.metadata.name)).toEqual(['sov']);
    const target = derived.targets.get('sov-1');
    if (!target) throw new Error('no target');
    expect(derived.evaluator.evaluate(target, sovereignEu).nextTransitionAt).toBe(T0 + 10 * DAY);
  });
});

describe('objectKey', () => {
  it('is namespace/name for namespaced objects and name otherwise', () => {
    expect(objectKey({ name: 'ledger', namespace: 'payments' })).toBe('payments/ledger');
    expect(objectKey({ name: 'node-1' })).toBe('node-1');
    expect(objectKey({ name: 'x', namespace: '' })).toBe('x');
  });
});
