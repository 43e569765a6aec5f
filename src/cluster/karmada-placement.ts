import { z } from 'zod';
import { GROUP } from '../api/group.ts';
import type { AnyPolicy } from '../api/index.ts';
import type { Verdict } from '../domain/conformance.ts';
import { type Reason, reason } from '../domain/reasons.ts';
import { type ConditionInput, ConditionReason, ConditionType } from './conditions.ts';
import { type Derived, leadTimeOf } from './facts.ts';
import { type KarmadaClusterObject, karmadaClusterHealth } from './karmada-clusters.ts';
import { memberTarget } from './member-clusters.ts';

/**
 * Which Karmada Clusters a template selected by Enforce policies may run on, by name. The operator pins a
 * ResourceBinding with `clusterAffinity.clusterNames` (the conforming clusters, from its own verdicts) in
 * addition to the verdict-label expression, for three reasons:
 *  - a name list cannot be forged from the Cluster object: karmada-aggregated-apiserver serves Clusters
 *    without any admission, so a verdict label someone sets there is not refused (docs/karmada.md), but
 *    a Cluster that is not on the list is still not chosen;
 *  - changing a binding's placement makes karmada-scheduler schedule it again whatever its replica
 *    scheduling (Duplicated and Divided), while a label change on a Cluster does not move Divided
 *    bindings; so the operator re-pins bindings when the set of conforming clusters changes, and the
 *    workload leaves a cluster that stops conforming, with no taint that would evict every other
 *    workload of that cluster as well;
 *  - AnyOf several badges is one list of names, while a Karmada label selector is a single conjunction.
 */

/** A cluster name no Karmada Cluster can have (names are DNS labels): the list when nothing conforms. */
export const NO_CONFORMING_CLUSTER = `no-conforming-cluster.${GROUP}`;

/** Where the operator records what it pinned and what the placement asked before, on the binding. */
export const PINNED_ANNOTATION = `${GROUP}/pinned-cluster-names`;

/** One Karmada Cluster judged against the Enforce policies that select a template. */
export interface KarmadaClusterStanding {
  name: string;
  conforms: boolean;
  /** Why it does not conform (every policy's reasons, without repeats); empty when it conforms. */
  reasons: Reason[];
  /** The verdict of each policy, in the order given. */
  verdicts: Verdict[];
}

export interface KarmadaStandings {
  clusters: KarmadaClusterStanding[];
  /** Names of the conforming clusters, sorted. */
  conforming: string[];
  /** The next instant one of these verdicts can change. */
  nextTransitionAt: number | null;
}

const earliest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

/**
 * Every Karmada Cluster judged against every given policy: its facts from the MemberCluster record of
 * its name, its health from Karmada's Ready condition, the expiry lead time of each policy. A Cluster
 * without a record conforms to nothing.
 */
export function karmadaStandings(
  clusters: readonly KarmadaClusterObject[],
  policies: readonly AnyPolicy[],
  derived: Derived,
): KarmadaStandings {
  let next: number | null = null;
  const standings = [...clusters]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((cluster): KarmadaClusterStanding => {
      const name = cluster.metadata.name;
      const member = derived.memberClusters.find((m) => m.metadata.name === name);
      if (!member) {
        const missing = reason('UnknownCloudService', {
          kind: 'MemberCluster',
          detail: `no valid MemberCluster named ${name} records the facts of Karmada cluster ${name}`,
        });
        return { name, conforms: false, reasons: [missing], verdicts: [] };
      }
      const healthy = karmadaClusterHealth(cluster, derived.now).state === 'Reachable';
      const target = memberTarget(member, derived, healthy);
      const verdicts = policies.map((policy) =>
        derived.evaluator.evaluate(target, policy.spec.requirement, {
          expiryLeadTimeMs: leadTimeOf(policy),
        }),
      );
      const reasons = new Map<string, Reason>();
      for (const verdict of verdicts) {
        next = earliest(next, verdict.nextTransitionAt);
        if (!verdict.conforms) for (const r of verdict.reasons) reasons.set(`${r.code}\n${r.message}`, r);
      }
      return { name, conforms: verdicts.every((v) => v.conforms), reasons: [...reasons.values()], verdicts };
    });
  return {
    clusters: standings,
    conforming: standings.filter((s) => s.conforms).map((s) => s.name),
    nextTransitionAt: next,
  };
}

