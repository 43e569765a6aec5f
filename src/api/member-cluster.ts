import { z } from 'zod';
import {
  countryCode,
  dateTime,
  durationAtMost,
  objectName,
  reasonEntry,
  statusBase,
  withRules,
} from './common.ts';
import { parseDuration } from './duration.ts';
import { defineResource } from './resource.ts';

/**
 * How the hub probes a member's API server. Bounded so that no setting can make the hub probe a member
 * more than once a second, wait on one probe longer than a period, or need more than ten probes to change
 * its mind (thresholds count consecutive probes, so one lost probe never flips Reachable).
 */
const probe = withRules(
  z
    .strictObject({
      period: durationAtMost('10m').default('5s').describe('Time between two probes (1s to 10m).'),
      timeout: durationAtMost('1m')
        .default('3s')
        .describe('How long one probe may take before it counts as failed (at most 1m and at most period).'),
      failureThreshold: z
        .int()
        .min(1, 'failureThreshold must be at least 1')
        .max(10, 'failureThreshold must be at most 10')
        .default(3)
        .describe('Consecutive failed probes before the member counts as unreachable.'),
      successThreshold: z
        .int()
        .min(1, 'successThreshold must be at least 1')
        .max(10, 'successThreshold must be at most 10')
        .default(1)
        .describe('Consecutive successful probes before an unreachable member counts as reachable again.'),
    })
    .describe("How the hub probes the member's /readyz and /version."),
  [
    {
      cel: "!has(self.period) || duration(self.period) >= duration('1s')",
      message: 'period must be at least 1s',
      field: '.period',
      holds: (p) => safeMs(p.period) >= 1000,
    },
    {
      cel: "!has(self.timeout) || duration(self.timeout) <= duration(has(self.period) ? self.period : '5s')",
      message: 'timeout cannot exceed period',
      field: '.timeout',
      holds: (p) => safeMs(p.timeout) <= safeMs(p.period),
    },
  ],
);

/** The duration in ms, NaN when malformed (the field's own rule then names it). */
function safeMs(d: string): number {
  try {
    return parseDuration(d);
  } catch {
    return Number.NaN;
  }
}

export const MemberClusterDef = defineResource({
  kind: 'MemberCluster',
  plural: 'memberclusters',
  singular: 'membercluster',
  shortNames: ['mcl'],
  scope: 'Cluster',
  description:
    'A member cluster of the federation, as the hub knows it: its cloud service, country and credentials. Facts about a member come from this record, never from the member itself.',
  spec: z
    .strictObject({
      cloudService: objectName.describe('The CloudService the cluster runs on (its nodes).'),
      controlPlaneCloudService: objectName
        .optional()
        .describe(
          "The CloudService operating the cluster's Kubernetes control plane (API server, etcd, IAM), when not the same as cloudService. Conformance checks both.",
        ),
      country: countryCode.describe('Country the cluster physically is in (ISO 3166-1 alpha-2).'),
      region: z.string().max(128).optional().describe('Provider region, informational only.'),
      kubeconfigSecretRef: z
        .strictObject({
          namespace: objectName.describe('Namespace of the Secret.'),
          name: objectName.describe('Name of the Secret.'),
          key: z
            .string()
            .min(1)
            .max(253)
            .default('kubeconfig')
            .describe('Key in the Secret holding the kubeconfig.'),
        })
        .describe('Secret with a kubeconfig for the member cluster.'),
      unreachableGracePeriod: durationAtMost('720h')
        .default('20s')
        .describe(
          'How long the member may be unreachable (after failureThreshold failed probes) before its workloads fail over. The defaults (5s probes, 3 failures, 20s) fail a lost member over in about 35s.',
        ),
      probe: probe.prefault({}),
      cordoned: z
        .boolean()
        .default(false)
        .describe('When true, no new workload is placed here and current ones move away.'),
    })
    .describe('Where the member cluster runs and how to reach it.'),
  status: z
    .strictObject({
      ...statusBase,
      lastHeartbeatTime: dateTime.optional().describe('Last successful contact with the member.'),
      kubernetesVersion: z.string().max(64).optional().describe('Version the member reported.'),
      reasons: z
        .array(reasonEntry)
        .max(32)
        .optional()
        .describe('Why the member does not conform or is unhealthy.'),
      verdicts: z
        .array(
          z.strictObject({
            requirement: z.string().max(1024).describe('The requirement, as a sentence.'),
            conforms: z.boolean().describe('Whether the member conforms to it now.'),
            reasons: z.array(reasonEntry).max(32).describe('Why (one Conforming reason when it conforms).'),
          }),
        )
        .max(256)
        .optional()
        .describe('One verdict per requirement in use by a policy or SovereignWorkload.'),
      nextTransitionAt: dateTime.optional().describe('The next instant at which a verdict can change.'),
    })
    .describe('Observed state of the member cluster.'),
  rootRules: [],
  printerColumns: [
    { name: 'Cloud Service', type: 'string', jsonPath: '.spec.cloudService' },
    { name: 'Country', type: 'string', jsonPath: '.spec.country' },
    { name: 'Reachable', type: 'string', jsonPath: ".status.conditions[?(@.type=='Reachable')].status" },
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'Version', type: 'string', jsonPath: '.status.kubernetesVersion' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type MemberCluster = z.output<typeof MemberClusterDef.object>;
