/**
 * The orchestrator: read the history, work out the plan (plan.ts), and in apply mode record the rollback
 * deployment, stop writes and restore the database if asked, put the target version back, verify, close the
 * records and open the incident issue — saying at every failure what state the environment is in and what a
 * human must run.
 */
import type { RunContext } from '../core/context.js';
import { errorMessage } from '../core/errors.js';
import type { DeploymentState } from '../core/github.js';
import { describeExit, shellCommand, tail } from '../core/proc.js';
import { formatDuration } from '../core/inputs.js';
import type { RestoreResult } from '../shared/backups/restore.js';
import { waitHealthy } from '../shared/deployments/health.js';
import type { OperationOptions, Provider, Release } from '../shared/deployments/provider.js';
import type { CheckSpec } from '../core/checks.js';
import type { HistoryEntry, RollbackRecords } from './github.js';
import type { MigrationsRecord } from '../shared/deployments/migrations.js';
import type { RollbackConfig } from './inputs.js';
import { enoughHistory, makePlan, type Method, type Plan } from './plan.js';
import { incidentIssue } from './summary.js';
import { timeline, PhaseFailure, type Phase } from '../shared/deployments/timeline.js';

export type { Phase };

export type RollbackStatus = 'success' | 'failure' | 'planned';

export interface RollbackReport {
  status: RollbackStatus;
  mode: 'apply' | 'plan';
  environment: string;
  /** The target: the version put back. */
  version: string;
  rolledBackVersion: string;
  rolledBackDeploymentId: number;
  targetDeploymentId?: number;
  method: Method;
  strategy: string;
  /** The slot serving traffic at the end (blue-green, canary). */
  slot?: string;
  previousSlot?: string;
  steps: string[];
  deploymentId?: number;
  githubState?: DeploymentState;
  databaseRestored: boolean;
  backup?: { file?: string; sha256?: string; artifact?: string; runId?: string | number };
  reason: string;
  actor: string;
  runUrl?: string;
  cancelled: boolean;
  durationMs: number;
  /** Milliseconds from the step's start until traffic was on the target version. */
  trafficRestoredMs?: number;
  timeline: { deployedAt?: string; requestedAt: string; trafficRestoredAt?: string; verifiedAt?: string };
  phases: Phase[];
  failure?: { phase: string; reason: string };
  needsHuman?: string;
  incidentUrl?: string;
  incidentError?: string;
}

export interface RollbackDeps {
  records: RollbackRecords;
  provider: Provider;
  /** Restore the backup into the database (default: the shared backup restore). */
  restore?: (file: string) => Promise<RestoreResult>;
  waitHealthy?: (what: string, checks: readonly CheckSpec[]) => Promise<string>;
  onCreated?: (id: number) => void;
  onFinal?: (state: DeploymentState) => void;
}

type Ctx = Pick<RunContext, 'clock' | 'log' | 'secrets' | 'signal' | 'repo' | 'exec'>;

