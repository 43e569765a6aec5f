import { z } from 'zod';
import {
  badgeType,
  countryCode,
  dateTime,
  durationAtMost,
  objectName,
  reasonEntry,
  statusBase,
  withRules,
} from './common.ts';
import { parseDuration } from './duration.ts';
import { areaName } from './requirement.ts';
import { defineResource } from './resource.ts';

/**
 * A connection to a Fulcrum core (CISPE's federation layer): where it is, the admin token, and the
 * platform team's mapping of Fulcrum agents to the operator's facts. Fulcrum carries no jurisdiction,
 * country or certification: everything a verdict needs comes from this record and the CloudServices it
 * names, never from what a participant or an agent says about itself.
 */

/** Fulcrum's ids are UUIDs (`properties.UUID`, format uuid); lower case, as its server prints them. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const fulcrumId = z.string().max(36).regex(UUID, {
  error: 'must be a Fulcrum id: a lower-case UUID such as 123e4567-e89b-12d3-a456-426614174000',
});

/**
 * https only, so that the admin token never crosses a network in clear. Plain http is accepted for the
 * loopback addresses 127.0.0.1 and localhost alone (a Fulcrum on the same machine, and tests).
 */
// No backslash escapes: the same text is a CEL string literal, and a space stands for any blank.
const URL_PATTERN = '^(https://[^/?# ]+|http://(127[.]0[.]0[.]1|localhost)(:[0-9]{1,5})?)(/[^?# ]*)?$';
export const fulcrumUrl = withRules(
  z
    .string()
    .min(1, 'must not be empty')
    .max(2048)
    .describe(
      'Base URL of the Fulcrum API, up to and including /api/v1 (for example https://fulcrum.example.eu/api/v1). https only; http only for 127.0.0.1 or localhost.',
    ),
  [
    {
      cel: `self.matches('${URL_PATTERN}')`,
      message:
        'must be an https:// URL such as https://fulcrum.example.eu/api/v1 (http:// only for 127.0.0.1 or localhost), without query or fragment',
      holds: (url) => new RegExp(URL_PATTERN).test(url),
    },
  ],
);

const MAX_AGENTS = 1024;
const MAX_PAIRS = 16;

const agentMapping = z
  .strictObject({
    id: fulcrumId.describe('The Fulcrum agent id (AgentRes.id).'),
    name: z
      .string()
      .max(253)
      .optional()
      .describe('The agent name, for people reading the record; never used for a verdict.'),
    participantId: fulcrumId
      .optional()
      .describe(
        "The Fulcrum participant (provider) that owns the agent. When set, an agent Fulcrum reports under another participant conforms to nothing: the record describes someone else's agent.",
      ),
    cloudService: objectName.describe('The CloudService whose infrastructure the agent deploys on.'),
    country: countryCode.describe('Country the agent deploys in (ISO 3166-1 alpha-2).'),
    cordoned: z
      .boolean()
      .default(false)
      .describe('When true, the agent conforms to nothing and loses every verdict tag.'),
  })
  .describe('One Fulcrum agent and the facts the platform team vouches for.');

const verdictTagPair = z
  .strictObject({
    badge: badgeType,
    area: areaName.describe('The SovereigntyArea the badge must have been issued for.'),
    expiryLeadTime: durationAtMost('8760h')
      .default('0s')
      .describe(
        'A badge stops counting this long before its validUntil, so that the tag leaves agents before the badge lapses (at most 8760h).',
      ),
  })
  .describe('A (badge, area) pair whose verdict tag the operator keeps on the agents that conform.');

const tokenSecretRef = z
  .strictObject({
    namespace: objectName.describe('Namespace of the Secret.'),
    name: objectName.describe('Name of the Secret.'),
    key: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[-._a-zA-Z0-9]+$/, { error: 'must be a Secret data key: letters, digits, "-", "_" and "."' })
      .default('token')
      .describe('Key in the Secret holding the token.'),
  })
  .describe(
    "Secret holding a Fulcrum admin token (sent as Authorization: Bearer). Admin, because only the admin may change the tags of every participant's agents.",
  );

const safeMs = (d: string): number => {
  try {
    return parseDuration(d);
  } catch {
    return Number.NaN;
  }
};

