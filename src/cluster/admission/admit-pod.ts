import { z } from 'zod';
import type { AnyPolicy } from '../../api/index.ts';
import { policiesSelecting } from '../../domain/selection.ts';
import { admittedClaimSchema, type ClaimLookup, claimDecision } from './admit-claim.ts';
import { admittedPodSchema, podMutation } from './pod-mutation.ts';

const REVIEW_API_VERSION = 'admission.k8s.io/v1';

/**
 * The parts of an admission.k8s.io/v1 AdmissionReview that the pod webhook reads. `uid` is what the
 * response must echo, so a body without one cannot be answered at all (HTTP 400); every other field is
 * checked after it, so that what is wrong can be said in a denial the API server shows to the user.
 */
const reviewEnvelope = z.object({
  apiVersion: z.literal(REVIEW_API_VERSION).optional(),
  kind: z.literal('AdmissionReview').optional(),
  request: z.looseObject({ uid: z.string().min(1).max(253) }),
});
const reviewRequest = z.looseObject({
  uid: z.string(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  kind: z.looseObject({ group: z.string(), kind: z.string() }).optional(),
  namespace: z.string().optional(),
  object: z.unknown(),
});

export interface AdmissionRequest {
  uid: string;
  operation: string;
  namespace?: string;
  object?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

/** The policies that may apply in a namespace, and the namespace's labels (for cluster policies). */
export interface NamespacePolicies {
  policies: readonly AnyPolicy[];
  namespaceLabels: Readonly<Record<string, string>>;
}

/**
 * Where admission finds the policies of a namespace; `undefined` until the operator's caches are synced.
 * A bare list means no namespace labels are known (cluster policies then see only the namespace's name).
 */
export type PolicyLookup = (namespace: string) => NamespacePolicies | readonly AnyPolicy[] | undefined;

/** What the webhook answers to one HTTP body: an AdmissionReview (HTTP 200), or an HTTP error. */
export type AdmissionOutcome =
  | {
      httpStatus: 200;
      review: { apiVersion: string; kind: 'AdmissionReview'; response: AdmissionResponse };
      /** The pod's name, for the log line. */
      pod?: string;
      namespace?: string;
      /** An unexpected error turned into a denial; the caller logs it. */
      failure?: unknown;
    }
  | { httpStatus: 400; message: string };

const PREFIX = 'sovereign-placement:';

function deny(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message: `${PREFIX} ${message}` } };
}

