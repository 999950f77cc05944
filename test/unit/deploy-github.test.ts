/** Deployments.survey (added for deploy): last success and running deployments in as few calls as possible. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createOctokit, Deployments } from '../../src/core/github.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';

const repo = { owner: 'octo-org', repo: 'survey' };
const quiet = { debug: () => {}, info: () => {}, warning: () => {}, error: () => {} };

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

describe('createOctokit requestTimeoutMs', () => {
  test('a server that never answers fails the call, bounded, instead of hanging the step', async () => {
    const sockets: import('node:net').Socket[] = [];
    const hung = createServer((s) => void sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const { port } = hung.address() as { port: number };
    try {
      const octokit = createOctokit({
        token: 'ghs_t0ken',
        baseUrl: `http://127.0.0.1:${port}`,
        log: quiet,
        requestTimeoutMs: 200,
        retries: 1,
        retryAfterBaseMs: 1,
        writeSpacingMs: 0,
      });
      const d = new Deployments(octokit, { ...repo, log: quiet });
      await assert.rejects(d.latestStatus(1), /Reading the statuses of deployment 1 failed/);
      assert.ok(sockets.length >= 1, 'the request reached the server and was given up on');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hung.close(r));
    }
  });
});
