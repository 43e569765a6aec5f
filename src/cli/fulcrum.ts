import { readFileSync } from 'node:fs';
import { API_VERSION } from '../api/group.ts';
import type { FulcrumFederation } from '../api/index.ts';
import { derive } from '../cluster/facts.ts';
import { planAgent } from '../cluster/fulcrum-agents.ts';
import { formatInstant } from '../domain/time.ts';
import { isVerdictTag } from '../domain/verdict-tags.ts';
import { type FulcrumAgent, FulcrumClient, FulcrumError, type FulcrumService } from '../fulcrum/client.ts';
import { CliError } from './errors.ts';
import type { Inventory } from './inventory.ts';

/**
 * `sovctl fulcrum import`, `sovctl fulcrum move` and `sovctl explain fulcrum-agent/<id or name>`.
 *
 * import writes drafts, never a verdict: Fulcrum knows no jurisdiction, country or badge, so every fact a
 * verdict needs is left for a person to fill in, and the drafts are invalid until they do.
 */

export interface FulcrumConnectionOptions {
  url: string;
  tokenFile: string;
  timeoutMs: number;
}

export function fulcrumClient(options: FulcrumConnectionOptions): FulcrumClient {
  let token: string;
  try {
    token = readFileSync(options.tokenFile, 'utf8').trim();
  } catch (error) {
    throw new CliError(`cannot read the token file ${options.tokenFile}: ${(error as Error).message}`);
  }
  if (token === '') throw new CliError(`the token file ${options.tokenFile} is empty`);
  if (!/^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$))/.test(options.url))
    throw new CliError(
      `--url must be an https:// URL such as https://fulcrum.example.eu/api/v1 (http:// only for 127.0.0.1 or localhost), got "${options.url}"`,
    );
  return new FulcrumClient({ url: options.url, token, timeoutMs: options.timeoutMs });
}

/** A Fulcrum failure as one clear line. */
export async function withFulcrum<T>(url: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FulcrumError) {
      const hint =
        error.kind === 'Unauthorized'
          ? ' (the token is wrong or expired: Fulcrum admin tokens are valid for a limited time)'
          : '';
      throw new CliError(`Fulcrum at ${url}: ${error.message}${hint}`);
    }
    throw error;
  }
}

/** "EuroCloud SAS" → "eurocloud-sas": a CloudService name for a participant. */
export function draftName(text: string, fallback: string): string {
  const name = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' ? fallback : name;
}

const q = (text: string): string => JSON.stringify(text);

export interface ImportInput {
  url: string;
  participants: { id: string; name: string; status?: string | null | undefined }[];
  agents: Pick<FulcrumAgent, 'id' | 'name' | 'status' | 'providerId' | 'tags'>[];
}

/**
 * Draft manifests from Fulcrum's participants and agents: one CloudService per participant, without a
 * jurisdiction or badge, and one FulcrumFederation mapping every agent to its participant's service,
 * without a country. Comments say what to fill in; `sovctl check` refuses the drafts until it is done.
 */
