/**
 * The GitHub reads preflight-check makes, each one request where the API allows (per_page 100), shared between
 * gates where two need the same thing (the commit's pull request), and every failure turned into a message that
 * names the permission or the thing that was not found.
 */
import {
  listArtifacts,
  tagsAt,
  toGitHubError,
  type ArtifactInfo,
  type GitHubClient,
} from '../core/github.js';

export interface Target {
  owner: string;
  repo: string;
}

export interface CheckRunInfo {
  name: string;
  status: string;
  conclusion: string | null;
  url: string;
  detailsUrl: string;
}

export interface StatusInfo {
  context: string;
  state: string;
  url: string;
  description: string;
}

export interface PullInfo {
  number: number;
  title: string;
  body: string;
  branch: string;
  author: string;
  url: string;
  merged: boolean;
  headSha: string;
  mergeCommitSha: string | null;
}

export interface ReviewInfo {
  user: string;
  state: string;
  submittedAt: string;
  url: string;
}

export interface SecurityAlert {
  kind: 'code-scanning' | 'dependabot';
  number: number;
  severity: string;
  title: string;
  url: string;
}

export interface IssueInfo {
  number: number;
  title: string;
  state: string;
  labels: string[];
  url: string;
  isPull: boolean;
}

export interface DeploymentInfo {
  id: number;
  createdAt: string;
  statuses: Array<{ state: string; createdAt: string; logUrl: string; environmentUrl: string }>;
}

export interface EnvironmentInfo {
  name: string;
  url: string;
  reviewers: string[];
  preventSelfReview: boolean;
  hasReviewersRule: boolean;
  waitTimerMinutes?: number;
}

export interface ApprovalInfo {
  user: string;
  state: string;
  environments: string[];
  comment: string;
}

/** The error of a failed call, with its status, for gates that tell 403/404 apart. */
export class ReadError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly acceptedPermissions = '',
  ) {
    super(message);
  }
}

export class PreflightGitHub {
  private pulls?: Promise<PullInfo[]>;

  constructor(
    private readonly octokit: GitHubClient,
    readonly target: Target,
    /** A second client for the security APIs (`security-token`); the same one by default. */
    private readonly securityOctokit: GitHubClient = octokit,
  ) {}

