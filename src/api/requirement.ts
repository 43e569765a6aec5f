import { z } from 'zod';
import { assuranceLevel, badgeType, boundedInt, schemeLevels, withRules } from './common.ts';
import { MAX_AREA_NAME_LENGTH } from './group.ts';

/** A SovereigntyArea's metadata.name (DNS-1123 subdomain); `[.]` rather than `\.`, as CEL and JS read it alike. */
const AREA_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function areaNameMessage(name: string): string {
  return AREA_NAME.test(name.toLowerCase())
    ? `area names are lower case: did you mean "${name.toLowerCase()}"?`
    : 'must be the name of a SovereigntyArea: lower-case letters, digits, "-" and ".", for example "eu"';
}

/**
 * A rule rather than a `pattern`: the API server answers a pattern with the raw regular expression,
 * and a rule with a sentence that suggests the fix (most often: "EU" for "eu").
 */
export const areaName = withRules(
  z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_AREA_NAME_LENGTH, `area names are at most ${MAX_AREA_NAME_LENGTH} characters`),
  [
    {
      cel: `self.matches('${AREA_NAME.source}')`,
      message: 'must be the name of a SovereigntyArea: lower-case letters, digits, "-" and "."',
      messageFrom: {
        cel: `self.lowerAscii().matches('${AREA_NAME.source}') ? 'area names are lower case: did you mean "' + self.lowerAscii() + '"?' : 'must be the name of a SovereigntyArea: lower-case letters, digits, "-" and ".", for example "eu"'`,
        ts: areaNameMessage,
      },
      holds: (name) => AREA_NAME.test(name),
    },
  ],
).describe('Name of a SovereigntyArea.');

const MAX_PROVIDERS = 16;

/**
 * minimumProviders as text, in CEL. Not `string(self.minimumProviders)`: the API server estimates the
 * size of a converted integer as unbounded, and refuses the CRD for the cost of the message.
 */
const PROVIDERS_AS_TEXT = `${Array.from({ length: MAX_PROVIDERS - 1 }, (_, i) => i + 2)
  .map((n) => `self.minimumProviders == ${n} ? '${n}' : `)
  .join('')}'more than 1'`;

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
      minimumProviders: boundedInt('minimumProviders', 1, MAX_PROVIDERS, 'a number of providers')
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
      messageFrom: {
        cel: `'minimumProviders is ' + (${PROVIDERS_AS_TEXT}) + ', but more than 1 provider applies only to requirements that accept the Resilient badge: add Resilient to badges or set minimumProviders to 1'`,
        ts: (r) =>
          `minimumProviders is ${r.minimumProviders}, but more than 1 provider applies only to requirements that accept the Resilient badge: add Resilient to badges or set minimumProviders to 1`,
      },
      field: '.minimumProviders',
      reads: ['minimumProviders', 'badges'],
      holds: (r) => r.minimumProviders <= 1 || r.badges.includes('Resilient'),
    },
    {
      cel: 'self.badges.all(b, self.badges.exists_one(c, c == b))',
      message: 'badges must not repeat',
      field: '.badges',
      reads: ['badges'],
      holds: (r) => new Set(r.badges).size === r.badges.length,
    },
  ],
);
export type Requirement = z.output<typeof requirement>;
