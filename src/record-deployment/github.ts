/**
 * The GitHub reads and writes record-deployment needs, on the shared client (retry + throttling): deployments and
 * their statuses, run approvals, compare, tags, and the contents / git-data writes of the records branch. Every
 * failure becomes a GitHubApiError that names the permission (403) or what was missing (404).
 */
import {
  tagsAt,
  toGitHubError,
  type Deployment,
  type DeploymentStatus,
  type GitHubClient,
} from '../core/github.js';

export interface Approval {
  login: string;
  state: string;
  comment: string;
  environments: string[];
}

export interface CompareCommit {
  sha: string;
  message: string;
  author: string;
  date?: string;
}

export interface Comparison {
  status: string;
  total: number;
  commits: CompareCommit[];
  url: string;
}

export interface StoredFile {
  sha: string;
  text: string;
}

/** Thrown by the contents API write: `kind` says which race or refusal it was. */
export class WriteRefused extends Error {
  constructor(
    readonly kind: 'exists' | 'conflict' | 'no-branch',
    message: string,
  ) {
    super(message);
  }
}

interface ErrorLike {
  status?: number;
  message?: string;
  response?: { data?: { message?: unknown } };
}
const statusOf = (e: unknown): number | undefined => (e as ErrorLike)?.status;
const apiMessage = (e: unknown): string => {
  const m = (e as ErrorLike)?.response?.data?.message;
  return typeof m === 'string' ? m : ((e as ErrorLike)?.message ?? String(e));
};

export class RecordGitHub {
  constructor(
    private readonly octokit: GitHubClient,
    private readonly target: { owner: string; repo: string },
  ) {}

  private get r(): { owner: string; repo: string } {
    return { owner: this.target.owner, repo: this.target.repo };
  }

