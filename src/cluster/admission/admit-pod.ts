import type { SovereigntyPolicy } from '../../api/index.ts';
import { policiesSelecting } from '../../domain/selection.ts';
import { type AdmittedPod, podMutation } from './pod-mutation.ts';

/** The parts of an admission.k8s.io/v1 AdmissionReview request that the pod webhook reads. */
export interface AdmissionRequest {
  uid: string;
  operation: string;
  namespace?: string;
  object?: AdmittedPod & { metadata?: { labels?: Record<string, string>; ownerReferences?: never[] } };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

/** Where admission finds the policies of a namespace; `undefined` until the operator's caches are synced. */
export type PolicyLookup = (namespace: string) => readonly SovereigntyPolicy[] | undefined;

/**
 * Admits a Pod creation: pins it when Enforce policies select it. Fails closed: while the operator does
 * not yet know the policies it refuses the pod (its controller retries), rather than let it land anywhere.
 */
export function admitPod(request: AdmissionRequest, lookup: PolicyLookup): AdmissionResponse {
  const { uid } = request;
  const pod = request.object;
  if (request.operation !== 'CREATE' || !pod) return { uid, allowed: true };
  const namespace = request.namespace ?? '';
  const policies = lookup(namespace);
  if (!policies) {
    return {
      uid,
      allowed: false,
      status: {
        code: 503,
        message:
          'sovereign-placement: the operator has not loaded the sovereignty policies yet; retry shortly',
      },
    };
  }
  const selecting = policiesSelecting(policies, {
    namespace,
    labels: pod.metadata?.labels ?? {},
    ownerReferences: pod.metadata?.ownerReferences ?? [],
  });
  const patch = podMutation(pod, selecting);
  if (patch.length === 0) return { uid, allowed: true };
  return {
    uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
  };
}
