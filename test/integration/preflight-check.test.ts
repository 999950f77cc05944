/** preflight-check's bundle run as the runner runs it, against the fake GitHub API, real HTTP and PostgreSQL. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shaOf } from '../fake-github/data.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { startHttpApp } from '../harness/http-app.js';
import { runAction, type ActionResult } from '../harness/run-action.js';

const TOKEN = 'ghs_preflightIntegration0123456789abc';
const HOUR = 3_600_000;
let fake: FakeGitHub;
let n = 0;

before(async () => {
  fake = await startFakeGitHub({ validate: true });
});
after(async () => {
  assert.deepEqual(fake.violations, []);
  await fake.close();
});

const fresh = () => {
  n++;
  return { repo: `shop${n}`, sha: shaOf(`integration-${n}`) };
};

function run(
  where: { repo: string; sha: string },
  inputs: Record<string, string>,
  o: { env?: Record<string, string>; workspace?: string } = {},
): Promise<ActionResult> {
  return runAction('preflight-check', {
    token: TOKEN,
    timeoutMs: 60_000,
    workspace: o.workspace,
    inputs: { environment: 'production', ...inputs },
    env: {
      GITHUB_API_URL: fake.url,
      GITHUB_REPOSITORY: `octo-org/${where.repo}`,
      GITHUB_SHA: where.sha,
      GITHUB_ACTOR: 'alice',
      ...o.env,
    },
  });
}

/** Where `secret` shows, outside the runner's own mask commands (which must register it). */
function assertNoLeak(r: ActionResult, secret: string): void {
  const stdout = r.rawStdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  for (const [where, text] of Object.entries({
    stdout,
    stderr: r.rawStderr,
    summary: r.summary,
    outputs: JSON.stringify(r.outputs),
  }))
    assert.ok(!text.includes(secret), `the secret appears in ${where}`);
  assert.ok(r.masks.includes(secret), 'the secret is masked');
}

const errorOf = (r: ActionResult) => r.annotations.filter((a) => a.level === 'error').at(-1)?.message ?? '';
const gatesOf = (r: ActionResult) =>
  (r.report as { gates: Array<{ name: string; status: string; summary: string }> }).gates;