  private async call<T>(
    what: string,
    permission: string,
    notFound: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toGitHubError(err, what, { ...this.target, permission, notFound });
    }
  }

  /** One page (100, newest first) of the environment's deployments, and the number of the last page. */
  async deploymentsPage(
    environment: string,
    page: number,
  ): Promise<{ items: Deployment[]; lastPage: number }> {
    const res = await this.call(
      `Listing deployments of ${environment}`,
      'deployments=read',
      'the repository was',
      () => this.octokit.rest.repos.listDeployments({ ...this.r, environment, per_page: 100, page }),
    );
    const link = String(res.headers.link ?? '');
    const last = /[?&]page=(\d+)[^>]*>;\s*rel="last"/.exec(link);
    return { items: res.data, lastPage: last ? Number(last[1]) : page };
  }

  /** The deployment, or undefined on 404. */
  async deployment(id: number): Promise<Deployment | undefined> {
    try {
      return (await this.octokit.rest.repos.getDeployment({ ...this.r, deployment_id: id })).data;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw toGitHubError(err, `Reading deployment ${id}`, {
        ...this.target,
        permission: 'deployments=read',
        notFound: `deployment ${id} was`,
      });
    }
  }

  private readonly statusCache = new Map<number, Promise<DeploymentStatus[]>>();

  /** Statuses of a deployment, newest first (up to 100: a deployment has a handful); read once per run. */
  statuses(id: number): Promise<DeploymentStatus[]> {
    let p = this.statusCache.get(id);
    if (!p) {
      p = this.readStatuses(id);
      p.catch(() => this.statusCache.delete(id));
      this.statusCache.set(id, p);
    }
    return p;
  }

  private async readStatuses(id: number): Promise<DeploymentStatus[]> {
    const { data } = await this.call(
      `Reading the statuses of deployment ${id}`,
      'deployments=read',
      `deployment ${id} was`,
      () => this.octokit.rest.repos.listDeploymentStatuses({ ...this.r, deployment_id: id, per_page: 100 }),
    );
    return data;
  }

  async approvals(runId: number): Promise<Approval[]> {
    const { data } = await this.call(
      `Reading the approvals of run ${runId}`,
      'actions=read',
      `run ${runId} was`,
      () => this.octokit.rest.actions.getReviewsForRun({ ...this.r, run_id: runId }),
    );
    return data.map((a) => ({
      login: a.user.login,
      state: a.state,
      comment: a.comment,
      environments: (a.environments ?? []).map((e) => e.name ?? '').filter(Boolean),
    }));
  }

  private readonly compareCache = new Map<string, Promise<Comparison>>();

  /** Commits in head but not in base (GitHub lists at most 250 in one response; `total` is the full count). */
  compare(base: string, head: string): Promise<Comparison> {
    const key = `${base}...${head}`;
    let p = this.compareCache.get(key);
    if (!p) {
      p = this.readCompare(base, head);
      p.catch(() => this.compareCache.delete(key));
      this.compareCache.set(key, p);
    }
    return p;
  }

  private async readCompare(base: string, head: string): Promise<Comparison> {
    const { data } = await this.call(
      `Comparing ${base.slice(0, 7)}...${head.slice(0, 7)}`,
      'contents=read',
      'one of the commits was',
      () => this.octokit.rest.repos.compareCommitsWithBasehead({ ...this.r, basehead: `${base}...${head}` }),
    );
    return {
      status: data.status,
      total: data.total_commits,
      url: data.html_url,
      commits: data.commits.map((c) => ({
        sha: c.sha,
        message: c.commit.message,
        author: c.author?.login ?? c.commit.author?.name ?? 'unknown',
        date: c.commit.committer?.date ?? c.commit.author?.date,
      })),
    };
  }

  /** Tags pointing at commit `sha` whose name starts with `prefix` (core's tagsAt: annotated tags followed). */
  tagsAt(sha: string, prefix: string): Promise<string[]> {
    return tagsAt(this.octokit, this.r, sha, prefix);
  }

  /** A file on `branch`, or undefined when it (or the branch) does not exist. */
  async readFile(branch: string, path: string): Promise<StoredFile | undefined> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ ...this.r, path, ref: branch });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
      return { sha: data.sha, text: Buffer.from(data.content, 'base64').toString('utf8') };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw toGitHubError(err, `Reading ${path} on ${branch}`, {
        ...this.target,
        permission: 'contents=read',
        notFound: `${path} was`,
      });
    }
  }

  /**
   * Creates `path` on `branch` (or replaces it when `sha` is the current blob's). Races and refusals come back as
   * {@link WriteRefused}: `exists` (a file is there and no/another sha was given), `conflict` (the branch moved
   * under us: another run committed at the same moment), `no-branch`.
   */
  async writeFile(
    branch: string,
    path: string,
    text: string,
    message: string,
    sha?: string,
  ): Promise<{ url: string; commit: string }> {
    try {
      const { data } = await this.octokit.rest.repos.createOrUpdateFileContents({
        ...this.r,
        path,
        branch,
        message,
        sha,
        content: Buffer.from(text, 'utf8').toString('base64'),
      });
      return { url: data.content?.html_url ?? '', commit: data.commit.sha ?? '' };
    } catch (err) {
      const status = statusOf(err);
      const msg = apiMessage(err);
      if ((status === 404 || status === 422) && /branch .*not found|no commit found for the ref/i.test(msg))
        throw new WriteRefused('no-branch', msg);
      if (status === 422 && /sha/i.test(msg)) throw new WriteRefused('exists', msg);
      if (status === 409) throw new WriteRefused(/does not match/i.test(msg) ? 'exists' : 'conflict', msg);
      throw toGitHubError(err, `Committing ${path} to ${branch}`, {
        ...this.target,
        permission: 'contents=write',
        notFound: `the repository or branch ${branch} was`,
      });
    }
  }

  /** Whether `branch` exists. */
  async branchExists(branch: string): Promise<boolean> {
    try {
      await this.octokit.rest.git.getRef({ ...this.r, ref: `heads/${branch}` });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw toGitHubError(err, `Reading branch ${branch}`, {
        ...this.target,
        permission: 'contents=read',
        notFound: `branch ${branch} was`,
      });
    }
  }

  /**
   * Creates `branch` as an orphan: one commit without parents holding `files`. Returns false when another run
   * created it first (422 "Reference already exists"), which is as good.
   */
  async createOrphanBranch(branch: string, files: Record<string, string>, message: string): Promise<boolean> {
    const what = `Creating branch ${branch}`;
    const opts = { ...this.target, permission: 'contents=write', notFound: 'the repository was' };
    try {
      const tree = await this.octokit.rest.git.createTree({
        ...this.r,
        tree: Object.entries(files).map(([path, content]) => ({
          path,
          mode: '100644',
          type: 'blob',
          content,
        })),
      });
      const commit = await this.octokit.rest.git.createCommit({
        ...this.r,
        message,
        tree: tree.data.sha,
        parents: [],
      });
      await this.octokit.rest.git.createRef({ ...this.r, ref: `refs/heads/${branch}`, sha: commit.data.sha });
      return true;
    } catch (err) {
      if (statusOf(err) === 422 && /already exists/i.test(apiMessage(err))) return false;
      throw toGitHubError(err, what, opts);
    }
  }
}
