import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeFactLabels } from '../../../src/api/group.ts';
import {
  claimRefusal,
  evaluateConformance,
  indexServices,
  informationalDisagreements,
  isPositive,
  nodeTarget,
  placeWorkload,
  planClusterFailover,
  planFailover,
  REASON_CODES,
  type Reason,
  type ReasonCode,
  Reasons,
  reasonsMarkdown,
  summarizeCapacity,
  volumeProblems,
} from '../../../src/domain/index.ts';
import { failoverInput, pod } from './failover-fixtures.ts';
import {
  badge,
  cluster,
  codes,
  DAY,
  facts,
  HOUR,
  node,
  service,
  sovereignEu,
  storageClass,
  T0,
  volume,
} from './fixtures.ts';

const verdictOf = (...args: Parameters<typeof evaluateConformance>) => {
  const v = evaluateConformance(...args);
  return { reasons: v.reasons, conforms: v.conforms };
};
const s = (o: Parameters<typeof service>[1] = {}) => service('svc', o);
const candidate = (name: string, provider: string, conforms = true) => {
  const target = cluster(name, service(`s-${provider}`, { provider }));
  const verdict = evaluateConformance(target, sovereignEu, facts, T0);
  return {
    name,
    provider,
    cloudService: `s-${provider}`,
    verdict: conforms ? verdict : { ...verdict, conforms: false },
  };
};
const plan = (...args: Parameters<typeof failoverInput>) => {
  const p = planFailover(failoverInput(...args));
  return { reasons: [...p.evictNow, ...p.deferred, ...p.blocked].map((e) => e.reason) };
};

interface Scenario {
  reasons: readonly Reason[];
  /** For conformance scenarios: the verdict. */
  conforms?: boolean;
}