  private async call<T>(
    what: string,
    permission: string,
    notFound: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = toGitHubError(err, what, { ...this.target, permission, notFound });
      const headers = (err as { response?: { headers?: Record<string, unknown> } }).response?.headers;
      throw new ReadError(e.message, e.status, String(headers?.['x-accepted-github-permissions'] ?? ''));
    }
  }

  /** The commit a branch or tag names (the combined status response carries it). */
  async resolveRef(ref: string): Promise<string> {
    const { data } = await this.call(`Resolving ${ref}`, 'statuses=read', `the ref ${ref} was`, () =>
      this.octokit.rest.repos.getCombinedStatusForRef({ ...this.target, ref, per_page: 1 }),
    );
    return data.sha;
  }

  async checkRuns(sha: string): Promise<CheckRunInfo[]> {
    const runs = await this.call(
      `Listing the check runs of ${sha.slice(0, 7)}`,
      'checks=read',
      'the commit was',
      () =>
        this.octokit.paginate(this.octokit.rest.checks.listForRef, {
          ...this.target,
          ref: sha,
          per_page: 100,
          filter: 'latest',
        }),
    );
    return runs.map((r) => ({
      name: r.name,
      status: r.status,
      conclusion: r.conclusion,
      url: r.html_url ?? '',
      detailsUrl: r.details_url ?? '',
    }));
  }

  async statuses(sha: string): Promise<StatusInfo[]> {
    const { data } = await this.call(
      `Reading the commit statuses of ${sha.slice(0, 7)}`,
      'statuses=read',
      'the commit was',
      () => this.octokit.rest.repos.getCombinedStatusForRef({ ...this.target, ref: sha, per_page: 100 }),
    );
    return data.statuses.map((s) => ({
      context: s.context,
      state: s.state,
      url: s.target_url ?? '',
      description: s.description ?? '',
    }));
  }

  /** Pull requests associated with the commit (merged into it, or whose head it is); one request, shared. */
  pullsFor(sha: string): Promise<PullInfo[]> {
    this.pulls ??= this.call(
      `Finding the pull request of ${sha.slice(0, 7)}`,
      'pull_requests=read',
      'the commit was',
      async () => {
        const { data } = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
          ...this.target,
          commit_sha: sha,
          per_page: 100,
        });
        return data.map((p) => ({
          number: p.number,
          title: p.title,
          body: p.body ?? '',
          branch: p.head.ref,
          author: p.user?.login ?? '',
          url: p.html_url,
          merged: p.merged_at !== null && p.merged_at !== undefined,
          headSha: p.head.sha,
          mergeCommitSha: p.merge_commit_sha ?? null,
        }));
      },
    );
    return this.pulls;
  }

  /** The pull request that brought `sha`: merged into it first, else the one whose head it is. */
  async pullFor(sha: string): Promise<PullInfo | undefined> {
    const pulls = await this.pullsFor(sha);
    return (
      pulls.find((p) => p.merged && p.mergeCommitSha === sha) ??
      pulls.find((p) => p.headSha === sha) ??
      pulls.find((p) => p.merged) ??
      pulls[0]
    );
  }

  async reviews(pull: number): Promise<ReviewInfo[]> {
    const data = await this.call(
      `Listing the reviews of pull request #${pull}`,
      'pull_requests=read',
      `pull request #${pull} was`,
      () =>
        this.octokit.paginate(this.octokit.rest.pulls.listReviews, {
          ...this.target,
          pull_number: pull,
          per_page: 100,
        }),
    );
    return data.map((r) => ({
      user: r.user?.login ?? '',
      state: r.state,
      submittedAt: r.submitted_at ?? '',
      url: r.html_url,
    }));
  }

  async codeScanningAlerts(): Promise<SecurityAlert[]> {
    const data = await this.call(
      'Listing open code scanning alerts',
      'security_events=read',
      'code scanning',
      () =>
        this.securityOctokit.paginate(this.securityOctokit.rest.codeScanning.listAlertsForRepo, {
          ...this.target,
          state: 'open',
          per_page: 100,
        }),
    );
    return data.map((a) => ({
      kind: 'code-scanning' as const,
      number: a.number,
      severity: a.rule.security_severity_level ?? '',
      title: `${a.rule.description ?? a.rule.id ?? 'alert'}${a.most_recent_instance?.location?.path ? ` (${a.most_recent_instance.location.path})` : ''}`,
      url: a.html_url,
    }));
  }

  /** Open Dependabot alerts of the given severities (GitHub filters: one request). */
  async dependabotAlerts(severities: string[]): Promise<SecurityAlert[]> {
    const { data } = await this.call(
      'Listing open Dependabot alerts',
      'security_events=read',
      'Dependabot alerts',
      () =>
        this.securityOctokit.rest.dependabot.listAlertsForRepo({
          ...this.target,
          state: 'open',
          severity: severities.join(','),
          per_page: 100,
        }),
    );
    return data.map((a) => ({
      kind: 'dependabot' as const,
      number: a.number,
      severity: a.security_vulnerability.severity,
      title: `${a.security_advisory.summary} (${a.dependency.package?.name ?? 'dependency'} in ${a.dependency.manifest_path ?? 'a manifest'})`,
      url: a.html_url,
    }));
  }

  async issue(n: number): Promise<IssueInfo> {
    const { data } = await this.call(`Reading issue #${n}`, 'issues=read', `issue #${n} was`, () =>
      this.octokit.rest.issues.get({ ...this.target, issue_number: n }),
    );
    return {
      number: data.number,
      title: data.title,
      state: data.state,
      labels: data.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
      url: data.html_url,
      isPull: data.pull_request !== undefined && data.pull_request !== null,
    };
  }

  /** Is `sha` reachable from `branch` (the branch contains it)? */
  async onBranch(branch: string, sha: string): Promise<{ reachable: boolean; status: string; url: string }> {
    const { data } = await this.call(
      `Comparing ${branch} with ${sha.slice(0, 7)}`,
      'contents=read',
      `the branch ${branch} was`,
      () =>
        this.octokit.rest.repos.compareCommitsWithBasehead({
          ...this.target,
          basehead: `${branch}...${sha}`,
          per_page: 1,
        }),
    );
    return {
      reachable: data.status === 'behind' || data.status === 'identical',
      status: data.status,
      url: data.html_url,
    };
  }

  /** Branch names starting with `prefix` (for branch patterns with a wildcard). */
  async branchesStartingWith(prefix: string): Promise<string[]> {
    const refs = await this.call(
      `Listing branches starting with ${prefix}`,
      'contents=read',
      'the repository was',
      () =>
        this.octokit.paginate(this.octokit.rest.git.listMatchingRefs, {
          ...this.target,
          ref: `heads/${prefix}`,
          per_page: 100,
        }),
    );
    return refs.map((r) => r.ref.replace(/^refs\/heads\//, ''));
  }

  tagsAt(sha: string, prefix: string): Promise<string[]> {
    return tagsAt(this.octokit, this.target, sha, prefix);
  }

  /** Deployments of `sha` to `environment` (newest first, at most 10) with their statuses, fetched concurrently. */
  async deploymentsOf(environment: string, sha: string): Promise<DeploymentInfo[]> {
    const { data } = await this.call(
      `Listing deployments of ${sha.slice(0, 7)} to ${environment}`,
      'deployments=read',
      'the repository was',
      () => this.octokit.rest.repos.listDeployments({ ...this.target, environment, sha, per_page: 10 }),
    );
    return Promise.all(
      data.map(async (d) => {
        const { data: statuses } = await this.call(
          `Reading the statuses of deployment ${d.id}`,
          'deployments=read',
          `deployment ${d.id} was`,
          () =>
            this.octokit.rest.repos.listDeploymentStatuses({
              ...this.target,
              deployment_id: d.id,
              per_page: 100,
            }),
        );
        return {
          id: d.id,
          createdAt: d.created_at,
          statuses: statuses.map((s) => ({
            state: s.state,
            createdAt: s.created_at,
            logUrl: s.log_url ?? s.target_url ?? '',
            environmentUrl: s.environment_url ?? '',
          })),
        };
      }),
    );
  }

  /** The GitHub environment, or undefined when it does not exist. */
  async environment(name: string): Promise<EnvironmentInfo | undefined> {
    try {
      const { data } = await this.call(
        `Reading the environment ${name}`,
        'actions=read',
        `the environment ${name} was`,
        () => this.octokit.rest.repos.getEnvironment({ ...this.target, environment_name: name }),
      );
      const rules = (data.protection_rules ?? []) as Array<{
        type: string;
        wait_timer?: number;
        prevent_self_review?: boolean;
        reviewers?: Array<{
          type?: string;
          reviewer?: { login?: string; slug?: string; name?: string } | null;
        }>;
      }>;
      const reviewersRule = rules.find((r) => r.type === 'required_reviewers');
      return {
        name: data.name,
        url: data.html_url,
        hasReviewersRule: !!reviewersRule,
        reviewers: (reviewersRule?.reviewers ?? []).map((r) =>
          r.type === 'Team'
            ? `team ${r.reviewer?.slug ?? r.reviewer?.name ?? '?'}`
            : (r.reviewer?.login ?? '?'),
        ),
        preventSelfReview: reviewersRule?.prevent_self_review === true,
        waitTimerMinutes: rules.find((r) => r.type === 'wait_timer')?.wait_timer,
      };
    } catch (e) {
      if (e instanceof ReadError && e.status === 404) return undefined;
      throw e;
    }
  }

  async runApprovals(runId: number): Promise<ApprovalInfo[]> {
    const { data } = await this.call(
      `Reading the approvals of run ${runId}`,
      'actions=read',
      `run ${runId} was`,
      () => this.octokit.rest.actions.getReviewsForRun({ ...this.target, run_id: runId }),
    );
    return data.map((a) => ({
      user: a.user.login,
      state: a.state,
      environments: a.environments.map((e) => e.name ?? ''),
      comment: a.comment,
    }));
  }

  async newestArtifact(prefix: string): Promise<ArtifactInfo | undefined> {
    try {
      const found = await listArtifacts(this.octokit, this.target, { namePrefix: prefix, max: 20 });
      return found.find((a) => !a.expired) ?? found[0];
    } catch (err) {
      throw new ReadError(
        err instanceof Error ? err.message : String(err),
        (err as { status?: number }).status,
      );
    }
  }
}
