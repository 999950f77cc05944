/**
 * Builds the deployment record from facts: the deployment and its statuses, the environment's other
 * deployments (for the DEP-…-NNN sequence and the previous successful deployment), the run's approvals, the
 * commits between the previous successful deployment and this one, a tag on the commit, and the reports of the
 * other actions. Reads only; at most 6 requests on the usual path.
 */
import type { RunContext } from '../core/context.js';
import { ConfigurationError } from '../core/errors.js';
import type { Deployment } from '../core/github.js';
import { quote } from '../core/inputs.js';
import type { RecordGitHub } from './github.js';
import type { RecordConfig } from './inputs.js';
import { outcome, payloadOf, str, type Outcome } from './outcome.js';
import {
  earlierSameDay,
  MAX_LISTED_CHANGES,
  prNumber,
  recordId,
  recordSchema,
  type DeploymentRecord,
} from './record.js';
import { validation } from './reports.js';

export type CollectContext = Pick<RunContext, 'clock' | 'log' | 'repo'>;

export interface Collected {
  record: DeploymentRecord;
  deployment: Deployment;
  /** The first page of the environment's deployments (newest first), reused by DORA. */
  recent: Deployment[];
  recentLastPage: number;
}

/** How many older deployments' statuses we read, at most, to find the previous success without a payload hint. */
const MAX_PREVIOUS_PROBES = 2;

function runIdOf(runUrl: string | undefined): number | undefined {
  const m = /\/actions\/runs\/(\d+)/.exec(runUrl ?? '');
  return m ? Number(m[1]) : undefined;
}

async function findDeployment(
  config: RecordConfig,
  ctx: CollectContext,
  gh: RecordGitHub,
  recent: Deployment[],
): Promise<Deployment> {
  if (config.deploymentId !== undefined) {
    const d = recent.find((x) => x.id === config.deploymentId) ?? (await gh.deployment(config.deploymentId));
    if (!d)
      throw new ConfigurationError(
        `Input "deployment-id": there is no deployment ${config.deploymentId} in ${ctx.repo.owner}/${ctx.repo.repo} (or the token cannot see it).`,
      );
    if (d.environment !== config.environment)
      throw new ConfigurationError(
        `Input "deployment-id": deployment ${d.id} is of environment ${quote(d.environment)}, not ${quote(config.environment)}.`,
        'Give the id of a deployment of this environment, or leave deployment-id empty for the newest of this commit.',
      );
    return d;
  }
  const d = recent.find((x) => x.sha === ctx.repo.sha);
  if (!d)
    throw new ConfigurationError(
      `Input "deployment-id": not given, and none of the newest ${recent.length} deployments of ${quote(config.environment)} is of this workflow's commit ${ctx.repo.sha.slice(0, 12)}.`,
      'Run record-deployment after deploy in the same workflow, or give deployment-id (e.g. the deployment-id output of deploy).',
    );
  return d;
}

/** The commit of the deployment this one replaced: by the payload's previousVersion, else by reading statuses. */
async function previousSuccess(
  deployment: Deployment,
  recent: Deployment[],
  gh: RecordGitHub,
): Promise<Deployment | undefined> {
  const older = recent.filter((d) => d.id < deployment.id);
  const previousVersion = str(payloadOf(deployment.payload).previousVersion);
  if (previousVersion) {
    const hit = older.find((d) => str(payloadOf(d.payload).version) === previousVersion);
    if (hit) return hit;
  }
  for (const d of older.slice(0, MAX_PREVIOUS_PROBES)) {
    const o = outcome(await gh.statuses(d.id));
    if (o.succeededAt && o.status !== 'rolled-back') return d;
  }
  return undefined;
}

