/**
 * A stateful fake of the GitHub REST endpoints deploy-runbook uses, served
 * over real HTTP on 127.0.0.1 so actions running as child processes can use
 * it through `GITHUB_API_URL`.
 *
 *   const fake = await startFakeGitHub({ validate: true });
 *   fake.seed.deployment({ environment: 'production', statuses: ['success'] });
 *   fake.failNext({ status: 502, times: 2 });
 *   // ... run code with baseUrl = fake.url ...
 *   assert.equal(fake.count('POST /repos/{owner}/{repo}/deployments'), 1);
 *   assert.deepEqual(fake.violations, []);
 *   await fake.close();
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { commit, nodeId, repository, shaOf, user, type Json } from './data.js';
import { templateRegex, validateResponse, type Violation } from './validate.js';

export interface FakeGitHubOptions {
  /** Login of the authenticated user (creator of deployments and statuses). Default `github-actions[bot]`. */
  login?: string;
  /** Default branch of every repository. Default `main`. */
  defaultBranch?: string;
  /** Validate every response body against the OpenAPI subset and record violations in `fake.violations`. */
  validate?: boolean;
  /** Milliseconds added before every response (benchmarks: a realistic round trip). Default 0. */
  latencyMs?: number;
}

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** An injected failure for the next matching request(s). */
export interface Fault {
  status: 500 | 502 | 403 | 404 | 429;
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** Which requests: see {@link FakeGitHub.count}. Default: any. */
  match?: string | RegExp;
  /** Seconds for the `retry-after` header (429 and secondary rate limits); fractions allowed. Default 1. */
  retryAfter?: number;
  /** 403 (or the given 429) with GitHub's secondary-rate-limit message and `retry-after`. */
  secondaryRateLimit?: true;
  /** Override the response message. */
  message?: string;
  /** For a permission 403: the `x-accepted-github-permissions` value. Default derived from the path, e.g. `deployments=write`. */
  permission?: string;
}

type Dict = Record<string, unknown>;

/** Test-side state seeding. Every seeder returns the stored (GitHub-shaped) object. */
export interface Seeder {
  /** A deployment, with optional statuses applied oldest first (same rules as the API, incl. auto-inactive). */
  deployment(d?: {
    owner?: string;
    repo?: string;
    ref?: string;
    sha?: string;
    environment?: string;
    task?: string;
    payload?: Dict | string;
    description?: string | null;
    production_environment?: boolean;
    transient_environment?: boolean;
    created_at?: string;
    statuses?: Array<
      | DeploymentState
      | {
          state: DeploymentState;
          environment_url?: string;
          log_url?: string;
          description?: string;
          auto_inactive?: boolean;
          /** When the status was posted (seeded history); default now. */
          created_at?: string;
        }
    >;
  }): Json;
  environment(e: {
    name: string;
    owner?: string;
    repo?: string;
    wait_timer?: number;
    reviewers?: string[];
    /** The required-reviewers rule's prevent_self_review (default false). */
    prevent_self_review?: boolean;
  }): Json;
  /** A branch: `behindDefault` makes auto_merge merge the default branch (202); `mergeConflict` makes it 409. */
  branch(b: {
    name: string;
    sha?: string;
    owner?: string;
    repo?: string;
    behindDefault?: boolean;
    mergeConflict?: boolean;
  }): void;
  /** A commit for compare; parents are shas (first parent is followed). */
  commit(c: { sha: string; message?: string; parents?: string[]; owner?: string; repo?: string }): Json;
  checkRun(c: {
    ref?: string;
    head_sha?: string;
    name: string;
    status?: string;
    conclusion?: string | null;
    owner?: string;
    repo?: string;
  }): Json;
  commitStatus(s: {
    ref?: string;
    sha?: string;
    context: string;
    state: 'error' | 'failure' | 'pending' | 'success';
    owner?: string;
    repo?: string;
  }): Json;
  pull(p: {
    number?: number;
    head: string;
    head_sha?: string;
    base?: string;
    title?: string;
    state?: 'open' | 'closed';
    merged?: boolean;
    merge_commit_sha?: string | null;
    user?: string;
    owner?: string;
    repo?: string;
  }): Json;
  review(r: {
    pull_number: number;
    state: string;
    user?: string;
    body?: string;
    commit_id?: string;
    owner?: string;
    repo?: string;
  }): Json;
  approval(a: {
    run_id: number;
    environments: string[];
    state?: 'approved' | 'rejected' | 'pending';
    user?: string;
    comment?: string;
  }): Json;
  pendingDeployment(p: {
    run_id: number;
    environment: string;
    wait_timer?: number;
    reviewers?: string[];
    current_user_can_approve?: boolean;
  }): Json;
  /** A workflow run artifact (newest first in listings); `expired` defaults to expires_at <= now. */
  artifact(a: {
    name: string;
    run_id?: number;
    size_in_bytes?: number;
    created_at?: string;
    expires_at?: string;
    retention_days?: number;
    expired?: boolean;
    head_sha?: string;
    head_branch?: string;
    digest?: string;
    owner?: string;
    repo?: string;
  }): Json;
  /** A git tag on a commit (default: the default branch's head); `annotated` adds a tag object. */
  tag(t: {
    name: string;
    sha?: string;
    annotated?: boolean;
    message?: string;
    owner?: string;
    repo?: string;
  }): void;
  /** An open (default) code scanning alert; `security_severity_level` null for non-security rules. */
  codeScanningAlert(a: {
    security_severity_level?: 'low' | 'medium' | 'high' | 'critical' | null;
    severity?: 'none' | 'note' | 'warning' | 'error';
    rule?: string;
    description?: string;
    state?: 'open' | 'dismissed' | 'fixed';
    tool?: string;
    path?: string;
    owner?: string;
    repo?: string;
  }): Json;
  /** An open (default) Dependabot alert. */
  dependabotAlert(a: {
    severity: 'low' | 'medium' | 'high' | 'critical';
    package?: string;
    ecosystem?: string;
    summary?: string;
    state?: 'auto_dismissed' | 'dismissed' | 'fixed' | 'open';
    manifest_path?: string;
    owner?: string;
    repo?: string;
  }): Json;
  /** An issue (numbered after the repository's issues and pulls unless `number` is given); labels by name. */
  issue(i: {
    title: string;
    number?: number;
    state?: 'open' | 'closed';
    labels?: string[];
    body?: string;
    owner?: string;
    repo?: string;
  }): Json;
  /** A commit for compare with its author login and commit time (both author and committer date). */
  commitAt(c: {
    sha: string;
    date: string;
    message?: string;
    parents?: string[];
    author?: string;
    owner?: string;
    repo?: string;
  }): Json;
  /** A file on a branch (the branch is created when missing), as a contents-API write would leave it. */
  file(f: { branch: string; path: string; content: string; owner?: string; repo?: string }): void;
  /**
   * A concurrent writer: the next contents-API write to `branch` finds the branch moved (this file committed by
   * someone else first) and gets GitHub's 409, as when two runs write to the same branch at once.
   */
  raceNextWrite(f: { branch: string; path: string; content: string; owner?: string; repo?: string }): void;
}

export type DeploymentState =
  'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
const DEPLOYMENT_STATES: readonly DeploymentState[] = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
];

/** Inspectable server state (live objects: read, don't mutate). */
export interface FakeState {
  /** All deployments, oldest first. */
  deployments: Json[];
  /** Deployment statuses per deployment id, oldest first. */
  statuses: Map<number, Json[]>;
  issues: Json[];
  comments: Json[];
}

export interface FakeGitHub {
  /** Base URL, for `GITHUB_API_URL` / Octokit `baseUrl`. */
  url: string;
  /** Every request received, in order (including failed ones). */
  requests: RecordedRequest[];
  /**
   * Number of recorded requests matching `pattern`: a RegExp tested against
   * "METHOD /path", or a string "METHOD /path" / "/path" where `*` and
   * `{name}` match one path segment. No pattern counts everything.
   */
  count(pattern?: string | RegExp): number;
  /** Fail the next matching request(s). Faults queue in order. */
  failNext(fault: Fault): void;
  seed: Seeder;
  state: FakeState;
  /** Schema violations found in responses (only with `validate: true`). */
  violations: Array<Violation & { request: string; status: number }>;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message));
  }
}

const notFound = (): HttpError =>
  new HttpError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
const validationFailed = (resource: string, field: string, message: string): HttpError =>
  new HttpError(422, {
    message: 'Validation Failed',
    errors: [{ resource, code: 'custom', field, message }],
    documentation_url: DOCS,
    status: '422',
  });

