import type { KubeConfig } from '@kubernetes/client-node';
import { WORKLOAD_ANNOTATION, WORKLOAD_UID_LABEL } from '../../cluster/workload-plan.ts';
import { KubeApiError, kubeRequest } from '../../kube/request.ts';

/**
 * What the hub does on a member cluster for a SovereignWorkload: create its namespace when missing,
 * server-side apply its manifests under the hub's own field manager, read whether they are Available, and
 * remove them, found by the workload's uid label (never from the hub's memory alone). Every request is
 * bounded by a timeout, so an unresponsive member only delays its own workloads' rounds.
 */

export const HUB_FIELD_MANAGER = 'sovereign-placement-hub';
const TIMEOUT_MS = 10_000;
/** A member is not trusted to answer sanely: no answer of more than this is read. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** At most this many copies of one kind are read in one list (a workload has at most 100 manifests). */
const LIST_LIMIT = 500;

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

interface Resolved {
  /** Collection path in the workload's namespace (or cluster-wide for a cluster-scoped kind). */
  collection: (namespace: string) => string;
  namespaced: boolean;
}

export interface WorkloadIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** Member-side metadata the hub strips: they belong to the hub's object, or make no sense elsewhere. */
const STRIPPED_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'ownerReferences',
  'selfLink',
];

export class MemberClient {
  private readonly kc: KubeConfig;
  readonly member: string;
  /** groupVersion → kind → resource, from the member's discovery; refreshed when a kind is not found. */
  private readonly discovery = new Map<string, Map<string, ApiResource>>();

  constructor(member: string, kc: KubeConfig) {
    this.member = member;
    this.kc = kc;
  }

  private request<T>(req: Parameters<typeof kubeRequest>[1]): Promise<T> {
    return kubeRequest<T>(this.kc, { timeoutMs: TIMEOUT_MS, maxBytes: MAX_ANSWER_BYTES, ...req });
  }

  private async resolve(apiVersion: string, kind: string): Promise<Resolved> {
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let kinds = this.discovery.get(apiVersion);
    if (!kinds?.has(kind)) {
      let list: { resources?: ApiResource[] };
      try {
        list = await this.request<{ resources?: ApiResource[] }>({ path: root });
      } catch (error) {
        if (error instanceof KubeApiError && error.statusCode === 404)
          throw new Error(`the member serves no API ${apiVersion}`);
        throw error;
      }
      kinds = new Map();
      for (const r of list.resources ?? []) if (!r.name.includes('/')) kinds.set(r.kind, r);
      this.discovery.set(apiVersion, kinds);
    }
    const resource = kinds.get(kind);
    if (!resource) throw new Error(`the member serves no kind ${kind} in ${apiVersion}`);
    const plural = encodeURIComponent(resource.name);
    return {
      namespaced: resource.namespaced,
      collection: (namespace) =>
        resource.namespaced
          ? `${root}/namespaces/${encodeURIComponent(namespace)}/${plural}`
          : `${root}/${plural}`,
    };
  }

