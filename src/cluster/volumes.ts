import { NodeFactLabels } from '../api/group.ts';
import type { AnyPolicy } from '../api/index.ts';
import type { ConformanceEvaluator, Verdict } from '../domain/conformance.ts';
import type { ConformanceRequirement } from '../domain/requirement.ts';
import {
  type ClaimStanding,
  type JudgedClass,
  type StorageCatalog,
  type StorageFacts,
  storageTarget,
} from '../domain/volumes.ts';
import type { Derived } from './facts.ts';
import { leadTimeOf } from './facts.ts';
import type {
  PersistentVolumeClaimObject,
  PersistentVolumeObject,
  PodObject,
  StorageClassObject,
} from './objects.ts';

/**
 * Volumes as the conformance engine sees them (docs/architecture.md, "The path of a volume"): the adapter
 * from PersistentVolume, PersistentVolumeClaim and StorageClass JSON to `StorageFacts`. Only records an
 * administrator writes count (StorageClasses, PersistentVolumes, CloudServices); a claim contributes only
 * which class it asks for and which volume it is bound to, never its labels.
 */

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const COUNTRY_CODE = /^[A-Z]{2}$/;

/**
 * The one country a volume's required node affinity pins it to: every term (terms are ORed) must require
 * the protected country label `In` a set of values; the union over terms must be one country. Null
 * otherwise: no affinity, a term without the label, or several countries.
 */
export function volumeCountry(volume: PersistentVolumeObject): string | null {
  const terms = volume.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return null;
  const countries = new Set<string>();
  for (const term of terms) {
    const pins = (term.matchExpressions ?? []).filter(
      (e) => e.key === NodeFactLabels.country && e.operator === 'In',
    );
    if (pins.length === 0) return null;
    // Expressions of a term are ANDed: the term allows the countries every pin allows.
    let allowed = new Set(pins[0]?.values ?? []);
    for (const pin of pins.slice(1)) allowed = new Set((pin.values ?? []).filter((v) => allowed.has(v)));
    for (const c of allowed) countries.add(c);
  }
  const [only, ...others] = [...countries];
  return only !== undefined && others.length === 0 && COUNTRY_CODE.test(only) ? only : null;
}

const classesByName = (classes: readonly StorageClassObject[]) =>
  new Map(classes.map((c) => [c.metadata.name, c]));

/** A PersistentVolume's facts: its class, its CSI driver and its class's provisioner, its country. */
export function volumeFacts(
  volume: PersistentVolumeObject,
  classes: ReadonlyMap<string, StorageClassObject>,
): StorageFacts {
  const className = volume.spec?.storageClassName || null;
  const provisioner = className === null ? undefined : classes.get(className)?.provisioner;
  const drivers = [volume.spec?.csi?.driver, provisioner].filter((d): d is string => !!d);
  return {
    kind: 'Volume',
    name: volume.metadata.name,
    storageClass: className,
    drivers: [...new Set(drivers)],
    country: volumeCountry(volume),
  };
}

/** A StorageClass's facts: its name and its provisioner. */
export const storageClassFacts = (storageClass: StorageClassObject): StorageFacts => ({
  kind: 'StorageClass',
  name: storageClass.metadata.name,
  storageClass: storageClass.metadata.name,
  drivers: storageClass.provisioner ? [storageClass.provisioner] : [],
  country: null,
});

/**
 * The default StorageClass, as the API server's DefaultStorageClass plugin picks it: among classes
 * annotated as default, the most recently created (then by name). Null when none is.
 */
export function defaultStorageClass(classes: readonly StorageClassObject[]): string | null {
  const defaults = classes
    .filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
    .sort((a, b) => {
      const ta = a.metadata.creationTimestamp ?? '';
      const tb = b.metadata.creationTimestamp ?? '';
      if (ta !== tb) return ta < tb ? 1 : -1;
      return a.metadata.name < b.metadata.name ? -1 : 1;
    });
  return defaults[0]?.metadata.name ?? null;
}

/**
 * The class a claim gets: the one it names; the default when it names none (absent or null); null when
 * it asks for no class ("") or none applies.
 */
export function claimStorageClass(
  spec: { storageClassName?: string | null } | undefined,
  classes: readonly StorageClassObject[],
): { storageClass: string | null; defaulted: boolean } {
  const named = spec?.storageClassName;
  if (named === undefined || named === null)
    return { storageClass: defaultStorageClass(classes), defaulted: true };
  return { storageClass: named === '' ? null : named, defaulted: false };
}

