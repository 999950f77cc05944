/**
 * The plan job's own scripts, run as the runner runs them (bash, the step's env, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files) against the fake GitHub API: what is live now (Deployments API), the changes and
 * pull requests since (compare API), hostile values from the API neutralised, an API failure said in the plan,
 * and the page the reviewer reads.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { parseFileCommands, ROOT } from '../harness/run-action.js';

interface Step {
  id?: string;
  name?: string;
  run?: string;
  env?: Record<string, string>;
}
const wf = YAML.parse(readFileSync(path.join(ROOT, '.github/workflows/release.yml'), 'utf8')) as {
  jobs: Record<string, { steps: Step[] }>;
};
const releaseSteps = wf.jobs.release!.steps;
const planSteps = wf.jobs.plan!.steps;
const liveStep = planSteps.find((s) => s.id === 'live')!;
const planStep = planSteps.find((s) => s.name === 'Write the release plan')!;

/** Runs a step's script with `env` as the runner would after evaluating the step's `env:` (asynchronously: the
 * fake GitHub answers from this process). */
async function runStep(step: Step, env: Record<string, string>, temp: string) {
  const output = path.join(temp, `output-${step.id ?? 'plan'}`);
  const summary = path.join(temp, 'summary.md');
  writeFileSync(output, '');
  const r = await promisify(execFile)('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], {
    env: {
      PATH: process.env.PATH,
      RUNNER_TEMP: temp,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_REPOSITORY: 'octo-org/app',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '77',
      ...env,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { outputs: parseFileCommands(readFileSync(output, 'utf8')), stdout: r.stdout, stderr: r.stderr };
}

const sha = (n: number) => n.toString(16).padStart(40, 'c');

describe('release.yml plan: what is live and what changes', { concurrency: false }, () => {
  let fake: FakeGitHub;
  before(async () => {
    fake = await startFakeGitHub({ validate: true });
  });
  after(async () => {
    assert.deepEqual(fake.violations, []);
    await fake.close();
  });

  const live = async (environment: string, head: string) => {
    const temp = mkdtempSync(path.join(tmpdir(), 'release-plan-'));
    const env = { GH_TOKEN: 'ghs_test', GITHUB_API_URL: fake.url, ENVIRONMENT: environment, SHA: head };
    return { temp, ...(await runStep(liveStep, env, temp)) };
  };

  it('finds the live deployment (latest status success), lists the commits and pull requests since, escaped', async () => {
    // History: c1 (v40) ← c2 (v41, live on green) ← c3 ← c4 ← c5 (this release); a newer v42-bad failed.
    fake.seed.commit({ sha: sha(1), message: 'v40' });
    fake.seed.commit({ sha: sha(2), message: 'v41', parents: [sha(1)] });
    fake.seed.commit({ sha: sha(3), message: 'Add the cart (#12)\n\nbody', parents: [sha(2)] });
    fake.seed.commit({ sha: sha(4), message: 'Merge pull request #15 from o/b\n\nfix', parents: [sha(3)] });
    fake.seed.commit({
      sha: sha(5),
      message: 'Fix <script>alert(1)</script> | `x` [y](z) @team (#16)',
      parents: [sha(4)],
    });
    fake.seed.deployment({
      environment: 'prod-a',
      sha: sha(1),
      payload: { version: 'v40' },
      statuses: ['success'],
    });
    fake.seed.deployment({
      environment: 'prod-a',
      sha: sha(2),
      payload: { version: 'v41', slot: 'green' },
      statuses: ['success'],
    });
    fake.seed.deployment({
      environment: 'prod-a',
      sha: sha(4),
      payload: { version: 'v42-bad' },
      statuses: ['failure'],
    });
    fake.seed.deployment({
      environment: 'other',
      sha: sha(5),
      payload: { version: 'v99' },
      statuses: ['success'],
    });

    const before = fake.requests.length;
    const r = await live('prod-a', sha(5));
    assert.deepEqual(r.outputs, { id: r.outputs.id, version: 'v41', slot: 'green', sha: sha(2) });
    assert.match(r.outputs.id!, /^\d+$/);
    const md = readFileSync(path.join(r.temp, 'release-plan-changes.md'), 'utf8');
    assert.match(
      md,
      /Live now: `v41` \(deployment #\d+\)\. This release is \*\*ahead\*\* of it by 3 commit\(s\)/,
    );
    assert.ok(md.includes(`(https://github.com/octo-org/app/compare/${sha(2)}...${sha(5)})`), md);
    assert.ok(
      md.includes(
        'Pull requests: [#12](https://github.com/octo-org/app/pull/12), [#15](https://github.com/octo-org/app/pull/15), [#16](https://github.com/octo-org/app/pull/16)',
      ),
      md,
    );
    const lines = md.split('\n').filter((l) => l.startsWith('- '));
    assert.equal(lines.length, 3, 'one line per commit, newest first');
    assert.ok(lines[0]!.startsWith(`- \`${sha(5).slice(0, 7)}\``));
    assert.ok(!md.includes('<script>'), 'HTML escaped');
    assert.ok(lines[0]!.includes('&lt;script&gt;'), lines[0]);
    assert.ok(
      lines[0]!.includes('\\|') && lines[0]!.includes('\\`x\\`') && lines[0]!.includes('\\@team'),
      lines[0],
    );
    // Bounded: one list, one status read per deployment until the live one, one compare.
    const made = fake.requests.slice(before).map((q) => `${q.method} ${q.path}`);
    assert.equal(made.length, 4, made.join('\n'));
    assert.ok(
      fake.requests.slice(before).every((q) => q.headers.authorization === 'Bearer ghs_test'),
      'the token goes in a header',
    );
  });

  it('hostile payload values never reach an output line or the summary unescaped', async () => {
    fake.seed.deployment({
      environment: 'prod-b',
      sha: sha(2),
      payload: { version: 'v41\nslot=evil\n::error::x', slot: '`green`<b>' },
      statuses: ['success'],
    });
    const r = await live('prod-b', sha(2));
    assert.equal(r.outputs.version, 'v41slotevil::error::x', 'one line, only version characters');
    assert.equal(r.outputs.slot, 'greenb');
    assert.equal(Object.keys(r.outputs).sort().join(), 'id,sha,slot,version', 'no injected output');
    const md = readFileSync(path.join(r.temp, 'release-plan-changes.md'), 'utf8');
    assert.match(md, /the same commit: no code changes/);
  });

  it('a first release says so', async () => {
    const r = await live('brand-new', sha(5));
    assert.equal(r.outputs.version, '');
    assert.match(readFileSync(path.join(r.temp, 'release-plan-changes.md'), 'utf8'), /first release/);
  });

  it('an API failure is said in the plan and does not fail the plan', async () => {
    fake.failNext({ status: 500, times: 10, match: /deployments/ });
    const r = await live('prod-a', sha(5));
    assert.equal(r.outputs.version, '');
    assert.match(
      readFileSync(path.join(r.temp, 'release-plan-changes.md'), 'utf8'),
      /Could not read the deployments of this environment/,
    );
  });

  it('the plan page: version, commit, backup, rollback with the live version and slot, the changes', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'release-plan-'));
    writeFileSync(path.join(temp, 'release-plan-changes.md'), 'Live now: `v41`\n');
    const env = {
      ENVIRONMENT: 'production',
      VERSION: 'v42 `<b>`|x',
      REF: 'main',
      SHA: sha(5),
      HOTFIX: 'true',
      RUNBOOK: 'ops/runbook.yml`|<i>',
      BACKUP: 'true',
      MIGRATE: 'true',
      SMOKE: 'true',
      RESTORE: 'false',
      LIVE_VERSION: 'v41',
      LIVE_SLOT: 'green',
    };
    await runStep(planStep, env, temp);
    const page = readFileSync(path.join(temp, 'summary.md'), 'utf8');
    assert.match(page, /^## Release plan: `v42 bx` to `production`/);
    assert.ok(page.includes(`| Commit | \`${sha(5)}\``));
    // The hotfix settings are the runbook's (the preflight checklist shows them): the row names where, not a value.
    assert.match(
      page,
      /\| Hotfix \| \*\*yes\*\*: preflight checks with the runbook's hotfix settings \(`environments\.production\.hotfix` in `ops\/runbook\.ymli`; without that section, a 15m soak and the deploy windows as warnings\); the preflight checklist below lists what they change\. Approvals from `production-hotfix` and `production`/,
    );
    assert.match(page, /artifact `backup-production-77`/);
    assert.match(page, /traffic goes back to `v41` on `green`, live now/);
    assert.match(page, /no second approval, the database is not restored/);
    assert.match(page, /### Changes since the live version\n\nLive now: `v41`/);
    await runStep(
      planStep,
      { ...env, LIVE_VERSION: '', LIVE_SLOT: '', HOTFIX: 'false', BACKUP: 'false' },
      temp,
    );
    const second = readFileSync(path.join(temp, 'summary.md'), 'utf8').slice(page.length);
    assert.match(second, /no earlier successful version to go back to/);
    assert.match(second, /\| Backup \| \*\*off\*\*/);
    assert.doesNotMatch(second, /\| Hotfix/);
  });

  it("hotfix: the freeze that makes preflight count the approvers covers now, in preflight-check's freeze form", async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'release-plan-'));
    const step = releaseSteps.find((x) => x.id === 'hotfix-freeze')!;
    const { outputs } = await runStep(step, {}, temp);
    const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2}) (.+)$/.exec(outputs.freeze ?? '');
    assert.ok(m, outputs.freeze);
    const today = new Date().toISOString().slice(0, 10);
    assert.ok(m[1]! < today && today < m[2]!, `${m[1]} < ${today} < ${m[2]}`);
    assert.match(m[3]!, /hotfix/);
  });

  it('every run: script of release.yml is valid bash', async () => {
    for (const [name, j] of Object.entries(wf.jobs))
      for (const step of j.steps.filter((x) => x.run)) {
        const r = await promisify(execFile)('bash', ['-n', '-c', step.run!]).catch((e: Error) => e);
        assert.ok(!(r instanceof Error), `${name}: ${step.name ?? step.id}: ${String(r)}`);
      }
  });
});