/** A commit that passes the default gates, soak and ticket: one merged PR with a ticket and an approval. */
function healthyCommit(where: { repo: string; sha: string }) {
  const { repo, sha } = where;
  fake.seed.checkRun({ repo, head_sha: sha, name: 'build' });
  fake.seed.checkRun({ repo, head_sha: sha, name: 'test' });
  fake.seed.commitStatus({ repo, sha, context: 'ci/coverage', state: 'success' });
  fake.seed.pull({
    repo,
    number: 12,
    head: 'feature/login',
    merged: true,
    merge_commit_sha: sha,
    user: 'dev',
    title: 'OPS-77: faster login',
  });
  fake.seed.review({ repo, pull_number: 12, user: 'lead', state: 'APPROVED' });
  fake.seed.environment({ repo, name: 'production', reviewers: ['lead', 'sre'], prevent_self_review: true });
  const d = fake.seed.deployment({ repo, environment: 'staging', sha, ref: 'main', statuses: ['success'] });
  const st = fake.state.statuses.get(Number(d.id))![0]!;
  st.created_at = new Date(Date.now() - 30 * HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
  st.log_url = `https://github.com/octo-org/${repo}/actions/runs/99`;
}

describe('preflight-check (bundle)', () => {
  it('default gates + soak + ticket pass in at most 15 requests; outputs, report and a grouped summary', async () => {
    const where = fresh();
    healthyCommit(where);
    const before = fake.count();
    const r = await run(where, { soak: '24h', 'require-ticket': 'true' });
    assert.equal(r.exitCode, 0, r.log + errorOf(r));
    const used = fake.count() - before;
    assert.ok(used <= 15, `${used} requests`);
    assert.equal(r.outputs.passed, 'true');
    assert.equal(r.outputs.failed, '');
    assert.equal(r.outputs.ticket, 'OPS-77');
    assert.equal(r.outputs['pull-request'], '12');
    assert.deepEqual(
      gatesOf(r).map((g) => [g.name, g.status]),
      [
        ['ci', 'pass'],
        ['reviews', 'pass'],
        ['security', 'pass'],
        ['ticket', 'pass'],
        ['soak', 'pass'],
        ['protection', 'pass'],
      ],
    );
    assert.match(r.summary, /## ✅ Preflight passed — production ← [0-9a-f]{7} \(main\)/);
    for (const group of ['Change authorisation', 'Code quality', 'Release policy'])
      assert.match(r.summary, new RegExp(`### ${group}`));
    assert.match(r.summary, /\| ✅ pass \| Code review approved \| `reviews` \| PR #12 approved by lead/);
    assert.match(r.summary, /\[pull request\]\(https:\/\/github.com\/octo-org\/shop\d+\/pull\/12\)/);
    assert.match(r.summary, /Not checked: .*window/);
    assertNoLeak(r, TOKEN);
    assert.deepEqual(fake.violations, []);
  });

  it('fails once at the end naming every failed gate; warn-only turns a failure into a warning', async () => {
    const where = fresh();
    healthyCommit(where);
    fake.seed.checkRun({ repo: where.repo, head_sha: where.sha, name: 'e2e', conclusion: 'failure' });
    fake.failNext({ status: 403, match: `GET /repos/octo-org/${where.repo}/dependabot/alerts`, times: 2 });
    const failed = await run(where, {});
    assert.equal(failed.exitCode, 1);
    assert.equal(failed.outputs.passed, 'false');
    assert.equal(failed.outputs.failed, 'ci,security');
    assert.match(errorOf(failed), /Preflight of production \([0-9a-f]{7}\) failed: ci, security/);
    assert.match(errorOf(failed), /- ci: 1 of 4 failed: e2e \(failure\)/);
    assert.match(errorOf(failed), /security-events: read/);
    assert.match(failed.summary, /Do not approve this deployment/);
    assert.match(failed.summary, /\| ❌ fail \| CI: all checks passing/);

    const warned = await run(where, { 'warn-only': 'ci, security' });
    assert.equal(warned.exitCode, 0, errorOf(warned));
    assert.equal(warned.outputs.passed, 'true');
    assert.equal(warned.outputs.warnings, 'ci,security');
    assert.match(warned.summary, /⚠️ warn \(warn-only\)/);
    assert.ok(
      warned.annotations.some((a) => a.level === 'warning' && /preflight ci \(warn-only\)/.test(a.message)),
    );
  });

  it('bad inputs fail naming the input before any request', async () => {
    const where = fresh();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ gates: 'ci, lint' }, /Input "gates": unknown gate "lint"/],
      [{ 'warn-only': 'nope' }, /Input "warn-only": unknown gate "nope"/],
      [{ 'deploy-windows': 'Mon-Fri 25:00-26:00' }, /Input "deploy-windows": "25:00" is not a time of day/],
      [
        { freeze: '2026-12-26..2026-12-24 holidays' },
        /Input "freeze": .* ends \(2026-12-24\) before it starts/,
      ],
      [
        { 'deploy-windows': 'Mon-Fri 09:00-16:00', timezone: 'Mars/Olympus' },
        /Input "timezone": unknown time zone "Mars\/Olympus"/,
      ],
      [{ 'min-approvals': '-1' }, /Input "min-approvals": expected a whole number from 0 to 100, got "-1"/],
      [{ 'ticket-pattern': '[A-Z' }, /Input "ticket-pattern": is not a valid regular expression/],
      [{ soak: 'forever' }, /Input "soak": expected a duration .* got "forever"/],
      [{ gates: 'ref' }, /Input "gates": the gate ref needs the input "allowed-refs"/],
      [{ 'database-url': 'postgres://u:pw@db.internal' }, /Input "database-url": no database name/],
      [
        { environment: 'prod\n::error::x' },
        /Input "environment": expected an environment name without control characters/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const before = fake.count();
      const r = await run(where, inputs);
      assert.equal(r.exitCode, 1, JSON.stringify(inputs));
      assert.match(errorOf(r), message);
      assert.equal(fake.count(), before, `no request for ${JSON.stringify(inputs)}`);
    }
  });

  it('window: inside a freeze fails saying when it ends (the runbook file supplies the settings)', async () => {
    const where = fresh();
    const workspace = mkdtempSync(path.join(tmpdir(), 'preflight-ws-'));
    mkdirSync(path.join(workspace, '.github'));
    const day = (offset: number) => new Date(Date.now() + offset * 24 * HOUR).toISOString().slice(0, 10);
    writeFileSync(
      path.join(workspace, '.github/runbook.yml'),
      [
        'environments:',
        '  production:',
        '    preflight:',
        '      gates: [window]',
        `      freeze: ["${day(-1)}..${day(1)} year-end freeze"]`,
        '      timezone: Europe/Paris',
        '',
      ].join('\n'),
    );
    const r = await run(where, {}, { workspace });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.failed, 'window');
    assert.match(errorOf(r), new RegExp(`freeze "year-end freeze" .* until \\w{3} ${day(2)} 00:00 GMT\\+1`));
    // An input overrides the file.
    const other = await run(where, { gates: 'ci' }, { workspace });
    assert.deepEqual(
      gatesOf(other).map((g) => g.name),
      ['ci'],
    );
  });

  it('health against a real HTTP server that is down; env names set, values never printed', async () => {
    const where = fresh();
    const app = await startHttpApp({ failing: true });
    const secret = 'sk_live_supersecretvalue42';
    try {
      const r = await run(
        where,
        {
          gates: 'health, env',
          'health-url': `${app.url}/health`,
          'health-timeout': '1s',
          'required-env': 'API_KEY, EMPTY_ONE, MISSING_ONE',
        },
        { env: { API_KEY: secret, EMPTY_ONE: '' } },
      );
      assert.equal(r.exitCode, 1);
      assert.equal(r.outputs.failed, 'health,env');
      assert.match(errorOf(r), /- health: 1 of 1 health checks failing/);
      assert.match(errorOf(r), /503/);
      assert.match(errorOf(r), /- env: not set: MISSING_ONE; empty: EMPTY_ONE/);
      assertNoLeak(r, secret);
      app.set({ failing: false });
      const ok = await run(where, { gates: 'health', 'health-url': `${app.url}/health` });
      assert.equal(ok.exitCode, 0, errorOf(ok));
      assert.match(gatesOf(ok)[0]!.summary, /1 health check passing: .* 200 in \d+ ms/);
    } finally {
      await app.close();
    }
  });

  it('database: the real PostgreSQL answers; an unreachable port fails within database-timeout; no password shown', async () => {
    const where = fresh();
    const password = 'pw-preflight-Secret-91';
    const ok = await run(where, {
      gates: 'database',
      'database-url': `postgres://postgres:${password}@127.0.0.1:5432/postgres`,
    });
    assert.equal(ok.exitCode, 0, errorOf(ok));
    assert.match(
      gatesOf(ok)[0]!.summary,
      /PostgreSQL 127\.0\.0\.1:5432\/postgres answered SELECT 1 in \d+ ms \(server \d+/,
    );
    const down = await run(where, {
      gates: 'database',
      'database-url': `postgres://postgres:${password}@127.0.0.1:1/postgres`,
      'database-timeout': '3s',
    });
    assert.equal(down.exitCode, 1);
    assert.match(errorOf(down), /- database: PostgreSQL 127\.0\.0\.1:1\/postgres: /);
    for (const r of [ok, down]) assertNoLeak(r, password);
  });

  it('an emergency outside the window passes with two approvers; the summary shows the override', async () => {
    const where = fresh();
    fake.seed.approval({ run_id: 4242, environments: ['production'], user: 'alice' });
    fake.seed.approval({ run_id: 4242, environments: ['production'], user: 'bob' });
    fake.seed.approval({ run_id: 4242, environments: ['production'], user: 'carol' });
    const day = new Date(Date.now()).toISOString().slice(0, 10);
    const r = await run(where, { gates: 'window', freeze: `${day}..${day} incident`, emergency: 'true' });
    assert.equal(r.exitCode, 0, errorOf(r));
    assert.match(
      r.summary,
      /Emergency override of the window gate\*\*: emergency declared by alice, approved by bob, carol/,
    );
    assert.match(r.summary, /⚠️ override/);
  });

  it('hostile values from GitHub (an issue title, a check name) cannot start workflow commands', async () => {
    const where = fresh();
    fake.seed.issue({ repo: where.repo, number: 40, title: 'Release\n::error::pwned by title' });
    fake.seed.checkRun({
      repo: where.repo,
      head_sha: where.sha,
      name: 'build\n::warning::pwned by check',
      status: 'in_progress',
    });
    const r = await run(where, { gates: 'ticket, ci', ticket: '#40' });
    assert.equal(r.exitCode, 1);
    assert.ok(!r.annotations.some((a) => /pwned/.test(a.message) && !/^Preflight of/.test(a.message)));
    assert.ok(!r.rawStdout.split('\n').some((l) => /^\s*::(error|warning)::pwned/.test(l)));
    assert.match(r.summary, /Release\\n::error::pwned by title/);
  });

  it('a #123 ticket costs one request more; a 502 is retried as deploy does', async () => {
    const where = fresh();
    healthyCommit(where);
    fake.seed.issue({ repo: where.repo, number: 30, title: 'Change 30', labels: ['change-approved'] });
    fake.failNext({ status: 502, match: `GET /repos/octo-org/${where.repo}/environments/production` });
    const before = fake.count();
    const r = await run(where, { soak: '24h', ticket: '#30', 'ticket-label': 'change-approved' });
    assert.equal(r.exitCode, 0, errorOf(r));
    assert.equal(r.outputs.ticket, '#30');
    assert.ok(fake.count() - before <= 15 + 1, `${fake.count() - before} requests (one retry)`);
    assert.equal(fake.count(`GET /repos/octo-org/${where.repo}/environments/production`), 2);
  });
});
