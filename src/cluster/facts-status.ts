import { badgeExpiresAt } from '../domain/badges.ts';
import { formatInstant } from '../domain/time.ts';
import type { Derived } from './facts.ts';

export interface CloudServiceStatus {
  observedGeneration?: number;
  nodeCount: number;
  /** Earliest validUntil among badges valid now; what alerts on expiring badges key on. */
  badgeExpiresAt?: string;
}

/** Status of each CloudService: the nodes it runs (by the same membership rule as verdicts) and the next expiry. */
export function cloudServiceStatuses(derived: Derived): Map<string, CloudServiceStatus> {
  const nodeCounts = new Map<string, number>();
  for (const target of derived.targets.values()) {
    const name = target.membership.service?.metadata.name;
    if (name) nodeCounts.set(name, (nodeCounts.get(name) ?? 0) + 1);
  }
  const statuses = new Map<string, CloudServiceStatus>();
  for (const service of derived.services) {
    const expiry = badgeExpiresAt(service, derived.now);
    statuses.set(service.metadata.name, {
      observedGeneration: service.metadata.generation,
      nodeCount: nodeCounts.get(service.metadata.name) ?? 0,
      ...(expiry === null ? {} : { badgeExpiresAt: formatInstant(expiry) }),
    });
  }
  return statuses;
}
