import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueCertificate,
  type KeyPairPem,
} from '../../src/tls/certificates.ts';
import { binary } from './binaries.ts';
import { FAILABLE_KWOK, startKwokControllers } from './kwok.ts';
import { freePort, StopWaiting, waitFor } from './net.ts';
import { ManagedProcess, processGroupMembers } from './processes.ts';

export interface ClusterOptions {
  /** Used in temp-dir names and logs. */
  name?: string;
  /** Start kube-controller-manager and kube-scheduler (default true). */
  controllers?: boolean;
  /** Start a KWOK controller that makes annotated Nodes Ready and their Pods Running (default true). */
  kwok?: boolean;
  /**
   * How long before kube-controller-manager marks a silent node NotReady (default 40s). KWOK renews
   * node Leases every 10 s (a quarter of their 40 s duration): a grace period near that makes healthy
   * nodes flap NotReady under load, which marks their pods unready. Tests that fail a node on purpose
   * (`failNodes`) may shorten it.
   */
  nodeMonitorGracePeriod?: string;
  /** Extra kube-apiserver flags. */
  apiServerFlags?: string[];
  /**
   * Requests per second (and burst) that kube-controller-manager and kube-scheduler may send to the API
   * server (their defaults: 20 and 50 QPS). Benchmarks raise it so that the control plane, not its
   * client-side rate limit, sets the pace.
   */
  controllerQps?: number;
  /**
   * An audit policy (a YAML string or an audit.k8s.io/v1 Policy object): the API server then writes its
   * audit log (JSON lines) into the cluster's temp dir; `auditEvents()` reads it.
   */
  auditPolicy?: string | Record<string, unknown>;
}

/** One line of the API server's audit log (the fields the tests read). */
export interface AuditEvent {
  level: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    apiVersion?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number; reason?: string; message?: string };
  [field: string]: unknown;
}

const DAY_MS = 86_400_000;
const ADMIN = { user: 'sovereign-placement-admin', groups: ['system:masters'] };

/**
 * A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver (TLS, RBAC + Node authorizers,
 * NodeRestriction), kube-controller-manager, kube-scheduler and KWOK, each a plain process on free
 * loopback ports, with a throwaway PKI and data directory. `stop()` ends every process and removes
 * the directory.
 */
export class TestCluster {
  readonly name: string;
  readonly dir: string;
  readonly server: string;
  readonly kubeconfigPath: string;
  /** Where a webhook served on this machine is reachable from the API server. */
  readonly webhookHost = '127.0.0.1';
  /** Where the API server writes its audit log, when started with `auditPolicy`. */
  readonly auditLogPath: string | undefined;
  /** etcd's client URL (plain HTTP on loopback), for tests that write below the API server. */
  readonly etcdEndpoint: string;
  private readonly ca: CertificateAuthority;
  private readonly processes: ManagedProcess[];
  private stopped = false;

