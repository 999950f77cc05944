import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Octokit } from '@octokit/rest';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { loadSubset, validate, validateResponse } from '../fake-github/validate.js';

const repo = { owner: 'octo-org', repo: 'app' };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function client(fake: FakeGitHub, opts: { retries?: number } = {}): Octokit {
  return new Octokit({
    auth: 'test-token',
    baseUrl: fake.url,
    log: quiet,
    request: { retries: opts.retries ?? 0 },
  });
}

describe('schema validator', () => {
  const schemas = loadSubset().components.schemas;

  test('accepts a documented shape and reports a deliberately wrong one', () => {
    const ok = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' };
    assert.deepEqual(validate(schemas['basic-error']!, ok), []);
    const wrongStatus = { id: '1', node_id: 'x', state: 'exploded', creator: null };
    const violations = validate(schemas['deployment-status']!, wrongStatus);
    const messages = violations.map((v) => `${v.path}: ${v.message}`);
    assert.ok(
      messages.some((m) => m.startsWith('$.id: expected integer')),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('$.state:') && m.includes('not one of')),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.includes('missing required property "deployment_url"')),
      messages.join('\n'),
    );
  });

  test('handles nullable, oneOf, date-time and uri', () => {
    const payload = schemas.deployment!.properties!.payload!;
    assert.deepEqual(validate(payload, { a: 1 }), []);
    assert.deepEqual(validate(payload, 'str'), []);
    assert.equal(validate(payload, 3).length, 1);
    assert.deepEqual(validate(schemas.deployment!.properties!.description!, null), []);
    assert.equal(validate({ type: 'string', format: 'date-time' }, 'yesterday').length, 1);
    assert.deepEqual(validate({ type: 'string', format: 'date-time' }, '2024-01-01T00:00:00Z'), []);
    assert.equal(validate({ type: 'string', format: 'uri' }, 'not a url').length, 1);
    assert.equal(
      validate({ type: 'object', properties: {}, additionalProperties: false }, { x: 1 }).length,
      1,
    );
  });

  test('validateResponse picks the operation and status', () => {
    assert.deepEqual(validateResponse('DELETE', '/repos/a/b/deployments/1', 204, undefined), []);
    assert.equal(validateResponse('DELETE', '/repos/a/b/deployments/1', 204, {}).length, 1);
    assert.equal(validateResponse('GET', '/repos/a/b/deployments/1', 200, { id: 1 }).length > 0, true);
    assert.equal(validateResponse('GET', '/repos/a/b/deployments/1', 299, {}).length, 1);
    assert.deepEqual(validateResponse('GET', '/repos/a/b/deployments', 500, { message: 'x' }), []);
  });
});

