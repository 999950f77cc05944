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
    assert.ok(validateAgainst(schema, { ...rec, id: 'DEP-1' }).length > 0, 'and the schema can say no');
    assert.ok(validateAgainst(schema, { ...rec, status: 'partial', extra: 1 }).length >= 2);
    // files for upload-artifact and a release note
    assert.deepEqual(JSON.parse(readFileSync(r.outputs.path!, 'utf8')), rec);
    const md = readFileSync(r.outputs['markdown-path']!, 'utf8');
    assert.match(md, /\*\*Deployment ID:\*\* DEP-2026-11-30-003/);
    assert.match(md, /\[x\] Health checks: PASS/);
    assert.match(md, /\*\*Rollback Executed:\*\* NO/);
    assert.match(md, /#12 Merge pull request #12/);
    assert.match(r.summary, /GitHub API requests: \d+/);
    if (process.env.SHOW_SUMMARY) console.log(r.summary);
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

  it("with the rollback's report: its outcome, method, time to traffic, database and incident in the record", async () => {
    const d = seedRelease(fake, { status: 'rolled-back' });
    const report = rollbackReport({ rolledBackDeploymentId: Number(d.id) });
    const r = await record(fake, {
      'deployment-id': String(d.id),
      'rollback-report': JSON.stringify(report),
    });
    assert.equal(r.exitCode, 0, `${r.log}\n${r.rawStderr}`);
    const rec = JSON.parse(r.outputs.record!) as DeploymentRecord;
    assert.equal(rec.rollback.executed, true);
    assert.equal(rec.rollback.to, 'v1.0.0');
    assert.equal(rec.rollback.status, 'success');
    assert.equal(rec.rollback.method, 'switch-back');
    assert.equal(rec.rollback.databaseRestored, false);
    assert.equal(rec.rollback.trafficRestoredMs, 734);
    assert.equal(rec.rollback.deploymentId, 4242);
    assert.equal(rec.rollback.incident, 'https://github.com/acme/shop/issues/9');
    assert.match(
      readFileSync(r.outputs['markdown-path']!, 'utf8'),
      /\*\*Rollback Details:\*\* succeeded; by switch-back; traffic back after 734ms; database not restored; rollback deployment #4242; incident: https:\/\/github\.com\/acme\/shop\/issues\/9/,
    );
    assert.deepEqual(validateAgainst(schema, rec), []);
  });

  it('with a refused rollback: traffic was not moved, the record says why', async () => {
    const d = seedRelease(fake);
    const refused = {
      status: 'refused',
      mode: 'apply',
      environment: 'production',
      reason:
        'Input "environment": production runs v1.1.0 and there is no earlier successful deployment of another version to go back to.',
    };
    const r = await record(fake, {
      'deployment-id': String(d.id),
      status: 'failure',
      'rollback-report': JSON.stringify(refused),
    });
    assert.equal(r.exitCode, 0, `${r.log}\n${r.rawStderr}`);
    const rec = JSON.parse(r.outputs.record!) as DeploymentRecord;
    assert.equal(rec.status, 'failure');
    assert.deepEqual(rec.rollback, { executed: false, status: 'refused', failure: refused.reason });
    const md = readFileSync(r.outputs['markdown-path']!, 'utf8');
    assert.match(md, /\*\*Rollback Executed:\*\* NO/);
    assert.match(
      md,
      /\*\*Rollback Details:\*\* \*\*REFUSED\*\*, nothing was changed: Input "environment": production runs v1\.1\.0/,
    );
    assert.match(md, /- the rollback was refused, traffic was not moved: /);
    assert.deepEqual(validateAgainst(schema, rec), []);
  });

  it("refuses the report of another deployment's rollback, writing nothing", async () => {
    const d = seedRelease(fake, { status: 'rolled-back' });
    const r = await record(fake, {
      'deployment-id': String(d.id),
      'store-branch': 'deployment-records',
      'rollback-report': JSON.stringify(rollbackReport({ rolledBackDeploymentId: Number(d.id) + 1000 })),
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.log,
      new RegExp(
        `Input "rollback-report": is the report of the rollback of deployment #${Number(d.id) + 1000} \\(v1\\.1\\.0\\), but this record is of deployment #${String(d.id)}`,
      ),
    );
    assert.equal(writes(fake), 0);
    assert.deepEqual(fake.violations, []);
  });
});

