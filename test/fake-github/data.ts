/**
 * Builders for the GitHub REST objects the fake server returns, shaped after
 * the schemas in test/fixtures/github-openapi-subset.json.
 */
import { createHash } from 'node:crypto';

export type Json = Record<string, unknown>;

/** Deterministic 40-hex "commit sha" for a name (a ref the tests did not seed). */
export function shaOf(name: string): string {
  return createHash('sha1').update(name).digest('hex');
}

/** GitHub-style node id: base64 of "<kind>:<id>". */
export function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind.length}:${kind}${id}`).toString('base64').replace(/=+$/, '');
}

/** A `simple-user` for `login`. */
export function user(api: string, login: string, id: number, type: 'User' | 'Bot' = 'User'): Json {
  const url = `${api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId('User', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `https://github.com/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false,
  };
}

/** URL templates of a `repository` object, relative to the repo's API URL. */
const REPO_URLS: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  contributors_url: '/contributors',
  deployments_url: '/deployments',
  downloads_url: '/downloads',
  events_url: '/events',
  forks_url: '/forks',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  languages_url: '/languages',
  merges_url: '/merges',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  stargazers_url: '/stargazers',
  statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  tags_url: '/tags',
  teams_url: '/teams',
  trees_url: '/git/trees{/sha}',
};

/** A full `repository` object (also valid as `minimal-repository`). */
export function repository(api: string, owner: Json, name: string, id: number, defaultBranch: string): Json {
  const fullName = `${String(owner.login)}/${name}`;
  const url = `${api}/repos/${fullName}`;
  const urls = Object.fromEntries(Object.entries(REPO_URLS).map(([k, suffix]) => [k, `${url}${suffix}`]));
  return {
    id,
    node_id: nodeId('Repository', id),
    name,
    full_name: fullName,
    owner,
    private: true,
    html_url: `https://github.com/${fullName}`,
    description: null,
    fork: false,
    url,
    ...urls,
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `https://github.com/${fullName}.git`,
    svn_url: `https://github.com/${fullName}`,
    homepage: null,
    language: 'TypeScript',
    mirror_url: null,
    license: null,
    size: 1024,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    open_issues: 0,
    open_issues_count: 0,
    default_branch: defaultBranch,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: 'private',
    pushed_at: '2024-01-01T00:00:00Z',
    created_at: '2023-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
  };
}

/** A `commit` object (as in compare results). */
export function commit(
  repoUrl: string,
  sha: string,
  message: string,
  parents: string[],
  author: Json,
  date: string,
): Json {
  const gitAuthor = {
    name: String(author.login),
    email: `${String(author.login)}@users.noreply.github.com`,
    date,
  };
  return {
    url: `${repoUrl}/commits/${sha}`,
    sha,
    node_id: nodeId('Commit', parseInt(sha.slice(0, 8), 16)),
    html_url: `https://github.com/${repoUrl.split('/repos/')[1]}/commit/${sha}`,
    comments_url: `${repoUrl}/commits/${sha}/comments`,
    commit: {
      url: `${repoUrl}/git/commits/${sha}`,
      author: gitAuthor,
      committer: gitAuthor,
      message,
      comment_count: 0,
      tree: { sha: shaOf(`tree:${sha}`), url: `${repoUrl}/git/trees/${shaOf(`tree:${sha}`)}` },
    },
    author,
    committer: author,
    parents: parents.map((p) => ({ sha: p, url: `${repoUrl}/commits/${p}` })),
  };
}
