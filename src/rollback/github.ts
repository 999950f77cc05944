/**
 * rollback's GitHub side: the environment's deployment history (newest first, with whether each ever
 * succeeded), the rollback deployment and its statuses, the rolled-back deployment's `inactive`, and the
 * incident issue with its labels. `RollbackRecords` is an interface so the logic can be tested with objects.
 */
import type { MigrationsRecord } from '../shared/deployments/migrations.js';
import type { RunContext } from '../core/context.js';
import {
  createOctokit,
  Deployments,
  toGitHubError,
  type DeploymentState,
  type GitHubClient,
} from '../core/github.js';
import type { RollbackConfig } from './inputs.js';

/** A pre-release backup named in a deployment's payload (deploy's backup hand-off). */
export interface PayloadBackup {
  artifact?: string;
  runId?: string | number;
  file?: string;
  sha256?: string;
  encrypted?: boolean;
  createdAt?: string;
}

export interface HistoryEntry {
  id: number;
  task: string;
  /** The commit it deployed: a rollback deployment points at its target's commit, the code that runs again. */
  sha?: string;
  version?: string;
  slot?: string;
  strategy?: string;
  /** The latest status ('pending' when none; 'unknown' when its statuses were not read). */
  state: string;
  /** Whether any of its statuses was `success` (GitHub marks replaced ones `inactive` later). */
  succeeded: boolean;
  /** false for deployments older than the target: their statuses were not needed, so not read. */
  statusesRead: boolean;
  /** When it first succeeded. */
  succeededAt?: string;
  /** The latest status's description. */
  description?: string;
  createdAt: string;
  creator?: string;
  runUrl?: string;
  backup?: PayloadBackup;
  /** The schema version its database was at when it went live (payload `migrations.to`, with the tool). */
  schema?: { tool: string; version: string };
}

export interface RollbackPayload {
  version: string;
  slot?: string;
  rollback_of: number;
  reason: string;
  strategy: string;
  /**
   * The schema the database is at once this rollback is live (nothing applied by it): the rolled-back
   * deployment's when the database is left as it is, the target's when it is restored from the backup taken
   * before the rolled-back release. The release plan reads `migrations.to` of what is live.
   */
  migrations?: MigrationsRecord;
}

export interface IncidentIssue {
  title: string;
  body: string;
  labels: string[];
  assignees: string[];
}

