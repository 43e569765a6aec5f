import { z } from 'zod';
import { countryCode, dateTime, durationAtMost, objectName, reasonEntry, statusBase } from './common.ts';
import { defineResource } from './resource.ts';

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
      cloudService: objectName.describe('The CloudService the cluster runs on.'),
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
        .default('60s')
        .describe('How long the member may be unreachable before its workloads fail over.'),
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
    })
    .describe('Observed state of the member cluster.'),
  rootRules: [],
  printerColumns: [
    { name: 'Cloud Service', type: 'string', jsonPath: '.spec.cloudService' },
    { name: 'Country', type: 'string', jsonPath: '.spec.country' },
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type MemberCluster = z.output<typeof MemberClusterDef.object>;
