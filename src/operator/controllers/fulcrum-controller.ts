import { type FulcrumFederation, FulcrumFederationDef } from '../../api/index.ts';
import { validateWith } from '../../api/validate.ts';
import {
  type Condition,
  type ConditionInput,
  ConditionReason,
  ConditionType,
  mergeConditions,
} from '../../cluster/conditions.ts';
import type { Derived } from '../../cluster/facts.ts';
import {
  type AgentPlan,
  type FulcrumAgentObject,
  planAgent,
  planFulcrumFederation,
  type TagChange,
} from '../../cluster/fulcrum-agents.ts';
import { parseDuration } from '../../domain/duration.ts';
import { formatInstant } from '../../domain/time.ts';
import {
  type FulcrumAgent,
  FulcrumClient,
  FulcrumError,
  type FulcrumErrorKind,
} from '../../fulcrum/client.ts';
import { sameStatus } from '../status.ts';
import { allOf, type ControllerContext, NOT_LEADER, type ReconcileResult, type Wake } from './context.ts';

/**
 * Keeps the verdict tags of a Fulcrum core's agents equal to what the domain decides, shaped like the
 * other controllers: caches and Fulcrum's agent list in, the pure planner (`planFulcrumFederation`) in the
 * middle, tags, one condition (Synced) and Events out, and a re-check at the next instant a verdict can
 * change. Fulcrum has no watch: the agent list is also read again every `syncInterval`, which is what
 * undoes a verdict tag a participant put on its own agent.
 */

/** What wakes a connection: its own record, and every fact its verdicts come from. */
export const fulcrumControllerWakes: readonly Wake[] = [
  { on: 'fulcrumFederations', enqueue: (key) => [key] },
  { on: 'services', enqueue: allOf('fulcrumFederations') },
  { on: 'areas', enqueue: allOf('fulcrumFederations') },
];

/** How long to wait before trying a failing Fulcrum again, at most (syncInterval when shorter). */
const RETRY_MS = 30_000;
/** PATCH replaces the whole tag array with no conditional update: read, merge, write, and read again. */
const MAX_WRITES = 3;
/** The CRD's bound on status.agents. */
const MAX_STATUS_AGENTS = 1024;

export interface FulcrumAccess {
  federation: (
    name: string,
  ) =>
    | { metadata: { name: string; generation?: number; uid?: string }; status?: Record<string, unknown> }
    | undefined;
  /** The token from the Secret, or null when the Secret or key is missing. */
  token: (namespace: string, name: string, key: string) => Promise<string | null>;
  /** A client (tests may point it elsewhere). */
  client?: (url: string, token: string, timeoutMs: number) => FulcrumClient;
}

const REASON_OF: Record<FulcrumErrorKind, ConditionReason> = {
  Unauthorized: ConditionReason.FulcrumUnauthorized,
  Forbidden: ConditionReason.FulcrumForbidden,
  NotFound: ConditionReason.FulcrumNotFound,
  Rejected: ConditionReason.FulcrumRejected,
  ServerError: ConditionReason.FulcrumServerError,
  Timeout: ConditionReason.FulcrumTimeout,
  Unreachable: ConditionReason.FulcrumUnreachable,
  InvalidResponse: ConditionReason.FulcrumInvalidResponse,
};

/** An agent as the planner reads it: only what Fulcrum reports, never its configuration. */
export const agentObject = (a: FulcrumAgent): FulcrumAgentObject => ({
  id: a.id,
  name: a.name,
  status: a.status,
  providerId: a.providerId ?? a.participant?.id ?? null,
  tags: a.tags,
});

const ref = (name: string, uid?: string) => ({
  apiVersion: 'sovereign-placement.io/v1alpha1',
  kind: 'FulcrumFederation',
  name,
  uid,
});

export class FulcrumController {
  private readonly ctx: ControllerContext;
  private readonly access: FulcrumAccess;

