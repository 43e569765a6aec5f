import type { CloudService } from '../api/index.ts';
import type { Verdict } from './conformance.ts';
import { type Reason, reason } from './reasons.ts';
import type { Membership, Target } from './target.ts';

/**
 * Data residency (docs/architecture.md, "The path of a volume"). A PersistentVolume is judged by the
 * same conformance engine as a node: its service is the CloudService that claims its StorageClass or its
 * CSI driver (`spec.storage`, RBAC-restricted records), its country the one its required node affinity
 * pins it to by the protected country label. Labels of a claim, which any user of the namespace may set,
 * never count.
 */

export interface StorageCatalog {
  /** Services claiming each StorageClass name. */
  readonly byClass: ReadonlyMap<string, readonly CloudService[]>;
  /** Services claiming each CSI driver (provisioner) name. */
  readonly byDriver: ReadonlyMap<string, readonly CloudService[]>;
}

export function indexStorage(services: readonly CloudService[]): StorageCatalog {
  const byClass = new Map<string, CloudService[]>();
  const byDriver = new Map<string, CloudService[]>();
  const add = (map: Map<string, CloudService[]>, key: string, service: CloudService) => {
    const list = map.get(key) ?? [];
    if (!list.includes(service)) list.push(service);
    map.set(key, list);
  };
  for (const service of services) {
    for (const name of service.spec.storage?.storageClasses ?? []) add(byClass, name, service);
    for (const name of service.spec.storage?.csiDrivers ?? []) add(byDriver, name, service);
  }
  return { byClass, byDriver };
}

/** What the trusted records say of a volume or a class: its class name and its CSI drivers. */
export interface StorageFacts {
  readonly kind: 'Volume' | 'StorageClass';
  readonly name: string;
  /** The StorageClass name; null when none. */
  readonly storageClass: string | null;
  /** The CSI driver of the volume and the provisioner of its class, when known. */
  readonly drivers: readonly string[];
  /** Volumes only: the one country their node affinity pins them to; null when not known. */
  readonly country: string | null;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The CloudService that stores a volume or a class's volumes: exactly one claimant, never a guess. */
export function storageMembership(facts: StorageFacts, catalog: StorageCatalog): Membership {
  const claimants = new Set<CloudService>();
  if (facts.storageClass !== null)
    for (const s of catalog.byClass.get(facts.storageClass) ?? []) claimants.add(s);
  for (const driver of facts.drivers) for (const s of catalog.byDriver.get(driver) ?? []) claimants.add(s);
  const [only, ...others] = [...claimants];
  if (only && others.length === 0) return { service: only, reason: null };
  if (only) {
    const services = [...claimants].map((s) => s.metadata.name).sort(compare);
    return { service: null, reason: reason('AmbiguousCloudService', { kind: facts.kind, services }) };
  }
  const named = [
    facts.storageClass === null ? 'it has no StorageClass' : `its StorageClass "${facts.storageClass}"`,
    ...(facts.drivers.length === 0 ? [] : [`CSI driver "${[...new Set(facts.drivers)].join('", "')}"`]),
  ];
  const detail = `no CloudService's spec.storage claims ${named.join(' or its ')}`;
  return { service: null, reason: reason('UnknownCloudService', { kind: facts.kind, detail }) };
}

/** A volume or class as conformance sees it. Volumes are never cordoned nor unhealthy here. */
export function storageTarget(facts: StorageFacts, catalog: StorageCatalog): Target {
  return {
    kind: facts.kind,
    name: facts.name,
    membership: storageMembership(facts, catalog),
    country: facts.kind === 'Volume' ? facts.country : null,
    healthy: true,
    cordoned: false,
  };
}

/** A StorageClass and its verdicts under every requirement that applies (one per Enforce policy). */
export interface JudgedClass {
  readonly name: string;
  readonly verdicts: readonly Verdict[];
}

const conformsAll = (c: JudgedClass) => c.verdicts.every((v) => v.conforms);
const failing = (verdicts: readonly Verdict[]): string[] => [
  ...new Set(verdicts.filter((v) => !v.conforms).flatMap((v) => v.reasons.map((r) => r.message))),
];

export interface ClaimAdmission {
  /** namespace/name of the claim (or its generateName), for the sentence. */
  readonly claim: string;
  /** The class the claim names, or the default one when it names none; null when neither. */
  readonly storageClass: string | null;
  readonly defaulted: boolean;
  /** Every StorageClass of the cluster, judged under the requirements of the policies selecting the claim. */
  readonly classes: readonly JudgedClass[];
}

/**
 * Admission of a claim that Enforce policies select: its StorageClass must conform to every one of
 * their requirements. Null when it does; else the refusal, naming the field and the classes that would do.
 */
export function claimRefusal(input: ClaimAdmission): Reason | null {
  const judged = input.classes.find((c) => c.name === input.storageClass);
  if (judged && conformsAll(judged)) return null;
  const why =
    input.storageClass === null
      ? []
      : judged
        ? failing(judged.verdicts)
        : [`No StorageClass named "${input.storageClass}" exists.`];
  return reason('StorageClassNotConforming', {
    claim: input.claim,
    storageClass: input.storageClass,
    defaulted: input.defaulted,
    why,
    conforming: input.classes
      .filter(conformsAll)
      .map((c) => c.name)
      .sort(compare),
  });
}

/** Where a claim mounted by a pod stands: its bound volume's verdicts, or its class's while unbound. */
export interface ClaimStanding {
  readonly claim: string;
  /** The bound PersistentVolume; null while unbound. */
  readonly volume: string | null;
  /** False when the claim does not exist. */
  readonly exists: boolean;
  /** The volume's (bound) or StorageClass's (unbound) verdicts, one per requirement. */
  readonly verdicts: readonly Verdict[];
}

/**
 * Why a pod's volumes keep it from running conformingly: one VolumeNotConforming per claim that does not
 * exist, or whose volume (or, unbound, whose class) does not conform. Empty when every claim conforms.
 * `running`: the pod already runs, so the reason says that data is not moved; else that the gate stays.
 */
export function volumeProblems(pod: string, claims: readonly ClaimStanding[], running: boolean): Reason[] {
  const problems: Reason[] = [];
  for (const c of claims) {
    if (!c.exists) {
      problems.push(
        reason('VolumeNotConforming', {
          pod,
          claim: c.claim,
          volume: null,
          missing: true,
          running,
          why: [],
        }),
      );
      continue;
    }
    if (c.verdicts.every((v) => v.conforms)) continue;
    problems.push(
      reason('VolumeNotConforming', {
        pod,
        claim: c.claim,
        volume: c.volume,
        running,
        why: failing(c.verdicts),
      }),
    );
  }
  return problems;
}