/** The pin record of a binding: per affinity term, the names pinned and the names the placement asked. */
const pinRecord = z.strictObject({
  pinned: z.array(z.array(z.string().max(253)).max(1000)).max(100),
  asked: z.array(z.array(z.string().max(253)).max(1000).nullable()).max(100),
});
export type PinRecord = z.infer<typeof pinRecord>;

/** The record an annotation holds, or null when it is missing or not ours (it is then ignored). */
export function readPinRecord(
  annotations: Readonly<Record<string, string>> | null | undefined,
): PinRecord | null {
  const raw = annotations?.[PINNED_ANNOTATION];
  if (raw === undefined || raw.length > 64 * 1024) return null;
  try {
    const parsed = pinRecord.safeParse(JSON.parse(raw));
    return parsed.success && parsed.data.pinned.length === parsed.data.asked.length ? parsed.data : null;
  } catch {
    return null;
  }
}

const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) =>
  (a ?? null) !== null &&
  (b ?? null) !== null &&
  a?.length === b?.length &&
  (a ?? []).every((v, i) => b?.[i] === v);

/**
 * The cluster names to pin one affinity term to, and what its placement asked. The names the placement
 * asks are the term's own list, unless that list is exactly what the operator pinned last time (Karmada
 * has not rewritten the placement since), in which case they are what the record says it asked then.
 * The pin is the conforming clusters among those asked (all conforming ones when it asks none), and the
 * name no cluster can have when that leaves none: an empty list would mean every cluster.
 */
export function pinnedNames(
  current: readonly string[] | null | undefined,
  recorded: { pinned: readonly string[]; asked: readonly string[] | null } | undefined,
  conforming: readonly string[],
): { names: string[]; asked: string[] | null } {
  const own = current && current.length > 0 ? [...current] : null;
  const asked = recorded && sameList(own, recorded.pinned) ? recorded.asked : own;
  const allowed = asked ? conforming.filter((name) => asked.includes(name)) : [...conforming];
  return { names: allowed.length > 0 ? allowed : [NO_CONFORMING_CLUSTER], asked: asked ? [...asked] : null };
}

/** The Events a re-pin records, on the template and on each policy selecting it. */
export const RepinReason = {
  /** The conforming clusters changed: the binding is pinned to the new set, Karmada schedules it again. */
  Repinned: 'Repinned',
  /** No cluster conforms: the binding is pinned to none, and Karmada places the template nowhere. */
  NoConformingCapacity: 'NoConformingCapacity',
} as const;

export interface RepinChange {
  type: 'Normal' | 'Warning';
  reason: (typeof RepinReason)[keyof typeof RepinReason];
  message: string;
}

const listed = (names: readonly string[]) => (names.length === 0 ? 'none' : names.join(', '));

/** Why each of these clusters does not conform, in one sentence per cluster. */
export function whyNotConforming(names: readonly string[], standings: KarmadaStandings): string {
  return names
    .map((name) => {
      const s = standings.clusters.find((c) => c.name === name);
      return `${name}: ${s ? s.reasons.map((r) => r.message).join(' ') || 'conforms' : 'no longer a Karmada cluster.'}`;
    })
    .join(' ');
}

/**
 * What a re-pin did, as the Event says it: which clusters the template left and why, which it may now
 * use, or that none conforms and Karmada places it nowhere.
 */
export function describeRepin(
  template: string,
  before: readonly (readonly string[])[] | null,
  conforming: readonly string[],
  standings: KarmadaStandings,
): RepinChange {
  const previous = [...new Set((before ?? []).flat())].filter((n) => n !== NO_CONFORMING_CLUSTER).sort();
  const left = previous.filter((n) => !conforming.includes(n));
  const joined = conforming.filter((n) => !previous.includes(n));
  if (conforming.length === 0) {
    const all = standings.clusters.map((c) => c.name);
    return {
      type: 'Warning',
      reason: RepinReason.NoConformingCapacity,
      message:
        `${template}: no Karmada cluster conforms, so it is pinned to none and Karmada places it nowhere rather than on a non-conforming cluster. ${whyNotConforming(all, standings)}`.trim(),
    };
  }
  const parts = [`${template} is pinned to the conforming clusters ${listed(conforming)}.`];
  // whyNotConforming names each cluster before its reasons.
  if (left.length > 0) parts.push(`It leaves ${whyNotConforming(left, standings)}`);
  if (joined.length > 0) parts.push(`It may now also run on ${listed(joined)}.`);
  return { type: 'Normal', reason: RepinReason.Repinned, message: parts.join(' ') };
}

