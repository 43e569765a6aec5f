import { z } from 'zod';
import { RFC3339 } from './common.ts';
import { GROUP, VERSION } from './group.ts';
import type { ResourceDefinition } from './resource.ts';

type JsonSchema = { [key: string]: unknown };

const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

const DATE_ONLY = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

/**
 * `format: date-time` as a CEL rule. The API server evaluates no CEL rule of an object that has a
 * format error ("some validation rules were not checked because the object was invalid"), so one date
 * without a time would hide every other problem of the object until it is fixed; a rule does not.
 */
const dateTimeRule = {
  rule: `self.matches('${RFC3339}')`,
  message: 'expected an RFC 3339 date-time such as "2026-01-31T00:00:00Z"',
  messageExpression: `self.matches('${DATE_ONLY}') ? 'expected an RFC 3339 date-time, got the date "' + self + '" without a time: write "' + self + 'T00:00:00Z"' : 'expected an RFC 3339 date-time such as "2026-01-31T00:00:00Z", got "' + self + '"'`,
};

/**
 * Turns zod's OpenAPI 3.0 output into a Kubernetes structural schema. zod emits a few things the
 * API server refuses or that only add noise, and nothing upstream does this conversion for zod:
 * - `additionalProperties: false` beside `properties` (structural schemas forbid the pair; unknown
 *   fields are pruned by the API server anyway);
 * - a long regex `pattern` beside `format: date-time`, and the format itself (a CEL rule instead, below);
 * - `propertyNames` of records and the safe-integer bounds of `z.int()`;
 * - `const` (from literals), which structural schemas do not know: written as a one-value enum.
 */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (key === 'additionalProperties' && (value === false || isEmptyObject(value))) continue;
    if (key === 'pattern' && (node as JsonSchema).format === 'date-time') continue;
    if (
      (key === 'minimum' && value === -SAFE_INTEGER_BOUND) ||
      (key === 'maximum' && value === SAFE_INTEGER_BOUND)
    ) {
      continue;
    }
    if (key === 'const') {
      out.enum = [value];
      continue;
    }
    // Keys whose values are maps of names to schemas, or plain data, keep their own keys.
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as JsonSchema).map(([k, v]) => [k, toStructural(v)]),
      );
    } else if (key === 'default' || key === 'enum' || key === 'required' || key.startsWith('x-kubernetes-')) {
      out[key] = value;
    } else {
      out[key] = toStructural(value);
    }
  }
  if (out['x-kubernetes-embedded-resource'] === true) delete out.additionalProperties;
  if (out.format === 'date-time') {
    delete out.format;
    out['x-kubernetes-validations'] = [
      { ...dateTimeRule },
      ...((out['x-kubernetes-validations'] as unknown[]) ?? []),
    ];
  }
  return out;
}

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).length === 0;

export function openApiSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', reused: 'inline' });
  return toStructural(json) as JsonSchema;
}

/** The CustomResourceDefinition of one kind, generated from its zod schemas. */
export function customResourceDefinition(def: ResourceDefinition) {
  const validations = def.rootRules.map((r) => ({ rule: r.cel, message: r.message }));
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'sovereign-placement' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['sovereignty'],
      },
      scope: def.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: def.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                metadata: { type: 'object' },
                spec: openApiSchema(def.spec),
                status: openApiSchema(def.status),
              },
              ...(validations.length ? { 'x-kubernetes-validations': validations } : {}),
            },
          },
        },
      ],
    },
  };
}
