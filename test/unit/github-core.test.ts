import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  createOctokit,
  Deployments,
  GitHubApiError,
  truncate,
  type GitHubClient,
  type GitHubLog,
} from '../../src/core/github.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';

const TOKEN = 'ghs_secretTokenValue123';
const repo = { owner: 'octo-org', repo: 'app' };

function recordingLog(): GitHubLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => void lines.push(`${level}: ${m}`);
  return { lines, debug: () => {}, info: push('info'), warning: push('warn'), error: push('error') };
}

describe('core/github against the fake server', () => {
  let fake: FakeGitHub;
  let log: ReturnType<typeof recordingLog>;
  let octokit: GitHubClient;
  let deployments: Deployments;

  before(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  after(() => fake.close());
  beforeEach(() => {
    log = recordingLog();
    octokit = createOctokit({ token: TOKEN, baseUrl: fake.url, log, retryAfterBaseMs: 1, writeSpacingMs: 0 });
    deployments = new Deployments(octokit, { ...repo, log });
  });

  const POST_DEPLOYMENT = 'POST /repos/{owner}/{repo}/deployments';
  const POST_STATUS = 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses';

  test('create then statuses in order; a typical lifecycle costs 5 requests', async () => {
    fake.seed.deployment({ environment: 'lifecycle', payload: { version: '1.0.0' }, statuses: ['success'] });
    const start = fake.requests.length;
    const previous = await deployments.lastSuccessful('lifecycle');
    assert.deepEqual(previous?.payload, { version: '1.0.0' });
    const d = await deployments.create({
      ref: 'main',
      environment: 'lifecycle',
      payload: { version: '1.1.0' },
      description: 'Deploy 1.1.0',
    });
    await deployments.setStatus(d.id, { state: 'in_progress', logUrl: 'https://ci.example/run/1' });
    await deployments.setStatus(d.id, { state: 'success', environmentUrl: 'https://app.example' });
    // list deployments + latest status of the newest, then create + 2 statuses.
    assert.equal(fake.requests.length - start, 5);
    assert.deepEqual(
      fake.state.statuses.get(d.id)!.map((s) => s.state),
      ['in_progress', 'success'],
    );
    assert.equal(fake.state.statuses.get(previous!.deployment.id)!.at(-1)!.state, 'inactive');
    const latest = await deployments.latestStatus(d.id);
    assert.equal(latest?.state, 'success');
    assert.equal(latest?.environment_url, 'https://app.example');
    const body = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/deployments'))
      ?.body as Record<string, unknown>;
    assert.equal(body.auto_merge, false);
    assert.deepEqual(body.required_contexts, []);
    assert.equal(body.task, 'deploy');
    assert.deepEqual(fake.violations, []);
  });

  test('payload round-trips through lastSuccessful', async () => {
    const payload = {
      version: '2.0.0',
      image: { repository: 'ghcr.io/octo-org/app', tag: 'sha-abc' },
      migrations: ['001', '002'],
    };
    const d = await deployments.create({ ref: 'v2.0.0', environment: 'roundtrip', payload });
    await deployments.setStatus(d.id, { state: 'success' });
    const found = await deployments.lastSuccessful('roundtrip');
    assert.equal(found?.deployment.id, d.id);
    assert.equal(found?.status.state, 'success');
    assert.deepEqual(found?.payload, payload);
  });

  test('lastSuccessful walks to page 3, and stops at its page bound', async () => {
    const good = fake.seed.deployment({
      environment: 'paged',
      payload: { version: 'good' },
      statuses: ['success'],
    });
    for (let i = 0; i < 70; i++)
      fake.seed.deployment({ environment: 'paged', statuses: [i % 2 ? 'failure' : 'error'] });
    const lists = (): number => fake.count('GET /repos/{owner}/{repo}/deployments');
    const before = lists();
    const found = await deployments.lastSuccessful('paged', { perPage: 30 });
    assert.equal(found?.deployment.id, good.id);
    assert.deepEqual(found?.payload, { version: 'good' });
    assert.equal(lists() - before, 3);

    const bounded = await deployments.lastSuccessful('paged', { perPage: 30, maxPages: 2 });
    assert.equal(bounded, undefined);
    assert.ok(
      log.lines.some((l) => l.startsWith('warn: No successful deployment of paged in the newest 60')),
      log.lines.join('\n'),
    );
    assert.equal(await deployments.lastSuccessful('never-deployed'), undefined);
  });

  test('lastSuccessful filters by task', async () => {
    fake.seed.deployment({
      environment: 'tasks',
      task: 'deploy',
      payload: { v: 'app' },
      statuses: ['success'],
    });
    // Any later success in the environment would mark the first inactive, whatever its task.
    fake.seed.deployment({
      environment: 'tasks',
      task: 'deploy:migrations',
      payload: { v: 'mig' },
      statuses: [{ state: 'success', auto_inactive: false }],
    });
    assert.deepEqual((await deployments.lastSuccessful('tasks', { task: 'deploy' }))?.payload, { v: 'app' });
    assert.deepEqual((await deployments.lastSuccessful('tasks', { task: 'deploy:migrations' }))?.payload, {
      v: 'mig',
    });
  });

  test('retries 502 twice then succeeds', async () => {
    fake.failNext({ status: 502, times: 2, match: POST_DEPLOYMENT });
    const before = fake.count(POST_DEPLOYMENT);
    const d = await deployments.create({ ref: 'main', environment: 'retry' });
    assert.ok(d.id > 0);
    assert.equal(fake.count(POST_DEPLOYMENT) - before, 3);
  });

  test('gives up on 5xx after `retries`', async () => {
    const strict = new Deployments(
      createOctokit({
        token: TOKEN,
        baseUrl: fake.url,
        log,
        retries: 1,
        retryAfterBaseMs: 1,
        writeSpacingMs: 0,
      }),
      repo,
    );
    fake.failNext({ status: 500, times: 2, match: POST_DEPLOYMENT });
    const before = fake.count(POST_DEPLOYMENT);
    await assert.rejects(strict.create({ ref: 'main', environment: 'retry' }), (err: GitHubApiError) => {
      assert.equal(err.status, 500);
      assert.match(err.message, /^Creating a deployment of main to retry failed \(500\): Server Error/);
      return true;
    });
    assert.equal(fake.count(POST_DEPLOYMENT) - before, 2);
  });

  test('waits out a 429 rate limit and retries, logging the wait', async () => {
    fake.failNext({ status: 429, retryAfter: 0.2, match: POST_STATUS });
    const d = await deployments.create({ ref: 'main', environment: 'limited' });
    const before = fake.count(POST_STATUS);
    await deployments.setStatus(d.id, { state: 'in_progress' });
    assert.equal(fake.count(POST_STATUS) - before, 2);
    assert.ok(
      log.lines.some((l) =>
        /^warn: GitHub rate limit hit on POST .*; waiting \d+s before retry 1\/3\.$/.test(l),
      ),
      log.lines.join('\n'),
    );
  });

  test('respects a fractional secondary-rate-limit retry-after in real time, and gives up on long ones', async () => {
    const realTime = new Deployments(
      createOctokit({ token: TOKEN, baseUrl: fake.url, log, writeSpacingMs: 0 }),
      repo,
    );
    fake.failNext({ status: 403, secondaryRateLimit: true, retryAfter: 0.25, match: POST_DEPLOYMENT });
    const before = fake.count(POST_DEPLOYMENT);
    const t0 = Date.now();
    await realTime.create({ ref: 'main', environment: 'secondary' });
    assert.ok(Date.now() - t0 >= 240, `waited ${Date.now() - t0} ms`);
    assert.equal(fake.count(POST_DEPLOYMENT) - before, 2);
    assert.ok(log.lines.some((l) => l.includes('secondary rate limit hit') && l.includes('waiting 0.25s')));

    fake.failNext({ status: 403, secondaryRateLimit: true, retryAfter: 120, match: POST_DEPLOYMENT });
    await assert.rejects(realTime.create({ ref: 'main', environment: 'secondary' }), /rate limit exceeded/);
    assert.equal(fake.count(POST_DEPLOYMENT) - before, 3);
    assert.ok(
      log.lines.some(
        (l) => l.startsWith('error: GitHub secondary rate limit') && l.includes('asks to wait 120s'),
      ),
    );
  });

  test('a 403 names the missing permission and never the token', async () => {
    fake.failNext({ status: 403, match: POST_DEPLOYMENT });
    await assert.rejects(deployments.create({ ref: 'main', environment: 'perm' }), (err: Error) => {
      assert.ok(err instanceof GitHubApiError);
      assert.equal(err.status, 403);
      assert.match(err.message, /Resource not accessible by integration/);
      assert.match(err.message, /permissions: deployments: write/);
      assert.doesNotMatch(err.message, new RegExp(TOKEN));
      return true;
    });
  });

  test('a 404 says what was not found', async () => {
    await assert.rejects(deployments.setStatus(999_999, { state: 'success' }), (err: GitHubApiError) => {
      assert.equal(err.status, 404);
      assert.match(
        err.message,
        /deployment 999999 was not found in octo-org\/app, or the token cannot see it/,
      );
      assert.doesNotMatch(err.message, new RegExp(TOKEN));
      return true;
    });
  });

  test('409 conflicts and 202 auto-merges become clear errors', async () => {
    fake.seed.commitStatus({ ref: 'red', context: 'ci/build', state: 'failure' });
    await assert.rejects(
      deployments.create({ ref: 'red', environment: 'conflict', requiredContexts: ['ci/build'] }),
      (err: GitHubApiError) => {
        assert.equal(err.status, 409);
        assert.match(err.message, /Commit status checks failed for red/);
        assert.match(err.message, /Failing contexts: ci\/build/);
        return true;
      },
    );
    fake.seed.branch({ name: 'stale', behindDefault: true });
    await assert.rejects(
      deployments.create({ ref: 'stale', environment: 'conflict', autoMerge: true }),
      (err: GitHubApiError) => {
        assert.equal(err.status, 202);
        assert.match(err.message, /merged the default branch into stale/);
        return true;
      },
    );
  });

  test('status descriptions are cut to 140 characters', async () => {
    const d = await deployments.create({ ref: 'main', environment: 'long' });
    const status = await deployments.setStatus(d.id, { state: 'failure', description: 'x'.repeat(300) });
    assert.equal(status.description?.length, 140);
    assert.ok(status.description?.endsWith('…'));
    assert.equal(truncate('short'), 'short');
    assert.deepEqual(fake.violations, []);
  });

  test('inProgress lists running deployments and skips stale pending ones', async () => {
    const running = fake.seed.deployment({ environment: 'busy', statuses: ['queued', 'in_progress'] });
    const queued = fake.seed.deployment({ environment: 'busy', statuses: ['queued'] });
    const fresh = fake.seed.deployment({ environment: 'busy' });
    fake.seed.deployment({ environment: 'busy', statuses: ['in_progress', 'success'] });
    fake.seed.deployment({ environment: 'busy', created_at: '2020-01-01T00:00:00Z', statuses: ['pending'] });
    const active = await deployments.inProgress('busy');
    assert.deepEqual(
      active.map((a) => a.deployment.id),
      [fresh.id, queued.id, running.id],
    );
    assert.equal(active[0]?.status, undefined);
    assert.equal(active[2]?.status?.state, 'in_progress');
  });

  test('baseUrl defaults to GITHUB_API_URL', async () => {
    const saved = process.env.GITHUB_API_URL;
    process.env.GITHUB_API_URL = `${fake.url}/`;
    try {
      const fromEnv = new Deployments(createOctokit({ token: TOKEN, log, writeSpacingMs: 0 }), repo);
      assert.equal(
        await fromEnv.latestStatus(Number(fake.seed.deployment({ environment: 'env' }).id)),
        undefined,
      );
      assert.equal(fake.requests.at(-1)?.headers.authorization, `token ${TOKEN}`);
      assert.match(String(fake.requests.at(-1)?.headers['user-agent']), /^deploy-runbook/);
    } finally {
      if (saved === undefined) delete process.env.GITHUB_API_URL;
      else process.env.GITHUB_API_URL = saved;
    }
  });
});

describe('core/github from a child process', () => {
  test('an action process reaches the fake through GITHUB_API_URL', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const fake = await startFakeGitHub({ validate: true });
    try {
      const moduleUrl = new URL('../../src/core/github.ts', import.meta.url).href;
      const script = `
        const { createOctokit, Deployments } = await import(${JSON.stringify(moduleUrl)});
        const d = new Deployments(createOctokit({ token: process.env.GH_TOKEN, writeSpacingMs: 0 }), { owner: 'octo-org', repo: 'app' });
        const dep = await d.create({ ref: 'main', environment: 'child', payload: { from: 'child' } });
        await d.setStatus(dep.id, { state: 'success' });
        console.log(JSON.stringify((await d.lastSuccessful('child')).payload));
      `;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          env: { ...process.env, GITHUB_API_URL: fake.url, GH_TOKEN: TOKEN },
        },
      );
      assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), { from: 'child' });
      assert.equal(fake.count('POST /repos/octo-org/app/deployments'), 1);
      assert.deepEqual(fake.violations, []);
    } finally {
      await fake.close();
    }
  });
});
