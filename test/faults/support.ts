// Shared pieces of the fault suite: the seeded random source, the figures each file reports, and the
// failover round that most faults are injected into.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { verdictLabelKey } from '../../src/domain/verdict-labels.ts';
import type { InvariantReport } from '../harness/invariants.ts';
import { waitFor } from '../harness/net.ts';
import type { OperatorProcess } from '../harness/operator.ts';
import { patchCloudService, podsOf, sovereignBadge } from '../harness/world.ts';

export const RESULTS_DIR = join(import.meta.dirname, '../../.tmp/faults');
export const SOV_EU = verdictLabelKey('Sovereign', 'eu');

/**
 * The seed of every random choice of the suite: FAULT_SEED when set (to replay a failed run), else the
 * one the global setup drew and printed.
 */
export function faultSeed(): number {
  const seed = Number(process.env.FAULT_SEED);
  if (!Number.isInteger(seed))
    throw new Error('FAULT_SEED is not set: run the suite with `make test-faults`');
  return seed;
}

/** mulberry32: a small deterministic generator, so that a seed replays the same fault points. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one test file measured; the global teardown adds the files up into results.md. */
export interface FileFigures {
  file: string;
  seed: number;
  faults: Record<string, number>;
  samples: number;
  gaps: number;
  violations: number;
  /** Named durations in milliseconds (several measurements per name). */
  durations: Record<string, number[]>;
  notes: string[];
}

export class Figures {
  readonly data: FileFigures;

  constructor(file: string, seed: number) {
    this.data = { file, seed, faults: {}, samples: 0, gaps: 0, violations: 0, durations: {}, notes: [] };
  }

  fault(kind: string, count = 1): void {
    this.data.faults[kind] = (this.data.faults[kind] ?? 0) + count;
  }

  duration(name: string, ms: number): void {
    const list = this.data.durations[name] ?? [];
    list.push(ms);
    this.data.durations[name] = list;
  }

  note(text: string): void {
    this.data.notes.push(text);
  }

  /** Writes the figures with the invariant report's counts (also when a test failed). */
  save(report: InvariantReport | undefined): void {
    if (report) {
      this.data.samples = report.samples;
      this.data.gaps = report.gaps;
      this.data.violations = report.violations.length;
    }
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${this.data.file}.json`), JSON.stringify(this.data, null, 2));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A badge of a pool's cloud service, valid or revoked at an instant. A pool is a cloud service with its
 * own nodes; the rounds move a Deployment from one pool to the other by revoking the badge of the pool
 * it runs on.
 */
export async function setPoolBadge(kc: KubeConfig, service: string, revokedAt?: number): Promise<void> {
  const badge = sovereignBadge('2028-01-01T00:00:00Z');
  await patchCloudService(kc, service, {
    badges: [revokedAt === undefined ? badge : { ...badge, revokedAt: new Date(revokedAt).toISOString() }],
  });
}

const live = (pods: V1Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp);

/** Waits until exactly `replicas` pods of `app` run, all on `nodes`, and none is terminating. */
export async function waitForPodsOn(
  kc: KubeConfig,
  app: string,
  replicas: number,
  nodes: string[],
  timeoutMs = 180_000,
): Promise<V1Pod[]> {
  return waitFor(
    `${replicas} pods of ${app} running on ${nodes.join(', ')}`,
    async () => {
      const all = await podsOf(kc, `app=${app}`);
      const running = live(all).filter(
        (p) => p.status?.phase === 'Running' && nodes.includes(p.spec?.nodeName ?? ''),
      );
      return all.length === replicas && running.length === replicas ? running : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Polls an operator's metric until `accept` holds; resolves the instant it was seen. */
export async function whenMetric(
  operator: OperatorProcess,
  name: string,
  labels: Record<string, string>,
  accept: (value: number | undefined) => boolean,
  timeoutMs = 120_000,
): Promise<number> {
  return waitFor(
    `${name} on ${operator.identity}`,
    async () => (accept(await operator.metric(name, labels)) ? Date.now() : undefined),
    { timeoutMs, intervalMs: 50 },
  );
}

/** The sum of a metric's series whose labels include `labels`. */
export async function metricSum(
  operator: OperatorProcess,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await operator.metrics();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.split(' ').pop());
  }
  return sum;
}
