// A real Karmada control plane (v1.18.2, built from its Go module by `build-binaries.sh karmada`) as
// plain processes on 127.0.0.1, with harness control planes joined to it as Push-mode member clusters.
// What it takes, in order: etcd, a kube-apiserver as karmada-apiserver, kube-controller-manager
// (namespace and garbage collector), Karmada's CRDs, karmada-webhook and karmada-aggregated-apiserver
// (which serves cluster.karmada.io; there is no CRD for Cluster) registered on loopback, then
// karmada-controller-manager and karmada-scheduler; members join in Push mode with a token and CA bundle.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { kubeRequest } from '../../src/kube/request.ts';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueCertificate,
} from '../../src/tls/certificates.ts';
import { binary, karmadaBinary, karmadaShare } from './binaries.ts';
import { type AuditEvent, kubeconfigYaml, TestCluster, write } from './cluster.ts';
import { freePort, StopWaiting, waitFor } from './net.ts';
import { createKwokNode, waitForNodeReady } from './nodes.ts';
import { ManagedProcess, processGroupMembers } from './processes.ts';

export const KARMADA_VERSION = 'v1.18.2';
/** Where Push-mode members' credentials live in the Karmada API server (Karmada's own convention). */
export const KARMADA_CLUSTER_NAMESPACE = 'karmada-cluster';
export const KARMADA_SYSTEM_NAMESPACE = 'karmada-system';
/** The API group and version of Karmada's `Cluster` (served by karmada-aggregated-apiserver). */
export const CLUSTER_API = '/apis/cluster.karmada.io/v1alpha1/clusters';

const DAY_MS = 86_400_000;
const ADMIN = { user: 'karmada-admin', groups: ['system:masters'] };
/** The name kube-apiserver checks on the aggregated API server's certificate (`<service>.<namespace>.svc`). */
const AGGREGATED_SERVICE = 'karmada-aggregated-apiserver';
/** The member-side identity Karmada's controllers act as (bound to cluster-admin, as `karmadactl join` does). */
const MEMBER_SERVICE_ACCOUNT = 'karmada-controller-manager';

export interface KarmadaOptions {
  /** Used in temp-dir and member names (default `karmada`). */
  name?: string;
  /** Member clusters to start and join: a count (`member1`, `member2`, ...) or their names (default 2). */
  members?: number | string[];
  /** Labels of each member's `Cluster` object, by member name. */
  memberLabels?: Record<string, Record<string, string>>;
  /** KWOK nodes per member (default 1), so that Deployments placed there become Available. */
  nodesPerMember?: number;
  /** `--feature-gates` of karmada-controller-manager, karmada-scheduler and karmada-webhook. */
  featureGates?: string;
  /** Extra flags of karmada-controller-manager (for example `--enable-no-execute-taint-eviction`). */
  controllerManagerFlags?: string[];
  /** Extra flags of karmada-scheduler. */
  schedulerFlags?: string[];
  /**
   * An audit policy (audit.k8s.io/v1 Policy object) for karmada-apiserver: it then writes its audit log
   * (JSON lines) into the data directory; `auditEvents()` reads it.
   */
  auditPolicy?: Record<string, unknown>;
}

/** A harness control plane joined to Karmada in Push mode. */
export interface KarmadaMember {
  /** The name of its `Cluster` object in Karmada. */
  name: string;
  cluster: TestCluster;
}

/** How long each step of `start()` took (ms), for reports of the start cost. */
export interface KarmadaStartTimes {
  /** Members (control planes with KWOK nodes) started, concurrently with Karmada's own processes. */
  members: number;
  /** etcd, karmada-apiserver, kube-controller-manager, CRDs, webhook, aggregated API, controllers. */
  controlPlane: number;
  /** The members' `Cluster` objects Ready. */
  join: number;
  total: number;
}

interface Core {
  server: string;
  kubeconfigPath: string;
  ca: CertificateAuthority;
  etcdEndpoint: string;
}

