import { z } from 'zod';
import { auditHistorySchema } from './audit-history.ts';

/**
 * The JSON that `sovctl explain -o json` and `sovctl report -o json` print, as zod schemas: the TypeScript
 * types of the commands are inferred from them, `docs/*-output.schema.json` are generated from them
 * (`node src/cli/write-schemas.ts`), and a unit test checks real output against them and that the
 * documents are not stale. Objects are strict: a field that is not documented fails the test.
 */

const instant = z.iso.datetime().describe('An instant in RFC 3339, UTC ("2026-06-01T00:00:00Z").');

export const reasonSchema = z
  .strictObject({
    code: z.string().describe('Machine-readable reason code (see the README, "How decisions are made").'),
    message: z.string().describe('The reason as an English sentence.'),
  })
  .meta({ id: 'Reason' });

/** Exactly the domain's `verdictJson`: the heart of every explanation. */
export const verdictSchema = z
  .strictObject({
    target: z.strictObject({
      kind: z.enum(['Node', 'MemberCluster', 'Volume', 'StorageClass']),
      name: z.string(),
    }),
    requirement: z.strictObject({
      badge: z.string().describe('One badge type, or several joined by " or " (AnyOf) or " and " (AllOf).'),
      area: z.string(),
      minimumAssurance: z.enum(['SelfDeclared', 'ThirdPartyCertified']),
    }),
    conforms: z.boolean(),
    reasons: z
      .array(reasonSchema)
      .min(1)
      .describe('Every reason why not; exactly one Conforming reason when it conforms.'),
    nextTransitionAt: instant.nullable().describe('The next instant at which the verdict can change.'),
  })
  .describe('Whether one node or member cluster conforms to one requirement at the instant, and why.')
  .meta({ id: 'Verdict' });

const objectRef = z
  .strictObject({
    kind: z.enum(['SovereigntyPolicy', 'ClusterSovereigntyPolicy', 'SovereignWorkload']),
    namespace: z.string().nullable().describe('Null for a ClusterSovereigntyPolicy (cluster-scoped).'),
    name: z.string(),
  })
  .describe('A policy of either kind, or a SovereignWorkload.')
  .meta({ id: 'ObjectRef' });

export const requirementSchema = z
  .strictObject({
    badges: z.array(z.enum(['Sovereign', 'Resilient'])),
    badgeMatch: z.enum(['AnyOf', 'AllOf']),
    area: z.string(),
    minimumAssurance: z.enum(['SelfDeclared', 'ThirdPartyCertified']),
    minimumSchemeLevels: z
      .strictObject({
        seal: z.int().optional(),
        gaiaXLabel: z.int().optional(),
        secNumCloud: z.boolean().optional(),
        eucs: z.enum(['Basic', 'Substantial', 'High']).optional(),
      })
      .nullable(),
    minimumProviders: z.int(),
  })
  .describe('A requirement as the policy or workload states it, with the API defaults applied.')
  .meta({ id: 'Requirement' });

/** A requirement in use, the verdict for it, and who uses it. */
const verdictInUse = z
  .strictObject({
    usedBy: z
      .array(objectRef)
      .describe(
        'Policies (for a node) or workloads (for a member cluster) with this requirement and lead time; empty when no policy or workload exists and every (badge, area) pair is shown.',
      ),
    expiryLeadTime: z.string().describe('The expiry lead time the verdict was computed with ("72h").'),
    verdict: verdictSchema,
  })
  .meta({ id: 'VerdictInUse' });

const nodeFacts = z.strictObject({
  cloudService: z
    .string()
    .nullable()
    .describe('The CloudService that runs the node; null when none or several claim it.'),
  provider: z.string().nullable(),
  country: z.string().nullable().describe('From the protected country label; null when not known.'),
  cordoned: z.boolean(),
});