  private constructor(init: {
    name: string;
    dir: string;
    server: string;
    kubeconfigPath: string;
    ca: CertificateAuthority;
    processes: ManagedProcess[];
    auditLogPath?: string;
    etcdEndpoint: string;
  }) {
    this.name = init.name;
    this.etcdEndpoint = init.etcdEndpoint;
    this.dir = init.dir;
    this.server = init.server;
    this.kubeconfigPath = init.kubeconfigPath;
    this.auditLogPath = init.auditLogPath;
    this.ca = init.ca;
    this.processes = init.processes;
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestCluster.startOnce(options);
      } catch (error) {
        // Ports come from freePort(), and another test process can bind one before our server does:
        // that start is abandoned (its processes stopped, its directory removed) and made again.
        if (attempt >= 3 || !/address already in use/.test((error as Error).message)) throw error;
      }
    }
  }

  private static async startOnce(options: ClusterOptions): Promise<TestCluster> {
    const name = options.name ?? 'test';
    const dir = mkdtempSync(join(tmpdir(), `sovereign-placement-${name}-`));
    const processes: ManagedProcess[] = [];
    const started = (p: ManagedProcess) => {
      processes.push(p);
      return p;
    };
    try {
      const pki = join(dir, 'pki');
      mkdirSync(pki);
      const now = new Date();
      const ca = await createCertificateAuthority(`sovereign-placement-${name}-ca`, 7 * DAY_MS, now);
      const serving = await issueCertificate(ca, {
        commonName: 'kube-apiserver',
        dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
        ipAddresses: ['127.0.0.1', '10.0.0.1'],
        usage: 'server',
        validForMs: 7 * DAY_MS,
        now,
      });
      const admin = await issueCertificate(ca, {
        commonName: ADMIN.user,
        organizations: ADMIN.groups,
        usage: 'client',
        validForMs: 7 * DAY_MS,
        now,
      });
      const sa = generateKeyPairSync('ec', {
        namedCurve: 'P-256',
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'sec1', format: 'pem' },
      });
      const files = {
        ca: write(pki, 'ca.crt', ca.certificatePem),
        caKey: write(pki, 'ca.key', ca.privateKeyPem),
        cert: write(pki, 'apiserver.crt', serving.certificatePem),
        key: write(pki, 'apiserver.key', serving.privateKeyPem),
        saPub: write(pki, 'sa.pub', sa.publicKey),
        saKey: write(pki, 'sa.key', sa.privateKey),
      };

      const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
      const server = `https://127.0.0.1:${apiPort}`;
      const kubeconfigPath = join(dir, 'admin.kubeconfig');
      writeFileSync(kubeconfigPath, kubeconfigYaml(name, server, ca.certificatePem, ADMIN.user, admin));
      const log = (n: string) => join(dir, `${n}.log`);
      const auditLogPath = options.auditPolicy ? join(dir, 'audit.log') : undefined;
      const auditFlags = options.auditPolicy
        ? [
            `--audit-policy-file=${write(
              dir,
              'audit-policy.yaml',
              typeof options.auditPolicy === 'string' ? options.auditPolicy : stringify(options.auditPolicy),
            )}`,
            `--audit-log-path=${auditLogPath}`,
            '--audit-log-format=json',
            '--audit-log-mode=blocking',
          ]
        : [];

      const etcd = started(
        new ManagedProcess(
          'etcd',
          binary('etcd'),
          [
            '--name=default',
            `--data-dir=${join(dir, 'etcd')}`,
            `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
            `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
            `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
            `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
            '--unsafe-no-fsync',
            '--log-level=warn',
          ],
          log('etcd'),
        ),
      );
      await waitFor(
        'etcd to be healthy',
        async () => {
          assertRunning(etcd);
          const res = await fetch(`http://127.0.0.1:${etcdClient}/health`);
          return res.ok;
        },
        { timeoutMs: 30_000 },
      );

      const apiserver = started(
        new ManagedProcess(
          'kube-apiserver',
          binary('kube-apiserver'),
          [
            `--etcd-servers=http://127.0.0.1:${etcdClient}`,
            '--bind-address=127.0.0.1',
            '--advertise-address=127.0.0.1',
            // The default reconciler refuses a loopback address for the kubernetes Service endpoints.
            '--endpoint-reconciler-type=none',
            `--secure-port=${apiPort}`,
            `--tls-cert-file=${files.cert}`,
            `--tls-private-key-file=${files.key}`,
            `--client-ca-file=${files.ca}`,
            '--authorization-mode=Node,RBAC',
            '--enable-admission-plugins=NodeRestriction',
            `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
            `--service-account-key-file=${files.saPub}`,
            `--service-account-signing-key-file=${files.saKey}`,
            '--service-cluster-ip-range=10.0.0.0/24',
            '--allow-privileged=true',
            '--profiling=false',
            `--cert-dir=${pki}`,
            ...auditFlags,
            ...(options.apiServerFlags ?? []),
          ],
          log('kube-apiserver'),
        ),
      );
      await waitFor(
        'kube-apiserver /readyz',
        async () => {
          assertRunning(apiserver);
          return (await httpsStatus(`${server}/readyz`, ca.certificatePem)) === 200;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );

      const qpsFlags = options.controllerQps
        ? [`--kube-api-qps=${options.controllerQps}`, `--kube-api-burst=${options.controllerQps * 2}`]
        : [];
      if (options.controllers !== false) {
        started(
          new ManagedProcess(
            'kube-controller-manager',
            binary('kube-controller-manager'),
            [
              `--kubeconfig=${kubeconfigPath}`,
              '--leader-elect=false',
              '--bind-address=127.0.0.1',
              `--secure-port=${await freePort()}`,
              `--service-account-private-key-file=${files.saKey}`,
              `--root-ca-file=${files.ca}`,
              `--cluster-signing-cert-file=${files.ca}`,
              `--cluster-signing-key-file=${files.caKey}`,
              '--use-service-account-credentials=false',
              `--node-monitor-grace-period=${options.nodeMonitorGracePeriod ?? '40s'}`,
              '--node-monitor-period=2s',
              ...qpsFlags,
            ],
            log('kube-controller-manager'),
          ),
        );
        started(
          new ManagedProcess(
            'kube-scheduler',
            binary('kube-scheduler'),
            [
              `--kubeconfig=${kubeconfigPath}`,
              '--leader-elect=false',
              '--bind-address=127.0.0.1',
              `--secure-port=${await freePort()}`,
              ...qpsFlags,
            ],
            log('kube-scheduler'),
          ),
        );
      }
      if (options.kwok !== false) {
        for (const kwok of await startKwokControllers(
          kubeconfigPath,
          dir,
          async () => `127.0.0.1:${await freePort()}`,
        )) {
          started(kwok);
        }
      }
      const cluster = new TestCluster({
        name,
        dir,
        server,
        kubeconfigPath,
        ca,
        processes,
        auditLogPath,
        etcdEndpoint: `http://127.0.0.1:${etcdClient}`,
      });
      if (options.controllers !== false) {
        // Pods can be created once the service-account controller has made the default account.
        await waitFor(
          'the default ServiceAccount',
          async () => {
            for (const p of processes) assertRunning(p);
            const res = await cluster.request('GET', '/api/v1/namespaces/default/serviceaccounts/default');
            return res.status === 200;
          },
          { timeoutMs: 60_000 },
        );
      }
      return cluster;
    } catch (error) {
      await Promise.all(processes.map((p) => p.stop(5_000)));
      const logs = processes.map((p) => `--- ${p.name} ---\n${p.tail(15)}`).join('\n');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cluster ${name} did not start: ${(error as Error).message}\n${logs}`);
    }
  }

  /** A client configuration acting as cluster administrator (group system:masters). */
  adminKubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /**
   * A kubeconfig acting as the kubelet of `nodeName` (user system:node:<name>, group system:nodes),
   * the identity that the Node authorizer and the NodeRestriction admission plugin judge.
   */
  async nodeKubeConfig(nodeName: string): Promise<{ path: string; kubeConfig: KubeConfig }> {
    const user = `system:node:${nodeName}`;
    const cert = await issueCertificate(this.ca, {
      commonName: user,
      organizations: ['system:nodes'],
      usage: 'client',
      validForMs: DAY_MS,
      now: new Date(),
    });
    const path = join(this.dir, `node-${nodeName}.kubeconfig`);
    writeFileSync(path, kubeconfigYaml(this.name, this.server, this.ca.certificatePem, user, cert));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(path);
    return { path, kubeConfig };
  }

  /**
   * A kubeconfig acting as a ServiceAccount, with a token from the TokenRequest API (as a pod's projected
   * token), so that its requests are judged by RBAC exactly as the in-cluster workload's would be.
   */
  async serviceAccountKubeConfig(
    namespace: string,
    name: string,
    expirationSeconds = 3600,
  ): Promise<{ path: string; kubeConfig: KubeConfig; username: string }> {
    const res = await this.request(
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
    );
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`TokenRequest for ${namespace}/${name} failed: ${res.status} ${res.body}`);
    const token = (JSON.parse(res.body) as { status?: { token?: string } }).status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
    const username = `system:serviceaccount:${namespace}:${name}`;
    const path = join(this.dir, `sa-${namespace}-${name}.kubeconfig`);
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: this.name,
            cluster: {
              server: this.server,
              'certificate-authority-data': Buffer.from(this.ca.certificatePem).toString('base64'),
            },
          },
        ],
        users: [{ name: username, user: { token } }],
        contexts: [{ name: this.name, context: { cluster: this.name, user: username, namespace } }],
        'current-context': this.name,
      }),
      { mode: 0o600 },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(path);
    return { path, kubeConfig, username };
  }

  /** The audit log's events so far (empty without `auditPolicy`). */
  auditEvents(): AuditEvent[] {
    if (!this.auditLogPath || !existsSync(this.auditLogPath)) return [];
    return readFileSync(this.auditLogPath, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as AuditEvent);
  }

  /** PIDs of every process the cluster started, including their children. */
  pids(): number[] {
    return [...new Set(this.processes.flatMap((p) => [p.pid, ...processGroupMembers(p.pid)]))];
  }

  /** A raw request as admin, for checks that the typed clients do not cover. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    const kc = this.adminKubeConfig();
    const user = kc.getCurrentUser();
    return httpsRequest(`${this.server}${path}`, {
      method,
      ca: this.ca.certificatePem,
      cert: Buffer.from(user?.certData ?? '', 'base64').toString(),
      key: Buffer.from(user?.keyData ?? '', 'base64').toString(),
      body: body === undefined ? undefined : JSON.stringify(body),
      headers,
    });
  }

  /** Ends every process (KWOK and controllers first, etcd last) and removes the data directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of [...this.processes].reverse()) await p.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Every "failable" node (createKwokNode with failable: true) stops heartbeating, as when its kubelet
   * dies: the node lifecycle controller marks it NotReady after the grace period and taints it.
   */
  async failNodes(): Promise<void> {
    await this.processes.find((p) => p.name === FAILABLE_KWOK)?.stop();
  }

  /**
   * Stops one control-plane process (`etcd`, `kube-apiserver`, ...) and starts it again with the same
   * flags, ports and data directory, as a restart of a static pod or a systemd unit does. `signal`
   * SIGKILL kills it without letting it shut down; `downMs` keeps it down that long. Resolves once it
   * serves again (etcd /health, kube-apiserver /readyz) and returns how long it was down.
   */
  async restartProcess(
    process: string,
    { downMs = 0, signal = 'SIGTERM' }: { downMs?: number; signal?: 'SIGTERM' | 'SIGKILL' } = {},
  ): Promise<{ stoppedAt: number; startedAt: number; servingAt: number }> {
    const index = this.processes.findIndex((p) => p.name === process);
    const old = this.processes[index];
    if (!old) throw new Error(`no process ${process} in cluster ${this.name}`);
    const stoppedAt = Date.now();
    if (signal === 'SIGKILL') await old.kill();
    else await old.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    const fresh = old.respawn();
    this.processes[index] = fresh;
    const startedAt = Date.now();
    const healthy = async (): Promise<boolean> => {
      assertRunning(fresh);
      if (process === 'etcd') return (await fetch(`${this.etcdEndpoint}/health`)).ok;
      if (process === 'kube-apiserver')
        return (await httpsStatus(`${this.server}/readyz`, this.ca.certificatePem)) === 200;
      return true;
    };
    await waitFor(`${process} serving again`, healthy, { timeoutMs: 90_000, intervalMs: 200 });
    return { stoppedAt, startedAt, servingAt: Date.now() };
  }

  /**
   * Stops one control-plane process and leaves it stopped until `startProcess`: an outage of unknown
   * length (a member's API server lost), where `restartProcess` is a restart of known length.
   */
  async stopProcess(process: string): Promise<number> {
    const running = this.processes.find((p) => p.name === process);
    if (!running) throw new Error(`no process ${process} in cluster ${this.name}`);
    await running.stop();
    return Date.now();
  }

  /** Starts a process stopped by `stopProcess` with the same flags, ports and data; resolves once it serves. */
  async startProcess(process: string): Promise<number> {
    const index = this.processes.findIndex((p) => p.name === process);
    const old = this.processes[index];
    if (!old) throw new Error(`no process ${process} in cluster ${this.name}`);
    const fresh = old.respawn();
    this.processes[index] = fresh;
    await waitFor(
      `${process} serving again`,
      async () => {
        assertRunning(fresh);
        if (process === 'etcd') return (await fetch(`${this.etcdEndpoint}/health`)).ok;
        if (process === 'kube-apiserver')
          return (await httpsStatus(`${this.server}/readyz`, this.ca.certificatePem)) === 200;
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    return Date.now();
  }

  logs(process: string, lines = 40): string {
    return this.processes.find((p) => p.name === process)?.tail(lines) ?? '';
  }
}

export { KWOK_ANNOTATION, KWOK_FAILABLE, KWOK_MANAGED } from './kwok.ts';

/** Writes a file readable by its owner only (keys, kubeconfigs). */
export function write(dir: string, file: string, text: string): string {
  const path = join(dir, file);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

function assertRunning(p: ManagedProcess): void {
  if (!p.running) throw new StopWaiting(`${p.name} exited:\n${p.tail()}`);
}

/** A kubeconfig with inline CA, client certificate and key. */
export function kubeconfigYaml(
  cluster: string,
  server: string,
  caPem: string,
  user: string,
  cert: KeyPairPem,
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [
      {
        name: user,
        user: {
          'client-certificate-data': b64(cert.certificatePem),
          'client-key-data': b64(cert.privateKeyPem),
        },
      },
    ],
    contexts: [{ name: cluster, context: { cluster, user } }],
    'current-context': cluster,
  });
}

interface HttpsOptions {
  method?: string;
  ca: string;
  cert?: string;
  key?: string;
  body?: string;
  headers?: Record<string, string>;
}

function httpsRequest(url: string, options: HttpsOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers },
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

async function httpsStatus(url: string, ca: string): Promise<number> {
  return (await httpsRequest(url, { ca })).status;
}
