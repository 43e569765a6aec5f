import { z } from 'zod';
import { labelSelector } from './common.ts';
import { defineResource } from './resource.ts';
import { policyPrinterColumns, policySpecShape, policyStatus } from './sovereignty-policy.ts';

/**
 * The platform team's policy: the same requirement and failover blocks as a SovereigntyPolicy, across the
 * namespaces its namespaceSelector selects. Cluster-scoped, so only those who may write cluster-scoped
 * objects (platform administrators) can create, loosen or delete it. Namespaced policies add to it; they
 * can never weaken it, because every Enforce policy that selects a pod pins it (their terms are ANDed)
 * and each one moves it when its own requirement is no longer met.
 */
export const ClusterSovereigntyPolicyDef = defineResource({
  kind: 'ClusterSovereigntyPolicy',
  plural: 'clustersovereigntypolicies',
  singular: 'clustersovereigntypolicy',
  shortNames: ['cspol'],
  scope: 'Cluster',
  description:
    'Sovereignty mandated by the platform team across namespaces: namespaced SovereigntyPolicies may add requirements, never loosen or switch it off.',
  spec: z
    .strictObject({
      namespaceSelector: labelSelector.describe(
        'Namespaces this policy applies to, by label ({} selects every namespace; every namespace has the label kubernetes.io/metadata.name=<name>). Pods are pinned only in namespaces enrolled for admission.',
      ),
      ...policySpecShape,
    })
    .describe('Selected namespaces and workloads, and what they need.'),
  status: policyStatus,
  rootRules: [],
  printerColumns: policyPrinterColumns,
});
export type ClusterSovereigntyPolicy = z.output<typeof ClusterSovereigntyPolicyDef.object>;