export const capacitySchema = z
  .strictObject({
    conformingNodes: z.int().describe('Nodes that conform, whatever their readiness.'),
    schedulableConformingNodes: z
      .int()
      .describe('Conforming nodes where new pods can land (Ready and not cordoned with kubectl cordon).'),
    providers: z.int().describe('Distinct providers among the schedulable conforming nodes.'),
    minimumProviders: z.int(),
    sufficient: z.boolean().describe('Schedulable conforming capacity exists on enough providers.'),
    byService: z.array(
      z.strictObject({ provider: z.string(), cloudService: z.string(), conformingNodes: z.int() }),
    ),
    reasons: z
      .array(reasonSchema)
      .describe('NoConformingCapacity or TooFewProviders; empty when sufficient.'),
  })
  .describe('Conforming capacity of a policy, computed as the operator does.')
  .meta({ id: 'Capacity' });

export const placementSchema = z
  .strictObject({
    complete: z.boolean(),
    placements: z.array(
      z.strictObject({
        cluster: z.string(),
        provider: z.string(),
        cloudService: z.string(),
        kept: z.boolean(),
      }),
    ),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    rejected: z.array(z.strictObject({ cluster: z.string(), reasons: z.array(reasonSchema) })),
    reasons: z.array(reasonSchema),
    nextTransitionAt: instant.nullable(),
  })
  .describe("The domain's placementJson: the member clusters chosen, and every other one with why.")
  .meta({ id: 'Placement' });

export const conditionSchema = z
  .strictObject({
    type: z.string(),
    status: z.enum(['True', 'False', 'Unknown']),
    reason: z.string().nullable(),
    message: z.string().nullable(),
    lastTransitionTime: z.string().nullable(),
  })
  .describe('A condition as the hub recorded it in the object status (metav1.Condition).')
  .meta({ id: 'Condition' });

const recordedPlacementFields = {
  state: z
    .enum(['Active', 'Leaving'])
    .describe(
      'Active: a member the hub chose (also when the status omits the state). Leaving: the workload is moving away; its copy is still there.',
    ),
  since: z.string().describe('When the workload was placed there.'),
  available: z
    .boolean()
    .nullable()
    .describe('Every manifest exists on the member and is Available; null when the hub has not said.'),
  leavingSince: z
    .string()
    .nullable()
    .describe('When the workload started leaving the member; null while Active.'),
  reason: reasonSchema
    .nullable()
    .describe('Why it is leaving, and when its copy is removed; null while Active.'),
  message: z
    .string()
    .nullable()
    .describe('The last error the hub met applying to, reading or cleaning the member; null when none.'),
};

export const recordedPlacementSchema = z
  .strictObject({
    cluster: z.string(),
    cloudService: z.string(),
    provider: z.string(),
    ...recordedPlacementFields,
  })
  .describe("One entry of a SovereignWorkload's status.placements: a copy the hub made.")
  .meta({ id: 'RecordedPlacement' });

const healthSource = z
  .enum(['ReadyCondition', 'Assumed'])
  .describe(
    "ReadyCondition: from the Ready condition the hub recorded in the MemberCluster's status (the hub probes members; sovctl does not). Assumed: no Ready condition is recorded, the member is taken as healthy.",
  );

const common = {
  at: instant.describe('The instant of evaluation (--at, default now).'),
};

export const nodeExplanation = z.strictObject({
  kind: z.literal('Node'),
  name: z.string(),
  ...common,
  facts: nodeFacts,
  verdicts: z.array(verdictInUse),
});