/** The report output of a rollback that switched production back from v1.1.0 to v1.0.0. */
function rollbackReport(o: { rolledBackDeploymentId: number }) {
  return {
    status: 'success',
    mode: 'apply',
    environment: 'production',
    version: 'v1.0.0',
    rolledBackVersion: 'v1.1.0',
    rolledBackDeploymentId: o.rolledBackDeploymentId,
    method: 'switch-back',
    strategy: 'blue-green',
    steps: [],
    deploymentId: 4242,
    databaseRestored: false,
    reason: 'checkout errors after switch',
    actor: 'alice',
    cancelled: false,
    durationMs: 1200,
    trafficRestoredMs: 734,
    timeline: { requestedAt: '2026-12-01T10:00:00Z' },
    phases: [],
    incidentUrl: 'https://github.com/acme/shop/issues/9',
  };
}

/** A file on a branch of the fake, read as a client would (not counted against the action: read after). */
async function branchFile(fake: FakeGitHub, branch: string, path: string): Promise<string | undefined> {
  const res = await fetch(`${fake.url}/repos/acme/shop/contents/${encodeURIComponent(path)}?ref=${branch}`, {
    headers: { authorization: 'token test' },
  });
  if (res.status === 404) return undefined;
  const body = (await res.json()) as { content: string };
  return Buffer.from(body.content, 'base64').toString('utf8');
}

const WRITES = /^(PUT|POST|PATCH|DELETE) /;
const writes = (fake: FakeGitHub) => fake.requests.filter((r) => WRITES.test(`${r.method} `)).length;

describe('record-deployment changes', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  afterEach(() => fake.close());

  it('over 250 commits keeps the count and the link, not a truncated list', async () => {
    let parent = sha('old');
    fake.seed.commitAt({ ...repo, sha: parent, date: `${DAY}T00:00:00Z` });
    for (let i = 0; i < 260; i++) {
      const next = i === 259 ? HEAD : sha(`many-${i}`);
      fake.seed.commitAt({
        ...repo,
        sha: next,
        parents: [parent],
        date: `${DAY}T01:00:00Z`,
        message: `Change ${i}`,
      });
      parent = next;
    }
    fake.seed.deployment({
      ...repo,
      environment: 'production',
      sha: sha('old'),
      payload: { version: 'v1' },
      created_at: `${DAY}T02:00:00Z`,
      statuses: ['success'],
    });
    fake.seed.deployment({
      ...repo,
      environment: 'production',
      sha: HEAD,
      payload: { version: 'v2', previousVersion: 'v1' },
      created_at: `${DAY}T03:00:00Z`,
      statuses: ['success'],
    });
    const r = await record(fake, {});
    assert.equal(r.exitCode, 0, r.log);
    const rec = JSON.parse(r.outputs.record!) as DeploymentRecord;
    assert.deepEqual([rec.changes.total, rec.changes.complete, rec.changes.commits.length], [260, false, 0]);
    assert.match(rec.changes.url ?? '', /\/compare\//);
    assert.match(readFileSync(r.outputs['markdown-path']!, 'utf8'), /260 commits, too many to list here/);
    assert.equal(rec.id, `DEP-${DAY}-002`);
    assert.deepEqual(fake.violations, []);
  });
});