/** "spec.tolerations[0].key: expected string" for the first few problems, so the user sees the field. */
function describeIssues(error: z.ZodError, root: string): string {
  const issues = error.issues.slice(0, 3).map((issue) => {
    const path = [root, ...issue.path]
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
      .join('');
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `${issues.join('; ')}${more}`;
}

/**
 * Answers one AdmissionReview body, whatever it holds, without throwing. A body that is not an
 * AdmissionReview with a request uid is an HTTP 400; a request it cannot understand is denied (the
 * webhook is only called for enrolled namespaces, where a pod let through unpinned could land anywhere);
 * an unexpected error is a denial with code 500, reported in `failure`.
 */
export function admitReview(body: unknown, lookup: PolicyLookup, claims?: ClaimLookup): AdmissionOutcome {
  const envelope = reviewEnvelope.safeParse(body);
  if (!envelope.success) {
    return {
      httpStatus: 400,
      message: `not an ${REVIEW_API_VERSION} AdmissionReview request: ${describeIssues(envelope.error, 'review')}`,
    };
  }
  const { uid } = envelope.data.request;
  const answer = (
    response: AdmissionResponse,
    extra: { pod?: string; namespace?: string; failure?: unknown } = {},
  ) =>
    ({
      httpStatus: 200,
      review: { apiVersion: REVIEW_API_VERSION, kind: 'AdmissionReview', response },
      ...extra,
    }) as const;
  try {
    const request = reviewRequest.safeParse(envelope.data.request);
    if (!request.success) {
      return answer(
        deny(uid, 400, `malformed admission request: ${describeIssues(request.error, 'request')}`),
      );
    }
    const { response, pod, namespace } = decide(request.data, lookup, claims);
    return answer(response, { pod, namespace });
  } catch (failure) {
    return answer(deny(uid, 500, 'internal error while admitting the pod; retry shortly'), { failure });
  }
}

/**
 * Admits a Pod creation: pins it when Enforce policies select it. Fails closed: while the operator does
 * not yet know the policies it refuses the pod (its controller retries), rather than let it land anywhere.
 * A pod whose fields admission reads are of the wrong shape is refused, naming the field.
 */
export function admitPod(request: AdmissionRequest, lookup: PolicyLookup): AdmissionResponse {
  return decide(request, lookup).response;
}

function decide(
  request: AdmissionRequest & { kind?: { group: string; kind: string } },
  lookup: PolicyLookup,
  claims?: ClaimLookup,
): { response: AdmissionResponse; pod?: string; namespace?: string } {
  const { uid } = request;
  // The webhook is registered for Pod and PersistentVolumeClaim creation only; both are judged once, at creation.
  if (request.operation !== 'CREATE') return { response: { uid, allowed: true } };
  if (claims && request.kind?.group === '' && request.kind.kind === 'PersistentVolumeClaim') {
    return decideClaim(request, claims);
  }
  if (request.kind && (request.kind.group !== '' || request.kind.kind !== 'Pod')) {
    return { response: deny(uid, 400, `expected a Pod, got ${request.kind.kind}`) };
  }
  const parsed = admittedPodSchema.safeParse(request.object);
  if (!parsed.success) {
    return {
      response: deny(uid, 400, `the pod cannot be read: ${describeIssues(parsed.error, 'object')}`),
    };
  }
  const pod = parsed.data;
  const name = pod.metadata?.name ?? pod.metadata?.generateName ?? undefined;
  const namespace = request.namespace ?? '';
  const found = lookup(namespace);
  if (!found) {
    return {
      response: deny(uid, 503, 'the operator has not loaded the sovereignty policies yet; retry shortly'),
      pod: name,
      namespace,
    };
  }
  const { policies, namespaceLabels } = Array.isArray(found)
    ? { policies: found as readonly AnyPolicy[], namespaceLabels: {} }
    : (found as NamespacePolicies);
  const selecting = policiesSelecting(policies, {
    namespace,
    namespaceLabels,
    labels: pod.metadata?.labels ?? {},
    ownerReferences: (pod.metadata?.ownerReferences ?? []).map((o) => ({
      kind: o.kind,
      name: o.name,
      controller: o.controller ?? undefined,
    })),
  });
  const patch = podMutation(pod, selecting);
  if (patch.length === 0) return { response: { uid, allowed: true }, pod: name, namespace };
  return {
    response: {
      uid,
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
    },
    pod: name,
    namespace,
  };
}

/**
 * Admits a PersistentVolumeClaim creation: refused when an Enforce policy selects it and its StorageClass
 * does not conform. Fails closed like pods: refused while the caches are not synced.
 */
function decideClaim(
  request: AdmissionRequest,
  claims: ClaimLookup,
): { response: AdmissionResponse; pod?: string; namespace?: string } {
  const { uid } = request;
  const parsed = admittedClaimSchema.safeParse(request.object);
  if (!parsed.success) {
    return {
      response: deny(uid, 400, `the claim cannot be read: ${describeIssues(parsed.error, 'object')}`),
    };
  }
  const claim = parsed.data;
  const name = claim.metadata?.name ?? claim.metadata?.generateName ?? undefined;
  const namespace = request.namespace ?? '';
  const context = claims(namespace);
  if (!context) {
    return {
      response: deny(uid, 503, 'the operator has not loaded the sovereignty policies yet; retry shortly'),
      pod: name,
      namespace,
    };
  }
  const refusal = claimDecision(claim, namespace, context);
  return {
    response: refusal === null ? { uid, allowed: true } : deny(uid, 403, refusal),
    pod: name,
    namespace,
  };
}