export const podExplanation = z.strictObject({
  kind: z.literal('Pod'),
  namespace: z.string(),
  name: z.string(),
  ...common,
  node: z.string().nullable().describe('spec.nodeName; null while the pod is not scheduled.'),
  phase: z.string().nullable(),
  workloadKind: z
    .string()
    .describe('Pod, Deployment, StatefulSet, DaemonSet, Job or Other (from the owner).'),
  policies: z
    .array(
      z.strictObject({
        policy: objectRef,
        mode: z.enum(['Enforce', 'Audit']),
        status: z
          .enum(['Conforming', 'NotConforming', 'NotScheduled', 'NodeUnknown'])
          .describe('NodeUnknown: the pod names a node that is not in the inventory.'),
        pinned: z
          .boolean()
          .nullable()
          .describe(
            "Whether the pod's sovereign-placement.io/policies annotation names the policy (it pinned the pod at admission); null when the pod has no such annotation.",
          ),
        verdict: verdictSchema.nullable().describe("The pod's node's verdict; null when there is none."),
      }),
    )
    .describe('Every policy selecting the pod: cluster policies first, then by name.'),
  pinnedBy: z
    .array(objectRef)
    .nullable()
    .describe(
      'The policies that pinned the pod at admission, from its sovereign-placement.io/policies annotation (including ones that no longer exist or no longer select it); null when the pod has no such annotation.',
    ),
});

const policyFields = {
  ...common,
  mode: z.enum(['Enforce', 'Audit']),
  requirement: requirementSchema,
  expiryLeadTime: z.string(),
  nodes: z
    .array(
      z.strictObject({
        accepted: z.boolean().describe('The node conforms: pods of the policy may run there.'),
        acceptsPods: z.boolean().describe('Ready and not cordoned with kubectl cordon.'),
        verdict: verdictSchema,
      }),
    )
    .describe('Every node, accepted first, then by name.'),
  capacity: capacitySchema,
  pods: z
    .array(
      z.strictObject({
        namespace: z.string(),
        name: z.string(),
        node: z.string().nullable(),
        conforms: z
          .boolean()
          .nullable()
          .describe("Whether the pod's node conforms; null when not scheduled or unknown."),
      }),
    )
    .describe('Pods the policy selects.'),
};

export const policyExplanation = z.strictObject({
  kind: z.literal('SovereigntyPolicy'),
  namespace: z.string(),
  name: z.string(),
  ...policyFields,
});

