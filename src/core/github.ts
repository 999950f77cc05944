/**
 * GitHub REST access for deploy-runbook: a retrying, rate-limit-aware Octokit
 * and the Deployments API operations the actions need. Works against
 * api.github.com and GHES alike (only `baseUrl` differs).
 */
import * as core from '@actions/core';
import type { Logger } from './log.js';
import { neutralise } from './safe-line.js';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit, type RestEndpointMethodTypes } from '@octokit/rest';

const GitHubOctokit = Octokit.plugin(retry, throttling);
/** The Octokit client `createOctokit` returns. */
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

/** Where log lines go: the run context's logger (secrets redacted), or @actions/core by default. */
export type GitHubLog = Pick<Logger, 'debug' | 'info' | 'warning' | 'error'>;

const actionsLog: GitHubLog = {
  debug: (m) => core.debug(neutralise(m)),
  info: (m) => core.info(neutralise(m)),
  warning: (m) => core.warning(neutralise(m)),
  error: (m) => core.error(neutralise(m)),
};

export interface CreateOctokitOptions {
  token: string;
  /** API base URL; default `GITHUB_API_URL`, else https://api.github.com. */
  baseUrl?: string;
  userAgent?: string;
  log?: GitHubLog;
  /** Retries for 5xx errors and for (secondary) rate limits. Default 3. */
  retries?: number;
  /** Rate limits asking to wait this long (seconds) or longer are not waited for. Default 60. */
  maxRetryAfterSeconds?: number;
  /**
   * Milliseconds per second of any wait (retry-after, 5xx backoff of 1, 4, 9 s…).
   * Default 1000 (real time); tests lower it.
   */
  retryAfterBaseMs?: number;
  /**
   * Minimum spacing between write requests, as GitHub recommends to avoid
   * secondary rate limits; requests that send notifications (issues, comments)
   * are spaced three times as far. Default 1000.
   */
  writeSpacingMs?: number;
  /** Give up on one request (any attempt) after this long, so a hung connection cannot hang a step. Default 30 s. */
  requestTimeoutMs?: number;
}

/**
 * A minimal stand-in for the Bottleneck group plugin-throttling uses to space
 * writes: one queue per key, each job starting `spacingMs` after the last.
 */
function spacingGroup(spacingMs: number): unknown {
  let last = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const schedule = <T>(
    _options: unknown,
    fn: (...args: unknown[]) => Promise<T>,
    ...args: unknown[]
  ): Promise<T> => {
    const run = chain.then(async () => {
      const wait = last + spacingMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      last = Date.now();
    });
    chain = run;
    return run.then(() => fn(...args));
  };
  return { key: () => ({ schedule }) };
}

/**
 * Creates an Octokit with the retry plugin (5xx with backoff) and the
 * throttling plugin (rate limit / secondary rate limit: retry up to `retries`
 * times while `retry-after` is under `maxRetryAfterSeconds`, logging what it
 * waits for; otherwise give up with an error that says why).
 */
export function createOctokit(options: CreateOctokitOptions): GitHubClient {
  const {
    token,
    baseUrl = process.env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent = 'deploy-runbook',
    log = actionsLog,
    retries = 3,
    maxRetryAfterSeconds = 60,
    retryAfterBaseMs = 1000,
    writeSpacingMs = 1000,
    requestTimeoutMs = 30_000,
  } = options;
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      request: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ): boolean => {
      const what = `${request.method} ${request.url}`;
      if (retryCount < retries && retryAfter < maxRetryAfterSeconds) {
        log.warning(
          `GitHub ${kind} hit on ${what}; waiting ${retryAfter}s before retry ${retryCount + 1}/${retries}.`,
        );
        return true;
      }
      const why =
        retryCount >= retries
          ? `after ${retries} retries`
          : `it asks to wait ${retryAfter}s (limit ${maxRetryAfterSeconds}s)`;
      log.error(`GitHub ${kind} hit on ${what}; giving up: ${why}.`);
      return false;
    };
  return new GitHubOctokit({
    auth: token,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    userAgent,
    request: {
      fetch: (url: string | URL, init?: RequestInit) => {
        const timeout = AbortSignal.timeout(requestTimeoutMs);
        return fetch(url, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
        });
      },
    },
    // Octokit's request log reports every request at info and every failed one
    // (even an expected 404) at error: keep those at debug, we report failures ourselves.
    log: { debug: log.debug, info: log.debug, warn: log.warning, error: log.debug },
    retry: {
      retries,
      retryAfterBaseValue: retryAfterBaseMs,
      // Rate limits (403 / 429) are the throttling plugin's job.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
    throttle: {
      id: `deploy-runbook-${Math.random().toString(36).slice(2)}`,
      retryAfterBaseValue: retryAfterBaseMs,
      write: spacingGroup(writeSpacingMs) as never,
      notifications: spacingGroup(writeSpacingMs * 3) as never,
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
    },
  });
}

