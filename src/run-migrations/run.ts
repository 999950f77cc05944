/** run-migrations: parse inputs, merge the runbook, run the built-in runner or an adapter, publish. */
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { CheckFailure } from '../core/errors.js';
import { publish } from '../core/report.js';
import { loadStepRunbook } from '../core/runbook.js';
import { runAdapter } from './adapters.js';
import { getInputs, inputSchema, resolveConfig } from './inputs.js';
import { readRawInputs } from '../core/inputs.js';
import { runSqlMigrations } from './sql-runner.js';
import { failureMessage, outputs, summary } from './summary.js';

export async function main(ctx: RunContext): Promise<void> {
  const raw = readRawInputs(Object.keys(inputSchema.shape));
  // Secrets first, before any input error: the whole URL and its password.
  for (const url of [raw['database-url'] ?? '', raw['dry-run-database-url'] ?? '']) {
    ctx.secrets.add(url.trim());
    ctx.secrets.addUrl(url.trim());
  }
  const inputs = getInputs(raw);
  const runbook = loadStepRunbook(inputs, ctx);
  const config = resolveConfig(inputs, runbook, ctx.env, ctx.repo.workspace);
  ctx.secrets.add(config.databaseUrl);
  ctx.secrets.addUrl(config.databaseUrl.trim());

  const report = config.tool === 'sql' ? await runSqlMigrations(config, ctx) : await runAdapter(config, ctx);
  publish(ctx.sink, ctx.secrets, outputs(report), report, summary(report));
  if (!report.passed) {
    const f = report.failure;
    if (f?.file && f.kind !== 'refused' && f.kind !== 'lint')
      ctx.log.error(f.message, {
        title: 'run-migrations: migration failed',
        file: f.file,
        startLine: f.line,
      });
    throw new CheckFailure(failureMessage(report));
  }
}

export const run = (): Promise<void> => runAction('run-migrations', main);