const labelSelectorOutput = z
  .strictObject({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z.strictObject({
          key: z.string(),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .describe('A Kubernetes label selector, as declared.')
  .meta({ id: 'LabelSelector' });

export const clusterPolicyExplanation = z.strictObject({
  kind: z.literal('ClusterSovereigntyPolicy'),
  name: z.string(),
  namespaceSelector: labelSelectorOutput,
  namespaces: z
    .array(z.string())
    .describe(
      'The namespaces known to the inventory (its Namespaces and the namespaces of its pods) that namespaceSelector selects, by name.',
    ),
  ...policyFields,
});

const clusterFacts = z.strictObject({
  cloudService: z.string().nullable(),
  provider: z.string().nullable(),
  country: z.string().nullable(),
  healthy: z
    .boolean()
    .describe(
      "The member's Ready condition as the hub recorded it is True; true also when no Ready condition is recorded.",
    ),
  healthSource,
  cordoned: z.boolean(),
});

export const clusterExplanation = z.strictObject({
  kind: z.literal('MemberCluster'),
  name: z.string(),
  ...common,
  facts: clusterFacts,
  recorded: z
    .strictObject({
      conditions: z
        .array(conditionSchema)
        .describe('Reachable and Ready (then any other), as the hub recorded them; empty when none.'),
      lastHeartbeatTime: z
        .string()
        .nullable()
        .describe('Last successful contact of the hub with the member.'),
      kubernetesVersion: z.string().nullable().describe('The version the member reported to the hub.'),
      nextTransitionAt: z.string().nullable(),
    })
    .describe("What the hub recorded in the MemberCluster's status."),
  workloads: z
    .array(
      z.strictObject({
        namespace: z.string(),
        name: z.string(),
        ...recordedPlacementFields,
      }),
    )
    .describe(
      'SovereignWorkloads whose status.placements name this member (Active or Leaving), by namespace and name.',
    ),
  verdicts: z.array(verdictInUse),
});

export const workloadExplanation = z.strictObject({
  kind: z.literal('SovereignWorkload'),
  namespace: z.string(),
  name: z.string(),
  ...common,
  requirement: requirementSchema,
  expiryLeadTime: z.string(),
  clusters: z.int().describe('spec.placement.clusters'),
  spreadAcrossProviders: z.int(),
  placement: placementSchema,
  health: z
    .array(z.strictObject({ cluster: z.string(), healthy: z.boolean(), source: healthSource }))
    .describe('The health of every member cluster used by the placement, by name.'),
  recorded: z
    .strictObject({
      present: z.boolean().describe('The hub has written a status for the workload.'),
      observedGeneration: z.int().nullable(),
      placements: z.array(recordedPlacementSchema).describe('status.placements, in the order recorded.'),
      conditions: z
        .array(conditionSchema)
        .describe('Ready, CapacityAvailable and Available (then any other), as recorded.'),
      reasons: z.array(reasonSchema).describe('status.reasons: why the placement is as it is.'),
      nextTransitionAt: z.string().nullable(),
      matchesRecomputed: z
        .boolean()
        .describe(
          'The members the hub records as Active are exactly those chosen by the placement recomputed here, and none it is leaving is chosen again.',
        ),
      differences: z
        .array(z.string())
        .describe('Each difference between the recorded and the recomputed placement, as a sentence.'),
    })
    .describe(
      "What the hub recorded in the workload's status, and whether it agrees with the recomputation.",
    ),
  verdicts: z.array(verdictSchema).describe('The verdict of every member cluster, by name.'),
});

const storageFacts = z.strictObject({
  storageClass: z.string().nullable().describe('spec.storageClassName; null when none.'),
  csiDrivers: z
    .array(z.string())
    .describe("The volume's CSI driver and its StorageClass's provisioner, when known."),
  cloudService: z
    .string()
    .nullable()
    .describe(
      'The CloudService whose spec.storage claims the class or a driver; null when none or several do.',
    ),
  provider: z.string().nullable(),
  country: z
    .string()
    .nullable()
    .describe(
      'The one country its required node affinity pins it to by the protected label; null when not known.',
    ),
});

export const volumeExplanation = z.strictObject({
  kind: z.literal('PersistentVolume'),
  name: z.string(),
  ...common,
  facts: storageFacts,
  claim: z
    .strictObject({ namespace: z.string(), name: z.string() })
    .nullable()
    .describe('spec.claimRef: the claim it is bound to; null when none.'),
  verdicts: z.array(verdictInUse).describe("The volume's verdict for every requirement policies use."),
});

export const claimExplanation = z.strictObject({
  kind: z.literal('PersistentVolumeClaim'),
  namespace: z.string(),
  name: z.string(),
  ...common,
  storageClass: z
    .string()
    .nullable()
    .describe('The class it names, or the default one when it names none; null when neither.'),
  defaultedClass: z
    .boolean()
    .describe('True when the class is the default one (spec.storageClassName unset).'),
  volume: z.string().nullable().describe('spec.volumeName: the bound volume; null while unbound.'),
  pods: z.array(z.string()).describe('Pods of the inventory that mount it.'),
  admission: z
    .strictObject({
      allowed: z.boolean(),
      reason: reasonSchema.nullable().describe('StorageClassNotConforming when refused.'),
    })
    .describe('What admission decides for the claim now (Enforce policies selecting it by its labels).'),
  policies: z.array(
    z.strictObject({
      policy: objectRef,
      mode: z.enum(['Enforce', 'Audit']),
      verdict: verdictSchema.describe(
        "The bound volume's verdict, or while unbound its StorageClass's (the service only).",
      ),
    }),
  ),
});

const clusterNames = z.array(z.string());

export const templateExplanation = z.strictObject({
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']),
  namespace: z.string(),
  name: z.string(),
  ...common,
  karmada: z
    .boolean()
    .describe(
      'The inventory holds Karmada Clusters (cluster.karmada.io/v1alpha1); false: not a Karmada API server, or no cluster has joined.',
    ),
  policies: z
    .array(
      z.strictObject({
        policy: objectRef,
        mode: z.enum(['Enforce', 'Audit']),
        requirement: requirementSchema,
        expiryLeadTime: z.string(),
      }),
    )
    .describe(
      'Every policy selecting the template (its labels, namespace and kind, as for its pods): cluster policies first, then by name.',
    ),
  binding: z
    .strictObject({
      name: z.string(),
      replicaScheduling: z
        .string()
        .nullable()
        .describe(
          'spec.placement.replicaScheduling.replicaSchedulingType (Duplicated, Divided); null when unset.',
        ),
      scheduled: z
        .array(z.strictObject({ cluster: z.string(), replicas: z.int().nullable() }))
        .describe("spec.clusters: where Karmada's scheduler placed it, in the binding's order."),
      pinned: z
        .array(clusterNames.nullable())
        .describe(
          'clusterNames of each affinity term of spec.placement (clusterAffinities, or the one clusterAffinity); null for a term that names none.',
        ),
      pinnedToNoCluster: z
        .boolean()
        .describe(
          'Every term is pinned to the name no cluster has (no-conforming-cluster.sovereign-placement.io): Karmada places it nowhere.',
        ),
      pinRecorded: z
        .boolean()
        .describe(
          "The binding carries the operator's pin record (annotation sovereign-placement.io/pinned-cluster-names).",
        ),
    })
    .nullable()
    .describe(
      'The ResourceBinding of the template (spec.resource names it); null when Karmada has made none.',
    ),
  conforming: clusterNames.describe(
    'The Karmada clusters that conform to every selecting Enforce policy: what the operator pins the binding to.',
  ),
  pin: z
    .strictObject({
      expected: z
        .array(clusterNames)
        .nullable()
        .describe(
          'The names the operator would pin each affinity term to now; null when no Enforce policy selects the template.',
        ),
      upToDate: z
        .boolean()
        .nullable()
        .describe(
          'The binding is pinned exactly as the operator would pin it now; null without a binding or an Enforce policy.',
        ),
      differences: z
        .array(z.string())
        .describe('Each difference between the pin written and the pin due now, as a sentence.'),
    })
    .describe(
      "What the operator's webhook and binding controller would write now, compared with the binding.",
    ),
  clusters: z
    .array(
      z.strictObject({
        name: z.string(),
        conforms: z
          .boolean()
          .nullable()
          .describe(
            'Conforms to every selecting policy (Enforce and Audit); null when no policy selects the template.',
          ),
        scheduled: z.boolean().describe("Named in the binding's spec.clusters."),
        replicas: z
          .int()
          .nullable()
          .describe('Replicas Karmada gave it; null when not scheduled there or not said.'),
        pinned: z
          .boolean()
          .nullable()
          .describe(
            "Named in the binding's clusterNames; null when the binding names no cluster (or there is none).",
          ),
        reasons: z
          .array(reasonSchema)
          .describe('Why it does not conform (every policy, without repeats); empty when it conforms.'),
        verdicts: z
          .array(
            z.strictObject({
              policy: objectRef,
              conforms: z.boolean(),
              reasons: z.array(reasonSchema),
              nextTransitionAt: instant.nullable(),
            }),
          )
          .describe('The verdict of each selecting policy; empty when no MemberCluster records its facts.'),
      }),
    )
    .describe(
      'Every Karmada cluster, by name, judged from the MemberCluster of its name and its Ready condition.',
    ),
  notes: z.array(z.string()).describe('What the reader must know, one sentence each.'),
});

export const explainOutput = z
  .discriminatedUnion('kind', [
    nodeExplanation,
    podExplanation,
    policyExplanation,
    clusterPolicyExplanation,
    clusterExplanation,
    workloadExplanation,
    volumeExplanation,
    claimExplanation,
    templateExplanation,
  ])
  .describe('The output of `sovctl explain <kind>/<name> -o json`.');

export type Explanation = z.output<typeof explainOutput>;
export type NodeExplanation = z.output<typeof nodeExplanation>;
export type PodExplanation = z.output<typeof podExplanation>;
export type PolicyExplanation = z.output<typeof policyExplanation>;
export type ClusterPolicyExplanation = z.output<typeof clusterPolicyExplanation>;
export type ObjectRefOutput = z.output<typeof objectRef>;
export type ClusterExplanation = z.output<typeof clusterExplanation>;
export type WorkloadExplanation = z.output<typeof workloadExplanation>;
export type VolumeExplanation = z.output<typeof volumeExplanation>;
export type ClaimExplanation = z.output<typeof claimExplanation>;
export type TemplateExplanation = z.output<typeof templateExplanation>;
export type VerdictOutput = z.output<typeof verdictSchema>;
export type RequirementOutput = z.output<typeof requirementSchema>;
export type CapacityOutput = z.output<typeof capacitySchema>;
export type ConditionOutput = z.output<typeof conditionSchema>;
export type RecordedPlacementOutput = z.output<typeof recordedPlacementSchema>;
export type HealthSource = z.output<typeof healthSource>;

// ---- report -------------------------------------------------------------------------------------------

export const badgeEvidenceSchema = z
  .strictObject({
    type: z.enum(['Sovereign', 'Resilient']),
    area: z.string(),
    assurance: z.enum(['SelfDeclared', 'ThirdPartyCertified']),
    certifiedBy: z.string().nullable(),
    validFrom: z.string(),
    validUntil: z.string(),
    revokedAt: z.string().nullable(),
    evidenceRef: z.string().nullable(),
  })
  .meta({ id: 'BadgeEvidence' });

const party = z.strictObject({ name: z.string(), legalJurisdiction: z.string() });

export const evidenceSchema = z
  .strictObject({
    cloudService: z.string(),
    provider: party.extend({ ultimateParent: party.nullable() }),
    badges: z
      .array(badgeEvidenceSchema)
      .describe("The service's badges of the requirement's types for the requirement's area."),
  })
  .describe('What a verdict rests on: the CloudService of the target and its relevant badges.')
  .meta({ id: 'Evidence' });

const schemeLevelsHeld = z
  .strictObject({
    seal: z.int().optional(),
    gaiaXLabel: z.int().optional(),
    secNumCloud: z.boolean().optional(),
    eucs: z.enum(['Basic', 'Substantial', 'High']).optional(),
  })
  .nullable();

export const reportOutput = z
  .strictObject({
    kind: z.literal('SovereigntyReport'),
    at: instant,
    source: z.strictObject({
      mode: z.enum(['inventory', 'cluster']),
      location: z.string().describe('The inventory folder, or the API server URL and context.'),
    }),
    summary: z.strictObject({
      policies: z.int(),
      workloads: z.int(),
      podsOnConformingNodes: z
        .int()
        .describe(
          'Selected pods, each counted once, whose node conforms to every policy of the report selecting it.',
        ),
      podsOnNonConformingNodes: z
        .int()
        .describe(
          'Selected pods, each counted once, whose node does not conform to a policy of the report selecting it.',
        ),
      podsNotScheduled: z.int().describe('Selected pods, each counted once, not bound to a node.'),
      incompleteWorkloads: z.int(),
      events: z.int().nullable(),
    }),
    policies: z
      .array(
        z.strictObject({
          kind: z.enum(['SovereigntyPolicy', 'ClusterSovereigntyPolicy']),
          namespace: z.string().nullable().describe('Null for a ClusterSovereigntyPolicy.'),
          name: z.string(),
          mode: z.enum(['Enforce', 'Audit']),
          requirement: requirementSchema,
          expiryLeadTime: z.string(),
          capacity: capacitySchema,
          placements: z
            .array(
              z.strictObject({
                node: z.string(),
                pods: z
                  .array(z.string())
                  .describe(
                    'The selected pods on the node: names for a SovereigntyPolicy, namespace/name for a ClusterSovereigntyPolicy (whose pods span namespaces).',
                  ),
                verdict: verdictSchema.nullable().describe('Null when the node is not known.'),
                evidence: evidenceSchema.nullable(),
              }),
            )
            .describe('The nodes the selected pods run on, non-conforming first.'),
          notScheduled: z
            .array(z.string())
            .describe('Selected pods not bound to a node, named as in placements[].pods.'),
        }),
      )
      .describe('Cluster policies first, by name; then SovereigntyPolicies by namespace and name.'),
    workloads: z.array(
      z.strictObject({
        namespace: z.string(),
        name: z.string(),
        requirement: requirementSchema,
        expiryLeadTime: z.string(),
        clusters: z.int(),
        spreadAcrossProviders: z.int(),
        placements: z
          .array(
            z.strictObject({
              cluster: z.string(),
              chosen: z.boolean().describe('Chosen by the placement decision at the instant.'),
              recorded: z.boolean().describe("Listed in the workload's status.placements."),
              since: z.string().nullable(),
              state: z
                .enum(['Active', 'Leaving'])
                .nullable()
                .describe('The state the hub recorded; null when not recorded.'),
              available: z
                .boolean()
                .nullable()
                .describe('Whether the hub found the copy Available; null when not recorded or not said.'),
              leavingSince: z.string().nullable(),
              leavingReason: reasonSchema
                .nullable()
                .describe('Why the hub is leaving the member, and when its copy is removed.'),
              message: z.string().nullable().describe('The last error the hub recorded for this member.'),
              verdict: verdictSchema.nullable().describe('Null when the member cluster is not known.'),
              evidence: evidenceSchema.nullable(),
            }),
          )
          .describe('Clusters chosen now or recorded in the status, by name.'),
        decision: placementSchema,
        conditions: z
          .array(conditionSchema)
          .describe('Ready, CapacityAvailable and Available as the hub recorded them; empty when none.'),
        matchesRecorded: z
          .boolean()
          .describe('The recomputed decision agrees with the placements the hub recorded.'),
        differences: z.array(z.string()).describe('Each difference, as a sentence.'),
      }),
    ),
    karmada: z
      .strictObject({
        templates: z
          .array(
            z.strictObject({
              kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']),
              namespace: z.string(),
              name: z.string(),
              policies: z
                .array(z.strictObject({ policy: objectRef, mode: z.enum(['Enforce', 'Audit']) }))
                .describe('The policies of the report that select the template.'),
              binding: z
                .string()
                .nullable()
                .describe('Its ResourceBinding; null when Karmada has made none.'),
              scheduled: z
                .array(
                  z.strictObject({
                    cluster: z.string(),
                    replicas: z.int().nullable(),
                    conforms: z
                      .boolean()
                      .nullable()
                      .describe(
                        'Conforms to every policy selecting the template; null when not a Karmada Cluster.',
                      ),
                    reasons: z.array(reasonSchema).describe('Why it does not conform; empty when it does.'),
                  }),
                )
                .describe("spec.clusters of the binding: where Karmada's scheduler placed it."),
              pinned: z
                .array(z.string())
                .nullable()
                .describe(
                  "The binding's clusterNames (every affinity term); null when it names none or there is no binding.",
                ),
              pinnedToNoCluster: z.boolean(),
              pinUpToDate: z
                .boolean()
                .nullable()
                .describe(
                  'The binding is pinned as the operator would pin it now; null without a binding or an Enforce policy.',
                ),
              notes: z.array(z.string()).describe('As in sovctl explain of the template.'),
            }),
          )
          .describe(
            'Every template (Deployment, StatefulSet, DaemonSet, Job) a policy of the report selects, by kind, namespace and name.',
          ),
        clusters: z
          .array(
            z.strictObject({
              name: z.string(),
              ready: z.boolean().describe("Karmada's Ready condition of the Cluster is True."),
              cloudService: z
                .string()
                .nullable()
                .describe('From the MemberCluster record of the same name; null when there is none.'),
              verdicts: z
                .array(
                  z.strictObject({
                    policy: objectRef,
                    conforms: z.boolean(),
                    reasons: z.array(reasonSchema).describe('Why it does not conform; empty when it does.'),
                  }),
                )
                .describe('Its verdict for each policy of the report that selects a template.'),
            }),
          )
          .describe('Every Karmada Cluster, by name.'),
      })
      .nullable()
      .describe(
        'Placements in a Karmada control plane: null when the inventory holds no Karmada Cluster (not a Karmada API server).',
      ),
    cloudServices: z
      .array(
        z.strictObject({
          name: z.string(),
          provider: party.extend({ ultimateParent: party.nullable() }),
          badges: z.array(badgeEvidenceSchema),
          schemeLevels: schemeLevelsHeld,
        }),
      )
      .describe('Every CloudService with all its badges: the evidence catalogue.'),
    history: z
      .array(
        z.strictObject({
          time: z.string().nullable(),
          firstTime: z.string().nullable(),
          count: z.int(),
          type: z.string(),
          reason: z.string(),
          message: z.string(),
          object: z.strictObject({ kind: z.string(), namespace: z.string().nullable(), name: z.string() }),
        }),
      )
      .nullable()
      .describe(
        'Events recorded by the operator (source sovereign-placement) that the cluster still holds, oldest first; null offline.',
      ),
    auditHistory: auditHistorySchema
      .nullable()
      .describe('The placement history of a period from the decision log (--audit-log); null without it.'),
    generatedAt: instant.describe('When the report was made (the clock of the machine that ran sovctl).'),
    versions: z.strictObject({
      sovctl: z.string(),
      operator: z
        .array(z.string())
        .describe('The operator versions that wrote the audit records read; empty without --audit-log.'),
    }),
    integrity: z
      .strictObject({
        algorithm: z.literal('SHA-256'),
        contentSha256: z
          .string()
          .describe(
            'SHA-256 (hex) of this report as JSON.stringify writes it without indentation, with this field set to "".',
          ),
        auditLogSha256: z
          .string()
          .nullable()
          .describe('SHA-256 (hex) of the audit log file the history was built from; null without one.'),
      })
      .describe('What lets a reader tell that the report and the log it was built from were not edited.'),
  })
  .describe('The output of `sovctl report -o json`.');

export type Report = z.output<typeof reportOutput>;
export type EvidenceOutput = z.output<typeof evidenceSchema>;
export type BadgeEvidenceOutput = z.output<typeof badgeEvidenceSchema>;

/** zod writes a long regex beside `format: date-time`; the format says it all. */
function withoutDateTimePatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDateTimePatterns);
  if (node === null || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => !(key === 'pattern' && record.format === 'date-time'))
      .map(([key, value]) => [key, withoutDateTimePatterns(value)]),
  );
}

/** The JSON Schema documents of docs/, generated from the schemas above. */
export function jsonSchemas(): Record<string, unknown> {
  const doc = (schema: z.ZodType, id: string, title: string) => ({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://sovereign-placement.io/schemas/${id}`,
    title,
    ...(withoutDateTimePatterns(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' })) as Record<
      string,
      unknown
    >),
  });
  return {
    'docs/explain-output.schema.json': doc(
      explainOutput,
      'explain-output.schema.json',
      'sovctl explain -o json',
    ),
    'docs/report-output.schema.json': doc(reportOutput, 'report-output.schema.json', 'sovctl report -o json'),
  };
}
