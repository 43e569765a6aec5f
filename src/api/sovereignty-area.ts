import { z } from 'zod';
import { countryCode, statusBase } from './common.ts';
import { MAX_AREA_NAME_LENGTH } from './group.ts';
import { defineResource } from './resource.ts';

export const SovereigntyAreaDef = defineResource({
  kind: 'SovereigntyArea',
  plural: 'sovereigntyareas',
  singular: 'sovereigntyarea',
  shortNames: ['sarea'],
  scope: 'Cluster',
  description:
    'A Defined Geographical Area of Sovereignty: a named set of ISO 3166-1 alpha-2 countries (for example eu, the 27 member states).',
  spec: z
    .strictObject({
      displayName: z
        .string()
        .max(128)
        .optional()
        .describe('Human-readable name, for example "European Union".'),
      countries: z
        .array(countryCode)
        .min(1, 'an area needs at least one country')
        .max(250)
        .describe('The countries of the area, as ISO 3166-1 alpha-2 codes in upper case.')
        .meta({ 'x-kubernetes-list-type': 'set' }),
    })
    .describe('The countries that make up the area.'),
  status: z
    .strictObject({
      ...statusBase,
      countryCount: z.int().min(0).optional().describe('How many countries the area holds.'),
    })
    .describe('Observed state of the area.'),
  rootRules: [
    {
      cel: `size(self.metadata.name) <= ${MAX_AREA_NAME_LENGTH}`,
      message: `metadata.name: area names are at most ${MAX_AREA_NAME_LENGTH} characters, so that verdict label keys fit in 63`,
      holds: (o) => o.metadata.name.length <= MAX_AREA_NAME_LENGTH,
    },
  ],
  printerColumns: [
    { name: 'Display Name', type: 'string', jsonPath: '.spec.displayName' },
    { name: 'Countries', type: 'integer', jsonPath: '.status.countryCount' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type SovereigntyArea = z.output<typeof SovereigntyAreaDef.object>;
