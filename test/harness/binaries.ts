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

/** Karmada's components: built only by `build-binaries.sh karmada` (`make karmada-binaries`). */
export type KarmadaBinary =
  | 'karmada-aggregated-apiserver'
  | 'karmada-controller-manager'
  | 'karmada-scheduler'
  | 'karmada-webhook';

let karmadaCached: string | undefined;

/**
 * Karmada's cache dir (keyed by its version): `bin/` with its components and `share/` with the files of
 * its Go module that a control plane applies (`crds/`: charts/karmada/_crds; `webhook-configuration.yaml`:
 * artifacts/deploy).
 */
export function karmadaDir(): string {
  karmadaCached ??= execFileSync('bash', [script, '--print-karmada'], { encoding: 'utf8' }).trim();
  return karmadaCached;
}

export function karmadaBinary(name: KarmadaBinary): string {
  const path = join(karmadaDir(), 'bin', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make karmada-binaries\``);
  return path;
}

/** A file or dir of Karmada's module copied by the build (`crds`, `webhook-configuration.yaml`). */
export function karmadaShare(name: 'crds' | 'webhook-configuration.yaml'): string {
  const path = join(karmadaDir(), 'share', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make karmada-binaries\``);
  return path;
}