describe('record-deployment store-branch', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  afterEach(() => fake.close());

  const path = `deployments/production/DEP-${DAY}-003`;

  it('creates the branch (an orphan commit) when it is missing, then commits the JSON and the markdown', async () => {
    seedRelease(fake);
    const r = await record(fake, {
      'store-branch': 'deployment-records',
      notes: `pasted by mistake: ${TOKEN}`,
    });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(fake.count('POST /repos/{owner}/{repo}/git/commits'), 1);
    const commit = fake.requests.find((q) => q.method === 'POST' && q.path.endsWith('/git/commits'));
    assert.deepEqual((commit?.body as { parents: string[] }).parents, [], 'an orphan commit');
    assert.equal(fake.count('POST /repos/{owner}/{repo}/git/refs'), 1);
    const json = await branchFile(fake, 'deployment-records', `${path}.json`);
    assert.deepEqual(JSON.parse(json!), JSON.parse(r.outputs.record!));
    assert.match(
      (await branchFile(fake, 'deployment-records', `${path}.md`))!,
      /\*\*Deployment ID:\*\* DEP-/,
    );
    assert.match((await branchFile(fake, 'deployment-records', 'README.md'))!, /Deployment records/);
    for (const stored of [
      json!,
      (await branchFile(fake, 'deployment-records', `${path}.md`))!,
      everythingVisible(r),
    ]) {
      assert.ok(!stored.includes(TOKEN), 'the token is never stored or shown');
    }
    assert.match(json!, /pasted by mistake: \*\*\*/);
    assert.match(r.outputs.url!, /deployment-records\/deployments\/production\/DEP-2026-11-30-003\.json$/);
    assert.match(r.summary, /Stored on branch `deployment-records` \(created now\)/);
    assert.deepEqual(fake.violations, []);
  });

  it('commits to an existing branch with two writes and stays within the budget', async () => {
    seedRelease(fake);
    fake.seed.file({ ...repo, branch: 'deployment-records', path: 'README.md', content: 'records' });
    const r = await record(fake, { 'store-branch': 'deployment-records' });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(fake.count('PUT /repos/{owner}/{repo}/contents/{path}'), 2);
    assert.equal(fake.count('POST /repos/{owner}/{repo}/git/refs'), 0);
    assert.ok(fake.count() <= 8, `${fake.count()} requests`);
    assert.ok(await branchFile(fake, 'deployment-records', `${path}.json`));
    assert.deepEqual(fake.violations, []);
  });

  it('with a concurrent writer: retries the 409, keeps the other record, never overwrites it', async () => {
    seedRelease(fake);
    fake.seed.file({ ...repo, branch: 'deployment-records', path: 'README.md', content: 'records' });
    // Another run stored a record of another deployment under our id a moment ago, and commits again as we write.
    const theirs = JSON.stringify({ id: `DEP-${DAY}-003`, deploymentId: 1, environment: 'production' });
    fake.seed.file({ ...repo, branch: 'deployment-records', path: `${path}.json`, content: theirs });
    fake.seed.raceNextWrite({
      ...repo,
      branch: 'deployment-records',
      path: 'deployments/production/other.json',
      content: '{}',
    });
    const r = await record(fake, { 'store-branch': 'deployment-records' });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(await branchFile(fake, 'deployment-records', `${path}.json`), theirs, 'not overwritten');
    assert.equal(await branchFile(fake, 'deployment-records', 'deployments/production/other.json'), '{}');
    assert.equal(r.outputs['record-id'], `DEP-${DAY}-004`);
    const mine = JSON.parse(
      (await branchFile(fake, 'deployment-records', `deployments/production/DEP-${DAY}-004.json`))!,
    );
    assert.equal(mine.id, `DEP-${DAY}-004`);
    assert.ok(await branchFile(fake, 'deployment-records', `deployments/production/DEP-${DAY}-004.md`));
    assert.match(r.log, /holds another deployment's record/);
    assert.deepEqual(fake.violations, []);
  });

  it('two runs recording two deployments at once both land', async () => {
    const d = seedRelease(fake);
    const other = fake.seed.deployment({
      ...repo,
      environment: 'production',
      sha: sha('next'),
      payload: { version: 'v1.2.0', previousVersion: 'v1.1.0' },
      created_at: `${DAY}T11:00:00Z`,
      statuses: ['success'],
    });
    const [a, b] = await Promise.all([
      record(fake, { 'store-branch': 'deployment-records', 'deployment-id': String(d.id) }),
      record(fake, { 'store-branch': 'deployment-records', 'deployment-id': String(other.id) }),
    ]);
    assert.equal(a.exitCode, 0, a.log);
    assert.equal(b.exitCode, 0, b.log);
    assert.notEqual(a.outputs['record-id'], b.outputs['record-id']);
    for (const r of [a, b]) {
      const stored = await branchFile(
        fake,
        'deployment-records',
        `deployments/production/${r.outputs['record-id']}.json`,
      );
      assert.deepEqual(JSON.parse(stored!), JSON.parse(r.outputs.record!));
    }
    assert.deepEqual(fake.violations, []);
  });

  it('a 403 names the contents: write permission', async () => {
    seedRelease(fake);
    fake.seed.file({ ...repo, branch: 'deployment-records', path: 'README.md', content: 'records' });
    fake.failNext({ status: 403, match: 'PUT /repos/{owner}/{repo}/contents/{path}' });
    const r = await record(fake, { 'store-branch': 'deployment-records' });
    assert.equal(r.exitCode, 1);
    assert.match(r.log, /permissions: contents: write/);
    assert.ok(!everythingVisible(r).includes(TOKEN));
  });
});

