/**
 * preflight-check's hotfix path (`hotfix: true`), the bundle run as the runner runs it against the fake GitHub API,
 * with the settings in a runbook file: the runbook's `hotfix` section over its `preflight` section, as the release
 * pipeline's plan and release jobs call it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shaOf } from '../fake-github/data.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { runAction, type ActionResult } from '../harness/run-action.js';

const TOKEN = 'ghs_preflightHotfix0123456789abcdefgh';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
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
  return { repo: `hotfix${n}`, sha: shaOf(`hotfix-${n}`), runId: String(7000 + n) };
};
type Where = ReturnType<typeof fresh>;

/** A workspace whose .github/runbook.yml is these lines. */
function workspaceWith(lines: string[]): string {
  const workspace = mkdtempSync(path.join(tmpdir(), 'preflight-hotfix-'));
  mkdirSync(path.join(workspace, '.github'));
  writeFileSync(path.join(workspace, '.github/runbook.yml'), `${lines.join('\n')}\n`);
  return workspace;
}

function run(where: Where, inputs: Record<string, string>, workspace: string): Promise<ActionResult> {
  return runAction('preflight-check', {
    token: TOKEN,
    timeoutMs: 60_000,
    workspace,
    inputs: { environment: 'production', sha: where.sha, ...inputs },
    env: {
      GITHUB_API_URL: fake.url,
      GITHUB_REPOSITORY: `octo-org/${where.repo}`,
      GITHUB_SHA: where.sha,
      GITHUB_ACTOR: 'alice',
      GITHUB_RUN_ID: where.runId,
    },
  });
}

const errorOf = (r: ActionResult) => r.annotations.filter((a) => a.level === 'error').at(-1)?.message ?? '';
interface Report {
  passed: boolean;
  warnings: string[];
  gates: Array<{ name: string; status: string; summary: string; override?: string }>;
  hotfix?: { changes: string[] };
}
const reportOf = (r: ActionResult) => r.report as Report;
const gate = (r: ActionResult, name: string) => {
  const g = reportOf(r).gates.find((x) => x.name === name);
  assert.ok(g, `gate ${name} ran`);
  return g;
};

/** A commit that passes ci and reviews, deployed successfully to staging `soakedMs` ago. */
function commitSoakedFor(where: Where, soakedMs: number): void {
  const { repo, sha } = where;
  fake.seed.checkRun({ repo, head_sha: sha, name: 'build' });
  fake.seed.pull({
    repo,
    number: 3,
    head: 'hotfix/login',
    merged: true,
    merge_commit_sha: sha,
    user: 'dev',
    title: 'OPS-9: fix login',
  });
  fake.seed.review({ repo, pull_number: 3, user: 'lead', state: 'APPROVED' });
  const d = fake.seed.deployment({ repo, environment: 'staging', sha, ref: 'main', statuses: ['success'] });
  const st = fake.state.statuses.get(Number(d.id))![0]!;
  st.created_at = new Date(Date.now() - soakedMs).toISOString().replace(/\.\d+Z$/, 'Z');
}