/** An API failure with a message meant for the workflow log (never contains the token). */
export class GitHubApiError extends Error {
  override readonly name = 'GitHubApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface ErrorLike {
  status?: number;
  message?: string;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

/**
 * Maps an Octokit error to a {@link GitHubApiError}: 403 names the missing
 * permission (from `x-accepted-github-permissions`, else `permission`), 404
 * says what could not be found, rate limits say so.
 */
export function toGitHubError(
  err: unknown,
  what: string,
  ctx: { owner: string; repo: string; permission: string; notFound: string },
): GitHubApiError {
  const e = (err ?? {}) as ErrorLike;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const data = e.response?.data as { message?: unknown } | undefined;
  const apiMessage = typeof data?.message === 'string' ? data.message : (e.message ?? String(err));
  const repo = `${ctx.owner}/${ctx.repo}`;
  let message: string;
  if ((status === 403 || status === 429) && /rate limit/i.test(apiMessage)) {
    message = `${what} failed: GitHub rate limit exceeded and retries were exhausted or the wait was too long (${status}: ${apiMessage})`;
  } else if (status === 403) {
    const accepted = String(e.response?.headers?.['x-accepted-github-permissions'] ?? '');
    const perms = (accepted.split(',')[0] || ctx.permission).split('=');
    const [scope, level = 'write'] = perms.map((p) => p.trim());
    message = `${what} failed: the token is not allowed to do this in ${repo} (403: ${apiMessage}). Grant it in the workflow: \`permissions: ${scope}: ${level}\`.`;
  } else if (status === 404) {
    message = `${what} failed: ${ctx.notFound} not found in ${repo}, or the token cannot see it (404).`;
  } else if (status === 401) {
    message = `${what} failed: GitHub rejected the credentials (401: ${apiMessage}).`;
  } else {
    message = `${what} failed${status ? ` (${status})` : ''}: ${apiMessage}`;
  }
  return new GitHubApiError(message, status, { cause: err });
}

export type Deployment = RestEndpointMethodTypes['repos']['getDeployment']['response']['data'];
export type DeploymentStatus =
  RestEndpointMethodTypes['repos']['listDeploymentStatuses']['response']['data'][number];
export type DeploymentState =
  RestEndpointMethodTypes['repos']['createDeploymentStatus']['parameters']['state'];

export interface CreateDeploymentOptions {
  ref: string;
  environment: string;
  task?: string;
  /** Stored with the deployment; read back by `lastSuccessful`. */
  payload?: Record<string, unknown>;
  description?: string;
  /** Let GitHub merge the default branch into `ref` first (default false). */
  autoMerge?: boolean;
  /** Status contexts that must be green; [] (default) skips the check. */
  requiredContexts?: string[];
  productionEnvironment?: boolean;
  transientEnvironment?: boolean;
}

export interface SetStatusOptions {
  state: DeploymentState;
  environmentUrl?: string;
  logUrl?: string;
  /** Truncated to GitHub's 140 characters. */
  description?: string;
  /** Mark earlier successful deployments of the environment inactive on success (GitHub default true). */
  autoInactive?: boolean;
}

export interface LastSuccessful {
  deployment: Deployment;
  status: DeploymentStatus;
  /** The deployment payload as an object ({} when it is not a JSON object). */
  payload: Record<string, unknown>;
}

/** GitHub's limit for deployment status descriptions. */
export const MAX_STATUS_DESCRIPTION = 140;

/** Shortens `text` to `max` characters, ending with an ellipsis when cut. */
export function truncate(text: string, max = MAX_STATUS_DESCRIPTION): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function payloadObject(payload: unknown): Record<string, unknown> {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return {};
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Deployment operations for one repository. */
export class Deployments {
  private readonly log: GitHubLog;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly target: { owner: string; repo: string; log?: GitHubLog },
  ) {
    this.log = target.log ?? actionsLog;
  }

  private async call<T>(what: string, notFound: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toGitHubError(err, what, { ...this.target, permission: 'deployments=write', notFound });
    }
  }

