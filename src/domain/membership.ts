import { InformationalLabels, NodeFactLabels, PROTECTED_PREFIX } from '../api/group.ts';
import type { CloudService, MemberCluster } from '../api/index.ts';
import { type Reason, reason } from './reasons.ts';
import { type LabelSelector, type Labels, matchesSelector } from './selector.ts';
import type { Membership, Target } from './target.ts';

/**
 * Which CloudService runs a node, and where the node is, from trusted data only (docs/architecture.md, "Trust model"):
 * CloudService records (RBAC-restricted) and node labels under node-restriction.kubernetes.io/, which a
 * kubelet cannot set on its own Node. Anything a node can say about itself is never used for a verdict.
 */

export interface ServiceCatalog {
  readonly byName: ReadonlyMap<string, CloudService>;
  /** Services that name their nodes by a trusted nodeSelector, sorted by name. */
  readonly selecting: readonly CloudService[];
  /**
   * The selecting services by one of their matchLabels entries (key → value → services), so that a node
   * is matched only against the services whose first label it carries; services whose selector has no
   * matchLabels are in `unindexed` and checked against every node.
   */
  readonly byLabel: ReadonlyMap<string, ReadonlyMap<string, readonly CloudService[]>>;
  readonly unindexed: readonly CloudService[];
}

const isProtectedKey = (key: string): boolean => key.startsWith(PROTECTED_PREFIX);

/**
 * A selector over protected keys only. The CRD refuses other keys; this check is defence in depth, so
 * that a record written around the API server's validation still cannot let nodes claim a service.
 */
export function isTrustedSelector(selector: LabelSelector): boolean {
  return (
    Object.keys(selector.matchLabels ?? {}).every(isProtectedKey) &&
    (selector.matchExpressions ?? []).every((e) => isProtectedKey(e.key))
  );
}

export function indexServices(services: readonly CloudService[]): ServiceCatalog {
  const sorted = [...services].sort((a, b) => compareNames(a.metadata.name, b.metadata.name));
  const selecting = sorted.filter(
    (s) => s.spec.nodeSelector !== undefined && isTrustedSelector(s.spec.nodeSelector),
  );
  const byLabel = new Map<string, Map<string, CloudService[]>>();
  const unindexed: CloudService[] = [];
  for (const service of selecting) {
    const first = Object.entries(service.spec.nodeSelector?.matchLabels ?? {})[0];
    if (!first) {
      unindexed.push(service);
      continue;
    }
    const [key, value] = first;
    const values = byLabel.get(key) ?? new Map<string, CloudService[]>();
    byLabel.set(key, values);
    values.set(value, [...(values.get(value) ?? []), service]);
  }
  return { byName: new Map(sorted.map((s) => [s.metadata.name, s])), selecting, byLabel, unindexed };
}

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Services whose nodeSelector matches the labels (only those that could, thanks to the index). */
function selectingServices(labels: Labels, catalog: ServiceCatalog): CloudService[] {
  const found: CloudService[] = [];
  const check = (service: CloudService) => {
    if (service.spec.nodeSelector && matchesSelector(service.spec.nodeSelector, labels)) found.push(service);
  };
  for (const [key, values] of catalog.byLabel) {
    const value = labels[key];
    if (value === undefined || !Object.hasOwn(labels, key)) continue;
    for (const service of values.get(value) ?? []) check(service);
  }
  for (const service of catalog.unindexed) check(service);
  return found;
}

/**
 * The CloudService of a node: a service claims it by its nodeSelector, or, when the service has no
 * nodeSelector, by the protected label naming it. None → UnknownCloudService; several →
 * AmbiguousCloudService: the operator never guesses.
 */
