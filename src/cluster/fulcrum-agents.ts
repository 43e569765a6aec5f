import type { FulcrumFederation } from '../api/index.ts';
import { parseDuration } from '../domain/duration.ts';
import { verdictSentence } from '../domain/explain.ts';
import { type FulcrumAgentFacts, fulcrumAgentTarget } from '../domain/membership.ts';
import type { Reason } from '../domain/reasons.ts';
import { type ConformanceRequirement, describeRequirement } from '../domain/requirement.ts';
import type { Target } from '../domain/target.ts';
import { createVerdictLabeler, verdictLabelKey } from '../domain/verdict-labels.ts';
import { isVerdictTag, mergeVerdictTags, type VerdictTagChange, verdictTag } from '../domain/verdict-tags.ts';
import type { Derived } from './facts.ts';

/**
 * The Fulcrum adapter: from a FulcrumFederation (the platform team's mapping of agents to cloud services
 * and countries) and the agents Fulcrum lists, the verdict tags each agent should carry and the status
 * line of each agent. The same conformance, labeler and sentences as for nodes and member clusters: a
 * Fulcrum agent is one more kind of Target.
 */

/** An agent as the Fulcrum client returns it (already validated). */
export interface FulcrumAgentObject extends FulcrumAgentFacts {
  readonly tags: readonly string[];
}

/** One verdict tag the connection keeps, with the requirement it stands for. */
export interface VerdictTagUse {
  readonly tag: string;
  readonly requirement: ConformanceRequirement;
  readonly leadTimeMs: number;
}

export interface AgentVerdictStatus {
  tag: string;
  requirement: string;
  conforms: boolean;
  reasons: Reason[];
}

export interface AgentStatusEntry {
  id: string;
  name: string;
  participantId?: string;
  fulcrumStatus: string;
  cloudService?: string;
  country?: string;
  verdicts: AgentVerdictStatus[];
}

export interface TagChange {
  tag: string;
  granted: boolean;
  sentence: string;
}

export interface AgentPlan {
  id: string;
  name: string;
  /** The tag array to write (null: already right). */
  tags: VerdictTagChange;
  status: AgentStatusEntry;
  changes: TagChange[];
  /** Whether the agent carries at least one verdict tag once the plan is applied. */
  conforming: boolean;
}

export interface FederationPlan {
  agents: AgentPlan[];
  /** The next instant a verdict can change (a badge edge, minus its lead time). */
  nextTransitionAt: number | null;
}

const earliest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

/** Every tag the connection keeps: per (badge, area) pair, one for any assurance and one for certified. */
export function verdictTagUses(federation: FulcrumFederation): VerdictTagUse[] {
  return federation.spec.verdictTags.flatMap((pair) => {
    const leadTimeMs = parseDuration(pair.expiryLeadTime);
    const requirement = { badges: [pair.badge], area: pair.area } as const;
    return [
      { tag: verdictTag(pair.badge, pair.area), requirement, leadTimeMs },
      {
        tag: verdictTag(pair.badge, pair.area, 'ThirdPartyCertified'),
        requirement: { ...requirement, minimumAssurance: 'ThirdPartyCertified' as const },
        leadTimeMs,
      },
    ];
  });
}

/** The agent's target under the connection's mapping. */
export function agentTarget(
  federation: FulcrumFederation,
  agent: FulcrumAgentFacts,
  derived: Pick<Derived, 'catalog'>,
): Target {
  const record = federation.spec.agents.find((a) => a.id === agent.id);
  return fulcrumAgentTarget(agent, record, federation.metadata.name, derived.catalog);
}

/** What one agent should carry, and why, at `derived.now`. */
export function planAgent(
  federation: FulcrumFederation,
  agent: FulcrumAgentObject,
  derived: Derived,
): AgentPlan {
  const target = agentTarget(federation, agent, derived);
  const uses = verdictTagUses(federation);
  const labeler = createVerdictLabeler(
    federation.spec.verdictTags.map((p) => ({
      requirement: { badges: [p.badge], area: p.area },
      expiryLeadTimeMs: parseDuration(p.expiryLeadTime),
    })),
    { areas: derived.areaIndex },
    derived.now,
    derived.evaluator,
  );
  const labels = labeler(target).labels;
  const desired: string[] = [];
  for (const pair of federation.spec.verdictTags) {
    const assurance = labels[verdictLabelKey(pair.badge, pair.area)];
    if (assurance === undefined) continue;
    desired.push(verdictTag(pair.badge, pair.area));
    if (assurance === 'ThirdPartyCertified')
      desired.push(verdictTag(pair.badge, pair.area, 'ThirdPartyCertified'));
  }

  const verdicts: AgentVerdictStatus[] = [];
  const byTag = new Map<string, { use: VerdictTagUse; conforms: boolean; sentence: string }>();
  for (const use of uses) {
    const verdict = derived.evaluator.evaluate(target, use.requirement, { expiryLeadTimeMs: use.leadTimeMs });
    verdicts.push({
      tag: use.tag,
      requirement: describeRequirement(use.requirement),
      conforms: verdict.conforms,
      reasons: [...verdict.reasons],
    });
    byTag.set(use.tag, {
      use,
      conforms: verdict.conforms,
      sentence: verdictSentence(target, use.requirement, verdict),
    });
  }

  const tags = mergeVerdictTags(agent.tags, desired);
  const changes: TagChange[] = [
    ...tags.added.map((tag) => ({ tag, granted: true, sentence: byTag.get(tag)?.sentence ?? tag })),
    ...tags.removed.map((tag) => ({
      tag,
      granted: false,
      sentence:
        byTag.get(tag)?.sentence ??
        `Tag "${tag}" on Fulcrum agent ${target.name} is not a verdict tag the operator grants it (set by someone else, or for a pair no longer in use); it is removed.`,
    })),
  ];
  const record = federation.spec.agents.find((a) => a.id === agent.id);
  return {
    id: agent.id,
    name: agent.name,
    tags,
    // Cut to the status schema's bounds: what Fulcrum sends is not ours to vouch for, and one overlong
    // name must not make the whole status unwritable.
    status: {
      id: agent.id,
      name: agent.name.slice(0, 253),
      ...(agent.providerId === null ? {} : { participantId: agent.providerId }),
      fulcrumStatus: agent.status.slice(0, 32),
      ...(record ? { cloudService: record.cloudService, country: record.country } : {}),
      verdicts,
    },
    changes,
    conforming: desired.length > 0,
  };
}

/** Every agent's plan, and when to plan again. */
export function planFulcrumFederation(
  federation: FulcrumFederation,
  agents: readonly FulcrumAgentObject[],
  derived: Derived,
): FederationPlan {
  let next: number | null = null;
  const plans: AgentPlan[] = [];
  for (const agent of agents) {
    const target = agentTarget(federation, agent, derived);
    for (const use of verdictTagUses(federation)) {
      const verdict = derived.evaluator.evaluate(target, use.requirement, {
        expiryLeadTimeMs: use.leadTimeMs,
      });
      next = earliest(next, verdict.nextTransitionAt);
    }
    plans.push(planAgent(federation, agent, derived));
  }
  return { agents: plans, nextTransitionAt: next };
}

/** Whether an agent carries any verdict tag (the operator's, or a forged one). */
export const carriesVerdictTag = (agent: { tags: readonly string[] }): boolean =>
  agent.tags.some(isVerdictTag);