/** One scenario per reason code, each produced by the real decision function, with a telling fragment. */
const table: Record<ReasonCode, [() => Scenario, string]> = {
  Conforming: [
    () => verdictOf(node('n', s()), sovereignEu, facts, T0),
    'conforms to the Sovereign badge for area eu',
  ],
  UnknownArea: [
    () => verdictOf(node('n', s()), { badges: ['Sovereign'], area: 'atlantis' }, facts, T0),
    '"atlantis"',
  ],
  UnknownCloudService: [
    () => verdictOf(nodeTarget({ name: 'n', labels: {} }, indexServices([s()])), sovereignEu, facts, T0),
    'is not set',
  ],
  AmbiguousCloudService: [
    () => {
      const sel = { matchLabels: { 'node-restriction.kubernetes.io/pool': 'x' } };
      const catalog = indexServices([
        service('one', { nodeSelector: sel }),
        service('two', { nodeSelector: sel }),
      ]);
      const labels = { 'node-restriction.kubernetes.io/pool': 'x', [NodeFactLabels.country]: 'FR' };
      return verdictOf(nodeTarget({ name: 'n', labels }, catalog), sovereignEu, facts, T0);
    },
    '(one, two)',
  ],
  BadgeMissing: [
    () => verdictOf(node('n', s({ badges: [] })), sovereignEu, facts, T0),
    'holds no Sovereign badge',
  ],
  BadgeNotYetValid: [
    () =>
      verdictOf(
        node('n', s({ badges: [badge({ validFrom: '2026-06-02T00:00:00Z' })] })),
        sovereignEu,
        facts,
        T0,
      ),
    'valid only from 2026-06-02T00:00:00Z',
  ],
  BadgeExpired: [
    () =>
      verdictOf(
        node('n', s({ badges: [badge({ validUntil: '2026-05-31T00:00:00Z' })] })),
        sovereignEu,
        facts,
        T0,
      ),
    'expired at 2026-05-31T00:00:00Z',
  ],
  BadgeExpiringSoon: [
    () =>
      verdictOf(
        node('n', s({ badges: [badge({ validUntil: '2026-06-01T12:00:00Z' })] })),
        sovereignEu,
        facts,
        T0,
        {
          expiryLeadTimeMs: DAY,
        },
      ),
    'lead time of 24h',
  ],
  BadgeRevoked: [
    () =>
      verdictOf(
        node('n', s({ badges: [badge({ revokedAt: '2026-05-01T00:00:00Z' })] })),
        sovereignEu,
        facts,
        T0,
      ),
    'revoked at 2026-05-01T00:00:00Z',
  ],
  AssuranceTooLow: [
    () =>
      verdictOf(
        node('n', s({ badges: [badge({ assurance: 'SelfDeclared' })] })),
        { ...sovereignEu, minimumAssurance: 'ThirdPartyCertified' },
        facts,
        T0,
      ),
    'is SelfDeclared; the requirement needs ThirdPartyCertified',
  ],
  JurisdictionOutsideArea: [
    () => verdictOf(node('n', s({ jurisdiction: 'US' })), sovereignEu, facts, T0),
    'under the law of US, outside area eu',
  ],
  ParentJurisdictionOutsideArea: [
    () =>
      verdictOf(
        node('n', s({ parent: { name: 'Mega Corp', legalJurisdiction: 'US' } })),
        sovereignEu,
        facts,
        T0,
      ),
    'Mega Corp, ultimate parent',
  ],
  SchemeLevelTooLow: [
    () =>
      verdictOf(
        node('n', s({ schemeLevels: { seal: 2 } })),
        { ...sovereignEu, minimumSchemeLevels: { seal: 3 } },
        facts,
        T0,
      ),
    'holds SEAL level 2; the requirement needs SEAL level 3',
  ],
  CountryUnknown: [
    () => verdictOf(node('n', s(), { country: null }), sovereignEu, facts, T0),
    NodeFactLabels.country,
  ],
  CountryOutsideArea: [
    () => verdictOf(node('n', s(), { country: 'US' }), sovereignEu, facts, T0),
    'in US, outside area eu',
  ],
  VolumeResidenceUnknown: [
    () => verdictOf(volume('pv', s(), null), sovereignEu, facts, T0),
    NodeFactLabels.country,
  ],
  VolumeOutsideArea: [
    () => verdictOf(volume('pv', s(), 'US'), sovereignEu, facts, T0),
    'resides in US (its node affinity), outside area eu',
  ],
  TargetCordoned: [
    () => verdictOf(node('n', s(), { cordoned: true }), sovereignEu, facts, T0),
    NodeFactLabels.cordoned,
  ],
  ControlPlaneNotConforming: [
    () => {
      const outside = service('managed', { jurisdiction: 'US' });
      const controlPlane = { service: outside, reason: null };
      return verdictOf(cluster('c', s(), { controlPlane }), sovereignEu, facts, T0);
    },
    'control plane is operated by CloudService managed',
  ],
  TargetUnhealthy: [
    () => verdictOf(cluster('c', s(), { healthy: false }), sovereignEu, facts, T0),
    'member cluster is not healthy',
  ],
  Placed: [
    () => placeWorkload([candidate('a', 'P1')], { clusters: 1 }),
    'Placed on 1 conforming member cluster',
  ],
  NotSelected: [
    () => {
      const p = placeWorkload([candidate('a', 'P1'), candidate('b', 'P1')], { clusters: 1 });
      return { reasons: p.rejected.flatMap((r) => r.reasons) };
    },
    'already has the 1 cluster it needs',
  ],
  NoConformingCapacity: [
    () => placeWorkload([candidate('a', 'P1'), candidate('b', 'P2', false)], { clusters: 2 }),
    'Only 1 conforming member cluster for the 2 needed',
  ],
  SpreadNotMet: [
    () =>
      placeWorkload([candidate('a', 'P1'), candidate('b', 'P1')], { clusters: 2, spreadAcrossProviders: 2 }),
    'span 1 provider, 2 were asked',
  ],
  LeavingMemberCluster: [
    () => {
      const b = candidate('b', 'P2');
      const p = planClusterFailover({
        candidates: [candidate('a', 'P1', false), b],
        clusters: 1,
        spreadAcrossProviders: 1,
        records: [{ cluster: 'a', provider: 'P1', cloudService: 's-P1', since: T0, available: true }],
        standing: (name) =>
          name === 'a'
            ? {
                reachable: true,
                healthy: true,
                cordoned: false,
                verdict: { ...b.verdict, conforms: false },
                conformsNow: false,
              }
            : undefined,
        onNoConformingCapacity: 'Evict',
        removeNonConforming: 'Immediately',
        now: T0,
      });
      return { reasons: p.leaving.map((l) => l.reason) };
    },
    'Leaving member cluster a: it no longer conforms; its copy is removed at once',
  ],
  TooFewProviders: [
    () => {
      const t = node('n', s());
      return summarizeCapacity([{ target: t, verdict: evaluateConformance(t, sovereignEu, facts, T0) }], 2);
    },
    'on 1 provider; the requirement needs 2',
  ],
  NodeNotConforming: [() => plan({ pods: [pod('p', 'bad-node')] }), 'controller recreates it'],
  EvictedWithoutCapacity: [
    () => plan({ pods: [pod('p', 'bad-node')], conformingCapacityExists: false }),
    'evicted anyway (onNoConformingCapacity: Evict)',
  ],
  GracePeriodPending: [
    () => plan({ pods: [pod('p', 'bad-node')], gracePeriodMs: 2 * HOUR }),
    'grace period ends at 2026-06-01T01:00:00Z',
  ],
  RateLimited: [
    () =>
      plan({
        pods: [pod('p', 'bad-node')],
        rateLimit: { maxEvictionsPerMinute: 2, windowStartedAt: T0 - 1000, evictionsInWindow: 2 },
      }),
    'next window opens at 2026-06-01T00:00:59Z',
  ],
  DisruptionBudgetExhausted: [
    () =>
      plan({
        pods: [pod('p', 'bad-node')],
        budgets: [
          {
            namespace: 'apps',
            name: 'web',
            selector: { matchLabels: { app: 'web' } },
            disruptionsAllowed: 0,
          },
        ],
      }),
    'PodDisruptionBudget apps/web allows no more',
  ],
  MultipleDisruptionBudgets: [
    () =>
      plan({
        pods: [pod('p', 'bad-node')],
        budgets: [
          { namespace: 'apps', name: 'b', selector: {}, disruptionsAllowed: 5 },
          { namespace: 'apps', name: 'a', selector: { matchLabels: { app: 'web' } }, disruptionsAllowed: 5 },
        ],
      }),
    '(apps/a, apps/b)',
  ],
  RetainedWithoutCapacity: [
    () =>
      plan({
        pods: [pod('p', 'bad-node')],
        conformingCapacityExists: false,
        onNoConformingCapacity: 'Retain',
      }),
    'onNoConformingCapacity is Retain',
  ],
  AuditOnly: [() => plan({ pods: [pod('p', 'bad-node')], mode: 'Audit' }), 'Audit mode'],
  ReplacementNotPinned: [
    () => plan({ pods: [pod('p', 'bad-node')], unpinnedNamespaces: new Set(['apps']) }),
    'is not enrolled',
  ],
  PodTerminating: [
    () => plan({ pods: [pod('p', 'bad-node', { terminating: true })] }),
    'already terminating',
  ],
  NodeVerdictUnknown: [() => plan({ pods: [pod('p', 'gone-node')] }), 'node gone-node'],
  StorageClassNotConforming: [
    () => {
      const judge = (name: string, svc: ReturnType<typeof s>) => ({
        name,
        verdicts: [evaluateConformance(storageClass(name, svc), sovereignEu, facts, T0)],
      });
      const refusal = claimRefusal({
        claim: 'apps/data',
        storageClass: 'cheap',
        defaulted: false,
        classes: [judge('cheap', s({ badges: [] })), judge('gold', s())],
      });
      return { reasons: refusal ? [refusal] : [] };
    },
    'names StorageClass "cheap" in spec.storageClassName, which does not conform: CloudService svc holds no Sovereign badge for area eu. StorageClasses that would do: gold.',
  ],
  VolumeNotConforming: [
    () => {
      const verdict = evaluateConformance(volume('pv-1', s(), 'US'), sovereignEu, facts, T0);
      const claims = [{ claim: 'data', volume: 'pv-1', exists: true, verdicts: [verdict] }];
      return { reasons: volumeProblems('db-0', claims, true) };
    },
    'Data cannot be evicted like a pod',
  ],
  InformationalLabelMismatch: [
    () => ({
      reasons: informationalDisagreements(
        { [NodeFactLabels.country]: 'FR', 'sovereign-placement.io/country': 'DE' },
        { service: s(), reason: null },
      ).map((d) => d.reason),
    }),
    'sovereign-placement.io/country="DE" disagrees',
  ],
};

