import { z } from 'zod';
import { boundedInt, dateTime, durationAtMost, labelSelector, reasonEntry, statusBase } from './common.ts';
import { requirement } from './requirement.ts';
import { defineResource, type PrinterColumn } from './resource.ts';

export const workloadKind = z.enum(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export const policyFailover = z
  .strictObject({
    gracePeriod: durationAtMost('720h')
      .default('0s')
      .describe('How long a pod may stay on a node after the node stops conforming, before eviction.'),
    expiryLeadTime: durationAtMost('8760h')
      .default('24h')
      .describe('Move pods this long before a badge expires, so the move happens while still conforming.'),
    nodeFailureToleration: durationAtMost('720h')
      .optional()
      .describe(
        'tolerationSeconds for the not-ready and unreachable taints on selected pods (Kubernetes default: 5m).',
      ),
    onNoConformingCapacity: z
      .enum(['Evict', 'Retain'])
      .default('Evict')
      .describe(
        'When a node stops conforming and no conforming capacity exists: Evict (compliance first) or Retain.',
      ),
    maxEvictionsPerMinute: boundedInt('maxEvictionsPerMinute', 1, 10000, 'a number of evictions')
      .default(10)
      .describe('Upper bound on evictions this policy makes per minute.'),
  })
  .describe('How and when pods move when their node stops conforming.');

/** The fields a SovereigntyPolicy and a ClusterSovereigntyPolicy share. */
export const policySpecShape = {
  selector: labelSelector.describe(
    'Pods this policy applies to, by label. {} selects every pod of the namespace (or, for a ClusterSovereigntyPolicy, of the selected namespaces).',
  ),
  workloadKinds: z
    .array(workloadKind)
    .max(5)
    .optional()
    .describe('Only pods owned by these kinds (Pod means a bare pod). Omit for all kinds.')
    .meta({ 'x-kubernetes-list-type': 'set' }),
  requirement,
  mode: z
    .enum(['Enforce', 'Audit'])
    .default('Enforce')
    .describe('Enforce: pin and move pods; Audit: only report non-conformance.'),
  failover: policyFailover.prefault({}),
};

/** Observed state of a SovereigntyPolicy or a ClusterSovereigntyPolicy. */
export const policyStatus = z
  .strictObject({
    ...statusBase,
    matchedWorkloads: z
      .int()
      .min(0)
      .optional()
      .describe('Workloads (controllers, or bare pods) whose pods the policy selects.'),
    matchedPods: z.int().min(0).optional().describe('Pods selected by the policy.'),
    conformingPods: z.int().min(0).optional().describe('Selected pods on conforming nodes.'),
    nonConformingPods: z.int().min(0).optional().describe('Selected pods running on non-conforming nodes.'),
    gatedPods: z.int().min(0).optional().describe('Selected pods held back because no node conforms.'),
    nonConformingVolumes: z
      .int()
      .min(0)
      .optional()
      .describe(
        'PersistentVolumes mounted by selected pods that do not conform (data is never moved by the operator).',
      ),
    conformingNodes: z.int().min(0).optional().describe('Nodes that satisfy the requirement.'),
    matchedTemplates: z
      .int()
      .min(0)
      .optional()
      .describe('Karmada mode: resource templates (Deployments, ...) the policy selects.'),
    conformingClusters: z
      .int()
      .min(0)
      .optional()
      .describe('Karmada mode: Karmada clusters that satisfy the requirement.'),
    karmadaPlacements: z
      .array(
        z.strictObject({
          template: z.string().max(400).describe('Kind namespace/name of the resource template.'),
          clusters: z
            .array(z.string().max(253))
            .max(1000)
            .describe("The Karmada clusters its ResourceBinding is scheduled on (Karmada's spec.clusters)."),
        }),
      )
      .max(64)
      .optional()
      .describe('Karmada mode: where each selected template is scheduled (the first 64, by name).'),
    capacity: z
      .array(
        z.strictObject({
          provider: z.string().describe('Provider name.'),
          cloudService: z.string().describe('CloudService name.'),
          conformingNodes: z.int().min(0).describe('Conforming nodes of this service.'),
        }),
      )
      .max(256)
      .optional()
      .describe('Conforming capacity per provider and cloud service.'),
    nextTransitionAt: dateTime.optional().describe('The next instant at which a verdict can change.'),
    evictionWindow: z
      .strictObject({
        startedAt: dateTime.describe('When the current one-minute window started.'),
        evictions: z.int().min(0).max(10000).describe('Evictions made (or about to be made) in it.'),
      })
      .optional()
      .describe(
        'The eviction rate-limit window, recorded before evicting so that restarts and leader changes never reset it.',
      ),
    reasons: z
      .array(reasonEntry)
      .max(32)
      .optional()
      .describe('Why nodes do not conform, most frequent first.'),
  })
  .describe('Observed state of the policy.');

/** Columns of `kubectl get` for both kinds of policy. */
export const policyPrinterColumns: PrinterColumn[] = [
  { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
  { name: 'Area', type: 'string', jsonPath: '.spec.requirement.area' },
  { name: 'Matched', type: 'integer', jsonPath: '.status.matchedPods' },
  { name: 'Non-Conforming', type: 'integer', jsonPath: '.status.nonConformingPods' },
  {
    name: 'Non-Conforming Volumes',
    type: 'integer',
    jsonPath: '.status.nonConformingVolumes',
    description: 'PersistentVolumes of selected pods that do not conform.',
  },
  { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

export const SovereigntyPolicyDef = defineResource({
  kind: 'SovereigntyPolicy',
  plural: 'sovereigntypolicies',
  singular: 'sovereigntypolicy',
  shortNames: ['spol'],
  scope: 'Namespaced',
  description:
    'Which workloads of a namespace need which badge in which area, enforced (Enforce) or only reported (Audit).',
  spec: z.strictObject(policySpecShape).describe('Selected workloads and what they need.'),
  status: policyStatus,
  rootRules: [],
  printerColumns: policyPrinterColumns,
});
export type SovereigntyPolicy = z.output<typeof SovereigntyPolicyDef.object>;
