import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/group.ts';
import type { AnyPolicy } from '../api/index.ts';
import {
  admitBindingReview,
  type BindingLookups,
  bindingsSelectedBy,
} from '../cluster/admission/admit-binding.ts';
import type { ClaimContext } from '../cluster/admission/admit-claim.ts';
import type { NamespacePolicies } from '../cluster/admission/admit-pod.ts';
import { pinnedRecords } from '../cluster/audit-records.ts';
import { atInstant, type ClusterState, deriveFacts, type Facts } from '../cluster/facts.ts';
import type { KarmadaClusterObject } from '../cluster/karmada-clusters.ts';
import { type KarmadaPolicyView, karmadaPolicyView } from '../cluster/karmada-placement.ts';
import { NOT_PROBED as NOT_PROBED_HEALTH } from '../cluster/member-clusters.ts';
import type {
  NamespaceObject,
  NodeObject,
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodDisruptionBudgetObject,
  PodObject,
  StorageClassObject,
} from '../cluster/objects.ts';
import { isClusterPolicy } from '../domain/selection.ts';
import { httpStatusOf, kubeRequest, type ResourceRef } from '../kube/request.ts';
import type { AuditLog } from './audit.ts';
import {
  type ChangeMatters,
  claimView,
  everyChangeMatters,
  namespaceChangeMatters,
  namespaceView,
  nodeChangeMatters,
  nodeView,
  podChangeMatters,
  podView,
  resourceBindingView,
  specChangeMatters,
  storageClassView,
  volumeView,
} from './cache-views.ts';
import {
  ClusterReportController,
  clusterReportWakes,
  MEMBERS_REPORT_KEY,
  NODES_REPORT_KEY,
} from './controllers/cluster-reports.ts';
import type { CacheName, ControllerContext } from './controllers/context.ts';
import { FACTS_KEY, factsStatusWakes, reconcileFactsStatus } from './controllers/facts-status.ts';
import { FulcrumController, fulcrumControllerWakes } from './controllers/fulcrum-controller.ts';
import { KARMADA_BINDING_WAKES, KarmadaBindingController } from './controllers/karmada-binding-controller.ts';
import {
  conformingClusters,
  KARMADA_CLUSTER_WAKES,
  KarmadaClusterController,
  karmadaResources,
  templateLookup,
} from './controllers/karmada-cluster-controller.ts';
import { MemberController, memberControllerWakes } from './controllers/member-controller.ts';
import { nodeControllerWakes, reconcileNode, updateNodeGauges } from './controllers/node-controller.ts';
import { PolicyController, policyControllerWakes } from './controllers/policy-controller.ts';
import { WorkloadController, workloadControllerWakes } from './controllers/workload-controller.ts';
import { EventRecorder } from './events.ts';
import { startProbeServer } from './http.ts';
import { hubResources, probeTargets, secretView } from './hub/hub.ts';
import { MemberProber, memberCredentials, type SecretObject } from './hub/prober.ts';
import { KubeWriter } from './kube.ts';
import type { Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { type ReconcileResult, runWorkers } from './runtime/controller.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { Reflector } from './runtime/reflector.ts';
import type { ObjectWithMeta } from './runtime/resource-client.ts';
import { WorkQueue } from './runtime/work-queue.ts';
import {
  type CertificateValidity,
  ManagedWebhookCertificate,
  readMountedCertificate,
} from './webhook/certificate.ts';
import { karmadaWebhookConfiguration } from './webhook/configuration.ts';
import { applyWebhookConfiguration } from './webhook/registration.ts';
import { startWebhookServer } from './webhook/server.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Namespace of the leader Lease and the webhook certificate Secret. */
  namespace: string;
  identity: string;
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  probes: { host: string; port: number };
  webhook?: {
    host: string;
    port: number;
    /** Serve the certificate mounted here (cert-manager) instead of managing one; the caBundle is then not touched. */
    certificateDir?: string;
    secretName: string;
    configurationName: string;
    dnsNames: string[];
    ipAddresses: string[];
    /**
     * Karmada mode (`--webhook-url`): the https base URL the API server calls the webhook at; the
     * operator then registers its configuration there itself (`karmadaWebhookConfiguration`).
     */
    url?: string;
    timeoutSeconds?: number;
    /** The self-managed certificate's lifetimes and how often every replica checks it (tests shorten them). */
    certificateRenewal?: { validity?: CertificateValidity; checkPeriodMs?: number; caPropagationMs?: number };
  };
  /** Hub mode: member clusters, their probes and verdict labels; member Secrets read in one namespace. */
  hub?: { secretsNamespace: string };
  /**
   * Karmada mode (`--karmada`): the kubeconfig is the Karmada API server's; verdict labels on Karmada
   * Clusters from their MemberCluster records, and ResourceBindings pinned at admission.
   */
  karmada?: boolean;
  /**
   * Publish each policy's results as wgpolicyk8s.io PolicyReports, and the verdicts of nodes (and in hub
   * mode of member clusters) as ClusterPolicyReports (`--policy-reports`).
   */
  policyReports?: boolean;
  /** Keep verdict tags on the agents of every FulcrumFederation (`--fulcrum`). */
  fulcrum?: boolean;
  /** The decision log (`--audit-log`); none when absent. */
  auditLog?: AuditLog;
  now?: () => number;
}