  /** Creates the namespace when missing (never changes or deletes one that exists). */
  async ensureNamespace(namespace: string): Promise<void> {
    try {
      await this.request({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}` });
      return;
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.statusCode !== 404) throw error;
    }
    try {
      await this.request({
        method: 'POST',
        path: '/api/v1/namespaces',
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      });
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.statusCode !== 409) throw error;
    }
  }

  /** Server-side apply of one manifest into the workload's namespace, labelled with the workload. */
  async apply(manifest: Manifest, workload: WorkloadIdentity): Promise<void> {
    const { collection, namespaced } = await this.resolve(manifest.apiVersion, manifest.kind);
    if (!namespaced)
      throw new Error(
        `${manifest.kind} is cluster-scoped on the member; a workload applies namespaced objects only`,
      );
    const body = copyOf(manifest, workload);
    await this.request({
      method: 'PATCH',
      path: `${collection(workload.namespace)}/${encodeURIComponent(manifest.metadata.name)}`,
      query: { fieldManager: HUB_FIELD_MANAGER, force: true },
      body,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /**
   * Whether the copy of one manifest is there and Available: Deployments and StatefulSets when every
   * replica of their current generation is available; anything else when it exists.
   */
  async copyState(
    manifest: Manifest,
    workload: WorkloadIdentity,
  ): Promise<'Missing' | 'NotAvailable' | 'Available'> {
    const { collection } = await this.resolve(manifest.apiVersion, manifest.kind);
    let object: {
      metadata?: { generation?: number; labels?: Record<string, string> };
      spec?: { replicas?: number };
      status?: { observedGeneration?: number; availableReplicas?: number };
    };
    try {
      object = await this.request({
        path: `${collection(workload.namespace)}/${encodeURIComponent(manifest.metadata.name)}`,
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return 'Missing';
      throw error;
    }
    if (manifest.kind !== 'Deployment' && manifest.kind !== 'StatefulSet') return 'Available';
    const wanted = typeof object.spec?.replicas === 'number' ? object.spec.replicas : 1;
    const current = (object.status?.observedGeneration ?? 0) >= (object.metadata?.generation ?? 0);
    return current && (object.status?.availableReplicas ?? 0) >= wanted ? 'Available' : 'NotAvailable';
  }

  /**
   * Deletes the workload's objects of these kinds found by its uid label, except those named in `keep`
   * (`kind/name`). Returns how many were still there (0 when the member is clean of them).
   */
  async removeCopies(
    kinds: readonly { apiVersion: string; kind: string }[],
    workload: WorkloadIdentity,
    keep: ReadonlySet<string> = new Set(),
  ): Promise<number> {
    let found = 0;
    for (const { apiVersion, kind } of uniqueKinds(kinds)) {
      let resolved: Resolved;
      try {
        resolved = await this.resolve(apiVersion, kind);
      } catch {
        continue; // A kind the member does not serve holds no copy.
      }
      const list = await this.request<{ items?: { metadata: { name: string; namespace?: string } }[] }>({
        path: resolved.collection(workload.namespace),
        query: { labelSelector: `${WORKLOAD_UID_LABEL}=${workload.uid}`, limit: LIST_LIMIT },
      });
      for (const item of list.items ?? []) {
        if (keep.has(`${kind}/${item.metadata.name}`)) continue;
        found++;
        try {
          await this.request({
            method: 'DELETE',
            path: `${resolved.collection(workload.namespace)}/${encodeURIComponent(item.metadata.name)}`,
            body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
          });
        } catch (error) {
          if (!(error instanceof KubeApiError) || error.statusCode !== 404) throw error;
        }
      }
    }
    return found;
  }
}

function uniqueKinds(kinds: readonly { apiVersion: string; kind: string }[]) {
  const seen = new Map<string, { apiVersion: string; kind: string }>();
  for (const k of kinds) seen.set(`${k.apiVersion}|${k.kind}`, { apiVersion: k.apiVersion, kind: k.kind });
  return [...seen.values()];
}

/** The object applied to the member: the manifest in the workload's namespace, labelled with its workload. */
export function copyOf(manifest: Manifest, workload: WorkloadIdentity): Manifest {
  const metadata: Record<string, unknown> = { ...manifest.metadata };
  for (const key of STRIPPED_METADATA) delete metadata[key];
  const labels = (metadata.labels ?? {}) as Record<string, string>;
  const annotations = (metadata.annotations ?? {}) as Record<string, string>;
  const { status: _status, ...rest } = manifest;
  return {
    ...rest,
    metadata: {
      ...metadata,
      name: manifest.metadata.name,
      namespace: workload.namespace,
      labels: { ...labels, [WORKLOAD_UID_LABEL]: workload.uid },
      annotations: { ...annotations, [WORKLOAD_ANNOTATION]: `${workload.namespace}/${workload.name}` },
    },
  } as Manifest;
}
