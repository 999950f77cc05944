/** core/github's artifact listing and tag lookup against the fake GitHub API (responses validated). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOctokit, listArtifacts, tagsAt, type GitHubClient } from '../../src/core/github.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';

const repo = { owner: 'octo-org', repo: 'app' };
const quiet = { debug: () => {}, info: () => {}, warning: () => {}, error: () => {} };

describe('core/github artifacts and tags', () => {
  let fake: FakeGitHub;
  let octokit: GitHubClient;
  before(async () => {
    fake = await startFakeGitHub({ validate: true });
    octokit = createOctokit({ token: 'ghs_x123', baseUrl: fake.url, log: quiet, retryAfterBaseMs: 1 });
  });
  after(async () => {
    assert.deepEqual(fake.violations, []);
    await fake.close();
  });

  test('artifacts by prefix: newest first, expired flagged, other names left out, across pages', async () => {
    const day = 86_400_000;
    const at = (daysAgo: number) =>
      new Date(Date.now() - daysAgo * day).toISOString().replace(/\.\d+Z$/, 'Z');
    fake.seed.artifact({ name: 'backup-production-1', run_id: 1, created_at: at(20), retention_days: 14 });
    for (let i = 0; i < 120; i++) fake.seed.artifact({ name: `coverage-${i}`, created_at: at(5) });
    fake.seed.artifact({ name: 'backup-staging-2', run_id: 2, created_at: at(2) });
    fake.seed.artifact({ name: 'backup-production-3', run_id: 3, created_at: at(1), size_in_bytes: 4096 });
    const before = fake.count();
    const found = await listArtifacts(octokit, repo, { namePrefix: 'backup-production-' });
    assert.deepEqual(
      found.map((a) => [a.name, a.runId, a.expired]),
      [
        ['backup-production-3', 3, false],
        ['backup-production-1', 1, true],
      ],
    );
    assert.equal(found[0]!.sizeBytes, 4096);
    assert.equal(fake.count() - before, 2, 'two pages of 100');
    const exact = await listArtifacts(octokit, repo, { name: 'backup-staging-2' });
    assert.deepEqual(
      exact.map((a) => a.name),
      ['backup-staging-2'],
    );
    const first = await listArtifacts(octokit, repo, { namePrefix: 'backup-', max: 1 });
    assert.equal(first.length, 1);
  });

  test('tags at a commit: lightweight and annotated, filtered by prefix', async () => {
    const sha = 'a'.repeat(40);
    fake.seed.tag({ name: 'v1.2.0', sha });
    fake.seed.tag({ name: 'v1.2.0-rc1', sha, annotated: true });
    fake.seed.tag({ name: 'v1.1.0', sha: 'b'.repeat(40) });
    fake.seed.tag({ name: 'nightly', sha });
    assert.deepEqual((await tagsAt(octokit, repo, sha, 'v')).sort(), ['v1.2.0', 'v1.2.0-rc1']);
    assert.deepEqual((await tagsAt(octokit, repo, sha)).sort(), ['nightly', 'v1.2.0', 'v1.2.0-rc1']);
    assert.deepEqual(await tagsAt(octokit, repo, 'c'.repeat(40)), []);
  });

  test('a 403 on artifacts names the permission', async () => {
    fake.failNext({ status: 403, match: 'GET /repos/{owner}/{repo}/actions/artifacts' });
    await assert.rejects(listArtifacts(octokit, repo, { namePrefix: 'x' }), /permissions: actions: read/);
  });
});
