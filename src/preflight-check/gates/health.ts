/** health: the environment's smoke checks (or health-url) pass now, before anything changes. */
import { mapConcurrent, runCheck } from '../../core/checks.js';
import { formatDuration } from '../../core/inputs.js';
import { fail, pass, some, type Gate } from './types.js';

export const healthGate: Gate = async (config, { ctx }) => {
  const { checks, timeoutMs } = config.health;
  const shown = new Map(checks.map((c) => [c, ctx.secrets.addUrl(c.url)]));
  const deadline = ctx.clock.now() + timeoutMs;
  const outcomes = await mapConcurrent(checks, 10, async (c) => ({
    ...(await runCheck(c, {
      clock: ctx.clock,
      deadline,
      requestTimeoutMs: Math.min(10_000, timeoutMs),
      signal: ctx.signal,
    })),
    url: shown.get(c)!,
  }));
  const failed = outcomes.filter((o) => !o.passed);
  if (failed.length)
    return fail(
      `${failed.length} of ${outcomes.length} health checks failing: ${some(failed.map((f) => f.name))}`,
      {
        details: [
          ...failed.map((f) => `${f.name} ${f.method} ${f.url}: ${f.reason}`),
          `The environment is unhealthy before the change (checked for up to ${formatDuration(timeoutMs)}): fix it first, or the deployment's own checks cannot tell what it broke.`,
        ],
      },
    );
  return pass(
    `${outcomes.length} health check${outcomes.length === 1 ? '' : 's'} passing: ${some(outcomes.map((o) => `${o.name} ${o.status ?? ''} in ${o.latencyMs ?? '?'} ms`))}`,
  );
};