  constructor(ctx: ControllerContext, access: FulcrumAccess) {
    this.ctx = ctx;
    this.access = access;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const { ctx } = this;
    if (!ctx.isLeader()) return NOT_LEADER;
    const raw = this.access.federation(name);
    if (!raw) {
      ctx.metrics.fulcrumAgents.remove({ connection: name, state: 'conforming' });
      ctx.metrics.fulcrumAgents.remove({ connection: name, state: 'not_conforming' });
      return;
    }
    const derived = ctx.derived();
    const now = derived.now;
    const generation = raw.metadata.generation;
    const previous = (raw.status ?? {}) as { conditions?: Condition[] };
    const condition = (
      status: Condition['status'],
      reason: ConditionReason,
      message: string,
    ): ConditionInput => ({
      type: ConditionType.Synced,
      status,
      reason,
      message,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    });
    const writeStatus = async (fields: Record<string, unknown>, c: ConditionInput) => {
      const status = {
        ...(raw.status ?? {}),
        ...fields,
        ...(generation === undefined ? {} : { observedGeneration: generation }),
        conditions: mergeConditions(previous.conditions, [c], formatInstant(now)),
      };
      if (!sameStatus(raw.status ?? {}, status))
        await ctx.writer.mergePatchStatus('fulcrumfederations', undefined, name, status);
    };

    const valid = validateWith(FulcrumFederationDef.object, raw);
    if (!valid.ok) {
      // Its last known agents stay in status: they say what the tags were when the record was valid.
      await writeStatus(
        {},
        condition('False', ConditionReason.InvalidSpec, `The spec is invalid: ${valid.errors.join('; ')}`),
      );
      return;
    }
    const federation = valid.value as FulcrumFederation;
    const syncMs = parseDuration(federation.spec.syncInterval);
    const fail = async (reason: ConditionReason, message: string): Promise<ReconcileResult> => {
      ctx.metrics.fulcrumSyncErrors.inc({ connection: name, reason });
      ctx.log.warn({ fulcrumFederation: name, reason }, message);
      ctx.events.record(ref(name, raw.metadata.uid), 'Warning', reason, message);
      await writeStatus(
        {},
        condition('False', reason, `${message} The agents below are as of the last successful sync.`),
      );
      return { requeueAfterMs: Math.min(RETRY_MS, syncMs) };
    };

    const secret = federation.spec.tokenSecretRef;
    const token = await this.access.token(secret.namespace, secret.name, secret.key);
    if (token === null)
      return fail(
        ConditionReason.TokenSecretMissing,
        `Secret ${secret.namespace}/${secret.name} with key ${secret.key} holding the Fulcrum token does not exist or cannot be read.`,
      );
    const client = (this.access.client ?? defaultClient)(
      federation.spec.url,
      token,
      parseDuration(federation.spec.requestTimeout),
    );

    let agents: FulcrumAgentObject[];
    try {
      agents = (await client.listAgents()).map(agentObject);
    } catch (error) {
      if (error instanceof FulcrumError)
        return fail(REASON_OF[error.kind], `Fulcrum at ${federation.spec.url}: ${error.message}.`);
      throw error;
    }

    const plan = planFulcrumFederation(federation, agents, derived);
    const final: AgentPlan[] = [];
    const failures: string[] = [];
    let failureKind: FulcrumErrorKind | undefined;
    for (const agentPlan of plan.agents) {
      if (agentPlan.tags.tags === null) {
        final.push(agentPlan);
        continue;
      }
      try {
        const { plan: written, changes } = await this.writeTags(client, federation, agentPlan.id, derived);
        final.push(written);
        this.report(name, raw.metadata.uid, agentPlan, changes);
      } catch (error) {
        if (!(error instanceof FulcrumError)) throw error;
        failureKind ??= error.kind;
        failures.push(`agent ${agentPlan.name || agentPlan.id}: ${error.message}`);
        final.push(agentPlan);
      }
    }

    const conforming = final.filter((p) => p.conforming).length;
    ctx.metrics.fulcrumAgents.set({ connection: name, state: 'conforming' }, conforming);
    ctx.metrics.fulcrumAgents.set({ connection: name, state: 'not_conforming' }, final.length - conforming);
    const fields = {
      agentCount: final.length,
      conformingAgentCount: conforming,
      // The status lists at most MAX_STATUS_AGENTS (the CRD's bound); the counts cover every agent.
      agents: final.slice(0, MAX_STATUS_AGENTS).map((p) => p.status),
      nextTransitionAt: plan.nextTransitionAt === null ? null : formatInstant(plan.nextTransitionAt),
    };
    if (failures.length > 0) {
      const reason = ConditionReason.TagsNotWritten;
      ctx.metrics.fulcrumSyncErrors.inc({
        connection: name,
        reason: failureKind ? REASON_OF[failureKind] : reason,
      });
      const message = `The tags of ${failures.length} agent${failures.length === 1 ? '' : 's'} could not be written: ${failures.slice(0, 5).join('; ')}.`;
      ctx.events.record(ref(name, raw.metadata.uid), 'Warning', reason, message);
      await writeStatus(fields, condition('False', reason, message));
      return { requeueAfterMs: Math.min(RETRY_MS, syncMs) };
    }
    ctx.metrics.fulcrumLastSync.set({ connection: name }, now / 1000);
    await writeStatus(
      { ...fields, lastSyncTime: formatInstant(now) },
      condition(
        'True',
        ConditionReason.Synced,
        `Read ${final.length} agent${final.length === 1 ? '' : 's'}; ${conforming} carry a verdict tag.`,
      ),
    );
    const next = now + syncMs;
    return { requeueAt: plan.nextTransitionAt === null ? next : Math.min(next, plan.nextTransitionAt) };
  }