describe('record-deployment bad input', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub({ validate: true });
    seedRelease(fake);
  });
  afterEach(() => fake.close());

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['dora-window: 1y', { 'dora-window': '1y' }, /Input "dora-window".*"1y"/],
    ['dora-window over 90 days', { 'dora-window': '120d' }, /Input "dora-window": at most 90d/],
    [
      'a smoke-report that is not JSON',
      { 'smoke-report': 'passed: yes' },
      /Input "smoke-report": is not JSON/,
    ],
    [
      'a smoke-report that is a deploy report',
      {
        'smoke-report': JSON.stringify({
          status: 'success',
          environment: 'production',
          version: 'v1',
          strategy: 'rolling',
          provider: 'command',
          phases: [],
        }),
      },
      /Input "smoke-report": is not a smoke-test report/,
    ],
    [
      'an unknown status',
      { status: 'partial' },
      /Input "status": expected one of success, failure, rolled-back, got "partial"/,
    ],
    [
      'an environment with a workflow command',
      { environment: 'prod\n::error::pwned' },
      /Input "environment"/,
    ],
    ['a store-branch that reads as an option', { 'store-branch': '--force' }, /Input "store-branch"/],
    [
      "a deploy report given as the rollback's",
      {
        'rollback-report': JSON.stringify({
          status: 'success',
          environment: 'production',
          version: 'v1',
          strategy: 'rolling',
          provider: 'command',
          phases: [],
        }),
      },
      /Input "rollback-report": is not a rollback \(mode apply\) report/,
    ],
  ];
  for (const [name, inputs, message] of cases) {
    it(`refuses ${name} before any request`, async () => {
      const r = await record(fake, inputs);
      assert.equal(r.exitCode, 1);
      assert.match(r.log, message);
      assert.equal(fake.count(), 0, 'nothing was asked of GitHub');
      assert.doesNotMatch(r.log, /^::error::pwned/m);
    });
  }

  it('refuses a deployment-id of another environment before any write', async () => {
    const staging = fake.state.deployments.find((d) => d.environment === 'staging')!;
    const r = await record(fake, {
      'deployment-id': String(staging.id),
      'store-branch': 'deployment-records',
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.log,
      new RegExp(
        `Input "deployment-id": deployment ${String(staging.id)} is of environment "staging", not "production"`,
      ),
    );
    assert.equal(writes(fake), 0);
    assert.deepEqual(fake.violations, []);
  });
});

