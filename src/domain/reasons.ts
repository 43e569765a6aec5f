import { NodeFactLabels } from '../api/group.ts';
import { formatDuration } from './duration.ts';
import type { Assurance, BadgeType } from './requirement.ts';
import { SCHEMES, type Scheme } from './schemes.ts';
import { formatInstant } from './time.ts';

/**
 * Every reason the engine can give, with its human sentence. Reasons are values, not strings scattered in
 * code: a controller sets them as condition reasons, the CLI prints them, the README documents them from
 * this one table (`reasonsMarkdown`), and a test keeps the README in step.
 *
 * Messages never say "in 3 hours": they name absolute instants, so a verdict computed at two instants
 * between the same transitions is identical, and caches and status updates do not churn.
 */

/**
 * What conformance judges: a node, a member cluster, a Fulcrum agent, a PersistentVolume, or a StorageClass
 * (its service only).
 */
export type TargetKind = 'Node' | 'MemberCluster' | 'FulcrumAgent' | 'Volume' | 'StorageClass';

type Decision = 'Conformance' | 'Placement' | 'Capacity' | 'Failover' | 'Volumes' | 'Node labels';

interface ReasonDefinition<Args extends unknown[]> {
  /** Which decision gives this reason. */
  readonly decision: Decision;
  /** True for reasons that say a decision went well (they never block anything). */
  readonly positive?: boolean;
  /** What the code means, for the documentation table. */
  readonly meaning: string;
  readonly message: (...args: Args) => string;
}

const define = <Args extends unknown[]>(d: ReasonDefinition<Args>): ReasonDefinition<Args> => d;

const NOUNS: Record<TargetKind, string> = {
  Node: 'node',
  MemberCluster: 'member cluster',
  FulcrumAgent: 'Fulcrum agent',
  Volume: 'volume',
  StorageClass: 'storage class',
};
const noun = (kind: TargetKind): string => NOUNS[kind];

interface BadgeRef {
  service: string;
  badge: BadgeType;
  area: string;
}
const badgeOf = (b: BadgeRef): string =>
  `The ${b.badge} badge of CloudService ${b.service} for area ${b.area}`;

