import type { AnyPolicy } from '../api/index.ts';
import { type Assessed, type CapacitySummary, summarizeCapacity } from '../domain/capacity.ts';
import type { Verdict } from '../domain/conformance.ts';
import type { Target } from '../domain/target.ts';
import { type Derived, leadTimeOf } from './facts.ts';
import type { NodeObject } from './objects.ts';

/** The node's kubelet (or KWOK) reports Ready=True. */
export const isReady = (node: NodeObject): boolean =>
  node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** New pods can land here: Ready and not cordoned with `kubectl cordon`. */
export const acceptsPods = (node: NodeObject): boolean => isReady(node) && node.spec?.unschedulable !== true;

export interface AssessedNode extends Assessed {
  node: NodeObject;
  target: Target;
  verdict: Verdict;
}

/** Verdicts of every node for the policy's requirement, with the policy's lead time. */
export function assessNodes(
  policy: AnyPolicy,
  nodes: readonly NodeObject[],
  derived: Derived,
): AssessedNode[] {
  return nodes.flatMap((node) => {
    const target = derived.targets.get(node.metadata.name);
    if (!target) return [];
    const verdict = derived.evaluator.evaluate(target, policy.spec.requirement, {
      expiryLeadTimeMs: leadTimeOf(policy),
    });
    return [{ node, target, verdict }];
  });
}

/**
 * Conforming capacity where new pods can land now (Ready, schedulable nodes): what the operator's
 * `CapacityAvailable` condition and the scheduling gate go by.
 */
export function capacityOf(assessed: readonly AssessedNode[], minimumProviders = 1): CapacitySummary {
  return summarizeCapacity(
    assessed.filter((a) => acceptsPods(a.node)),
    minimumProviders,
  );
}

/**
 * Conforming nodes whatever their health: whether the inventory can host the requirement at all. Used
 * where a node's readiness is a passing state rather than a fact about placement (`sovctl check` judges
 * manifests in a pipeline against an inventory snapshot, and `sovctl explain` shows both figures).
 */
export function conformingCapacityOf(
  assessed: readonly AssessedNode[],
  minimumProviders = 1,
): CapacitySummary {
  return summarizeCapacity(assessed, minimumProviders);
}
