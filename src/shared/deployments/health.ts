/** Wait until every check passes (retried with backoff) within the health timeout, or throw saying which failed. */
import { mapConcurrent, runCheck, type CheckSpec } from '../../core/checks.js';
import type { RunContext } from '../../core/context.js';
import { formatDuration } from '../../core/inputs.js';

export type HealthContext = Pick<RunContext, 'clock' | 'log' | 'secrets' | 'signal'>;

export async function waitHealthy(
  what: string,
  checks: readonly CheckSpec[],
  config: { healthTimeoutMs: number; requestTimeoutMs: number },
  ctx: HealthContext,
): Promise<string> {
  const deadline = ctx.clock.now() + config.healthTimeoutMs;
  const outcomes = await mapConcurrent(checks, 10, (check) =>
    runCheck(check, {
      clock: ctx.clock,
      deadline,
      requestTimeoutMs: config.requestTimeoutMs,
      signal: ctx.signal,
      onRetry: (c, n, reason) =>
        ctx.log.info(`… ${c.name}: attempt ${n} failed: ${reason}; retrying with backoff`),
    }),
  );
  const failed = outcomes.filter((o) => !o.passed);
  if (failed.length)
    throw new Error(
      `${what} did not pass within timeout ${formatDuration(config.healthTimeoutMs)}: ` +
        failed
          .map((o) => {
            const check = checks.find((c) => c.name === o.name)!;
            return `${o.name} (${o.method} ${ctx.secrets.redact(check.url)}): ${o.reason}`;
          })
          .join('; '),
    );
  return outcomes.map((o) => `${o.name}: ${o.status} in ${o.latencyMs} ms`).join(', ');
}
