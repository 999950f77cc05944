/**
 * The orchestrator: look up what is live, record the deployment on GitHub, run the strategy, and on any
 * failure (or cancellation) undo the traffic move and record what happened, in words for whoever is on call.
 */
import type { CheckSpec } from '../core/checks.js';
import type { RunContext } from '../core/context.js';
import { errorMessage } from '../core/errors.js';
import type { DeploymentState } from '../core/github.js';
import { formatDuration } from '../core/inputs.js';
import { describeWindow, logRounds, monitor, type MonitorResult } from '../core/monitor.js';
import type { DeployConfig } from './inputs.js';
import { waitHealthy } from '../shared/deployments/health.js';
import type { OperationOptions, Provider, Release } from '../shared/deployments/provider.js';
import {
  STRANDED_PREFIX,
  type DeploymentRecords,
  type DeployPayload,
  type RunningDeployment,
} from '../shared/deployments/records.js';
import { strategies } from './strategies/index.js';
import type { StrategyRun, Undo } from './strategies/types.js';
import { timeline, PhaseFailure, type Phase } from '../shared/deployments/timeline.js';
import type { MigrationsRecord } from '../shared/deployments/migrations.js';

export type { Phase };

export type DeployStatus = 'success' | 'failure' | 'rolled-back';
export interface DeployReport {
  status: DeployStatus;
  environment: string;
  version: string;
  previousVersion?: string;
  strategy: string;
  provider: string;
  /** The slot serving traffic at the end. */
  slot?: string;
  previousSlot?: string;
  deploymentId?: number;
  /** The last status posted to GitHub (undefined when none could be). */
  githubState?: DeploymentState;
  cancelled: boolean;
  durationMs: number;
  phases: Phase[];
  /** What failed, when something did. */
  failure?: { phase: string; reason: string };
  /** Whether traffic moved and what was done about it. */
  rollback?: { needed: boolean; attempted: boolean; ok: boolean; description: string; reason?: string };
  /** The message for the on-call engineer when the environment needs a human. */
  needsHuman?: string;
  /** The migrations recorded in the deployment payload (from the `migrations` input). */
  migrations?: MigrationsRecord;
  /** Why the `migrations` input was not recorded. */
  migrationsIgnored?: string;
}

/** Raised by deploy() when the deploy refuses to start; nothing was changed. */
export class RefusedToStart extends Error {
  override readonly name = 'RefusedToStart';
}

export interface DeployDeps {
  provider: Provider;
  records: DeploymentRecords;
  /** Called once the deployment exists, so a post step can close it if this process dies. */
  onCreated?: (id: number) => void;
  onFinal?: (state: DeploymentState) => void;
  /** Health waits and canary monitoring; default real HTTP probes (unit tests give plain functions). */
  probes?: Pick<StrategyRun, 'waitHealthy' | 'monitor'>;
  /** How long the undo may take once the job was cancelled (the runner kills us 10 s after SIGINT). */
  cancelGraceMs?: number;
}

type Ctx = Pick<RunContext, 'clock' | 'log' | 'secrets' | 'signal' | 'repo'>;

function describeRunning(d: RunningDeployment): string {
  return `#${d.id} (${d.version ?? d.ref}, ${d.state}, created ${d.createdAt}${d.creator ? ` by ${d.creator}` : ''})`;
}

