/**
 * deploy's post step (runs after the job, also after a cancel or a crash): a deployment must never stay
 * `in_progress` once the job is over. If the main step recorded a final state, there is nothing to do (no API
 * call); otherwise read the deployment's latest status and, if it is still running, mark it `error`.
 */
import * as core from '@actions/core';
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { errorMessage } from '../core/errors.js';
import { createOctokit, Deployments } from '../core/github.js';

export async function cleanup(
  ctx: RunContext,
  state: { deploymentId: string; final: string },
  token: string,
): Promise<void> {
  ctx.secrets.add(token);
  if (!state.deploymentId) {
    ctx.log.info('No deployment was created by the deploy step; nothing to close.');
    return;
  }
  const id = Number(state.deploymentId);
  if (state.final && state.final !== 'in_progress') {
    ctx.log.info(`Deployment #${id} was closed by the deploy step (${state.final}); nothing to do.`);
    return;
  }
  const log = ctx.log;
  const octokit = createOctokit({ token, baseUrl: ctx.repo.apiUrl, log });
  const deployments = new Deployments(octokit, { owner: ctx.repo.owner, repo: ctx.repo.repo, log });
  const latest = await deployments.latestStatus(id);
  const current = latest?.state ?? 'pending';
  if (!['in_progress', 'queued', 'pending'].includes(current)) {
    ctx.log.info(`Deployment #${id} is ${current}; nothing to do.`);
    return;
  }
  await deployments.setStatus(id, {
    state: 'error',
    description:
      'The job ended with this deployment still in progress (cancelled or runner lost): check the environment',
    logUrl: ctx.repo.runUrl || undefined,
  });
  ctx.log.warning(
    `Deployment #${id} was still ${current} after the job ended (the job was cancelled or the runner was lost ` +
      `before the deploy step finished); marked it error. Check which version and slot the environment is serving.`,
  );
}

export const runPost = (): Promise<void> =>
  runAction('deploy (post)', async (ctx) => {
    try {
      await cleanup(
        ctx,
        { deploymentId: core.getState('deployment-id'), final: core.getState('deployment-final') },
        core.getInput('token'),
      );
    } catch (e) {
      throw new Error(`could not close the deployment: ${errorMessage(e)}`, { cause: e });
    }
  });
