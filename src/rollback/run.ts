/** rollback: parse inputs, merge the runbook, read the history, plan, and (mode apply) roll back; publish. */
import * as core from '@actions/core';
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { CheckFailure, ConfigurationError } from '../core/errors.js';
import { inputEnvName } from '../core/inputs.js';
import { publish } from '../core/report.js';
import { loadStepRunbook } from '../core/runbook.js';
import { runRestore } from '../shared/backups/restore.js';
import { createProvider } from '../shared/deployments/providers/index.js';
import { githubRecords } from './github.js';
import { DEFAULTS, getInputs, resolveConfig } from './inputs.js';
import { PlanOnlyRefusal, rollback } from './rollback.js';
import { failureMessage, outputs, refusalReport, refusalSummary, summary } from './summary.js';

export async function main(ctx: RunContext): Promise<void> {
  const inputs = getInputs();
  ctx.secrets.add(inputs.token);
  ctx.secrets.addUrl(inputs['database-url']);
  ctx.secrets.add(inputs['decrypt-identity'].trim());
  // The identity stays in this process: no command or tool started from here inherits it.
  delete process.env[inputEnvName('decrypt-identity')];
  const runbook = loadStepRunbook(inputs, ctx);
  const config = resolveConfig(inputs, runbook, {
    workspace: ctx.repo.workspace,
    sha: ctx.repo.sha || ctx.repo.ref,
    env: ctx.env,
    secrets: ctx.secrets,
  });
  const records = githubRecords(config, ctx);
  const provider = createProvider(config, { exec: ctx.exec, log: ctx.log });
  const database = config.database;
  let report;
  try {
    report = await rollback(config, ctx, {
      records,
      provider,
      restore: database
        ? (file) =>
            runRestore(
              {
                target: database,
                backup: file,
                timeoutMs: config.commandTimeoutMs,
                connectTimeoutMs: DEFAULTS.connectTimeoutMs,
                identities: config.identities,
              },
              ctx,
            )
        : undefined,
      onCreated: (id) => core.saveState('deployment-id', String(id)),
      onFinal: (state) => core.saveState('deployment-final', state),
    });
  } catch (e) {
    const refusal = e instanceof PlanOnlyRefusal ? new ConfigurationError(e.message) : e;
    // Refused after reading the history (nothing to go back to, an unknown to-version, a backup to download
    // first): nothing was changed. Say so in the outputs, the report and the summary as well, so the next step
    // (the pipeline's record) and the person reading the run know why traffic was not moved.
    if (refusal instanceof ConfigurationError)
      publish(
        ctx.sink,
        ctx.secrets,
        { status: 'refused' },
        refusalReport(config, refusal),
        refusalSummary(config, refusal),
      );
    throw refusal;
  }
  publish(ctx.sink, ctx.secrets, outputs(report), report, summary(report));
  if (report.status === 'failure') throw new CheckFailure(failureMessage(report));
}

export const run = (): Promise<void> => runAction('rollback', main);
