import { z } from 'zod';
import type { AnyPolicy } from '../../api/index.ts';
import { type OwnerReference, policiesSelecting } from '../../domain/selection.ts';
import { isVerdictLabelKey, requiredNodeAffinityTerms } from '../../domain/verdict-labels.ts';
import type { AdmissionOutcome, AdmissionResponse, NamespacePolicies, PolicyLookup } from './admit-pod.ts';

/**
 * Pinning of Karmada placement at admission (`--karmada`): the operator's webhook sees
 * `work.karmada.io/v1alpha2` ResourceBinding CREATE and UPDATE in the Karmada API server. The binding is
 * what karmada-scheduler reads (the detector copies the PropagationPolicy's placement into it), so for a
 * resource template that an Enforce policy of its namespace selects (the same selection as for pods) the
 * webhook ANDs a required match expression on the verdict label into `spec.placement.clusterAffinity`
 * (and into every term of `clusterAffinities`), as `podMutation` does for node affinity. It fails
 * closed: while the caches are not synced, or the template is not in the cache yet, the binding is
 * refused and Karmada's detector retries.
 */

const REVIEW_API_VERSION = 'admission.k8s.io/v1';
const PREFIX = 'sovereign-placement:';

/** The workload kinds whose templates the operator caches in Karmada mode, and the pod owner each stands for. */
export const TEMPLATE_KINDS: Readonly<Record<string, { group: string; owner: string }>> = {
  Deployment: { group: 'apps', owner: 'ReplicaSet' },
  StatefulSet: { group: 'apps', owner: 'StatefulSet' },
  DaemonSet: { group: 'apps', owner: 'DaemonSet' },
  Job: { group: 'batch', owner: 'Job' },
};

const text = z.string();
const labelRequirement = z.looseObject({
  key: text,
  operator: text,
  values: z.array(text).nullish(),
});
const labelSelector = z.looseObject({
  matchLabels: z.record(text, text).nullish(),
  matchExpressions: z.array(labelRequirement).nullish(),
});
const clusterAffinity = z.looseObject({ labelSelector: labelSelector.nullish() });

const reviewEnvelope = z.object({
  apiVersion: z.literal(REVIEW_API_VERSION).optional(),
  kind: z.literal('AdmissionReview').optional(),
  request: z.looseObject({ uid: z.string().min(1).max(253) }),
});
const reviewRequest = z.looseObject({
  uid: z.string(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  namespace: z.string().optional(),
  object: z.unknown(),
});

export const admittedBindingSchema = z.looseObject({
  metadata: z.looseObject({ name: text.nullish(), deletionTimestamp: text.nullish() }).nullish(),
  spec: z.looseObject({
    resource: z.looseObject({
      apiVersion: text,
      kind: text,
      namespace: text.nullish(),
      name: text,
    }),
    placement: z
      .looseObject({
        clusterAffinity: clusterAffinity.nullish(),
        clusterAffinities: z.array(clusterAffinity).nullish(),
      })
      .nullish(),
  }),
});
export type AdmittedBinding = z.input<typeof admittedBindingSchema>;

export interface TemplateRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Where admission finds a binding's template: its labels, `null` when the cache does not hold it, or
 * `undefined` while the template caches are not synced.
 */
export type TemplateLookup = (
  ref: TemplateRef,
) => { labels: Readonly<Record<string, string>> } | null | undefined;

export interface BindingLookups {
  policies: PolicyLookup;
  template: TemplateLookup;
}

type JsonPatchOperation = { op: 'add'; path: string; value: unknown };
type Requirement = { key: string; operator: string; values?: readonly string[] | null };

function deny(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message: `${PREFIX} ${message}` } };
}

const sameRequirement = (a: Requirement, b: Requirement): boolean =>
  a.key === b.key &&
  a.operator === b.operator &&
  (a.values ?? []).length === (b.values ?? []).length &&
  (a.values ?? []).every((v, i) => (b.values ?? [])[i] === v);

/**
 * The match expressions that pin a binding for these Enforce policies. A Karmada label selector is one
 * conjunction, so only requirements that are one node-affinity term (one badge, or AllOf) can be pinned;
 * `undefined` when a policy asks for AnyOf of several badges.
 */
export function bindingRequirements(policies: readonly AnyPolicy[]): Requirement[] | undefined {
  const out: Requirement[] = [];
  for (const policy of policies) {
    const terms = requiredNodeAffinityTerms(policy.spec.requirement);
    if (terms.length !== 1) return undefined;
    for (const e of terms[0]?.matchExpressions ?? [])
      if (!out.some((o) => sameRequirement(o, e)))
        out.push({ key: e.key, operator: e.operator, values: [...e.values] });
  }
  return out;
}

/**
 * The JSON patch that ANDs `required` into the binding's placement: into `clusterAffinities[*]` when the
 * placement uses them, otherwise into `clusterAffinity` (created when missing). Expressions the selector
 * already holds are not added twice, so a binding updated by Karmada keeps one copy of each.
 */