  private get repoParams(): { owner: string; repo: string } {
    return { owner: this.target.owner, repo: this.target.repo };
  }

  /**
   * Creates a deployment. Throws a {@link GitHubApiError} when GitHub merged
   * the default branch instead (202, only with `autoMerge`) or refuses with a
   * conflict (409: merge conflict or failing required status checks).
   */
  async create(opts: CreateDeploymentOptions): Promise<Deployment> {
    const what = `Creating a deployment of ${opts.ref} to ${opts.environment}`;
    let response;
    try {
      response = await this.octokit.rest.repos.createDeployment({
        ...this.repoParams,
        ref: opts.ref,
        environment: opts.environment,
        task: opts.task ?? 'deploy',
        payload: opts.payload ?? {},
        description: opts.description,
        auto_merge: opts.autoMerge ?? false,
        required_contexts: opts.requiredContexts ?? [],
        production_environment: opts.productionEnvironment,
        transient_environment: opts.transientEnvironment,
      });
    } catch (err) {
      if ((err as ErrorLike).status === 409) {
        const data = (err as ErrorLike).response?.data as {
          message?: string;
          errors?: Array<{ contexts?: Array<{ context: string; state: string }> }>;
        };
        const contexts = (data?.errors ?? [])
          .flatMap((e) => e.contexts ?? [])
          .map((c) => `${c.context} (${c.state})`);
        throw new GitHubApiError(
          `${what} failed: conflict (409): ${data?.message ?? 'merge conflict or failing status checks'}${contexts.length ? ` Failing contexts: ${contexts.join(', ')}.` : ''}`,
          409,
          { cause: err },
        );
      }
      throw toGitHubError(err, what, {
        ...this.target,
        permission: 'deployments=write',
        notFound: 'the repository or ref was',
      });
    }
    const data = response.data;
    if (!('id' in data)) {
      throw new GitHubApiError(
        `${what}: GitHub merged the default branch into ${opts.ref} instead of deploying (${data.message ?? '202'}). Run again on the merged ref.`,
        202,
      );
    }
    return data;
  }

  /** Adds a status to deployment `id`. */
  async setStatus(id: number, opts: SetStatusOptions): Promise<DeploymentStatus> {
    const { data } = await this.call(
      `Setting deployment ${id} to ${opts.state}`,
      `deployment ${id} was`,
      () =>
        this.octokit.rest.repos.createDeploymentStatus({
          ...this.repoParams,
          deployment_id: id,
          state: opts.state,
          environment_url: opts.environmentUrl,
          log_url: opts.logUrl,
          description: opts.description === undefined ? undefined : truncate(opts.description),
          auto_inactive: opts.autoInactive,
        }),
    );
    return data;
  }

  /** The newest status of deployment `id`, or undefined when it has none. */
  async latestStatus(id: number): Promise<DeploymentStatus | undefined> {
    const { data } = await this.call(`Reading the statuses of deployment ${id}`, `deployment ${id} was`, () =>
      this.octokit.rest.repos.listDeploymentStatuses({ ...this.repoParams, deployment_id: id, per_page: 1 }),
    );
    return data[0];
  }

