import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { GROUP, resourceDefinitions, VERSION } from '../api/index.ts';
import { httpStatusOf, kubeRequest, type ResourceRef, resourcePath } from '../kube/request.ts';
import { CliError } from './errors.ts';
import { type Inventory, inventoryFrom } from './inventory.ts';
import type { SourceObject } from './sources.ts';

/** The operator's name in Events (source.component and reportingComponent). */
export const EVENT_COMPONENT = 'sovereign-placement';

export interface LiveOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

/** The kubeconfig: --kubeconfig, else KUBECONFIG, else ~/.kube/config (as kubectl). */
export function loadKubeConfig(options: LiveOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) {
      if (!existsSync(options.kubeconfig)) throw new CliError(`${options.kubeconfig}: no such file`);
      kc.loadFromFile(options.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot load the kubeconfig: ${(error as Error).message}`);
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      throw new CliError(`context "${options.context}" is not in the kubeconfig`);
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new CliError(
      'no cluster to talk to: give --kubeconfig or set KUBECONFIG, or use --inventory <dir>',
    );
  }
  return kc;
}

/** The namespace of the kubeconfig's current context, as kubectl uses it by default. */
export function contextNamespace(kc: KubeConfig): string | undefined {
  return kc.getContextObject(kc.getCurrentContext())?.namespace;
}

export type Loadable =
  | 'areas'
  | 'services'
  | 'nodes'
  | 'pods'
  | 'memberClusters'
  | 'policies'
  | 'clusterPolicies'
  | 'namespaces'
  | 'workloads'
  | 'claims'
  | 'volumes'
  | 'storageClasses'
  | 'fulcrumFederations'
  | 'karmadaClusters'
  | 'resourceBindings'
  | 'deployments'
  | 'statefulsets'
  | 'daemonsets'
  | 'jobs'
  | 'events';

const plural = (kind: string) => resourceDefinitions.find((d) => d.kind === kind)?.plural as string;
const custom = (kind: string): ResourceRef => ({ group: GROUP, version: VERSION, plural: plural(kind) });

interface Listed {
  ref: ResourceRef;
  kind: string;
  /**
   * What to do when the list is refused with this status instead of failing: the warning to print, and
   * the list is taken as empty.
   */
  tolerate?: { status: number; warning: string };
  /** A second refusal to tolerate, with its own warning. */
  alsoTolerate?: { status: number; warning: string };
  /**
   * Listed only when the API server holds Karmada Clusters (a Karmada API server): a report of a plain
   * cluster never lists every Deployment of every namespace.
   */
  karmadaOnly?: boolean;
}

/** A workload template list of a Karmada API server; a refusal by RBAC leaves those templates out. */
const template = (group: string, plural: string, kind: string): Listed => ({
  ref: { group, version: 'v1', plural },
  kind,
  tolerate: { status: 403, warning: `warning: cannot list ${plural} (forbidden): no ${kind} is shown` },
  karmadaOnly: true,
});

const REFS: Record<Exclude<Loadable, 'events'>, Listed> = {
  areas: { ref: custom('SovereigntyArea'), kind: 'SovereigntyArea' },
  services: { ref: custom('CloudService'), kind: 'CloudService' },
  memberClusters: { ref: custom('MemberCluster'), kind: 'MemberCluster' },
  policies: { ref: custom('SovereigntyPolicy'), kind: 'SovereigntyPolicy' },
  clusterPolicies: { ref: custom('ClusterSovereigntyPolicy'), kind: 'ClusterSovereigntyPolicy' },
  workloads: { ref: custom('SovereignWorkload'), kind: 'SovereignWorkload' },
  fulcrumFederations: { ref: custom('FulcrumFederation'), kind: 'FulcrumFederation' },
  nodes: { ref: { version: 'v1', plural: 'nodes' }, kind: 'Node' },
  pods: { ref: { version: 'v1', plural: 'pods' }, kind: 'Pod' },
  claims: {
    ref: { version: 'v1', plural: 'persistentvolumeclaims' },
    kind: 'PersistentVolumeClaim',
    tolerate: {
      status: 403,
      warning: 'warning: cannot list persistentvolumeclaims (forbidden): no claim is judged',
    },
  },
  volumes: {
    ref: { version: 'v1', plural: 'persistentvolumes' },
    kind: 'PersistentVolume',
    tolerate: {
      status: 403,
      warning: 'warning: cannot list persistentvolumes (forbidden): no volume is judged',
    },
  },
  storageClasses: {
    ref: { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses' },
    kind: 'StorageClass',
    tolerate: { status: 403, warning: 'warning: cannot list storageclasses (forbidden): no class is judged' },
  },
  // A 404 is an API server that does not serve Karmada's APIs: not a Karmada API server.
  karmadaClusters: {
    ref: { group: 'cluster.karmada.io', version: 'v1alpha1', plural: 'clusters' },
    kind: 'Cluster',
    tolerate: {
      status: 404,
      warning:
        'warning: the API server does not serve cluster.karmada.io/v1alpha1 Clusters: it is not a Karmada API server, so no Karmada cluster is judged',
    },
    // Authorization comes before routing: a user without rights on cluster.karmada.io gets 403 even
    // where the API is not served, and a report must not fail for it.
    alsoTolerate: {
      status: 403,
      warning: 'warning: cannot list clusters.cluster.karmada.io (forbidden): no Karmada cluster is judged',
    },
  },
  resourceBindings: {
    ref: { group: 'work.karmada.io', version: 'v1alpha2', plural: 'resourcebindings' },
    kind: 'ResourceBinding',
    tolerate: {
      status: 404,
      warning:
        'warning: the API server does not serve work.karmada.io/v1alpha2 ResourceBindings: it is not a Karmada API server, so no binding is shown',
    },
    alsoTolerate: {
      status: 403,
      warning: 'warning: cannot list resourcebindings.work.karmada.io (forbidden): no binding is shown',
    },
    karmadaOnly: true,
  },
  deployments: template('apps', 'deployments', 'Deployment'),
  statefulsets: template('apps', 'statefulsets', 'StatefulSet'),
  daemonsets: template('apps', 'daemonsets', 'DaemonSet'),
  jobs: template('batch', 'jobs', 'Job'),
  // Reading pods of every namespace does not imply reading Namespaces: without them, cluster policies
  // still select by the name label, which is all the API server guarantees on every Namespace anyway.
  namespaces: {
    ref: { version: 'v1', plural: 'namespaces' },
    kind: 'Namespace',
    tolerate: {
      status: 403,
      warning:
        'warning: cannot list namespaces (forbidden): namespaceSelectors of ClusterSovereigntyPolicies see only the label kubernetes.io/metadata.name',
    },
  },
};

interface List {
  metadata?: { continue?: string };
  items?: Record<string, unknown>[];
}

/** Every object of a collection, page by page, as the API server's JSON. */
async function listAll(
  kc: KubeConfig,
  { ref, kind, tolerate, alsoTolerate }: Listed,
  warn: (line: string) => void = () => {},
  quiet = false,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let next: string | undefined;
  do {
    let page: List;
    try {
      page = await kubeRequest<List>(kc, { path: resourcePath(ref), query: { limit: 500, continue: next } });
    } catch (error) {
      const status = httpStatusOf(error);
      const tolerated = [tolerate, alsoTolerate].find((t) => t !== undefined && t.status === status);
      if (tolerated) {
        if (!(quiet && tolerated === tolerate)) warn(tolerated.warning);
        return [];
      }
      if (status === 404 && ref.group === GROUP) {
        throw new CliError(`the ${GROUP} CRDs are not installed on ${kc.getCurrentCluster()?.server}`);
      }
      const detail = (error as Error).message;
      throw new CliError(`cannot list ${ref.plural} on ${kc.getCurrentCluster()?.server}: ${detail}`);
    }
    // Lists do not repeat apiVersion and kind on their items; the inventory needs them.
    const apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
    for (const item of page.items ?? []) items.push({ apiVersion, kind, ...item });
    next = page.metadata?.continue || undefined;
  } while (next);
  return items;
}

interface EventJson {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  series?: { count?: number };
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
  reportingComponent?: string;
  involvedObject?: { kind?: string; namespace?: string; name?: string };
  metadata?: { creationTimestamp?: string };
}

/** Events of the operator (source or reporting component sovereign-placement), oldest first. */
export function operatorEvents(events: readonly EventJson[]): NonNullable<Inventory['events']> {
  return events
    .filter((e) => e.source?.component === EVENT_COMPONENT || e.reportingComponent === EVENT_COMPONENT)
    .map((e) => ({
      type: e.type ?? '',
      reason: e.reason ?? '',
      message: e.message ?? '',
      object: {
        kind: e.involvedObject?.kind ?? '',
        namespace: e.involvedObject?.namespace || null,
        name: e.involvedObject?.name ?? '',
      },
      count: e.series?.count ?? e.count ?? 1,
      firstTime: e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? null,
      lastTime: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? null,
    }))
    .sort((a, b) => (a.lastTime ?? '').localeCompare(b.lastTime ?? '') || a.reason.localeCompare(b.reason));
}

export interface LiveLoadOptions {
  /**
   * Lists whose first tolerated refusal (`tolerate`: for Karmada's lists, the API is not served) is not
   * worth a warning for this command, which does without them; a refusal by RBAC is still said.
   */
  quiet?: ReadonlySet<Loadable>;
  /**
   * List the Karmada-only lists (bindings, templates) even when the API server holds no Karmada Cluster:
   * `explain` of a template must find the template to say where it stands.
   */
  always?: boolean;
}

/**
 * Loads the inventory from the API server: the same object `--inventory` reads from files, so that
 * every command evaluates both the same way. Only what a command needs is listed. Objects the operator
 * would refuse (invalid custom resources) are skipped with a warning, as the operator skips them.
 */
export async function loadLiveInventory(
  kc: KubeConfig,
  needs: ReadonlySet<Loadable>,
  warn: (line: string) => void,
  options: LiveLoadOptions = {},
): Promise<Inventory> {
  const location = `${kc.getCurrentCluster()?.server} (context ${kc.getCurrentContext()})`;
  const sources: SourceObject[] = [];
  const wanted = (Object.keys(REFS) as (keyof typeof REFS)[]).filter((k) => needs.has(k));
  const list = (k: keyof typeof REFS) => listAll(kc, REFS[k], warn, options.quiet?.has(k) ?? false);
  const first = wanted.filter((k) => !REFS[k].karmadaOnly);
  const lists = await Promise.all(first.map(list));
  const karmadaClusters = lists[first.indexOf('karmadaClusters')] ?? [];
  if (options.always || karmadaClusters.length > 0)
    lists.push(...(await Promise.all(wanted.filter((k) => REFS[k].karmadaOnly).map(list))));
  for (const items of lists) {
    for (const object of items) {
      sources.push({ file: location, line: 1, object, lineOf: () => 1 });
    }
  }
  const { inventory, problems } = inventoryFrom(sources, { mode: 'cluster', location });
  for (const p of problems) warn(`warning: skipping invalid ${p.object}: ${p.message}`);
  if (needs.has('events')) {
    const events = await listAll(kc, { ref: { version: 'v1', plural: 'events' }, kind: 'Event' });
    inventory.events = operatorEvents(events as EventJson[]);
  }
  return inventory;
}
