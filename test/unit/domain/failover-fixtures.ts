import type { FailoverInput, NodeStanding, SelectedPod } from '../../../src/domain/index.ts';
import { reason } from '../../../src/domain/index.ts';
import { HOUR, T0 } from './fixtures.ts';

export const bad = (since: number | null = T0 - HOUR): NodeStanding => ({
  conforms: false,
  notConformingSince: since,
  reasons: [reason('BadgeExpired', { service: 's', badge: 'Sovereign', area: 'eu', validUntil: T0 - HOUR })],
});
export const good: NodeStanding = { conforms: true, notConformingSince: null, reasons: [] };

export function pod(name: string, nodeName: string | null, extra: Partial<SelectedPod> = {}): SelectedPod {
  return {
    namespace: 'apps',
    name,
    node: nodeName,
    labels: { app: 'web' },
    owner: { kind: 'ReplicaSet', name: 'web-1' },
    terminating: false,
    ...extra,
  };
}

export function failoverInput(overrides: Partial<FailoverInput> = {}): FailoverInput {
  return {
    pods: [],
    nodes: new Map([
      ['bad-node', bad()],
      ['good-node', good],
    ]),
    budgets: [],
    rateLimit: { maxEvictionsPerMinute: 10, windowStartedAt: T0 - 120_000, evictionsInWindow: 0 },
    gracePeriodMs: 0,
    mode: 'Enforce',
    onNoConformingCapacity: 'Evict',
    conformingCapacityExists: true,
    now: T0,
    ...overrides,
  };
}
