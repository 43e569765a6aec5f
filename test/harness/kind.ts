import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { kubeRequest } from '../../src/kube/request.ts';
import { createCertificateRequest } from '../../src/tls/certificates.ts';
import type { ClusterOptions } from './cluster.ts';
import { FAILABLE_KWOK, startKwokControllers } from './kwok.ts';
import { waitFor } from './net.ts';
import type { ManagedProcess } from './processes.ts';

const run = promisify(execFile);

/**
 * A kind cluster (Kubernetes in Docker) with the same interface as TestCluster, for `make e2e-kind` on
 * machines that have Docker. kind brings its own control plane (kubeadm: RBAC and Node authorizers,
 * NodeRestriction); the harness adds the same KWOK controllers for the fake nodes. Node identities get
 * their certificates from the cluster's own signer through the CSR API, and the operator's webhook is
 * reached from inside the kind network at the Docker bridge's gateway address.
 */
export class KindCluster {
  readonly name: string;
  readonly dir: string;
  readonly server: string;
  readonly kubeconfigPath: string;
  /** Where a webhook served on this machine is reachable from the API server. */
  readonly webhookHost: string;
  private readonly kwok: ManagedProcess[];
  /** Created by the harness (deleted on stop), or an existing cluster it only attached to. */
  private readonly owned: boolean;
  private stopped = false;

  private constructor(init: {
    name: string;
    dir: string;
    server: string;
    kubeconfigPath: string;
    webhookHost: string;
    kwok: ManagedProcess[];
    owned: boolean;
  }) {
    this.name = init.name;
    this.dir = init.dir;
    this.server = init.server;
    this.kubeconfigPath = init.kubeconfigPath;
    this.webhookHost = init.webhookHost;
    this.kwok = init.kwok;
    this.owned = init.owned;
  }

  static async start(options: ClusterOptions = {}): Promise<KindCluster> {
    const name = `sp-${options.name ?? 'test'}-${Math.random().toString(36).slice(2, 7)}`;
    const dir = mkdtempSync(join(tmpdir(), `sovereign-placement-kind-${options.name ?? 'test'}-`));
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const config = join(dir, 'kind.yaml');
    writeFileSync(
      config,
      stringify({
        kind: 'Cluster',
        apiVersion: 'kind.x-k8s.io/v1alpha4',
        networking: { apiServerAddress: '127.0.0.1' },
      }),
    );
    try {
      await run('kind', [
        'create',
        'cluster',
        '--name',
        name,
        '--kubeconfig',
        kubeconfigPath,
        '--config',
        config,
        '--wait',
        '180s',
      ]);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `kind create cluster failed (kind and a running Docker engine are needed): ${(error as Error).message}`,
      );
    }
    const { stdout } = await run('docker', [
      'network',
      'inspect',
      'kind',
      '--format',
      '{{range .IPAM.Config}}{{.Gateway}} {{end}}',
    ]);
    const webhookHost = stdout.split(/\s+/).find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
    if (!webhookHost) throw new Error(`no IPv4 gateway on the kind Docker network: "${stdout.trim()}"`);
    return KindCluster.connect({ name, dir, kubeconfigPath, webhookHost, owned: true });
  }

  /**
   * Uses an existing cluster (`make demo DEMO_FLAGS=--kubeconfig=...`): the same KWOK controllers are
   * started against it; stop() ends them and leaves the cluster. `webhookHost` is the address of this
   * machine as the cluster's API server reaches it (127.0.0.1 when the API server runs here).
   */
  static async attach(kubeconfigPath: string, webhookHost: string): Promise<KindCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'sovereign-placement-attached-'));
    return KindCluster.connect({ name: 'attached', dir, kubeconfigPath, webhookHost, owned: false });
  }

  private static async connect(init: {
    name: string;
    dir: string;
    kubeconfigPath: string;
    webhookHost: string;
    owned: boolean;
  }): Promise<KindCluster> {
    const { dir, kubeconfigPath } = init;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const kwok = await startKwokControllers(kubeconfigPath, dir);
    const cluster = new KindCluster({ ...init, server: kc.getCurrentCluster()?.server ?? '', kwok });
    await waitFor('the default ServiceAccount', async () => {
      await kubeRequest(kc, { path: '/api/v1/namespaces/default/serviceaccounts/default' });
      return true;
    });
    return cluster;
  }

  adminKubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /** A kubeconfig for `system:node:<name>`, its certificate issued by the cluster's kubelet client signer. */
  async nodeKubeConfig(nodeName: string): Promise<{ path: string; kubeConfig: KubeConfig }> {
    const kc = this.adminKubeConfig();
    const user = `system:node:${nodeName}`;
    const { requestPem, privateKeyPem } = await createCertificateRequest(user, ['system:nodes']);
    const csrName = `sp-${nodeName}-${Date.now().toString(36)}`;
    const base = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
    const csr = await kubeRequest<Record<string, unknown>>(kc, {
      method: 'POST',
      path: base,
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: csrName },
        spec: {
          request: Buffer.from(requestPem).toString('base64'),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
        },
      },
    });
    await kubeRequest(kc, {
      method: 'PUT',
      path: `${base}/${csrName}/approval`,
      body: {
        ...csr,
        status: {
          conditions: [
            { type: 'Approved', status: 'True', reason: 'Test', message: 'approved by the test harness' },
          ],
        },
      },
    });
    const certificate = await waitFor(`certificate of ${csrName}`, async () => {
      const current = await kubeRequest<{ status?: { certificate?: string } }>(kc, {
        path: `${base}/${csrName}`,
      });
      return current.status?.certificate;
    });
    const cluster = kc.getCurrentCluster();
    const path = join(this.dir, `node-${nodeName}.kubeconfig`);
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: this.name,
            cluster: { server: cluster?.server, 'certificate-authority-data': cluster?.caData },
          },
        ],
        users: [
          {
            name: user,
            user: {
              'client-certificate-data': certificate,
              'client-key-data': Buffer.from(privateKeyPem).toString('base64'),
            },
          },
        ],
        contexts: [{ name: this.name, context: { cluster: this.name, user } }],
        'current-context': this.name,
      }),
      { mode: 0o600 },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(path);
    return { path, kubeConfig };
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    try {
      const result = await kubeRequest(this.adminKubeConfig(), { method: method as never, path, body });
      return { status: 200, body: JSON.stringify(result) };
    } catch (error) {
      const e = error as { statusCode?: number; message: string };
      return { status: e.statusCode ?? 0, body: e.message };
    }
  }

  pids(): number[] {
    return this.kwok.map((p) => p.pid);
  }

  /** Stops the KWOK controller of the "failable" nodes: they stop heartbeating, as when a kubelet dies. */
  async failNodes(): Promise<void> {
    await this.kwok.find((p) => p.name === FAILABLE_KWOK)?.stop();
  }

  logs(process: string, lines = 40): string {
    return this.kwok.find((p) => p.name === process)?.tail(lines) ?? '';
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.kwok) await p.stop();
    if (this.owned) await run('kind', ['delete', 'cluster', '--name', this.name]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
