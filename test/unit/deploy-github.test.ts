/** Deployments.survey (added for deploy): last success and running deployments in as few calls as possible. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOctokit, Deployments } from '../../src/core/github.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';

const repo = { owner: 'octo-org', repo: 'survey' };
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('Deployments.survey', () => {
  let fake: FakeGitHub;
  let deployments: Deployments;
  before(async () => {
    fake = await startFakeGitHub({ validate: true });
    const octokit = createOctokit({ token: 'ghs_t0ken', baseUrl: fake.url, log: quiet, writeSpacingMs: 0 });
    deployments = new Deployments(octokit, { ...repo, log: quiet });
  });
  after(() => fake.close());

  const seed = (environment: string, version: string, statuses: string[]) =>
    fake.seed.deployment({ ...repo, environment, payload: { version }, statuses: statuses as never });

  test('a steady environment costs two calls: the list and the newest status', async () => {
    seed('steady', 'v1', ['success']);
    seed('steady', 'v2', ['in_progress', 'success']);
    const before = fake.count();
    const s = await deployments.survey('steady');
    assert.equal(fake.count() - before, 2);
    assert.equal(s.lastSuccessful?.payload.version, 'v2');
    assert.deepEqual(s.inProgress, []);
  });

  test('reports running deployments newer than the last success, and skips failed ones', async () => {
    seed('busy', 'v1', ['success']);
    seed('busy', 'v2', ['failure']);
    seed('busy', 'v3', ['in_progress']);
    const s = await deployments.survey('busy');
    assert.equal(s.lastSuccessful?.payload.version, 'v1');
    assert.deepEqual(
      s.inProgress.map((d) => (d.deployment.payload as { version: string }).version),
      ['v3'],
    );
    assert.deepEqual(fake.violations, []);
  });

  test('no success at all: none, without error', async () => {
    seed('fresh', 'v1', ['failure']);
    const s = await deployments.survey('fresh');
    assert.equal(s.lastSuccessful, undefined);
    assert.deepEqual(s.inProgress, []);
  });
});