export async function collect(
  config: RecordConfig,
  ctx: CollectContext,
  gh: RecordGitHub,
): Promise<Collected> {
  const { items: recent, lastPage } = await gh.deploymentsPage(config.environment, 1);
  const deployment = await findDeployment(config, ctx, gh, recent);
  if (!recent.some((d) => d.id === deployment.id))
    ctx.log.warning(
      `Deployment ${deployment.id} is older than the environment's newest ${recent.length} deployments: its DEP-…-NNN number and its changes are worked out from those only, so the number may be too low and the changes may be missing.`,
    );
  const payload = payloadOf(deployment.payload);
  const deployReport = config.reports.deploy;
  if (deployReport?.deploymentId !== undefined && deployReport.deploymentId !== deployment.id)
    throw new ConfigurationError(
      `Input "deploy-report": is the report of deployment ${deployReport.deploymentId}, but the record is for deployment ${deployment.id}.`,
    );

  const statuses = await gh.statuses(deployment.id);
  const o: Outcome = outcome(statuses);
  const status = config.status ?? o.status;
  if (!status)
    throw new ConfigurationError(
      `Input "status": not given, and deployment ${deployment.id} has no final status yet (latest: ${statuses[0]?.state ?? 'none'}).`,
      'Run record-deployment after the deploy step finished, or give status (success, failure, rolled-back).',
    );

  const base = await previousSuccess(deployment, recent, gh);
  const runId = runIdOf(str(payload.runUrl)) ?? (Number(ctx.repo.runId) || undefined);
  const approvals = runId ? await gh.approvals(runId) : [];

  let changes: DeploymentRecord['changes'] = { total: 0, complete: true, commits: [] };
  if (base && base.sha !== deployment.sha) {
    const cmp = await gh.compare(base.sha, deployment.sha);
    const listed = cmp.commits.slice(0, MAX_LISTED_CHANGES);
    const complete = cmp.total <= MAX_LISTED_CHANGES && listed.length === cmp.total;
    changes = {
      base: base.sha,
      total: cmp.total,
      complete,
      url: cmp.url,
      commits: complete
        ? listed.map((c) => ({
            sha: c.sha,
            message: c.message.split('\n', 1)[0] ?? '',
            author: c.author,
            date: c.date,
            pr: prNumber(c.message),
          }))
        : [],
    };
    if (!complete)
      ctx.log.warning(
        `${cmp.total} commits since the previous deployment: GitHub lists at most ${MAX_LISTED_CHANGES}; the record keeps the count and the link ${cmp.url}.`,
      );
  } else if (!base) {
    ctx.log.info(
      'No earlier successful deployment found among the recent ones: the record lists no changes.',
    );
  }

  const version =
    config.version ??
    str(payload.version) ??
    deployReport?.version ??
    deployment.ref.replace(/^refs\/\w+\//, '');
  let tag: string | undefined;
  if (/^[\w.+-]+$/.test(version)) {
    const tags = await gh.tagsAt(deployment.sha, version);
    tag = tags.find((t) => t === version) ?? tags[0];
  }

  const now = ctx.clock.date();
  const dates = changes.commits.map((c) => Date.parse(c.date ?? '')).filter((n) => Number.isFinite(n));
  const ownRun = !str(payload.runUrl) || runIdOf(str(payload.runUrl)) === Number(ctx.repo.runId);
  const given = config.reports.rollback;
  const refused = given?.status === 'refused' ? given : undefined;
  const rb = given?.status === 'refused' ? undefined : given;
  if (rb && rb.rolledBackDeploymentId !== deployment.id)
    throw new ConfigurationError(
      `Input "rollback-report": is the report of the rollback of deployment #${rb.rolledBackDeploymentId} (${rb.rolledBackVersion}), but this record is of deployment #${deployment.id} (${str(payload.version) ?? deployment.ref}). Nothing was written.`,
      'Pass the report of the rollback that undid this deployment, or leave rollback-report out.',
    );
  const rollback: DeploymentRecord['rollback'] =
    status === 'rolled-back' || o.rollback || rb
      ? {
          executed: true,
          to: rb?.version ?? o.rollback?.to ?? str(payload.previousVersion) ?? deployReport?.previousVersion,
          how: o.rollback?.how ?? deployReport?.rollback?.description ?? (rb && `rollback: ${rb.reason}`),
          ...(rb && {
            status: rb.status,
            method: rb.method,
            databaseRestored: rb.databaseRestored,
            trafficRestoredMs: rb.trafficRestoredMs,
            deploymentId: rb.deploymentId,
            incident: rb.incidentUrl,
            failure: rb.failure && `${rb.failure.phase}: ${rb.failure.reason}`,
          }),
        }
      : refused
        ? { executed: false, status: 'refused', failure: refused.reason }
        : { executed: false };
  const server = `${ctx.repo.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}`;
  const record: DeploymentRecord = {
    schemaVersion: 1,
    id: recordId(new Date(deployment.created_at).toISOString(), earlierSameDay(deployment, recent)),
    deploymentId: deployment.id,
    timestamp: new Date(deployment.created_at).toISOString(),
    finishedAt: o.finishedAt && new Date(o.finishedAt).toISOString(),
    environment: config.environment,
    version,
    commit: deployment.sha,
    ref: deployment.ref,
    tag,
    operator: ownRun
      ? ctx.repo.actor || (deployment.creator?.login ?? 'unknown')
      : (deployment.creator?.login ?? 'unknown'),
    strategy: str(payload.strategy) ?? deployReport?.strategy,
    status,
    ticket: config.ticket,
    notes: config.notes,
    rollback,
    approvals,
    changes,
    validation: validation(config.reports),
    links: {
      run: str(payload.runUrl) ?? (ctx.repo.runUrl || undefined),
      deployment: `${server}/deployments/${encodeURIComponent(config.environment)}`,
      environment: o.environmentUrl,
      compare: changes.url,
    },
    durationMs: o.finishedAt
      ? Date.parse(o.finishedAt) - Date.parse(deployment.created_at)
      : deployReport?.durationMs,
    leadTimeMs: dates.length ? now.getTime() - Math.min(...dates) : undefined,
  };
  return { record: recordSchema.parse(record), deployment, recent, recentLastPage: lastPage };
}
