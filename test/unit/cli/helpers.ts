import { join } from 'node:path';
import { run } from '../../../src/cli/program.ts';

export const ROOT = join(import.meta.dirname, '../../..');
export const INVENTORY = join(ROOT, 'test/fixtures/inventory');
export const CHECK = join(ROOT, 'test/fixtures/cli-check');
/** The instant every fixture comment refers to. */
export const AT = '2026-06-01T00:00:00Z';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command line in this process, as bin/sovctl would, and captures its output. */
export async function cli(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {},
    now: () => Date.parse(AT),
  });
  return { code, stdout, stderr };
}

/** `sovctl explain <target> --inventory <fixtures> --at <AT> -o json`, parsed. */
export async function explainJson(target: string, ...extra: string[]): Promise<any> {
  const r = await cli('explain', target, '--inventory', INVENTORY, '--at', AT, '-o', 'json', ...extra);
  if (r.code !== 0) throw new Error(`explain ${target} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export async function reportJson(...extra: string[]): Promise<any> {
  const r = await cli('report', '--inventory', INVENTORY, '--at', AT, '-o', 'json', ...extra);
  if (r.code !== 0) throw new Error(`report exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Every node and member cluster name of the fixture inventory. */
export const NODES = [
  'fr-par-1',
  'fr-par-2',
  'ch-zrh-1',
  'de-fra-1',
  'nl-ams-1',
  'fr-lapse-1',
  'be-old-1',
  'at-new-1',
  'nl-rev-1',
  'fi-self-1',
  'ie-off-1',
  'it-colo-1',
  'fr-ghost-1',
  'bare-1',
];
/** Every PersistentVolume of the fixture inventory. */
export const VOLUMES = ['pv-ledger-fr', 'pv-ledger-us', 'pv-unpinned', 'pv-budget'];
export const CLUSTERS = [
  'paris-1',
  'lyon-1',
  'zurich-1',
  'frankfurt-1',
  'milan-1',
  'rome-1',
  'bucharest-1',
  'ghost-1',
  'vienna-1',
];
