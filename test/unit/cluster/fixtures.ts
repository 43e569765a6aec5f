/**
 * Kubernetes objects as plain JSON, the way the API server sends them, for the adapter-layer tests.
 * Custom resources are raw objects (deriveFacts validates them); `policy()` parses one through its zod
 * definition where a test needs the typed value.
 */
import { API_VERSION, ENROLLMENT_LABEL, ENROLLMENT_VALUE, NodeFactLabels } from '../../../src/api/group.ts';
import type { SovereigntyPolicy } from '../../../src/api/index.ts';
import { SovereigntyPolicyDef } from '../../../src/api/index.ts';
import type { ClusterState } from '../../../src/cluster/facts.ts';
import type {
  NamespaceObject,
  NodeObject,
  PodDisruptionBudgetObject,
  PodObject,
} from '../../../src/cluster/objects.ts';
import type { EvictionRateLimit } from '../../../src/domain/failover.ts';
import { T0 } from '../domain/fixtures.ts';

export const NS = 'payments';
export const GATE = 'sovereign-placement.io/conformance';

/** A raw SovereigntyPolicy (Sovereign badge in area eu, Enforce, unless `spec` says otherwise). */
export function policyObject(
  name: string,
  spec: Record<string, unknown> = {},
  namespace = NS,
  generation = 1,
): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'SovereigntyPolicy',
    metadata: { name, namespace, generation },
    spec: { selector: {}, requirement: { badges: ['Sovereign'], area: 'eu' }, ...spec },
  };
}

export const policy = (name: string, spec: Record<string, unknown> = {}, namespace = NS): SovereigntyPolicy =>
  SovereigntyPolicyDef.object.parse(policyObject(name, spec, namespace)) as SovereigntyPolicy;

/** A raw SovereigntyArea. */
export function areaObject(name: string, countries: string[]): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: 'SovereigntyArea', metadata: { name }, spec: { countries } };
}

export const euArea = areaObject('eu', ['FR', 'DE', 'FI', 'NL', 'BE']);

export interface NodeOptions {
  /** CloudService named by the protected label; none when omitted. */
  service?: string;
  country?: string;
  ready?: boolean;
  unschedulable?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function nodeObject(name: string, o: NodeOptions = {}): NodeObject {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        ...(o.service === undefined ? {} : { [NodeFactLabels.cloudService]: o.service }),
        [NodeFactLabels.country]: o.country ?? 'FR',
        ...o.labels,
      },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: o.unschedulable ? { unschedulable: true, taints: [] } : {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'DiskPressure', status: 'False' },
        { type: 'Ready', status: o.ready === false ? 'False' : 'True' },
      ],
    },
  };
}

export interface PodOptions {
  namespace?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  gated?: boolean;
  phase?: string;
  /** Controller owner. */
  owner?: { kind: string; name: string };
  terminating?: boolean;
}

export function podObject(name: string, o: PodOptions = {}): PodObject {
  return {
    metadata: {
      name,
      namespace: o.namespace ?? NS,
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'ledger' },
      ...(o.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: o.owner.kind, name: o.owner.name, uid: 'x', controller: true },
            ],
          }
        : {}),
      ...(o.terminating ? { deletionTimestamp: '2026-06-01T00:00:00Z' } : {}),
    },
    spec: {
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.gated ? { schedulingGates: [{ name: GATE }] } : {}),
    },
    status: { phase: o.phase ?? (o.nodeName ? 'Running' : 'Pending') },
  };
}

export function namespaceObject(name: string, enrolled = true): NamespaceObject {
  return {
    metadata: {
      name,
      labels: {
        'kubernetes.io/metadata.name': name,
        ...(enrolled ? { [ENROLLMENT_LABEL]: ENROLLMENT_VALUE } : {}),
      },
    },
  };
}

export function budgetObject(
  name: string,
  matchLabels: Record<string, string>,
  disruptionsAllowed: number,
  namespace = NS,
): PodDisruptionBudgetObject {
  return {
    metadata: { name, namespace },
    spec: { selector: { matchLabels } },
    status: { disruptionsAllowed },
  };
}

export function clusterState(partial: Partial<ClusterState> = {}): ClusterState {
  return {
    nodes: [],
    pods: [],
    namespaces: [namespaceObject(NS)],
    budgets: [],
    policies: [],
    services: [],
    areas: [euArea],
    ...partial,
  };
}

/** A rate-limit window that ended long ago: ten evictions allowed. */
export const freshRateLimit: EvictionRateLimit = {
  maxEvictionsPerMinute: 10,
  windowStartedAt: T0 - 120_000,
  evictionsInWindow: 0,
};
