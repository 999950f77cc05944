/**
 * Readers for the input forms every action shares. Each is a zod schema that takes the raw input string
 * (empty when the input was not given) and reports, on failure, the form it wanted and the value it got.
 * `parseInputs` turns zod issues into one message per input that names the input.
 */
import * as core from '@actions/core';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigurationError } from './errors.js';
import { CONTROL_CHARS } from './safe-line.js';
import { findDuplicateKey } from './yaml-keys.js';

export type RawInputs = Record<string, string>;

/** The runner's rule: INPUT_ + name upper-cased with spaces turned to `_` (hyphens kept). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Reads every input the schema names; the only place an action calls core.getInput. */
export function readRawInputs(
  names: readonly string[],
  getInput: (name: string) => string = core.getInput,
): RawInputs {
  return Object.fromEntries(names.map((n) => [n, getInput(n)]));
}

// ---------------------------------------------------------------------------------------------------------
// Plain parsers, usable on their own (runbook values, tests).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** `90s`, `5m`, `1h30m`, `500ms`, `1.5s`, `2d`; a bare number is seconds. Returns milliseconds or undefined. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  if (!DURATION_RE.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

/** `1%`, `0.5%`. Returns a fraction (0.01) or undefined. */
export function parsePercent(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(text.trim());
  if (!m) return undefined;
  const v = Number(m[1]);
  return v <= 100 ? v / 100 : undefined;
}

/** Newline- or comma-separated, trimmed, empty items dropped. */
export function parseList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return [h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('') || '0s';
}

/** A limit for messages: whole days as `24d`, else as formatDuration. */
export function formatLimit(ms: number): string {
  return ms >= 86_400_000 && ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : formatDuration(ms);
}

export function quote(value: string, max = 80): string {
  const v = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------------------
// zod schemas over raw strings.

function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER as never;
}

/** '' (input not given) becomes undefined; anything else goes through `schema`. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());
}

export const text = () => z.string().trim();

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export { MAX_TIMER_MS } from './clock.js';
/** The default maximum of `duration()`: 24 days, a round figure a timer can hold. */
export const MAX_DURATION_MS = 24 * 86_400_000;

export interface DurationLimits {
  /**
   * Longest accepted, in ms (default MAX_DURATION_MS). Above MAX_TIMER_MS only for a duration that is never
   * waited for (an age compared with a date).
   */
  max?: number;
  /** Shortest accepted, in ms (default 0). Give 1 where 0 cannot work (a timeout). */
  min?: number;
}

/**
 * A duration in milliseconds, between `min` (default 0) and `max` (default 24 days, what a timer can hold).
 * The error says the limit; `parseInputs` prefixes the input's name.
 */
export const duration = (limits: DurationLimits = {}) => {
  const max = limits.max ?? MAX_DURATION_MS;
  const min = Math.max(0, limits.min ?? 0);
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? Math.round(v * 1000) : parseDuration(v);
    if (ms === undefined || !Number.isFinite(ms) || ms < 0)
      return fail(ctx, `expected a duration such as 90s, 5m, 1h30m or 500ms, got ${quote(String(v))}`);
    if (ms > max) return fail(ctx, `must be at most ${formatLimit(max)}, got ${quote(String(v))}`);
    if (ms < min)
      return fail(
        ctx,
        min === 1
          ? `must be more than 0 (a wait of 0 cannot succeed), got ${quote(String(v))}`
          : `must be at least ${formatLimit(min)}, got ${quote(String(v))}`,
      );
    return ms;
  });
};

/**
 * A name (environment, version, check, slot): text without control characters (no line breaks, escapes or
 * NULs), at most `max` characters. Trimmed.
 */
export const name = (what = 'a name', max = 256) =>
  z.string().transform((v, ctx) => {
    const s = v.trim();
    if (CONTROL_CHARS.test(s))
      return fail(ctx, `${what} cannot contain control characters such as line breaks, got ${quote(s)}`);
    if (s.length > max) return fail(ctx, `${what} is at most ${max} characters long, got ${s.length}`);
    return s;
  });

export const percent = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const f = typeof v === 'number' ? undefined : parsePercent(v);
    if (f === undefined)
      return fail(ctx, `expected a percentage such as 1% or 0.5%, got ${quote(String(v))}`);
    return f;
  });

export const bool = () =>
  z.union([z.string(), z.boolean()]).transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim();
    if (TRUE.includes(s)) return true;
    if (FALSE.includes(s)) return false;
    return fail(ctx, `expected true or false, got ${quote(v)}`);
  });

export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const s = String(v).trim();
    const n = Number(s);
    if (!/^-?\d+$/.test(s) || n < min || n > max)
      return fail(
        ctx,
        `expected a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got ${quote(s)}`,
      );
    return n;
  });

export const list = () => z.string().transform(parseList);

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((v, ctx) => {
    const s = v.trim();
    if (!(values as readonly string[]).includes(s))
      return fail(ctx, `expected one of ${values.join(', ')}, got ${quote(s)}`);
    return s as T[number];
  });

export const httpUrl = () =>
  z.string().transform((v, ctx) => {
    const s = v.trim();
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return fail(
        ctx,
        `expected an absolute http(s) URL such as https://example.com/health, got ${quote(redactUrl(s))}`,
      );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      return fail(ctx, `expected an http or https URL, got the scheme ${quote(u.protocol)}`);
    return s;
  });

/** A YAML (or JSON, which is YAML) document validated by `schema`. */
export const yaml = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((v, ctx) => {
      try {
        const doc = YAML.parseDocument(v, { strict: true, prettyErrors: true, uniqueKeys: false });
        if (doc.errors.length) throw doc.errors[0]!;
        const duplicate = findDuplicateKey(doc);
        if (duplicate)
          throw new Error(`Map keys must be unique; ${JSON.stringify(duplicate.key)} is repeated`);
        return doc.toJS() as unknown;
      } catch (e) {
        const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
        return fail(ctx, `is not valid YAML: ${msg}`);
      }
    })
    .pipe(schema);

/** Replace user info in anything that looks like a URL, for messages. */
export function redactUrl(s: string): string {
  return s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/gi, (_m, scheme: string, info: string) =>
    info.includes(':') ? `${scheme}${info.split(':')[0]}:***@` : `${scheme}***@`,
  );
}

// ---------------------------------------------------------------------------------------------------------

export interface ParseOptions {
  /** Inputs whose values must never be echoed in an error message. */
  secret?: readonly string[];
}

/**
 * Parse raw inputs with a schema keyed by the action.yml input names. On failure, throws a ConfigurationError
 * listing each bad input by name with what was wrong, before anything has been done.
 */
export function parseInputs<S extends z.ZodObject>(
  schema: S,
  raw: RawInputs,
  opts: ParseOptions = {},
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigurationError(formatInputIssues(result.error, raw, opts));
}

export function formatInputIssues(error: z.ZodError, raw: RawInputs, opts: ParseOptions = {}): string {
  const lines = error.issues.map((issue) => {
    const [name, ...rest] = issue.path.map(String);
    const where = rest.length ? ` at ${formatPath(rest)}` : '';
    const value = name !== undefined ? raw[name] : undefined;
    let message = issue.message;
    // zod's own messages (from YAML contents) do not say what they got; add the value where that helps.
    if (issue.code !== 'custom' && value !== undefined && !rest.length && !opts.secret?.includes(name!)) {
      message += ` (got ${quote(value)})`;
    }
    return `Input "${name}"${where}: ${message}`;
  });
  return lines.join('\n');
}

function formatPath(path: string[]): string {
  return path
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
}