/**
 * A Karmada control plane on 127.0.0.1: etcd, kube-apiserver as karmada-apiserver (with the front-proxy
 * flags the aggregated API needs), kube-controller-manager (namespace, garbagecollector,
 * serviceaccount-token), Karmada's CRDs (charts/karmada/_crds of its module), karmada-webhook and
 * karmada-aggregated-apiserver (registered by URL and as an APIService on loopback),
 * karmada-controller-manager and karmada-scheduler; and member control planes with KWOK nodes, each
 * joined as a Push-mode `Cluster`. `stop()` ends every process and removes the data directory.
 */
export class KarmadaControlPlane {
  readonly name: string;
  readonly dir: string;
  /** The Karmada API server (karmada-apiserver). */
  readonly server: string;
  /** Admin kubeconfig of the Karmada API server (group system:masters). */
  readonly kubeconfigPath: string;
  readonly members: KarmadaMember[];
  readonly etcdEndpoint: string;
  readonly startTimes: KarmadaStartTimes;
  private readonly ca: CertificateAuthority;
  private readonly processes: ManagedProcess[];
  private stopped = false;

  private constructor(init: {
    name: string;
    dir: string;
    core: Core;
    members: KarmadaMember[];
    processes: ManagedProcess[];
    startTimes: KarmadaStartTimes;
  }) {
    this.name = init.name;
    this.dir = init.dir;
    this.server = init.core.server;
    this.kubeconfigPath = init.core.kubeconfigPath;
    this.ca = init.core.ca;
    this.etcdEndpoint = init.core.etcdEndpoint;
    this.members = init.members;
    this.processes = init.processes;
    this.startTimes = init.startTimes;
  }

  static async start(options: KarmadaOptions = {}): Promise<KarmadaControlPlane> {
    const name = options.name ?? 'karmada';
    const memberNames =
      typeof options.members === 'number' || options.members === undefined
        ? Array.from({ length: options.members ?? 2 }, (_, i) => `member${i + 1}`)
        : options.members;
    // Fail before starting anything when the components are not built.
    const binaries = {
      aggregated: karmadaBinary('karmada-aggregated-apiserver'),
      controllerManager: karmadaBinary('karmada-controller-manager'),
      scheduler: karmadaBinary('karmada-scheduler'),
      webhook: karmadaBinary('karmada-webhook'),
    };
    const dir = mkdtempSync(join(tmpdir(), `sovereign-placement-${name}-`));
    const processes: ManagedProcess[] = [];
    const members: KarmadaMember[] = [];
    const t0 = Date.now();
    try {
      let membersAt = 0;
      let coreAt = 0;
      // Members and Karmada's own processes start side by side; all are stopped if any fails.
      const startedMembers = Promise.allSettled(
        memberNames.map((m) =>
          startMember(`${name}-${m}`, m, options.nodesPerMember ?? 1).then((member) => {
            members.push(member);
            return member;
          }),
        ),
      ).then((results) => {
        membersAt = Date.now();
        return results;
      });
      const startedCore = startCore(dir, binaries, options, processes).then(
        (core) => {
          coreAt = Date.now();
          return core;
        },
        (error: unknown) => error as Error,
      );
      const [memberResults, core] = await Promise.all([startedMembers, startedCore]);
      const failed = memberResults.filter((r) => r.status === 'rejected');
      if (core instanceof Error) throw core;
      if (failed.length > 0)
        throw new Error(failed.map((r) => `member: ${(r.reason as Error).message}`).join('\n'));

      const plane = new KarmadaControlPlane({
        name,
        dir,
        core,
        members: memberNames.map((m) => members.find((x) => x.name === m) as KarmadaMember),
        processes,
        startTimes: { members: 0, controlPlane: 0, join: 0, total: 0 },
      });
      const joinAt = Date.now();
      await Promise.all(plane.members.map((m) => plane.join(m, options.memberLabels?.[m.name] ?? {})));
      const done = Date.now();
      Object.assign(plane.startTimes, {
        members: membersAt - t0,
        controlPlane: coreAt - t0,
        join: done - joinAt,
        total: done - t0,
      });
      return plane;
    } catch (error) {
      for (const p of [...processes].reverse()) await p.stop(5_000);
      await Promise.all(members.map((m) => m.cluster.stop()));
      if (!process.env.SOVEREIGN_PLACEMENT_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `Karmada control plane ${name} did not start: ${(error as Error).message}` +
          (process.env.SOVEREIGN_PLACEMENT_KEEP_LOGS ? `\n(logs kept in ${dir})` : ''),
      );
    }
  }

