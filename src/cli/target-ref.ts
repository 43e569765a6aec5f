import { CliError } from './errors.ts';

export type ExplainKind =
  | 'Node'
  | 'Pod'
  | 'SovereigntyPolicy'
  | 'ClusterSovereigntyPolicy'
  | 'MemberCluster'
  | 'SovereignWorkload'
  | 'PersistentVolumeClaim'
  | 'PersistentVolume'
  | 'FulcrumAgent'
  | TemplateKind;

/** Workload templates of a Karmada API server, judged against Karmada's clusters. */
export type TemplateKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';
export const TEMPLATE_KIND_NAMES: readonly TemplateKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
export const isTemplateKind = (kind: string): kind is TemplateKind =>
  (TEMPLATE_KIND_NAMES as readonly string[]).includes(kind);

export interface TargetRef {
  kind: ExplainKind;
  name: string;
  /** Set for namespaced kinds (Pod, SovereigntyPolicy, SovereignWorkload). */
  namespace: string | null;
}

/** Every accepted spelling, as kubectl accepts singular, plural and short names. */
const ALIASES: Record<string, ExplainKind> = {
  node: 'Node',
  nodes: 'Node',
  no: 'Node',
  pod: 'Pod',
  pods: 'Pod',
  po: 'Pod',
  policy: 'SovereigntyPolicy',
  policies: 'SovereigntyPolicy',
  sovereigntypolicy: 'SovereigntyPolicy',
  sovereigntypolicies: 'SovereigntyPolicy',
  spol: 'SovereigntyPolicy',
  clustersovereigntypolicy: 'ClusterSovereigntyPolicy',
  clustersovereigntypolicies: 'ClusterSovereigntyPolicy',
  clusterpolicy: 'ClusterSovereigntyPolicy',
  clusterpolicies: 'ClusterSovereigntyPolicy',
  cspol: 'ClusterSovereigntyPolicy',
  cluster: 'MemberCluster',
  clusters: 'MemberCluster',
  membercluster: 'MemberCluster',
  memberclusters: 'MemberCluster',
  mcl: 'MemberCluster',
  workload: 'SovereignWorkload',
  workloads: 'SovereignWorkload',
  sovereignworkload: 'SovereignWorkload',
  sovereignworkloads: 'SovereignWorkload',
  swl: 'SovereignWorkload',
  pvc: 'PersistentVolumeClaim',
  persistentvolumeclaim: 'PersistentVolumeClaim',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  pv: 'PersistentVolume',
  persistentvolume: 'PersistentVolume',
  persistentvolumes: 'PersistentVolume',
  'fulcrum-agent': 'FulcrumAgent',
  'fulcrum-agents': 'FulcrumAgent',
  fulcrumagent: 'FulcrumAgent',
  fagent: 'FulcrumAgent',
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  ds: 'DaemonSet',
  job: 'Job',
  jobs: 'Job',
};

export const NAMESPACED: ReadonlySet<ExplainKind> = new Set([
  'Pod',
  'SovereigntyPolicy',
  'SovereignWorkload',
  'PersistentVolumeClaim',
  ...TEMPLATE_KIND_NAMES,
]);

export const KINDS_HELP =
  'node (no), pod (po), policy (spol), clusterpolicy (cspol), cluster (mcl), workload (swl), pvc, pv, fulcrum-agent (fagent; by id or name), and in a Karmada API server deployment (deploy), statefulset (sts), daemonset (ds), job';

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * `node/fr-par-1`, `pod/payments/ledger-0`, `po/ledger-0` (namespace from -n), `spol/payments/ledger`,
 * `cspol/dora-sovereign-eu`.
 * The kind may be qualified with the API group, as kubectl prints it (`sovereigntypolicy.sovereign-placement.io/x`).
 */
export function parseTargetRef(text: string, defaultNamespace: string): TargetRef {
  const slash = text.indexOf('/');
  if (slash <= 0) {
    throw new CliError(
      `expected <kind>/<name>, for example node/fr-par-1 or pod/payments/ledger-0, got "${text}"`,
    );
  }
  const typed = text.slice(0, slash).toLowerCase();
  const kind = ALIASES[typed] ?? ALIASES[typed.split('.')[0] ?? ''];
  if (!kind)
    throw new CliError(`unknown resource type "${text.slice(0, slash)}": expected one of ${KINDS_HELP}`);
  const parts = text.slice(slash + 1).split('/');
  let namespace: string | null = null;
  let name: string;
  if (NAMESPACED.has(kind)) {
    if (parts.length > 2)
      throw new CliError(`expected ${typed}/<namespace>/<name> or ${typed}/<name>, got "${text}"`);
    namespace = parts.length === 2 ? (parts[0] as string) : defaultNamespace;
    name = parts[parts.length - 1] as string;
  } else {
    if (parts.length !== 1)
      throw new CliError(`${kind} is cluster-scoped: expected ${typed}/<name>, got "${text}"`);
    name = parts[0] as string;
  }
  for (const part of namespace === null ? [name] : [namespace, name]) {
    if (!NAME.test(part))
      throw new CliError(`"${part}" is not a valid name (lowercase letters, digits, "-" and ".")`);
  }
  return { kind, name, namespace };
}

export const formatRef = (ref: TargetRef): string =>
  `${ref.kind} ${ref.namespace === null ? '' : `${ref.namespace}/`}${ref.name}`;
