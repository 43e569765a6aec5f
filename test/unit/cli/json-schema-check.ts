/**
 * A small structural JSON Schema (2020-12) checker, enough for the documents in docs/: type (with
 * null), const, enum, properties, required, additionalProperties false, items, minItems, oneOf, anyOf,
 * local $ref and format date-time. It reads the published document itself, so a test with it checks
 * what users read, independently of how zod generated it. Returns every violation as "path: problem".
 */
type Schema = Record<string, any>;

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function checkJsonSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (schema: Schema): Schema => {
    if (typeof schema.$ref !== 'string') return schema;
    const name = schema.$ref.replace('#/$defs/', '');
    const target = root.$defs?.[name];
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return resolve(target);
  };
  const visit = (raw: Schema, v: unknown, path: string, out: string[]): void => {
    const s = resolve(raw);
    if (s.oneOf || s.anyOf) {
      const options = (s.oneOf ?? s.anyOf) as Schema[];
      const matching = options.filter((o) => {
        const sub: string[] = [];
        visit(o, v, path, sub);
        return sub.length === 0;
      });
      if (s.oneOf ? matching.length !== 1 : matching.length === 0) {
        out.push(`${path}: matches ${matching.length} of the ${s.oneOf ? 'oneOf' : 'anyOf'} schemas`);
      }
      return;
    }
    if (s.type !== undefined) {
      const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
      const t = typeOf(v);
      const ok = types.includes(t) || (t === 'integer' && types.includes('number'));
      if (!ok) {
        out.push(`${path}: expected ${types.join(' or ')}, got ${t}`);
        return;
      }
    }
    if ('const' in s && v !== s.const) out.push(`${path}: expected ${JSON.stringify(s.const)}`);
    if (s.enum && !s.enum.includes(v))
      out.push(`${path}: ${JSON.stringify(v)} is not one of ${s.enum.join(', ')}`);
    if (s.format === 'date-time' && typeof v === 'string' && !RFC3339.test(v))
      out.push(`${path}: not a date-time`);
    if (typeOf(v) === 'object') {
      const o = v as Record<string, unknown>;
      for (const key of s.required ?? []) if (!(key in o)) out.push(`${path}.${key}: required`);
      for (const [key, child] of Object.entries(o)) {
        const sub = s.properties?.[key];
        if (sub) visit(sub, child, `${path}.${key}`, out);
        else if (s.additionalProperties === false) out.push(`${path}.${key}: not allowed`);
      }
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems)
        out.push(`${path}: fewer than ${s.minItems} items`);
      if (s.items) {
        v.forEach((item, i) => {
          visit(s.items, item, `${path}[${i}]`, out);
        });
      }
    }
  };
  visit(root, value, '$', errors);
  return errors;
}