export function nodeMembership(labels: Labels, catalog: ServiceCatalog): Membership {
  const claimants = selectingServices(labels, catalog);
  const named = Object.hasOwn(labels, NodeFactLabels.cloudService)
    ? labels[NodeFactLabels.cloudService]
    : undefined;
  const namedService = named === undefined ? undefined : catalog.byName.get(named);
  if (namedService && namedService.spec.nodeSelector === undefined) claimants.push(namedService);

  const [only, ...others] = claimants;
  if (only && others.length === 0) return { service: only, reason: null };
  if (only) {
    const services = claimants.map((s) => s.metadata.name).sort(compareNames);
    return { service: null, reason: reason('AmbiguousCloudService', { kind: 'Node', services }) };
  }
  let detail: string;
  if (named === undefined) {
    detail = `no CloudService's nodeSelector matches it and its label ${NodeFactLabels.cloudService} is not set`;
  } else if (!namedService) {
    detail = `its label ${NodeFactLabels.cloudService} names "${named}", which does not exist`;
  } else {
    detail = `its label ${NodeFactLabels.cloudService} names "${named}", but that service selects its nodes by nodeSelector, which does not match this node`;
  }
  return { service: null, reason: reason('UnknownCloudService', { kind: 'Node', detail }) };
}

/** What conformance reads of a MemberCluster record: its facts, not its credentials nor its probe settings. */
export interface MemberClusterFacts {
  readonly metadata: { readonly name: string };
  readonly spec: Pick<
    MemberCluster['spec'],
    'cloudService' | 'controlPlaneCloudService' | 'country' | 'cordoned'
  >;
}

/**
 * The service operating a member's control plane (spec.controlPlaneCloudService), null when it is the
 * nodes' service: absent, or naming the same service.
 */
export function controlPlaneMembership(
  cluster: Pick<MemberClusterFacts, 'spec'>,
  catalog: ServiceCatalog,
): Membership | null {
  const name = cluster.spec.controlPlaneCloudService;
  if (name === undefined || name === cluster.spec.cloudService) return null;
  const service = catalog.byName.get(name);
  if (service) return { service, reason: null };
  const detail = `its spec.controlPlaneCloudService names "${name}", which does not exist`;
  return { service: null, reason: reason('UnknownCloudService', { kind: 'MemberCluster', detail }) };
}

/** A member cluster's service comes from its MemberCluster record on the hub, never from the member. */
export function clusterMembership(
  cluster: Pick<MemberClusterFacts, 'spec'>,
  catalog: ServiceCatalog,
): Membership {
  const service = catalog.byName.get(cluster.spec.cloudService);
  if (service) return { service, reason: null };
  const detail = `its spec.cloudService names "${cluster.spec.cloudService}", which does not exist`;
  return { service: null, reason: reason('UnknownCloudService', { kind: 'MemberCluster', detail }) };
}

const COUNTRY_CODE = /^[A-Z]{2}$/;

/** The node's country from its protected label; null when missing or not an upper-case two-letter code. */
export function nodeCountry(labels: Labels): string | null {
  const value = labels[NodeFactLabels.country];
  return value !== undefined && COUNTRY_CODE.test(value) ? value : null;
}

export interface NodeFacts {
  readonly name: string;
  readonly labels: Labels;
}

/**
 * A node as conformance sees it. Node health is not a conformance fact (docs/architecture.md, "Conformance"): Kubernetes'
 * not-ready/unreachable taints already move pods off failed nodes, and flipping verdict labels on every
 * readiness blip would churn pods. Only the sovereignty cordon label counts.
 */
export function nodeTarget(node: NodeFacts, catalog: ServiceCatalog): Target {
  return {
    kind: 'Node',
    name: node.name,
    membership: nodeMembership(node.labels, catalog),
    country: nodeCountry(node.labels),
    healthy: true,
    cordoned: node.labels[NodeFactLabels.cordoned] === 'true',
  };
}

/** A member cluster as conformance sees it; health is observed by the hub and passed in. */
export function memberClusterTarget(
  cluster: MemberClusterFacts,
  catalog: ServiceCatalog,
  healthy: boolean,
): Target {
  const controlPlane = controlPlaneMembership(cluster, catalog);
  return {
    kind: 'MemberCluster',
    name: cluster.metadata.name,
    membership: clusterMembership(cluster, catalog),
    country: COUNTRY_CODE.test(cluster.spec.country) ? cluster.spec.country : null,
    healthy,
    cordoned: cluster.spec.cordoned === true,
    ...(controlPlane ? { controlPlane } : {}),
  };
}

