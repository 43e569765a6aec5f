import { z } from 'zod';
import { assuranceLevel, badgeType, boundedInt, objectName, schemeLevels, withRules } from './common.ts';
import { MAX_AREA_NAME_LENGTH } from './group.ts';

export const areaName = objectName
  .max(MAX_AREA_NAME_LENGTH, `area names are at most ${MAX_AREA_NAME_LENGTH} characters`)
  .describe('Name of a SovereigntyArea.');

/** What a workload needs of the place it runs on; shared by SovereigntyPolicy and SovereignWorkload. */
export const requirement = withRules(
  z
    .strictObject({
      badges: z
        .array(badgeType)
        .min(1, 'name at least one badge')
        .max(2)
        .describe('Badges that satisfy the requirement; see badgeMatch.')
        .meta({ 'x-kubernetes-list-type': 'set' }),
      badgeMatch: z
        .enum(['AnyOf', 'AllOf'])
        .default('AnyOf')
        .describe('AnyOf: one of the badges is enough; AllOf: the cloud service must hold every one.'),
      area: areaName.describe('The SovereigntyArea the badges must be held for and the target must be in.'),
      minimumAssurance: assuranceLevel
        .default('SelfDeclared')
        .describe('Lowest accepted assurance: SelfDeclared or ThirdPartyCertified.'),
      minimumSchemeLevels: schemeLevels
        .optional()
        .describe('Minimum levels under other schemes that the cloud service must also hold.'),
      minimumProviders: boundedInt('minimumProviders', 1, 16, 'a number of providers')
        .default(1)
        .describe(
          'Conforming capacity must exist on at least this many distinct providers (redeployability of Resilient workloads).',
        ),
    })
    .describe('Which badge, in which area, at which assurance a workload needs.'),
  [
    {
      cel: "!has(self.minimumProviders) || self.minimumProviders <= 1 || self.badges.exists(b, b == 'Resilient')",
      message: 'minimumProviders above 1 applies to requirements that accept the Resilient badge',
      field: '.minimumProviders',
      holds: (r) => r.minimumProviders <= 1 || r.badges.includes('Resilient'),
    },
    {
      cel: 'self.badges.all(b, self.badges.exists_one(c, c == b))',
      message: 'badges must not repeat',
      field: '.badges',
      holds: (r) => new Set(r.badges).size === r.badges.length,
    },
  ],
);
export type Requirement = z.output<typeof requirement>;
