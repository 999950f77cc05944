/** smoke-test: parse inputs, merge the runbook, run, publish. */
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { CheckFailure } from '../core/errors.js';
import { publish } from '../core/report.js';
import { loadStepRunbook } from '../core/runbook.js';
import { getInputs, resolveConfig } from './inputs.js';
import { smokeTest } from './smoke.js';
import { failureMessage, outputs, summary } from './summary.js';

export async function main(ctx: RunContext): Promise<void> {
  const inputs = getInputs();
  const runbook = loadStepRunbook(inputs, ctx);
  const config = resolveConfig(inputs, runbook, ctx.repo.workspace);
  const report = await smokeTest(config, ctx);
  publish(ctx.sink, ctx.secrets, outputs(report), report, summary(report));
  if (!report.passed) throw new CheckFailure(failureMessage(report));
}

export const run = (): Promise<void> => runAction('smoke-test', main);