  /** Deployments of `environment`, newest first, at most `maxPages` pages of `perPage`. */
  private async *walk(
    environment: string,
    task: string | undefined,
    maxPages: number,
    perPage: number,
  ): AsyncGenerator<Deployment, boolean> {
    const pages = this.octokit.paginate.iterator(this.octokit.rest.repos.listDeployments, {
      ...this.repoParams,
      environment,
      task,
      per_page: perPage,
    });
    let page = 0;
    try {
      for await (const { data } of pages) {
        yield* data;
        if (++page >= maxPages) return true;
      }
    } catch (err) {
      throw toGitHubError(err, `Listing deployments of ${environment}`, {
        ...this.target,
        permission: 'deployments=read',
        notFound: 'the repository was',
      });
    }
    return false;
  }

  /**
   * The newest deployment of `environment` whose latest status is `success`
   * (its payload parsed), walking deployments newest first. Scans at most
   * `maxPages` pages (default 10 × 30); logs a warning and returns undefined
   * when that bound is hit without a match. Note that GitHub marks earlier
   * successes of an environment `inactive` when a newer one (of any task)
   * succeeds with auto-inactive, so `task` only helps with `autoInactive: false`.
   */
  async lastSuccessful(
    environment: string,
    opts: { task?: string; maxPages?: number; perPage?: number } = {},
  ): Promise<LastSuccessful | undefined> {
    const maxPages = opts.maxPages ?? 10;
    const perPage = opts.perPage ?? 30;
    const it = this.walk(environment, opts.task, maxPages, perPage);
    for (let next = await it.next(); ; next = await it.next()) {
      if (next.done) {
        if (next.value)
          this.log.warning(
            `No successful deployment of ${environment} in the newest ${maxPages * perPage} deployments; stopped looking.`,
          );
        return undefined;
      }
      const deployment = next.value;
      const status = await this.latestStatus(deployment.id);
      if (status?.state === 'success')
        return { deployment, status, payload: payloadObject(deployment.payload) };
    }
  }

  /**
   * One walk for what a deploy needs to know before it starts, in as few calls as possible: the newest
   * successful deployment of `environment` (as `lastSuccessful`) and the deployments newer than it that are
   * still running (as `inProgress`). Walks newest first and stops at the first success, so a steady
   * environment costs two requests (the list and the newest deployment's status). Running deployments older
   * than the last success are not reported: a newer deployment has finished since.
   */
  async survey(
    environment: string,
    opts: { task?: string; maxPages?: number; perPage?: number; staleAfterMs?: number } = {},
  ): Promise<{
    lastSuccessful?: LastSuccessful;
    inProgress: Array<{ deployment: Deployment; status?: DeploymentStatus }>;
  }> {
    const maxPages = opts.maxPages ?? 10;
    const perPage = opts.perPage ?? 30;
    const staleAfterMs = opts.staleAfterMs ?? 60 * 60 * 1000;
    const inProgress: Array<{ deployment: Deployment; status?: DeploymentStatus }> = [];
    const it = this.walk(environment, opts.task, maxPages, perPage);
    for (let next = await it.next(); ; next = await it.next()) {
      if (next.done) {
        if (next.value)
          this.log.warning(
            `No successful deployment of ${environment} in the newest ${maxPages * perPage} deployments; stopped looking.`,
          );
        return { inProgress };
      }
      const deployment = next.value;
      const status = await this.latestStatus(deployment.id);
      const state = status?.state ?? 'pending';
      if (state === 'success')
        return {
          lastSuccessful: { deployment, status: status!, payload: payloadObject(deployment.payload) },
          inProgress,
        };
      const fresh = Date.now() - Date.parse(deployment.created_at) < staleAfterMs;
      if (state === 'in_progress' || state === 'queued' || (state === 'pending' && fresh))
        inProgress.push({ deployment, status });
    }
  }