/** Compiles a {@link FakeGitHub.count} pattern. */
function matcher(pattern: string | RegExp | undefined): (method: string, path: string) => boolean {
  if (pattern === undefined) return () => true;
  if (pattern instanceof RegExp) return (m, p) => pattern.test(`${m} ${p}`);
  const [method, path] = pattern.includes(' ')
    ? (pattern.split(' ', 2) as [string, string])
    : [undefined, pattern];
  const re = templateRegex(path.replace(/\*/g, '{_}'));
  return (m, p) => (method === undefined || method.toUpperCase() === m) && re.test(p);
}

interface Ctx {
  params: Record<string, string>;
  query: Record<string, string>;
  body: Dict;
  repoKey: string;
  repoUrl: string;
  pathname: string;
}
type Result = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (ctx: Ctx) => Result;

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const defaultBranch = opts.defaultBranch ?? 'main';
  const requests: RecordedRequest[] = [];
  const faults: Array<Fault & { left: number; test: (m: string, p: string) => boolean }> = [];
  const violations: FakeGitHub['violations'] = [];
  const state: FakeState = { deployments: [], statuses: new Map(), issues: [], comments: [] };
  const environments: Json[] = [];
  const branches = new Map<string, { sha: string; behindDefault: boolean; mergeConflict: boolean }>();
  const commits = new Map<string, Json>();
  const checkRuns: Json[] = [];
  const commitStatuses: Json[] = [];
  const pulls: Json[] = [];
  const reviews: Json[] = [];
  const approvals = new Map<number, Json[]>();
  const pending = new Map<number, Json[]>();
  const artifacts: Json[] = [];
  /** Git tags: `${repoKey}#${name}` -> target commit sha, and the tag object's sha when annotated. */
  const tags = new Map<string, { name: string; sha: string; tagSha?: string; message?: string }>();
  const users = new Map<string, Json>();
  const codeScanningAlerts: Json[] = [];
  const dependabotAlerts: Json[] = [];
  const labels: Json[] = [];
  const publicLabel = ({ repo: _r, ...l }: Json): Json => l;
  let nextId = 1000;
  let requestSeq = 0;
  let rateRemaining = 5000;
  let api = '';
  // ---- git data for record-deployment: files per branch, trees, commits, tags
  const files = new Map<string, Map<string, { content: string; sha: string }>>();
  const gitTrees = new Map<string, Array<{ path: string; content: string; sha: string }>>();
  const gitCommits = new Map<string, Json>();
  const races: Array<{ key: string; path: string; content: string }> = [];

  const id = (): number => ++nextId;
  const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const userOf = (login: string): Json => {
    let u = users.get(login);
    if (!u) users.set(login, (u = user(api, login, id(), login.endsWith('[bot]') ? 'Bot' : 'User')));
    return u;
  };
  const me = (): Json => userOf(opts.login ?? 'github-actions[bot]');
  const repoKeyOf = (o?: { owner?: string; repo?: string }): string =>
    `${o?.owner ?? 'octo-org'}/${o?.repo ?? 'app'}`;
  const repoUrlOf = (key: string): string => `${api}/repos/${key}`;
  const repos = new Map<string, Json>();
  const repoOf = (key: string): Json => {
    let r = repos.get(key);
    if (!r) {
      const [owner, name] = key.split('/') as [string, string];
      repos.set(key, (r = repository(api, userOf(owner), name, id(), defaultBranch)));
    }
    return r;
  };
  const branchKey = (repoKey: string, name: string): string => `${repoKey}#${name}`;
  /** A ref (branch, 40-hex sha, anything else) to its commit sha. */
  const resolveSha = (repoKey: string, ref: string): string =>
    /^[0-9a-f]{40}$/i.test(ref)
      ? ref.toLowerCase()
      : (branches.get(branchKey(repoKey, ref))?.sha ?? shaOf(`${repoKey}:${ref}`));

  const inRepo = (repoKey: string) => (o: Json) => String(o.repository_url) === repoUrlOf(repoKey);
  const byIdDesc = (a: Json, b: Json): number => Number(b.id) - Number(a.id);

  // ---- deployments -------------------------------------------------------
  function findDeployment(repoKey: string, raw: string): Json {
    const d = state.deployments.find((x) => String(x.id) === raw && inRepo(repoKey)(x));
    if (!d) throw notFound();
    return d;
  }
  const latestStatus = (deploymentId: number): Json | undefined => state.statuses.get(deploymentId)?.at(-1);

  function contextsOk(repoKey: string, sha: string, required: string[] | undefined): string[] {
    const mine = (o: Json) => inRepo(repoKey)(o) && o.sha === sha;
    const statuses = commitStatuses.filter(mine);
    const runs = checkRuns.filter((c) => inRepo(repoKey)(c) && c.head_sha === sha);
    const contexts = required ?? [
      ...new Set([...statuses.map((s) => String(s.context)), ...runs.map((r) => String(r.name))]),
    ];
    return contexts.filter((ctx) => {
      const st = statuses.filter((s) => s.context === ctx).at(-1);
      const run = runs.filter((r) => r.name === ctx).at(-1);
      const ok =
        st?.state === 'success' || ['success', 'neutral', 'skipped'].includes(String(run?.conclusion));
      return !ok;
    });
  }

  function createDeployment(repoKey: string, b: Dict, createdAt = now()): Json {
    const ref = b.ref;
    if (typeof ref !== 'string' || ref === '') throw validationFailed('Deployment', 'ref', 'ref is missing');
    const environment = typeof b.environment === 'string' ? b.environment : 'production';
    let payload: unknown = b.payload ?? {};
    if (typeof payload === 'string') {
      try {
        payload = payload === '' ? {} : JSON.parse(payload);
      } catch {
        // GitHub keeps a non-JSON string payload as the string.
      }
    }
    const deploymentId = id();
    const url = `${repoUrlOf(repoKey)}/deployments/${deploymentId}`;
    const d: Json = {
      url,
      id: deploymentId,
      node_id: nodeId('Deployment', deploymentId),
      sha: typeof b.sha === 'string' ? b.sha : resolveSha(repoKey, ref),
      ref,
      task: typeof b.task === 'string' ? b.task : 'deploy',
      payload,
      original_environment: environment,
      environment,
      description: typeof b.description === 'string' ? b.description : null,
      creator: me(),
      created_at: createdAt,
      updated_at: createdAt,
      statuses_url: `${url}/statuses`,
      repository_url: repoUrlOf(repoKey),
      transient_environment: b.transient_environment === true,
      production_environment:
        typeof b.production_environment === 'boolean'
          ? b.production_environment
          : environment === 'production',
      performed_via_github_app: null,
    };
    state.deployments.push(d);
    state.statuses.set(deploymentId, []);
    if (!environments.some((e) => inRepo(repoKey)(e) && e.name === environment))
      seedEnvironment({ name: environment }, repoKey);
    return d;
  }

  function postDeployment(ctx: Ctx): Result {
    const b = ctx.body;
    if (
      b.payload !== undefined &&
      typeof b.payload !== 'string' &&
      (typeof b.payload !== 'object' || Array.isArray(b.payload))
    ) {
      throw validationFailed('Deployment', 'payload', 'payload must be an object or a JSON string');
    }
    if (typeof b.ref !== 'string') throw validationFailed('Deployment', 'ref', 'ref is missing');
    const branch = branches.get(branchKey(ctx.repoKey, b.ref));
    if (b.auto_merge !== false && branch?.mergeConflict) {
      throw new HttpError(409, {
        message: `Conflict merging ${defaultBranch} into ${b.ref}.`,
        documentation_url: DOCS,
        status: '409',
      });
    }
    if (b.auto_merge !== false && branch?.behindDefault) {
      branch.behindDefault = false;
      branch.sha = shaOf(`${branch.sha}+merge`);
      return { status: 202, body: { message: `Auto-merged ${defaultBranch} into ${b.ref} on deployment.` } };
    }
    const required = Array.isArray(b.required_contexts) ? b.required_contexts.map(String) : undefined;
    const failing = contextsOk(ctx.repoKey, resolveSha(ctx.repoKey, b.ref), required);
    if (failing.length > 0) {
      throw new HttpError(409, {
        message: `Conflict: Commit status checks failed for ${b.ref}.`,
        errors: [
          {
            contexts: failing.map((c) => ({ context: c, state: 'failure' })),
            resource: 'Deployment',
            field: 'required_contexts',
          },
        ],
        documentation_url: DOCS,
        status: '409',
      });
    }
    return { status: 201, body: createDeployment(ctx.repoKey, { ...b, sha: undefined }) };
  }

  function createStatus(d: Json, b: Dict, seededAt?: string): Json {
    const st = b.state;
    if (typeof st !== 'string' || !DEPLOYMENT_STATES.includes(st as DeploymentState)) {
      throw validationFailed('DeploymentStatus', 'state', 'state is not included in the list');
    }
    const description = typeof b.description === 'string' ? b.description : '';
    if (description.length > 140) {
      throw validationFailed(
        'DeploymentStatus',
        'description',
        'description is too long (maximum is 140 characters)',
      );
    }
    if (typeof b.environment === 'string') d.environment = b.environment;
    const statusId = id();
    const createdAt = seededAt ?? now();
    const logUrl =
      typeof b.log_url === 'string' ? b.log_url : typeof b.target_url === 'string' ? b.target_url : '';
    const status: Json = {
      url: `${String(d.url)}/statuses/${statusId}`,
      id: statusId,
      node_id: nodeId('DeploymentStatus', statusId),
      state: st,
      creator: me(),
      description,
      environment: d.environment,
      target_url: logUrl,
      log_url: logUrl,
      environment_url: typeof b.environment_url === 'string' ? b.environment_url : '',
      created_at: createdAt,
      updated_at: createdAt,
      deployment_url: d.url,
      repository_url: d.repository_url,
      performed_via_github_app: null,
    };
    state.statuses.get(Number(d.id))!.push(status);
    d.updated_at = createdAt;
    // auto_inactive (default true): prior non-transient deployments of the same
    // repository and environment whose latest status is success get an inactive status.
    if (st === 'success' && b.auto_inactive !== false && d.transient_environment !== true) {
      for (const other of state.deployments) {
        if (other === d || other.repository_url !== d.repository_url || other.environment !== d.environment)
          continue;
        if (other.transient_environment === true || Number(other.id) > Number(d.id)) continue;
        if (latestStatus(Number(other.id))?.state === 'success')
          createStatus(other, { state: 'inactive', auto_inactive: false });
      }
    }
    return status;
  }

  // ---- environments, checks, pulls, approvals -----------------------------
  function seedEnvironment(
    e: { name: string; wait_timer?: number; reviewers?: string[]; prevent_self_review?: boolean },
    repoKey: string,
  ): Json {
    const envId = id();
    const url = `${repoUrlOf(repoKey)}/environments/${encodeURIComponent(e.name)}`;
    const rules: Json[] = [];
    if (e.wait_timer !== undefined)
      rules.push({
        id: id(),
        node_id: nodeId('GateWaitTimer', envId),
        type: 'wait_timer',
        wait_timer: e.wait_timer,
      });
    if (e.reviewers?.length) {
      rules.push({
        id: id(),
        node_id: nodeId('GateRequiredReviewer', envId),
        type: 'required_reviewers',
        prevent_self_review: e.prevent_self_review ?? false,
        reviewers: e.reviewers.map((login) => ({ type: 'User', reviewer: userOf(login) })),
      });
    }
    const env: Json = {
      id: envId,
      node_id: nodeId('Environment', envId),
      name: e.name,
      url,
      html_url: `https://github.com/${repoKey}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
      created_at: now(),
      updated_at: now(),
      protection_rules: rules,
      deployment_branch_policy: null,
      repository_url: repoUrlOf(repoKey),
    };
    const existing = environments.findIndex((x) => inRepo(repoKey)(x) && x.name === e.name);
    if (existing >= 0) environments.splice(existing, 1, env);
    else environments.push(env);
    return env;
  }
  /** Drops the internal `repository_url` from objects GitHub returns without it. */
  const publicEnv = ({ repository_url: _r, ...env }: Json): Json => env;

  function pullUrls(repoKey: string, n: number): Json {
    const base = `${repoUrlOf(repoKey)}`;
    const html = `https://github.com/${repoKey}/pull/${n}`;
    return {
      url: `${base}/pulls/${n}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${base}/issues/${n}`,
      commits_url: `${base}/pulls/${n}/commits`,
      review_comments_url: `${base}/pulls/${n}/comments`,
      review_comment_url: `${base}/pulls/comments{/number}`,
      comments_url: `${base}/issues/${n}/comments`,
    };
  }

  // ---- routing ------------------------------------------------------------
  function paginate(ctx: Ctx, items: Json[]): { page: Json[]; headers: Record<string, string> } {
    const perPage = Math.min(Math.max(Number(ctx.query.per_page ?? 30) || 30, 1), 100);
    const page = Math.max(Number(ctx.query.page ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const link = (p: number, rel: string): string => {
      const q = new URLSearchParams({ ...ctx.query, per_page: String(perPage), page: String(p) });
      return `<${api}${ctx.pathname}?${q.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    return {
      page: items.slice((page - 1) * perPage, page * perPage),
      headers: links.length ? { link: links.join(', ') } : {},
    };
  }
  const list = (ctx: Ctx, items: Json[]): Result => {
    const { page, headers } = paginate(ctx, items);
    return { status: 200, body: page, headers };
  };
  const wrapped = (ctx: Ctx, key: string, items: Json[]): Result => {
    const { page, headers } = paginate(ctx, items);
    return { status: 200, body: { total_count: items.length, [key]: page }, headers };
  };

  const R = '/repos/{owner}/{repo}';
  const routes: Array<[string, string, Handler]> = [
    ['POST', `${R}/deployments`, postDeployment],
    [
      'GET',
      `${R}/deployments`,
      (ctx) => {
        const q = ctx.query;
        const items = state.deployments
          .filter(inRepo(ctx.repoKey))
          .filter(
            (d) =>
              (q.environment === undefined || d.environment === q.environment) &&
              (q.ref === undefined || d.ref === q.ref),
          )
          .filter(
            (d) => (q.sha === undefined || d.sha === q.sha) && (q.task === undefined || d.task === q.task),
          )
          .sort(byIdDesc);
        return list(ctx, items);
      },
    ],
    [
      'GET',
      `${R}/deployments/{deployment_id}`,
      (ctx) => ({ status: 200, body: findDeployment(ctx.repoKey, ctx.params.deployment_id!) }),
    ],
    [
      'DELETE',
      `${R}/deployments/{deployment_id}`,
      (ctx) => {
        const d = findDeployment(ctx.repoKey, ctx.params.deployment_id!);
        const sameEnv = state.deployments.filter(
          (x) => inRepo(ctx.repoKey)(x) && x.environment === d.environment,
        );
        if (latestStatus(Number(d.id))?.state !== 'inactive' && sameEnv.length > 1) {
          return {
            status: 422,
            body: {
              message:
                'We cannot delete an active deployment unless it is the only deployment in a given environment.',
              documentation_url: DOCS,
            },
          };
        }
        state.deployments.splice(state.deployments.indexOf(d), 1);
        state.statuses.delete(Number(d.id));
        return { status: 204 };
      },
    ],
    [
      'POST',
      `${R}/deployments/{deployment_id}/statuses`,
      (ctx) => ({
        status: 201,
        body: createStatus(findDeployment(ctx.repoKey, ctx.params.deployment_id!), ctx.body),
      }),
    ],
    [
      'GET',
      `${R}/deployments/{deployment_id}/statuses`,
      (ctx) =>
        list(
          ctx,
          [
            ...state.statuses.get(Number(findDeployment(ctx.repoKey, ctx.params.deployment_id!).id))!,
          ].reverse(),
        ),
    ],
    [
      'GET',
      `${R}/environments`,
      (ctx) => wrapped(ctx, 'environments', environments.filter(inRepo(ctx.repoKey)).map(publicEnv)),
    ],
    [
      'GET',
      `${R}/environments/{environment_name}`,
      (ctx) => {
        const env = environments.find(
          (e) => inRepo(ctx.repoKey)(e) && e.name === ctx.params.environment_name,
        );
        if (!env) throw notFound();
        return { status: 200, body: publicEnv(env) };
      },
    ],
    [
      'GET',
      `${R}/commits/{ref}/check-runs`,
      (ctx) => {
        const sha = resolveSha(ctx.repoKey, ctx.params.ref!);
        const runs = checkRuns
          .filter((c) => inRepo(ctx.repoKey)(c) && c.head_sha === sha)
          .filter(
            (c) =>
              (ctx.query.check_name === undefined || c.name === ctx.query.check_name) &&
              (ctx.query.status === undefined || c.status === ctx.query.status),
          )
          .sort(byIdDesc)
          .map(({ repository_url: _r, ...c }) => c);
        return wrapped(ctx, 'check_runs', runs);
      },
    ],
    [
      'GET',
      `${R}/commits/{ref}/status`,
      (ctx) => {
        const sha = resolveSha(ctx.repoKey, ctx.params.ref!);
        // The latest status per context, newest first.
        const latest = new Map<string, Json>();
        for (const s of commitStatuses
          .filter((x) => inRepo(ctx.repoKey)(x) && x.sha === sha)
          .sort(byIdDesc)) {
          if (!latest.has(String(s.context))) latest.set(String(s.context), s);
        }
        const statuses = [...latest.values()].map(({ repository_url: _r, sha: _s, ...s }) => s);
        const states = statuses.map((s) => s.state);
        const combined = states.some((s) => s === 'failure' || s === 'error')
          ? 'failure'
          : states.length === 0 || states.includes('pending')
            ? 'pending'
            : 'success';
        return {
          status: 200,
          body: {
            state: combined,
            statuses,
            sha,
            total_count: statuses.length,
            repository: repoOf(ctx.repoKey),
            commit_url: `${ctx.repoUrl}/commits/${sha}`,
            url: `${ctx.repoUrl}/commits/${sha}/status`,
          },
        };
      },
    ],
    [
      'GET',
      `${R}/pulls`,
      (ctx) => {
        const q = ctx.query;
        const wanted = q.state ?? 'open';
        const items = pulls
          .filter(inPullRepo(ctx.repoKey))
          .filter((p) => wanted === 'all' || p.state === wanted)
          .filter(
            (p) =>
              q.head === undefined || (p.head as Json).label === q.head || (p.head as Json).ref === q.head,
          )
          .filter((p) => q.base === undefined || (p.base as Json).ref === q.base)
          .sort(q.direction === 'asc' ? (a, b) => -byIdDesc(a, b) : byIdDesc);
        return list(ctx, items);
      },
    ],
    [
      'GET',
      `${R}/commits/{commit_sha}/pulls`,
      (ctx) => {
        const sha = resolveSha(ctx.repoKey, ctx.params.commit_sha!);
        return list(
          ctx,
          pulls
            .filter(inPullRepo(ctx.repoKey))
            .filter((p) => (p.head as Json).sha === sha || p.merge_commit_sha === sha),
        );
      },
    ],
    [
      'GET',
      `${R}/pulls/{pull_number}/reviews`,
      (ctx) => {
        const url = `${ctx.repoUrl}/pulls/${ctx.params.pull_number}`;
        return list(
          ctx,
          reviews.filter((r) => r.pull_request_url === url),
        );
      },
    ],
    [
      'POST',
      `${R}/issues`,
      (ctx) => {
        const b = ctx.body;
        if (typeof b.title !== 'string' && typeof b.title !== 'number')
          throw validationFailed('Issue', 'title', 'title is missing');
        const number =
          1 +
          state.issues.filter((i) => i.repository_url === ctx.repoUrl).length +
          pulls.filter(inPullRepo(ctx.repoKey)).length;
        const issueId = id();
        const url = `${ctx.repoUrl}/issues/${number}`;
        const created = now();
        const issue: Json = {
          id: issueId,
          node_id: nodeId('Issue', issueId),
          url,
          repository_url: ctx.repoUrl,
          labels_url: `${url}/labels{/name}`,
          comments_url: `${url}/comments`,
          events_url: `${url}/events`,
          html_url: `https://github.com/${ctx.repoKey}/issues/${number}`,
          number,
          state: 'open',
          title: String(b.title),
          body: typeof b.body === 'string' ? b.body : null,
          user: me(),
          labels: Array.isArray(b.labels)
            ? b.labels
                .map((l) => (typeof l === 'string' ? l : (l as Json).name))
                .filter((l) => typeof l === 'string')
            : [],
          assignee: null,
          assignees: Array.isArray(b.assignees)
            ? b.assignees.filter((a) => typeof a === 'string').map((a) => userOf(a))
            : [],
          milestone: null,
          locked: false,
          comments: 0,
          closed_at: null,
          created_at: created,
          updated_at: created,
          author_association: 'NONE',
        };
        issue.assignee = (issue.assignees as Json[])[0] ?? null;
        state.issues.push(issue);
        return { status: 201, body: issue };
      },
    ],
    [
      'POST',
      `${R}/issues/{issue_number}/comments`,
      (ctx) => {
        const n = Number(ctx.params.issue_number);
        const issue = state.issues.find((i) => i.repository_url === ctx.repoUrl && i.number === n);
        const pull = pulls.find((p) => inPullRepo(ctx.repoKey)(p) && p.number === n);
        if (!issue && !pull) throw notFound();
        if (typeof ctx.body.body !== 'string')
          throw validationFailed('IssueComment', 'body', 'body is missing');
        if (issue) issue.comments = Number(issue.comments) + 1;
        const commentId = id();
        const created = now();
        const comment: Json = {
          id: commentId,
          node_id: nodeId('IssueComment', commentId),
          url: `${ctx.repoUrl}/issues/comments/${commentId}`,
          html_url: `https://github.com/${ctx.repoKey}/issues/${n}#issuecomment-${commentId}`,
          issue_url: `${ctx.repoUrl}/issues/${n}`,
          body: ctx.body.body,
          user: me(),
          created_at: created,
          updated_at: created,
          author_association: 'NONE',
        };
        state.comments.push(comment);
        return { status: 201, body: comment };
      },
    ],
    [
      'GET',
      `${R}/actions/runs/{run_id}/approvals`,
      (ctx) => ({ status: 200, body: approvals.get(Number(ctx.params.run_id)) ?? [] }),
    ],
    [
      'GET',
      `${R}/actions/runs/{run_id}/pending_deployments`,
      (ctx) => ({ status: 200, body: pending.get(Number(ctx.params.run_id)) ?? [] }),
    ],
    ['GET', `${R}/compare/{basehead}`, compare],
    [
      'GET',
      `${R}/actions/artifacts`,
      (ctx) => {
        const items = artifacts
          .filter((a) => a.repoKey === ctx.repoKey)
          .filter((a) => ctx.query.name === undefined || a.name === ctx.query.name)
          .sort(byIdDesc)
          .map(({ repoKey: _k, ...a }) => a);
        return wrapped(ctx, 'artifacts', items);
      },
    ],
    [
      'GET',
      `${R}/git/matching-refs/{ref}`,
      (ctx) => {
        const wanted = ctx.params.ref!;
        const refs: Json[] = [];
        for (const [key, t] of tags) {
          if (!key.startsWith(`${ctx.repoKey}#`)) continue;
          const ref = `refs/tags/${t.name}`;
          if (!ref.startsWith(`refs/${wanted}`)) continue;
          const objectSha = t.tagSha ?? t.sha;
          refs.push({
            ref,
            node_id: nodeId('Ref', parseInt(objectSha.slice(0, 8), 16)),
            url: `${ctx.repoUrl}/git/${ref}`,
            object: {
              type: t.tagSha ? 'tag' : 'commit',
              sha: objectSha,
              url: `${ctx.repoUrl}/git/${t.tagSha ? 'tags' : 'commits'}/${objectSha}`,
            },
          });
        }
        for (const [key, b] of branches) {
          if (!key.startsWith(`${ctx.repoKey}#`)) continue;
          const ref = `refs/heads/${key.slice(ctx.repoKey.length + 1)}`;
          if (!ref.startsWith(`refs/${wanted}`)) continue;
          refs.push({
            ref,
            node_id: nodeId('Ref', parseInt(b.sha.slice(0, 8), 16)),
            url: `${ctx.repoUrl}/git/${ref}`,
            object: { type: 'commit', sha: b.sha, url: `${ctx.repoUrl}/git/commits/${b.sha}` },
          });
        }
        refs.sort((a, b) => String(a.ref).localeCompare(String(b.ref)));
        return { status: 200, body: refs };
      },
    ],
    [
      'GET',
      `${R}/git/tags/{tag_sha}`,
      (ctx) => {
        const t = [...tags.entries()].find(
          ([key, v]) => key.startsWith(`${ctx.repoKey}#`) && v.tagSha === ctx.params.tag_sha,
        )?.[1];
        if (!t) throw notFound();
        const tagger = { name: 'octocat', email: 'octocat@users.noreply.github.com', date: now() };
        return {
          status: 200,
          body: {
            node_id: nodeId('Tag', parseInt(t.tagSha!.slice(0, 8), 16)),
            tag: t.name,
            sha: t.tagSha,
            url: `${ctx.repoUrl}/git/tags/${t.tagSha}`,
            message: t.message ?? t.name,
            tagger,
            object: { type: 'commit', sha: t.sha, url: `${ctx.repoUrl}/git/commits/${t.sha}` },
            verification: {
              verified: false,
              reason: 'unsigned',
              signature: null,
              payload: null,
              verified_at: null,
            },
          },
        };
      },
    ],
    [
      'GET',
      `${R}/code-scanning/alerts`,
      (ctx) => {
        const q = ctx.query;
        const items = codeScanningAlerts
          .filter((a) => a.repoKey === ctx.repoKey)
          .filter((a) => q.state === undefined || a.state === q.state)
          .filter((a) => {
            const rule = a.rule as Json;
            return (
              q.severity === undefined ||
              rule.security_severity_level === q.severity ||
              rule.severity === q.severity
            );
          })
          .sort((a, b) => Number(b.number) - Number(a.number))
          .map(({ repoKey: _k, ...a }) => a);
        return list(ctx, items);
      },
    ],
    [
      'GET',
      `${R}/dependabot/alerts`,
      (ctx) => {
        const q = ctx.query;
        const severities = q.severity?.split(',').map((x) => x.trim());
        const states = q.state?.split(',').map((x) => x.trim());
        const items = dependabotAlerts
          .filter((a) => a.repoKey === ctx.repoKey)
          .filter((a) => states === undefined || states.includes(String(a.state)))
          .filter(
            (a) =>
              severities === undefined ||
              severities.includes(String((a.security_vulnerability as Json).severity)),
          )
          .sort((a, b) => Number(b.number) - Number(a.number))
          .map(({ repoKey: _k, ...a }) => a);
        return list(ctx, items);
      },
    ],
    [
      'GET',
      `${R}/issues/{issue_number}`,
      (ctx) => {
        const n = Number(ctx.params.issue_number);
        const issue = state.issues.find((i) => i.repository_url === ctx.repoUrl && i.number === n);
        if (!issue) throw notFound();
        return { status: 200, body: issue };
      },
    ],
    // labels (rollback's incident issue creates the ones missing)
    ['GET', `${R}/labels`, (ctx) => list(ctx, labels.filter((l) => l.repo === ctx.repoKey).map(publicLabel))],
    [
      'POST',
      `${R}/labels`,
      (ctx) => {
        const name = ctx.body.name;
        if (typeof name !== 'string' || name === '')
          throw validationFailed('Label', 'name', 'name is missing');
        if (labels.some((l) => l.repo === ctx.repoKey && String(l.name).toLowerCase() === name.toLowerCase()))
          throw validationFailed('Label', 'name', 'already_exists');
        const labelId = id();
        const label: Json = {
          id: labelId,
          node_id: nodeId('Label', labelId),
          url: `${ctx.repoUrl}/labels/${encodeURIComponent(name)}`,
          name,
          description: typeof ctx.body.description === 'string' ? ctx.body.description : null,
          color: typeof ctx.body.color === 'string' ? ctx.body.color : 'ededed',
          default: false,
          repo: ctx.repoKey,
        };
        labels.push(label);
        return { status: 201, body: publicLabel(label) };
      },
    ],
    // ---- record-deployment: contents, git refs/trees/commits, tags ----
    ['GET', `${R}/contents/{path}`, getContent],
    ['PUT', `${R}/contents/{path}`, putContent],
    ['GET', `${R}/git/ref/{ref}`, getRef],
    ['POST', `${R}/git/refs`, postRef],
    ['POST', `${R}/git/trees`, postTree],
    ['POST', `${R}/git/commits`, postCommit],
  ];

  // ---- contents and git data ---------------------------------------------------
  function ensureBranchFiles(repoKey: string, branch: string): Map<string, { content: string; sha: string }> {
    const key = branchKey(repoKey, branch);
    if (!branches.has(key))
      branches.set(key, { sha: shaOf(`${key}:root`), behindDefault: false, mergeConflict: false });
    let m = files.get(key);
    if (!m) files.set(key, (m = new Map()));
    return m;
  }
  const blobSha = (content: string): string => shaOf(`blob:${content}`);
  function gitCommitObject(
    repoKey: string,
    sha: string,
    message: string,
    treeSha: string,
    parents: string[],
  ): Json {
    const who = {
      name: 'github-actions[bot]',
      email: 'github-actions[bot]@users.noreply.github.com',
      date: now(),
    };
    const url = `${repoUrlOf(repoKey)}/git/commits/${sha}`;
    return {
      sha,
      node_id: nodeId('Commit', parseInt(sha.slice(0, 8), 16)),
      url,
      html_url: `https://github.com/${repoKey}/commit/${sha}`,
      author: who,
      committer: who,
      tree: { sha: treeSha, url: `${repoUrlOf(repoKey)}/git/trees/${treeSha}` },
      message,
      parents: parents.map((p) => ({
        sha: p,
        url: `${repoUrlOf(repoKey)}/git/commits/${p}`,
        html_url: `https://github.com/${repoKey}/commit/${p}`,
      })),
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  }
  /** Commits one file to a branch; returns the new commit. */
  function writeFile(repoKey: string, branch: string, path: string, content: string, message: string): Json {
    const key = branchKey(repoKey, branch);
    const m = ensureBranchFiles(repoKey, branch);
    const b = branches.get(key)!;
    m.set(path, { content, sha: blobSha(content) });
    const sha = shaOf(`${b.sha}+${path}+${content}`);
    const commitObj = gitCommitObject(repoKey, sha, message, shaOf(`tree:${sha}`), [b.sha]);
    gitCommits.set(`${repoKey}@${sha}`, commitObj);
    b.sha = sha;
    return commitObj;
  }
  function contentFile(ctx: Ctx, branch: string, path: string, f: { content: string; sha: string }): Json {
    const url = `${ctx.repoUrl}/contents/${path}?ref=${encodeURIComponent(branch)}`;
    const html = `https://github.com/${ctx.repoKey}/blob/${branch}/${path}`;
    const git = `${ctx.repoUrl}/git/blobs/${f.sha}`;
    return {
      type: 'file',
      encoding: 'base64',
      size: Buffer.from(f.content, 'base64').length,
      name: path.split('/').at(-1),
      path,
      content: f.content,
      sha: f.sha,
      url,
      git_url: git,
      html_url: html,
      download_url: `https://raw.githubusercontent.com/${ctx.repoKey}/${branch}/${path}`,
      _links: { self: url, git, html },
    };
  }
  const branchOf = (given: unknown): string => (typeof given === 'string' && given ? given : defaultBranch);
  function getContent(ctx: Ctx): Result {
    const branch = branchOf(ctx.query.ref);
    const f = files.get(branchKey(ctx.repoKey, branch))?.get(ctx.params.path!);
    if (!f) throw notFound();
    return { status: 200, body: contentFile(ctx, branch, ctx.params.path!, f) };
  }
  function putContent(ctx: Ctx): Result {
    const b = ctx.body;
    const path = ctx.params.path!;
    if (typeof b.message !== 'string') throw validationFailed('Content', 'message', 'message is missing');
    if (typeof b.content !== 'string') throw validationFailed('Content', 'content', 'content is missing');
    const branch = branchOf(b.branch);
    const key = branchKey(ctx.repoKey, branch);
    if (!branches.has(key) && branch !== defaultBranch)
      throw new HttpError(404, {
        message: `Branch ${branch} not found`,
        documentation_url: DOCS,
        status: '404',
      });
    const race = races.findIndex((r) => r.key === key);
    if (race >= 0) {
      const [r] = races.splice(race, 1);
      const before = branches.get(key)?.sha ?? shaOf(key);
      const moved = writeFile(
        ctx.repoKey,
        branch,
        r!.path,
        Buffer.from(r!.content).toString('base64'),
        'concurrent',
      );
      throw new HttpError(409, {
        message: `refs/heads/${branch} is at ${String(moved.sha)} but expected ${before}`,
        documentation_url: DOCS,
        status: '409',
      });
    }
    const existing = ensureBranchFiles(ctx.repoKey, branch).get(path);
    if (existing && typeof b.sha !== 'string')
      throw new HttpError(422, {
        message: 'Invalid request.\n\n"sha" wasn\'t supplied.',
        documentation_url: DOCS,
        status: '422',
      });
    if (typeof b.sha === 'string' && b.sha !== existing?.sha)
      throw new HttpError(409, {
        message: `${path} does not match ${b.sha}`,
        documentation_url: DOCS,
        status: '409',
      });
    const made = writeFile(ctx.repoKey, branch, path, b.content.replace(/\s+/g, ''), b.message);
    const f = files.get(key)!.get(path)!;
    const c = contentFile(ctx, branch, path, f);
    return {
      status: existing ? 200 : 201,
      body: {
        content: {
          name: c.name,
          path,
          sha: f.sha,
          size: c.size,
          url: c.url,
          html_url: c.html_url,
          git_url: c.git_url,
          download_url: c.download_url,
          type: 'file',
          _links: c._links,
        },
        commit: made,
      },
    };
  }
  function refObject(ctx: Ctx, ref: string, sha: string, type = 'commit'): Json {
    return {
      ref,
      node_id: nodeId('Ref', parseInt(sha.slice(0, 8), 16)),
      url: `${ctx.repoUrl}/git/${ref}`,
      object: { sha, type, url: `${ctx.repoUrl}/git/${type === 'tag' ? 'tags' : 'commits'}/${sha}` },
    };
  }
  function getRef(ctx: Ctx): Result {
    const ref = ctx.params.ref!;
    if (ref.startsWith('heads/')) {
      const b = branches.get(branchKey(ctx.repoKey, ref.slice(6)));
      if (b) return { status: 200, body: refObject(ctx, `refs/${ref}`, b.sha) };
    } else if (ref.startsWith('tags/')) {
      const t = tags.get(`${ctx.repoKey}#${ref.slice(5)}`);
      if (t)
        return {
          status: 200,
          body: refObject(ctx, `refs/${ref}`, t.tagSha ?? t.sha, t.tagSha ? 'tag' : 'commit'),
        };
    }
    throw notFound();
  }
  function postRef(ctx: Ctx): Result {
    const { ref, sha } = ctx.body;
    if (typeof ref !== 'string' || !/^refs\/(heads|tags)\/[^\s]+$/.test(ref) || ref.split('/').length < 3)
      throw new HttpError(422, {
        message: `${String(ref)} is not a valid ref name.`,
        documentation_url: DOCS,
        status: '422',
      });
    if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha))
      throw new HttpError(422, { message: 'Object does not exist', documentation_url: DOCS, status: '422' });
    const name = ref.replace(/^refs\/(heads|tags)\//, '');
    if (ref.startsWith('refs/tags/')) {
      if (tags.has(`${ctx.repoKey}#${name}`))
        throw new HttpError(422, {
          message: 'Reference already exists',
          documentation_url: DOCS,
          status: '422',
        });
      tags.set(`${ctx.repoKey}#${name}`, { name, sha });
      return { status: 201, body: refObject(ctx, ref, sha) };
    }
    const key = branchKey(ctx.repoKey, name);
    if (branches.has(key))
      throw new HttpError(422, {
        message: 'Reference already exists',
        documentation_url: DOCS,
        status: '422',
      });
    const c = gitCommits.get(`${ctx.repoKey}@${sha}`);
    if (!c)
      throw new HttpError(422, { message: 'Object does not exist', documentation_url: DOCS, status: '422' });
    branches.set(key, { sha, behindDefault: false, mergeConflict: false });
    const m = new Map<string, { content: string; sha: string }>();
    for (const e of gitTrees.get(String((c.tree as Json).sha)) ?? [])
      m.set(e.path, { content: e.content, sha: e.sha });
    files.set(key, m);
    return { status: 201, body: refObject(ctx, ref, sha) };
  }
  function postTree(ctx: Ctx): Result {
    const { tree, base_tree } = ctx.body;
    if (!Array.isArray(tree)) throw validationFailed('Tree', 'tree', 'tree is missing');
    if (base_tree !== undefined)
      throw validationFailed('Tree', 'base_tree', 'base_tree is not supported by the fake');
    const entries = (tree as Json[]).map((e) => {
      if (typeof e.path !== 'string' || typeof e.content !== 'string' || e.type !== 'blob')
        throw new HttpError(422, {
          message: 'Invalid tree info',
          errors: [{ resource: 'Tree', code: 'invalid', field: 'tree' }],
          documentation_url: DOCS,
          status: '422',
        });
      const content = Buffer.from(e.content).toString('base64');
      return { path: e.path, content, sha: blobSha(content), mode: String(e.mode ?? '100644') };
    });
    const sha = shaOf(`tree:${JSON.stringify(entries)}`);
    gitTrees.set(sha, entries);
    return {
      status: 201,
      body: {
        sha,
        url: `${ctx.repoUrl}/git/trees/${sha}`,
        truncated: false,
        tree: entries.map((e) => ({
          path: e.path,
          mode: e.mode,
          type: 'blob',
          sha: e.sha,
          size: Buffer.from(e.content, 'base64').length,
          url: `${ctx.repoUrl}/git/blobs/${e.sha}`,
        })),
      },
    };
  }
  function postCommit(ctx: Ctx): Result {
    const { message, tree, parents } = ctx.body;
    if (typeof message !== 'string') throw validationFailed('Commit', 'message', 'message is missing');
    if (typeof tree !== 'string' || !gitTrees.has(tree))
      throw new HttpError(422, {
        message: 'Tree SHA does not exist',
        documentation_url: DOCS,
        status: '422',
      });
    const ps = Array.isArray(parents) ? parents.map(String) : [];
    for (const p of ps)
      if (!gitCommits.has(`${ctx.repoKey}@${p}`))
        throw new HttpError(422, {
          message: 'Parent SHA does not exist or is not a commit object',
          documentation_url: DOCS,
          status: '422',
        });
    const sha = shaOf(`commit:${tree}:${ps.join(',')}:${message}:${requestSeq}`);
    const c = gitCommitObject(ctx.repoKey, sha, message, tree, ps);
    gitCommits.set(`${ctx.repoKey}@${sha}`, c);
    return { status: 201, body: c };
  }

  function inPullRepo(repoKey: string) {
    return (p: Json) => (p.base as Json).repo === repoOf(repoKey);
  }

  function compare(ctx: Ctx): Result {
    const [baseRef, headRef] = decodeURIComponent(ctx.params.basehead!).split('...') as [
      string,
      string | undefined,
    ];
    if (headRef === undefined) throw notFound();
    const base = resolveSha(ctx.repoKey, baseRef);
    const head = resolveSha(ctx.repoKey, headRef);
    const known = (sha: string): Json =>
      commits.get(`${ctx.repoKey}@${sha}`) ?? seedCommit({ sha }, ctx.repoKey);
    const chain = (from: string, stop: string): string[] | undefined => {
      const out: string[] = [];
      for (
        let sha: string | undefined = from;
        sha;
        sha = (known(sha).parents as Json[])[0]?.sha as string | undefined
      ) {
        if (sha === stop) return out;
        out.push(sha);
        if (out.length > 1000) break;
      }
      return undefined;
    };
    const ahead = chain(head, base);
    const behind = ahead ? undefined : chain(base, head);
    const status = base === head ? 'identical' : ahead ? 'ahead' : behind ? 'behind' : 'diverged';
    const headOnly = ahead ?? (behind ? [] : (chain(head, '') ?? []));
    const commitsList = headOnly.reverse().map(known);
    const html = `https://github.com/${ctx.repoKey}/compare/${baseRef}...${headRef}`;
    return {
      status: 200,
      body: {
        url: `${ctx.repoUrl}/compare/${baseRef}...${headRef}`,
        html_url: html,
        permalink_url: `https://github.com/${ctx.repoKey}/compare/${base.slice(0, 7)}...${head.slice(0, 7)}`,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        base_commit: known(base),
        merge_base_commit: known(behind ? head : base),
        status,
        ahead_by: commitsList.length,
        behind_by: behind?.length ?? 0,
        total_commits: commitsList.length,
        commits: commitsList,
        files: [],
      },
    };
  }

  function seedCommit(c: { sha: string; message?: string; parents?: string[] }, repoKey: string): Json {
    const made = commit(
      repoUrlOf(repoKey),
      c.sha,
      c.message ?? `Commit ${c.sha.slice(0, 7)}`,
      c.parents ?? [],
      me(),
      now(),
    );
    commits.set(`${repoKey}@${c.sha}`, made);
    return made;
  }

  // ---- seeding ------------------------------------------------------------
  const seed: Seeder = {
    deployment(d = {}) {
      const repoKey = repoKeyOf(d);
      const dep = createDeployment(repoKey, { ...d, ref: d.ref ?? defaultBranch }, d.created_at);
      for (const s of d.statuses ?? [])
        createStatus(
          dep,
          typeof s === 'string' ? { state: s } : s,
          typeof s === 'string' ? undefined : s.created_at,
        );
      return dep;
    },
    environment: (e) => publicEnv(seedEnvironment(e, repoKeyOf(e))),
    branch(b) {
      const repoKey = repoKeyOf(b);
      branches.set(branchKey(repoKey, b.name), {
        sha: b.sha ?? shaOf(`${repoKey}:${b.name}`),
        behindDefault: b.behindDefault ?? false,
        mergeConflict: b.mergeConflict ?? false,
      });
    },
    commit: (c) => seedCommit(c, repoKeyOf(c)),
    checkRun(c) {
      const repoKey = repoKeyOf(c);
      const runId = id();
      const status = c.status ?? 'completed';
      const started = now();
      const run: Json = {
        id: runId,
        node_id: nodeId('CheckRun', runId),
        head_sha: c.head_sha ?? resolveSha(repoKey, c.ref ?? defaultBranch),
        external_id: '',
        url: `${repoUrlOf(repoKey)}/check-runs/${runId}`,
        html_url: `https://github.com/${repoKey}/runs/${runId}`,
        details_url: `https://github.com/${repoKey}/runs/${runId}`,
        status,
        conclusion: c.conclusion !== undefined ? c.conclusion : status === 'completed' ? 'success' : null,
        started_at: started,
        completed_at: status === 'completed' ? started : null,
        output: {
          title: null,
          summary: null,
          text: null,
          annotations_count: 0,
          annotations_url: `${repoUrlOf(repoKey)}/check-runs/${runId}/annotations`,
        },
        name: c.name,
        check_suite: { id: id() },
        app: null,
        pull_requests: [],
        repository_url: repoUrlOf(repoKey),
      };
      checkRuns.push(run);
      return run;
    },
    commitStatus(s) {
      const repoKey = repoKeyOf(s);
      const statusId = id();
      const created = now();
      const status: Json = {
        url: `${repoUrlOf(repoKey)}/statuses/${statusId}`,
        avatar_url: null,
        id: statusId,
        node_id: nodeId('StatusContext', statusId),
        state: s.state,
        description: null,
        target_url: null,
        context: s.context,
        created_at: created,
        updated_at: created,
        sha: s.sha ?? resolveSha(repoKey, s.ref ?? defaultBranch),
        repository_url: repoUrlOf(repoKey),
      };
      commitStatuses.push(status);
      return status;
    },
    pull(p) {
      const repoKey = repoKeyOf(p);
      const repo = repoOf(repoKey);
      const number =
        p.number ??
        1 +
          pulls.filter(inPullRepo(repoKey)).length +
          state.issues.filter((i) => i.repository_url === repoUrlOf(repoKey)).length;
      const pullId = id();
      const author = userOf(p.user ?? 'octocat');
      const created = now();
      const side = (ref: string, sha: string): Json => ({
        label: `${String((repo.owner as Json).login)}:${ref}`,
        ref,
        sha,
        user: repo.owner,
        repo,
      });
      const urls = pullUrls(repoKey, number);
      const merged = p.merged ?? false;
      const headSha = p.head_sha ?? resolveSha(repoKey, p.head);
      const statusesUrl = `${repoUrlOf(repoKey)}/statuses/${headSha}`;
      const pull: Json = {
        ...urls,
        id: pullId,
        node_id: nodeId('PullRequest', pullId),
        statuses_url: statusesUrl,
        number,
        state: p.state ?? (merged ? 'closed' : 'open'),
        locked: false,
        title: p.title ?? `Pull request ${number}`,
        user: author,
        body: null,
        labels: [],
        milestone: null,
        active_lock_reason: null,
        created_at: created,
        updated_at: created,
        closed_at: merged || p.state === 'closed' ? created : null,
        merged_at: merged ? created : null,
        merge_commit_sha:
          p.merge_commit_sha !== undefined
            ? p.merge_commit_sha
            : merged
              ? shaOf(`merge:${repoKey}:${number}`)
              : null,
        assignee: null,
        assignees: [],
        requested_reviewers: [],
        requested_teams: [],
        head: side(p.head, headSha),
        base: side(p.base ?? defaultBranch, resolveSha(repoKey, p.base ?? defaultBranch)),
        _links: {
          self: { href: urls.url },
          html: { href: urls.html_url },
          issue: { href: urls.issue_url },
          comments: { href: urls.comments_url },
          review_comments: { href: urls.review_comments_url },
          review_comment: { href: urls.review_comment_url },
          commits: { href: urls.commits_url },
          statuses: { href: statusesUrl },
        },
        author_association: 'MEMBER',
        auto_merge: null,
        draft: false,
      };
      pulls.push(pull);
      return pull;
    },
    review(r) {
      const repoKey = repoKeyOf(r);
      const reviewId = id();
      const pr = `${repoUrlOf(repoKey)}/pulls/${r.pull_number}`;
      const html = `https://github.com/${repoKey}/pull/${r.pull_number}#pullrequestreview-${reviewId}`;
      const review: Json = {
        id: reviewId,
        node_id: nodeId('PullRequestReview', reviewId),
        user: userOf(r.user ?? 'reviewer'),
        body: r.body ?? '',
        state: r.state,
        html_url: html,
        pull_request_url: pr,
        _links: { html: { href: html }, pull_request: { href: pr } },
        submitted_at: now(),
        commit_id: r.commit_id ?? null,
        author_association: 'MEMBER',
      };
      reviews.push(review);
      return review;
    },
    approval(a) {
      const approval: Json = {
        environments: a.environments.map((name) => {
          const env = environments.find((e) => e.name === name) ?? seedEnvironment({ name }, repoKeyOf());
          return {
            id: env.id,
            node_id: env.node_id,
            name,
            url: env.url,
            html_url: env.html_url,
            created_at: env.created_at,
            updated_at: env.updated_at,
          };
        }),
        state: a.state ?? 'approved',
        user: userOf(a.user ?? 'reviewer'),
        comment: a.comment ?? '',
      };
      approvals.set(a.run_id, [...(approvals.get(a.run_id) ?? []), approval]);
      return approval;
    },
    pendingDeployment(p) {
      const env =
        environments.find((e) => e.name === p.environment) ??
        seedEnvironment({ name: p.environment }, repoKeyOf());
      const item: Json = {
        environment: {
          id: env.id,
          node_id: env.node_id,
          name: env.name,
          url: env.url,
          html_url: env.html_url,
        },
        wait_timer: p.wait_timer ?? 0,
        wait_timer_started_at: p.wait_timer ? now() : null,
        current_user_can_approve: p.current_user_can_approve ?? false,
        reviewers: (p.reviewers ?? []).map((login) => ({ type: 'User', reviewer: userOf(login) })),
      };
      pending.set(p.run_id, [...(pending.get(p.run_id) ?? []), item]);
      return item;
    },
    artifact(a) {
      const repoKey = repoKeyOf(a);
      const artifactId = id();
      const created = a.created_at ?? now();
      const expires =
        a.expires_at ??
        new Date(Date.parse(created) + (a.retention_days ?? 90) * 86_400_000)
          .toISOString()
          .replace(/\.\d+Z$/, 'Z');
      const runId = a.run_id ?? id();
      const url = `${repoUrlOf(repoKey)}/actions/artifacts/${artifactId}`;
      const artifact: Json = {
        id: artifactId,
        node_id: nodeId('Artifact', artifactId),
        name: a.name,
        size_in_bytes: a.size_in_bytes ?? 1024,
        url,
        archive_download_url: `${url}/zip`,
        expired: a.expired ?? Date.parse(expires) <= Date.now(),
        created_at: created,
        updated_at: created,
        expires_at: expires,
        digest: a.digest ?? null,
        workflow_run: {
          id: runId,
          repository_id: repoOf(repoKey).id,
          head_repository_id: repoOf(repoKey).id,
          head_branch: a.head_branch ?? defaultBranch,
          head_sha: a.head_sha ?? resolveSha(repoKey, defaultBranch),
        },
        repoKey,
      };
      artifacts.push(artifact);
      const { repoKey: _k, ...shown } = artifact;
      return shown;
    },
    tag(t) {
      const repoKey = repoKeyOf(t);
      const sha = t.sha ?? resolveSha(repoKey, defaultBranch);
      tags.set(`${repoKey}#${t.name}`, {
        name: t.name,
        sha,
        ...(t.annotated ? { tagSha: shaOf(`tag:${repoKey}:${t.name}`), message: t.message } : {}),
      });
    },
    commitAt(c) {
      const repoKey = repoKeyOf(c);
      const made = seedCommit(c, repoKey);
      const who = userOf(c.author ?? 'octocat');
      const git = {
        name: String(who.login),
        email: `${String(who.login)}@users.noreply.github.com`,
        date: c.date,
      };
      Object.assign(made, { author: who, committer: who });
      Object.assign(made.commit as Json, { author: git, committer: git });
      return made;
    },
    file(f) {
      const repoKey = repoKeyOf(f);
      ensureBranchFiles(repoKey, f.branch);
      writeFile(repoKey, f.branch, f.path, Buffer.from(f.content).toString('base64'), 'seeded file');
    },
    raceNextWrite(f) {
      races.push({ key: branchKey(repoKeyOf(f), f.branch), path: f.path, content: f.content });
    },
    codeScanningAlert(a) {
      const repoKey = repoKeyOf(a);
      const number = 1 + codeScanningAlerts.filter((x) => x.repoKey === repoKey).length;
      const created = now();
      const url = `${repoUrlOf(repoKey)}/code-scanning/alerts/${number}`;
      const alertState = a.state ?? 'open';
      const alert: Json = {
        number,
        created_at: created,
        updated_at: created,
        url,
        html_url: `https://github.com/${repoKey}/security/code-scanning/${number}`,
        instances_url: `${url}/instances`,
        state: alertState,
        fixed_at: alertState === 'fixed' ? created : null,
        dismissed_by: alertState === 'dismissed' ? userOf('octocat') : null,
        dismissed_at: alertState === 'dismissed' ? created : null,
        dismissed_reason: alertState === 'dismissed' ? 'false positive' : null,
        dismissed_comment: null,
        rule: {
          id: a.rule ?? 'js/sql-injection',
          severity: a.severity ?? 'error',
          security_severity_level:
            a.security_severity_level === undefined ? 'high' : a.security_severity_level,
          description: a.description ?? 'Database query built from user-controlled sources',
          name: a.rule ?? 'js/sql-injection',
          tags: ['security'],
        },
        tool: { name: a.tool ?? 'CodeQL', guid: null, version: '2.20.0' },
        most_recent_instance: {
          ref: `refs/heads/${defaultBranch}`,
          analysis_key: '.github/workflows/codeql.yml:analyze',
          environment: '{}',
          category: '.github/workflows/codeql.yml:analyze',
          state: alertState,
          commit_sha: resolveSha(repoKey, defaultBranch),
          message: { text: a.description ?? 'This query depends on a user-provided value.' },
          location: {
            path: a.path ?? 'src/db.js',
            start_line: 10,
            end_line: 10,
            start_column: 5,
            end_column: 20,
          },
          classifications: [],
        },
        repoKey,
      };
      codeScanningAlerts.push(alert);
      const { repoKey: _k, ...shown } = alert;
      return shown;
    },
    dependabotAlert(a) {
      const repoKey = repoKeyOf(a);
      const number = 1 + dependabotAlerts.filter((x) => x.repoKey === repoKey).length;
      const created = now();
      const pkg = { ecosystem: a.ecosystem ?? 'npm', name: a.package ?? 'lodash' };
      const vulnerability: Json = {
        package: pkg,
        severity: a.severity,
        vulnerable_version_range: '< 4.17.21',
        first_patched_version: { identifier: '4.17.21' },
      };
      const ghsa = `GHSA-${String(number).padStart(4, '0')}-fake-xxxx`;
      const alertState = a.state ?? 'open';
      const alert: Json = {
        number,
        state: alertState,
        dependency: {
          package: pkg,
          manifest_path: a.manifest_path ?? 'package-lock.json',
          scope: 'runtime',
          relationship: 'direct',
        },
        security_advisory: {
          ghsa_id: ghsa,
          cve_id: null,
          summary: a.summary ?? `Prototype pollution in ${pkg.name}`,
          description: 'A vulnerability in a dependency.',
          vulnerabilities: [vulnerability],
          severity: a.severity,
          cvss: { score: 7.4, vector_string: null },
          cwes: [],
          identifiers: [{ type: 'GHSA', value: ghsa }],
          references: [{ url: `https://github.com/advisories/${ghsa}` }],
          published_at: created,
          updated_at: created,
          withdrawn_at: null,
        },
        security_vulnerability: vulnerability,
        url: `${repoUrlOf(repoKey)}/dependabot/alerts/${number}`,
        html_url: `https://github.com/${repoKey}/security/dependabot/${number}`,
        created_at: created,
        updated_at: created,
        dismissed_at: null,
        dismissed_by: null,
        dismissed_reason: null,
        dismissed_comment: null,
        fixed_at: null,
        auto_dismissed_at: null,
        repoKey,
      };
      dependabotAlerts.push(alert);
      const { repoKey: _k, ...shown } = alert;
      return shown;
    },
    issue(i) {
      const repoKey = repoKeyOf(i);
      const repoUrl = repoUrlOf(repoKey);
      const number =
        i.number ??
        1 +
          state.issues.filter((x) => x.repository_url === repoUrl).length +
          pulls.filter(inPullRepo(repoKey)).length;
      const issueId = id();
      const url = `${repoUrl}/issues/${number}`;
      const created = now();
      const closed = i.state === 'closed';
      const issue: Json = {
        id: issueId,
        node_id: nodeId('Issue', issueId),
        url,
        repository_url: repoUrl,
        labels_url: `${url}/labels{/name}`,
        comments_url: `${url}/comments`,
        events_url: `${url}/events`,
        html_url: `https://github.com/${repoKey}/issues/${number}`,
        number,
        state: i.state ?? 'open',
        title: i.title,
        body: i.body ?? null,
        user: userOf('octocat'),
        labels: (i.labels ?? []).map((name) => {
          const labelId = id();
          return {
            id: labelId,
            node_id: nodeId('Label', labelId),
            url: `${repoUrl}/labels/${encodeURIComponent(name)}`,
            name,
            color: 'ededed',
            default: false,
            description: null,
          };
        }),
        assignee: null,
        assignees: [],
        milestone: null,
        locked: false,
        comments: 0,
        closed_at: closed ? created : null,
        created_at: created,
        updated_at: created,
        author_association: 'MEMBER',
      };
      state.issues.push(issue);
      return issue;
    },
  };

  // ---- HTTP -------------------------------------------------------------------
  const compiled = routes.map(([method, template, handler]) => ({
    method,
    template,
    handler,
    re: templateRegex(template),
  }));

  function faultResponse(f: Fault, method: string, path: string): HttpError {
    const retryAfter = String(f.retryAfter ?? 1);
    if (f.secondaryRateLimit) {
      return new HttpError(
        f.status === 429 ? 429 : 403,
        {
          message:
            f.message ??
            `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE:${requestSeq}.`,
          documentation_url:
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          status: String(f.status === 429 ? 429 : 403),
        },
        { 'retry-after': retryAfter },
      );
    }
    switch (f.status) {
      case 429: {
        const reset = Math.ceil(Date.now() / 1000 + Number(retryAfter));
        return new HttpError(
          429,
          {
            message: f.message ?? 'API rate limit exceeded for installation ID 1.',
            documentation_url: DOCS,
            status: '429',
          },
          { 'retry-after': retryAfter, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
        );
      }
      case 403: {
        const area = /^\/repos\/[^/]+\/[^/]+\/([^/]+)/.exec(path)?.[1] ?? 'metadata';
        const permission = { pulls: 'pull_requests', commits: 'contents', compare: 'contents' }[area] ?? area;
        return new HttpError(
          403,
          {
            message: f.message ?? 'Resource not accessible by integration',
            documentation_url: DOCS,
            status: '403',
          },
          {
            'x-accepted-github-permissions':
              f.permission ?? `${permission}=${method === 'GET' ? 'read' : 'write'}`,
          },
        );
      }
      case 404:
        return f.message
          ? new HttpError(404, { message: f.message, documentation_url: DOCS, status: '404' })
          : notFound();
      default:
        return new HttpError(f.status, { message: f.message ?? 'Server Error' });
    }
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  function handle(
    method: string,
    pathname: string,
    query: Record<string, string>,
    body: unknown,
    headers: IncomingHttpHeaders,
  ): Result {
    if (!/^(token|bearer) \S+/i.test(headers.authorization ?? '')) {
      throw new HttpError(401, {
        message: 'Requires authentication',
        documentation_url: DOCS,
        status: '401',
      });
    }
    const fault = faults.find((f) => f.left > 0 && f.test(method, pathname));
    if (fault) {
      fault.left--;
      throw faultResponse(fault, method, pathname);
    }
    for (const route of compiled) {
      if (route.method !== method || !route.re.test(pathname)) continue;
      const parts = pathname.split('/');
      const params: Record<string, string> = {};
      route.template.split('/').forEach((t, i) => {
        if (t.startsWith('{')) params[t.slice(1, -1)] = decodeURIComponent(parts[i]!);
      });
      const repoKey = `${params.owner}/${params.repo}`;
      const dict = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Dict) : {};
      return route.handler({ params, query, body: dict, repoKey, repoUrl: repoUrlOf(repoKey), pathname });
    }
    throw notFound();
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = (req.method ?? 'GET').toUpperCase();
      const query = Object.fromEntries(url.searchParams);
      const body = await readBody(req);
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      requests.push({ method, path: url.pathname, query, headers: req.headers, body });
      requestSeq++;
      let result: Result;
      try {
        result = handle(method, url.pathname, query, body, req.headers);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        result = { status: err.status, body: err.body, headers: err.headers };
      }
      if (opts.validate && result.status !== 401) {
        for (const v of validateResponse(method, url.pathname, result.status, result.body)) {
          violations.push({ ...v, request: `${method} ${url.pathname}`, status: result.status });
        }
      }
      rateRemaining = Math.max(rateRemaining - 1, 0);
      res.writeHead(result.status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-request-id': `FAKE:${requestSeq.toString(16).toUpperCase()}`,
        'x-github-api-version-selected': '2022-11-28',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(rateRemaining),
        'x-ratelimit-used': String(5000 - rateRemaining),
        'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
        ...result.headers,
      });
      res.end(result.body === undefined ? '' : JSON.stringify(result.body));
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `fake-github internal error: ${String(err)}` }));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: api,
    requests,
    count: (pattern) => {
      const test = matcher(pattern);
      return requests.filter((r) => test(r.method, r.path)).length;
    },
    failNext: (fault) => faults.push({ ...fault, left: fault.times ?? 1, test: matcher(fault.match) }),
    seed,
    state,
    violations,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