/** A requirement with the lead time of the policy that states it. */
export interface VolumeRequirement {
  readonly requirement: ConformanceRequirement;
  readonly expiryLeadTimeMs: number;
}

export const requirementOf = (policy: AnyPolicy): VolumeRequirement => ({
  requirement: policy.spec.requirement,
  expiryLeadTimeMs: leadTimeOf(policy),
});

const judge = (
  evaluator: ConformanceEvaluator,
  facts: StorageFacts,
  storage: StorageCatalog,
  requirements: readonly VolumeRequirement[],
): Verdict[] => {
  const target = storageTarget(facts, storage);
  return requirements.map((r) =>
    evaluator.evaluate(target, r.requirement, { expiryLeadTimeMs: r.expiryLeadTimeMs }),
  );
};

/** Every StorageClass judged under the requirements (one verdict per requirement). */
export function judgeStorageClasses(
  classes: readonly StorageClassObject[],
  requirements: readonly VolumeRequirement[],
  derived: Pick<Derived, 'evaluator' | 'storage'>,
): JudgedClass[] {
  return classes.map((c) => ({
    name: c.metadata.name,
    verdicts: judge(derived.evaluator, storageClassFacts(c), derived.storage, requirements),
  }));
}

/** The claims and volumes of the cluster, indexed once per plan. */
export interface VolumeIndex {
  readonly claims: ReadonlyMap<string, PersistentVolumeClaimObject>;
  readonly volumes: ReadonlyMap<string, PersistentVolumeObject>;
  readonly classes: readonly StorageClassObject[];
  readonly classesByName: ReadonlyMap<string, StorageClassObject>;
}

export function indexVolumes(state: {
  claims?: readonly PersistentVolumeClaimObject[];
  volumes?: readonly PersistentVolumeObject[];
  storageClasses?: readonly StorageClassObject[];
}): VolumeIndex {
  const classes = state.storageClasses ?? [];
  return {
    claims: new Map((state.claims ?? []).map((c) => [`${c.metadata.namespace ?? ''}/${c.metadata.name}`, c])),
    volumes: new Map((state.volumes ?? []).map((v) => [v.metadata.name, v])),
    classes,
    classesByName: classesByName(classes),
  };
}

/** Names of the claims a pod mounts, in the order of its volumes, without repeats. */
export const podClaims = (pod: PodObject): string[] => [
  ...new Set(
    (pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((n): n is string => !!n),
  ),
];

/**
 * What a claim is judged by: its bound PersistentVolume (a volume missing from the cache is one of
 * unknown residence), or while unbound its StorageClass (named or default).
 */
export function claimStorageFacts(claim: PersistentVolumeClaimObject, index: VolumeIndex): StorageFacts {
  const volumeName = claim.spec?.volumeName || null;
  if (volumeName !== null) {
    const volume = index.volumes.get(volumeName);
    if (volume) return volumeFacts(volume, index.classesByName);
    const storageClass = claim.spec?.storageClassName || null;
    return { kind: 'Volume', name: volumeName, storageClass, drivers: [], country: null };
  }
  const { storageClass } = claimStorageClass(claim.spec, index.classes);
  const cls = storageClass === null ? undefined : index.classesByName.get(storageClass);
  if (cls) return storageClassFacts(cls);
  return { kind: 'StorageClass', name: storageClass ?? '', storageClass, drivers: [], country: null };
}

/** Where each claim a pod mounts stands under the requirements (see claimStorageFacts). */
export function podClaimStandings(
  pod: PodObject,
  index: VolumeIndex,
  requirements: readonly VolumeRequirement[],
  derived: Pick<Derived, 'evaluator' | 'storage'>,
): ClaimStanding[] {
  const namespace = pod.metadata.namespace ?? '';
  return podClaims(pod).map((claim): ClaimStanding => {
    const object = index.claims.get(`${namespace}/${claim}`);
    if (!object) return { claim, volume: null, exists: false, verdicts: [] };
    return {
      claim,
      volume: object.spec?.volumeName || null,
      exists: true,
      verdicts: judge(derived.evaluator, claimStorageFacts(object, index), derived.storage, requirements),
    };
  });
}
