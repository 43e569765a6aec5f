import { CloudServiceDef } from './cloud-service.ts';
import { ClusterSovereigntyPolicyDef } from './cluster-sovereignty-policy.ts';
import { FulcrumFederationDef } from './fulcrum-federation.ts';
import { MemberClusterDef } from './member-cluster.ts';
import { SovereignWorkloadDef } from './sovereign-workload.ts';
import { SovereigntyAreaDef } from './sovereignty-area.ts';
import { SovereigntyPolicyDef } from './sovereignty-policy.ts';

export type { Badge, CloudService } from './cloud-service.ts';
export type { ClusterSovereigntyPolicy } from './cluster-sovereignty-policy.ts';
export type { FulcrumAgentMapping, FulcrumFederation } from './fulcrum-federation.ts';
export * from './group.ts';
export type { MemberCluster } from './member-cluster.ts';
export type { Requirement } from './requirement.ts';
export type { SovereignWorkload } from './sovereign-workload.ts';
export type { SovereigntyArea } from './sovereignty-area.ts';
export type { SovereigntyPolicy } from './sovereignty-policy.ts';

import type { ClusterSovereigntyPolicy } from './cluster-sovereignty-policy.ts';
import type { SovereigntyPolicy } from './sovereignty-policy.ts';
/** Either kind of policy: the same requirement and failover, namespaced or mandated across namespaces. */
export type AnyPolicy = SovereigntyPolicy | ClusterSovereigntyPolicy;
export {
  CloudServiceDef,
  ClusterSovereigntyPolicyDef,
  FulcrumFederationDef,
  MemberClusterDef,
  SovereigntyAreaDef,
  SovereigntyPolicyDef,
  SovereignWorkloadDef,
};

/** Every kind of the API group, in the order their CRDs are written. */
export const resourceDefinitions = [
  SovereigntyAreaDef,
  CloudServiceDef,
  SovereigntyPolicyDef,
  ClusterSovereigntyPolicyDef,
  MemberClusterDef,
  SovereignWorkloadDef,
  FulcrumFederationDef,
] as const;

export type ResourceKind = (typeof resourceDefinitions)[number]['kind'];