export interface RollbackRecords {
  /**
   * The environment's deployments, newest first (at most `limit`), each with its statuses read until `enough`
   * says the rest are not needed (their `statusesRead` is false): one request per deployment, down to the target.
   */
  history(
    environment: string,
    enough?: (newestFirst: HistoryEntry[]) => boolean,
    limit?: number,
  ): Promise<HistoryEntry[]>;
  create(config: RollbackConfig, payload: RollbackPayload): Promise<number>;
  setStatus(id: number, state: DeploymentState, description: string, environmentUrl?: string): Promise<void>;
  /** Create the labels that do not exist yet, then the issue; returns its URL. */
  incident(issue: IncidentIssue): Promise<string>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function object(v: unknown): Record<string, unknown> {
  let p = v;
  if (typeof p === 'string') {
    try {
      p = JSON.parse(p) as unknown;
    } catch {
      return {};
    }
  }
  return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}

function backupOf(v: unknown): PayloadBackup | undefined {
  const b = object(v);
  if (!Object.keys(b).length) return undefined;
  return {
    artifact: str(b.artifact),
    runId: typeof b.runId === 'number' ? b.runId : str(b.runId),
    file: str(b.file),
    sha256: str(b.sha256),
    encrypted: b.encrypted === true,
    createdAt: str(b.createdAt),
  };
}

/** `migrations.to` and `migrations.tool` of a deploy payload (see src/shared/deployments/migrations.ts). */
function schemaOf(v: unknown): HistoryEntry['schema'] {
  const m = object(v);
  const version = str(m.to);
  return version ? { tool: str(m.tool) ?? 'unknown', version } : undefined;
}

const LABEL_COLORS: Record<string, string> = { incident: 'b60205', rollback: 'd93f0b' };

export function githubRecords(
  config: Pick<RollbackConfig, 'token'>,
  ctx: Pick<RunContext, 'repo' | 'log' | 'secrets'>,
  o: { retryAfterBaseMs?: number; writeSpacingMs?: number } = {},
): RollbackRecords {
  ctx.secrets.add(config.token);
  const octokit: GitHubClient = createOctokit({
    token: config.token,
    baseUrl: ctx.repo.apiUrl,
    log: ctx.log,
    ...o,
  });
  const repo = { owner: ctx.repo.owner, repo: ctx.repo.repo };
  const deployments = new Deployments(octokit, { ...repo, log: ctx.log });
  const call = async <T>(what: string, permission: string, notFound: string, fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (e) {
      throw toGitHubError(e, what, { ...repo, permission, notFound });
    }
  };
  return {
    async history(environment, enough, limit = 100) {
      const { data } = await call(
        `Listing deployments of ${environment}`,
        'deployments=read',
        'the repository was',
        () => octokit.rest.repos.listDeployments({ ...repo, environment, per_page: Math.min(limit, 100) }),
      );
      const out: HistoryEntry[] = [];
      let reading = true;
      for (const d of data) {
        const p = object(d.payload);
        const entry: HistoryEntry = {
          id: d.id,
          task: d.task,
          sha: d.sha,
          version: str(p.version),
          slot: str(p.slot),
          strategy: str(p.strategy),
          state: 'unknown',
          succeeded: false,
          statusesRead: false,
          createdAt: d.created_at,
          creator: d.creator?.login,
          runUrl: str(p.runUrl),
          backup: backupOf(p.backup),
          schema: schemaOf(p.migrations),
        };
        if (reading) {
          const { data: statuses } = await call(
            `Reading the statuses of deployment ${d.id}`,
            'deployments=read',
            `deployment ${d.id} was`,
            () => octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: d.id, per_page: 100 }),
          );
          const successes = statuses.filter((st) => st.state === 'success');
          entry.state = statuses[0]?.state ?? 'pending';
          entry.description = statuses[0]?.description ?? undefined;
          entry.succeeded = successes.length > 0;
          entry.succeededAt = successes.at(-1)?.created_at;
          entry.statusesRead = true;
        }
        out.push(entry);
        if (reading && enough?.(out)) reading = false;
      }
      return out;
    },
    async create(config, payload) {
      const d = await deployments.create({
        ref: config.ref,
        environment: config.environment,
        task: 'deploy:rollback',
        payload: { ...payload },
        description: `rollback to ${payload.version}${payload.reason ? `: ${payload.reason}` : ''}`.slice(
          0,
          140,
        ),
        autoMerge: false,
        requiredContexts: [],
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
    async incident(issue) {
      const { data: existing } = await call('Listing labels', 'issues=read', 'the repository was', () =>
        octokit.rest.issues.listLabelsForRepo({ ...repo, per_page: 100 }),
      );
      const have = new Set(existing.map((l) => l.name.toLowerCase()));
      for (const name of issue.labels.filter((l) => !have.has(l.toLowerCase())))
        await call(`Creating the label ${name}`, 'issues=write', 'the repository was', () =>
          octokit.rest.issues.createLabel({
            ...repo,
            name,
            color: LABEL_COLORS[name] ?? 'ededed',
            description: 'Created by deploy-runbook rollback',
          }),
        );
      const { data } = await call('Creating the incident issue', 'issues=write', 'the repository was', () =>
        octokit.rest.issues.create({
          ...repo,
          title: issue.title,
          body: issue.body,
          labels: issue.labels,
          assignees: issue.assignees,
        }),
      );
      return data.html_url;
    },
  };
}
