/**
 * A monitoring window: after a release looks healthy, keep probing its checks for a while and fail when the
 * error rate or the p95 latency crosses the line (the seeds' rollback triggers). Used by smoke-test after its
 * checks pass and by deploy between canary steps.
 */
import type { Clock } from './clock.js';
import { percentile } from './http.js';
import { probeCheck, type CheckSpec } from './checks.js';
import { formatDuration } from './inputs.js';

export interface MonitorOptions {
  clock: Clock;
  durationMs: number;
  intervalMs: number;
  requestTimeoutMs: number;
  /** Fraction, e.g. 0.01. */
  maxErrorRate: number;
  maxP95Ms?: number;
  signal?: AbortSignal;
  /** Called after each round, for live logs. */
  onRound?: (round: number, stats: MonitorStats) => void;
}

export interface MonitorStats {
  samples: number;
  failures: number;
  errorRate: number;
  p95Ms?: number;
}

export interface MonitorResult extends MonitorStats {
  passed: boolean;
  rounds: number;
  durationMs: number;
  /** Why the window failed; empty when it passed. */
  reason: string;
  /** A few of the failures seen, for the summary. */
  failureExamples: string[];
  /** True when the window stopped early because the error budget was already spent. */
  stoppedEarly: boolean;
}

export function stats(latencies: number[], samples: number, failures: number): MonitorStats {
  return { samples, failures, errorRate: samples ? failures / samples : 0, p95Ms: percentile(latencies, 95) };
}

export function pct(fraction: number): string {
  return `${+(fraction * 100).toFixed(2)}%`;
}

/**
 * Probe every check once per interval for the window. Stops early when failures already exceed what the
 * whole window could absorb under `maxErrorRate`.
 */
export async function monitor(checks: readonly CheckSpec[], o: MonitorOptions): Promise<MonitorResult> {
  const start = o.clock.now();
  // Rounds run at start, start + interval, ... start + N * interval (absolute times: no drift).
  const plannedRounds = Math.floor(o.durationMs / o.intervalMs) + 1;
  const budget = Math.floor(o.maxErrorRate * plannedRounds * checks.length);
  const latencies: number[] = [];
  const failureExamples: string[] = [];
  let samples = 0;
  let failures = 0;
  let rounds = 0;
  let stoppedEarly = false;

  for (;;) {
    rounds++;
    const results = await Promise.all(checks.map((c) => probeCheck(c, o.requestTimeoutMs, o.signal)));
    results.forEach(({ result, verdict }, i) => {
      samples++;
      latencies.push(result.latencyMs);
      if (!verdict.passed) {
        failures++;
        if (failureExamples.length < 5) failureExamples.push(`${checks[i]!.name}: ${verdict.reason}`);
      }
    });
    o.onRound?.(rounds, stats(latencies, samples, failures));
    if (failures > budget) {
      stoppedEarly = rounds < plannedRounds;
      break;
    }
    if (rounds >= plannedRounds || o.signal?.aborted) break;
    const next = start + rounds * o.intervalMs;
    await o.clock.sleep(next - o.clock.now(), o.signal);
  }

  const s = stats(latencies, samples, failures);
  const reasons: string[] = [];
  if (s.errorRate > o.maxErrorRate)
    reasons.push(
      `error rate ${pct(s.errorRate)} (${failures} of ${samples} requests failed) is over max-error-rate ${pct(o.maxErrorRate)}` +
        (stoppedEarly ? `; stopped early, the window could no longer pass` : ''),
    );
  if (o.maxP95Ms !== undefined && s.p95Ms !== undefined && s.p95Ms > o.maxP95Ms)
    reasons.push(`p95 latency ${s.p95Ms} ms is over max-p95 ${o.maxP95Ms} ms`);
  if (o.signal?.aborted) reasons.push('monitoring was cancelled');
  return {
    ...s,
    passed: reasons.length === 0,
    rounds,
    durationMs: Math.round(o.clock.now() - start),
    reason: reasons.join('; '),
    failureExamples,
    stoppedEarly,
  };
}

/** An `onRound` that logs each round's running totals. */
export function logRounds(info: (message: string) => void, indent = ''): MonitorOptions['onRound'] {
  return (round, s) =>
    info(
      `${indent}round ${round}: ${s.failures}/${s.samples} failed (${pct(s.errorRate)}), p95 ${s.p95Ms ?? '–'} ms`,
    );
}

export function describeWindow(o: Pick<MonitorOptions, 'durationMs' | 'intervalMs'>): string {
  return `${formatDuration(o.durationMs)} every ${formatDuration(o.intervalMs)}`;
}
