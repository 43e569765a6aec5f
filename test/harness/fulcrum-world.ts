import { derive } from '../../src/cluster/facts.ts';
import type { ControllerContext } from '../../src/operator/controllers/context.ts';
import { FulcrumController } from '../../src/operator/controllers/fulcrum-controller.ts';
import { createMetrics } from '../../src/operator/metrics.ts';
import type { FulcrumStandIn } from './fulcrum-standin.ts';

/**
 * The Fulcrum controller against a stand-in Fulcrum, with the Kubernetes side in memory: the records it
 * reads (CloudServices, areas, the FulcrumFederation) are plain objects a test edits, and the status and
 * Events it writes are kept for the test to read. The real controller, planner and client run.
 */

export type Obj = Record<string, unknown> & {
  metadata: { name: string; generation?: number; uid?: string };
  status?: Record<string, unknown>;
};

export const area = (name = 'eu', countries = ['FR', 'DE', 'NL']): Obj => ({
  apiVersion: 'sovereign-placement.io/v1alpha1',
  kind: 'SovereigntyArea',
  metadata: { name },
  spec: { countries },
});

export function cloudService(
  name: string,
  jurisdiction: string,
  badge: Partial<{ assurance: string; validUntil: string; revokedAt: string; provider: string }> = {},
): Obj {
  return {
    apiVersion: 'sovereign-placement.io/v1alpha1',
    kind: 'CloudService',
    metadata: { name },
    spec: {
      provider: { name: badge.provider ?? `${name} SAS`, legalJurisdiction: jurisdiction },
      badges: [
        {
          type: 'Sovereign',
          area: 'eu',
          assurance: badge.assurance ?? 'ThirdPartyCertified',
          certifiedBy: 'Example Certification Body',
          validFrom: '2025-01-01T00:00:00Z',
          validUntil: badge.validUntil ?? '2030-01-01T00:00:00Z',
          ...(badge.revokedAt ? { revokedAt: badge.revokedAt } : {}),
        },
      ],
    },
  };
}

export interface WorldEvent {
  type: string;
  reason: string;
  message: string;
}

export class FulcrumWorld {
  readonly services = new Map<string, Obj>();
  readonly areas = new Map<string, Obj>([['eu', area()]]);
  federation: Obj;
  readonly events: WorldEvent[] = [];
  readonly statusWrites: Record<string, unknown>[] = [];
  readonly metrics = createMetrics();
  token: string | null;
  now = Date.parse('2026-06-01T00:00:00Z');
  private readonly controller: FulcrumController;

  constructor(standIn: FulcrumStandIn, spec: Record<string, unknown>) {
    this.token = standIn.adminToken;
    this.federation = {
      apiVersion: 'sovereign-placement.io/v1alpha1',
      kind: 'FulcrumFederation',
      metadata: { name: 'cispe', generation: 1, uid: 'u-1' },
      spec: {
        url: standIn.url,
        tokenSecretRef: { namespace: 'sovereign-placement-system', name: 'fulcrum-token' },
        verdictTags: [{ badge: 'Sovereign', area: 'eu' }],
        requestTimeout: '2s',
        ...spec,
      },
    };
    const ctx = {
      derived: () =>
        derive(
          {
            nodes: [],
            pods: [],
            namespaces: [],
            budgets: [],
            policies: [],
            services: [...this.services.values()],
            areas: [...this.areas.values()],
          },
          this.now,
        ),
      writer: {
        mergePatchStatus: async (
          _plural: string,
          _ns: string | undefined,
          _name: string,
          status: Record<string, unknown>,
        ) => {
          this.statusWrites.push(status);
          const merged: Record<string, unknown> = { ...(this.federation.status ?? {}) };
          for (const [k, v] of Object.entries(status)) {
            if (v === null) delete merged[k];
            else merged[k] = v;
          }
          this.federation.status = JSON.parse(JSON.stringify(merged));
        },
      },
      events: {
        record: (_ref: unknown, type: string, reason: string, message: string) =>
          this.events.push({ type, reason, message }),
      },
      metrics: this.metrics,
      log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
      now: () => this.now,
      isLeader: () => true,
    } as unknown as ControllerContext;
    this.controller = new FulcrumController(ctx, {
      federation: (name) => (name === this.federation.metadata.name ? (this.federation as never) : undefined),
      token: async () => this.token,
    });
  }

  reconcile() {
    return this.controller.reconcile(this.federation.metadata.name);
  }

  condition(type = 'Synced'): { status: string; reason: string; message: string } | undefined {
    const conditions = (this.federation.status?.conditions ?? []) as {
      type: string;
      status: string;
      reason: string;
      message: string;
    }[];
    return conditions.find((c) => c.type === type);
  }
}
