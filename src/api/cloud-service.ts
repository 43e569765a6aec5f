import { z } from 'zod';
import {
  assuranceLevel,
  badgeType,
  countryCode,
  dateTime,
  instant,
  labelSelector,
  objectName,
  RFC3339,
  schemeLevels,
  statusBase,
  withRules,
} from './common.ts';
import { PROTECTED_PREFIX } from './group.ts';
import { areaName } from './requirement.ts';
import { defineResource } from './resource.ts';

const party = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(253).describe('Legal name.'),
  legalJurisdiction: countryCode.describe('Country whose law governs the party (where it is incorporated).'),
});

export const badge = withRules(
  z
    .strictObject({
      type: badgeType,
      area: areaName.describe('The SovereigntyArea the badge was issued for.'),
      assurance: assuranceLevel,
      certifiedBy: z
        .string()
        .max(253)
        .optional()
        .describe('Accredited certifying body; required for ThirdPartyCertified.'),
      validFrom: dateTime.describe('Start of validity (RFC 3339), inclusive.'),
      validUntil: dateTime.describe('End of validity (RFC 3339), exclusive.'),
      revokedAt: dateTime
        .optional()
        .describe('When the badge was revoked; from this instant it no longer counts.'),
      evidenceRef: z
        .string()
        .max(2048)
        .optional()
        .describe('Where an auditor finds the evidence: certificate number, URL or document reference.'),
    })
    .describe('A CISPE badge held by the cloud service.'),
  [
    {
      // Guarded: on a malformed instant timestamp() fails, and the format rule already says why.
      cel: `!self.validFrom.matches('${RFC3339}') || !self.validUntil.matches('${RFC3339}') || timestamp(self.validFrom) < timestamp(self.validUntil)`,
      message: 'validUntil must be after validFrom',
      field: '.validUntil',
      reads: ['validFrom', 'validUntil'],
      holds: (b) => instant(b.validFrom) < instant(b.validUntil),
    },
    {
      cel: "self.assurance != 'ThirdPartyCertified' || (has(self.certifiedBy) && size(self.certifiedBy) > 0)",
      message:
        'certifiedBy is required when assurance is ThirdPartyCertified: name the accredited certifying body',
      field: '.certifiedBy',
      reads: ['assurance', 'certifiedBy'],
      holds: (b) => b.assurance !== 'ThirdPartyCertified' || !!b.certifiedBy,
    },
  ],
);
export type Badge = z.output<typeof badge>;

const isProtected = (key: string) => key.startsWith(PROTECTED_PREFIX);

const nodeSelector = withRules(
  labelSelector.describe(
    `Nodes that run on this service, selected by labels under ${PROTECTED_PREFIX} only (kubelets cannot set those). Default: the label ${PROTECTED_PREFIX}sovereign-placement.cloud-service equal to this service's name.`,
  ),
  [
    {
      cel: `(!has(self.matchLabels) || self.matchLabels.all(k, k.startsWith('${PROTECTED_PREFIX}'))) && (!has(self.matchExpressions) || self.matchExpressions.all(e, e.key.startsWith('${PROTECTED_PREFIX}')))`,
      message: `node selector keys must be under ${PROTECTED_PREFIX}: other labels can be set by the node itself`,
      holds: (s) =>
        Object.keys(s.matchLabels ?? {}).every(isProtected) &&
        (s.matchExpressions ?? []).every((e) => isProtected(e.key)),
    },
  ],
);

const storage = z
  .strictObject({
    storageClasses: z
      .array(objectName)
      .max(64)
      .optional()
      .describe('StorageClasses whose volumes this service stores, by name.')
      .meta({ 'x-kubernetes-list-type': 'set' }),
    csiDrivers: z
      .array(objectName)
      .max(32)
      .optional()
      .describe(
        'CSI drivers (provisioner names) whose volumes this service stores, whatever their StorageClass.',
      )
      .meta({ 'x-kubernetes-list-type': 'set' }),
  })
  .describe(
    "The storage this service provides: a PersistentVolume's data resides on the service that claims its StorageClass or its CSI driver.",
  );

export const CloudServiceDef = defineResource({
  kind: 'CloudService',
  plural: 'cloudservices',
  singular: 'cloudservice',
  shortNames: ['csvc'],
  scope: 'Cluster',
  description:
    "A provider's cloud service and the sovereignty badges it holds; nodes and member clusters run on exactly one.",
  spec: z
    .strictObject({
      description: z.string().max(1024).optional().describe('What the service is.'),
      provider: party
        .extend({
          ultimateParent: party
            .optional()
            .describe("The provider's ultimate parent company; omit when the provider has none."),
        })
        .describe('The provider that operates the service.'),
      badges: z
        .array(badge)
        .max(32)
        .default([])
        .describe('Badges the service holds; empty for an uncertified service.'),
      schemeLevels: schemeLevels.optional(),
      nodeSelector: nodeSelector.optional(),
      storage: storage.optional(),
    })
    .describe('The provider, its badges and which nodes run on it.'),
  status: z
    .strictObject({
      ...statusBase,
      nodeCount: z.int().min(0).optional().describe('Nodes that belong to this service.'),
      memberClusterCount: z.int().min(0).optional().describe('Member clusters that run on this service.'),
      badgeExpiresAt: dateTime.optional().describe('The earliest validUntil among currently valid badges.'),
    })
    .describe('Observed state of the service.'),
  rootRules: [],
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider.name' },
    { name: 'Jurisdiction', type: 'string', jsonPath: '.spec.provider.legalJurisdiction' },
    {
      name: 'Parent Jurisdiction',
      type: 'string',
      jsonPath: '.spec.provider.ultimateParent.legalJurisdiction',
    },
    { name: 'Nodes', type: 'integer', jsonPath: '.status.nodeCount' },
    // `string`, not `date`: kubectl (and the API server's Table) render a date column as an age, and an
    // instant in the future has no age, so every valid badge would print `<invalid>`.
    {
      name: 'Badge Expires',
      type: 'string',
      jsonPath: '.status.badgeExpiresAt',
      description: 'The earliest validUntil among currently valid badges (RFC 3339).',
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type CloudService = z.output<typeof CloudServiceDef.object>;
