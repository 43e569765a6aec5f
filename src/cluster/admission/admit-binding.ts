import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { AnyPolicy } from '../../api/index.ts';
import { type OwnerReference, type PodIdentity, policiesSelecting } from '../../domain/selection.ts';
import { requiredNodeAffinityTerms } from '../../domain/verdict-labels.ts';
import { PINNED_ANNOTATION, type PinRecord, pinnedNames, readPinRecord } from '../karmada-placement.ts';
import type { AdmissionOutcome, AdmissionResponse, NamespacePolicies, PolicyLookup } from './admit-pod.ts';

/**
 * Pinning of Karmada placement at admission (`--karmada`): the operator's webhook sees
 * `work.karmada.io/v1alpha2` ResourceBinding CREATE and UPDATE in the Karmada API server. The binding is
 * what karmada-scheduler reads (the detector copies the PropagationPolicy's placement into it), so for a
 * resource template that an Enforce policy of its namespace selects (the same selection as for pods) the
 * webhook pins every affinity term of `spec.placement` (`clusterAffinity`, or each of
 * `clusterAffinities`): the verdict-label expression ANDed into its label selector, as `podMutation`
 * does for node affinity, and its `clusterNames` narrowed to the clusters that conform by the operator's
 * own verdicts (src/cluster/karmada-placement.ts says why both). It fails closed: while the caches are
 * not synced, or the template is not in the cache yet, the binding is refused and Karmada's detector
 * retries.
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
const clusterAffinity = z.looseObject({
  labelSelector: labelSelector.nullish(),
  clusterNames: z.array(text).nullish(),
});

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
  metadata: z
    .looseObject({
      name: text.nullish(),
      deletionTimestamp: text.nullish(),
      annotations: z.record(text, text).nullish(),
    })
    .nullish(),
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

/**
 * The names of the Karmada Clusters that conform to every one of these policies now, from the
 * operator's own verdicts; `undefined` while the Cluster and MemberCluster caches are not synced.
 */
export type ConformingClusters = (policies: readonly AnyPolicy[]) => readonly string[] | undefined;

export interface BindingLookups {
  policies: PolicyLookup;
  template: TemplateLookup;
  clusters: ConformingClusters;
}

export type JsonPatchOperation = { op: 'add'; path: string; value: unknown };
type Requirement = { key: string; operator: string; values?: string[] | null };

function deny(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message: `${PREFIX} ${message}` } };
}

type Expression = { key: string; operator: string; values?: readonly string[] | null };
const sameRequirement = (a: Expression, b: Expression): boolean =>
  a.key === b.key &&
  a.operator === b.operator &&
  (a.values ?? []).length === (b.values ?? []).length &&
  (a.values ?? []).every((v, i) => (b.values ?? [])[i] === v);

/**
 * The verdict-label expressions of a pin for these Enforce policies. A Karmada label selector is one
 * conjunction, so only requirements that are one node-affinity term (one badge, or AllOf) have them;
 * `undefined` when a policy asks for AnyOf of several badges (the cluster names alone then pin it).
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

type Affinity = z.output<typeof clusterAffinity>;

/**
 * The binding's placement pinned for these Enforce policies: every affinity term (each of
 * `clusterAffinities`, or `clusterAffinity`, created when missing) gets the verdict-label expressions
 * ANDed into its label selector (when the requirement is one term) and its `clusterNames` narrowed to
 * the conforming clusters (`pinnedNames`), and the pin record that lets the next pin tell the names the
 * placement asked from the names the operator wrote.
 */