/** Where one selected template runs: the clusters of its binding's schedule. */
export interface TemplatePlacement {
  /** `Kind namespace/name`. */
  template: string;
  clusters: string[];
  /** The clusters among them that do not conform to the policy (a move under way, or an Audit policy). */
  nonConforming: string[];
}

/** A policy's view of a Karmada control plane, for its status, conditions and reports. */
export interface KarmadaPolicyView {
  standings: KarmadaStandings;
  placements: TemplatePlacement[];
}

const scheduledSchema = z.looseObject({
  spec: z.looseObject({ clusters: z.array(z.looseObject({ name: z.string() })).nullish() }),
});

/**
 * Which clusters conform to the policy, and where each template it selects runs (from its binding's
 * `spec.clusters`, Karmada's schedule). `selects` says whether the policy selects a binding's template.
 */
export function karmadaPolicyView(
  policy: AnyPolicy,
  clusters: readonly KarmadaClusterObject[],
  bindings: readonly { template: string; binding: unknown }[],
  derived: Derived,
): KarmadaPolicyView {
  const standings = karmadaStandings(clusters, [policy], derived);
  const placements = bindings
    .map(({ template, binding }): TemplatePlacement => {
      const parsed = scheduledSchema.safeParse(binding);
      const names = parsed.success ? (parsed.data.spec.clusters ?? []).map((c) => c.name).sort() : [];
      return {
        template,
        clusters: names,
        nonConforming: names.filter((n) => !standings.conforming.includes(n)),
      };
    })
    .sort((a, b) => a.template.localeCompare(b.template));
  return { standings, placements };
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * The Ready message, Conforming and CapacityAvailable conditions of a policy in Karmada mode: about
 * templates and Karmada clusters, since the Karmada API server has no pods or nodes of its own.
 */
export function karmadaConditions(
  view: KarmadaPolicyView,
  observedGeneration: number | undefined,
): { readyMessage: string; conditions: ConditionInput[] } {
  const { standings, placements } = view;
  const conforming = standings.conforming;
  const off = placements.filter((p) => p.nonConforming.length > 0);
  const notConforming = standings.clusters.filter((c) => !c.conforms).map((c) => c.name);
  return {
    readyMessage: `${plural(placements.length, 'template')} selected, ${plural(conforming.length, 'conforming Karmada cluster')}.`,
    conditions: [
      off.length === 0
        ? {
            type: ConditionType.Conforming,
            status: 'True',
            reason: ConditionReason.AllTemplatesConform,
            message: `Every selected template (${placements.length}) is scheduled on conforming Karmada clusters only.`,
            observedGeneration,
          }
        : {
            type: ConditionType.Conforming,
            status: 'False',
            reason: ConditionReason.TemplatesOnNonConformingClusters,
            message: `${plural(off.length, 'template')} still scheduled on non-conforming clusters: ${off
              .slice(0, 5)
              .map((p) => `${p.template} on ${p.nonConforming.join(', ')}`)
              .join('; ')}${off.length > 5 ? '; ...' : ''}. ${whyNotConforming(
              [...new Set(off.flatMap((p) => p.nonConforming))],
              standings,
            )}`,
            observedGeneration,
          },
      conforming.length > 0
        ? {
            type: ConditionType.CapacityAvailable,
            status: 'True',
            reason: ConditionReason.ConformingCapacity,
            message: `${plural(conforming.length, 'Karmada cluster')} conform: ${conforming.join(', ')}.${
              notConforming.length > 0 ? ` Not conforming: ${whyNotConforming(notConforming, standings)}` : ''
            }`,
            observedGeneration,
          }
        : {
            type: ConditionType.CapacityAvailable,
            status: 'False',
            reason: ConditionReason.NoConformingCapacity,
            message:
              `No Karmada cluster conforms; selected templates are placed nowhere rather than on a non-conforming cluster. ${whyNotConforming(notConforming, standings)}`.trim(),
            observedGeneration,
          },
    ],
  };
}