  /**
   * Read, merge, write, read again: Fulcrum has no conditional update, so a tag a participant writes
   * between our read and our write would be lost; reading again right after the write, and merging again
   * when the tags are not what was written, narrows that window to one round trip and never lets a
   * verdict tag stand that the domain does not grant.
   */
  private async writeTags(
    client: FulcrumClient,
    federation: FulcrumFederation,
    agentId: string,
    derived: Derived,
  ): Promise<{ plan: AgentPlan; changes: TagChange[] }> {
    const changes = new Map<string, TagChange>();
    for (let write = 0; write <= MAX_WRITES; write++) {
      const fresh = agentObject(await client.getAgent(agentId));
      const plan = planAgent(federation, fresh, derived);
      if (plan.tags.tags === null) return { plan, changes: [...changes.values()] };
      if (write === MAX_WRITES) break;
      for (const change of plan.changes) changes.set(`${change.tag}\u0000${change.granted}`, change);
      await client.setAgentTags(agentId, plan.tags.tags);
    }
    throw new FulcrumError('Rejected', `the tags changed under ${MAX_WRITES} writes in a row`);
  }

  private report(
    name: string,
    uid: string | undefined,
    agent: AgentPlan,
    changes: readonly TagChange[],
  ): void {
    const { ctx } = this;
    for (const change of changes) {
      ctx.metrics.fulcrumTagChanges.inc({ connection: name, change: change.granted ? 'added' : 'removed' });
      ctx.log.info(
        { fulcrumFederation: name, agent: agent.id, tag: change.tag, granted: change.granted },
        change.sentence,
      );
      ctx.events.record(
        ref(name, uid),
        change.granted ? 'Normal' : 'Warning',
        change.granted ? 'VerdictGranted' : 'VerdictRevoked',
        `${change.granted ? 'Tag added' : 'Tag removed'}: ${change.tag} on agent ${agent.id}. ${change.sentence}`,
      );
    }
  }
}

const defaultClient = (url: string, token: string, timeoutMs: number) =>
  new FulcrumClient({ url, token, timeoutMs });
