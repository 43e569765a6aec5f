import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/group.ts';
import { type KubeRequest, kubeRequest } from '../kube/request.ts';

/**
 * The few writes the operator makes, as plain JSON requests: client-node's typed clients serialise their
 * own models, which would turn patches of plain objects into something else.
 */
export class KubeWriter {
  private readonly kc: KubeConfig;
  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  private send<T>(req: KubeRequest): Promise<T> {
    return kubeRequest<T>(this.kc, req);
  }

  mergePatchNode(name: string, patch: unknown) {
    return this.send({
      method: 'PATCH',
      path: `/api/v1/nodes/${encodeURIComponent(name)}`,
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  jsonPatchPod(namespace: string, name: string, patch: unknown[]) {
    return this.send({
      method: 'PATCH',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
      body: patch,
      contentType: 'application/json-patch+json',
    });
  }

  /** The Eviction API: the API server checks PodDisruptionBudgets and answers 429 when one forbids it. */
  /**
   * Evicts the pod as the operator last saw it: with its uid and resourceVersion as preconditions, a
   * second eviction of a pod that an eviction already reached (deletionTimestamp set, so a new
   * resourceVersion) is refused with 409 instead of succeeding again, whichever replica sends it.
   */
  evictPod(namespace: string, name: string, seen?: { uid?: string; resourceVersion?: string }) {
    const preconditions =
      seen?.uid || seen?.resourceVersion
        ? { preconditions: { uid: seen.uid, resourceVersion: seen.resourceVersion } }
        : {};
    return this.send({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`,
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name, namespace },
        ...(Object.keys(preconditions).length ? { deleteOptions: preconditions } : {}),
      },
    });
  }

  /**
   * Server-side apply of a `wgpolicyk8s.io/v1alpha2` PolicyReport: the operator owns every field it
   * sets, and a field it stops setting is removed.
   */
  applyPolicyReport(report: { metadata: { namespace: string; name: string } }) {
    const { namespace, name } = report.metadata;
    return this.send({
      method: 'PATCH',
      path: `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${encodeURIComponent(namespace)}/policyreports/${encodeURIComponent(name)}?fieldManager=sovereign-placement&force=true`,
      body: report,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** Server-side apply of a cluster-scoped `wgpolicyk8s.io/v1alpha2` ClusterPolicyReport (nodes, member clusters). */
  applyClusterPolicyReport(report: { metadata: { name: string } }) {
    return this.send({
      method: 'PATCH',
      path: `/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/${encodeURIComponent(report.metadata.name)}?fieldManager=sovereign-placement&force=true`,
      body: report,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** A merge patch of a custom resource of the project's group (labels of a MemberCluster). */
  mergePatchCustom(plural: string, namespace: string | undefined, name: string, patch: unknown) {
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return this.send({
      method: 'PATCH',
      path: `/apis/${GROUP}/${VERSION}${ns}/${plural}/${encodeURIComponent(name)}`,
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /**
   * A merge patch of the status. With `resourceVersion` the API server refuses it (409) when the object
   * changed since it was read, so a status computed from a stale cache never overwrites a newer one.
   */
  mergePatchStatus(
    plural: string,
    namespace: string | undefined,
    name: string,
    status: unknown,
    resourceVersion?: string,
  ) {
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return this.send<{ metadata?: { resourceVersion?: string } } | undefined>({
      method: 'PATCH',
      path: `/apis/${GROUP}/${VERSION}${ns}/${plural}/${encodeURIComponent(name)}/status`,
      body: resourceVersion === undefined ? { status } : { metadata: { resourceVersion }, status },
      contentType: 'application/merge-patch+json',
    });
  }
}
