import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const script = new URL('./build-binaries.sh', import.meta.url).pathname;
export type Binary =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kwok'
  | 'kubectl'
  | 'helm'
  /** Optional: built only by `build-binaries.sh descheduler` (make bench does). */
  | 'descheduler';

let cached: string | undefined;

/** Folder of the pinned upstream binaries; `make binaries` (a prerequisite of the test targets) builds them. */
export function binDir(): string {
  cached ??= execFileSync('bash', [script, '--print'], { encoding: 'utf8' }).trim();
  return cached;
}

export function binary(name: Binary): string {
  const path = join(binDir(), name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make binaries\``);
  return path;
}
