/**
 * record-deployment's DORA fetch (doraHistory) in-process against the fake GitHub API, with the clock injected so
 * "now" is fixed: the hand-computed history of the pure test, served over HTTP, gives the same answers.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Clock } from '../../src/core/clock.js';
import { createOctokit } from '../../src/core/github.js';
import { RecordGitHub } from '../../src/record-deployment/github.js';
import { doraHistory } from '../../src/record-deployment/history.js';
import { shaOf } from '../fake-github/data.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';

const repo = { owner: 'octo-org', repo: 'app' };
const quiet = { debug: () => {}, info: () => {}, warning: () => {}, error: () => {} };
const NOW = new Date('2026-12-01T00:00:00Z');
const clock: Clock = { now: () => 0, date: () => new Date(NOW), sleep: async () => {} };
const log = { ...quiet, notice: () => {}, group: <T>(_t: string, fn: () => Promise<T>) => fn() } as never;
const at = (day: number, hhmm: string) => `2026-11-${String(day).padStart(2, '0')}T${hhmm}:00Z`;
const plus = (iso: string, minutes: number) =>
  new Date(Date.parse(iso) + minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('doraHistory against the fake API with a fixed clock', () => {
  let fake: FakeGitHub;
  let gh: RecordGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub({ validate: true });
    gh = new RecordGitHub(
      createOctokit({ token: 'ghs_t', baseUrl: fake.url, log: quiet, writeSpacingMs: 0 }),
      repo,
    );
  });
  afterEach(() => fake.close());

  let n = 0;
  /** A change deployment whose one commit was made `leadH` hours before its success (10 min after creation). */
  function deploy(created: string, o: { leadH?: number; fail?: boolean; rolledBack?: boolean } = {}) {
    const sha = shaOf(`h:${++n}`);
    fake.seed.commitAt({
      ...repo,
      sha,
      parents: [shaOf(`h:${n - 1}`)],
      date: plus(created, 10 - (o.leadH ?? 1) * 60),
    });
    return fake.seed.deployment({
      ...repo,
      environment: 'production',
      sha,
      payload: { version: `v${n}` },
      created_at: created,
      statuses: o.fail
        ? [{ state: 'failure', created_at: plus(created, 20) }]
        : [
            { state: 'success', created_at: plus(created, 10) },
            ...(o.rolledBack
              ? [
                  {
                    state: 'inactive' as const,
                    created_at: plus(created, 180),
                    description: `rolled back to v${n - 1} by @alice: errors`,
                  },
                ]
              : []),
          ],
    });
  }

  it('gives the hand-computed answers (12 deployments over 10 days, 2 failures, a rollback after 3 h)', async () => {
    fake.seed.commitAt({ ...repo, sha: shaOf('h:0'), date: at(1, '00:00') });
    fake.seed.deployment({
      ...repo,
      environment: 'production',
      sha: shaOf('h:0'),
      created_at: at(12, '10:00'),
      statuses: [{ state: 'success', created_at: at(12, '10:10') }],
    });
    deploy(at(21, '10:00'), { leadH: 2 });
    deploy(at(22, '10:00'), { leadH: 4 });
    deploy(at(23, '10:00'), { leadH: 1 });
    deploy(at(24, '10:00'), { fail: true });
    deploy(at(24, '12:00'), { leadH: 1 }); // its compare also lists the failed one's commit (09:10): 3 h
    deploy(at(25, '10:00'), { leadH: 6 });
    const d7 = deploy(at(26, '10:00'), { leadH: 2, rolledBack: true });
    fake.seed.deployment({
      ...repo,
      environment: 'production',
      task: 'deploy:rollback',
      sha: shaOf(`h:${n - 1}`),
      payload: { version: `v${n - 1}`, rollback_of: d7.id },
      created_at: at(26, '12:50'),
      statuses: [{ state: 'success', created_at: at(26, '13:00') }],
    });
    deploy(at(27, '10:00'), { leadH: 3 }); // base: the rollback's commit, so d7's commit ships again: 3 h and 26 h
    deploy(at(28, '10:00'), { leadH: 5 });
    deploy(at(29, '10:00'), { leadH: 8 });
    deploy(at(30, '10:00'), { leadH: 1 });
    deploy(at(30, '15:00'), { leadH: 2 });

    const r = await doraHistory('production', 10 * 86_400_000, gh, { clock, log });
    const m = r.current;
    assert.equal(m.from, '2026-11-21T00:00:00.000Z', 'the window ends at the injected now');
    assert.deepEqual([m.deployments, m.successes, m.failures], [12, 11, 2]);
    assert.equal(m.deploymentFrequency, 1.1);
    // lead times: 2, 4, 1, (3, 1), 6, 2, (26, 3), 5, 8, 1, 2 -> sorted 1,1,1,2,2,2,3,3,4,5,6,8,26: the 7th, 3 h
    assert.equal(m.leadTimeHours, 3);
    assert.equal(m.changeFailureRate, 0.1667);
    assert.equal(m.timeToRestoreHours, 2.58);
    assert.equal(r.previous.deployments, 1);
    assert.equal(r.deploymentsRead, 14);
    // 1 list page, 14 statuses, 12 compares (every success with a success before it, rollbacks excluded)
    assert.equal(fake.count('GET /repos/{owner}/{repo}/deployments'), 1);
    assert.equal(fake.count('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses'), 14);
    assert.equal(fake.count('GET /repos/{owner}/{repo}/compare/{basehead}'), 11);
    assert.deepEqual(fake.violations, []);
  });

  it('reads later pages a few at once and stops at the start of the window before', async () => {
    fake.seed.commitAt({ ...repo, sha: shaOf('h:0'), date: at(1, '00:00') });
    for (let i = 0; i < 5; i++) deploy(plus(at(1, '00:00'), i), { leadH: 1 }); // before both windows
    for (let i = 0; i < 250; i++) deploy(plus(at(12, '00:00'), i * 100), { leadH: 1 }); // 250 in ~17 days
    const r = await doraHistory('production', 10 * 86_400_000, gh, { clock, log });
    assert.equal(r.deploymentsRead, 250);
    assert.equal(fake.count('GET /repos/{owner}/{repo}/deployments'), 3, 'pages 2 and 3 fetched together');
    assert.equal(r.current.successes + r.previous.successes, 250);
    assert.equal(r.current.leadTimeHours, 1);
    assert.deepEqual(fake.violations, []);
  });
});