describe('preflight-check hotfix: true (bundle, runbook hotfix section)', () => {
  it('plan: a 20-minute soak passes with the hotfix soak (fails without); outside the window only warns', async () => {
    const where = fresh();
    commitSoakedFor(where, 20 * MINUTE);
    // One hour on a weekday three days away: closed now, whatever now is.
    const closed = `${DAYS[(new Date().getUTCDay() + 3) % 7]} 09:00-10:00`;
    const workspace = workspaceWith([
      'environments:',
      '  production:',
      '    preflight:',
      '      gates: [ci, reviews, window, soak]',
      '      soak: 24h',
      `      deploy-windows: ["${closed}"]`,
      '      timezone: UTC',
      '    hotfix:',
      '      soak: 15m',
    ]);

    const normal = await run(where, {}, workspace);
    assert.equal(normal.exitCode, 1, 'a normal release stops here');
    assert.equal(normal.outputs.failed, 'window,soak');
    assert.match(gate(normal, 'soak').summary, /for 20m(\d+s)? of 24h/);
    assert.equal(reportOf(normal).hotfix, undefined);
    assert.match(errorOf(normal), /^Preflight of production/);

    const hotfix = await run(where, { hotfix: 'true' }, workspace);
    assert.equal(hotfix.exitCode, 0, errorOf(hotfix) + hotfix.log);
    assert.equal(hotfix.outputs.passed, 'true');
    assert.equal(hotfix.outputs.failed, '');
    assert.equal(hotfix.outputs.warnings, 'window');
    assert.equal(gate(hotfix, 'soak').status, 'pass');
    assert.match(gate(hotfix, 'soak').summary, /for 20m(\d+s)? \(≥ 15m\)/);
    // Outside the window, an emergency with no approvals yet (the plan runs before anyone approved): a warning.
    assert.equal(gate(hotfix, 'window').status, 'warn');
    assert.match(gate(hotfix, 'window').summary, /outside every deploy window.*0 of 2 required approvers/);
    assert.deepEqual(reportOf(hotfix).hotfix?.changes, [
      'window: warning only (hotfix)',
      'emergency: outside the window, 2 distinct approvers of this run other than the actor (hotfix)',
      'soak 15m instead of 24h (hotfix)',
    ]);
    assert.match(hotfix.summary, /^## ⚠️ Hotfix preflight passed with warnings — production ← [0-9a-f]{7}/m);
    assert.match(
      hotfix.summary,
      /\*\*Hotfix\*\* \(`hotfix: true`\): checked with the runbook's `\.github\/runbook\.yml: environments\.production\.hotfix` settings/,
    );
    assert.match(hotfix.summary, /^> - soak 15m instead of 24h \(hotfix\)$/m);
    assert.match(hotfix.summary, /> - window: warning only \(hotfix\)/);
    assert.match(hotfix.summary, /⚠️ warn \(warn-only\) \| Inside the deployment window/);
    assert.ok(
      hotfix.annotations.some(
        (a) => a.level === 'warning' && /preflight window \(warn-only\)/.test(a.message),
      ),
    );
    assert.match(hotfix.log, /soak 15m instead of 24h \(hotfix\)/);
  });

  it('release: two distinct approvers other than the actor, as many as the hotfix section says', async () => {
    const where = fresh();
    const workspace = workspaceWith([
      'environments:',
      '  production:',
      '    preflight:',
      '      emergency-approvals: 1',
      '    hotfix:',
      '      emergency-approvals: 2',
    ]);
    const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
    // As release.yml's "Hotfix approvers" step calls it: a freeze around today, so the approvers are counted.
    const step = {
      gates: 'window',
      freeze: `${day(-1)}..${day(1)} hotfix (emergency approvers required)`,
      timezone: 'UTC',
      hotfix: 'true',
      'warn-only': 'none',
    };
    const runId = Number(where.runId);
    fake.seed.approval({ run_id: runId, environments: ['production-hotfix'], user: 'alice' });
    fake.seed.approval({ run_id: runId, environments: ['production-hotfix'], user: 'bob' });
    fake.seed.approval({ run_id: runId, environments: ['production'], user: 'bob' });

    const one = await run(where, step, workspace);
    assert.equal(one.exitCode, 1, 'the actor and one person twice are not two approvers');
    assert.equal(one.outputs.failed, 'window');
    assert.match(errorOf(one), /^Hotfix preflight of production/);
    assert.match(errorOf(one), /1 of 2 required approvers \(other than alice\) approved this run: bob/);
    assert.match(errorOf(one), /The approval by alice, who started the run, does not count/);
    assert.deepEqual(reportOf(one).hotfix?.changes, [
      'emergency: outside the window, 2 distinct approvers of this run other than the actor (hotfix)',
      'emergency-approvals 2 instead of 1 (hotfix)',
    ]);
    // The same step without hotfix, declaring an emergency: the preflight section's one approver is enough.
    const { hotfix: _h, ...emergency } = step;
    const normal = await run(where, { ...emergency, emergency: 'true' }, workspace);
    assert.equal(normal.exitCode, 0, errorOf(normal));

    fake.seed.approval({ run_id: runId, environments: ['production'], user: 'carol' });
    const two = await run(where, step, workspace);
    assert.equal(two.exitCode, 0, errorOf(two));
    assert.equal(two.outputs.warnings, '');
    const w = gate(two, 'window');
    assert.equal(w.status, 'pass');
    assert.equal(w.override, 'emergency declared by alice, approved by bob, carol (2 required)');
    assert.match(two.summary, /Emergency override of the window gate/);
    assert.match(two.summary, /^## ⚠️ Hotfix preflight passed with warnings/m);
  });

  it('a bad hotfix value fails naming environments.production.hotfix.<key> before any request', async () => {
    const where = fresh();
    for (const [lines, message] of [
      [
        ['    hotfix:', '      warn-only: [window, lint]'],
        /environments\.production\.hotfix\.warn-only: unknown gate "lint"/,
      ],
      [
        ['    hotfix:', '      soak: soon'],
        /:\d+: environments\.production\.hotfix\.soak: expected a duration/,
      ],
      [
        ['    hotfix:', '      timezone: Mars/Olympus', '      freeze: ["2026-12-24..2026-12-26 x"]'],
        /environments\.production\.hotfix\.timezone: unknown time zone "Mars\/Olympus"/,
      ],
    ] as const) {
      const workspace = workspaceWith(['environments:', '  production:', ...lines]);
      const before = fake.count();
      const r = await run(where, { hotfix: 'true' }, workspace);
      assert.equal(r.exitCode, 1, lines.join('\n'));
      assert.match(errorOf(r), message);
      assert.equal(fake.count(), before, `no request for ${lines.join(' ')}`);
    }
  });
});
