/** The smoke test itself: checks to a deadline, then the command, then an optional monitoring window. */
import { mapConcurrent, runCheck, type CheckOutcome } from '../core/checks.js';
import type { RunContext } from '../core/context.js';
import { percentile } from '../core/http.js';
import { formatDuration } from '../core/inputs.js';
import { describeWindow, logRounds, monitor, type MonitorResult } from '../core/monitor.js';
import { describeExit, shellCommand, tail } from '../core/proc.js';
import { isPlainHeader } from '../core/secrets.js';
import type { SmokeConfig } from './inputs.js';

export interface CommandOutcome {
  command: string;
  passed: boolean;
  skipped: boolean;
  exitCode?: number | null;
  durationMs?: number;
  reason: string;
}

export interface SmokeReport {
  passed: boolean;
  environment?: string;
  durationMs: number;
  failedCount: number;
  /** Percent of failed requests: the monitoring window's when it ran, else of the checks' final results. */
  errorRate: number;
  p95Ms?: number;
  checks: CheckOutcome[];
  command?: CommandOutcome;
  monitor?: MonitorResult & { windowMs: number; intervalMs: number; maxErrorRate: number; maxP95Ms?: number };
}

export type SmokeContext = Pick<RunContext, 'clock' | 'log' | 'exec' | 'secrets' | 'signal'>;

export async function smokeTest(config: SmokeConfig, ctx: SmokeContext): Promise<SmokeReport> {
  const { clock, log, secrets } = ctx;
  const started = clock.now();
  const deadline = started + config.timeoutMs;

  // Register every secret before anything is printed.
  const shownUrl = new Map(config.checks.map((c) => [c, secrets.addUrl(c.url)]));
  for (const c of config.checks)
    for (const [name, value] of Object.entries(c.headers)) if (!isPlainHeader(name)) secrets.add(value);

  const checks: CheckOutcome[] = [];
  if (config.checks.length) {
    await log.group(
      `Smoke checks: ${config.checks.length} check(s), up to ${config.concurrency} at once, deadline ${formatDuration(config.timeoutMs)}`,
      async () => {
        const outcomes = await mapConcurrent(config.checks, config.concurrency, async (check) => {
          const o = await runCheck(check, {
            clock,
            deadline,
            requestTimeoutMs: config.requestTimeoutMs,
            signal: ctx.signal,
            onRetry: (c, n, reason) =>
              log.info(`… ${c.name}: attempt ${n} failed: ${reason}; retrying with backoff`),
          });
          const outcome: CheckOutcome = { ...o, url: shownUrl.get(check)! };
          log.info(
            `${outcome.passed ? '✅' : '❌'} ${outcome.name} ${outcome.method} ${outcome.url}: ` +
              (outcome.passed
                ? `${outcome.status} in ${outcome.latencyMs} ms (${outcome.attempts} attempt${outcome.attempts > 1 ? 's' : ''})`
                : outcome.reason),
          );
          return outcome;
        });
        checks.push(...outcomes);
      },
    );
  }
  const checksPassed = checks.every((c) => c.passed);

  let command: CommandOutcome | undefined;
  if (config.command) {
    command = checksPassed
      ? await runCommand(config, ctx, Math.max(1000, deadline - clock.now()))
      : { command: config.command, passed: false, skipped: true, reason: 'not run: the HTTP checks failed' };
  }

  let monitored: SmokeReport['monitor'];
  if (config.monitorMs > 0 && checksPassed && (command?.passed ?? true)) {
    const window = { durationMs: config.monitorMs, intervalMs: config.monitorIntervalMs };
    monitored = await log.group(`Monitoring ${describeWindow(window)}`, async () => ({
      ...(await monitor(config.checks, {
        clock,
        ...window,
        requestTimeoutMs: config.requestTimeoutMs,
        maxErrorRate: config.maxErrorRate,
        maxP95Ms: config.maxP95Ms,
        signal: ctx.signal,
        onRound: logRounds((m) => log.info(m)),
      })),
      windowMs: config.monitorMs,
      intervalMs: config.monitorIntervalMs,
      maxErrorRate: config.maxErrorRate,
      maxP95Ms: config.maxP95Ms,
    }));
  }

  const failedCount = checks.filter((c) => !c.passed).length + (command && !command.passed ? 1 : 0);
  const total = checks.length + (command ? 1 : 0);
  const passed = failedCount === 0 && (monitored?.passed ?? true);
  return {
    passed,
    environment: config.environment,
    durationMs: Math.round(clock.now() - started),
    failedCount,
    errorRate: monitored ? monitored.errorRate * 100 : total ? (failedCount / total) * 100 : 0,
    p95Ms: monitored
      ? monitored.p95Ms
      : percentile(
          checks.flatMap((c) => (c.latencyMs === undefined ? [] : [c.latencyMs])),
          95,
        ),
    checks,
    command,
    monitor: monitored,
  };
}

async function runCommand(
  config: SmokeConfig,
  ctx: SmokeContext,
  timeoutMs: number,
): Promise<CommandOutcome> {
  const cmd = config.command!;
  return ctx.log.group(`Smoke command: ${cmd}`, async () => {
    const { command, args } = shellCommand(cmd);
    const r = await ctx.exec({
      command,
      args,
      cwd: config.workingDirectory,
      timeoutMs,
      signal: ctx.signal,
      env: { SMOKE_ENVIRONMENT: config.environment },
      onLine: (line) => ctx.log.info(line),
    });
    const passed = r.exitCode === 0;
    const lastLines = tail(`${r.stdout}\n${r.stderr}`, 5);
    return {
      command: cmd,
      passed,
      skipped: false,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      reason: passed
        ? ''
        : `command ${describeExit(r, timeoutMs)}${lastLines ? `; last output: ${lastLines}` : ''}`,
    };
  });
}
