/**
 * backup-db's post step (runs after the job's steps, also after a cancel or a SIGKILL of the main step): removes
 * what a killed run could not. The MySQL option files with the password in RUNNER_TEMP; the dump it was writing
 * (state `dump`, cleared once its manifest is written: a dump without a manifest is never a backup); the scratch
 * database of a restore verification (state `scratch-database`, cleared once dropped). A run that finished
 * cleared its state, so its post step does nothing but the sweep of option files.
 */
import { existsSync, rmSync } from 'node:fs';
import * as core from '@actions/core';
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { removeCredentialFiles } from '../core/db.js';
import { errorMessage } from '../core/errors.js';
import { loadStepRunbook } from '../core/runbook.js';
import { dbClient, scratchDatabaseTime } from './backup.js';
import { manifestPathFor } from '../shared/backups/files.js';
import { getInputs, resolveConfig } from './inputs.js';

export async function cleanup(ctx: RunContext, state: { dump: string; scratch: string }): Promise<void> {
  for (const dir of removeCredentialFiles(ctx.repo.runnerTemp))
    ctx.log.info(`Removed the database option file ${dir}/client.cnf left by the main step.`);
  if (state.dump && existsSync(state.dump) && !existsSync(manifestPathFor(state.dump))) {
    rmSync(state.dump, { recursive: true, force: true });
    rmSync(`${state.dump}.sha256`, { force: true });
    ctx.log.warning(
      `Removed the partial dump ${state.dump}: the backup step ended (cancelled or killed) before it was complete. No backup was taken by this run.`,
    );
  }
  if (state.scratch && scratchDatabaseTime(state.scratch) !== undefined) {
    const inputs = getInputs();
    ctx.secrets.addUrl(inputs['database-url']);
    ctx.secrets.addUrl(inputs['verify-database-url']);
    const config = resolveConfig(inputs, loadStepRunbook(inputs, ctx), {
      env: ctx.env,
      runnerTemp: ctx.repo.runnerTemp,
      workspace: ctx.repo.workspace,
      secrets: ctx.secrets,
    });
    const client = dbClient(config.target!, config, ctx, { cleanup: true });
    try {
      await client.dropDatabase(state.scratch, 60_000);
      ctx.log.warning(
        `Dropped the scratch database ${state.scratch} that the restore verification left behind (the step was cancelled or killed).`,
      );
    } catch (e) {
      throw new Error(
        `could not drop the scratch database ${state.scratch}: ${errorMessage(e)}. Drop it by hand: DROP DATABASE ${state.scratch};`,
        { cause: e },
      );
    } finally {
      client.dispose();
    }
  }
}

export const runPost = (): Promise<void> =>
  runAction('backup-db (post)', (ctx) =>
    cleanup(ctx, { dump: core.getState('dump'), scratch: core.getState('scratch-database') }),
  );
