import { z } from 'zod';
import { dateTime, durationAtMost, objectName, reasonEntry, statusBase, withRules } from './common.ts';
import { requirement } from './requirement.ts';
import { defineResource } from './resource.ts';

const manifest = z
  .looseObject({
    apiVersion: z.string().min(1, 'every manifest needs an apiVersion'),
    kind: z.string().min(1, 'every manifest needs a kind'),
    metadata: z.looseObject({ name: objectName }),
  })
  .describe('A Kubernetes object to apply to each chosen member cluster.')
  .meta({ 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true });

const placement = withRules(
  z
    .strictObject({
      clusters: z
        .int()
        .min(1, 'clusters must be at least 1')
        .max(100)
        .describe('How many member clusters to run on.'),
      spreadAcrossProviders: z
        .int()
        .min(1)
        .max(16)
        .default(1)
        .describe('Choose clusters of at least this many distinct providers.'),
    })
    .describe('How many member clusters, and how spread.'),
  [
    {
      cel: '!has(self.spreadAcrossProviders) || self.spreadAcrossProviders <= self.clusters',
      message: 'spreadAcrossProviders cannot exceed clusters',
      field: '.spreadAcrossProviders',
      holds: (p) => p.spreadAcrossProviders <= p.clusters,
    },
  ],
);

export const SovereignWorkloadDef = defineResource({
  kind: 'SovereignWorkload',
  plural: 'sovereignworkloads',
  singular: 'sovereignworkload',
  shortNames: ['swl'],
  scope: 'Namespaced',
  description:
    'A set of manifests that the hub runs on N conforming member clusters, failing over only to conforming ones.',
  spec: z
    .strictObject({
      requirement,
      placement,
      failover: z
        .strictObject({
          expiryLeadTime: durationAtMost('8760h')
            .default('24h')
            .describe('Move away from a cluster this long before its badge expires.'),
          removeNonConforming: z
            .enum(['Immediately', 'AfterReplacementAvailable'])
            .default('Immediately')
            .describe(
              'When a member stops conforming: remove its copy Immediately (compliance first), or only once the replacement is Available.',
            ),
          onNoConformingCapacity: z
            .enum(['Evict', 'Retain'])
            .default('Evict')
            .describe(
              'When a member stops conforming and no conforming member can replace it: Evict (remove its copy, compliance first) or Retain (keep it until a replacement is Available).',
            ),
        })
        .prefault({})
        .describe('When to move to another member.'),
      manifests: z
        .array(manifest)
        .min(1, 'a workload needs at least one manifest')
        .max(100)
        .describe('Objects applied with server-side apply to every chosen member.'),
    })
    .describe('What to run, where it may run, and how many times.'),
  status: z
    .strictObject({
      ...statusBase,
      placements: z
        .array(
          z.strictObject({
            cluster: z.string().describe('MemberCluster name.'),
            cloudService: z.string().describe('CloudService of the member.'),
            provider: z.string().describe('Provider of the member.'),
            since: dateTime.describe('When the workload was placed there.'),
            available: z
              .boolean()
              .optional()
              .describe(
                'Every manifest exists on the member, and its Deployments and StatefulSets have all their replicas available.',
              ),
            state: z
              .enum(['Active', 'Leaving'])
              .optional()
              .describe(
                'Active (also when absent): a chosen member. Leaving: the workload is moving away; its copy is still there.',
              ),
            leavingSince: dateTime.optional().describe('When the workload started leaving this member.'),
            reason: reasonEntry.optional().describe('Why it is leaving, and when its copy is removed.'),
            removal: z
              .enum(['Now', 'AfterReplacementAvailable', 'Retained'])
              .optional()
              .describe(
                'For a Leaving member: when its copy is removed (Retained: kept for want of conforming capacity until a replacement is Available).',
              ),
            message: z
              .string()
              .max(1024)
              .optional()
              .describe('The last error applying to, reading or cleaning this member, if any.'),
          }),
        )
        .max(200)
        .optional()
        .describe(
          'Member clusters the workload runs on or is leaving (the record of every copy the hub made).',
        ),
      rejected: z
        .array(
          z.strictObject({
            cluster: z.string().describe('MemberCluster name.'),
            reasons: z.array(reasonEntry).max(16).describe('Why it was not chosen.'),
          }),
        )
        .max(500)
        .optional()
        .describe('Member clusters not chosen, with why.'),
      reasons: z.array(reasonEntry).max(16).optional().describe('Why the placement is as it is.'),
      nextTransitionAt: dateTime.optional().describe('The next instant at which a verdict can change.'),
    })
    .describe('Observed state of the workload.'),
  rootRules: [],
  printerColumns: [
    { name: 'Area', type: 'string', jsonPath: '.spec.requirement.area' },
    { name: 'Clusters', type: 'integer', jsonPath: '.spec.placement.clusters' },
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'Available', type: 'string', jsonPath: ".status.conditions[?(@.type=='Available')].status" },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type SovereignWorkload = z.output<typeof SovereignWorkloadDef.object>;