const spec = withRules(
  z
    .strictObject({
      url: fulcrumUrl,
      tokenSecretRef,
      syncInterval: durationAtMost('1h')
        .default('1m')
        .describe(
          'How often the operator reads every agent again, to undo tags a participant changed (10s to 1h). Badge edges are acted on at their instant, whatever this says.',
        ),
      requestTimeout: durationAtMost('1m')
        .default('10s')
        .describe('How long one request to Fulcrum may take (1s to 1m).'),
      verdictTags: z
        .array(verdictTagPair)
        .min(1, 'name at least one (badge, area) pair: without one the operator keeps no tag')
        .max(MAX_PAIRS)
        .describe(
          'The (badge, area) pairs that Fulcrum service requests use, each a verdict tag on the agents that conform.',
        ),
      agents: z
        .array(agentMapping)
        .max(MAX_AGENTS)
        .default([])
        .describe(
          'Fulcrum agents and their facts. An agent Fulcrum lists that is not here conforms to nothing.',
        )
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'] }),
    })
    .describe(
      'Where Fulcrum is, how to authenticate, and how its agents map to cloud services and countries.',
    ),
  [
    {
      cel: "!has(self.syncInterval) || duration(self.syncInterval) >= duration('10s')",
      message: 'syncInterval must be at least 10s',
      field: '.syncInterval',
      reads: ['syncInterval'],
      holds: (s) => safeMs(s.syncInterval) >= 10_000,
    },
    {
      cel: "!has(self.requestTimeout) || duration(self.requestTimeout) >= duration('1s')",
      message: 'requestTimeout must be at least 1s',
      field: '.requestTimeout',
      reads: ['requestTimeout'],
      holds: (s) => safeMs(s.requestTimeout) >= 1_000,
    },
    {
      cel: 'self.verdictTags.all(p, self.verdictTags.exists_one(q, q.badge == p.badge && q.area == p.area))',
      message: 'each (badge, area) pair may appear once in verdictTags',
      field: '.verdictTags',
      reads: ['verdictTags'],
      holds: (s) => new Set(s.verdictTags.map((p) => `${p.badge}/${p.area}`)).size === s.verdictTags.length,
    },
  ],
);

const agentVerdict = z.strictObject({
  tag: z.string().max(128).describe('The verdict tag.'),
  requirement: z.string().max(1024).describe('The requirement, as a sentence.'),
  conforms: z.boolean().describe('Whether the agent carries the tag.'),
  reasons: z.array(reasonEntry).max(32).describe('Why (one Conforming reason when it conforms).'),
});

const agentStatus = z.strictObject({
  id: z.string().max(64).describe('The Fulcrum agent id.'),
  name: z.string().max(253).describe('The agent name in Fulcrum.'),
  participantId: z.string().max(64).optional().describe('The participant Fulcrum reports for the agent.'),
  fulcrumStatus: z.string().max(32).describe('The agent status in Fulcrum (Connected, Disabled, ...).'),
  cloudService: z.string().max(253).optional().describe('The mapped CloudService; absent when not mapped.'),
  country: z.string().max(2).optional().describe('The mapped country; absent when not mapped.'),
  verdicts: z
    .array(agentVerdict)
    .max(2 * MAX_PAIRS)
    .describe('Per (badge, area) pair, the verdict of its tag and of its ThirdPartyCertified tag.'),
});

export const FulcrumFederationDef = defineResource({
  kind: 'FulcrumFederation',
  plural: 'fulcrumfederations',
  singular: 'fulcrumfederation',
  shortNames: ['ffed'],
  scope: 'Cluster',
  description:
    "A Fulcrum core whose agents carry the operator's verdict tags, so that a service requested with agentTags [<verdict tag>] only lands on an agent whose provider's cloud service conforms.",
  spec,
  status: z
    .strictObject({
      ...statusBase,
      lastSyncTime: dateTime
        .optional()
        .describe('The end of the last sync in which every agent was read and every tag written.'),
      agentCount: z.int().min(0).max(100_000).optional().describe('Agents Fulcrum listed at the last sync.'),
      conformingAgentCount: z
        .int()
        .min(0)
        .max(100_000)
        .optional()
        .describe('Agents carrying at least one verdict tag after the last sync.'),
      agents: z
        .array(agentStatus)
        .max(MAX_AGENTS)
        .optional()
        .describe('Each agent with its verdicts, as of the last successful sync (kept when Fulcrum fails).'),
      nextTransitionAt: dateTime.optional().describe('The next instant at which a verdict can change.'),
    })
    .describe('Observed state of the connection and of the agents.'),
  rootRules: [],
  printerColumns: [
    { name: 'URL', type: 'string', jsonPath: '.spec.url' },
    { name: 'Agents', type: 'integer', jsonPath: '.status.agentCount' },
    { name: 'Conforming', type: 'integer', jsonPath: '.status.conformingAgentCount' },
    { name: 'Synced', type: 'string', jsonPath: ".status.conditions[?(@.type=='Synced')].status" },
    { name: 'Last Sync', type: 'string', jsonPath: '.status.lastSyncTime' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type FulcrumFederation = z.output<typeof FulcrumFederationDef.object>;
export type FulcrumAgentMapping = FulcrumFederation['spec']['agents'][number];
