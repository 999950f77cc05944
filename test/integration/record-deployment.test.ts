/**
 * record-deployment: the bundle run as the runner runs it, against the fake GitHub API (every response validated
 * against GitHub's OpenAPI description), with a seeded history.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { everythingVisible, runAction, type ActionResult } from '../harness/run-action.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { shaOf } from '../fake-github/data.js';
import { validateAgainst } from '../harness/json-schema.js';
import type { DeploymentRecord } from '../../src/record-deployment/record.js';

const repo = { owner: 'acme', repo: 'shop' };
/** The harness's GITHUB_SHA and GITHUB_RUN_ID. */
const HEAD = '0123456789abcdef0123456789abcdef01234567';
const RUN = 4242;
const TOKEN = 'ghs_recordS3cretT0ken';
const DAY = '2026-11-30';
const sha = (n: string) => shaOf(`commit:${n}`);

const smokeReport = {
  passed: true,
  environment: 'production',
  durationMs: 900,
  failedCount: 0,
  errorRate: 0.2,
  p95Ms: 180,
  checks: [
    {
      name: 'health',
      method: 'GET',
      url: 'https://shop.example/health',
      passed: true,
      attempts: 1,
      status: 200,
      latencyMs: 20,
      reason: 'ok',
    },
    {
      name: 'checkout',
      method: 'GET',
      url: 'https://shop.example/cart',
      passed: true,
      attempts: 1,
      status: 200,
      latencyMs: 40,
      reason: 'ok',
    },
  ],
  command: {
    command: 'npm run test:smoke',
    passed: true,
    skipped: false,
    exitCode: 0,
    durationMs: 400,
    reason: 'exit 0',
  },
  monitor: { windowMs: 60000, intervalMs: 5000, maxErrorRate: 0.01, maxP95Ms: 500, requests: 120, failed: 0 },
};
const migrationsReport = {
  mode: 'apply',
  tool: 'sql',
  database: 'shop',
  passed: true,
  previousVersion: '003',
  currentVersion: '005',
  pendingCount: 0,
  pending: [],
  migrations: [
    { version: '004', name: 'add_index', status: 'applied', durationMs: 120 },
    { version: '005', name: 'add_column', status: 'applied', durationMs: 30 },
  ],
  appliedBefore: [],
  durationMs: 400,
  problems: [],
  lint: [],
  notes: [],
};
const backupReport = {
  mode: 'backup',
  passed: true,
  environment: 'production',
  engine: 'postgres',
  path: '/runner/tmp/backups/shop-20261130T095000Z.dump',
  sha256: 'a'.repeat(64),
  createdAt: `${DAY}T09:50:00Z`,
  durationMs: 3000,
  verification: {
    level: 'restore',
    passed: true,
    detail: 'restored into a scratch database; row counts match',
  },
};

/** Yesterday-ish history: two earlier deployments that day, base commit, three PRs, the blue-green deploy. */
function seedRelease(fake: FakeGitHub, o: { status?: 'success' | 'rolled-back' } = {}) {
  const base = sha('base');
  fake.seed.commitAt({ ...repo, sha: base, date: `${DAY}T06:00:00Z`, message: 'Release v1.0.0' });
  fake.seed.commitAt({
    ...repo,
    sha: sha('c1'),
    parents: [base],
    date: `${DAY}T07:00:00Z`,
    author: 'carol',
    message: 'Add cart totals (#11)\n\nlong body',
  });
  fake.seed.commitAt({
    ...repo,
    sha: sha('c2'),
    parents: [sha('c1')],
    date: `${DAY}T07:30:00Z`,
    author: 'dave',
    message: 'Merge pull request #12 from acme/fix-tax\n\nFix tax rounding',
  });
  fake.seed.commitAt({
    ...repo,
    sha: HEAD,
    parents: [sha('c2')],
    date: `${DAY}T08:00:00Z`,
    author: 'erin',
    message: 'Faster search (#13)',
  });
  fake.seed.deployment({
    ...repo,
    environment: 'production',
    sha: base,
    payload: { version: 'v1.0.0' },
    created_at: `${DAY}T08:10:00Z`,
    statuses: ['success'],
  });
  fake.seed.deployment({
    ...repo,
    environment: 'staging',
    sha: HEAD,
    payload: { version: 'v1.1.0' },
    created_at: `${DAY}T08:20:00Z`,
    statuses: ['success'],
  });
  fake.seed.deployment({
    ...repo,
    environment: 'production',
    sha: sha('hotfix'),
    payload: { version: 'v1.0.1' },
    created_at: `${DAY}T08:30:00Z`,
    statuses: ['failure'],
  });
  const d = fake.seed.deployment({
    ...repo,
    environment: 'production',
    sha: HEAD,
    payload: {
      version: 'v1.1.0',
      strategy: 'blue-green',
      provider: 'command',
      slot: 'green',
      previousVersion: 'v1.0.0',
      previousSlot: 'blue',
      runUrl: `https://github.com/acme/shop/actions/runs/${RUN}/attempts/1`,
    },
    created_at: `${DAY}T10:00:00Z`,
    statuses: [
      'in_progress',
      { state: 'success', environment_url: 'https://shop.example', description: 'v1.1.0 live on green' },
      ...(o.status === 'rolled-back'
        ? [{ state: 'inactive' as const, description: 'rolled back to v1.0.0 by @alice: checkout errors' }]
        : []),
    ],
  });
  fake.seed.approval({ run_id: RUN, environments: ['production'], user: 'alice', comment: 'LGTM' });
  fake.seed.approval({ run_id: RUN, environments: ['production'], user: 'bob', comment: 'ship it' });
  fake.seed.tag({ ...repo, name: 'v1.1.0', sha: HEAD, annotated: true });
  return d;
}