describe('reasons', () => {
  it('the table below covers every reason code, and nothing else', () => {
    expect(Object.keys(table).sort()).toEqual([...REASON_CODES].sort());
  });

  describe.each(Object.entries(table) as [ReasonCode, [() => Scenario, string]][])(
    '%s',
    (code, [scenario, fragment]) => {
      it('is produced by its decision, with a sentence naming the facts', () => {
        const result = scenario();
        const found = result.reasons.find((r) => r.code === code);
        expect(found, `reasons were ${codes(result.reasons).join(', ')}`).toBeDefined();
        expect(found?.message).toContain(fragment);
        expect(found?.message).toMatch(/[.)]$/);
      });
      if (Reasons[code].decision === 'Conformance') {
        it(isPositive(code) ? 'means the target conforms' : 'means the target does not conform', () => {
          expect(scenario().conforms).toBe(isPositive(code));
        });
      }
    },
  );

  it('renders a Markdown table with one row per code', () => {
    const lines = reasonsMarkdown().trimEnd().split('\n');
    expect(lines[0]).toBe('| Reason | Decision | Meaning |');
    expect(lines).toHaveLength(REASON_CODES.length + 2);
    for (const code of REASON_CODES)
      expect(lines).toContainEqual(expect.stringMatching(`^\\| \`${code}\` \\|`));
  });

  it('README.md shows exactly the generated table between the reasons markers', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
    const lines = readme.split('\n');
    const start = lines.indexOf('<!-- reasons:start -->');
    const end = lines.indexOf('<!-- reasons:end -->');
    expect(start, 'README.md needs a line <!-- reasons:start -->').toBeGreaterThanOrEqual(0);
    expect(end, 'README.md needs a line <!-- reasons:end --> after the start marker').toBeGreaterThan(start);
    const between = lines
      .slice(start + 1, end)
      .join('\n')
      .trim();
    expect(between, 'regenerate with: scripts/with-node.sh node scripts/reasons-doc.ts').toBe(
      reasonsMarkdown().trim(),
    );
  });
});
