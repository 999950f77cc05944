/**
 * The GitHub side of a deploy, in as few calls as the API allows (5 on a steady environment: list the
 * environment's deployments, read the newest one's status, create, in_progress, final status).
 * `DeploymentRecords` is an interface so the orchestrator's logic can be tested with plain objects.
 */
import type { RunContext } from '../../core/context.js';
import { createOctokit, Deployments, type DeploymentState } from '../../core/github.js';
import type { BackupRecord } from '../backups/handoff.js';
import type { MigrationsRecord } from './migrations.js';
import type { DeploymentSettings as DeployConfig, StrategyName } from './settings.js';
import { CONTROL_CHARS } from '../../core/safe-line.js';

/** What deploy stores in the deployment payload, and reads back from the last successful one. */
/**
 * How a deployment's final status description starts when traffic moved to it and could not be moved back (no
 * automatic rollback, or the rollback failed): GitHub still shows the previous deployment as the last success,
 * but traffic may be on this one. The rollback action reads it to take this deployment as the current one.
 */
export const STRANDED_PREFIX = 'NEEDS A HUMAN: ';

export interface DeployPayload {
  version: string;
  strategy: StrategyName;
  provider: string;
  /** The slot serving traffic once this deployment succeeded (blue-green, canary with slots). */
  slot?: string;
  previousVersion?: string;
  previousSlot?: string;
  runUrl?: string;
  /** The backup taken before this release: what its rollback restores. */
  backup?: BackupRecord;
  /** The schema migrations applied for this release (compact, bounded): what the release plan reads back. */
  migrations?: MigrationsRecord;
}

export interface PreviousDeployment {
  id: number;
  version?: string;
  slot?: string;
}

export interface RunningDeployment {
  id: number;
  ref: string;
  version?: string;
  state: string;
  createdAt: string;
  creator?: string;
}

export interface DeploymentRecords {
  survey(environment: string): Promise<{ previous?: PreviousDeployment; running: RunningDeployment[] }>;
  create(config: DeployConfig, payload: DeployPayload): Promise<number>;
  setStatus(id: number, state: DeploymentState, description: string, environmentUrl?: string): Promise<void>;
}

/**
 * A string read back from a GitHub payload. Anyone with write access can store anything there; a value with
 * control characters (a line break followed by a workflow command) is not a version or slot we wrote: ignore it.
 */
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' && !CONTROL_CHARS.test(v) ? v : undefined;

function payloadVersion(payload: unknown): string | undefined {
  let p = payload;
  if (typeof p === 'string') {
    try {
      p = JSON.parse(p) as unknown;
    } catch {
      return undefined;
    }
  }
  return p && typeof p === 'object' ? str((p as Record<string, unknown>).version) : undefined;
}

export function githubRecords(
  config: DeployConfig,
  ctx: Pick<RunContext, 'repo' | 'log' | 'secrets'>,
  o: { retryAfterBaseMs?: number; writeSpacingMs?: number } = {},
): DeploymentRecords {
  ctx.secrets.add(config.token);
  const octokit = createOctokit({
    token: config.token,
    baseUrl: ctx.repo.apiUrl,
    log: ctx.log,
    ...o,
  });
  const deployments = new Deployments(octokit, {
    owner: ctx.repo.owner,
    repo: ctx.repo.repo,
    log: ctx.log,
  });
  return {
    async survey(environment) {
      const s = await deployments.survey(environment);
      const last = s.lastSuccessful;
      return {
        previous: last && {
          id: last.deployment.id,
          version: str(last.payload.version),
          slot: str(last.payload.slot),
        },
        running: s.inProgress.map(({ deployment: d, status }) => ({
          id: d.id,
          ref: d.ref,
          version: payloadVersion(d.payload),
          state: status?.state ?? 'pending',
          createdAt: d.created_at,
          creator: d.creator?.login,
        })),
      };
    },
    async create(config, payload) {
      const d = await deployments.create({
        ref: config.ref,
        environment: config.environment,
        task: 'deploy',
        payload: { ...payload },
        description: `${payload.version} (${payload.strategy})`,
        autoMerge: false,
        requiredContexts: config.requiredContexts,
        productionEnvironment: config.productionEnvironment,
        transientEnvironment: config.transientEnvironment,
      });
      return d.id;
    },
    async setStatus(id, state, description, environmentUrl) {
      await deployments.setStatus(id, {
        state,
        description,
        environmentUrl,
        logUrl: ctx.repo.runUrl || undefined,
      });
    },
  };
}
