/** backup-db: parse inputs, merge the runbook, then back up, restore or check the age of backups; publish. */
import * as core from '@actions/core';
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { CheckFailure } from '../core/errors.js';
import { inputEnvName } from '../core/inputs.js';
import { publish } from '../core/report.js';
import { loadStepRunbook } from '../core/runbook.js';
import { runBackup } from './backup.js';
import { checkAge } from './check-age.js';
import { getInputs, registerIdentity, resolveConfig } from './inputs.js';
import { listBackups, listOutputs, listReport, listSummary } from './list.js';
import { runRestore } from '../shared/backups/restore.js';
import * as out from './summary.js';

export async function main(ctx: RunContext): Promise<void> {
  const inputs = getInputs();
  // Register the URL secrets before anything (even a runbook error) can be printed.
  ctx.secrets.addUrl(inputs['database-url']);
  ctx.secrets.addUrl(inputs['verify-database-url']);
  registerIdentity(inputs['decrypt-identity'], ctx.secrets);
  // The identity stays in this process: no tool started from here inherits it through the environment.
  delete process.env[inputEnvName('decrypt-identity')];
  ctx.secrets.add(inputs.token);
  const runbook = loadStepRunbook(inputs, ctx);
  const config = resolveConfig(inputs, runbook, {
    env: ctx.env,
    runnerTemp: ctx.repo.runnerTemp,
    workspace: ctx.repo.workspace,
    secrets: ctx.secrets,
  });

  if (config.mode === 'backup') {
    const r = await runBackup(config, ctx, { saveState: (name, value) => core.saveState(name, value) });
    publish(ctx.sink, ctx.secrets, out.backupOutputs(r), out.backupReport(r), out.backupSummary(r));
    if (r.verification.passed === false) throw new CheckFailure(out.backupFailure(r));
  } else if (config.mode === 'restore') {
    const r = await runRestore(config, ctx);
    publish(ctx.sink, ctx.secrets, out.restoreOutputs(r), out.restoreReport(r), out.restoreSummary(r));
    if (!r.verified) throw new CheckFailure(out.restoreFailure(r));
  } else if (config.mode === 'list') {
    const r = await listBackups(config, ctx);
    publish(ctx.sink, ctx.secrets, listOutputs(r), listReport(r), listSummary(r));
  } else {
    const r = checkAge(config, ctx);
    publish(ctx.sink, ctx.secrets, out.ageOutputs(r), out.ageReport(r), out.ageSummary(r));
    if (!r.fresh) throw new CheckFailure(r.reason);
  }
}

export const run = (): Promise<void> => runAction('backup-db', main);
