import { z } from 'zod';
import type { AnyPolicy } from '../../api/index.ts';
import { policiesSelecting } from '../../domain/selection.ts';
import type { Labels } from '../../domain/selector.ts';
import { claimRefusal } from '../../domain/volumes.ts';
import type { Derived } from '../facts.ts';
import type { StorageClassObject } from '../objects.ts';
import { claimStorageClass, judgeStorageClasses, requirementOf } from '../volumes.ts';

/**
 * What admission of a PersistentVolumeClaim reads: the policies of its namespace, the namespace's labels,
 * every StorageClass, and the conformance facts at this instant. `undefined` until the caches are synced.
 */
export interface ClaimContext {
  policies: readonly AnyPolicy[];
  namespaceLabels: Labels;
  storageClasses: readonly StorageClassObject[];
  derived: Pick<Derived, 'evaluator' | 'storage'>;
}
export type ClaimLookup = (namespace: string) => ClaimContext | undefined;

const text = z.string();
/** Every field of a claim that admission reads; `null` is read as absent, as Go's decoder does. */
export const admittedClaimSchema = z.looseObject({
  metadata: z
    .looseObject({
      name: text.nullish(),
      generateName: text.nullish(),
      labels: z.record(text, text).nullish(),
    })
    .nullish(),
  spec: z.looseObject({ storageClassName: text.nullish() }).nullish(),
});
export type AdmittedClaim = z.output<typeof admittedClaimSchema>;

/** A policy's selection applied to a claim: namespace and labels (a claim has no workload kind). */
const forClaims = (policy: AnyPolicy): AnyPolicy =>
  ({ ...policy, spec: { ...policy.spec, workloadKinds: undefined } }) as AnyPolicy;

/**
 * Whether a claim may be created: when Enforce policies select it by its labels, the StorageClass it
 * names (or the default one) must conform to every one of their requirements. Null: allowed; else the
 * refusal sentence, naming spec.storageClassName and the classes that would do.
 */
export function claimDecision(claim: AdmittedClaim, namespace: string, context: ClaimContext): string | null {
  const identity = {
    namespace,
    namespaceLabels: context.namespaceLabels,
    labels: claim.metadata?.labels ?? {},
  };
  const enforcing = policiesSelecting(
    context.policies.filter((p) => p.spec.mode === 'Enforce').map(forClaims),
    identity,
  );
  if (enforcing.length === 0) return null;
  const { storageClass, defaulted } = claimStorageClass(
    { storageClassName: claim.spec?.storageClassName ?? null },
    context.storageClasses,
  );
  const name = claim.metadata?.name ?? `${claim.metadata?.generateName ?? ''}*`;
  const refusal = claimRefusal({
    claim: `${namespace}/${name}`,
    storageClass,
    defaulted,
    classes: judgeStorageClasses(context.storageClasses, enforcing.map(requirementOf), context.derived),
  });
  if (!refusal) return null;
  const policies = enforcing.map((p) => p.metadata.name).join(', ');
  return `${refusal.message} (Enforce polic${enforcing.length === 1 ? 'y' : 'ies'} ${policies} select${enforcing.length === 1 ? 's' : ''} it by its labels.)`;
}
