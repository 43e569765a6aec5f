import { verdictRecord } from '../../cluster/audit-records.ts';
import { planNodeVerdicts } from '../../cluster/node-verdicts.ts';
import { VERDICT_LABEL_PREFIX } from '../../domain/verdict-labels.ts';
import { allOf, type ControllerContext, NOT_LEADER, type ReconcileResult, type Wake } from './context.ts';

const nodeRef = (name: string, uid?: string) => ({ apiVersion: 'v1', kind: 'Node', name, uid });

/**
 * What wakes a node: its own changes (labels, annotations, readiness: the operator filters heartbeats
 * out), and every change of the facts its verdicts come from. A policy event matters because the set of
 * (badge, area) pairs in use, and their lead times, decide which verdict labels exist.
 */
export const nodeControllerWakes: readonly Wake[] = [
  { on: 'nodes', enqueue: (key) => [key] },
  { on: 'policies', enqueue: allOf('nodes') },
  { on: 'clusterPolicies', enqueue: allOf('nodes') },
  { on: 'services', enqueue: allOf('nodes') },
  { on: 'areas', enqueue: allOf('nodes') },
];

/** Keeps each Node's verdict labels equal to what the domain decides, and says why when they change. */
export async function reconcileNode(ctx: ControllerContext, name: string): Promise<ReconcileResult> {
  if (!ctx.isLeader()) return NOT_LEADER;
  const node = ctx.node(name);
  if (!node) return;
  const derived = ctx.derived();
  const plan = planNodeVerdicts(node, derived);
  if (plan.patch) {
    await ctx.writer.mergePatchNode(name, plan.patch);
    for (const change of plan.changes) {
      ctx.metrics.nodeVerdictChanges.inc({ change: change.granted ? 'granted' : 'revoked' });
      ctx.log.info({ node: name, label: change.key, granted: change.granted }, change.sentence);
      if (change.facts)
        ctx.audit?.(
          verdictRecord({
            granted: change.granted,
            uid: node.metadata.uid,
            sentence: change.sentence,
            at: derived.now,
            ...change.facts,
          }),
        );
      ctx.events.record(
        nodeRef(name, node.metadata.uid),
        change.granted ? 'Normal' : 'Warning',
        change.granted ? 'VerdictGranted' : 'VerdictRevoked',
        change.sentence,
      );
    }
  }
  for (const d of plan.disagreements) {
    ctx.events.record(nodeRef(name, node.metadata.uid), 'Warning', d.reason.code, d.reason.message);
  }
  return plan.nextTransitionAt === null ? undefined : { requeueAt: plan.nextTransitionAt };
}

/** Gauges over all nodes, recomputed after node reconciles (cheap: labels only). */
export function updateNodeGauges(ctx: ControllerContext): void {
  const prefix = VERDICT_LABEL_PREFIX;
  ctx.metrics.conformingNodes.reset();
  const counts = new Map<string, number>();
  for (const node of ctx.state().nodes) {
    for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
      if (!key.startsWith(prefix) || key.startsWith(`${prefix}scheme.`)) continue;
      const id = `${key.slice(prefix.length)}\u0000${value}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  for (const [id, count] of counts) {
    const [pair = '', assurance = ''] = id.split('\u0000');
    const [badge = '', ...area] = pair.split('.');
    ctx.metrics.conformingNodes.set({ badge, area: area.join('.'), assurance }, count);
  }
  ctx.metrics.badgeExpiry.reset();
  for (const service of ctx.derived().services) {
    for (const b of service.spec.badges) {
      ctx.metrics.badgeExpiry.set(
        { cloud_service: service.metadata.name, badge: b.type, area: b.area },
        Date.parse(b.validUntil) / 1000,
      );
    }
  }
}