async function record(fake: FakeGitHub, inputs: Record<string, string>): Promise<ActionResult> {
  return runAction('record-deployment', {
    inputs: { environment: 'production', 'dora-window': '0', ...inputs },
    env: { GITHUB_API_URL: fake.url },
    token: TOKEN,
  });
}

const schema = JSON.parse(
  readFileSync(new URL('../../schema/deployment-record.schema.json', import.meta.url), 'utf8'),
) as object;

describe('record-deployment', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  afterEach(() => fake.close());

  it('records a blue-green success with two approvals and three PRs, within 8 requests', async () => {
    seedRelease(fake);
    const r = await record(fake, {
      'smoke-report': JSON.stringify(smokeReport),
      'migrations-report': JSON.stringify(migrationsReport),
      'backup-report': JSON.stringify(backupReport),
      ticket: 'CHG-1234',
      notes: 'none',
    });
    assert.equal(r.exitCode, 0, `${r.log}\n${r.rawStderr}\n${JSON.stringify(r.annotations)}`);
    const rec = JSON.parse(r.outputs.record!) as DeploymentRecord;
    assert.equal(rec.id, `DEP-${DAY}-003`, 'two earlier production deployments that day');
    assert.equal(r.outputs['record-id'], rec.id);
    assert.equal(rec.status, 'success');
    assert.equal(rec.version, 'v1.1.0');
    assert.equal(rec.tag, 'v1.1.0');
    assert.equal(rec.commit, HEAD);
    assert.equal(rec.strategy, 'blue-green');
    assert.equal(rec.operator, 'octocat');
    assert.deepEqual(rec.rollback, { executed: false });
    assert.deepEqual(
      rec.approvals.map((a) => [a.login, a.state, a.comment, a.environments]),
      [
        ['alice', 'approved', 'LGTM', ['production']],
        ['bob', 'approved', 'ship it', ['production']],
      ],
    );
    assert.equal(rec.changes.total, 3);
    assert.equal(rec.changes.complete, true);
    assert.deepEqual(
      rec.changes.commits.map((c) => [c.pr, c.author, c.message]),
      [
        [11, 'carol', 'Add cart totals (#11)'],
        [12, 'dave', 'Merge pull request #12 from acme/fix-tax'],
        [13, 'erin', 'Faster search (#13)'],
      ],
    );
    assert.deepEqual(rec.validation.health, { passed: true, checks: 2, failed: 0 });
    assert.equal(rec.validation.performance?.passed, true);
    assert.equal(rec.validation.performance?.p95Ms, 180);
    assert.equal(rec.validation.business?.passed, true);
    assert.deepEqual(
      rec.validation.migrations?.applied.map((m) => m.version),
      ['004', '005'],
    );
    assert.equal(rec.validation.backup?.file, 'shop-20261130T095000Z.dump');
    assert.match(rec.validation.backup?.verified ?? '', /^restore: passed/);
    assert.equal(rec.links.environment, 'https://shop.example');
    assert.ok((rec.leadTimeMs ?? 0) > 0);
    assert.deepEqual(validateAgainst(schema, rec), [], 'the record matches the generated JSON Schema');
    // files for upload-artifact and a release note
    assert.deepEqual(JSON.parse(readFileSync(r.outputs.path!, 'utf8')), rec);
    const md = readFileSync(r.outputs['markdown-path']!, 'utf8');
    assert.match(md, /\*\*Deployment ID:\*\* DEP-2026-11-30-003/);
    assert.match(md, /\[x\] Health checks: PASS/);
    assert.match(md, /\*\*Rollback Executed:\*\* NO/);
    assert.match(md, /#12 Merge pull request #12/);
    assert.match(r.summary, /GitHub API requests: \d+/);
    assert.equal(r.outputs.url, undefined);
    const requests = fake.count();
    assert.ok(requests <= 8, `API budget without DORA: ${requests} requests`);
    assert.equal((r.report as { requests: { total: number } }).requests.total, requests);
    assert.equal(fake.count('GET /repos/{owner}/{repo}/compare/{basehead}'), 1);
    assert.ok(!everythingVisible(r).includes(TOKEN), 'the token never shows');
    assert.deepEqual(fake.violations, []);
  });

  it('records a release rolled back by the rollback action', async () => {
    const d = seedRelease(fake, { status: 'rolled-back' });
    const r = await record(fake, { 'deployment-id': String(d.id), notes: 'checkout errors after switch' });
    assert.equal(r.exitCode, 0, `${r.log}\n${r.rawStderr}\n${JSON.stringify(r.annotations)}`);
    const rec = JSON.parse(r.outputs.record!) as DeploymentRecord;
    assert.equal(rec.status, 'rolled-back');
    assert.equal(rec.rollback.executed, true);
    assert.equal(rec.rollback.to, 'v1.0.0');
    assert.match(rec.rollback.how ?? '', /by @alice: checkout errors/);
    assert.match(
      readFileSync(r.outputs['markdown-path']!, 'utf8'),
      /\*\*Rollback Executed:\*\* YES \(to v1\.0\.0\)/,
    );
    assert.deepEqual(validateAgainst(schema, rec), []);
    assert.deepEqual(fake.violations, []);
  });
});
