/**
 * One HTTP probe: a request with a timeout, latency measured to the end of the body, the first bytes of the
 * body kept for matching and messages; and retry with exponential backoff and full jitter under a deadline.
 */
import type { Clock } from './clock.js';
import { errorMessage } from './errors.js';

export interface ProbeRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Keep at most this many bytes of body (matching looks at these). Default 1 MiB. */
  bodyLimit?: number;
  signal?: AbortSignal;
}

export interface ProbeResult {
  /** HTTP status, or undefined when no response came (connection refused, timeout, DNS...). */
  status?: number;
  latencyMs: number;
  body: string;
  headers: Record<string, string>;
  /** Why no response came. */
  error?: string;
  /**
   * The request could not be built (a header value with a line break, a URL fetch refuses…): no request was
   * sent and retrying cannot help.
   */
  invalid?: boolean;
}

export async function probe(req: ProbeRequest): Promise<ProbeResult> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  const elapsed = () => Math.round(performance.now() - started);
  let request: Request;
  try {
    request = new Request(req.url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      body: req.body,
      signal,
      redirect: 'manual',
    });
  } catch (e) {
    return {
      latencyMs: 0,
      body: '',
      headers: {},
      error: `the request could not be built: ${errorMessage(e)}`,
      invalid: true,
    };
  }
  try {
    const res = await fetch(request);
    const body = await readLimited(res, req.bodyLimit ?? 1 << 20);
    return { status: res.status, latencyMs: elapsed(), body, headers: Object.fromEntries(res.headers) };
  } catch (e) {
    const latencyMs = elapsed();
    let error: string;
    if (timeout.aborted) error = `no response within ${req.timeoutMs} ms (request-timeout)`;
    else if (req.signal?.aborted) error = 'cancelled';
    else error = networkReason(e);
    return { latencyMs, body: '', headers: {}, error };
  }
}

async function readLimited(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size < limit) {
      chunks.push(value.subarray(0, limit - size));
      size += Math.min(value.byteLength, limit - size);
    }
    // Keep reading past the limit so latency covers the whole response and the connection is reusable.
  }
  return Buffer.concat(chunks).toString('utf8');
}

function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) {
    const known: Record<string, string> = {
      ECONNREFUSED: 'connection refused (is the service running and listening on that port?)',
      ENOTFOUND: 'host not found (DNS)',
      ECONNRESET: 'connection reset by the server',
      ETIMEDOUT: 'connection timed out',
      EAI_AGAIN: 'DNS lookup failed temporarily',
      UND_ERR_SOCKET: 'the server closed the connection',
      CERT_HAS_EXPIRED: 'TLS certificate has expired',
    };
    return known[cause.code] ?? `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  }
  return errorMessage(e);
}

export interface BackoffOptions {
  /** First wait, default 500 ms. */
  initialMs?: number;
  /** Longest single wait, default 10 s. */
  maxMs?: number;
  factor?: number;
  /** 0..1 source, injectable for tests. */
  random?: () => number;
}

/** Wait before attempt n+1 (n >= 1): exponential, capped, with "equal jitter" (between half and all of it). */
export function backoffDelay(attempt: number, o: BackoffOptions = {}): number {
  const initial = o.initialMs ?? 500;
  const max = o.maxMs ?? 10_000;
  const base = Math.min(max, initial * (o.factor ?? 2) ** (attempt - 1));
  return Math.round(base / 2 + (o.random ?? Math.random)() * (base / 2));
}

export interface RetryOptions extends BackoffOptions {
  clock: Clock;
  /** Absolute deadline on `clock.now()`; no attempt starts after it, no wait runs past it. */
  deadline: number;
  signal?: AbortSignal;
  /** Upper bound on attempts whatever the deadline. Default unbounded (the deadline bounds it). */
  maxAttempts?: number;
  /** Don't start an attempt with less than this left before the deadline (it could not finish). Default 0. */
  minAttemptMs?: number;
}

/**
 * Call `attempt` until it reports done, the deadline passes, or attempts run out. Returns the last value and
 * the number of attempts made.
 */
export async function retryUntil<T>(
  attempt: (n: number) => Promise<{ done: boolean; value: T }>,
  o: RetryOptions,
): Promise<{ done: boolean; value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    const r = await attempt(n);
    if (r.done) return { ...r, attempts: n };
    const room = o.deadline - o.clock.now() - (o.minAttemptMs ?? 0);
    const wait = Math.min(backoffDelay(n, o), room);
    if (room <= 0 || o.signal?.aborted || (o.maxAttempts !== undefined && n >= o.maxAttempts))
      return { ...r, attempts: n };
    await o.clock.sleep(wait, o.signal);
    if (o.signal?.aborted) return { ...r, attempts: n };
  }
}

/** Nearest-rank percentile of a list of numbers (p in 0..100); undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
