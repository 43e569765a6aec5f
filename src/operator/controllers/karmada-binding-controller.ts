import type { KubeConfig } from '@kubernetes/client-node';
import {
  admittedBindingSchema,
  type BindingLookups,
  planBindingPin,
} from '../../cluster/admission/admit-binding.ts';
import type { KarmadaClusterObject } from '../../cluster/karmada-clusters.ts';
import { describeRepin, karmadaStandings, readPinRecord } from '../../cluster/karmada-placement.ts';
import { httpStatusOf, kubeRequest } from '../../kube/request.ts';
import { type ControllerContext, NOT_LEADER, type ReconcileResult } from './context.ts';
import { policyRef } from './policy-controller.ts';

/**
 * Karmada mode: keeps the pin of every ResourceBinding equal to what the webhook would write now. The
 * webhook pins a binding when Karmada creates or updates it; this controller re-pins it when the set of
 * conforming clusters changes without the binding changing (a badge within its lead time, a provider's
 * parent leaving the area, a cluster losing Ready), so that karmada-scheduler, which schedules a binding
 * again when its placement changes, moves the workload off a cluster that stopped conforming, Duplicated
 * and Divided alike. The patch goes through the webhook, which computes the same pin and adds nothing.
 */

export const BINDING_GROUP = 'work.karmada.io';
export const BINDING_VERSION = 'v1alpha2';

/** Caches whose changes can change some binding's pin: all bindings are enqueued. */
export const KARMADA_BINDING_WAKES: readonly string[] = [
  'karmadaClusters',
  'memberClusters',
  'policies',
  'clusterPolicies',
  'services',
  'areas',
  'namespaces',
  'deployments',
  'statefulsets',
  'daemonsets',
  'jobs',
];

/** Retry soon after a concurrent change of the binding (Karmada updates bindings often). */
const CONFLICT_RETRY_MS = 200;

export interface BindingControllerSources {
  binding: (key: string) => unknown;
  clusters: () => KarmadaClusterObject[];
  lookups: BindingLookups;
}

export class KarmadaBindingController {
  private readonly ctx: ControllerContext;
  private readonly kubeConfig: KubeConfig;
  private readonly sources: BindingControllerSources;

  constructor(ctx: ControllerContext, kubeConfig: KubeConfig, sources: BindingControllerSources) {
    this.ctx = ctx;
    this.kubeConfig = kubeConfig;
    this.sources = sources;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx } = this;
    if (!ctx.isLeader()) return NOT_LEADER;
    const parsed = admittedBindingSchema.safeParse(this.sources.binding(key));
    // Gone, or not a binding this operator can read: nothing to pin (the webhook refuses unreadable ones).
    if (!parsed.success) return;
    const binding = parsed.data;
    const [namespace = '', name = ''] = key.split('/');
    const pin = planBindingPin(binding, namespace, this.sources.lookups, 'UPDATE');
    if (pin.decision !== 'pin') return;
    const derived = ctx.derived();
    const standings = karmadaStandings(this.sources.clusters(), pin.selecting, derived);
    const next = standings.nextTransitionAt === null ? undefined : { requeueAt: standings.nextTransitionAt };
    if (pin.patch.length === 0) return next;
    const resourceVersion = (binding.metadata as { resourceVersion?: string } | null | undefined)
      ?.resourceVersion;
    try {
      await kubeRequest(this.kubeConfig, {
        method: 'PATCH',
        path: `/apis/${BINDING_GROUP}/${BINDING_VERSION}/namespaces/${encodeURIComponent(namespace)}/resourcebindings/${encodeURIComponent(name)}`,
        // The test makes the patch fail rather than overwrite a placement Karmada changed meanwhile.
        body: [
          ...(resourceVersion
            ? [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }]
            : []),
          ...pin.patch,
        ],
        contentType: 'application/json-patch+json',
      });
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 409 || status === 422 || status === 404) return { requeueAfterMs: CONFLICT_RETRY_MS };
      throw error;
    }
    const before = readPinRecord(binding.metadata?.annotations)?.pinned ?? null;
    const change = describeRepin(pin.template, before, pin.conforming, standings);
    ctx.metrics.karmadaRepins.inc({
      outcome: change.type === 'Warning' ? 'no_conforming_cluster' : 'pinned',
    });
    ctx.log.info({ binding: key, template: pin.template, clusters: pin.conforming }, change.message);
    const { apiVersion, kind, name: template } = binding.spec.resource;
    ctx.events.record(
      { apiVersion, kind, namespace, name: template },
      change.type,
      change.reason,
      change.message,
    );
    for (const policy of pin.selecting)
      ctx.events.record(policyRef(policy), change.type, change.reason, change.message);
    return next;
  }
}
