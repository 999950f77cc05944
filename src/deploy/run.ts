/** deploy: parse inputs, merge the runbook, look up and record on GitHub, run the strategy, publish. */
import * as core from '@actions/core';
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { CheckFailure } from '../core/errors.js';
import { publish } from '../core/report.js';
import { loadStepRunbook } from '../core/runbook.js';
import { deploy, RefusedToStart } from './deploy.js';
import { checkLocalPreconditions, getInputs, resolveConfig } from './inputs.js';
import { createProvider } from '../shared/deployments/providers/index.js';
import { githubRecords } from '../shared/deployments/records.js';
import { failureMessage, outputs, summary } from './summary.js';

export async function main(ctx: RunContext): Promise<void> {
  const inputs = getInputs();
  ctx.secrets.add(inputs.token);
  const runbook = loadStepRunbook(inputs, ctx);
  const config = resolveConfig(inputs, runbook, {
    workspace: ctx.repo.workspace,
    sha: ctx.repo.sha || ctx.repo.ref,
    runId: ctx.repo.runId,
  });
  checkLocalPreconditions(config, ctx.env);
  const records = githubRecords(config, ctx);
  const provider = createProvider(config, { exec: ctx.exec, log: ctx.log });
  let report;
  try {
    report = await deploy(config, ctx, {
      provider,
      records,
      onCreated: (id) => core.saveState('deployment-id', String(id)),
      onFinal: (state) => core.saveState('deployment-final', state),
    });
  } catch (e) {
    if (e instanceof RefusedToStart) {
      publish(
        ctx.sink,
        ctx.secrets,
        { status: 'failure', version: config.version },
        { status: 'failure', refused: e.message },
      );
      throw new CheckFailure(
        `Deploy of ${config.version} to ${config.environment} did not start: ${e.message}`,
      );
    }
    throw e;
  }
  publish(ctx.sink, ctx.secrets, outputs(report), report, summary(report));
  if (report.status !== 'success') throw new CheckFailure(failureMessage(report));
}

export const run = (): Promise<void> => runAction('deploy', main);