describe('record-deployment DORA', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  afterEach(() => fake.close());

  /** 10 days of history with known answers; returns the deployment to record (v4). */
  function seedWindow() {
    const N = Date.now();
    const t = (days: number, minutes = 0) =>
      new Date(N - days * 86_400_000 + minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const c = (name: string, parent: string | undefined, date: string) =>
      fake.seed.commitAt({
        ...repo,
        sha: name === 'c4' ? HEAD : sha(name),
        parents: parent ? [parent === 'c4' ? HEAD : sha(parent)] : [],
        date,
        message: `${name} (#${name.slice(1)})`,
      });
    c('b0', undefined, t(15, -60));
    c('c1', 'b0', t(9, -110)); // lead 2 h (success at +10 min)
    c('c2', 'c1', t(6, -230)); // shipped by D3 at 6d-0h+130min: lead 6 h
    c('c3', 'c2', t(6, 70)); // shipped by D3: lead 1 h
    c('c4', 'c3', t(1, -170)); // shipped by D4: lead 3 h
    const ok = (at: string) => [{ state: 'success' as const, created_at: at }];
    const deploy = (
      version: string,
      commit: string,
      at: number,
      statuses: never[],
      previousVersion?: string,
    ) =>
      fake.seed.deployment({
        ...repo,
        environment: 'production',
        sha: commit,
        payload: {
          version,
          strategy: 'rolling',
          provider: 'command',
          previousVersion,
          runUrl: `https://github.com/acme/shop/actions/runs/${RUN}/attempts/1`,
        },
        created_at: t(at),
        statuses,
      });
    deploy('v0', sha('b0'), 15, ok(t(15, 10)) as never[]); // the window before: 1 success in 10 days
    deploy('v1', sha('c1'), 9, ok(t(9, 10)) as never[], 'v0');
    deploy(
      'v2',
      sha('c2'),
      6,
      [
        { state: 'failure', created_at: t(6, 20), description: 'v2: health failed; traffic never moved' },
      ] as never[],
      'v1',
    );
    deploy('v3', sha('c3'), 6 - 2 / 24, ok(t(6, 130)) as never[], 'v1'); // restores v2 after 2 h 10 min
    const d4 = deploy(
      'v4',
      HEAD,
      1,
      [
        { state: 'success', created_at: t(1, 10) },
        { state: 'inactive', created_at: t(1, 180), description: 'rolled back to v3 by @alice: errors' },
      ] as never[],
      'v3',
    );
    fake.seed.deployment({
      ...repo,
      environment: 'production',
      task: 'deploy:rollback',
      sha: sha('c3'),
      payload: { version: 'v3', rollback_of: d4.id, reason: 'errors', strategy: 'rolling' },
      created_at: t(1, 170),
      statuses: [{ state: 'success', created_at: t(1, 180) }], // restores v4 after 3 h
    });

    return d4;
  }

  it('computes the metrics over a seeded 10-day window with known answers, and the trend', async () => {
    const d4 = seedWindow();
    const r = await record(fake, { 'dora-window': '10d', 'deployment-id': String(d4.id) });
    assert.equal(r.exitCode, 0, r.log);
    // 3 successes / 10 days; lead times 1, 2, 3, 6 h; failures v2 and v4 of 4; restores 2 h 10 min and 3 h
    if (process.env.SHOW_SUMMARY) console.log(r.summary);
    assert.equal(r.outputs['deployment-frequency'], '0.3');
    assert.equal(r.outputs['lead-time-hours'], '2.5');
    assert.equal(r.outputs['change-failure-rate'], '0.5');
    assert.equal(r.outputs['time-to-restore-hours'], '2.58');
    const dora = (
      r.report as { dora: { current: Record<string, unknown>; previous: Record<string, unknown> } }
    ).dora;
    assert.deepEqual(dora.current.ratings, {
      deploymentFrequency: 'high',
      leadTime: 'elite',
      changeFailureRate: 'low',
      timeToRestore: 'high',
    });
    assert.equal(dora.previous.deploymentFrequency, 0.1);
    assert.equal(dora.previous.changeFailureRate, 0);
    assert.match(
      r.summary,
      /\| Deployment frequency \(per day\) \| 0\.3 \| 🟢 high \| ▲ better \(was 0\.1\) \|/,
    );
    assert.match(r.summary, /\| Change failure rate \(%\) \| 50 \| 🔴 low \| ▲ worse \(was 0\) \|/);
    // record: list, statuses, approvals, compare, tags; DORA: the 5 other deployments' statuses and 2 more compares
    const requests = (r.report as { requests: { record: number; dora: number; total: number } }).requests;
    assert.deepEqual([requests.record, requests.dora], [5, 7]);
    assert.equal(fake.count(), 12);
    assert.match(r.summary, /GitHub API requests: 12 \(record 5, store 0, DORA 7\)/);
    assert.deepEqual(fake.violations, []);
  });

  it('keeps the changes it compared in the records branch, so the next run needs no compare for them', async () => {
    const d4 = seedWindow();
    const inputs = {
      'dora-window': '10d',
      'deployment-id': String(d4.id),
      'store-branch': 'deployment-records',
    };
    const first = await record(fake, inputs);
    assert.equal(first.exitCode, 0, first.log);
    assert.equal(fake.count('GET /repos/{owner}/{repo}/compare/{basehead}'), 3);
    const index = JSON.parse(
      (await branchFile(fake, 'deployment-records', 'deployments/production/changes.json'))!,
    );
    assert.equal(Object.keys(index.changes).length, 3);
    const before = fake.count('GET /repos/{owner}/{repo}/compare/{basehead}');
    const second = await record(fake, inputs);
    assert.equal(second.exitCode, 0, second.log);
    assert.equal(
      fake.count('GET /repos/{owner}/{repo}/compare/{basehead}') - before,
      1,
      "only the record's own compare",
    );
    assert.equal((second.report as { dora: { changesFromIndex: number } }).dora.changesFromIndex, 3);
    for (const name of [
      'deployment-frequency',
      'lead-time-hours',
      'change-failure-rate',
      'time-to-restore-hours',
    ])
      assert.equal(second.outputs[name], first.outputs[name], name);
    assert.equal(second.outputs['record-id'], first.outputs['record-id'], 'a re-run replaces its own record');
    assert.deepEqual(fake.violations, []);
  });
});