export async function deploy(config: DeployConfig, ctx: Ctx, deps: DeployDeps): Promise<DeployReport> {
  const { clock, log } = ctx;
  const started = clock.now();
  const { phases, timed } = timeline(ctx, started);
  const { provider, records } = deps;
  for (const c of [...config.checks, ...config.slots.map((s) => s.check)]) ctx.secrets.addUrl(c.url);
  if (config.migrationsIgnored)
    log.warning(`Input "migrations" not recorded in the deployment: ${config.migrationsIgnored}.`);

  /** One timeline entry. `afterCancel`: the phase runs on purpose after a cancel (the rollback). */

  const phase = <T>(name: string, fn: () => Promise<T>, detail?: (v: T) => string) => timed(name, fn, detail);

  // 1. What is live, and is anyone else deploying?
  const surveyed = await phase(
    'find live version',
    () => records.survey(config.environment),
    (s) =>
      s.previous
        ? `last successful deployment #${s.previous.id}: ${s.previous.version ?? 'unknown version'}${s.previous.slot ? ` on ${s.previous.slot}` : ''}`
        : 'no earlier successful deployment',
  ).catch((e: PhaseFailure) => {
    throw new RefusedToStart(`${e.message}\nNothing was changed.`);
  });
  if (surveyed.running.length && !config.force) {
    throw new RefusedToStart(
      `Another deployment of ${config.environment} is still in progress: ${surveyed.running.map(describeRunning).join(', ')}.\n` +
        `Nothing was changed. Wait for it to finish (use a workflow concurrency group per environment), or, if that ` +
        `run is gone and its deployment was left in progress, re-run with force: true.`,
    );
  }
  if (surveyed.running.length)
    log.warning(
      `force: true — deploying although ${surveyed.running.map(describeRunning).join(', ')} is still marked in progress.`,
    );
  const previous = surveyed.previous;

  // 2. Which slot is live, which one this release goes to.
  let liveSlot: string | undefined;
  let targetSlot: string | undefined;
  if (config.slots.length && config.strategy !== 'rolling') {
    const names = config.slots.map((s) => s.name);
    if (previous?.slot && names.includes(previous.slot)) liveSlot = previous.slot;
    else {
      liveSlot = names[0]!;
      log.info(
        previous?.slot
          ? `The last successful deployment recorded slot "${previous.slot}", which is not one of ${names.join(', ')}; taking ${liveSlot} as live.`
          : `No earlier deployment records a live slot; taking the first slot, ${liveSlot}, as live and deploying to the other.`,
      );
    }
    targetSlot = names.find((n) => n !== liveSlot)!;
  }
  const release: Release = {
    environment: config.environment,
    version: config.version,
    previousVersion: previous?.version,
  };
  const report: DeployReport = {
    status: 'failure',
    environment: config.environment,
    version: config.version,
    previousVersion: previous?.version,
    strategy: config.strategy,
    provider: provider.name,
    slot: liveSlot,
    previousSlot: liveSlot,
    cancelled: false,
    durationMs: 0,
    phases,
    ...(config.migrations ? { migrations: config.migrations } : {}),
    ...(config.migrationsIgnored ? { migrationsIgnored: config.migrationsIgnored } : {}),
  };

  // 3. Record the deployment.
  const payload: DeployPayload = {
    version: config.version,
    strategy: config.strategy,
    provider: provider.name,
    slot: targetSlot,
    previousVersion: previous?.version,
    previousSlot: liveSlot,
    runUrl: ctx.repo.runUrl || undefined,
    ...(config.backup ? { backup: config.backup } : {}),
    ...(config.migrations ? { migrations: config.migrations } : {}),
  };
  // Not interrupted by a cancel: a deployment created but never given a status would look "pending" (running)
  // to the next deploy; the cancel is noticed at the next phase and the deployment marked error.
  const id = await timed(
    'create deployment',
    () => records.create(config, payload),
    (n) => `deployment #${n}`,
    true,
  ).catch((e: PhaseFailure) => {
    throw new RefusedToStart(`${e.message}\nNothing was changed.`);
  });
  report.deploymentId = id;
  deps.onCreated?.(id);
  const where = targetSlot ? ` to ${targetSlot}` : '';
  const post = async (state: DeploymentState, description: string): Promise<boolean> => {
    try {
      await records.setStatus(id, state, description, config.environmentUrl);
      report.githubState = state;
      return true;
    } catch (e) {
      log.error(`Could not set deployment #${id} to ${state}: ${errorMessage(e)}`);
      return false;
    }
  };
  if (!(await post('in_progress', `Deploying ${config.version}${where} (${config.strategy})`))) {
    report.failure = { phase: 'create deployment', reason: 'could not mark the deployment in_progress' };
    report.durationMs = Math.round(clock.now() - started);
    return report;
  }

  // 4. Run the strategy.
  let undo: Undo | undefined;
  const op = (): OperationOptions => ({ signal: ctx.signal, timeoutMs: config.commandTimeoutMs });
  const run: StrategyRun = {
    config,
    provider,
    release,
    liveSlot,
    targetSlot,
    log,
    op,
    phase,
    trafficMoving: (u) => (undo = u),
    waitHealthy: deps.probes?.waitHealthy ?? ((what, checks) => waitHealthy(what, checks, config, ctx)),
    monitor: deps.probes?.monitor ?? ((what, checks) => monitorStep(what, checks, config, ctx)),
  };
  try {
    const result = await strategies[config.strategy].run(run);
    report.slot = result.slot ?? report.slot;
    report.status = 'success';
    await post(
      'success',
      `${config.version} is live${result.slot ? ` on ${result.slot}` : ''} (${config.strategy}, ${formatDuration(clock.now() - started)})`,
    );
    deps.onFinal?.(report.githubState ?? 'in_progress');
    report.durationMs = Math.round(clock.now() - started);
    return report;
  } catch (e) {
    const failure =
      e instanceof PhaseFailure
        ? { phase: e.phase, reason: e.message }
        : { phase: 'deploy', reason: errorMessage(e) };
    report.failure = failure;
    report.cancelled = ctx.signal.aborted;
    // Logged, not annotated: the step's error (failureMessage) says it all once.
    if (report.cancelled) log.info(`The job was cancelled during "${failure.phase}"; cleaning up.`);
    else log.info(`"${failure.phase}" failed: ${failure.reason}`);
  }

  // 5. Failure or cancellation: undo the traffic move if there was one.
  const failed = report.cancelled
    ? `cancelled during ${report.failure.phase}`
    : `${report.failure.phase} failed`;
  let state: DeploymentState;
  let description: string;
  const currentUndo = undo as Undo | undefined;
  if (!currentUndo) {
    report.rollback = {
      needed: false,
      attempted: false,
      ok: true,
      description: 'traffic never moved: nothing to undo',
    };
    state = report.cancelled ? 'error' : 'failure';
    description = `${config.version}: ${failed}; traffic never moved${liveSlot ? `, ${liveSlot} still live` : ''}`;
  } else if (!currentUndo.run || !config.autoRollback) {
    const why = !config.autoRollback ? 'auto-rollback is false' : currentUndo.description;
    report.rollback = { needed: true, attempted: false, ok: false, description: why };
    report.slot = targetSlot ?? report.slot;
    report.needsHuman = needsHumanMessage(config, report, provider, `it was not rolled back: ${why}`);
    state = report.cancelled ? 'error' : 'failure';
    description = `${STRANDED_PREFIX}${config.version}: ${failed}; NOT rolled back (${why}); needs a human`;
  } else {
    const undoRun = currentUndo.run.bind(currentUndo);
    const grace = report.cancelled ? (deps.cancelGraceMs ?? 5000) : config.commandTimeoutMs;
    try {
      await timed(
        'rollback',
        () => undoRun({ signal: AbortSignal.timeout(grace), timeoutMs: grace }),
        () => currentUndo.description,
        true,
      );
      report.rollback = { needed: true, attempted: true, ok: true, description: currentUndo.description };
      report.status = 'rolled-back';
      report.slot = liveSlot;
      state = report.cancelled ? 'error' : 'failure';
      description = `${config.version}: ${failed}; rolled back: ${currentUndo.description}`;
    } catch (err) {
      const reason = errorMessage(err);
      report.rollback = {
        needed: true,
        attempted: true,
        ok: false,
        description: currentUndo.description,
        reason,
      };
      report.slot = targetSlot ?? report.slot;
      report.needsHuman = needsHumanMessage(config, report, provider, `the rollback failed: ${reason}`);
      state = 'error';
      description = `${STRANDED_PREFIX}${config.version}: ${failed}, and the ROLLBACK FAILED; environment needs a human`;
    }
  }
  await post(state, description);
  deps.onFinal?.(report.githubState ?? 'in_progress');
  report.durationMs = Math.round(clock.now() - started);
  return report;
}

