/**
 * The post step deploy and rollback share (it runs after the job, also after a cancel or a crash): a deployment
 * must never stay `in_progress` once the job is over. If the main step recorded a final state there is nothing to
 * do (no API call); otherwise read the deployment's latest status and, if it is still running, mark it `error`.
 */
import * as core from '@actions/core';
import { runAction } from '../../core/action.js';
import type { RunContext } from '../../core/context.js';
import { errorMessage } from '../../core/errors.js';
import { createOctokit, Deployments } from '../../core/github.js';

export interface CloseWording {
  /** The action whose step created the deployment: deploy, rollback. */
  step: string;
  /** What the deployment is called in messages: "deployment", "rollback deployment". */
  kind: string;
}

export async function closeLeftDeployment(
  ctx: RunContext,
  state: { deploymentId: string; final: string },
  token: string,
  w: CloseWording,
): Promise<void> {
  ctx.secrets.add(token);
  const Kind = w.kind[0]!.toUpperCase() + w.kind.slice(1);
  if (!state.deploymentId) {
    ctx.log.info(`No ${w.kind} was created by the ${w.step} step; nothing to close.`);
    return;
  }
  const id = Number(state.deploymentId);
  if (state.final && state.final !== 'in_progress') {
    ctx.log.info(`${Kind} #${id} was closed by the ${w.step} step (${state.final}); nothing to do.`);
    return;
  }
  const log = ctx.log;
  const octokit = createOctokit({ token, baseUrl: ctx.repo.apiUrl, log });
  const deployments = new Deployments(octokit, { owner: ctx.repo.owner, repo: ctx.repo.repo, log });
  const current = (await deployments.latestStatus(id))?.state ?? 'pending';
  if (!['in_progress', 'queued', 'pending'].includes(current)) {
    ctx.log.info(`${Kind} #${id} is ${current}; nothing to do.`);
    return;
  }
  await deployments.setStatus(id, {
    state: 'error',
    description: `The job ended with this ${w.kind} still in progress (cancelled or runner lost): check the environment`,
    logUrl: ctx.repo.runUrl || undefined,
  });
  ctx.log.warning(
    `${Kind} #${id} was still ${current} after the job ended; marked it error (the job was cancelled or the runner ` +
      `was lost before the ${w.step} step finished). Check which version and slot the environment is serving.`,
  );
}

/** The post entry point: the state the main step saved, the step's token. */
export const runClosePost = (w: CloseWording): Promise<void> =>
  runAction(`${w.step} (post)`, async (ctx) => {
    try {
      await closeLeftDeployment(
        ctx,
        { deploymentId: core.getState('deployment-id'), final: core.getState('deployment-final') },
        core.getInput('token'),
        w,
      );
    } catch (e) {
      throw new Error(`could not close the ${w.kind}: ${errorMessage(e)}`, { cause: e });
    }
  });