describe('record-deployment without a deployment to record', () => {
  let fake: FakeGitHub;
  beforeEach(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  afterEach(() => fake.close());

  it('says so when no deployment of this commit exists', async () => {
    fake.seed.deployment({ ...repo, environment: 'production', sha: sha('other'), statuses: ['success'] });
    const r = await record(fake, {});
    assert.equal(r.exitCode, 1);
    assert.match(
      r.log,
      /Input "deployment-id": not given, and none of the newest 1 deployments of "production" is of this workflow's commit 0123456789ab/,
    );
    assert.equal(writes(fake), 0);
    assert.deepEqual(fake.violations, []);
  });

  it('says so when the deployment-id does not exist', async () => {
    const r = await record(fake, { 'deployment-id': '999999' });
    assert.equal(r.exitCode, 1);
    assert.match(r.log, /Input "deployment-id": there is no deployment 999999 in acme\/shop/);
    assert.deepEqual(fake.violations, []);
  });

  it('asks for status while the deployment is still running', async () => {
    fake.seed.deployment({ ...repo, environment: 'production', sha: HEAD, statuses: ['in_progress'] });
    const r = await record(fake, { 'store-branch': 'deployment-records' });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.log,
      /Input "status": not given, and deployment \d+ has no final status yet \(latest: in_progress\)/,
    );
    assert.equal(writes(fake), 0);
    const given = await record(fake, { status: 'failure' });
    assert.equal(given.exitCode, 0, given.log);
    assert.equal((JSON.parse(given.outputs.record!) as DeploymentRecord).status, 'failure');
  });
});