describe('fake GitHub through Octokit', () => {
  let fake: FakeGitHub;
  let gh: Octokit;

  before(async () => {
    fake = await startFakeGitHub({ validate: true });
    gh = client(fake);
  });
  after(() => fake.close());

  test('every endpoint answers with schema-valid bodies', async () => {
    fake.seed.environment({ name: 'production', wait_timer: 5, reviewers: ['alice'] });
    fake.seed.branch({ name: 'feature', sha: 'b'.repeat(40) });
    fake.seed.commit({ sha: 'a'.repeat(40), message: 'base' });
    fake.seed.commit({ sha: 'c'.repeat(40), message: 'middle', parents: ['a'.repeat(40)] });
    fake.seed.commit({ sha: 'b'.repeat(40), message: 'head', parents: ['c'.repeat(40)] });
    fake.seed.checkRun({ ref: 'feature', name: 'ci / test' });
    fake.seed.checkRun({ ref: 'feature', name: 'ci / lint', status: 'in_progress' });
    fake.seed.commitStatus({ ref: 'feature', context: 'ci/legacy', state: 'success' });
    const pull = fake.seed.pull({ head: 'feature', head_sha: 'b'.repeat(40), title: 'Feature' });
    fake.seed.review({ pull_number: Number(pull.number), state: 'APPROVED', commit_id: 'b'.repeat(40) });
    fake.seed.approval({ run_id: 77, environments: ['production'], user: 'alice', comment: 'ship it' });
    fake.seed.pendingDeployment({
      run_id: 77,
      environment: 'production',
      wait_timer: 5,
      reviewers: ['alice'],
    });

    const created = await gh.rest.repos.createDeployment({
      ...repo,
      ref: 'feature',
      environment: 'production',
      payload: { version: '1.2.3' },
      description: 'Deploy 1.2.3',
      auto_merge: false,
      required_contexts: [],
    });
    assert.equal(created.status, 201);
    assert.ok('id' in created.data);
    const id = created.data.id;
    assert.equal(created.data.sha, 'b'.repeat(40));
    assert.deepEqual(created.data.payload, { version: '1.2.3' });
    assert.equal(created.data.production_environment, true);

    await gh.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: id,
      state: 'in_progress',
      log_url: 'https://ci.example/1',
    });
    const st = await gh.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: id,
      state: 'success',
      environment_url: 'https://app.example',
    });
    assert.equal(st.data.state, 'success');
    assert.equal(st.data.environment_url, 'https://app.example');

    const statuses = await gh.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: id });
    assert.deepEqual(
      statuses.data.map((s) => s.state),
      ['success', 'in_progress'],
    );
    assert.equal((await gh.rest.repos.getDeployment({ ...repo, deployment_id: id })).data.id, id);
    assert.equal(
      (await gh.rest.repos.listDeployments({ ...repo, environment: 'production' })).data.length,
      1,
    );

    const envs = await gh.rest.repos.getAllEnvironments(repo);
    assert.deepEqual(
      envs.data.environments?.map((e) => e.name),
      ['production'],
    );
    const env = await gh.rest.repos.getEnvironment({ ...repo, environment_name: 'production' });
    assert.equal(env.data.protection_rules?.length, 2);

    const runs = await gh.rest.checks.listForRef({ ...repo, ref: 'feature' });
    assert.equal(runs.data.total_count, 2);
    const combined = await gh.rest.repos.getCombinedStatusForRef({ ...repo, ref: 'feature' });
    assert.equal(combined.data.state, 'success');

    assert.equal((await gh.rest.pulls.list(repo)).data[0]?.title, 'Feature');
    assert.equal(
      (await gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: 'b'.repeat(40) })).data
        .length,
      1,
    );
    assert.equal(
      (await gh.rest.pulls.listReviews({ ...repo, pull_number: Number(pull.number) })).data[0]?.state,
      'APPROVED',
    );

    const issue = await gh.rest.issues.create({
      ...repo,
      title: 'Deploy failed',
      body: 'details',
      labels: ['deploy'],
    });
    assert.equal(issue.status, 201);
    const comment = await gh.rest.issues.createComment({
      ...repo,
      issue_number: issue.data.number,
      body: 'retrying',
    });
    assert.equal(comment.data.body, 'retrying');
    await gh.rest.issues.createComment({ ...repo, issue_number: Number(pull.number), body: 'on the PR' });

    assert.equal(
      (await gh.rest.actions.getReviewsForRun({ ...repo, run_id: 77 })).data[0]?.state,
      'approved',
    );
    assert.equal(
      (await gh.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: 77 })).data[0]?.environment.name,
      'production',
    );

    const cmp = await gh.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `${'a'.repeat(40)}...feature`,
    });
    assert.equal(cmp.data.status, 'ahead');
    assert.equal(cmp.data.ahead_by, 2);
    assert.deepEqual(
      cmp.data.commits.map((c) => c.commit.message),
      ['middle', 'head'],
    );

    // Deleting needs an inactive deployment unless it is the only one.
    const other = fake.seed.deployment({ environment: 'production', statuses: ['success'] });
    await assert.rejects(gh.rest.repos.deleteDeployment({ ...repo, deployment_id: Number(other.id) }), {
      status: 422,
    });
    await gh.rest.repos.deleteDeployment({ ...repo, deployment_id: id });
    await assert.rejects(gh.rest.repos.getDeployment({ ...repo, deployment_id: id }), { status: 404 });

    fake.seed.artifact({ name: 'backup-production-1', run_id: 5 });
    const artifacts = await gh.rest.actions.listArtifactsForRepo({ ...repo, name: 'backup-production-1' });
    assert.equal(artifacts.data.artifacts[0]?.workflow_run?.id, 5);
    fake.seed.tag({ name: 'v1.0.0', sha: 'c'.repeat(40), annotated: true });
    const refs = await gh.rest.git.listMatchingRefs({ ...repo, ref: 'tags/v1' });
    assert.equal(refs.data[0]?.object.type, 'tag');
    const tag = await gh.rest.git.getTag({ ...repo, tag_sha: refs.data[0]!.object.sha });
    assert.equal(tag.data.object.sha, 'c'.repeat(40));
    // preflight-check: alerts and a labelled issue.
    fake.seed.codeScanningAlert({ security_severity_level: 'high' });
    fake.seed.dependabotAlert({ severity: 'critical' });
    const ticket = fake.seed.issue({ title: 'CHG: release', labels: ['change-approved'] });
    assert.equal((await gh.rest.codeScanning.listAlertsForRepo({ ...repo, state: 'open' })).data.length, 1);
    assert.equal(
      (await gh.rest.dependabot.listAlertsForRepo({ ...repo, state: 'open', severity: 'high,critical' })).data
        .length,
      1,
    );
    const got = await gh.rest.issues.get({ ...repo, issue_number: Number(ticket.number) });
    assert.deepEqual(
      got.data.labels.map((l) => (typeof l === 'string' ? l : l.name)),
      ['change-approved'],
    );
    // Labels (rollback creates the incident labels that are missing) and issue assignees.
    assert.deepEqual((await gh.rest.issues.listLabelsForRepo(repo)).data, []);
    const label = await gh.rest.issues.createLabel({ ...repo, name: 'incident', color: 'b60205' });
    assert.equal(label.status, 201);
    assert.deepEqual(
      (await gh.rest.issues.listLabelsForRepo(repo)).data.map((l) => l.name),
      ['incident'],
    );
    await assert.rejects(gh.rest.issues.createLabel({ ...repo, name: 'Incident' }), { status: 422 });
    const assigned = await gh.rest.issues.create({ ...repo, title: 'Rollback', assignees: ['oncall'] });
    assert.deepEqual(
      assigned.data.assignees?.map((a) => a.login),
      ['oncall'],
    );

    // record-deployment: an orphan branch through git data, then a file through the contents API.
    const tree = await gh.rest.git.createTree({
      ...repo,
      tree: [{ path: 'README.md', mode: '100644', type: 'blob', content: 'records' }],
    });
    const root = await gh.rest.git.createCommit({
      ...repo,
      message: 'root',
      tree: tree.data.sha,
      parents: [],
    });
    await gh.rest.git.createRef({ ...repo, ref: 'refs/heads/records', sha: root.data.sha });
    assert.equal(
      (await gh.rest.git.getRef({ ...repo, ref: 'heads/records' })).data.object.sha,
      root.data.sha,
    );
    const file = { ...repo, branch: 'records', path: 'a/b.json', message: 'add', content: 'e30=' };
    const put = await gh.rest.repos.createOrUpdateFileContents(file);
    await assert.rejects(gh.rest.repos.createOrUpdateFileContents(file), { status: 422 });
    const content = await gh.rest.repos.getContent({ ...repo, ref: 'records', path: 'a/b.json' });
    assert.equal(!Array.isArray(content.data) && content.data.sha, put.data.content?.sha);

    const unexercised = Object.keys(loadSubset().operations).filter((op) => fake.count(op) === 0);
    assert.deepEqual(unexercised, []);
    assert.equal(fake.requests.length, 40);
    assert.deepEqual(fake.violations, []);
  });

  test('auth is required', async () => {
    const anon = new Octokit({ baseUrl: fake.url, log: quiet, request: { retries: 0 } });
    await assert.rejects(anon.rest.repos.listDeployments(repo), { status: 401 });
    assert.equal(fake.requests.at(-1)?.headers.authorization, undefined);
  });

  test('bad deployment status state is a 422 in GitHub error shape', async () => {
    const d = fake.seed.deployment({ environment: 'qa' });
    const err = await gh
      .request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        ...repo,
        deployment_id: Number(d.id),
        state: 'exploded' as 'error',
      })
      .catch(
        (e: unknown) =>
          e as { status: number; response: { data: { message: string; errors: Array<{ field: string }> } } },
      );
    assert.ok(err && typeof err === 'object' && 'status' in err);
    assert.equal(err.status, 422);
    assert.equal(err.response.data.message, 'Validation Failed');
    assert.equal(err.response.data.errors[0]?.field, 'state');
    assert.deepEqual(fake.violations, []);
  });

  test('a JSON string payload is stored as an object; required contexts are checked', async () => {
    const created = await gh.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'qa',
      payload: '{"a":1}',
      auto_merge: false,
      required_contexts: [],
    });
    assert.ok('id' in created.data);
    assert.deepEqual(created.data.payload, { a: 1 });
    fake.seed.checkRun({ ref: 'red', name: 'ci', conclusion: 'failure' });
    await assert.rejects(
      gh.rest.repos.createDeployment({ ...repo, ref: 'red', environment: 'qa', auto_merge: false }),
      { status: 409 },
    );
    fake.seed.branch({ name: 'behind', behindDefault: true });
    const merged = await gh.rest.repos.createDeployment({
      ...repo,
      ref: 'behind',
      environment: 'qa',
      required_contexts: [],
    });
    assert.equal(merged.status, 202);
    assert.deepEqual(fake.violations, []);
  });

  test('deployments paginate newest first across 3 pages with a Link header', async () => {
    const seeded = Array.from({ length: 7 }, (_, i) =>
      fake.seed.deployment({ environment: 'paged', ref: `v${i}` }),
    );
    const first = await gh.rest.repos.listDeployments({ ...repo, environment: 'paged', per_page: 3 });
    assert.deepEqual(
      first.data.map((d) => d.ref),
      ['v6', 'v5', 'v4'],
    );
    const link = first.headers.link ?? '';
    assert.match(link, /[?&]page=2[^>]*>; rel="next"/);
    assert.match(link, /[?&]page=3[^>]*>; rel="last"/);
    assert.match(link, /environment=paged/);
    const all = await gh.paginate(gh.rest.repos.listDeployments, {
      ...repo,
      environment: 'paged',
      per_page: 3,
    });
    assert.deepEqual(
      all.map((d) => d.id),
      seeded.map((d) => d.id).reverse(),
    );
    const before = fake.count('GET /repos/{owner}/{repo}/deployments');
    const last = await gh.rest.repos.listDeployments({ ...repo, environment: 'paged', per_page: 3, page: 3 });
    assert.deepEqual(
      last.data.map((d) => d.ref),
      ['v0'],
    );
    assert.doesNotMatch(last.headers.link ?? '', /rel="next"/);
    assert.match(last.headers.link ?? '', /rel="prev"/);
    assert.equal(fake.count('GET /repos/*/*/deployments'), before + 1);
    assert.equal(fake.count(/^GET \/repos\/octo-org\/app\/deployments$/), before + 1);
  });

  test('filters by ref, sha and task', async () => {
    fake.seed.deployment({ environment: 'filters', ref: 'x', task: 'deploy:migrations' });
    fake.seed.deployment({ environment: 'filters', ref: 'y', sha: 'f'.repeat(40) });
    const byTask = await gh.rest.repos.listDeployments({
      ...repo,
      environment: 'filters',
      task: 'deploy:migrations',
    });
    assert.deepEqual(
      byTask.data.map((d) => d.ref),
      ['x'],
    );
    assert.equal((await gh.rest.repos.listDeployments({ ...repo, sha: 'f'.repeat(40) })).data[0]?.ref, 'y');
    assert.equal(
      (await gh.rest.repos.listDeployments({ ...repo, environment: 'filters', ref: 'x' })).data.length,
      1,
    );
  });

  test('success marks earlier successful deployments of the environment inactive', async () => {
    const a = fake.seed.deployment({ environment: 'stage', statuses: ['success'] });
    const failed = fake.seed.deployment({ environment: 'stage', statuses: ['failure'] });
    const transient = fake.seed.deployment({
      environment: 'stage',
      transient_environment: true,
      statuses: ['success'],
    });
    const elsewhere = fake.seed.deployment({ environment: 'other-env', statuses: ['success'] });
    const b = fake.seed.deployment({ environment: 'stage' });
    await gh.rest.repos.createDeploymentStatus({ ...repo, deployment_id: Number(b.id), state: 'success' });
    const latest = (d: Record<string, unknown>) => fake.state.statuses.get(Number(d.id))!.at(-1)?.state;
    assert.equal(latest(a), 'inactive');
    assert.equal(latest(failed), 'failure');
    assert.equal(latest(transient), 'success');
    assert.equal(latest(elsewhere), 'success');
    assert.equal(latest(b), 'success');

    const c = fake.seed.deployment({ environment: 'stage' });
    await gh.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: Number(c.id),
      state: 'success',
      auto_inactive: false,
    });
    assert.equal(latest(b), 'success');
    assert.deepEqual(fake.violations, []);
  });

  test('fault: 500 then success with the retry plugin', async () => {
    const { retry } = await import('@octokit/plugin-retry');
    const Retrying = Octokit.plugin(retry);
    const gr = new Retrying({ auth: 't', baseUrl: fake.url, log: quiet, retry: { retryAfterBaseValue: 1 } });
    fake.failNext({ status: 500, match: 'GET /repos/{owner}/{repo}/environments' });
    const before = fake.count('GET /repos/{owner}/{repo}/environments');
    const res = await gr.rest.repos.getAllEnvironments(repo);
    assert.equal(res.status, 200);
    assert.equal(fake.count('GET /repos/{owner}/{repo}/environments'), before + 2);
  });

  test('fault: 429 with retry-after and rate limit headers, then success', async () => {
    fake.failNext({ status: 429, retryAfter: 0.5 });
    const err = await gh.rest.repos
      .listDeployments(repo)
      .catch((e: unknown) => e as { status: number; response: { headers: Record<string, string> } });
    assert.equal(err.status, 429);
    assert.equal(err.response.headers['retry-after'], '0.5');
    assert.equal(err.response.headers['x-ratelimit-remaining'], '0');
    const ok = await gh.rest.repos.listDeployments(repo);
    assert.equal(ok.status, 200);
    assert.ok(Number(ok.headers['x-ratelimit-remaining']) > 0);
    assert.match(String(ok.headers['x-github-request-id']), /^FAKE:/);
  });

  test('fault: secondary rate limit and permission 403s look like GitHub', async () => {
    fake.failNext({ status: 403, secondaryRateLimit: true, retryAfter: 2 });
    const sec = await gh.rest.repos
      .listDeployments(repo)
      .catch(
        (e: unknown) =>
          e as { status: number; message: string; response: { headers: Record<string, string> } },
      );
    assert.equal(sec.status, 403);
    assert.match(sec.message, /You have exceeded a secondary rate limit/);
    assert.equal(sec.response.headers['retry-after'], '2');

    fake.failNext({ status: 403, match: 'POST /repos/{owner}/{repo}/deployments' });
    const perm = await gh.rest.repos
      .createDeployment({ ...repo, ref: 'main', required_contexts: [] })
      .catch(
        (e: unknown) =>
          e as { status: number; message: string; response: { headers: Record<string, string> } },
      );
    assert.equal(perm.status, 403);
    assert.match(perm.message, /Resource not accessible by integration/);
    assert.equal(perm.response.headers['x-accepted-github-permissions'], 'deployments=write');
  });

  test('requests are recorded with method, path, query, headers and body', async () => {
    await gh.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'rec',
      required_contexts: [],
      auto_merge: false,
    });
    await gh.rest.repos.listDeployments({ ...repo, environment: 'rec', per_page: 5 });
    const [post, get] = fake.requests.slice(-2);
    assert.equal(post?.method, 'POST');
    assert.deepEqual((post?.body as { environment: string }).environment, 'rec');
    assert.equal(get?.path, '/repos/octo-org/app/deployments');
    assert.deepEqual(get?.query, { environment: 'rec', per_page: '5' });
    assert.equal(get?.headers.authorization, 'token test-token');
  });
});
