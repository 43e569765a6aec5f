// Benchmark of the pure domain engine (make bench-domain). Prints figures; asserts nothing.
//
//   1. Conformance: a verdict for each of 10,000 nodes under each of 200 policies, starting from the raw
//      records (CloudServices, areas, node labels): index the facts, resolve every node's service and
//      country from its protected labels, evaluate. The 200 policies share 16 distinct requirements
//      (badge, area, assurance, lead time), as policies do in practice; each distinct requirement is
//      evaluated once per distinct (service, country, cordon) and every policy gets its own array of
//      10,000 verdicts. A second figure makes all 200 requirements distinct (worst case).
//   2. Placement: 1,000 SovereignWorkloads over 1,000 member clusters: targets from MemberCluster records,
//      verdicts per distinct requirement, then placeWorkload for each workload (N, spread, current
//      placements), with explanations for every rejected cluster.
//
// Each figure is the median of 7 runs after 2 warm-up runs.
import os from 'node:os';
import { API_VERSION, NodeFactLabels } from '../src/api/group.ts';
import type { Badge, CloudService, MemberCluster } from '../src/api/index.ts';
import {
  type ClusterCandidate,
  type ConformanceRequirement,
  clusterCandidate,
  createConformanceEvaluator,
  evaluatePolicies,
  indexAreas,
  indexServices,
  memberClusterTarget,
  type NodeFacts,
  nodeTarget,
  type PolicyRequirement,
  placeWorkload,
  requirementKey,
} from '../src/domain/index.ts';

const NODES = 10_000;
const POLICIES = 200;
const DISTINCT_REQUIREMENTS = 16;
const SERVICES = 60;
const CLUSTERS = 1_000;
const WORKLOADS = 1_000;
const WARMUP = 2;
const RUNS = 7;