  /**
   * Deployments of `environment` that are still running, newest first, among
   * the newest `limit` (default 30): those whose latest status is `in_progress`
   * or `queued`, plus those `pending` or without any status that were created
   * less than `staleAfterMs` ago (default 1 h; older ones are taken as abandoned).
   */
  async inProgress(
    environment: string,
    opts: { task?: string; limit?: number; staleAfterMs?: number } = {},
  ): Promise<Array<{ deployment: Deployment; status?: DeploymentStatus }>> {
    const limit = opts.limit ?? 30;
    const staleAfterMs = opts.staleAfterMs ?? 60 * 60 * 1000;
    const { data } = await this.call(`Listing deployments of ${environment}`, 'the repository was', () =>
      this.octokit.rest.repos.listDeployments({
        ...this.repoParams,
        environment,
        task: opts.task,
        per_page: Math.min(limit, 100),
      }),
    );
    const out: Array<{ deployment: Deployment; status?: DeploymentStatus }> = [];
    for (const deployment of data.slice(0, limit)) {
      const status = await this.latestStatus(deployment.id);
      const state = status?.state ?? 'pending';
      const fresh = Date.now() - Date.parse(deployment.created_at) < staleAfterMs;
      if (state === 'in_progress' || state === 'queued' || (state === 'pending' && fresh))
        out.push({ deployment, status });
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Workflow artifacts and tags (backup listings, preflight's backup gate, records).

export interface ArtifactInfo {
  id: number;
  name: string;
  sizeBytes: number;
  createdAt: string;
  expiresAt?: string;
  expired: boolean;
  /** The workflow run that uploaded it. */
  runId?: number;
  headSha?: string;
  /** The API URL of the artifact (download needs `actions: read`). */
  url: string;
}

/**
 * Artifacts of the repository, newest first: those named exactly `name` (one filtered request), or those whose
 * name starts with `namePrefix` (GitHub cannot filter by prefix, so pages of 100 are read until `max` matches or
 * `maxPages` pages). Expired artifacts are included (their `expired` flag set) so callers can say so.
 */
export async function listArtifacts(
  octokit: GitHubClient,
  target: { owner: string; repo: string },
  o: { name?: string; namePrefix?: string; max?: number; maxPages?: number } = {},
): Promise<ArtifactInfo[]> {
  const max = o.max ?? 100;
  const maxPages = o.maxPages ?? 10;
  const out: ArtifactInfo[] = [];
  try {
    let page = 0;
    for await (const { data } of octokit.paginate.iterator(octokit.rest.actions.listArtifactsForRepo, {
      ...target,
      per_page: 100,
      ...(o.name ? { name: o.name } : {}),
    })) {
      for (const a of data) {
        if (o.namePrefix !== undefined && !a.name.startsWith(o.namePrefix)) continue;
        out.push({
          id: a.id,
          name: a.name,
          sizeBytes: a.size_in_bytes,
          createdAt: a.created_at ?? '',
          expiresAt: a.expires_at ?? undefined,
          expired: a.expired,
          runId: a.workflow_run?.id ?? undefined,
          headSha: a.workflow_run?.head_sha ?? undefined,
          url: a.url,
        });
        if (out.length >= max) return out;
      }
      if (++page >= maxPages) break;
    }
  } catch (err) {
    throw toGitHubError(err, 'Listing workflow artifacts', {
      ...target,
      permission: 'actions=read',
      notFound: 'the repository was',
    });
  }
  return out;
}

/**
 * Names of the tags (without `refs/tags/`) that point at commit `sha`, optionally only those starting with
 * `prefix`. Annotated tags are followed to their commit (one request each; lightweight tags cost nothing).
 */
export async function tagsAt(
  octokit: GitHubClient,
  target: { owner: string; repo: string },
  sha: string,
  prefix = '',
): Promise<string[]> {
  const what = `Listing tags${prefix ? ` starting with ${prefix}` : ''}`;
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toGitHubError(err, what, {
        ...target,
        permission: 'contents=read',
        notFound: 'the repository was',
      });
    }
  };
  const refs = await call(() =>
    octokit.paginate(octokit.rest.git.listMatchingRefs, { ...target, ref: `tags/${prefix}`, per_page: 100 }),
  );
  const names: string[] = [];
  for (const r of refs) {
    let commit = r.object.sha;
    if (r.object.type === 'tag') {
      const { data } = await call(() => octokit.rest.git.getTag({ ...target, tag_sha: r.object.sha }));
      commit = data.object.sha;
    }
    if (commit === sha) names.push(r.ref.replace(/^refs\/tags\//, ''));
  }
  return names;
}
