import type { CloudService } from '../api/index.ts';
import type { Reason, TargetKind } from './reasons.ts';

export type { TargetKind } from './reasons.ts';

/** Which CloudService runs a target: exactly one, or the reason why none can be named. */
export type Membership =
  | { readonly service: CloudService; readonly reason: null }
  | { readonly service: null; readonly reason: Reason };

/**
 * A node or member cluster as conformance sees it: only trusted facts, already resolved. Built by
 * `nodeTarget` / `memberClusterTarget`; tests and benchmarks build it directly.
 */
export interface Target {
  readonly kind: TargetKind;
  readonly name: string;
  readonly membership: Membership;
  /** ISO 3166-1 alpha-2 code of the country it physically is in; null when no trusted fact says. */
  readonly country: string | null;
  readonly healthy: boolean;
  /** Why it is not healthy, when a sentence says more than the kind (a Fulcrum agent's status). */
  readonly healthDetail?: string;
  readonly cordoned: boolean;
  /**
   * Member clusters only: the CloudService operating the Kubernetes control plane, when it is not the
   * nodes' service. The framework counts the control plane as a Critical Asset, so a cluster conforms
   * only when this service meets the requirement too. Absent: the nodes' service operates it.
   */
  readonly controlPlane?: Membership;
}

/** The provider that operates a target's service, or null when the service is not known. */
export const providerOf = (target: Target): string | null =>
  target.membership.service?.spec.provider.name ?? null;

export const serviceNameOf = (target: Target): string | null =>
  target.membership.service?.metadata.name ?? null;