/** For the on-call engineer: what state the environment is in and what to run. */
function needsHumanMessage(config: DeployConfig, r: DeployReport, provider: Provider, what: string): string {
  const lines = [
    `ENVIRONMENT ${config.environment} NEEDS A HUMAN: ${r.failure?.phase} ${r.cancelled ? 'was cancelled' : 'failed'} after traffic had moved to ${config.version}, and ${what}.`,
  ];
  if (config.strategy === 'blue-green')
    lines.push(
      `State: traffic may be on ${r.slot} running ${config.version}; ${r.previousSlot} still runs ${r.previousVersion ?? 'the previous version'}.`,
      `To go back, run the ${provider.describe('switch')} with DEPLOY_SLOT=${r.previousSlot}.`,
    );
  else if (config.strategy === 'canary')
    lines.push(
      `State: part of the traffic may be on ${config.version}${r.slot ? ` (slot ${r.slot})` : ''}.`,
      `To go back, run the ${provider.describe('weight')} with DEPLOY_WEIGHT=0${r.slot ? ` DEPLOY_SLOT=${r.slot}` : ''}.`,
    );
  else
    lines.push(
      `State: the environment may be running ${config.version}, fully or in part.`,
      r.previousVersion
        ? `To go back, run ${provider.describe('rollback') ?? 'your rollback procedure'} with DEPLOY_PREVIOUS_VERSION=${r.previousVersion}.`
        : 'There is no earlier successful deployment recorded to go back to.',
    );
  return lines.join('\n');
}

async function monitorStep(
  what: string,
  checks: readonly CheckSpec[],
  config: DeployConfig,
  ctx: Ctx,
): Promise<MonitorResult> {
  const window = { durationMs: config.stepDurationMs, intervalMs: config.monitorIntervalMs };
  ctx.log.info(`Monitoring ${what}: ${describeWindow(window)}`);
  const m = await monitor(checks, {
    clock: ctx.clock,
    ...window,
    requestTimeoutMs: config.requestTimeoutMs,
    maxErrorRate: config.maxErrorRate,
    maxP95Ms: config.maxP95Ms,
    signal: ctx.signal,
    onRound: logRounds((m) => ctx.log.info(m), '  '),
  });
  if (!m.passed)
    throw new Error(
      `${what}: ${m.reason}${m.failureExamples.length ? `; e.g. ${m.failureExamples.slice(0, 2).join('; ')}` : ''}`,
    );
  return m;
}
