import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { mutatingWebhookConfiguration } from '../../src/operator/webhook/configuration.ts';
import type { Cluster } from './clusters.ts';
import { freePort, StopWaiting, waitFor } from './net.ts';
import { ManagedProcess } from './processes.ts';

export const OPERATOR_NAMESPACE = 'sovereign-placement-system';
export const WEBHOOK_CONFIGURATION = 'sovereign-placement';
const root = join(import.meta.dirname, '../..');

export interface OperatorProcessOptions {
  identity?: string;
  webhookPort?: number;
  leaderElect?: boolean;
  leaseDurationSeconds?: number;
  /**
   * Run the operator with this kubeconfig instead of the cluster's admin one, for example a
   * ServiceAccount's (`TestCluster.serviceAccountKubeConfig`) to test the chart's RBAC.
   */
  kubeconfigPath?: string;
  /** The operator's LOG_LEVEL (default debug, which tests read; benchmarks use info). */
  logLevel?: string;
  /** More flags, for example `--hub`. */
  args?: string[];
}

/**
 * The operator run as a real process (`node src/operator/main.ts`) against a test cluster, with its
 * webhook on 127.0.0.1 registered by URL, as an out-of-cluster development setup would.
 */
export class OperatorProcess {
  readonly cluster: Cluster;
  readonly webhookPort: number;
  readonly probePort: number;
  readonly identity: string;
  private readonly options: OperatorProcessOptions;
  private process: ManagedProcess | undefined;
  private runs = 0;

  private constructor(
    cluster: Cluster,
    webhookPort: number,
    probePort: number,
    options: OperatorProcessOptions,
  ) {
    this.cluster = cluster;
    this.webhookPort = webhookPort;
    this.probePort = probePort;
    this.identity = options.identity ?? 'operator-0';
    this.options = options;
  }

  /** Registers the webhook configuration (once per cluster) and starts the operator until /readyz. */
  static async start(cluster: Cluster, options: OperatorProcessOptions = {}): Promise<OperatorProcess> {
    const kc = cluster.adminKubeConfig();
    await ensureNamespace(kc, OPERATOR_NAMESPACE);
    const webhookPort = options.webhookPort ?? (await freePort());
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const config = mutatingWebhookConfiguration(WEBHOOK_CONFIGURATION, {
      url: `https://127.0.0.1:${webhookPort}`,
    });
    await objects.create(config as never).catch((e: { code?: number }) => {
      if (e.code !== 409) throw e;
    });
    const operator = new OperatorProcess(cluster, webhookPort, await freePort(), options);
    await operator.resume();
    return operator;
  }

  /** The process group of the running operator (its guard script and the operator process). */
  get processGroup(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** (Re)starts the process and waits until it is ready. */
  async resume(): Promise<void> {
    if (this.process?.running) return;
    this.runs++;
    const args = [
      join(root, 'src/operator/main.ts'),
      `--kubeconfig=${this.options.kubeconfigPath ?? this.cluster.kubeconfigPath}`,
      `--namespace=${OPERATOR_NAMESPACE}`,
      `--identity=${this.identity}`,
      `--probe-bind=127.0.0.1:${this.probePort}`,
      `--webhook-bind=${this.cluster.webhookHost}:${this.webhookPort}`,
      `--webhook-host=${this.cluster.webhookHost}`,
      `--webhook-configuration=${WEBHOOK_CONFIGURATION}`,
      `--lease-duration=${this.options.leaseDurationSeconds ?? 6}`,
      '--renew-deadline=4',
      '--retry-period=1',
      ...(this.options.leaderElect === false ? ['--no-leader-elect'] : []),
      ...(this.options.args ?? []),
    ];
    this.process = new ManagedProcess(
      `operator-${this.identity}-${this.runs}`,
      process.execPath,
      args,
      this.logFile,
      { LOG_LEVEL: this.options.logLevel ?? 'debug' },
    );
    const proc = this.process;
    await waitFor(
      'operator /readyz',
      async () => {
        if (!proc.running) throw new StopWaiting(`operator exited:\n${proc.tail(40)}`);
        const res = await fetch(`http://127.0.0.1:${this.probePort}/readyz`);
        return res.ok;
      },
      { timeoutMs: 60_000 },
    );
  }

  /**
   * SIGTERM, as Kubernetes stops a pod: the operator drains and releases its lease. Resolves 'killed'
   * when it did not exit within the 15 s grace and had to be killed.
   */
  async stop(): Promise<'exited' | 'killed' | undefined> {
    return this.process?.stop(15_000);
  }

  /** SIGKILL: the operator ends at once, with no drain and no Lease release (a crash, an OOM kill). */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  /** The log of every run of this replica (JSON lines, appended across restarts). */
  get logFile(): string {
    return join(this.cluster.dir, `operator-${this.identity}.log`);
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.probePort}/metrics`)).text();
  }

  /** The value of one metric series, or undefined. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const text = await this.metrics();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
        return Number(line.split(' ').pop());
    }
    return undefined;
  }

  logs(lines = 60): string {
    return this.process?.tail(lines) ?? '';
  }
}

export async function ensureNamespace(
  kc: KubeConfig,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name, labels } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
    if (Object.keys(labels).length) {
      const ns = await core.readNamespace({ name });
      await core.replaceNamespace({
        name,
        body: { ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata?.labels, ...labels } } },
      });
    }
  }
}
