/**
 * A small JSON Schema (draft 2020-12) validator for the schemas zod's toJSONSchema writes: type, properties,
 * required, additionalProperties, items, enum, const, pattern, format date-time, minimum/maximum,
 * exclusiveMinimum/Maximum, anyOf/oneOf/allOf and local $refs. Returns the violations, [] when valid.
 */
type Schema = Record<string, unknown>;

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

export function validateAgainst(root: object, value: unknown): string[] {
  const out: string[] = [];
  const resolve = (ref: string): Schema => {
    let node: unknown = root;
    for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Schema)[part];
    return node as Schema;
  };
  const check = (s: Schema | boolean, v: unknown, at: string): void => {
    if (s === true) return;
    if (s === false) return void out.push(`${at}: not allowed`);
    if (typeof s.$ref === 'string') check(resolve(s.$ref), v, at);
    const t = typeOf(v);
    if (s.type !== undefined) {
      const types = ([] as unknown[]).concat(s.type);
      if (!types.some((x) => x === t || (x === 'number' && t === 'integer')))
        return void out.push(`${at}: expected ${types.join('|')}, got ${t}`);
    }
    if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(v))
      out.push(`${at}: expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
      out.push(`${at}: not in enum`);
    if (typeof v === 'string') {
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v))
        out.push(`${at}: does not match ${s.pattern}`);
      if (
        s.format === 'date-time' &&
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)
      )
        out.push(`${at}: not a date-time`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${at}: below ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${at}: above ${s.maximum}`);
      if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum)
        out.push(`${at}: not above ${s.exclusiveMinimum}`);
      if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum)
        out.push(`${at}: not below ${s.exclusiveMaximum}`);
    }
    if (t === 'object') {
      const obj = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in obj)) out.push(`${at}: missing ${r}`);
      for (const [k, x] of Object.entries(obj)) {
        if (props[k]) check(props[k], x, `${at}.${k}`);
        else if (s.additionalProperties !== undefined)
          check(s.additionalProperties as Schema, x, `${at}.${k}`);
      }
    }
    if (t === 'array' && s.items)
      (v as unknown[]).forEach((x, i) => check(s.items as Schema, x, `${at}[${i}]`));
    for (const sub of (s.allOf ?? []) as Schema[]) check(sub, v, at);
    const some = (list: Schema[]) =>
      list.filter((sub) => {
        const before = out.length;
        check(sub, v, at);
        const ok = out.length === before;
        out.length = before;
        return ok;
      }).length;
    if (Array.isArray(s.anyOf) && some(s.anyOf as Schema[]) === 0) out.push(`${at}: matches none of anyOf`);
    if (Array.isArray(s.oneOf) && some(s.oneOf as Schema[]) !== 1)
      out.push(`${at}: must match exactly one of oneOf`);
  };
  check(root as Schema, value, '$');
  return out;
}
