/**
 * backup-db mode: list, run as the runner runs it, against the fake GitHub's artifacts and deployments
 * (responses validated against GitHub's OpenAPI): the environment's backups newest first, fresh, past the
 * retention and expired ones, the release each preceded, a bounded number of requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runAction } from '../harness/run-action.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { failure } from '../harness/backup-db.js';

const DAY = 86_400_000;
const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().replace(/\.\d+Z$/, 'Z');

interface Listed {
  artifact: string;
  runId?: number;
  ageSeconds: number;
  sizeBytes: number;
  expired: boolean;
  withinRetention: boolean;
  deployment?: { id: number; version?: string; ref: string };
}

describe('backup-db mode: list', () => {
  let fake: FakeGitHub;
  before(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  after(async () => {
    await fake.close();
  });

  const run = (inputs: Record<string, string>) =>
    runAction('backup-db', {
      inputs: { mode: 'list', ...inputs },
      env: { GITHUB_API_URL: fake.url, GITHUB_REPOSITORY: 'octo-org/app' },
    });

  it('lists the environment backups newest first, with age, size, run, release and retention', async () => {
    const repo = { owner: 'octo-org', repo: 'app' };
    // Seeded out of order: the listing sorts by creation time.
    fake.seed.artifact({
      ...repo,
      name: 'backup-production-101',
      run_id: 101,
      created_at: at(20),
      retention_days: 14,
    });
    fake.seed.artifact({
      ...repo,
      name: 'backup-production-105',
      run_id: 105,
      created_at: at(0.5),
      size_in_bytes: 5 * 1024 * 1024,
    });
    fake.seed.artifact({
      ...repo,
      name: 'backup-production-103',
      run_id: 103,
      created_at: at(16),
      retention_days: 30,
    });
    fake.seed.artifact({ ...repo, name: 'backup-production-104', run_id: 104, created_at: at(3) });
    fake.seed.artifact({ ...repo, name: 'backup-production-eu-106', run_id: 106, created_at: at(1) });
    fake.seed.artifact({ ...repo, name: 'backup-staging-107', run_id: 107, created_at: at(1) });
    fake.seed.artifact({ ...repo, name: 'coverage-report', run_id: 108, created_at: at(1) });
    for (const [run, version] of [
      [104, 'v1.4.0'],
      [105, 'v1.5.0'],
    ] as const)
      fake.seed.deployment({
        ...repo,
        environment: 'production',
        payload: {
          version,
          strategy: 'rolling',
          backup: {
            artifact: `backup-production-${run}`,
            runId: run,
            file: 'x.dump.age',
            sha256: 'a'.repeat(64),
            encrypted: true,
            createdAt: at(1),
          },
        },
        statuses: ['success'],
      });
    fake.seed.deployment({
      ...repo,
      environment: 'production',
      payload: { version: 'v1.3.9' },
      statuses: ['success'],
    });

    const before = fake.count();
    const r = await run({ environment: 'production', retention: '14d' });
    assert.equal(r.exitCode, 0, failure(r));
    assert.ok(fake.count() - before <= 2, `bounded requests: ${fake.count() - before}`);
    const listed = JSON.parse(r.outputs.backups!) as Listed[];
    assert.deepEqual(
      listed.map((b) => [b.artifact, b.runId, b.expired, b.withinRetention, b.deployment?.version]),
      [
        ['backup-production-105', 105, false, true, 'v1.5.0'],
        ['backup-production-104', 104, false, true, 'v1.4.0'],
        ['backup-production-103', 103, false, false, undefined], // kept by GitHub for 30 days, past our 14
        ['backup-production-101', 101, true, false, undefined], // deleted by GitHub
      ],
    );
    assert.equal(listed[0]!.sizeBytes, 5 * 1024 * 1024);
    assert.ok(Math.abs(listed[1]!.ageSeconds - 3 * 86_400) < 120, `age ${listed[1]!.ageSeconds}`);
    assert.equal(r.outputs.count, '4');
    assert.equal(r.outputs['retention-days'], '14');
    // The table a reviewer reads.
    assert.match(r.summary, /Recent backups of production \(last 5\)/);
    assert.match(
      r.summary,
      /\| `backup-production-105` \| \S+ \| 12h \| 5\.00 MiB \| \[105\]\(https:\/\/github\.com\/octo-org\/app\/actions\/runs\/105\) \| v1\.5\.0 \(deployment \d+\) \| ✅ within 14 days \|/,
    );
    assert.match(r.summary, /\| `backup-production-103` \| \S+ \| 16d \| .* \| ⚠️ older than 14 days \|/);
    assert.match(
      r.summary,
      /\| `backup-production-101` \| \S+ \| 20d \| .* \| ❌ expired \(deleted by GitHub\) \|/,
    );
    assert.doesNotMatch(r.summary, /backup-production-eu|backup-staging|coverage/);
    assert.deepEqual(fake.violations, [], 'every fake response matched the OpenAPI schema');
  });

  it('says so when there is no backup, and shows only the last 5 in the table', async () => {
    const none = await run({ environment: 'preview' });
    assert.equal(none.exitCode, 0, failure(none));
    assert.equal(none.outputs.count, '0');
    assert.match(none.summary, /No backup artifact named `backup-preview-<run id>`/);

    for (let i = 0; i < 7; i++)
      fake.seed.artifact({
        owner: 'octo-org',
        repo: 'app',
        name: `backup-qa-${200 + i}`,
        run_id: 200 + i,
        created_at: at(7 - i),
      });
    const r = await run({ environment: 'qa' });
    assert.equal(r.exitCode, 0, failure(r));
    assert.equal(r.outputs.count, '7');
    assert.equal((r.summary.match(/\| `backup-qa-\d+` \|/g) ?? []).length, 5);
    assert.match(r.summary, /2 older backup\(s\) in the `backups` output/);
  });

  it('needs environment and token; names the input before any request', async () => {
    const before = fake.count();
    const noEnv = await run({});
    assert.equal(noEnv.exitCode, 1);
    assert.match(failure(noEnv), /Input "environment" is required with mode: list/);
    const noToken = await run({ environment: 'production', token: '' });
    assert.equal(noToken.exitCode, 1);
    assert.match(failure(noToken), /Input "token" is required with mode: list/);
    const badRetention = await run({ environment: 'production', retention: '120d' });
    assert.equal(badRetention.exitCode, 1);
    assert.match(failure(badRetention), /Input "retention": 120 days; GitHub keeps artifacts 1 to 90 days/);
    assert.equal(fake.count(), before, 'no request');
  });
});
