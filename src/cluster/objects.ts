/**
 * Kubernetes objects as the API server sends them (list and watch JSON), typed by exactly what this
 * project reads. Fields that the code never reads are left out rather than typed loosely; every field
 * that is here is typed as the API defines it, so a reader can trust these types.
 */
import type { LabelSelector } from '../domain/selector.ts';

/** metav1.OwnerReference (only `kind`, `name` and `controller` are read). */
export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: OwnerReference[];
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
}

export interface NodeObject {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: { conditions?: NodeCondition[] };
}

export interface PodSchedulingGate {
  name: string;
}

/** A pod's volume: only the claim it mounts is read. */
export interface PodVolume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
}

export interface PodObject {
  metadata: ObjectMeta;
  spec?: { nodeName?: string; schedulingGates?: PodSchedulingGate[]; volumes?: PodVolume[] };
  status?: { phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | string };
}

export interface NamespaceObject {
  metadata: ObjectMeta;
}

/** policy/v1 PodDisruptionBudget: a null selector selects nothing, an empty one every pod. */
export interface PodDisruptionBudgetObject {
  metadata: ObjectMeta;
  spec?: { selector?: LabelSelector | null };
  status?: { disruptionsAllowed?: number };
}

/** core/v1 PersistentVolumeClaim: the class it names (null or absent: the default) and its bound volume. */
export interface PersistentVolumeClaimObject {
  metadata: ObjectMeta;
  spec?: { storageClassName?: string | null; volumeName?: string };
}

export interface NodeSelectorRequirementObject {
  key: string;
  operator: string;
  values?: string[];
}

/** core/v1 PersistentVolume: its class, CSI driver and required node affinity (where its data resides). */
export interface PersistentVolumeObject {
  metadata: ObjectMeta;
  spec?: {
    storageClassName?: string;
    csi?: { driver: string };
    claimRef?: { namespace?: string; name?: string };
    nodeAffinity?: {
      required?: { nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirementObject[] }[] };
    };
  };
}

/** storage.k8s.io/v1 StorageClass: its provisioner (a CSI driver name) and the default-class annotation. */
export interface StorageClassObject {
  metadata: ObjectMeta;
  provisioner?: string;
}

export const objectKey = (meta: ObjectMeta): string =>
  meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
