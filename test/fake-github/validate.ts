/**
 * A small validator for the OpenAPI 3.0 schemas in
 * test/fixtures/github-openapi-subset.json (written by
 * scripts/extract-openapi.mjs).
 *
 * Supports: type (string or array, 3.1 style), nullable, required,
 * properties, additionalProperties (false or a schema), enum, items,
 * allOf/anyOf/oneOf, min/maxLength, minimum/maximum, and the formats
 * `date-time` (loosely: ISO-8601 with a zone) and `uri` (must parse; GitHub
 * sends "" for unset URL fields, so the empty string passes). Local `$ref`s
 * (`#/components/schemas/...`) resolve against the subset document.
 */
import { readFileSync } from 'node:fs';

export interface Schema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  format?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
}

/** One operation of the subset: request body schema and response schema per status (null = no body). */
export interface OperationSchemas {
  operationId: string;
  requestBody?: Schema | null;
  responses: Record<string, Schema | null>;
}

export interface Subset {
  source: { package: string; version: string; file: string; openapi: string };
  operations: Record<string, OperationSchemas>;
  components: { schemas: Record<string, Schema> };
}

/** A schema violation: JSON path (`$.a[0].b`) and what is wrong there. */
export interface Violation {
  path: string;
  message: string;
}

const SUBSET_PATH = new URL('../fixtures/github-openapi-subset.json', import.meta.url);
let cached: Subset | undefined;

/** The extracted subset, read once. */
export function loadSubset(): Subset {
  cached ??= JSON.parse(readFileSync(SUBSET_PATH, 'utf8')) as Subset;
  return cached;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

function resolve(schema: Schema, root: Subset): Schema {
  let current = schema;
  for (let depth = 0; current.$ref !== undefined; depth++) {
    const m = /^#\/components\/schemas\/(.+)$/.exec(current.$ref);
    const target = m ? root.components.schemas[m[1]!] : undefined;
    if (!target || depth > 50) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

/**
 * Validates `value` against `schema`; returns every violation found (empty
 * when valid). `root` supplies the components `$ref`s point to.
 */
export function validate(
  schema: Schema,
  value: unknown,
  root: Subset = loadSubset(),
  path = '$',
): Violation[] {
  const s = resolve(schema, root);
  const actual = typeOf(value);
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  if (value === null && (s.nullable === true || types.includes('null'))) return [];
  const out: Violation[] = [];
  const fail = (message: string): Violation[] => {
    out.push({ path, message });
    return out;
  };

  if (types.length > 0 && !types.some((t) => typeMatches(t, actual))) {
    return fail(`expected ${types.join(' | ')}${s.nullable ? ' | null' : ''}, got ${actual}`);
  }
  if (s.enum && !s.enum.some((e) => e === value))
    fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);

  if (typeof value === 'string') {
    if (s.maxLength !== undefined && value.length > s.maxLength) fail(`longer than ${s.maxLength}`);
    if (s.minLength !== undefined && value.length < s.minLength) fail(`shorter than ${s.minLength}`);
    if (s.format === 'date-time' && !DATE_TIME.test(value)) fail(`not a date-time: ${JSON.stringify(value)}`);
    if (s.format === 'uri' && value !== '' && !URL.canParse(value))
      fail(`not a uri: ${JSON.stringify(value)}`);
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) fail(`less than ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) fail(`greater than ${s.maximum}`);
  }
  if (Array.isArray(value) && s.items) {
    value.forEach((item, i) => out.push(...validate(s.items!, item, root, `${path}[${i}]`)));
  }
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of s.required ?? []) if (!(key in obj)) fail(`missing required property "${key}"`);
    for (const [key, v] of Object.entries(obj)) {
      const prop = s.properties?.[key];
      if (prop) out.push(...validate(prop, v, root, `${path}.${key}`));
      else if (s.additionalProperties === false) fail(`unexpected property "${key}"`);
      else if (typeof s.additionalProperties === 'object') {
        out.push(...validate(s.additionalProperties, v, root, `${path}.${key}`));
      }
    }
  }

  for (const sub of s.allOf ?? []) out.push(...validate(sub, value, root, path));
  if (s.anyOf && !s.anyOf.some((sub) => validate(sub, value, root, path).length === 0)) {
    fail(`matches none of anyOf (${s.anyOf.length} options)`);
  }
  if (s.oneOf) {
    const matching = s.oneOf.filter((sub) => validate(sub, value, root, path).length === 0).length;
    // GitHub's description uses oneOf for options that overlap (every `basic-error` body is also a
    // `repository-rule-violation-error`, as real 409s of the contents API are): several matches pass only then.
    const overlapping = matching > 1 && s.oneOf.every((sub) => !sub.$ref || /-error$/.test(sub.$ref));
    if (matching !== 1 && !overlapping)
      fail(`matches ${matching} of oneOf (${s.oneOf.length} options), expected exactly 1`);
  }
  return out;
}

/** Converts a path template (`/repos/{owner}/{repo}`) to a regex matching concrete paths. */
export function templateRegex(template: string): RegExp {
  const body = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** The subset operation key ("GET /repos/{owner}/{repo}/deployments") for a concrete request, if any. */
export function operationKey(method: string, path: string, root: Subset = loadSubset()): string | undefined {
  const upper = method.toUpperCase();
  return Object.keys(root.operations).find((key) => {
    const [m, template] = key.split(' ') as [string, string];
    return m === upper && templateRegex(template).test(path);
  });
}

/**
 * Validates a response body for `METHOD path` (concrete path) and status.
 * Statuses the spec does not document are reported for 2xx (an undocumented
 * success shape) and ignored otherwise (injected faults, auth errors).
 */
export function validateResponse(method: string, path: string, status: number, body: unknown): Violation[] {
  const root = loadSubset();
  const key = operationKey(method, path, root);
  if (!key) return [{ path: '$', message: `no operation in the subset for ${method} ${path}` }];
  const responses = root.operations[key]!.responses;
  if (!(String(status) in responses)) {
    return status < 300 ? [{ path: '$', message: `${key}: status ${status} is not documented` }] : [];
  }
  const schema = responses[String(status)];
  if (schema === null || schema === undefined) {
    // No body documented: a 204 must have none; others (e.g. 409) are not checked.
    return status === 204 && body !== undefined
      ? [{ path: '$', message: `${key} 204: expected no body` }]
      : [];
  }
  return validate(schema, body, root);
}
