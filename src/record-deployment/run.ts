/** record-deployment: parse inputs, merge the runbook, collect the facts, write files, store, DORA, publish. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { createOctokit } from '../core/github.js';
import { publish } from '../core/report.js';
import { loadStepRunbook } from '../core/runbook.js';
import { collect } from './collect.js';
import { RecordGitHub } from './github.js';
import { doraHistory } from './history.js';
import { getInputs, resolveConfig, type RecordConfig } from './inputs.js';
import { recordMarkdown } from './markdown.js';
import type { DeploymentRecord } from './record.js';
import { loadChangesIndex, saveChangesIndex, storeRecord } from './store.js';
import { outputs, report, summary, type RecordResult } from './summary.js';

export interface RecordOptions {
  /** Client tuning for tests and benches (e.g. no write spacing). */
  octokit?: { retryAfterBaseMs?: number; writeSpacingMs?: number };
}

export async function recordDeployment(
  config: RecordConfig,
  ctx: RunContext,
  o: RecordOptions = {},
): Promise<RecordResult> {
  ctx.secrets.add(config.token);
  const octokit = createOctokit({
    token: config.token,
    baseUrl: ctx.repo.apiUrl,
    log: ctx.log,
    ...o.octokit,
  });
  let count = 0;
  octokit.hook.before('request', () => {
    count++;
  });
  const gh = new RecordGitHub(octokit, { owner: ctx.repo.owner, repo: ctx.repo.repo });

  // Reads first (the throttling plugin spaces writes), then the DORA reads, then the writes.
  const collected = await collect(config, ctx, gh);
  const recordRequests = count;
  const index =
    config.doraWindowMs > 0 && config.storeBranch
      ? await loadChangesIndex(config.environment, config.storeBranch, gh, ctx.log)
      : undefined;
  const dora =
    config.doraWindowMs > 0
      ? await doraHistory(
          config.environment,
          config.doraWindowMs,
          gh,
          ctx,
          { items: collected.recent, lastPage: collected.recentLastPage },
          index?.changes,
        )
      : undefined;
  let doraRequests = count - recordRequests;

  // Nothing secret goes into the stored record or the files.
  let record = JSON.parse(ctx.secrets.redact(JSON.stringify(collected.record))) as DeploymentRecord;
  let markdown = recordMarkdown(record);
  let stored: RecordResult['stored'];
  if (config.storeBranch) {
    const s = await storeRecord(record, config.storeBranch, gh, ctx);
    record = s.record;
    markdown = s.markdown;
    stored = {
      branch: config.storeBranch,
      path: s.path,
      url: s.url,
      createdBranch: s.createdBranch,
      attempts: s.attempts,
    };
    if (index && dora) {
      const before = count;
      await saveChangesIndex(config.environment, config.storeBranch, index, dora.changeIndex, gh, ctx.log);
      doraRequests += count - before;
    }
  }
  const file = path.join(ctx.repo.runnerTemp, `deployment-record-${record.id}.json`);
  const mdFile = path.join(ctx.repo.runnerTemp, `deployment-record-${record.id}.md`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(mdFile, markdown);
  ctx.log.info(`Deployment record ${record.id} (${record.status}) written to ${file} and ${mdFile}.`);
  return {
    record,
    markdown,
    path: file,
    markdownPath: mdFile,
    stored,
    dora,
    requests: {
      record: recordRequests,
      dora: doraRequests,
      store: count - recordRequests - doraRequests,
      total: count,
    },
  };
}

export async function main(ctx: RunContext): Promise<void> {
  const inputs = getInputs();
  ctx.secrets.add(inputs.token);
  const runbook = loadStepRunbook(inputs, ctx);
  const config = resolveConfig(inputs, runbook);
  const result = await recordDeployment(config, ctx);
  publish(ctx.sink, ctx.secrets, outputs(result), report(result), summary(result));
}

export const run = (): Promise<void> => runAction('record-deployment', main);