export async function rollback(
  config: RollbackConfig,
  ctx: Ctx,
  deps: RollbackDeps,
): Promise<RollbackReport> {
  const { clock, log } = ctx;
  const started = clock.now();
  const requestedAt = clock.date().toISOString();
  const { phases, timed } = timeline(ctx, started);
  for (const c of [...config.checks, ...config.slots.map((s) => s.check)]) ctx.secrets.addUrl(c.url);

  // 1. History and plan: reads only; a refusal changes nothing.
  const history = await timed(
    'read deployment history',
    () => deps.records.history(config.environment, enoughHistory(config.toVersion)),
    (h) => `${h.length} deployments of ${config.environment}`,
  );
  const plan: Plan = makePlan(config, history);
  const { current, target } = plan;
  log.info(
    `Rolling ${config.environment} back from ${current.version} (#${current.id}) to ${target.version}:`,
  );
  plan.steps.forEach((s, i) => log.info(`  ${i + 1}. ${s}`));

  const report: RollbackReport = {
    status: 'planned',
    mode: config.mode,
    environment: config.environment,
    version: target.version,
    rolledBackVersion: current.version,
    rolledBackDeploymentId: current.id,
    targetDeploymentId: target.deployment?.id,
    method: plan.method,
    strategy: config.strategy,
    slot: plan.liveSlot,
    previousSlot: plan.liveSlot,
    steps: plan.steps,
    databaseRestored: false,
    backup: plan.backup && {
      file: plan.backup.file ?? plan.backup.fromPayload?.file,
      sha256: plan.backup.fromPayload?.sha256,
      artifact: plan.backup.fromPayload?.artifact,
      runId: plan.backup.fromPayload?.runId,
    },
    reason: config.reason,
    actor: ctx.repo.actor,
    runUrl: ctx.repo.runUrl || undefined,
    cancelled: false,
    durationMs: 0,
    timeline: { deployedAt: current.succeededAt ?? current.createdAt, requestedAt },
    phases,
  };
  if (config.mode === 'plan') {
    if (config.restoreDatabase && !config.backupFile && plan.backup?.fromPayload?.artifact)
      log.info(
        `To restore, download artifact ${plan.backup.fromPayload.artifact}${plan.backup.fromPayload.runId ? ` from run ${plan.backup.fromPayload.runId}` : ''} (actions/download-artifact with run-id) and pass its file as backup-file.`,
      );
    report.durationMs = Math.round(clock.now() - started);
    return report;
  }
  if (config.restoreDatabase && !config.backupFile)
    throw new PlanOnlyRefusal(
      `Input "backup-file" is required to restore: deployment #${current.id} names its pre-release backup, artifact ` +
        `${plan.backup?.fromPayload?.artifact ?? '?'}${plan.backup?.fromPayload?.runId ? ` of run ${plan.backup.fromPayload.runId}` : ''}` +
        `${plan.backup?.fromPayload?.file ? ` (file ${plan.backup.fromPayload.file})` : ''}. Download it (the rollback workflow does, with actions/download-artifact and run-id) and pass the file as backup-file. Nothing was changed.`,
    );

  // 2. Record the rollback deployment (not interrupted by a cancel: a created deployment always gets a status).
  const id = await timed(
    'create deployment',
    () =>
      // The rollback deployment points at the target's commit: "what is live" (the release plan, the next
      // deploy's previous version, the records' changes) reads the code that runs from it.
      deps.records.create(target.deployment?.sha ? { ...config, ref: target.deployment.sha } : config, {
        version: target.version,
        slot: plan.slot,
        rollback_of: current.id,
        reason: config.reason,
        strategy: config.strategy,
        ...schemaAfter(config.restoreDatabase ? target.deployment?.schema : current.schema),
      }),
    (n) => `deployment #${n} (deploy:rollback)`,
    true,
  );
  report.deploymentId = id;
  deps.onCreated?.(id);
  const post = async (state: DeploymentState, description: string, deploymentId = id): Promise<boolean> => {
    try {
      await deps.records.setStatus(deploymentId, state, description, config.environmentUrl);
      if (deploymentId === id) report.githubState = state;
      return true;
    } catch (e) {
      log.error(`Could not set deployment #${deploymentId} to ${state}: ${errorMessage(e)}`);
      return false;
    }
  };
  // Not awaited before the work starts: GitHub asks for writes to be spaced (about 1 s), and the rollback should
  // not wait for that; the requests stay in order, so the final status always comes after this one.
  const inProgress = post(
    'in_progress',
    `Rolling back ${current.version} → ${target.version}${plan.slot ? ` on ${plan.slot}` : ''}`,
  );

  const op = (): OperationOptions => ({ signal: ctx.signal, timeoutMs: config.commandTimeoutMs });
  const wait = deps.waitHealthy ?? ((what, checks) => waitHealthy(what, checks, config, ctx));
  const deployRelease: Release = {
    environment: config.environment,
    version: target.version,
    previousVersion: current.version,
  };
  let trafficMoved = false;
  let writesStopped = false;
  let stage = 'before';
  try {
    // 3. Database: stop writes, restore (sha256 first, one transaction).
    if (config.restoreDatabase) {
      if (config.stopCommand) {
        const script = config.stopCommand;
        await timed(
          'stop writes',
          async () => {
            writesStopped = true;
            const { command, args } = shellCommand(script);
            const r = await ctx.exec({
              command,
              args,
              cwd: config.workingDirectory,
              env: {
                DEPLOY_ENVIRONMENT: config.environment,
                DEPLOY_VERSION: target.version,
                DEPLOY_PREVIOUS_VERSION: current.version,
                DEPLOY_OPERATION: 'stop',
              },
              timeoutMs: config.commandTimeoutMs,
              signal: ctx.signal,
              onLine: (line) => log.info(`  ${line}`),
            });
            if (r.exitCode !== 0 || r.aborted || r.timedOut) {
              const last = tail(`${r.stdout}\n${r.stderr}`, 5);
              throw new Error(
                `stop-command \`${script}\` ${describeExit(r, config.commandTimeoutMs)}${last ? `; last output:\n${last}` : ''}`,
              );
            }
          },
          () => 'writes stopped',
        );
      }
      const restore = deps.restore;
      if (!restore) throw new Error('no database restore is available');
      stage = 'restore';
      const r = await timed(
        'restore database',
        () => restore(config.backupFile!),
        (r) =>
          `${r.manifest.file} (sha256 ${r.manifest.sha256}) restored into ${r.target}${r.verified ? ', row counts match the manifest' : `; row counts differ: ${r.differences.join('; ')}`}`,
      );
      report.databaseRestored = true;
      report.backup = { ...report.backup, file: r.manifest.file, sha256: r.manifest.sha256 };
    }

    // 4. Put the target version back.
    stage = 'version';
    const idle = plan.slot;
    const idleSlot = config.slots.find((s) => s.name === idle);
    if (plan.method === 'redeploy-and-switch')
      await timed(
        `deploy ${target.version} to ${idle}`,
        () => deps.provider.deploy(deployRelease, idle, op()),
        () => `${target.version} on ${idle} (idle)`,
      );
    if (plan.method !== 'rolling') {
      await timed(
        `health of ${idle}`,
        () => wait(`the ${idle} slot`, [idleSlot!.check]),
        (s) => s,
      );
      trafficMoved = true;
      await timed(
        `switch to ${idle}`,
        () =>
          config.commands.switch
            ? deps.provider.switchTraffic(deployRelease, idle!, op())
            : deps.provider.setWeight(deployRelease, idle, 100, op()),
        () =>
          `all traffic on ${idle} (${target.version}); ${plan.liveSlot} (${current.version}) kept running`,
      );
      report.slot = idle;
    } else {
      trafficMoved = true;
      await timed(
        config.commands.rollback ? 'rollback-command' : 'command',
        () =>
          config.commands.rollback
            ? deps.provider.rollback(
                {
                  environment: config.environment,
                  version: current.version,
                  previousVersion: target.version,
                },
                op(),
              )
            : deps.provider.deploy(deployRelease, undefined, op()),
        () => `${target.version} put back`,
      );
      if (config.checks.length && !config.verify)
        await timed(
          'health',
          () => wait('the public checks', config.checks),
          (s) => s,
        );
    }
    report.trafficRestoredMs = Math.round(clock.now() - started);
    report.timeline.trafficRestoredAt = clock.date().toISOString();

    // 5. Verify.
    stage = 'verify';
    if (config.verify && config.checks.length) {
      await timed(
        'verify',
        () => wait('the smoke checks', config.checks),
        (s) => s,
      );
      report.timeline.verifiedAt = clock.date().toISOString();
    } else if (config.verify) {
      report.timeline.verifiedAt = report.timeline.trafficRestoredAt;
    }
    report.status = 'success';
  } catch (e) {
    report.status = 'failure';
    report.cancelled = ctx.signal.aborted;
    report.failure =
      e instanceof PhaseFailure
        ? { phase: e.phase, reason: e.message }
        : { phase: 'rollback', reason: errorMessage(e) };
    log.info(
      `"${report.failure.phase}" ${report.cancelled ? 'was cancelled' : 'failed'}: ${report.failure.reason}`,
    );
    report.needsHuman = needsHuman(config, plan, report, deps.provider, {
      stage,
      trafficMoved,
      writesStopped,
    });
  }

  // 6. Close the records.
  await inProgress;
  const took = formatDuration(clock.now() - started);
  const by = ctx.repo.actor ? ` by @${ctx.repo.actor}` : '';
  if (report.status === 'success') {
    // The rolled-back deployment first: its inactive status carries the reason. Posted after the success,
    // GitHub's auto_inactive would already have added a bare one, and the deployment would show two.
    await post(
      'inactive',
      `rolled back to ${target.version}${by}: ${config.reason || 'no reason given'}`,
      current.id,
    );
    await post(
      'success',
      `${target.version} is live again${report.slot ? ` on ${report.slot}` : ''} (rolled back from ${current.version} in ${took})`,
    );
  } else {
    await post(
      report.cancelled ? 'error' : 'failure',
      `rollback to ${target.version} ${report.cancelled ? 'cancelled' : 'failed'} at ${report.failure?.phase}; needs a human`,
    );
  }
  deps.onFinal?.(report.githubState ?? 'in_progress');

  // 7. The incident issue (also, and especially, when the rollback failed).
  if (config.incidentIssue) {
    try {
      report.durationMs = Math.round(clock.now() - started);
      report.incidentUrl = await deps.records.incident(incidentIssue(report, config.incidentLabels));
      log.info(`Incident issue: ${report.incidentUrl}`);
    } catch (e) {
      report.incidentError = errorMessage(e);
      log.warning(`Could not open the incident issue: ${report.incidentError}`);
    }
  }
  report.durationMs = Math.round(clock.now() - started);
  return report;
}

