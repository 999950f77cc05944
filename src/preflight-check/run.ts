/** preflight-check: parse inputs, merge the runbook, run every gate concurrently, publish the checklist. */
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { CheckFailure } from '../core/errors.js';
import { createOctokit } from '../core/github.js';
import { publish } from '../core/report.js';
import { loadStepRunbook } from '../core/runbook.js';
import { PreflightGitHub } from './github.js';
import { getInputs, resolveConfig } from './inputs.js';
import { preflight } from './preflight.js';
import { failureMessage, outputs, reportJson, summary } from './summary.js';

export async function main(ctx: RunContext): Promise<void> {
  const inputs = getInputs();
  for (const secret of [inputs.token, inputs['security-token']]) if (secret) ctx.secrets.add(secret);
  if (inputs['database-url']) ctx.secrets.addUrl(inputs['database-url']);
  const runbook = loadStepRunbook(inputs, ctx);
  const config = resolveConfig(inputs, runbook, {
    workspace: ctx.repo.workspace,
    sha: ctx.repo.sha,
    ref: ctx.repo.ref,
  });
  const client = (token: string) => createOctokit({ token, baseUrl: ctx.repo.apiUrl, log: ctx.log });
  const octokit = client(config.token);
  const gh = new PreflightGitHub(
    octokit,
    { owner: ctx.repo.owner, repo: ctx.repo.repo },
    config.securityToken === config.token ? octokit : client(config.securityToken),
  );
  if (config.hotfix) {
    ctx.log.info(
      `Hotfix: ${config.hotfix.section ? `the runbook's ${config.hotfix.section}` : 'the built-in hotfix settings (the runbook has no hotfix section)'} over the preflight settings.`,
    );
    for (const change of config.hotfix.changes) ctx.log.info(`  ${change}`);
  }
  const title = `${config.hotfix ? 'Hotfix preflight' : 'Preflight'} of ${config.environment}`;
  const report = await ctx.log.group(`${title}: ${config.gates.join(', ')}`, () =>
    preflight(config, { gh, ctx }),
  );
  publish(ctx.sink, ctx.secrets, outputs(report), reportJson(report), summary(report, config));
  if (!report.passed) throw new CheckFailure(failureMessage(report));
  for (const g of report.gates.filter((x) => x.status === 'warn'))
    ctx.log.warning(`preflight ${g.name} (warn-only): ${g.summary}`);
}

export const run = (): Promise<void> => runAction('preflight-check', main);