export function pinBinding(
  binding: AdmittedBinding,
  required: readonly Requirement[],
  conforming: readonly string[],
): { placement: Record<string, unknown>; record: PinRecord } {
  const parsed = admittedBindingSchema.parse(binding);
  const placement: Record<string, unknown> = { ...(parsed.spec.placement ?? {}) };
  const previous = readPinRecord(parsed.metadata?.annotations);
  const record: PinRecord = { pinned: [], asked: [] };
  const pin = (affinity: Affinity | null | undefined, i: number): Affinity => {
    const selector = affinity?.labelSelector;
    const own = selector?.matchExpressions ?? [];
    const missing = required.filter((r) => !own.some((o) => sameRequirement(o, r)));
    const recorded = previous
      ? { pinned: previous.pinned[i] ?? [], asked: previous.asked[i] ?? null }
      : undefined;
    const { names, asked } = pinnedNames(affinity?.clusterNames, recorded, conforming);
    record.pinned.push(names);
    record.asked.push(asked);
    const labelSelector =
      missing.length === 0 ? selector : { ...(selector ?? {}), matchExpressions: [...own, ...missing] };
    return { ...(affinity ?? {}), ...(labelSelector ? { labelSelector } : {}), clusterNames: names };
  };
  const terms = parsed.spec.placement?.clusterAffinities;
  if (terms && terms.length > 0) placement.clusterAffinities = terms.map(pin);
  else placement.clusterAffinity = pin(parsed.spec.placement?.clusterAffinity, 0);
  return { placement, record };
}

/**
 * The JSON patch of the pin: the whole placement and the pin record, or nothing when the binding is
 * already pinned so (Karmada's updates of a pinned binding then pass unchanged).
 */
export function bindingMutation(
  binding: AdmittedBinding,
  required: readonly Requirement[],
  conforming: readonly string[],
): JsonPatchOperation[] {
  const parsed = admittedBindingSchema.parse(binding);
  const { placement, record } = pinBinding(binding, required, conforming);
  const value = JSON.stringify(record);
  const patch: JsonPatchOperation[] = [];
  if (!isDeepStrictEqual(placement, parsed.spec.placement ?? {}))
    patch.push({ op: 'add', path: '/spec/placement', value: placement });
  const annotations = parsed.metadata?.annotations;
  if (annotations?.[PINNED_ANNOTATION] !== value)
    patch.push(
      annotations
        ? { op: 'add', path: `/metadata/annotations/${PINNED_ANNOTATION.replace('/', '~1')}`, value }
        : { op: 'add', path: '/metadata/annotations', value: { [PINNED_ANNOTATION]: value } },
    );
  return patch;
}

/**
 * Whether the placement is still what the operator pinned at an earlier admission: the record is there
 * and every affinity term still lists exactly the names it pinned.
 */
