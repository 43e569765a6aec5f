import type { Verdict } from './conformance.ts';
import { type Reason, reason } from './reasons.ts';
import { providerOf, serviceNameOf, type Target } from './target.ts';

/**
 * Conforming capacity of a requirement over many targets: what a policy's status reports, and what
 * failover asks before evicting ("is there anywhere to go?").
 */

export interface ServiceCapacity {
  readonly provider: string;
  readonly cloudService: string;
  readonly conformingTargets: number;
}

export interface CapacitySummary {
  readonly conformingTargets: number;
  /** Distinct providers with at least one conforming target. */
  readonly providers: number;
  /** Per cloud service, sorted by provider then service. */
  readonly byService: readonly ServiceCapacity[];
  /** At least one conforming target exists and enough providers are covered. */
  readonly sufficient: boolean;
  /** NoConformingCapacity / TooFewProviders, empty when sufficient. */
  readonly reasons: readonly Reason[];
}

export interface Assessed {
  readonly target: Target;
  readonly verdict: Verdict;
}

export function summarizeCapacity(assessed: readonly Assessed[], minimumProviders = 1): CapacitySummary {
  const counts = new Map<string, { provider: string; cloudService: string; conformingTargets: number }>();
  let conformingTargets = 0;
  let kind: Target['kind'] = 'Node';
  for (const { target, verdict } of assessed) {
    kind = target.kind;
    if (!verdict.conforms) continue;
    const provider = providerOf(target);
    const cloudService = serviceNameOf(target);
    if (provider === null || cloudService === null) continue;
    conformingTargets++;
    const key = `${provider}\u0000${cloudService}`;
    const entry = counts.get(key) ?? { provider, cloudService, conformingTargets: 0 };
    entry.conformingTargets++;
    counts.set(key, entry);
  }
  const byService = [...counts.values()].sort((a, b) =>
    a.provider === b.provider ? cmp(a.cloudService, b.cloudService) : cmp(a.provider, b.provider),
  );
  const providers = new Set(byService.map((s) => s.provider)).size;
  const reasons: Reason[] = [];
  if (conformingTargets === 0) {
    const what = kind === 'Node' ? 'node' : 'member cluster';
    reasons.push(reason('NoConformingCapacity', { needed: 1, found: 0, what }));
  } else if (providers < minimumProviders) {
    reasons.push(reason('TooFewProviders', { providers, needed: minimumProviders }));
  }
  return { conformingTargets, providers, byService, sufficient: reasons.length === 0, reasons };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface ReasonCount {
  readonly reason: Reason;
  readonly count: number;
}

/** Why targets do not conform, most frequent first (ties by code, then message): a policy's status. */
export function mostFrequentReasons(verdicts: readonly Verdict[], limit = 32): ReasonCount[] {
  const counts = new Map<string, { reason: Reason; count: number }>();
  for (const verdict of verdicts) {
    if (verdict.conforms) continue;
    for (const r of verdict.reasons) {
      const key = `${r.code}\u0000${r.message}`;
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { reason: r, count: 1 });
    }
  }
  return [...counts.values()]
    .sort(
      (a, b) =>
        b.count - a.count || cmp(a.reason.code, b.reason.code) || cmp(a.reason.message, b.reason.message),
    )
    .slice(0, limit);
}
