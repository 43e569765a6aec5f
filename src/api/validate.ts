import type { z } from 'zod';
import { API_VERSION } from './group.ts';
import { resourceDefinitions } from './index.ts';

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** "spec.badges[0].validUntil" from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

/** One line per problem, each naming the field: "spec.countries[0]: expected an ISO 3166-1 ...". */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(object)'}: ${issue.message}`);
}

export function validateWith<S extends z.ZodType>(schema: S, input: unknown): Validated<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: formatIssues(result.error) };
}

const byKind = new Map(resourceDefinitions.map((d) => [d.kind, d]));

/** Validates any object of the API group by its kind; other kinds are refused with a clear error. */
export function validateResource(input: unknown): Validated<{ kind: string }> {
  const { apiVersion, kind } = (input ?? {}) as { apiVersion?: unknown; kind?: unknown };
  if (apiVersion !== API_VERSION) {
    return { ok: false, errors: [`apiVersion: expected ${API_VERSION}, got ${JSON.stringify(apiVersion)}`] };
  }
  const def = byKind.get(kind as never);
  if (!def) {
    const known = [...byKind.keys()].join(', ');
    return { ok: false, errors: [`kind: expected one of ${known}, got ${JSON.stringify(kind)}`] };
  }
  return validateWith(def.object, input) as Validated<{ kind: string }>;
}