export function bindingMutation(
  binding: AdmittedBinding,
  required: readonly Requirement[],
): JsonPatchOperation[] {
  const parsed = admittedBindingSchema.parse(binding);
  const placement = parsed.spec.placement;
  const patch: JsonPatchOperation[] = [];
  const pin = (path: string, affinity: z.output<typeof clusterAffinity> | null | undefined) => {
    const selector = affinity?.labelSelector;
    const own = selector?.matchExpressions ?? [];
    const missing = required.filter((r) => !own.some((o) => sameRequirement(o, r)));
    if (missing.length === 0) return;
    if (!affinity) patch.push({ op: 'add', path, value: { labelSelector: { matchExpressions: missing } } });
    else if (!selector)
      patch.push({ op: 'add', path: `${path}/labelSelector`, value: { matchExpressions: missing } });
    else if (!selector.matchExpressions)
      patch.push({ op: 'add', path: `${path}/labelSelector/matchExpressions`, value: missing });
    else
      for (const r of missing)
        patch.push({ op: 'add', path: `${path}/labelSelector/matchExpressions/-`, value: r });
  };
  if (!placement) {
    patch.push({
      op: 'add',
      path: '/spec/placement',
      value: { clusterAffinity: { labelSelector: { matchExpressions: required } } },
    });
  } else if (placement.clusterAffinities && placement.clusterAffinities.length > 0) {
    placement.clusterAffinities.forEach((a, i) => {
      pin(`/spec/placement/clusterAffinities/${i}`, a);
    });
  } else {
    pin('/spec/placement/clusterAffinity', placement.clusterAffinity);
  }
  return patch;
}

/** Whether the placement already carries a verdict-label expression (pinned at an earlier admission). */
function alreadyPinned(binding: z.output<typeof admittedBindingSchema>): boolean {
  const p = binding.spec.placement;
  const affinities = [p?.clusterAffinity, ...(p?.clusterAffinities ?? [])];
  return affinities.some((a) =>
    (a?.labelSelector?.matchExpressions ?? []).some((e) => isVerdictLabelKey(e.key)),
  );
}

/**
 * Answers one AdmissionReview body of a ResourceBinding, whatever it holds, without throwing (as
 * `admitReview` does for pods).
 */
export function admitBindingReview(body: unknown, lookups: BindingLookups): AdmissionOutcome {
  const envelope = reviewEnvelope.safeParse(body);
  if (!envelope.success) {
    return { httpStatus: 400, message: `not an ${REVIEW_API_VERSION} AdmissionReview request` };
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
    if (!request.success) return answer(deny(uid, 400, 'malformed admission request'));
    const { response, name, namespace } = decideBinding(request.data, lookups);
    return answer(response, { pod: name, namespace });
  } catch (failure) {
    return answer(deny(uid, 500, 'internal error while admitting the binding; retry shortly'), { failure });
  }
}

function decideBinding(
  request: z.output<typeof reviewRequest>,
  lookups: BindingLookups,
): { response: AdmissionResponse; name?: string; namespace?: string } {
  const { uid } = request;
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE')
    return { response: { uid, allowed: true } };
  const parsed = admittedBindingSchema.safeParse(request.object);
  if (!parsed.success) return { response: deny(uid, 400, 'the ResourceBinding cannot be read') };
  const binding = parsed.data;
  const name = binding.metadata?.name ?? undefined;
  const namespace = request.namespace ?? binding.spec.resource.namespace ?? '';
  const ctx = { name, namespace };
  // A binding being deleted only loses finalizers: nothing to place.
  if (binding.metadata?.deletionTimestamp) return { response: { uid, allowed: true }, ...ctx };
  const { kind, apiVersion } = binding.spec.resource;
  const template = TEMPLATE_KINDS[kind];
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  // Only workload templates are selected by policies; a ConfigMap or Service goes where Karmada sends it.
  if (!template || template.group !== group) return { response: { uid, allowed: true }, ...ctx };
  const found = lookups.policies(namespace);
  if (!found) {
    return {
      response: deny(uid, 503, 'the operator has not loaded the sovereignty policies yet; retry shortly'),
      ...ctx,
    };
  }
  const { policies, namespaceLabels } = Array.isArray(found)
    ? { policies: found as readonly AnyPolicy[], namespaceLabels: {} }
    : (found as NamespacePolicies);
  const enforcing = policies.filter((p) => p.spec.mode === 'Enforce');
  if (enforcing.length === 0) return { response: { uid, allowed: true }, ...ctx };
  const ref = { apiVersion, kind, namespace, name: binding.spec.resource.name };
  const labels = lookups.template(ref);
  if (!labels) {
    if (request.operation === 'UPDATE' && alreadyPinned(binding))
      return { response: { uid, allowed: true }, ...ctx };
    return {
      response: deny(
        uid,
        503,
        `${kind} ${namespace}/${ref.name} is not in the operator's cache yet; retry shortly`,
      ),
      ...ctx,
    };
  }
  const owner: OwnerReference = { kind: template.owner, name: ref.name, controller: true };
  const selecting = policiesSelecting(enforcing, {
    namespace,
    namespaceLabels,
    labels: labels.labels,
    ownerReferences: [owner],
  });
  if (selecting.length === 0) return { response: { uid, allowed: true }, ...ctx };
  const required = bindingRequirements(selecting);
  if (!required) {
    return {
      response: deny(
        uid,
        403,
        `a policy selecting ${kind} ${namespace}/${ref.name} requires AnyOf several badges, which cannot be pinned on a Karmada placement yet`,
      ),
      ...ctx,
    };
  }
  const patch = bindingMutation(binding, required);
  if (patch.length === 0) return { response: { uid, allowed: true }, ...ctx };
  return {
    response: {
      uid,
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
    },
    ...ctx,
  };
}
