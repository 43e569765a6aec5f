/** Condition types and reasons the operator writes: typed values, one place. */
export const ConditionType = {
  Ready: 'Ready',
  Conforming: 'Conforming',
  CapacityAvailable: 'CapacityAvailable',
  AlternateProviderAvailable: 'AlternateProviderAvailable',
  /** Present when a selected pod mounts a PersistentVolumeClaim. */
  VolumesConform: 'VolumesConform',
  Reachable: 'Reachable',
  Available: 'Available',
  /** FulcrumFederations: the last sync read every agent and wrote every tag. */
  Synced: 'Synced',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionReason = {
  Reconciled: 'Reconciled',
  InvalidSpec: 'InvalidSpec',
  UnknownArea: 'UnknownArea',
  NamespaceNotEnrolled: 'NamespaceNotEnrolled',
  AllPodsConform: 'AllPodsConform',
  PodsOnNonConformingNodes: 'PodsOnNonConformingNodes',
  ConformingCapacity: 'ConformingCapacity',
  NoConformingCapacity: 'NoConformingCapacity',
  EnoughProviders: 'EnoughProviders',
  TooFewProviders: 'TooFewProviders',
  // Karmada mode: the policy's templates and the Karmada clusters they are scheduled on.
  AllTemplatesConform: 'AllTemplatesConform',
  TemplatesOnNonConformingClusters: 'TemplatesOnNonConformingClusters',
  AllVolumesConform: 'AllVolumesConform',
  VolumesNotConforming: 'VolumesNotConforming',
  // Member clusters: what the hub's prober found, and whether the member counts as healthy.
  Reachable: 'Reachable',
  NotProbedYet: 'NotProbedYet',
  SecretNotFound: 'SecretNotFound',
  KubeconfigKeyMissing: 'KubeconfigKeyMissing',
  KubeconfigInvalid: 'KubeconfigInvalid',
  ProbeFailed: 'ProbeFailed',
  NotReady: 'NotReady',
  WithinGracePeriod: 'WithinGracePeriod',
  UnreachablePastGracePeriod: 'UnreachablePastGracePeriod',
  // SovereignWorkloads on the hub.
  Placed: 'Placed',
  SpreadNotMet: 'SpreadNotMet',
  ApplyFailed: 'ApplyFailed',
  CopiesAvailable: 'CopiesAvailable',
  CopiesNotAvailable: 'CopiesNotAvailable',
  Deleting: 'Deleting',
  // FulcrumFederations: the last sync, or why it failed (the last known agents stay in status).
  Synced: 'Synced',
  TokenSecretMissing: 'TokenSecretMissing',
  FulcrumUnauthorized: 'FulcrumUnauthorized',
  FulcrumForbidden: 'FulcrumForbidden',
  FulcrumNotFound: 'FulcrumNotFound',
  FulcrumRejected: 'FulcrumRejected',
  FulcrumServerError: 'FulcrumServerError',
  FulcrumTimeout: 'FulcrumTimeout',
  FulcrumUnreachable: 'FulcrumUnreachable',
  FulcrumInvalidResponse: 'FulcrumInvalidResponse',
  TagsNotWritten: 'TagsNotWritten',
} as const;
export type ConditionReason = (typeof ConditionReason)[keyof typeof ConditionReason];

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: ConditionReason;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * The new condition list: lastTransitionTime changes only when a condition's status changes, as
 * metav1.Condition requires (so `kubectl wait` and alerts see real transitions, not every reconcile).
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: string,
): Condition[] {
  return next.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    return {
      ...c,
      lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now,
    };
  });
}
