import type { Verdict } from './conformance.ts';
import { type Reason, reason } from './reasons.ts';
import { providerOf, serviceNameOf, type Target } from './target.ts';

/**
 * Choosing N member clusters for a SovereignWorkload (docs/architecture.md, "One idea at every level").
 *
 * - Only conforming clusters (the verdict includes health) are ever chosen; when too few conform the
 *   workload runs on fewer, with NoConformingCapacity, never on a non-conforming one.
 * - Stable: clusters it runs on that still conform are preferred over any other, so an unrelated change
 *   (a new cluster, another cluster failing) moves nothing.
 * - Spread: first one cluster per provider until spreadAcrossProviders providers are covered, then fill.
 *   To reach the spread a kept cluster of an over-represented provider may give way to another provider.
 * - Deterministic: ties are broken by cluster name.
 */

export interface ClusterCandidate {
  readonly name: string;
  /** Provider used for spreading; null when the cluster's service is not known (it cannot conform). */
  readonly provider: string | null;
  readonly cloudService: string | null;
  /** The cluster's verdict for the workload's requirement. */
  readonly verdict: Verdict;
}

export const clusterCandidate = (target: Target, verdict: Verdict): ClusterCandidate => ({
  name: target.name,
  provider: providerOf(target),
  cloudService: serviceNameOf(target),
  verdict,
});

export interface PlacementRequest {
  /** How many clusters the workload runs on. */
  readonly clusters: number;
  /** At least this many distinct providers among the chosen clusters (default 1). */
  readonly spreadAcrossProviders?: number;
  /** Clusters the workload runs on now. */
  readonly current?: readonly string[];
}

export interface ChosenCluster {
  readonly cluster: string;
  readonly provider: string;
  readonly cloudService: string;
  /** It was already running the workload. */
  readonly kept: boolean;
}

export interface RejectedCluster {
  readonly cluster: string;
  readonly reasons: readonly Reason[];
}

export interface Placement {
  /** Sorted by cluster name. */
  readonly chosen: readonly ChosenCluster[];
  /** Every candidate not chosen, with why; sorted by cluster name. */
  readonly rejected: readonly RejectedCluster[];
  /** Clusters to apply the workload to (chosen, not current). */
  readonly added: readonly string[];
  /** Clusters to clean (current, not chosen, including ones no longer known). */
  readonly removed: readonly string[];
  /** Placed, or NoConformingCapacity and/or SpreadNotMet. */
  readonly reasons: readonly Reason[];
  /** As many clusters as asked, spread as asked. */
  readonly complete: boolean;
  /** Distinct providers among the chosen clusters. */
  readonly providers: number;
  /** Earliest next transition among the candidates' verdicts: re-place then. */
  readonly nextTransitionAt: number | null;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function placeWorkload(candidates: readonly ClusterCandidate[], request: PlacementRequest): Placement {
  const wanted = request.clusters;
  const spread = request.spreadAcrossProviders ?? 1;
  const current = new Set(request.current ?? []);

  // One candidate per name (the first), whatever the caller passed.
  const unique = new Map<string, ClusterCandidate>();
  for (const c of candidates) if (!unique.has(c.name)) unique.set(c.name, c);
  const all = [...unique.values()];

  const eligible = all.filter((c) => c.verdict.conforms && c.provider !== null && c.cloudService !== null);
  // Clusters it runs on first, then by name: this order is the whole stability rule.
  eligible.sort((a, b) => {
    const ka = current.has(a.name);
    return ka !== current.has(b.name) ? (ka ? -1 : 1) : cmp(a.name, b.name);
  });

  const chosen = new Set<ClusterCandidate>();
  const covered = new Set<string>();
  for (const c of eligible) {
    if (covered.size >= spread || chosen.size >= wanted) break;
    const provider = c.provider as string;
    if (covered.has(provider)) continue;
    chosen.add(c);
    covered.add(provider);
  }
  for (const c of eligible) {
    if (chosen.size >= wanted) break;
    chosen.add(c);
  }

  const reasons: Reason[] = [];
  if (chosen.size < wanted) {
    reasons.push(
      reason('NoConformingCapacity', { needed: wanted, found: chosen.size, what: 'member cluster' }),
    );
  }
  if (covered.size < spread)
    reasons.push(reason('SpreadNotMet', { providers: covered.size, wanted: spread }));
  const complete = reasons.length === 0;
  if (complete) reasons.push(reason('Placed', { clusters: chosen.size, providers: covered.size }));

  const chosenList = [...chosen]
    .map((c) => ({
      cluster: c.name,
      provider: c.provider as string,
      cloudService: c.cloudService as string,
      kept: current.has(c.name),
    }))
    .sort((a, b) => cmp(a.cluster, b.cluster));
  const chosenNames = new Set(chosenList.map((c) => c.cluster));
  const notSelected = [reason('NotSelected', { clusters: wanted })];
  const rejected = all
    .filter((c) => !chosenNames.has(c.name))
    .map((c) => ({ cluster: c.name, reasons: c.verdict.conforms ? notSelected : c.verdict.reasons }))
    .sort((a, b) => cmp(a.cluster, b.cluster));

  let nextTransitionAt: number | null = null;
  for (const c of all) {
    const t = c.verdict.nextTransitionAt;
    if (t !== null && (nextTransitionAt === null || t < nextTransitionAt)) nextTransitionAt = t;
  }

  return {
    chosen: chosenList,
    rejected,
    added: chosenList.filter((c) => !c.kept).map((c) => c.cluster),
    removed: [...current].filter((name) => !chosenNames.has(name)).sort(cmp),
    reasons,
    complete,
    providers: covered.size,
    nextTransitionAt,
  };
}