function alreadyPinned(binding: z.output<typeof admittedBindingSchema>): boolean {
  const record = readPinRecord(binding.metadata?.annotations);
  const p = binding.spec.placement;
  const terms =
    p?.clusterAffinities && p.clusterAffinities.length > 0 ? p.clusterAffinities : [p?.clusterAffinity];
  return (
    record !== null &&
    record.pinned.length === terms.length &&
    terms.every((t, i) => isDeepStrictEqual(t?.clusterNames ?? null, record.pinned[i]))
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

/**
 * A template as policy selection sees it: the pods its controller makes carry its labels (a policy's
 * selector matches pod labels, and teams label templates alike) and are owned by its kind.
 */
export function templateIdentity(
  ref: TemplateRef,
  labels: Readonly<Record<string, string>>,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): PodIdentity {
  const owner: OwnerReference = {
    kind: TEMPLATE_KINDS[ref.kind]?.owner ?? ref.kind,
    name: ref.name,
    controller: true,
  };
  return { namespace: ref.namespace, namespaceLabels, labels, ownerReferences: [owner] };
}

/** What the pin of one binding comes to: leave it, refuse it for now, or patch it (possibly with nothing). */
export type BindingPin =
  | { decision: 'allow' }
  | { decision: 'deny'; code: number; message: string }
  | {
      decision: 'pin';
      patch: JsonPatchOperation[];
      /** The template, as `Kind namespace/name`. */
      template: string;
      selecting: readonly AnyPolicy[];
      conforming: readonly string[];
    };

/**
 * The pin of one binding, as the webhook applies it at admission and the binding controller re-applies
 * it when the conforming clusters change: the same function, so the webhook never undoes the controller.
 */
export function planBindingPin(
  binding: z.output<typeof admittedBindingSchema>,
  namespace: string,
  lookups: BindingLookups,
  operation: 'CREATE' | 'UPDATE',
): BindingPin {
  // A binding being deleted only loses finalizers: nothing to place.
  if (binding.metadata?.deletionTimestamp) return { decision: 'allow' };
  const { kind, apiVersion } = binding.spec.resource;
  const template = TEMPLATE_KINDS[kind];
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  // Only workload templates are selected by policies; a ConfigMap or Service goes where Karmada sends it.
  if (!template || template.group !== group) return { decision: 'allow' };
  const found = lookups.policies(namespace);
  if (!found)
    return {
      decision: 'deny',
      code: 503,
      message: 'the operator has not loaded the sovereignty policies yet; retry shortly',
    };
  const { policies, namespaceLabels } = Array.isArray(found)
    ? { policies: found as readonly AnyPolicy[], namespaceLabels: {} }
    : (found as NamespacePolicies);
  const enforcing = policies.filter((p) => p.spec.mode === 'Enforce');
  if (enforcing.length === 0) return { decision: 'allow' };
  const ref = { apiVersion, kind, namespace, name: binding.spec.resource.name };
  const labels = lookups.template(ref);
  if (!labels) {
    if (operation === 'UPDATE' && alreadyPinned(binding)) return { decision: 'allow' };
    return {
      decision: 'deny',
      code: 503,
      message: `${kind} ${namespace}/${ref.name} is not in the operator's cache yet; retry shortly`,
    };
  }
  const selecting = policiesSelecting(enforcing, templateIdentity(ref, labels.labels, namespaceLabels));
  if (selecting.length === 0) return { decision: 'allow' };
  const conforming = lookups.clusters(selecting);
  if (!conforming)
    return {
      decision: 'deny',
      code: 503,
      message: "the operator has not loaded Karmada's clusters yet; retry shortly",
    };
  // AnyOf several badges has no single label expression: the names alone pin it.
  const required = bindingRequirements(selecting) ?? [];
  return {
    decision: 'pin',
    patch: bindingMutation(binding, required, conforming),
    template: `${kind} ${namespace}/${ref.name}`,
    selecting,
    conforming,
  };
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
  const pin = planBindingPin(binding, namespace, lookups, request.operation);
  if (pin.decision === 'deny') return { response: deny(uid, pin.code, pin.message), ...ctx };
  if (pin.decision === 'allow' || pin.patch.length === 0) return { response: { uid, allowed: true }, ...ctx };
  return {
    response: {
      uid,
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(pin.patch)).toString('base64'),
    },
    ...ctx,
  };
}

/**
 * The bindings whose template the policy selects, with the template as `Kind namespace/name`: what the
 * policy's status lists in Karmada mode. Bindings of templates the cache does not hold are skipped.
 */
export function bindingsSelectedBy(
  policy: AnyPolicy,
  bindings: readonly unknown[],
  template: TemplateLookup,
  namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined,
): { template: string; binding: unknown }[] {
  const out: { template: string; binding: unknown }[] = [];
  for (const object of bindings) {
    const parsed = admittedBindingSchema.safeParse(object);
    if (!parsed.success) continue;
    const { kind, apiVersion, name } = parsed.data.spec.resource;
    const namespace = parsed.data.spec.resource.namespace ?? '';
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    if (TEMPLATE_KINDS[kind]?.group !== group) continue;
    const ref = { apiVersion, kind, namespace, name };
    const labels = template(ref);
    if (!labels) continue;
    if (
      policiesSelecting([policy], templateIdentity(ref, labels.labels, namespaceLabels(namespace))).length > 0
    )
      out.push({ template: `${kind} ${namespace}/${name}`, binding: object });
  }
  return out;
}