/** A small deterministic PRNG (mulberry32), so every run measures the same data. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}

const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const EU = [
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
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
];
const areaRecords = [
  { metadata: { name: 'eu' }, spec: { countries: EU } },
  { metadata: { name: 'eea' }, spec: { countries: [...EU, 'IS', 'LI', 'NO'] } },
  { metadata: { name: 'fr' }, spec: { countries: ['FR'] } },
  { metadata: { name: 'de' }, spec: { countries: ['DE'] } },
  { metadata: { name: 'dach' }, spec: { countries: ['DE', 'AT', 'CH'] } },
  { metadata: { name: 'benelux' }, spec: { countries: ['BE', 'NL', 'LU'] } },
  { metadata: { name: 'nordics' }, spec: { countries: ['DK', 'FI', 'SE', 'NO', 'IS'] } },
  { metadata: { name: 'ch' }, spec: { countries: ['CH'] } },
];
const AREAS = areaRecords.map((a) => a.metadata.name);
const COUNTRIES = ['FR', 'FR', 'DE', 'DE', 'NL', 'IT', 'ES', 'SE', 'CH', 'NO', 'US'];
const POOL = 'node-restriction.kubernetes.io/pool';

function buildServices(r: ReturnType<typeof prng>): CloudService[] {
  return Array.from({ length: SERVICES }, (_, i) => {
    const badges: Badge[] = Array.from({ length: 1 + r.int(4) }, () => {
      const from = NOW - r.int(400) * DAY;
      return {
        type: r.pick(['Sovereign', 'Sovereign', 'Resilient'] as const),
        area: r.pick(['eu', 'eu', 'eu', 'eea', 'fr', 'de', 'dach', 'nordics']),
        assurance: r.pick(['SelfDeclared', 'ThirdPartyCertified', 'ThirdPartyCertified'] as const),
        certifiedBy: 'Accredited Body',
        validFrom: iso(from),
        validUntil: iso(from + (200 + r.int(600)) * DAY),
        ...(r.next() < 0.05 ? { revokedAt: iso(NOW - r.int(30) * DAY) } : {}),
      };
    });
    const name = `svc-${i}`;
    return {
      apiVersion: API_VERSION,
      kind: 'CloudService',
      metadata: { name },
      spec: {
        provider: {
          name: `Provider ${i % 20}`,
          legalJurisdiction: r.pick(['FR', 'DE', 'NL', 'IT', 'US']),
          ...(r.next() < 0.3
            ? { ultimateParent: { name: `Parent ${i % 7}`, legalJurisdiction: r.pick(['FR', 'US']) } }
            : {}),
        },
        badges,
        schemeLevels: { seal: r.int(5) },
        // Half the services name their nodes by selector, half by the cloud-service label.
        ...(i % 2 === 0 ? { nodeSelector: { matchLabels: { [POOL]: name } } } : {}),
      },
    } as CloudService;
  });
}

function buildNodes(r: ReturnType<typeof prng>, services: CloudService[]): NodeFacts[] {
  return Array.from({ length: NODES }, (_, i) => {
    const s = r.pick(services);
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': `node-${i}`,
      [NodeFactLabels.country]: r.pick(COUNTRIES),
      ...(s.spec.nodeSelector
        ? { [POOL]: s.metadata.name }
        : { [NodeFactLabels.cloudService]: s.metadata.name }),
    };
    if (r.next() < 0.02) labels[NodeFactLabels.cordoned] = 'true';
    if (r.next() < 0.01) delete labels[NodeFactLabels.cloudService];
    return { name: `node-${i}`, labels };
  });
}

function buildRequirements(r: ReturnType<typeof prng>, count: number): PolicyRequirement[] {
  return Array.from({ length: count }, () => {
    const requirement: ConformanceRequirement = {
      badges: r.pick([['Sovereign'], ['Sovereign'], ['Resilient'], ['Sovereign', 'Resilient']] as const),
      badgeMatch: r.pick(['AnyOf', 'AllOf'] as const),
      area: r.pick(AREAS),
      minimumAssurance: r.pick(['SelfDeclared', 'ThirdPartyCertified'] as const),
      ...(r.next() < 0.2 ? { minimumSchemeLevels: { seal: r.int(5) } } : {}),
    };
    return { requirement, expiryLeadTimeMs: r.pick([0, DAY, 7 * DAY]) };
  });
}

/** 200 policies over `distinct` requirements (each policy a fresh object, as parsed from its own CR). */
function buildPolicies(r: ReturnType<typeof prng>, distinct: number): PolicyRequirement[] {
  const base = buildRequirements(r, distinct);
  // Distinct lead times make every requirement distinct in the worst case.
  return Array.from({ length: POLICIES }, (_, i) => {
    const p =
      distinct >= POLICIES ? { ...(base[i] as PolicyRequirement), expiryLeadTimeMs: i * 1000 } : r.pick(base);
    return { requirement: { ...p.requirement }, expiryLeadTimeMs: p.expiryLeadTimeMs ?? 0 };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function measure<T>(label: string, run: () => T, summary: (result: T) => string): void {
  for (let i = 0; i < WARMUP; i++) run();
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    result = run();
    times.push(performance.now() - start);
  }
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`${label}`);
  console.log(
    `  median ${ms(median(times))} (min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}, ${RUNS} runs)`,
  );
  console.log(`  ${summary(result as T)}`);
}

// ---- data ----
const r = prng(42);
const services = buildServices(r);
const nodes = buildNodes(r, services);
const sharedPolicies = buildPolicies(r, DISTINCT_REQUIREMENTS);
const distinctPolicies = buildPolicies(r, POLICIES);

const clusters: Pick<MemberCluster, 'metadata' | 'spec'>[] = Array.from({ length: CLUSTERS }, (_, i) => ({
  metadata: { name: `member-${String(i).padStart(4, '0')}` },
  spec: {
    cloudService: (r.pick(services) as CloudService).metadata.name,
    country: r.pick(COUNTRIES),
    kubeconfigSecretRef: { namespace: 'hub', name: `member-${i}`, key: 'kubeconfig' },
    unreachableGracePeriod: '60s',
    probe: { period: '10s', timeout: '5s', failureThreshold: 3, successThreshold: 1 },
    cordoned: r.next() < 0.02,
  },
}));
const clusterHealthy = clusters.map(() => r.next() > 0.05);
const workloadRequirements = buildRequirements(r, DISTINCT_REQUIREMENTS);
const workloads = Array.from({ length: WORKLOADS }, () => {
  const clustersWanted = 1 + r.int(5);
  return {
    ...(r.pick(workloadRequirements) as PolicyRequirement),
    clusters: clustersWanted,
    spreadAcrossProviders: 1 + r.int(Math.min(3, clustersWanted)),
    // Some workloads already run somewhere (not necessarily conforming any more).
    current: r.next() < 0.5 ? [(r.pick(clusters) as { metadata: { name: string } }).metadata.name] : [],
  };
});

console.log('Sovereign Placement Operator: domain benchmark');
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, ${os.platform()} ${os.release()}, Node ${process.version}`,
);
console.log(
  `data: ${NODES} nodes, ${SERVICES} cloud services, ${areaRecords.length} areas, ${POLICIES} policies; ${CLUSTERS} member clusters, ${WORKLOADS} workloads`,
);
console.log('');

function conformance(policies: PolicyRequirement[]) {
  const areas = indexAreas(areaRecords);
  const catalog = indexServices(services);
  const targets = nodes.map((n) => nodeTarget(n, catalog));
  return evaluatePolicies(targets, policies, { areas }, NOW);
}
const countVerdicts = (m: readonly (readonly { conforms: boolean }[])[]) => {
  let total = 0;
  let conforming = 0;
  for (const row of m) {
    total += row.length;
    for (const v of row) if (v.conforms) conforming++;
  }
  return `${total.toLocaleString('en')} verdicts, ${conforming.toLocaleString('en')} conforming`;
};

measure(
  `conformance: ${NODES} nodes x ${POLICIES} policies (${DISTINCT_REQUIREMENTS} distinct requirements), from raw records (target < 100 ms)`,
  () => conformance(sharedPolicies),
  countVerdicts,
);
measure(
  `conformance, worst case: ${NODES} nodes x ${POLICIES} policies, all ${POLICIES} requirements distinct`,
  () => conformance(distinctPolicies),
  countVerdicts,
);

measure(
  `placement: ${WORKLOADS} workloads over ${CLUSTERS} member clusters, with explanations (target < 1 s)`,
  () => {
    const areas = indexAreas(areaRecords);
    const catalog = indexServices(services);
    const targets = clusters.map((c, i) => memberClusterTarget(c, catalog, clusterHealthy[i] === true));
    const evaluator = createConformanceEvaluator({ areas }, NOW);
    // Candidates (verdicts) once per distinct requirement; a hub controller does the same.
    const byRequirement = new Map<string, ClusterCandidate[]>();
    return workloads.map((w) => {
      const key = `${requirementKey(w.requirement)}#${w.expiryLeadTimeMs}`;
      let candidates = byRequirement.get(key);
      if (!candidates) {
        candidates = targets.map((t) => clusterCandidate(t, evaluator.evaluate(t, w.requirement, w)));
        byRequirement.set(key, candidates);
      }
      return placeWorkload(candidates, w);
    });
  },
  (placements) => {
    const complete = placements.filter((p) => p.complete).length;
    const chosen = placements.reduce((n, p) => n + p.chosen.length, 0);
    const rejected = placements.reduce((n, p) => n + p.rejected.length, 0);
    return `${placements.length} placements (${complete} complete), ${chosen} clusters chosen, ${rejected.toLocaleString('en')} rejections explained`;
  },
);
