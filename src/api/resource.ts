import { z } from 'zod';
import { objectName, type Rule, withRules } from './common.ts';
import { API_VERSION } from './group.ts';

export const objectMeta = z.looseObject({
  name: objectName,
  namespace: objectName.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  creationTimestamp: z.string().optional(),
});

export interface PrinterColumn {
  name: string;
  /** `date` prints as an age ("5m"), so only for instants in the past (creationTimestamp); an instant
   *  that may lie ahead (an expiry) must be `string`, or kubectl prints `<invalid>`. */
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** Everything needed to validate one kind in TypeScript and to generate its CRD. */
export interface ResourceDefinition<
  K extends string = string,
  Spec extends z.ZodType = z.ZodType,
  Status extends z.ZodType = z.ZodType,
> {
  kind: K;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Cluster' | 'Namespaced';
  description: string;
  spec: Spec;
  status: Status;
  /** Rules over the whole object (they may read metadata.name). */
  rootRules: Rule<{ metadata: { name: string } }>[];
  printerColumns: PrinterColumn[];
}

export function defineResource<K extends string, Spec extends z.ZodType, Status extends z.ZodType>(
  def: ResourceDefinition<K, Spec, Status>,
) {
  const object = withRules(
    z.strictObject({
      apiVersion: z.literal(API_VERSION, { error: `apiVersion must be ${API_VERSION}` }),
      kind: z.literal(def.kind),
      metadata: objectMeta,
      spec: def.spec,
      status: def.status.optional(),
    }),
    def.rootRules as Rule<unknown>[],
  );
  return { ...def, object };
}