export function draftManifests(input: ImportInput): string {
  const names = new Map<string, string>();
  const used = new Set<string>();
  const participants = [...input.participants].sort(
    (a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
  for (const p of participants) {
    let name = draftName(p.name, `participant-${p.id.slice(0, 8)}`);
    if (used.has(name)) name = `${name}-${p.id.slice(0, 8)}`;
    used.add(name);
    names.set(p.id, name);
  }
  const out: string[] = [
    `# Drafts from the Fulcrum core at ${input.url}: ${participants.length} participant(s), ${input.agents.length} agent(s).`,
    '# Fulcrum records no jurisdiction, country or certification: complete every TODO from evidence you hold',
    '# (contracts, CISPE badge certificates), review, and commit to Git. Until then the drafts are invalid on',
    '# purpose, and no agent conforms to anything.',
  ];
  for (const p of participants) {
    out.push(
      '---',
      `# Fulcrum participant ${p.id} (${q(p.name)}${p.status ? `, ${p.status}` : ''}).`,
      `apiVersion: ${API_VERSION}`,
      'kind: CloudService',
      'metadata:',
      `  name: ${names.get(p.id)}`,
      'spec:',
      `  description: ${q(`Infrastructure of Fulcrum participant ${p.name}`)}`,
      '  provider:',
      `    name: ${q(p.name)}`,
      '    # TODO: the ISO 3166-1 alpha-2 country whose law governs the provider (where it is incorporated).',
      '    legalJurisdiction: ""',
      '    # TODO: the ultimate parent company, if any:',
      '    # ultimateParent: { name: "...", legalJurisdiction: "..." }',
      '  # TODO: the CISPE badges the service holds, each with its area, assurance, validity and evidenceRef.',
      '  # Leave empty for a service without a badge: its agents then conform to nothing.',
      '  badges: []',
    );
  }
  const agents = [...input.agents].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  out.push(
    '---',
    `apiVersion: ${API_VERSION}`,
    'kind: FulcrumFederation',
    'metadata:',
    '  name: fulcrum',
    'spec:',
    `  url: ${q(input.url)}`,
    '  tokenSecretRef:',
    '    # TODO: the Secret holding a Fulcrum admin token (key "token").',
    '    namespace: sovereign-placement-system',
    '    name: fulcrum-token',
    '  # TODO: the (badge, area) pairs Fulcrum service requests will name in agentTags.',
    '  verdictTags:',
    '    - badge: Sovereign',
    '      area: eu',
    '      expiryLeadTime: 168h',
    '  agents:',
  );
  if (agents.length === 0) out.push('    []');
  for (const a of agents) {
    const service = a.providerId ? names.get(a.providerId) : undefined;
    const forged = a.tags.filter(isVerdictTag);
    out.push(
      `    # Fulcrum status ${a.status}${a.tags.length ? `; tags ${a.tags.map(q).join(', ')}` : ''}.`,
      ...(forged.length
        ? [
            '    # Its verdict tags were not set from this record; the operator will remove any it does not grant.',
          ]
        : []),
      `    - id: ${a.id}`,
      `      name: ${q(a.name)}`,
      ...(a.providerId ? [`      participantId: ${a.providerId}`] : []),
      service
        ? `      cloudService: ${service}`
        : '      cloudService: "" # TODO: Fulcrum reports no participant for this agent: name its CloudService.',
      '      # TODO: the ISO 3166-1 alpha-2 country the agent deploys in.',
      '      country: ""',
    );
  }
  return `${out.join('\n')}\n`;
}

export async function importFromFulcrum(options: FulcrumConnectionOptions): Promise<string> {
  const client = fulcrumClient(options);
  return withFulcrum(options.url, async () => {
    const [participants, agents] = await Promise.all([client.listParticipants(), client.listAgents()]);
    return draftManifests({ url: options.url, participants, agents });
  });
}

export interface MovePlanEntry {
  service: FulcrumService;
  /** Agents Fulcrum may choose for the new service: tags contain every requested tag (it takes the first). */
  candidates: FulcrumAgent[];
}

export interface MovePlan {
  agent: FulcrumAgent;
  tags: string[];
  services: MovePlanEntry[];
}

/** What moving every service off `agentId` would do: each service, and where Fulcrum could put its copy. */
export function planMove(
  agentId: string,
  tags: readonly string[],
  agents: readonly FulcrumAgent[],
  services: readonly FulcrumService[],
): MovePlan {
  const agent = agents.find((a) => a.id === agentId || a.name === agentId);
  if (!agent) throw new CliError(`Fulcrum has no agent with id or name "${agentId}"`);
  const candidates = agents.filter((a) => a.id !== agent.id && tags.every((t) => a.tags.includes(t)));
  return {
    agent,
    tags: [...tags],
    services: services
      .filter((s) => s.agentId === agent.id)
      .map((service) => ({
        service,
        candidates: candidates.filter(
          (c) =>
            !c.agentType?.serviceTypeIds ||
            !service.serviceTypeId ||
            c.agentType.serviceTypeIds.includes(service.serviceTypeId),
        ),
      })),
  };
}

export function renderMovePlan(plan: MovePlan, dryRun: boolean): string {
  const lines = [
    `${dryRun ? 'Dry run: would recreate' : 'Recreating'} ${plan.services.length} service(s) of agent ${plan.agent.name} (${plan.agent.id}) with agentTags ${JSON.stringify(plan.tags)}.`,
    'Fulcrum cannot move a service: each is created anew on an agent whose tags contain the tags, then the old one is deleted. Its instance data on the old agent is lost.',
  ];
  for (const { service, candidates } of plan.services) {
    const where =
      candidates.length === 0
        ? 'NO agent carries these tags: Fulcrum would answer "no agent found"; the service is left where it is'
        : `Fulcrum takes the first of: ${candidates.map((c) => `${c.name} (${c.id}, ${c.status})`).join(', ')}`;
    lines.push(`  ${service.name} (${service.id}, ${service.status ?? 'unknown status'}): ${where}`);
  }
  if (dryRun) lines.push('Nothing was changed. Run again with --yes to recreate.');
  return `${lines.join('\n')}\n`;
}

export interface MoveOptions extends FulcrumConnectionOptions {
  agent: string;
  tags: string[];
  yes: boolean;
}

/** Explicit and opt-in: prints the plan, and acts only with --yes. Stops at the first failure. */
export async function moveServices(options: MoveOptions, print: (text: string) => void): Promise<void> {
  if (options.tags.length === 0 || !options.tags.some(isVerdictTag))
    throw new CliError(
      'give at least one verdict tag with --tag, for example --tag sovereign-placement.io/sp.sovereign.eu: the recreated services must land on a conforming agent',
    );
  const client = fulcrumClient(options);
  await withFulcrum(options.url, async () => {
    const [agents, services] = await Promise.all([client.listAgents(), client.listServices()]);
    const plan = planMove(options.agent, options.tags, agents, services);
    print(renderMovePlan(plan, !options.yes));
    if (!options.yes) return;
    for (const { service, candidates } of plan.services) {
      if (candidates.length === 0) continue;
      if (!service.groupId || !service.serviceTypeId)
        throw new CliError(`service ${service.id}: Fulcrum did not report its groupId and serviceTypeId`);
      const copy = await client.createService({
        groupId: service.groupId,
        serviceTypeId: service.serviceTypeId,
        name: service.name,
        ...(service.properties ? { properties: service.properties } : {}),
        agentTags: plan.tags,
      });
      print(`  created ${copy.name} (${copy.id}) on agent ${copy.agentId ?? 'unknown'}\n`);
      await client.deleteService(service.id);
      print(`  deleted ${service.name} (${service.id}) from agent ${plan.agent.id}\n`);
    }
  });
}

export interface FulcrumAgentExplanation {
  kind: 'FulcrumAgent';
  id: string;
  name: string;
  connection: string;
  at: string;
  facts: {
    cloudService: string | null;
    country: string | null;
    participantId: string | null;
    fulcrumStatus: string;
  };
  recorded: {
    lastSyncTime: string | null;
    synced: { status: string; reason: string; message: string } | null;
    verdicts: {
      tag: string;
      requirement: string;
      conforms: boolean;
      reasons: { code: string; message: string }[];
    }[];
  };
  verdicts: {
    tag: string;
    requirement: string;
    conforms: boolean;
    reasons: { code: string; message: string }[];
  }[];
}

/**
 * One agent: what the operator recorded at its last sync, and the verdicts recomputed at `at` from the
 * inventory's CloudServices and areas (with the agent's Fulcrum status as last recorded).
 */
export function explainFulcrumAgent(inventory: Inventory, at: number, name: string): FulcrumAgentExplanation {
  for (const federation of inventory.fulcrumFederations) {
    const recorded = (federation.status?.agents ?? []).find((a) => a.id === name || a.name === name);
    const mapped = federation.spec.agents.find((a) => a.id === name || a.name === name);
    if (!recorded && !mapped) continue;
    const id = recorded?.id ?? (mapped?.id as string);
    const agent = {
      id,
      name: recorded?.name ?? mapped?.name ?? id,
      status: recorded?.fulcrumStatus ?? 'Unknown',
      providerId: recorded?.participantId ?? mapped?.participantId ?? null,
      tags: [],
    };
    const derived = derive(
      {
        nodes: [],
        pods: [],
        namespaces: [],
        budgets: [],
        policies: [],
        services: inventory.services,
        areas: inventory.areas,
      },
      at,
    );
    const plan = planAgent(federation as FulcrumFederation, agent, derived);
    const synced = federation.status?.conditions?.find((c) => c.type === 'Synced');
    return {
      kind: 'FulcrumAgent',
      id,
      name: agent.name,
      connection: federation.metadata.name,
      at: formatInstant(at),
      facts: {
        cloudService: mapped?.cloudService ?? null,
        country: mapped?.country ?? null,
        participantId: agent.providerId,
        fulcrumStatus: agent.status,
      },
      recorded: {
        lastSyncTime: federation.status?.lastSyncTime ?? null,
        synced: synced ? { status: synced.status, reason: synced.reason, message: synced.message } : null,
        verdicts: recorded?.verdicts ?? [],
      },
      verdicts: plan.status.verdicts,
    };
  }
  throw new CliError(`no FulcrumFederation maps or lists an agent with id or name "${name}"`);
}

export function renderFulcrumAgent(e: FulcrumAgentExplanation): string {
  const lines = [
    `Fulcrum agent ${e.name} (${e.id}) of FulcrumFederation ${e.connection}, at ${e.at}`,
    `  CloudService: ${e.facts.cloudService ?? '(not mapped)'}   Country: ${e.facts.country ?? '(not mapped)'}`,
    `  Participant:  ${e.facts.participantId ?? '(unknown)'}   Fulcrum status: ${e.facts.fulcrumStatus}${e.facts.fulcrumStatus === 'Unknown' ? ' (not listed at the last sync)' : ' (as of the last sync)'}`,
    `  Last sync:    ${e.recorded.lastSyncTime ?? 'never'}${e.recorded.synced ? ` (Synced=${e.recorded.synced.status}, ${e.recorded.synced.reason})` : ''}`,
    '',
  ];
  for (const v of e.verdicts) {
    const was = e.recorded.verdicts.find((r) => r.tag === v.tag);
    const note =
      was && was.conforms !== v.conforms
        ? `   (recorded at the last sync: ${was.conforms ? 'yes' : 'no'})`
        : '';
    lines.push(`${v.conforms ? 'CONFORMS    ' : 'DOES NOT    '} ${v.tag}${note}`, `  ${v.requirement}`);
    for (const r of v.reasons) lines.push(`  - ${r.code}: ${r.message}`);
  }
  return `${lines.join('\n')}\n`;
}