  /** karmada-apiserver's audit log so far (empty without `auditPolicy`). */
  auditEvents(): AuditEvent[] {
    const path = join(this.dir, 'audit.log');
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as AuditEvent);
  }

  /** A client configuration acting as administrator of the Karmada API server. */
  adminKubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  member(name: string): KarmadaMember {
    const found = this.members.find((m) => m.name === name);
    if (!found) throw new Error(`no member ${name} (members: ${this.members.map((m) => m.name).join(', ')})`);
    return found;
  }

  /**
   * Joins a control plane in Push mode: a ServiceAccount on the member bound to cluster-admin, its token
   * and the member's CA in a Secret in `karmada-cluster`, and a `Cluster` (`syncMode: Push`,
   * `apiEndpoint`, `secretRef`); resolves once the Cluster is Ready.
   */
  async join(member: KarmadaMember, labels: Record<string, string> = {}): Promise<void> {
    const { cluster, name } = member;
    const memberKc = cluster.adminKubeConfig();
    await applyObject(memberKc, '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: KARMADA_CLUSTER_NAMESPACE },
    });
    await applyObject(memberKc, `/api/v1/namespaces/${KARMADA_CLUSTER_NAMESPACE}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: MEMBER_SERVICE_ACCOUNT, namespace: KARMADA_CLUSTER_NAMESPACE },
    });
    await applyObject(memberKc, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `karmada:${MEMBER_SERVICE_ACCOUNT}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [
        { kind: 'ServiceAccount', name: MEMBER_SERVICE_ACCOUNT, namespace: KARMADA_CLUSTER_NAMESPACE },
      ],
    });
    const { kubeConfig } = await cluster.serviceAccountKubeConfig(
      KARMADA_CLUSTER_NAMESPACE,
      MEMBER_SERVICE_ACCOUNT,
      7 * 86_400,
    );
    const token = kubeConfig.getCurrentUser()?.token;
    if (!token) throw new Error(`no token for the Karmada identity on ${cluster.name}`);
    const caData = memberKc.getCurrentCluster()?.caData;
    if (!caData) throw new Error(`no CA in the kubeconfig of ${cluster.name}`);
    const caPem = Buffer.from(caData, 'base64').toString('utf8');

    const kc = this.adminKubeConfig();
    await applyObject(kc, `/api/v1/namespaces/${KARMADA_CLUSTER_NAMESPACE}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: KARMADA_CLUSTER_NAMESPACE },
      // The token without a trailing newline, the CA as raw PEM.
      stringData: { token: token.trim(), caBundle: caPem },
    });
    await applyObject(kc, CLUSTER_API, {
      apiVersion: 'cluster.karmada.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels },
      spec: {
        syncMode: 'Push',
        apiEndpoint: cluster.server,
        secretRef: { namespace: KARMADA_CLUSTER_NAMESPACE, name },
      },
    });
    let last: unknown;
    try {
      await waitFor(
        `Cluster ${name} Ready`,
        async () => {
          this.assertRunning();
          last = await kubeRequest<KarmadaCluster>(kc, { path: `${CLUSTER_API}/${name}` });
          return readyStatus(last as KarmadaCluster) === 'True';
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    } catch (error) {
      throw new Error(
        `member ${name} (${cluster.server}) did not join: ${(error as Error).message}; its Cluster: ${JSON.stringify(
          (last as KarmadaCluster | undefined)?.status ?? null,
        )}\n${this.tailOf('karmada-controller-manager')}`,
      );
    }
  }

  /** The last lines of a Karmada process's log (`karmada-controller-manager`, `karmada-apiserver`, ...). */
  logs(process: string, lines = 40): string {
    return this.processes.find((p) => p.name === process)?.tail(lines) ?? '';
  }

  /** PIDs of every process of the Karmada control plane and of its members, including their children. */
  pids(): number[] {
    return [
      ...new Set([
        ...this.processes.flatMap((p) => [p.pid, ...processGroupMembers(p.pid)]),
        ...this.members.flatMap((m) => m.cluster.pids()),
      ]),
    ];
  }

  /** Ends Karmada's processes (controllers first, etcd last), then the members; removes the data directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      for (const p of [...this.processes].reverse()) await p.stop();
    } finally {
      await Promise.all(this.members.map((m) => m.cluster.stop()));
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private assertRunning(): void {
    for (const p of this.processes) if (!p.running) throw new StopWaiting(exitedMessage(p));
  }

  private tailOf(process: string): string {
    const p = this.processes.find((x) => x.name === process);
    return p ? `--- end of ${p.name}'s log (${p.logFile}) ---\n${p.tail(30)}` : '';
  }
}