const resources = {
  nodes: { version: 'v1', plural: 'nodes' },
  pods: { version: 'v1', plural: 'pods' },
  namespaces: { version: 'v1', plural: 'namespaces' },
  budgets: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets' },
  policies: { group: GROUP, version: VERSION, plural: 'sovereigntypolicies' },
  clusterPolicies: { group: GROUP, version: VERSION, plural: 'clustersovereigntypolicies' },
  services: { group: GROUP, version: VERSION, plural: 'cloudservices' },
  areas: { group: GROUP, version: VERSION, plural: 'sovereigntyareas' },
  // Data residency: the claims pods mount, the volumes they are bound to, and the classes of both.
  claims: { version: 'v1', plural: 'persistentvolumeclaims' },
  volumes: { version: 'v1', plural: 'persistentvolumes' },
  storageClasses: { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses' },
} satisfies Record<string, ResourceRef>;

/** The caches whose objects the facts are derived from: a change of any of them invalidates the facts. */
const FACT_SOURCES: ReadonlySet<CacheName> = new Set([
  'nodes',
  'policies',
  'clusterPolicies',
  'services',
  'areas',
  'memberClusters',
  'workloads',
]);

/** Which Modified events of a cache wake controllers and invalidate the facts (src/operator/cache-views.ts). */
function changeMatters(name: CacheName, resource: ResourceRef): ChangeMatters {
  if (name === 'nodes') return nodeChangeMatters;
  if (name === 'pods') return podChangeMatters;
  if (name === 'namespaces') return namespaceChangeMatters;
  // The project's own kinds: policies, CloudServices, areas. Their status is the operator's output.
  if (resource.group === GROUP) return specChangeMatters;
  return everyChangeMatters;
}

const cacheTransforms: Partial<Record<string, (object: ObjectWithMeta) => ObjectWithMeta>> = {
  resourceBindings: resourceBindingView,
  pods: podView,
  nodes: nodeView,
  namespaces: namespaceView,
  secrets: secretView,
  claims: claimView,
  volumes: volumeView,
  storageClasses: storageClassView,
};

type Caches = { [K in keyof typeof resources]: Reflector<ObjectWithMeta> } & {
  [K in keyof ReturnType<typeof hubResources>]?: Reflector<ObjectWithMeta>;
} & { [K in keyof ReturnType<typeof karmadaResources>]?: Reflector<ObjectWithMeta> } & {
  fulcrumFederations?: Reflector<ObjectWithMeta>;
};

const fulcrumResources = () =>
  ({
    fulcrumFederations: { group: GROUP, version: VERSION, plural: 'fulcrumfederations' },
  }) satisfies Record<string, ResourceRef>;

/**
 * The imperative shell: caches (reflectors) in, work queues, two controllers that call the domain, the
 * admission webhook, probes and metrics, leader election. Every replica caches and admits; only the
 * leader reconciles and writes.
 */
export class Operator {
  readonly metrics: Metrics;
  private readonly options: OperatorOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly caches: Caches;
  private readonly nodeQueue = new WorkQueue<string>();
  private readonly policyQueue = new WorkQueue<string>();
  private readonly factsQueue = new WorkQueue<string>();
  private readonly memberQueue = new WorkQueue<string>();
  private readonly workloadQueue = new WorkQueue<string>();
  /** Karmada mode: the Karmada Clusters whose verdict labels to write. */
  private readonly karmadaQueue = new WorkQueue<string>();
  /** Karmada mode: the ResourceBindings to pin again when the conforming clusters change. */
  private readonly bindingQueue = new WorkQueue<string>();
  /** The ClusterPolicyReports (with --policy-reports): one key per report. */
  private readonly clusterReportQueue = new WorkQueue<string>();
  /** --fulcrum: the FulcrumFederations whose agents' tags to keep. */
  private readonly fulcrumQueue = new WorkQueue<string>();
  /** Every cached resource: the base ones, and in hub mode the hub's. */
  private readonly resourceRefs: Record<string, ResourceRef>;
  private readonly prober: MemberProber | undefined;
  private readonly elector: LeaderElector | undefined;
  /** Events are written in the background; stop() waits for the last ones. */
  private readonly events: EventRecorder;
  private leading = false;
  private facts: Facts | undefined;
  private servers: { close: (cb: () => void) => void }[] = [];
  private workers: Promise<unknown>[] = [];
  private webhookServing = false;
  private stopped = false;

  constructor(options: OperatorOptions) {
    this.options = options;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.metrics = createMetrics();
    const kc = options.kubeConfig;
    this.events = new EventRecorder(kc, options.log);
    this.resourceRefs = {
      ...resources,
      ...(options.hub ? hubResources(options.hub.secretsNamespace) : {}),
      ...(options.karmada ? karmadaResources() : {}),
      ...(options.fulcrum ? fulcrumResources() : {}),
    };
    this.caches = Object.fromEntries(
      Object.entries(this.resourceRefs).map(([name, resource]) => [
        name,
        new Reflector<ObjectWithMeta>({
          kubeConfig: kc,
          resource,
          name,
          relistPeriodMs: 30 * 60_000,
          // Pods, Nodes and Namespaces are kept with only the fields the operator reads.
          transform: cacheTransforms[name],
          // A bug in a handler must not stop the cache; it is logged and the next event tries again.
          onListenerError: (error, event) =>
            options.log.error({ err: error, resource: name, event: event.type }, 'cache handler failed'),
        }),
      ]),
    ) as Caches;
    if (options.hub) {
      const secrets = this.caches.secrets;
      this.prober = new MemberProber({
        secretsNamespace: options.hub.secretsNamespace,
        secret: (namespace, name) => secrets?.get(`${namespace}/${name}`) as SecretObject | undefined,
        onChange: (name) => {
          this.memberQueue.add(name);
          if (options.policyReports) this.clusterReportQueue.add(MEMBERS_REPORT_KEY);
          // A member's reachability decides where workloads run and whether their copies can be touched.
          for (const key of this.caches.workloads?.keys() ?? []) this.workloadQueue.add(key);
        },
        log: options.log.child({ component: 'prober' }),
      });
    }
    if (options.leaderElection.enabled) {
      this.elector = new LeaderElector({
        kubeConfig: kc,
        namespace: options.namespace,
        name: options.leaderElection.leaseName,
        identity: options.identity,
        leaseDurationMs: options.leaderElection.leaseDurationMs,
        renewDeadlineMs: options.leaderElection.renewDeadlineMs,
        retryPeriodMs: options.leaderElection.retryPeriodMs,
        onStartedLeading: () => this.onLeading(true),
        onStoppedLeading: () => this.onLeading(false),
      });
    }
  }

  /** Starts caches, probes and the webhook; resolves once the caches are synced. */
  async start(): Promise<void> {
    const { log } = this;
    this.wireCaches();
    for (const cache of Object.values(this.caches)) cache.start();
    this.servers.push(
      await startProbeServer(
        this.options.probes.port,
        this.options.probes.host,
        {
          live: () => !this.stopped,
          ready: () => this.readiness(),
        },
        this.metrics.registry,
      ),
    );
    await Promise.all(Object.values(this.caches).map((c) => c.synced));
    log.info(
      { objects: Object.fromEntries(Object.entries(this.caches).map(([k, c]) => [k, c.size])) },
      'caches synced',
    );
    if (this.options.webhook) await this.startWebhook(this.options.webhook);

    const ctx = this.context();
    const policies = new PolicyController(ctx, {
      policyReports: this.options.policyReports === true,
      ...(this.options.karmada ? { karmada: (policy: AnyPolicy) => this.karmadaView(policy) } : {}),
    });
    const onError = (controller: string) => (error: unknown, key: string, retries: number) =>
      log.error({ err: error, controller, key, retries }, 'reconcile failed; retrying with backoff');
    const onReconciled = (controller: string) => (_key: string, ms: number, error?: unknown) => {
      this.metrics.reconcileDuration.observe({ controller, outcome: error ? 'error' : 'ok' }, ms / 1000);
      const queues = {
        nodes: this.nodeQueue,
        policies: this.policyQueue,
        facts: this.factsQueue,
        members: this.memberQueue,
        workloads: this.workloadQueue,
        clusterReports: this.clusterReportQueue,
        fulcrum: this.fulcrumQueue,
      };
      this.metrics.queueDepth.set({ controller }, queues[controller as keyof typeof queues]?.length ?? 0);
      if (controller === 'nodes' && this.nodeQueue.length === 0) updateNodeGauges(ctx);
    };
    this.workers.push(
      runWorkers(
        this.nodeQueue,
        this.asLeader((key) => reconcileNode(ctx, key)),
        {
          // Node reconciles are mostly a patch each: several at once, so that after a badge change the
          // not-conforming-since stamps (which start grace periods) land on hundreds of nodes in seconds.
          concurrency: 16,
          onError: onError('nodes'),
          onReconciled: onReconciled('nodes'),
        },
      ),
      runWorkers(
        this.factsQueue,
        this.asLeader(() => reconcileFactsStatus(ctx, (plural, name) => this.rawStatus(plural, name))),
        {
          onError: onError('facts'),
          onReconciled: onReconciled('facts'),
        },
      ),
      runWorkers(
        this.policyQueue,
        this.asLeader((key) => policies.reconcile(key)),
        {
          concurrency: 1,
          onError: onError('policies'),
          onReconciled: onReconciled('policies'),
        },
      ),
    );
    if (this.options.policyReports) {
      const memberClusters = this.caches.memberClusters;
      const reports = new ClusterReportController(
        ctx,
        this.options.hub
          ? {
              member: (name) => memberClusters?.get(name) as never,
              health: (name) => this.prober?.health(name) ?? { ...NOT_PROBED_HEALTH },
            }
          : undefined,
      );
      this.workers.push(
        runWorkers(
          this.clusterReportQueue,
          this.asLeader((key) => reports.reconcile(key)),
          {
            concurrency: 1,
            onError: onError('clusterReports'),
            onReconciled: onReconciled('clusterReports'),
          },
        ),
      );
    }
    if (this.options.hub) {
      const memberClusters = this.caches.memberClusters;
      const members = new MemberController(ctx, {
        member: (name) => memberClusters?.get(name) as never,
        health: (name) => this.prober?.health(name) ?? { ...NOT_PROBED_HEALTH },
      });
      const hub = this.options.hub;
      const workloads = new WorkloadController(ctx, {
        workload: (key) => this.caches.workloads?.get(key) as never,
        member: (name) => memberClusters?.get(name) as never,
        health: (name) => this.prober?.health(name) ?? { ...NOT_PROBED_HEALTH },
        credentials: (name) => {
          const member = this.currentFacts().memberClusters.find((m) => m.metadata.name === name);
          if (!member) throw new Error(`MemberCluster ${name} does not exist or is invalid`);
          const ref = member.spec.kubeconfigSecretRef;
          const secret = this.caches.secrets?.get(`${ref.namespace}/${ref.name}`);
          const kubeConfig = memberCredentials(
            hub.secretsNamespace,
            (namespace, secretName) =>
              this.caches.secrets?.get(`${namespace}/${secretName}`) as SecretObject | undefined,
            ref,
          );
          return {
            kubeConfig,
            version: `${ref.namespace}/${ref.name}/${ref.key}@${secret?.metadata?.resourceVersion ?? ''}`,
          };
        },
      });
      this.prober?.sync(probeTargets(this.currentFacts()));
      this.workers.push(
        runWorkers(
          this.memberQueue,
          this.asLeader((key) => members.reconcile(key)),
          { concurrency: 2, onError: onError('members'), onReconciled: onReconciled('members') },
        ),
        runWorkers(
          this.workloadQueue,
          this.asLeader((key) => workloads.reconcile(key)),
          // Several workloads at once: a round waits on members' API servers, one slow member must not hold the rest.
          { concurrency: 4, onError: onError('workloads'), onReconciled: onReconciled('workloads') },
        ),
      );
    }
    if (this.options.karmada) {
      const clusters = this.caches.karmadaClusters;
      const controller = new KarmadaClusterController(
        ctx,
        this.options.kubeConfig,
        (name) => clusters?.get(name) as KarmadaClusterObject | undefined,
      );
      // Registered after wireCaches, so the facts are already invalidated when these run.
      for (const name of KARMADA_CLUSTER_WAKES) {
        this.caches[name as keyof Caches]?.onEvent((event) => {
          if (event.type !== 'Added' && event.type !== 'Modified' && event.type !== 'Deleted') return;
          const keys = name === 'karmadaClusters' ? [event.key] : (clusters?.keys() ?? []);
          for (const key of keys) this.karmadaQueue.add(key);
        });
      }
      const bindingCache = this.caches.resourceBindings;
      const bindings = new KarmadaBindingController(ctx, this.options.kubeConfig, {
        binding: (key) => bindingCache?.get(key),
        clusters: () => (clusters?.list() ?? []) as unknown as KarmadaClusterObject[],
        lookups: this.bindingLookups(),
      });
      for (const name of KARMADA_BINDING_WAKES) {
        this.caches[name as keyof Caches]?.onEvent((event) => {
          if (event.type !== 'Added' && event.type !== 'Modified' && event.type !== 'Deleted') return;
          for (const key of bindingCache?.keys() ?? []) this.bindingQueue.add(key);
        });
      }
      bindingCache?.onEvent((event) => {
        if (event.type !== 'Added' && event.type !== 'Modified' && event.type !== 'Deleted') return;
        this.bindingQueue.add(event.key);
      });
      // A policy's status says where its templates run and which clusters conform.
      for (const name of ['karmadaClusters', 'resourceBindings'] as const) {
        this.caches[name]?.onEvent((event) => {
          if (event.type !== 'Added' && event.type !== 'Modified' && event.type !== 'Deleted') return;
          for (const key of this.caches.policies.keys()) this.policyQueue.add(key);
          for (const key of this.caches.clusterPolicies.keys()) this.policyQueue.add(key);
        });
      }
      this.workers.push(
        runWorkers(
          this.karmadaQueue,
          this.asLeader((key) => controller.reconcile(key)),
          {
            concurrency: 2,
            onError: onError('karmadaClusters'),
            onReconciled: onReconciled('karmadaClusters'),
          },
        ),
        runWorkers(
          this.bindingQueue,
          this.asLeader((key) => bindings.reconcile(key)),
          {
            concurrency: 2,
            onError: onError('karmadaBindings'),
            onReconciled: onReconciled('karmadaBindings'),
          },
        ),
      );
    }
    if (this.options.fulcrum) {
      const federations = this.caches.fulcrumFederations;
      const kc = this.options.kubeConfig;
      const fulcrum = new FulcrumController(ctx, {
        federation: (name) => federations?.get(name) as never,
        // Read at each sync rather than cached: the operator reads only the Secrets FulcrumFederations name.
        token: async (namespace, name, key) => {
          try {
            const secret = await kubeRequest<{ data?: Record<string, string> }>(kc, {
              path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
            });
            const value = secret.data?.[key];
            return value === undefined ? null : Buffer.from(value, 'base64').toString('utf8').trim();
          } catch (error) {
            if (httpStatusOf(error) === 404 || httpStatusOf(error) === 403) return null;
            throw error;
          }
        },
      });
      this.workers.push(
        runWorkers(
          this.fulcrumQueue,
          this.asLeader((key) => fulcrum.reconcile(key)),
          { concurrency: 1, onError: onError('fulcrum'), onReconciled: onReconciled('fulcrum') },
        ),
      );
    }
    if (this.elector) this.elector.start();
    else this.onLeading(true);
  }

  /** Graceful shutdown: stop taking work, finish what is in flight, release the lease, close servers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.nodeQueue.shutDown();
    this.policyQueue.shutDown();
    this.factsQueue.shutDown();
    this.memberQueue.shutDown();
    this.workloadQueue.shutDown();
    this.karmadaQueue.shutDown();
    this.bindingQueue.shutDown();
    this.clusterReportQueue.shutDown();
    this.fulcrumQueue.shutDown();
    this.prober?.stop();
    await Promise.all(this.workers);
    await Promise.race([this.events.flush(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    this.options.auditLog?.flush();
    if (this.elector) await this.elector.release();
    for (const cache of Object.values(this.caches)) cache.stop();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.log.info('stopped');
  }

  /**
   * Resolves true once this replica leads (false when stopping). Workers wait here before each
   * reconcile, so a standby holds its queued keys instead of dropping them, and a leader whose renewal
   * is briefly late resumes where it was.
   */
  private async whenLeader(): Promise<boolean> {
    while (!this.stopped) {
      if (this.isLeader()) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }

  private asLeader(
    reconcile: (key: string) => Promise<ReconcileResult>,
  ): (key: string) => Promise<ReconcileResult> {
    return async (key) => ((await this.whenLeader()) ? reconcile(key) : undefined);
  }

  isLeader(): boolean {
    if (this.stopped) return false;
    return this.elector ? this.elector.isLeader() : this.leading;
  }

  private onLeading(leading: boolean): void {
    this.leading = leading;
    this.metrics.leader.set(leading ? 1 : 0);
    this.log.info({ identity: this.options.identity }, leading ? 'became leader' : 'lost leadership');
    if (leading) this.enqueueAll();
  }

  private readiness(): { ready: boolean; detail: string } {
    const pending = Object.entries(this.caches)
      .filter(([, c]) => !c.hasSynced())
      .map(([k]) => k);
    if (pending.length) return { ready: false, detail: `caches not synced: ${pending.join(', ')}` };
    if (this.options.webhook && !this.webhookServing) return { ready: false, detail: 'webhook not serving' };
    return { ready: true, detail: 'ok' };
  }

  private async startWebhook(webhook: NonNullable<OperatorOptions['webhook']>): Promise<void> {
    const kc = this.options.kubeConfig;
    const managed = webhook.certificateDir
      ? undefined
      : new ManagedWebhookCertificate(kc, {
          namespace: this.options.namespace,
          secretName: webhook.secretName,
          configurationName: webhook.configurationName,
          dnsNames: webhook.dnsNames,
          ipAddresses: webhook.ipAddresses,
          now: this.now,
          log: this.log,
          ...webhook.certificateRenewal,
          ...(webhook.url ? { register: this.webhookRegistration(webhook.url, webhook) } : {}),
        });
    const stored = managed ? await managed.current() : undefined;
    const certificate = stored ?? readMountedCertificate(webhook.certificateDir as string);
    const lookup = (ns: string) => this.policiesIn(ns);
    // Karmada mode: ResourceBindings pinned from the same policies, template labels from the caches.
    const limits = this.options.karmada
      ? {
          bindings: (body: unknown) => admitBindingReview(body, this.bindingLookups()),
        }
      : {};
    // PersistentVolumeClaims of enrolled namespaces: refused unless their StorageClass conforms.
    const withClaims = { ...limits, claims: (ns: string) => this.claimsIn(ns) };
    const audit = this.options.auditLog;
    const server = await startWebhookServer(
      webhook.port,
      webhook.host,
      certificate,
      lookup,
      this.log,
      withClaims,
      audit
        ? (body, { patch, namespace = '' }) => {
            const policies = this.policiesIn(namespace)?.policies ?? [];
            for (const entry of pinnedRecords({ body, patch, namespace, policies, at: this.now() }))
              audit.write(entry);
          }
        : undefined,
    );
    this.servers.push(server);
    if (managed && stored) {
      // Renewed before it expires by whichever replica finds it due; every replica reloads it.
      managed.start(stored, (next) =>
        server.setSecureContext({ cert: next.certificatePem, key: next.privateKeyPem }),
      );
      this.servers.push({ close: (done) => void managed.stop().then(done) });
    } else {
      const dir = webhook.certificateDir as string;
      // cert-manager renews the mounted Secret in place: pick the new certificate up without a restart.
      const timer = setInterval(() => {
        try {
          const next = readMountedCertificate(dir);
          server.setSecureContext({ cert: next.certificatePem, key: next.privateKeyPem });
        } catch (error) {
          this.log.warn({ err: error, dir }, 'could not reload the webhook certificate');
        }
      }, 60_000);
      timer.unref();
      this.servers.push({
        close: (done) => {
          clearInterval(timer);
          done();
        },
      });
    }
    this.webhookServing = true;
    this.log.info({ port: webhook.port }, 'admission webhook serving');
  }

  private webhookRegistration(url: string, webhook: NonNullable<OperatorOptions['webhook']>) {
    const configuration = karmadaWebhookConfiguration(webhook.configurationName, url, webhook.timeoutSeconds);
    return (caPem: string) =>
      applyWebhookConfiguration(this.options.kubeConfig, configuration, caPem, {
        now: this.now,
        log: this.log,
      });
  }

  /** Policies of a namespace for admission; undefined until the policy cache is synced (fail closed). */
  private policiesIn(namespace: string): NamespacePolicies | undefined {
    if (!this.caches.policies.hasSynced() || !this.caches.clusterPolicies.hasSynced()) return undefined;
    if (!this.caches.namespaces.hasSynced()) return undefined;
    const labels = (this.caches.namespaces.get(namespace) as NamespaceObject | undefined)?.metadata.labels;
    return {
      policies: this.currentFacts().policies.filter(
        (p) => p.metadata.namespace === namespace || isClusterPolicy(p),
      ),
      namespaceLabels: labels ?? {},
    };
  }

  /** What admission of a claim reads; undefined until the caches it needs are synced (fail closed). */
  private claimsIn(namespace: string): ClaimContext | undefined {
    const found = this.policiesIn(namespace);
    if (!found || !this.caches.storageClasses.hasSynced() || !this.caches.services.hasSynced())
      return undefined;
    return {
      ...found,
      storageClasses: this.caches.storageClasses.list() as unknown as StorageClassObject[],
      derived: atInstant(this.currentFacts(), this.now()),
    };
  }

  private state(): ClusterState {
    const c = this.caches;
    return {
      nodes: c.nodes.list() as unknown as NodeObject[],
      pods: c.pods.list() as unknown as PodObject[],
      namespaces: c.namespaces.list() as unknown as NamespaceObject[],
      budgets: c.budgets.list() as unknown as PodDisruptionBudgetObject[],
      policies: c.policies.list(),
      clusterPolicies: c.clusterPolicies.list(),
      services: c.services.list(),
      areas: c.areas.list(),
      claims: c.claims.list() as unknown as PersistentVolumeClaimObject[],
      volumes: c.volumes.list() as unknown as PersistentVolumeObject[],
      storageClasses: c.storageClasses.list() as unknown as StorageClassObject[],
      ...(c.memberClusters ? { memberClusters: c.memberClusters.list() } : {}),
      ...(c.workloads ? { workloads: c.workloads.list() } : {}),
    };
  }

  /** Karmada mode: a policy's view of the Karmada clusters and of the templates it selects. */
  private karmadaView(policy: AnyPolicy): KarmadaPolicyView {
    const clusters = (this.caches.karmadaClusters?.list() ?? []) as unknown as KarmadaClusterObject[];
    const namespaces = this.caches.namespaces;
    const selected = bindingsSelectedBy(
      policy,
      this.caches.resourceBindings?.list() ?? [],
      templateLookup((name) => this.caches[name as keyof Caches]),
      (ns) =>
        (namespaces.get(ns) as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata
          ?.labels,
    );
    return karmadaPolicyView(policy, clusters, selected, atInstant(this.currentFacts(), this.now()));
  }

  /** Karmada mode: what pinning a ResourceBinding reads, for the webhook and the binding controller. */
  private bindingLookups(): BindingLookups {
    const cache = (name: string) => this.caches[name as keyof Caches];
    return {
      policies: (ns) => this.policiesIn(ns),
      template: templateLookup(cache),
      clusters: conformingClusters(cache, () => atInstant(this.currentFacts(), this.now())),
    };
  }

  /** Facts are recomputed only after a cache changed (they do not depend on the instant). */
  private currentFacts(): Facts {
    this.facts ??= deriveFacts(this.state());
    return this.facts;
  }

  private context(): ControllerContext {
    return {
      state: () => this.state(),
      node: (name) => this.caches.nodes.get(name) as unknown as NodeObject | undefined,
      derived: () => atInstant(this.currentFacts(), this.now()),
      // namespace/name is a SovereigntyPolicy, a bare name a ClusterSovereigntyPolicy.
      rawPolicy: (key) =>
        (key.includes('/') ? this.caches.policies : this.caches.clusterPolicies).get(key) as
          | { status?: Record<string, unknown> }
          | undefined,
      writer: new KubeWriter(this.options.kubeConfig),
      events: this.events,
      ...(this.options.auditLog ? { audit: (entry) => this.options.auditLog?.write(entry) } : {}),
      metrics: this.metrics,
      log: this.log,
      now: this.now,
      isLeader: () => this.isLeader(),
    };
  }

  private rawStatus(plural: string, name: string) {
    const cache = plural === 'cloudservices' ? this.caches.services : this.caches.areas;
    return cache.get(name) as { status?: Record<string, unknown> } | undefined;
  }

  private enqueueAll(): void {
    this.factsQueue.add(FACTS_KEY);
    for (const key of this.caches.nodes.keys()) this.nodeQueue.add(key);
    for (const key of this.caches.policies.keys()) this.policyQueue.add(key);
    for (const key of this.caches.clusterPolicies.keys()) this.policyQueue.add(key);
    for (const key of this.caches.memberClusters?.keys() ?? []) this.memberQueue.add(key);
    for (const key of this.caches.workloads?.keys() ?? []) this.workloadQueue.add(key);
    for (const key of this.caches.karmadaClusters?.keys() ?? []) this.karmadaQueue.add(key);
    for (const key of this.caches.fulcrumFederations?.keys() ?? []) this.fulcrumQueue.add(key);
    for (const key of this.caches.resourceBindings?.keys() ?? []) this.bindingQueue.add(key);
    if (this.options.policyReports) {
      this.clusterReportQueue.add(NODES_REPORT_KEY);
      if (this.options.hub) this.clusterReportQueue.add(MEMBERS_REPORT_KEY);
    }
  }

  private wireCaches(): void {
    const c = this.caches;
    const invalidate = () => {
      this.facts = undefined;
    };
    for (const [name, cache] of Object.entries(c)) {
      cache.onEvent((event) => {
        if (event.type === 'WatchRestarted') {
          this.metrics.watchRestarts.inc({ resource: name, reason: event.reason });
          this.log.debug({ resource: name, reason: event.reason, delayMs: event.delayMs }, 'watch restarted');
        }
        if (event.type === 'ListFailed')
          this.log.warn({ resource: name, err: event.error }, 'list failed; retrying');
      });
    }
    const keys = (cache: CacheName) => c[cache]?.keys() ?? [];
    const controllers = [
      { queue: this.nodeQueue, wakes: nodeControllerWakes },
      { queue: this.policyQueue, wakes: policyControllerWakes },
      { queue: this.factsQueue, wakes: factsStatusWakes },
      ...(this.options.policyReports
        ? [{ queue: this.clusterReportQueue, wakes: clusterReportWakes(this.options.hub !== undefined) }]
        : []),
      ...(this.options.hub
        ? [
            { queue: this.memberQueue, wakes: memberControllerWakes },
            { queue: this.workloadQueue, wakes: workloadControllerWakes },
          ]
        : []),
      ...(this.options.fulcrum ? [{ queue: this.fulcrumQueue, wakes: fulcrumControllerWakes }] : []),
    ];
    for (const [name, cache] of Object.entries(c) as [CacheName, Reflector<ObjectWithMeta>][]) {
      const wakes = controllers.flatMap(({ queue, wakes }) =>
        wakes.filter((w) => w.on === name).map((w) => ({ queue, enqueue: w.enqueue })),
      );
      const matters = changeMatters(name, this.resourceRefs[name] as ResourceRef);
      cache.onEvent((event) => {
        if (event.type !== 'Added' && event.type !== 'Modified' && event.type !== 'Deleted') return;
        if (event.type === 'Modified' && event.old && !matters(event.old, event.object)) return;
        if (FACT_SOURCES.has(name)) invalidate();
        // The prober follows the member records (new, deleted, new Secret or probe settings), and probes
        // at once the members whose Secret changed.
        if (name === 'memberClusters' && cache.hasSynced())
          this.prober?.sync(probeTargets(this.currentFacts()));
        if (name === 'secrets') {
          const [namespace = '', secret = ''] = event.key.split('/');
          this.prober?.secretChanged(namespace, secret);
        }
        // Enqueued on every replica, leader or not: a standby keeps its queue filled, and its workers wait
        // for leadership (whenLeader), so no event is lost across a leadership change.
        for (const { queue, enqueue } of wakes) {
          for (const key of enqueue(event.key, event.object, keys)) queue.add(key);
        }
      });
    }
  }
}
