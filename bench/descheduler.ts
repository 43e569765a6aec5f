// The descheduler (sigs.k8s.io/descheduler, built from its Go module by
// `test/harness/build-binaries.sh descheduler`) as a plain process against a bench cluster, with a
// DeschedulerPolicy that enables only RemovePodsViolatingNodeAffinity (required affinity), as the chart
// configures that plugin. Everything else is the descheduler's default: its client at client-go's
// default 5 QPS (burst 10), no eviction limits.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { binDir } from '../test/harness/binaries.ts';
import type { TestCluster } from '../test/harness/cluster.ts';
import { freePort, StopWaiting, waitFor } from '../test/harness/net.ts';
import { ManagedProcess } from '../test/harness/processes.ts';

const script = new URL('../test/harness/build-binaries.sh', import.meta.url).pathname;

/** The descheduler binary, built into the binary cache when it is missing (a few minutes, once). */
export function deschedulerBinary(): string {
  const path = join(binDir(), 'descheduler');
  if (!existsSync(path))
    execFileSync('bash', [script, 'descheduler'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return path;
}

export function deschedulerVersion(): string {
  const path = join(binDir(), 'descheduler');
  if (!existsSync(path)) return 'not built';
  try {
    return execFileSync(path, ['version'], { encoding: 'utf8' }).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A DeschedulerPolicy (v1alpha2): RemovePodsViolatingNodeAffinity, required terms, in these namespaces. */
export function nodeAffinityPolicy(namespaces: string[]): string {
  return stringify({
    apiVersion: 'descheduler/v1alpha2',
    kind: 'DeschedulerPolicy',
    profiles: [
      {
        name: 'bench',
        pluginConfig: [
          { name: 'DefaultEvictor' },
          {
            name: 'RemovePodsViolatingNodeAffinity',
            args: {
              nodeAffinityType: ['requiredDuringSchedulingIgnoredDuringExecution'],
              namespaces: { include: namespaces },
            },
          },
        ],
        plugins: { deschedule: { enabled: ['RemovePodsViolatingNodeAffinity'] } },
      },
    ],
  });
}

const CYCLE_LINE = 'Number of evictions/requests';

export class Descheduler {
  private readonly process: ManagedProcess;
  readonly logFile: string;

  private constructor(process: ManagedProcess, logFile: string) {
    this.process = process;
    this.logFile = logFile;
  }

  /** Starts the descheduler with `--descheduling-interval=<interval>`; its serving port on 127.0.0.1. */
  static async start(cluster: TestCluster, interval: string, namespaces: string[], name: string) {
    const policy = join(cluster.dir, `${name}-policy.yaml`);
    writeFileSync(policy, nodeAffinityPolicy(namespaces));
    const logFile = join(cluster.dir, `${name}.log`);
    const process = new ManagedProcess(
      name,
      deschedulerBinary(),
      [
        `--kubeconfig=${cluster.kubeconfigPath}`,
        `--policy-config-file=${policy}`,
        `--descheduling-interval=${interval}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        `--cert-dir=${join(cluster.dir, `${name}-certs`)}`,
        // The chart's default verbosity: every eviction and every cycle's count are logged.
        '--v=3',
      ],
      logFile,
    );
    return new Descheduler(process, logFile);
  }

  /** Descheduling cycles completed so far (the line it logs at the end of each). */
  cycles(): number {
    try {
      return readFileSync(this.logFile, 'utf8').split(CYCLE_LINE).length - 1;
    } catch {
      return 0;
    }
  }

  /** Resolves once `count` cycles have completed. */
  async waitForCycles(count: number, timeoutMs: number): Promise<void> {
    await waitFor(
      `${count} descheduling cycles`,
      () => {
        if (!this.process.running) throw new StopWaiting(`descheduler exited:\n${this.process.tail(30)}`);
        return this.cycles() >= count;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Pods the descheduler reported evicted (its log at --v=3: one line per eviction). */
  evictions(): number {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"Evicted pod"')).length;
    } catch {
      return 0;
    }
  }

  async stop(): Promise<void> {
    await this.process.stop(10_000);
  }
}