export const Reasons = {
  // Conformance of a node or member cluster (docs/architecture.md, "Conformance").
  Conforming: define({
    decision: 'Conformance',
    positive: true,
    meaning: 'The node or member cluster meets every rule of the requirement at this instant.',
    message: (p: { kind: TargetKind; requirement: string }) =>
      `The ${noun(p.kind)} conforms to ${p.requirement}.`,
  }),
  UnknownArea: define({
    decision: 'Conformance',
    meaning:
      'The requirement names a SovereigntyArea that does not exist, so no country or jurisdiction can be checked.',
    message: (p: { area: string }) =>
      `No SovereigntyArea named "${p.area}" exists; nothing can conform to it.`,
  }),
  UnknownCloudService: define({
    decision: 'Conformance',
    meaning:
      'No CloudService claims the node (by its nodeSelector or the trusted cloud-service label), or the cluster names a CloudService that does not exist.',
    message: (p: { kind: TargetKind; detail: string }) =>
      `No known CloudService runs this ${noun(p.kind)}: ${p.detail}.`,
  }),
  AmbiguousCloudService: define({
    decision: 'Conformance',
    meaning: 'Several CloudServices claim the node; the operator never guesses which one runs it.',
    message: (p: { kind: TargetKind; services: readonly string[] }) =>
      `Several CloudServices claim this ${noun(p.kind)} (${p.services.join(', ')}); the operator does not guess which one runs it.`,
  }),
  BadgeMissing: define({
    decision: 'Conformance',
    meaning: 'The cloud service holds no badge of the required type for the required area.',
    message: (b: BadgeRef) => `CloudService ${b.service} holds no ${b.badge} badge for area ${b.area}.`,
  }),
  BadgeNotYetValid: define({
    decision: 'Conformance',
    meaning: 'The badge exists but its validity has not started (before validFrom).',
    message: (b: BadgeRef & { validFrom: number }) =>
      `${badgeOf(b)} is valid only from ${formatInstant(b.validFrom)}.`,
  }),
  BadgeExpired: define({
    decision: 'Conformance',
    meaning: 'The badge is no longer valid (at or after validUntil).',
    message: (b: BadgeRef & { validUntil: number }) =>
      `${badgeOf(b)} expired at ${formatInstant(b.validUntil)}.`,
  }),
  BadgeExpiringSoon: define({
    decision: 'Conformance',
    meaning:
      'The badge expires within the expiry lead time. It already counts as non-conforming, so workloads move while the old place is still compliant.',
    message: (b: BadgeRef & { validUntil: number; leadTimeMs: number }) =>
      `${badgeOf(b)} expires at ${formatInstant(b.validUntil)}; within the lead time of ${formatDuration(b.leadTimeMs)} it no longer counts, so workloads move before it lapses.`,
  }),
  BadgeRevoked: define({
    decision: 'Conformance',
    meaning: 'The badge was revoked (at or after revokedAt).',
    message: (b: BadgeRef & { revokedAt: number }) =>
      `${badgeOf(b)} was revoked at ${formatInstant(b.revokedAt)}.`,
  }),
  AssuranceTooLow: define({
    decision: 'Conformance',
    meaning:
      'The badge is held at a lower assurance than required (SelfDeclared ranks below ThirdPartyCertified).',
    message: (b: BadgeRef & { assurance: Assurance; minimum: Assurance }) =>
      `${badgeOf(b)} is ${b.assurance}; the requirement needs ${b.minimum} or higher.`,
  }),
  JurisdictionOutsideArea: define({
    decision: 'Conformance',
    meaning: "For a Sovereign badge: the provider's legal jurisdiction is not a country of the area.",
    message: (p: { service: string; provider: string; jurisdiction: string; area: string }) =>
      `Provider ${p.provider} of CloudService ${p.service} is under the law of ${p.jurisdiction}, outside area ${p.area}; a Sovereign badge needs it inside.`,
  }),
  ParentJurisdictionOutsideArea: define({
    decision: 'Conformance',
    meaning:
      "For a Sovereign badge: the jurisdiction of the provider's ultimate parent is not a country of the area.",
    message: (p: { service: string; provider: string; parent: string; jurisdiction: string; area: string }) =>
      `${p.parent}, ultimate parent of provider ${p.provider} of CloudService ${p.service}, is under the law of ${p.jurisdiction}, outside area ${p.area}; a Sovereign badge needs it inside.`,
  }),
  SchemeLevelTooLow: define({
    decision: 'Conformance',
    meaning:
      'The cloud service does not hold the minimum level required under another scheme (SEAL, Gaia-X, SecNumCloud, EUCS).',
    message: (p: { service: string; scheme: Scheme; held: string | undefined; minimum: string }) =>
      `CloudService ${p.service} holds ${p.held === undefined ? `no ${SCHEMES[p.scheme].title}` : `${SCHEMES[p.scheme].title} ${p.held}`}; the requirement needs ${SCHEMES[p.scheme].title} ${p.minimum} or higher.`,
  }),
  CountryUnknown: define({
    decision: 'Conformance',
    meaning: `The node's country is not known from trusted data: the protected label ${NodeFactLabels.country} is missing or not an ISO 3166-1 alpha-2 code.`,
    message: (p: { kind: TargetKind }) =>
      p.kind === 'Node'
        ? `The node's country is not known from trusted data: its label ${NodeFactLabels.country} is missing or not an upper-case ISO 3166-1 alpha-2 code.`
        : `The ${noun(p.kind)}'s country is not known.`,
  }),
  CountryOutsideArea: define({
    decision: 'Conformance',
    meaning: 'The node or member cluster is physically in a country outside the area.',
    message: (p: { kind: TargetKind; country: string; area: string }) =>
      `The ${noun(p.kind)} is in ${p.country}, outside area ${p.area}.`,
  }),
  VolumeResidenceUnknown: define({
    decision: 'Conformance',
    meaning: `The PersistentVolume's country is not known from trusted data: its required node affinity does not pin it, in every term, to one country by the protected label ${NodeFactLabels.country}. Labels of a claim never count.`,
    message: () =>
      `The volume's country is not known from trusted data: its spec.nodeAffinity.required does not pin it, in every term, to one country by the protected label ${NodeFactLabels.country}.`,
  }),
  VolumeOutsideArea: define({
    decision: 'Conformance',
    meaning:
      "The PersistentVolume's node affinity pins it to a country outside the area: its data resides there.",
    message: (p: { country: string; area: string }) =>
      `The volume's data resides in ${p.country} (its node affinity), outside area ${p.area}.`,
  }),
  TargetCordoned: define({
    decision: 'Conformance',
    meaning: 'The node or member cluster is cordoned for sovereignty reasons by an administrator.',
    message: (p: { kind: TargetKind }) =>
      p.kind === 'Node'
        ? `The node is cordoned for sovereignty reasons (label ${NodeFactLabels.cordoned}="true").`
        : p.kind === 'FulcrumAgent'
          ? 'The Fulcrum agent is cordoned (its entry in the FulcrumFederation says cordoned: true).'
          : 'The member cluster is cordoned (spec.cordoned is true).',
  }),
  ControlPlaneNotConforming: define({
    decision: 'Conformance',
    meaning:
      "The member cluster's Kubernetes control plane (a Critical Asset) is operated by another CloudService (spec.controlPlaneCloudService), and that service does not meet the requirement, or does not exist.",
    message: (p: { service: string; why: readonly string[] }) =>
      `The member cluster's control plane is operated by CloudService ${p.service}, which does not meet the requirement: ${p.why.join(' ')}`,
  }),
  TargetUnhealthy: define({
    decision: 'Conformance',
    meaning:
      'The member cluster is not healthy (not ready, or unreachable past its grace period), or the Fulcrum agent is not Connected (Fulcrum would still place services on a Disabled or Disconnected agent).',
    message: (p: { kind: TargetKind; detail?: string }) =>
      p.detail === undefined
        ? `The ${noun(p.kind)} is not healthy.`
        : `The ${noun(p.kind)} is not healthy: ${p.detail}.`,
  }),

  // Choosing member clusters for a SovereignWorkload (docs/architecture.md, "One idea at every level").
  Placed: define({
    decision: 'Placement',
    positive: true,
    meaning: 'The workload runs on as many conforming, healthy clusters as it asks, spread as asked.',
    message: (p: { clusters: number; providers: number }) =>
      `Placed on ${p.clusters} conforming member cluster${p.clusters === 1 ? '' : 's'} of ${p.providers} provider${p.providers === 1 ? '' : 's'}.`,
  }),
  NotSelected: define({
    decision: 'Placement',
    meaning:
      'The cluster conforms but was not chosen: the workload already has the clusters it needs. It is a failover candidate.',
    message: (p: { clusters: number }) =>
      `Conforms, but the workload already has the ${p.clusters} cluster${p.clusters === 1 ? '' : 's'} it needs; kept as a failover candidate.`,
  }),
  NoConformingCapacity: define({
    decision: 'Placement',
    meaning:
      'Fewer conforming, healthy places exist than needed. The operator places what conforms and never falls back to a non-conforming place.',
    message: (p: { needed: number; found: number; what: 'node' | 'member cluster' }) =>
      p.found === 0
        ? `No ${p.what} conforms; the operator never falls back to a non-conforming one.`
        : `Only ${p.found} conforming ${p.what}${p.found === 1 ? '' : 's'} for the ${p.needed} needed; the operator never falls back to a non-conforming one.`,
  }),
  SpreadNotMet: define({
    decision: 'Placement',
    meaning:
      'The chosen clusters span fewer providers than spreadAcrossProviders asks, because no more conforming providers exist.',
    message: (p: { providers: number; wanted: number }) =>
      `The chosen clusters span ${p.providers} provider${p.providers === 1 ? '' : 's'}, ${p.wanted} were asked; no other provider has a conforming cluster.`,
  }),
  TooFewProviders: define({
    decision: 'Capacity',
    meaning:
      'Conforming capacity exists on fewer distinct providers than minimumProviders asks (redeployability of Resilient workloads).',
    message: (p: { providers: number; needed: number }) =>
      `Conforming capacity exists on ${p.providers} provider${p.providers === 1 ? '' : 's'}; the requirement needs ${p.needed}.`,
  }),

  // Moving pods off nodes that stopped conforming (docs/architecture.md, "The path of a Pod").
  NodeNotConforming: define({
    decision: 'Failover',
    meaning:
      'The pod runs on a node that no longer conforms; it is evicted so that its controller recreates it on a conforming node.',
    message: (p: { node: string; recreated: boolean }) =>
      p.recreated
        ? `Node ${p.node} no longer conforms; the pod is evicted so that its controller recreates it on a conforming node.`
        : `Node ${p.node} no longer conforms; the pod is evicted, and as it has no controller nothing recreates it.`,
  }),
  EvictedWithoutCapacity: define({
    decision: 'Failover',
    meaning:
      'The node no longer conforms and no conforming capacity exists; with onNoConformingCapacity Evict the pod is evicted anyway (compliance first) and its replacement stays Pending.',
    message: (p: { node: string }) =>
      `Node ${p.node} no longer conforms and no conforming capacity exists; the pod is evicted anyway (onNoConformingCapacity: Evict) and its replacement stays Pending until conforming capacity appears.`,
  }),
  GracePeriodPending: define({
    decision: 'Failover',
    meaning:
      "The node stopped conforming less than the policy's gracePeriod ago; eviction waits until the grace period ends.",
    message: (p: { node: string; since: number; until: number }) =>
      `Node ${p.node} stopped conforming at ${formatInstant(p.since)}; the grace period ends at ${formatInstant(p.until)}.`,
  }),
  RateLimited: define({
    decision: 'Failover',
    meaning: "The policy's maxEvictionsPerMinute is used up; eviction waits for the next window.",
    message: (p: { max: number; until: number }) =>
      `The policy made its ${p.max} eviction${p.max === 1 ? '' : 's'} of this minute (maxEvictionsPerMinute); the next window opens at ${formatInstant(p.until)}.`,
  }),
  DisruptionBudgetExhausted: define({
    decision: 'Failover',
    meaning: 'A PodDisruptionBudget covering the pod allows no more disruptions now; eviction waits for it.',
    message: (p: { budget: string }) =>
      `PodDisruptionBudget ${p.budget} allows no more disruptions now; eviction waits until it does.`,
  }),
  MultipleDisruptionBudgets: define({
    decision: 'Failover',
    meaning: 'Several PodDisruptionBudgets cover the pod; the Eviction API refuses to evict such pods.',
    message: (p: { budgets: readonly string[] }) =>
      `Several PodDisruptionBudgets cover the pod (${p.budgets.join(', ')}); the Eviction API refuses to evict it.`,
  }),
  RetainedWithoutCapacity: define({
    decision: 'Failover',
    meaning:
      'The node no longer conforms but no conforming capacity exists, and the policy says onNoConformingCapacity Retain: the pod stays.',
    message: (p: { node: string }) =>
      `Node ${p.node} no longer conforms, but no conforming capacity exists and onNoConformingCapacity is Retain: the pod stays.`,
  }),
  AuditOnly: define({
    decision: 'Failover',
    meaning:
      'The pod runs on a non-conforming node, but the policy is in Audit mode: it is reported, never evicted.',
    message: (p: { node: string }) =>
      `Node ${p.node} does not conform; the policy is in Audit mode, so nothing is evicted.`,
  }),
  ReplacementNotPinned: define({
    decision: 'Failover',
    meaning:
      'The policy is Enforce but its namespace is not enrolled, so admission does not pin replacement pods: evicting would only move the pod to another node that may not conform, again and again. Nothing is evicted until the namespace is enrolled.',
    message: (p: { node: string; namespace: string }) =>
      `Node ${p.node} does not conform, but namespace ${p.namespace} is not enrolled: a replacement would not be pinned to conforming nodes, so nothing is evicted.`,
  }),
  PodTerminating: define({
    decision: 'Failover',
    meaning:
      'The pod is already terminating (for example after an earlier eviction); it is not evicted again.',
    message: () => 'The pod is already terminating; it is not evicted again.',
  }),
  NodeVerdictUnknown: define({
    decision: 'Failover',
    meaning: 'No verdict is known for the node the pod runs on; nothing is evicted on unknown facts.',
    message: (p: { node: string }) =>
      `No verdict is known for node ${p.node}; nothing is evicted on unknown facts.`,
  }),

  LeavingMemberCluster: define({
    decision: 'Failover',
    meaning:
      'A SovereignWorkload is leaving a member cluster it ran on. A copy on a member that no longer conforms is removed at once (compliance first) unless the workload says otherwise; one on a member that still conforms (badge within the expiry lead time, cordoned, spread) or cannot be reached is removed once the replacement is Available; a copy is only removed from a reachable member.',
    message: (p: {
      cluster: string;
      cause: 'NotConforming' | 'ExpiringSoon' | 'Cordoned' | 'Unreachable' | 'NotSelected' | 'MemberDeleted';
      removal: 'Now' | 'AfterReplacementAvailable' | 'Retained';
      due: boolean;
      reachable: boolean;
    }) => {
      const why = {
        NotConforming: 'it no longer conforms',
        ExpiringSoon: 'its badge expires within the expiry lead time',
        Cordoned: 'it is cordoned',
        Unreachable: 'it is unreachable past its grace period',
        NotSelected: 'another provider is needed for the spread',
        MemberDeleted: 'its MemberCluster was deleted',
      }[p.cause];
      const when =
        p.removal === 'Retained'
          ? 'its copy is retained (onNoConformingCapacity: Retain) until the workload is Available elsewhere'
          : p.removal === 'Now'
            ? 'its copy is removed at once'
            : 'its copy is removed once the replacement is Available';
      const waiting = p.due && !p.reachable ? '; the removal waits until the member is reachable again' : '';
      return `Leaving member cluster ${p.cluster}: ${why}; ${when}${waiting}.`;
    },
  }),

  // Volumes of selected pods (docs/architecture.md, "The path of a volume").
  StorageClassNotConforming: define({
    decision: 'Volumes',
    meaning:
      'A PersistentVolumeClaim that an Enforce policy selects names (or defaults to) a StorageClass whose storage service does not conform, or no class at all: admission refuses it and names the classes that would do.',
    message: (p: {
      claim: string;
      storageClass: string | null;
      defaulted: boolean;
      why: readonly string[];
      conforming: readonly string[];
    }) => {
      const named =
        p.storageClass === null
          ? `PersistentVolumeClaim ${p.claim} names no StorageClass in spec.storageClassName and no default StorageClass applies`
          : `PersistentVolumeClaim ${p.claim} ${p.defaulted ? 'gets the default StorageClass' : 'names StorageClass'} "${p.storageClass}" in spec.storageClassName${p.defaulted ? ' (unset)' : ''}, which does not conform: ${p.why.join(' ')}`;
      const would =
        p.conforming.length === 0
          ? 'No StorageClass conforms: claim a class of a conforming storage service (CloudService spec.storage).'
          : `StorageClasses that would do: ${p.conforming.join(', ')}.`;
      return `${named.trimEnd().replace(/[.]$/, '')}. ${would}`;
    },
  }),
  VolumeNotConforming: define({
    decision: 'Volumes',
    meaning:
      'A selected pod mounts a claim whose volume (or, while unbound, whose StorageClass) does not conform, or a claim that does not exist. A pod not yet scheduled keeps its scheduling gate; for a running pod the operator moves nothing, as data cannot be evicted like a pod: the team moves the data.',
    message: (p: {
      pod: string;
      claim: string;
      volume: string | null;
      missing?: boolean;
      running: boolean;
      why: readonly string[];
    }) => {
      const what = p.missing
        ? `Pod ${p.pod} mounts claim ${p.claim}, which does not exist`
        : p.volume === null
          ? `Pod ${p.pod} mounts claim ${p.claim}, not bound yet, whose StorageClass does not conform: ${p.why.join(' ')}`
          : `Pod ${p.pod} mounts claim ${p.claim}, bound to volume ${p.volume}, which does not conform: ${p.why.join(' ')}`;
      const then = p.running
        ? 'Data cannot be evicted like a pod: the operator moves nothing; move the data to a volume of a conforming StorageClass.'
        : 'The pod keeps its scheduling gate until its volumes conform.';
      return `${what.trimEnd().replace(/[.]$/, '')}. ${then}`;
    },
  }),

  // Facts versus informational labels (docs/architecture.md, "Trust model").
  InformationalLabelMismatch: define({
    decision: 'Node labels',
    meaning:
      'An informational label (which anyone may set) disagrees with the trusted facts. It is never used for a verdict; the operator reports it.',
    message: (p: { label: string; value: string; fact: string; factValue: string | undefined }) =>
      `Informational label ${p.label}="${p.value}" disagrees with the trusted ${p.fact} (${p.factValue === undefined ? 'not known' : `"${p.factValue}"`}); it is ignored.`,
  }),
} as const;

