import { z } from 'zod';
import { assuranceLevel, badgeType } from './common.ts';

/**
 * One record of the operator's decision log (`--audit-log`): a JSON object per line, on a stream of its
 * own. This zod schema is the one source of the record's type, of docs/audit-record.schema.json
 * (`scripts/audit-schema.ts`) and of how `sovctl report --audit-log` reads a log back. The `schema` field
 * names its version: fields are only ever added (optional) under one version; a field removed or changed
 * makes a new version, and readers keep reading the old ones.
 */
export const AUDIT_SCHEMA_VERSION = 'sovereign-placement.io/audit/v1';

/** What was decided or observed. */
export const AUDIT_ACTIONS = [
  /** A node or member cluster received a verdict label: it now conforms to a (badge, area) pair. */
  'VerdictGranted',
  /** A node or member cluster lost a verdict label. */
  'VerdictRevoked',
  /** Admission pinned a new pod to the verdict labels of an Enforce policy's requirement. */
  'PodPinned',
  /** The scheduling gate of a pinned pod was removed: conforming capacity exists. */
  'GateRemoved',
  /** The operator first saw a selected pod bound to a node (this process; a restart records it again). */
  'PodPlaced',
  /** A pod was evicted from a node that no longer conforms. */
  'PodEvicted',
  /** A pod the operator saw placed is gone (deleted, evicted, or no longer selected). */
  'PodGone',
  /** A policy's or workload's conforming capacity is gone (CapacityAvailable turned False). */
  'CapacityLost',
  /** Conforming capacity is back (CapacityAvailable turned True). */
  'CapacityRestored',
  /** A SovereignWorkload was placed on a member cluster. */
  'ClusterChosen',
  /** A SovereignWorkload is leaving a member cluster. */
  'ClusterLeft',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const objectRef = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    namespace: z.string().optional(),
    name: z
      .string()
      .describe('Empty for a pod admitted with generateName: its name is chosen after admission.'),
    generateName: z.string().optional(),
    uid: z.string().optional(),
  })
  .describe('A Kubernetes object.');

const auditRequirement = z
  .strictObject({
    badges: z.array(badgeType).min(1),
    badgeMatch: z.enum(['AnyOf', 'AllOf']),
    area: z.string(),
    minimumAssurance: assuranceLevel,
    expiryLeadTime: z.string().optional().describe('Duration such as 24h; absent for a verdict label.'),
    sentence: z.string().describe('"the Sovereign badge for area eu at ThirdPartyCertified or higher"'),
  })
  .describe('The requirement the decision is about.');

const badgeEvidence = z.strictObject({
  type: badgeType,
  area: z.string(),
  assurance: assuranceLevel,
  certifiedBy: z.string().nullable(),
  validFrom: z.string(),
  validUntil: z.string(),
  revokedAt: z.string().nullable(),
  evidenceRef: z.string().nullable(),
});

const evidence = z
  .strictObject({
    cloudService: z.string(),
    provider: z.string(),
    legalJurisdiction: z.string(),
    ultimateParentJurisdiction: z.string().nullable(),
    badges: z.array(badgeEvidence).describe('The badges of the cloud service for the requirement.'),
  })
  .describe('The trusted facts the decision rested on: the cloud service running the target and its badges.');

export const auditRecord = z
  .strictObject({
    schema: z.literal(AUDIT_SCHEMA_VERSION),
    time: z.iso.datetime().describe('The instant of the decision (UTC, RFC 3339).'),
    operatorVersion: z.string(),
    what: z.enum(AUDIT_ACTIONS),
    object: objectRef.describe('The object decided about: a Node, MemberCluster, Pod, policy or workload.'),
    by: objectRef
      .optional()
      .describe('The policy or SovereignWorkload on whose behalf, when not the object.'),
    target: z
      .strictObject({ kind: z.enum(['Node', 'MemberCluster']), name: z.string() })
      .optional()
      .describe('The node a pod runs on, or the member cluster a workload is placed on or leaves.'),
    requirement: auditRequirement.optional(),
    conforms: z.boolean().optional().describe('Whether the target conformed to the requirement then.'),
    evidence: evidence.nullable().optional().describe('Null when no CloudService is known for the target.'),
    reasons: z.array(z.strictObject({ code: z.string(), message: z.string() })),
    message: z.string(),
  })
  .describe('One decision of the Sovereign Placement Operator.');

export type AuditRecord = z.output<typeof auditRecord>;
/** A record before the writer stamps the schema version and the operator's version. */
export type AuditEntry = Omit<AuditRecord, 'schema' | 'operatorVersion'>;
export type AuditEvidence = NonNullable<AuditRecord['evidence']>;
export type AuditObjectRef = AuditRecord['object'];

/** docs/audit-record.schema.json. */
export function auditRecordJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sovereign-placement.io/schemas/audit-record.schema.json',
    title: 'Sovereign Placement Operator audit record',
    ...(z.toJSONSchema(auditRecord, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>),
  };
}