export interface LabelDisagreement {
  readonly label: string;
  readonly value: string;
  /** The trusted value it was compared with; undefined when no trusted fact is known. */
  readonly factValue: string | undefined;
  readonly reason: Reason;
}

/** "OVH SAS" → "ovh-sas": label values cannot hold spaces, so providers are compared in this form. */
const labelForm = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/**
 * Informational labels (which anyone may set) that disagree with the trusted facts, so that the operator
 * can say so (Event, metric). They never change a verdict. The region label has no trusted counterpart
 * (regions are provider-specific names), so it is not compared.
 */
export function informationalDisagreements(labels: Labels, membership: Membership): LabelDisagreement[] {
  const found: LabelDisagreement[] = [];
  const report = (label: string, value: string, fact: string, factValue: string | undefined) =>
    found.push({
      label,
      value,
      factValue,
      reason: reason('InformationalLabelMismatch', { label, value, fact, factValue }),
    });

  const country = labels[InformationalLabels.country];
  if (country !== undefined) {
    const fact = labels[NodeFactLabels.country];
    if (fact === undefined || fact.toUpperCase() !== country.toUpperCase()) {
      report(InformationalLabels.country, country, `country label ${NodeFactLabels.country}`, fact);
    }
  }
  const provider = labels[InformationalLabels.provider];
  if (provider !== undefined) {
    const service = membership.service;
    const agrees =
      service !== null &&
      (labelForm(provider) === labelForm(service.spec.provider.name) || provider === service.metadata.name);
    if (!agrees)
      report(
        InformationalLabels.provider,
        provider,
        'provider of its CloudService',
        service?.spec.provider.name,
      );
  }
  return found;
}

/** What conformance reads of a Fulcrum agent: what Fulcrum reports of it, never its tags or configuration. */
export interface FulcrumAgentFacts {
  readonly id: string;
  readonly name: string;
  /** Fulcrum's AgentStatus: New, Connected, Disconnected, Error or Disabled. */
  readonly status: string;
  /** The participant (provider) Fulcrum reports for the agent. */
  readonly providerId: string | null;
}

/** The platform team's entry for one agent, from a FulcrumFederation. */
export interface FulcrumAgentRecord {
  readonly cloudService: string;
  readonly country: string;
  readonly participantId?: string | undefined;
  readonly cordoned?: boolean | undefined;
}

/**
 * A Fulcrum agent as conformance sees it. Its service and country come from the platform team's record
 * (`record`), never from Fulcrum, which carries no jurisdiction: an agent without a record, or one Fulcrum
 * reports under another participant than the record names, runs on no known service. Only a Connected
 * agent is healthy: Fulcrum places services on Disabled and Disconnected agents too, and they would not run.
 */
export function fulcrumAgentTarget(
  agent: FulcrumAgentFacts,
  record: FulcrumAgentRecord | undefined,
  connection: string,
  catalog: ServiceCatalog,
): Target {
  const unknown = (detail: string): Membership => ({
    service: null,
    reason: reason('UnknownCloudService', { kind: 'FulcrumAgent', detail }),
  });
  let membership: Membership;
  if (!record) {
    membership = unknown(`no entry of FulcrumFederation ${connection} maps agent ${agent.id}`);
  } else if (record.participantId !== undefined && record.participantId !== agent.providerId) {
    membership = unknown(
      `FulcrumFederation ${connection} records it under participant ${record.participantId}, but Fulcrum reports it under ${agent.providerId ?? 'no participant'}`,
    );
  } else {
    const service = catalog.byName.get(record.cloudService);
    membership = service
      ? { service, reason: null }
      : unknown(
          `FulcrumFederation ${connection} names CloudService "${record.cloudService}", which does not exist`,
        );
  }
  const healthy = agent.status === 'Connected';
  return {
    kind: 'FulcrumAgent',
    name: agent.name === '' ? agent.id : agent.name,
    membership,
    country: record && COUNTRY_CODE.test(record.country) ? record.country : null,
    healthy,
    ...(healthy
      ? {}
      : { healthDetail: `Fulcrum reports it ${agent.status}, and only a Connected agent counts` }),
    cordoned: record?.cordoned === true,
  };
}