export type ReasonCode = keyof typeof Reasons;

/** Every code as a constant (`ReasonCode.BadgeExpired === 'BadgeExpired'`). */
export const ReasonCode = Object.freeze(
  Object.fromEntries(Object.keys(Reasons).map((code) => [code, code])) as { readonly [C in ReasonCode]: C },
);

export const REASON_CODES = Object.keys(Reasons) as ReasonCode[];

/** A machine-readable code with its sentence: the shape of status `reasons` entries. */
export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
}

type ReasonArgs<C extends ReasonCode> = Parameters<(typeof Reasons)[C]['message']>;

/** Builds a reason: `reason('BadgeExpired', { service, badge, area, validUntil })`. */
export function reason<C extends ReasonCode>(code: C, ...args: ReasonArgs<C>): Reason {
  const message = (Reasons[code].message as (...a: ReasonArgs<C>) => string)(...args);
  return { code, message };
}

export const isPositive = (code: ReasonCode): boolean =>
  (Reasons[code] as ReasonDefinition<unknown[]>).positive === true;

const cell = (text: string): string => text.replaceAll('|', '\\|');

/** The Markdown table of every reason code, as the README's "How decisions are made" shows it. */
export function reasonsMarkdown(): string {
  const rows = REASON_CODES.map((code) => {
    const d = Reasons[code] as ReasonDefinition<unknown[]>;
    return `| \`${code}\` | ${d.decision} | ${cell(d.meaning)} |`;
  });
  return `${['| Reason | Decision | Meaning |', '| --- | --- | --- |', ...rows].join('\n')}\n`;
}
