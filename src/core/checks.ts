/**
 * HTTP checks: what a check is (schema shared by the smoke-test inputs, the runbook file and deploy's health
 * checks), how a response is judged against its expectations, and how one check is retried to a deadline.
 */
import { z } from 'zod';
import type { Clock } from './clock.js';
import { duration, MINUTE, quote } from './inputs.js';
import { CONTROL_CHARS } from './safe-line.js';
import { probe, retryUntil, type BackoffOptions, type ProbeResult } from './http.js';
import { basicCredential } from './secrets.js';

const statusItem = z.union([
  z.number().int().min(100).max(599),
  z
    .string()
    .regex(/^([1-5]xx|[1-5]\d\d)$/i, 'expected a status code such as 200 or a class such as 2xx')
    .transform((s) => s.toLowerCase()),
]);

export const expectSchema = z
  .strictObject({
    status: z.union([statusItem, z.array(statusItem).min(1)]).optional(),
    'body-contains': z.union([z.string(), z.array(z.string())]).optional(),
    json: z.record(z.string(), z.unknown()).optional(),
    'max-latency': duration({ max: 10 * MINUTE }).optional(),
  })
  .default({});

export const checkSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(200, 'expected a check name of at most 200 characters')
    .refine(
      (s) => !CONTROL_CHARS.test(s),
      'a check name cannot contain control characters such as line breaks',
    )
    .optional(),
  url: z.url({ protocol: /^https?$/, error: 'expected an absolute http(s) URL' }),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, 'expected an HTTP method such as GET or POST')
    .transform((s) => s.toUpperCase())
    .default('GET'),
  headers: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  expect: expectSchema,
});

export const checksSchema = z.array(checkSchema).min(1, 'expected at least one check');

export type CheckInput = z.input<typeof checkSchema>;
export type CheckSpec = z.output<typeof checkSchema> & { name: string };

/** Fill names (from method + path) so every check has one for tables and messages. */
export function nameChecks(checks: readonly z.output<typeof checkSchema>[]): CheckSpec[] {
  const seen = new Map<string, number>();
  return checks.map((c) => {
    let name = c.name ?? `${c.method} ${new URL(c.url).pathname}`;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > 1) name = `${name} #${n}`;
    return { ...c, name };
  });
}

export function requestBody(check: CheckSpec): { body?: string; headers: Record<string, string> } {
  const headers = { ...check.headers };
  if (check.body === undefined) return { headers };
  if (typeof check.body === 'string') return { body: check.body, headers };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  return { body: JSON.stringify(check.body), headers };
}

/**
 * The request a check sends. User info in the URL (`https://user:pass@host/health`), which fetch refuses, is
 * sent as Basic authentication instead: removed from the URL, and an Authorization header added unless the
 * check gives one. (The caller registers the password and the credential with `secrets.addUrl`.)
 */
export function checkRequest(check: CheckSpec): {
  url: string;
  body?: string;
  headers: Record<string, string>;
} {
  const { body, headers } = requestBody(check);
  let u: URL;
  try {
    u = new URL(check.url);
  } catch {
    return { url: check.url, body, headers };
  }
  if (!u.username && !u.password) return { url: check.url, body, headers };
  const credential = basicCredential(u);
  u.username = '';
  u.password = '';
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
    headers.authorization = `Basic ${credential}`;
  return { url: u.toString(), body, headers };
}

// ---------------------------------------------------------------------------------------------------------
// Judging a response

export interface Verdict {
  passed: boolean;
  /** What was expected and what came back; empty when passed. */
  reason: string;
}

export function statusMatches(status: number, expected: number | string): boolean {
  if (typeof expected === 'number') return status === expected;
  if (/^\dxx$/.test(expected)) return Math.floor(status / 100) === Number(expected[0]);
  return status === Number(expected);
}

