// Draws (or takes from FAULT_SEED) the seed of the suite before any file runs, and after the last one
// adds up the figures every file wrote into .tmp/faults/results.md and prints them.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { FileFigures } from './support.ts';

const RESULTS_DIR = join(import.meta.dirname, '../../.tmp/faults');

export function setup(): () => void {
  const given = process.env.FAULT_SEED;
  const seed = given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`FAULT_SEED must be an integer, got "${given}"`);
  // Test files run in workers that inherit this environment.
  process.env.FAULT_SEED = String(seed);
  console.log(`fault suite seed: ${seed} (replay with FAULT_SEED=${seed} make test-faults)`);
  if (existsSync(RESULTS_DIR))
    for (const f of readdirSync(RESULTS_DIR)) if (f.endsWith('.json')) rmSync(join(RESULTS_DIR, f));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const startedAt = Date.now();
  return () => {
    const files = readdirSync(RESULTS_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as FileFigures);
    const text = summary(seed, files, Date.now() - startedAt);
    writeFileSync(join(RESULTS_DIR, 'results.md'), text);
    console.log(`\n${text}\n(written to .tmp/faults/results.md)`);
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function summary(seed: number, files: FileFigures[], totalMs: number): string {
  const faults = new Map<string, number>();
  const durations = new Map<string, number[]>();
  for (const f of files) {
    for (const [k, n] of Object.entries(f.faults)) faults.set(k, (faults.get(k) ?? 0) + n);
    for (const [k, list] of Object.entries(f.durations))
      durations.set(k, [...(durations.get(k) ?? []), ...list]);
  }
  const total = [...faults.values()].reduce((a, b) => a + b, 0);
  const lines = [
    `# Fault suite results`,
    '',
    `${new Date().toISOString()} · ${cpus().length} cores · seed ${seed} · ${seconds(totalMs)} in total`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| faults injected | ${total} |`,
    ...[...faults].map(([k, n]) => `| · ${k} | ${n} |`),
    `| invariant samples | ${files.reduce((a, f) => a + f.samples, 0)} |`,
    `| samples that could not read the cluster | ${files.reduce((a, f) => a + f.gaps, 0)} |`,
    `| invariant violations | ${files.reduce((a, f) => a + f.violations, 0)} |`,
    '',
    '| duration | n | median | max |',
    '| --- | --- | --- | --- |',
    ...[...durations].map(([k, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
      return `| ${k} | ${list.length} | ${seconds(median)} | ${seconds(sorted.at(-1) ?? 0)} |`;
    }),
  ];
  const notes = files.flatMap((f) => f.notes.map((n) => `- ${f.file}: ${n}`));
  if (notes.length) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}
