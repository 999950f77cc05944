/**
 * rollback's post step: the rollback deployment must never stay `in_progress` once the job is over. If the main
 * step recorded a final state, nothing to do (no API call); otherwise mark a still-running deployment `error`.
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
    ctx.log.info('No rollback deployment was created; nothing to close.');
    return;
  }
  const id = Number(state.deploymentId);
  if (state.final && state.final !== 'in_progress') {
    ctx.log.info(
      `Rollback deployment #${id} was closed by the rollback step (${state.final}); nothing to do.`,
    );
    return;
  }
  const log = ctx.log;
  const octokit = createOctokit({ token, baseUrl: ctx.repo.apiUrl, log });
  const deployments = new Deployments(octokit, { owner: ctx.repo.owner, repo: ctx.repo.repo, log });
  const current = (await deployments.latestStatus(id))?.state ?? 'pending';
  if (!['in_progress', 'queued', 'pending'].includes(current)) {
    ctx.log.info(`Rollback deployment #${id} is ${current}; nothing to do.`);
    return;
  }
  await deployments.setStatus(id, {
    state: 'error',
    description:
      'The job ended with this rollback still in progress (cancelled or runner lost): check the environment',
    logUrl: ctx.repo.runUrl || undefined,
  });
  ctx.log.warning(
    `Rollback deployment #${id} was still ${current} after the job ended; marked it error. Check which version and slot the environment is serving.`,
  );
}

export const runPost = (): Promise<void> =>
  runAction('rollback (post)', async (ctx) => {
    try {
      await cleanup(
        ctx,
        { deploymentId: core.getState('deployment-id'), final: core.getState('deployment-final') },
        core.getInput('token'),
      );
    } catch (e) {
      throw new Error(`could not close the rollback deployment: ${errorMessage(e)}`, { cause: e });
    }
  });