/** Read `a.b[0].c` or `a.b.0.c` from a parsed JSON value. */
export function jsonPath(value: unknown, path: string): { found: boolean; value?: unknown } {
  const parts = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((p) => p !== '');
  let cur: unknown = value;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return { found: false };
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(p) || Number(p) >= cur.length) return { found: false };
      cur = cur[Number(p)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, p)) return { found: false };
      cur = (cur as Record<string, unknown>)[p];
    }
  }
  return { found: true, value: cur };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function bodySnippet(body: string, max = 200): string {
  const oneLine = body.replace(/\s+/g, ' ').trim().replace(/`/g, "'");
  if (!oneLine) return '(empty body)';
  return `\`${oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine}\``;
}

export function judge(check: CheckSpec, r: ProbeResult): Verdict {
  const e = check.expect;
  const got = () => `got ${r.status} in ${r.latencyMs} ms, body ${bodySnippet(r.body)}`;
  if (r.status === undefined) return { passed: false, reason: `no response: ${r.error ?? 'unknown error'}` };

  const wanted = e.status === undefined ? ['2xx'] : Array.isArray(e.status) ? e.status : [e.status];
  if (!wanted.some((w) => statusMatches(r.status!, w)))
    return { passed: false, reason: `expected status ${wanted.join(' or ')}, ${got()}` };

  const needles = e['body-contains'] === undefined ? [] : [e['body-contains']].flat();
  for (const n of needles)
    if (!r.body.includes(n))
      return { passed: false, reason: `expected the body to contain ${quote(n)}, ${got()}` };

  if (e.json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      return { passed: false, reason: `expected a JSON body, ${got()}` };
    }
    for (const [path, expected] of Object.entries(e.json)) {
      const at = jsonPath(parsed, path);
      if (!at.found)
        return {
          passed: false,
          reason: `expected JSON ${path} = ${JSON.stringify(expected)}, but ${path} is missing; ${got()}`,
        };
      if (!deepEqual(at.value, expected))
        return {
          passed: false,
          reason: `expected JSON ${path} = ${JSON.stringify(expected)}, got ${JSON.stringify(at.value)} (status ${r.status}, ${r.latencyMs} ms)`,
        };
    }
  }

  const maxLatency = e['max-latency'];
  if (maxLatency !== undefined && r.latencyMs > maxLatency)
    return {
      passed: false,
      reason: `expected a response within max-latency ${maxLatency} ms, took ${r.latencyMs} ms (status ${r.status})`,
    };
  return { passed: true, reason: '' };
}

// ---------------------------------------------------------------------------------------------------------
// Running a check to a deadline

export interface CheckOutcome {
  name: string;
  method: string;
  /** URL as it may be shown (credentials redacted by the caller's secrets registry). */
  url: string;
  passed: boolean;
  attempts: number;
  status?: number;
  latencyMs?: number;
  reason: string;
}

export interface RunCheckOptions extends BackoffOptions {
  clock: Clock;
  deadline: number;
  requestTimeoutMs: number;
  signal?: AbortSignal;
  /** Called after each failed attempt that will be retried. */
  onRetry?: (check: CheckSpec, attempt: number, reason: string) => void;
}

/** One probe of a check, judged. */
export async function probeCheck(
  check: CheckSpec,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ result: ProbeResult; verdict: Verdict }> {
  const { url, body, headers } = checkRequest(check);
  const result = await probe({ url, method: check.method, headers, body, timeoutMs, signal });
  return { result, verdict: judge(check, result) };
}

/**
 * Probe a check until it passes or the deadline passes, backing off between attempts. When the last attempt
 * got no response but an earlier one did, the earlier response is reported: it says more about what is wrong.
 */
export async function runCheck(check: CheckSpec, o: RunCheckOptions): Promise<Omit<CheckOutcome, 'url'>> {
  let lastAnswered: { result: ProbeResult; verdict: Verdict } | undefined;
  const r = await retryUntil(
    async (n) => {
      const remaining = Math.max(1, Math.round(o.deadline - o.clock.now()));
      const timeoutMs = Math.min(o.requestTimeoutMs, remaining);
      const value = await probeCheck(check, timeoutMs, o.signal);
      if (
        value.result.status === undefined &&
        timeoutMs < o.requestTimeoutMs &&
        value.result.error?.startsWith('no response within')
      )
        value.verdict.reason = `no response before the overall timeout ran out (${value.result.latencyMs} ms into the last attempt)`;
      if (value.result.status !== undefined) lastAnswered = value;
      // A request that cannot be built fails at once: no attempt could ever send it.
      if (value.result.invalid) return { done: true, value };
      if (!value.verdict.passed && o.clock.now() < o.deadline) o.onRetry?.(check, n, value.verdict.reason);
      return { done: value.verdict.passed, value };
    },
    { ...o, minAttemptMs: Math.min(o.requestTimeoutMs, 250) },
  );
  const { result, verdict } = r.value.result.status === undefined && lastAnswered ? lastAnswered : r.value;
  return {
    name: check.name,
    method: check.method,
    passed: verdict.passed,
    attempts: r.attempts,
    status: result.status,
    latencyMs: result.latencyMs,
    reason: verdict.passed
      ? ''
      : r.attempts > 1
        ? `${verdict.reason} (after ${r.attempts} attempts)`
        : verdict.reason,
  };
}

/** Run async tasks with at most `limit` at once, keeping order of results. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