/** The parts of a Karmada `Cluster` the harness reads. */
export interface KarmadaCluster {
  metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string };
  spec: {
    syncMode?: string;
    apiEndpoint?: string;
    taints?: { key: string; effect: string; value?: string }[];
  };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

const readyStatus = (c: KarmadaCluster) => c.status?.conditions?.find((x) => x.type === 'Ready')?.status;

async function startMember(clusterName: string, name: string, nodes: number): Promise<KarmadaMember> {
  const cluster = await TestCluster.start({ name: clusterName });
  try {
    const kc = cluster.adminKubeConfig();
    const nodeNames = Array.from({ length: nodes }, (_, i) => `${name}-node-${i + 1}`);
    for (const node of nodeNames) await createKwokNode(kc, { name: node });
    for (const node of nodeNames) await waitForNodeReady(kc, node);
    return { name, cluster };
  } catch (error) {
    await cluster.stop();
    throw new Error(`member ${name}: ${(error as Error).message}`);
  }
}

/** Starts Karmada's own processes in order; every started process is pushed onto `processes`. */
async function startCore(
  dir: string,
  binaries: { aggregated: string; controllerManager: string; scheduler: string; webhook: string },
  options: KarmadaOptions,
  processes: ManagedProcess[],
): Promise<Core> {
  const pki = join(dir, 'pki');
  mkdirSync(pki);
  const now = new Date();
  const valid = 7 * DAY_MS;
  const ca = await createCertificateAuthority('sovereign-placement-karmada-ca', valid, now);
  const frontProxyCa = await createCertificateAuthority(
    'sovereign-placement-karmada-front-proxy-ca',
    valid,
    now,
  );
  const serving = (commonName: string, dnsNames: string[]) =>
    issueCertificate(ca, {
      commonName,
      dnsNames,
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validForMs: valid,
      now,
    });
  const apiserverCert = await serving('karmada-apiserver', [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
  ]);
  const webhookCert = await serving('karmada-webhook', ['localhost']);
  const aggregatedCert = await serving(AGGREGATED_SERVICE, [
    'localhost',
    `${AGGREGATED_SERVICE}.${KARMADA_SYSTEM_NAMESPACE}.svc`,
  ]);
  const admin = await issueCertificate(ca, {
    commonName: ADMIN.user,
    organizations: ADMIN.groups,
    usage: 'client',
    validForMs: valid,
    now,
  });
  const frontProxyClient = await issueCertificate(frontProxyCa, {
    commonName: 'front-proxy-client',
    usage: 'client',
    validForMs: valid,
    now,
  });
  const sa = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
  });
  const webhookCertDir = join(pki, 'webhook');
  mkdirSync(webhookCertDir);
  const files = {
    ca: write(pki, 'ca.crt', ca.certificatePem),
    caKey: write(pki, 'ca.key', ca.privateKeyPem),
    cert: write(pki, 'apiserver.crt', apiserverCert.certificatePem),
    key: write(pki, 'apiserver.key', apiserverCert.privateKeyPem),
    frontProxyCa: write(pki, 'front-proxy-ca.crt', frontProxyCa.certificatePem),
    frontProxyCert: write(pki, 'front-proxy-client.crt', frontProxyClient.certificatePem),
    frontProxyKey: write(pki, 'front-proxy-client.key', frontProxyClient.privateKeyPem),
    aggregatedCert: write(pki, 'aggregated-apiserver.crt', aggregatedCert.certificatePem),
    aggregatedKey: write(pki, 'aggregated-apiserver.key', aggregatedCert.privateKeyPem),
    saPub: write(pki, 'sa.pub', sa.publicKey),
    saKey: write(pki, 'sa.key', sa.privateKey),
  };
  write(webhookCertDir, 'tls.crt', webhookCert.certificatePem);
  write(webhookCertDir, 'tls.key', webhookCert.privateKeyPem);

  const port = async () => freePort();
  const [etcdClient, etcdPeer, apiPort, webhookPort, aggregatedPort] = [
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
  ];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = join(dir, 'karmada-apiserver.kubeconfig');
  writeFileSync(
    kubeconfigPath,
    kubeconfigYaml('karmada-apiserver', server, ca.certificatePem, ADMIN.user, admin),
    {
      mode: 0o600,
    },
  );
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const log = (n: string) => join(dir, `${n}.log`);
  const start = (name: string, command: string, args: string[]) => {
    const p = new ManagedProcess(name, command, args, log(name));
    processes.push(p);
    return p;
  };
  /** Waits for `p` to serve; a failure names the process and ends with its log (or the log of any other that exited). */
  const waitServing = async (
    p: ManagedProcess,
    what: string,
    check: () => Promise<boolean>,
    timeoutMs = 90_000,
  ) => {
    try {
      await waitFor(
        `${p.name} ${what}`,
        async () => {
          for (const other of processes) if (!other.running) throw new StopWaiting(exitedMessage(other));
          return check();
        },
        { timeoutMs, intervalMs: 250 },
      );
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      throw new Error(
        `${(error as Error).message}\n--- end of ${p.name}'s log (${p.logFile}) ---\n${p.tail(30)}`,
      );
    }
  };
  /** A step that is not one process's (kubectl, API calls): on failure, the logs of the processes involved. */
  const step = async <T>(what: string, involved: ManagedProcess[], body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } catch (error) {
      const tails = involved.map((p) => `--- end of ${p.name}'s log (${p.logFile}) ---\n${p.tail(20)}`);
      throw new Error([`${what} failed: ${(error as Error).message}`, ...tails].join('\n'));
    }
  };

  const etcd = start('etcd', binary('etcd'), [
    '--name=default',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  const etcdEndpoint = `http://127.0.0.1:${etcdClient}`;
  await waitServing(etcd, 'healthy', async () => (await fetch(`${etcdEndpoint}/health`)).ok, 30_000);

  const apiserver = start('karmada-apiserver', binary('kube-apiserver'), [
    `--etcd-servers=${etcdEndpoint}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The default reconciler refuses a loopback address for the kubernetes Service endpoints.
    '--endpoint-reconciler-type=none',
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${files.cert}`,
    `--tls-private-key-file=${files.key}`,
    `--client-ca-file=${files.ca}`,
    '--authorization-mode=Node,RBAC',
    // As Karmada's own deployment: no pods run here, so no ServiceAccount admission.
    '--disable-admission-plugins=StorageObjectInUseProtection,ServiceAccount',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${files.saPub}`,
    `--service-account-signing-key-file=${files.saKey}`,
    '--service-cluster-ip-range=10.96.0.0/24',
    '--allow-privileged=true',
    '--profiling=false',
    `--cert-dir=${pki}`,
    // The aggregated API (cluster.karmada.io): kube-apiserver proxies with this client certificate and
    // the X-Remote-* headers, which karmada-aggregated-apiserver trusts through the front-proxy CA.
    `--proxy-client-cert-file=${files.frontProxyCert}`,
    `--proxy-client-key-file=${files.frontProxyKey}`,
    `--requestheader-client-ca-file=${files.frontProxyCa}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    ...(options.auditPolicy
      ? [
          `--audit-policy-file=${write(dir, 'audit-policy.yaml', stringify(options.auditPolicy))}`,
          `--audit-log-path=${join(dir, 'audit.log')}`,
          '--audit-log-format=json',
          '--audit-log-mode=blocking',
        ]
      : []),
  ]);
  await waitServing(
    apiserver,
    '/readyz',
    async () => (await httpsStatus(`${server}/readyz`, ca.certificatePem)) === 200,
  );

  // Garbage collection removes bindings and the copies on members when a template is deleted.
  start('kube-controller-manager', binary('kube-controller-manager'), [
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    '--controllers=namespace,garbagecollector,serviceaccount-token',
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${await freePort()}`,
    `--service-account-private-key-file=${files.saKey}`,
    `--root-ca-file=${files.ca}`,
    '--use-service-account-credentials=false',
  ]);

  for (const ns of [KARMADA_SYSTEM_NAMESPACE, KARMADA_CLUSTER_NAMESPACE]) {
    await step(`creating namespace ${ns}`, [apiserver], () =>
      applyObject(kc, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
    );
  }

  // Karmada's CRDs, with the conversion webhook of (Cluster)ResourceBindings at karmada-webhook on loopback.
  const webhookUrl = `https://127.0.0.1:${webhookPort}`;
  const caBundle = Buffer.from(ca.certificatePem).toString('base64');
  const crdDir = join(dir, 'crds');
  cpSync(karmadaShare('crds'), crdDir, { recursive: true });
  for (const patch of ['webhook_in_resourcebindings.yaml', 'webhook_in_clusterresourcebindings.yaml']) {
    const path = join(crdDir, 'patches', patch);
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replaceAll('https://{{name}}.{{namespace}}.svc:443', webhookUrl)
        .replaceAll('{{caBundle}}', caBundle),
    );
  }
  await step('applying Karmada CRDs (charts/karmada/_crds)', [apiserver], async () => {
    await kubectl(kubeconfigPath, ['apply', '--server-side', '--force-conflicts', '-k', crdDir]);
    await kubectl(kubeconfigPath, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  });

  const webhook = start('karmada-webhook', binaries.webhook, [
    `--kubeconfig=${kubeconfigPath}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${webhookPort}`,
    `--cert-dir=${webhookCertDir}`,
    `--metrics-bind-address=127.0.0.1:${await freePort()}`,
    `--health-probe-bind-address=127.0.0.1:${await freePort()}`,
    ...(options.featureGates ? [`--feature-gates=${options.featureGates}`] : []),
  ]);
  const aggregated = start('karmada-aggregated-apiserver', binaries.aggregated, [
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    // Cluster objects are stored in Karmada's etcd (there is no CRD for them).
    `--etcd-servers=${etcdEndpoint}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${aggregatedPort}`,
    `--tls-cert-file=${files.aggregatedCert}`,
    `--tls-private-key-file=${files.aggregatedKey}`,
  ]);
  await Promise.all([
    waitServing(
      webhook,
      'https://127.0.0.1/readyz/',
      async () => (await httpsStatus(`${webhookUrl}/readyz/`, ca.certificatePem)) === 200,
    ),
    waitServing(
      aggregated,
      '/readyz',
      async () =>
        (await httpsStatus(`https://127.0.0.1:${aggregatedPort}/readyz`, ca.certificatePem)) === 200,
    ),
  ]);

  // karmada-webhook's configurations (artifacts/deploy), by URL on loopback: its mutating webhooks label
  // PropagationPolicies, ResourceBindings and Works, and the detector relies on those labels.
  const webhookConfig = write(
    dir,
    'webhook-configuration.yaml',
    readFileSync(karmadaShare('webhook-configuration.yaml'), 'utf8')
      .replaceAll(`https://karmada-webhook.${KARMADA_SYSTEM_NAMESPACE}.svc:443`, webhookUrl)
      .replaceAll('{{caBundle}}', caBundle),
  );
  // The aggregated API: an ExternalName Service to localhost and the APIService with its port; kube-apiserver
  // checks the certificate against `<service>.<namespace>.svc`.
  const apiService = write(
    dir,
    'aggregated-apiservice.yaml',
    [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: AGGREGATED_SERVICE, namespace: KARMADA_SYSTEM_NAMESPACE },
        spec: { type: 'ExternalName', externalName: 'localhost' },
      },
      {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1alpha1.cluster.karmada.io' },
        spec: {
          caBundle,
          group: 'cluster.karmada.io',
          groupPriorityMinimum: 2000,
          version: 'v1alpha1',
          versionPriority: 10,
          service: { name: AGGREGATED_SERVICE, namespace: KARMADA_SYSTEM_NAMESPACE, port: aggregatedPort },
        },
      },
    ]
      .map((o) => stringify(o))
      .join('---\n'),
  );
  await step(
    'registering karmada-webhook and the cluster.karmada.io APIService',
    [apiserver, webhook],
    async () => {
      await kubectl(kubeconfigPath, ['apply', '--server-side', '--force-conflicts', '-f', webhookConfig]);
      await kubectl(kubeconfigPath, ['apply', '--server-side', '--force-conflicts', '-f', apiService]);
    },
  );
  await waitServing(aggregated, 'serving cluster.karmada.io through karmada-apiserver', async () => {
    await kubeRequest(kc, { path: CLUSTER_API, timeoutMs: 5_000 });
    return true;
  });

  const featureGates = options.featureGates ? [`--feature-gates=${options.featureGates}`] : [];
  const cmProbe = await freePort();
  const controllerManager = start('karmada-controller-manager', binaries.controllerManager, [
    `--kubeconfig=${kubeconfigPath}`,
    '--leader-elect=false',
    `--metrics-bind-address=127.0.0.1:${await freePort()}`,
    `--health-probe-bind-address=127.0.0.1:${cmProbe}`,
    ...featureGates,
    ...(options.controllerManagerFlags ?? []),
  ]);
  const schedulerProbe = await freePort();
  const scheduler = start('karmada-scheduler', binaries.scheduler, [
    `--kubeconfig=${kubeconfigPath}`,
    '--leader-elect=false',
    `--metrics-bind-address=127.0.0.1:${await freePort()}`,
    `--health-probe-bind-address=127.0.0.1:${schedulerProbe}`,
    ...featureGates,
    ...(options.schedulerFlags ?? []),
  ]);
  const healthz = (probePort: number) => async () =>
    (await fetch(`http://127.0.0.1:${probePort}/healthz`).catch(() => undefined))?.ok === true;
  await Promise.all([
    waitServing(controllerManager, '/healthz', healthz(cmProbe)),
    waitServing(scheduler, '/healthz', healthz(schedulerProbe)),
  ]);
  return { server, kubeconfigPath, ca, etcdEndpoint };
}

function exitedMessage(p: ManagedProcess): string {
  return `${p.name} exited; the end of its log (${p.logFile}):\n${p.tail(30)}`;
}

/** Creates the object, or leaves it as it is when it exists (409). */
async function applyObject(kc: KubeConfig, collectionPath: string, object: unknown): Promise<void> {
  try {
    await kubeRequest(kc, { method: 'POST', path: collectionPath, body: object });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 409) throw error;
  }
}

function kubectl(kubeconfigPath: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary('kubectl'),
      [...args, `--kubeconfig=${kubeconfigPath}`],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** The HTTP status of a GET (0 when nothing answers). */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}