/** Raised in apply mode when the plan is fine but an input only plan mode can do without is missing. */
export class PlanOnlyRefusal extends Error {
  override readonly name = 'PlanOnlyRefusal';
}

function needsHuman(
  config: RollbackConfig,
  plan: Plan,
  r: RollbackReport,
  provider: Provider,
  at: { stage: string; trafficMoved: boolean; writesStopped: boolean },
): string {
  const { current, target } = plan;
  const lines = [
    `NEEDS A HUMAN: the rollback of ${config.environment} from ${current.version} to ${target.version} ${r.cancelled ? 'was cancelled during' : 'failed at'} "${r.failure?.phase}".`,
  ];
  if (at.stage === 'before' || at.stage === 'restore') {
    lines.push(
      r.databaseRestored
        ? 'The database was restored.'
        : config.restoreDatabase
          ? `The database was NOT changed (a failed restore is rolled back as one transaction).`
          : '',
      `The version was not switched: ${current.version} is still serving${plan.liveSlot ? ` on ${plan.liveSlot}` : ''}.`,
    );
    if (at.writesStopped)
      lines.push('Writes were stopped by stop-command: start them again once you decide how to proceed.');
    lines.push(
      r.failure?.phase === 'restore database'
        ? 'Fix the backup (download the artifact again, or pick a backup whose sha256 matches) and run the rollback again.'
        : 'Fix the cause and run the rollback again.',
    );
  } else if (plan.method !== 'rolling') {
    const live = at.stage === 'verify' ? plan.slot : undefined;
    lines.push(
      live
        ? `State: traffic is on ${plan.slot} (${target.version}); ${plan.liveSlot} still runs ${current.version}.`
        : `State: traffic is on ${plan.liveSlot} (${current.version}), or part-way to ${plan.slot} if the switch was interrupted.`,
      live
        ? `Check the environment. To go back to ${current.version}, run the ${provider.describe('switch') ?? 'switch'} with DEPLOY_SLOT=${plan.liveSlot}.`
        : `To finish the rollback, run the ${provider.describe('switch') ?? provider.describe('weight') ?? 'switch'} with DEPLOY_SLOT=${plan.slot}${at.stage === 'version' && plan.method === 'redeploy-and-switch' ? ` once ${plan.slot} runs ${target.version} and is healthy` : ''}.`,
    );
  } else {
    lines.push(
      `State: the environment may be running ${target.version}, ${current.version}, or a mix.`,
      `To finish, run ${provider.describe(config.commands.rollback ? 'rollback' : 'deploy') ?? 'your rollback procedure'} with ${config.commands.rollback ? `DEPLOY_PREVIOUS_VERSION=${target.version}` : `DEPLOY_VERSION=${target.version}`}, then check ${config.checks.map((c) => c.name).join(', ') || 'the environment'}.`,
    );
  }
  return lines.filter(Boolean).join('\n');
}

/** The payload's `migrations` of a rollback: the schema it leaves, nothing applied (absent when unknown). */
function schemaAfter(schema: HistoryEntry['schema']): { migrations?: MigrationsRecord } {
  return schema
    ? { migrations: { tool: schema.tool, from: schema.version, to: schema.version, applied: [] } }
    : {};
}
