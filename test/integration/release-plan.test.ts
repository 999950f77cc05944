/**
 * The plan job's own scripts, run as the runner runs them (bash, the step's env, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files) against the fake GitHub API: what is live now (Deployments API), the changes and
 * pull requests since (compare API), hostile values from the API neutralised, an API failure said in the plan,
 * the pending migrations with their time on the soak environment (from the deployments' payloads, which deploy
 * writes from run-migrations' report), and the page the reviewer reads.
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
const migrationsStep = planSteps.find((s) => s.id === 'migrations')!;
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

  it('the plan page: the pending migrations section, or a sentence when they were not read', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'release-plan-'));
    writeFileSync(path.join(temp, 'release-plan-changes.md'), 'Live now: `v41`\n');
    const env = {
      ENVIRONMENT: 'production',
      VERSION: 'v42',
      REF: 'main',
      SHA: sha(5),
      HOTFIX: 'false',
      HOTFIX_SOAK: '15m',
      BACKUP: 'true',
      MIGRATE: 'true',
      SMOKE: 'true',
      RESTORE: 'false',
      LIVE_VERSION: 'v41',
      LIVE_SLOT: 'green',
    };
    await runStep(planStep, env, temp);
    const first = readFileSync(path.join(temp, 'summary.md'), 'utf8');
    assert.match(
      first,
      /### Pending migrations\n\n_The pending migrations were not read\._ The release job's run-migrations step will list what it applies\./,
    );
    writeFileSync(path.join(temp, 'release-plan-migrations.md'), '**2 pending migrations**\n');
    await runStep(planStep, env, temp);
    const second = readFileSync(path.join(temp, 'summary.md'), 'utf8').slice(first.length);
    assert.match(
      second,
      /### Changes since the live version\n\nLive now: `v41`\n\n### Pending migrations\n\n\*\*2 pending migrations\*\*\n/,
    );
    assert.match(second, /\| Migrations \| pending migrations applied before the deploy \(listed below/);
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

/** What deploy records in the payload (src/shared/deployments/migrations.ts). */
const migrations = (from: string, to: string, applied: [string, string, number?][], extra = {}) => ({
  tool: 'sql',
  from,
  to,
  applied: applied.map(([version, name, durationMs]) => ({ version, name, durationMs })),
  ...extra,
});

describe(
  'release.yml plan: pending migrations with their time on the soak environment',
  { concurrency: false },
  () => {
    let fake: FakeGitHub;
    before(async () => {
      fake = await startFakeGitHub({ validate: true });
    });
    after(async () => {
      assert.deepEqual(fake.violations, []);
      await fake.close();
    });

    const pending = async (env: {
      ENVIRONMENT: string;
      SOAK_ENVIRONMENT: string;
      SHA: string;
      LIVE_ID: string;
      MIGRATE?: string;
    }) => {
      const temp = mkdtempSync(path.join(tmpdir(), 'release-plan-'));
      const before = fake.requests.length;
      const r = await runStep(
        migrationsStep,
        { GH_TOKEN: 'ghs_test', GITHUB_API_URL: fake.url, MIGRATE: 'true', ...env },
        temp,
      );
      const file = path.join(temp, 'release-plan-migrations.md');
      return {
        ...r,
        md: readFileSync(file, 'utf8'),
        made: fake.requests.slice(before).map((q) => `${q.method} ${q.path}`),
      };
    };
    const dep = (
      environment: string,
      n: number,
      payload: Record<string, unknown> | string,
      statuses: ('success' | 'failure')[] = ['success'],
    ) => Number(fake.seed.deployment({ environment, sha: sha(n), payload, statuses }).id);

    it('lists what the soak environment applied after the live schema version, up to this commit, with the times and a total', async () => {
      const S = 'staging-a';
      dep(S, 11, {
        version: 'v10',
        migrations: migrations('20260101000000', '20260102000000', [
          ['20260102000000', 'create_orders', 1500],
        ]),
      });
      dep('prod-m', 11, {
        version: 'v10',
        migrations: migrations('20260101000000', '20260102000000', [
          ['20260102000000', 'create_orders', 4000],
        ]),
      });
      // A deploy that failed after its migrations ran: they stay applied on staging, so they count.
      dep(
        S,
        12,
        {
          version: 'v11',
          migrations: migrations('20260102000000', '20260105000000', [
            ['20260103000000', 'add_price', 850],
            ['20260105000000', 'orders_index', 125_000],
          ]),
        },
        ['failure'],
      );
      dep(S, 12, { version: 'v11', migrations: migrations('20260105000000', '20260105000000', []) });
      // A rollback deployment records no migrations.
      dep(S, 12, { version: 'v11', rollback_of: 1 });
      dep(S, 14, {
        version: 'v12',
        migrations: migrations('20260105000000', '20260110000000', [['20260110000000', 'backfill']]),
      });
      // Newer than this commit on staging: not part of this release.
      dep(S, 15, {
        version: 'v13',
        migrations: migrations('20260110000000', '20260120000000', [
          ['20260120000000', 'not_in_this_release', 10],
        ]),
      });

      const temp = mkdtempSync(path.join(tmpdir(), 'release-plan-'));
      const live = await runStep(
        liveStep,
        { GH_TOKEN: 'ghs_test', GITHUB_API_URL: fake.url, ENVIRONMENT: 'prod-m', SHA: sha(14) },
        temp,
      );
      assert.match(live.outputs.id!, /^\d+$/);
      const r = await pending({
        ENVIRONMENT: 'prod-m',
        SOAK_ENVIRONMENT: S,
        SHA: sha(14),
        LIVE_ID: live.outputs.id!,
      });
      assert.deepEqual(r.outputs, { count: '3', 'total-ms': '125850' });
      const rows = r.md.split('\n').filter((l) => /^\| \d/.test(l));
      assert.deepEqual(rows, [
        '| 20260103000000 | add\\_price | 850 ms |',
        '| 20260105000000 | orders\\_index | 2 min 5 s |',
        '| 20260110000000 | backfill | – |',
      ]);
      assert.match(r.md, /\| \| \*\*Total\*\* \| \*\*2 min 5 s\*\* \(1 without a timing\) \|/);
      assert.match(
        r.md,
        /prod-m is at schema version \*\*20260102000000\*\* \(deployment #\d+\); this commit on staging-a is at \*\*20260110000000\*\*/,
      );
      assert.match(r.md, /\*\*3 pending migrations\*\*, in the order staging-a applied them:/);
      assert.match(r.md, /\| Version \| Name \| Time on staging-a \|/);
      assert.doesNotMatch(r.md, /not\\_in\\_this\\_release|incomplete/);
      // Bounded: the live deployment, the soak environment's list, the status of this commit's deployment there.
      assert.equal(r.made.length, 3, r.made.join('\n'));
      assert.equal(r.made[0], `GET /repos/octo-org/app/deployments/${live.outputs.id}`);
      assert.equal(r.made[1], 'GET /repos/octo-org/app/deployments');
      assert.match(r.made[2]!, /^GET \/repos\/octo-org\/app\/deployments\/\d+\/statuses$/);
    });

    it('versions the soak list does not reach are compared as numbers, and an unreached start is said', async () => {
      const S = 'staging-b';
      dep(S, 21, {
        version: 'v1',
        migrations: migrations('5', '12', [
          ['7', 'seven', 70],
          ['10', 'ten', 100],
          ['12', 'twelve', 120],
        ]),
      });
      // Live at 9 (lexically above 10 and 12, numerically below): 10 and 12 are pending.
      const live9 = dep('prod-b', 20, { version: 'v0', migrations: migrations('1', '9', []) });
      const r = await pending({
        ENVIRONMENT: 'prod-b',
        SOAK_ENVIRONMENT: S,
        SHA: sha(21),
        LIVE_ID: String(live9),
      });
      assert.equal(r.outputs.count, '2');
      assert.deepEqual(
        r.md.split('\n').filter((l) => /^\| \d/.test(l)),
        ['| 10 | ten | 100 ms |', '| 12 | twelve | 120 ms |'],
      );
      assert.doesNotMatch(r.md, /incomplete/);
      // Live at 3, below the oldest version the list starts from (5): what came between is not known.
      const live3 = dep('prod-c', 20, { version: 'v0', migrations: migrations('1', '3', []) });
      const r3 = await pending({
        ENVIRONMENT: 'prod-c',
        SOAK_ENVIRONMENT: S,
        SHA: sha(21),
        LIVE_ID: String(live3),
      });
      assert.equal(r3.outputs.count, '3');
      assert.match(r3.md, /_The list may be incomplete: /);
      // Live at this commit's version: nothing pending.
      const live12 = dep('prod-d', 21, { version: 'v1', migrations: migrations('5', '12', []) });
      const r12 = await pending({
        ENVIRONMENT: 'prod-d',
        SOAK_ENVIRONMENT: S,
        SHA: sha(21),
        LIVE_ID: String(live12),
      });
      assert.equal(r12.outputs.count, '0');
      assert.match(r12.md, /\*\*No pending migrations\.\*\*/);
      assert.doesNotMatch(r12.md, /\| Version/);
      // Live newer than this commit (e.g. a release of an older commit): said.
      const live20 = dep('prod-e', 22, { version: 'v2', migrations: migrations('12', '20', []) });
      const r20 = await pending({
        ENVIRONMENT: 'prod-e',
        SOAK_ENVIRONMENT: S,
        SHA: sha(21),
        LIVE_ID: String(live20),
      });
      assert.equal(r20.outputs.count, '0');
      assert.match(r20.md, /schema live on prod-e is newer than the one of this commit/);
    });

    const unknown = /The release job's run-migrations step will list what it applies\.\n$/;

    it('the live deployment records no migration data: a sentence, not a guess', async () => {
      const S = 'staging-c';
      dep(S, 31, { version: 'v1', migrations: migrations('1', '2', [['2', 'two', 5]]) });
      const live = dep('prod-f', 30, { version: 'v0' });
      const r = await pending({
        ENVIRONMENT: 'prod-f',
        SOAK_ENVIRONMENT: S,
        SHA: sha(31),
        LIVE_ID: String(live),
      });
      assert.equal(r.outputs.count, '');
      assert.match(
        r.md,
        new RegExp(`The live deployment of prod-f \\(#${live}\\) records no schema version`),
      );
      assert.match(r.md, unknown);
      assert.deepEqual(r.made, [`GET /repos/octo-org/app/deployments/${live}`], 'stops there');
      // A payload stored as a JSON string is read the same; one whose migrations are not an object is no data.
      const odd = dep('prod-f', 30, JSON.stringify({ version: 'v0', migrations: 'nope' }));
      assert.match(
        (await pending({ ENVIRONMENT: 'prod-f', SOAK_ENVIRONMENT: S, SHA: sha(31), LIVE_ID: String(odd) }))
          .md,
        /records no schema version/,
      );
      const asString = dep(
        'prod-f',
        30,
        JSON.stringify({ version: 'v0', migrations: migrations('0', '1', []) }),
      );
      const ok = await pending({
        ENVIRONMENT: 'prod-f',
        SOAK_ENVIRONMENT: S,
        SHA: sha(31),
        LIVE_ID: String(asString),
      });
      assert.equal(ok.outputs.count, '1');
    });

    it('what cannot be known is said: nothing live, the soak environment itself, migrations off, this commit not soaked, no data there', async () => {
      const S = 'staging-d';
      const live = dep('prod-g', 40, { version: 'v0', migrations: migrations('1', '1', []) });
      const cases: [Record<string, string>, RegExp][] = [
        [{ LIVE_ID: '' }, /Nothing is live on prod-g, or what is live is not known/],
        [{ SOAK_ENVIRONMENT: 'prod-g' }, /This release goes to prod-g, the soak environment itself/],
        [{ SHA: sha(49) }, /This commit has no successful deployment among the 30 newest of staging-d/],
        [{ SHA: sha(42) }, /This commit has no successful deployment among the 30 newest of staging-d/],
        [{ SHA: sha(43) }, /This commit's deployment on staging-d \(#\d+\) records no migrations/],
      ];
      dep(S, 42, { version: 'v2', migrations: migrations('1', '2', [['2', 'two', 1]]) }, ['failure']);
      dep(S, 43, { version: 'v3' });
      for (const [over, message] of cases) {
        const r = await pending({
          ENVIRONMENT: 'prod-g',
          SOAK_ENVIRONMENT: S,
          SHA: sha(43),
          LIVE_ID: String(live),
          ...over,
        });
        assert.match(r.md, message, JSON.stringify(over));
        assert.match(r.md, unknown);
        assert.equal(r.outputs.count, '');
      }
      const off = await pending({
        ENVIRONMENT: 'prod-g',
        SOAK_ENVIRONMENT: S,
        SHA: sha(43),
        LIVE_ID: String(live),
        MIGRATE: 'false',
      });
      assert.equal(off.md, 'Migrations are **off** for this release: none is applied.\n');
      assert.deepEqual(off.made, [], 'no request');
    });

    it('an API failure is said in the plan and does not fail the plan', async () => {
      const S = 'staging-e';
      dep(S, 51, { version: 'v1', migrations: migrations('1', '2', [['2', 'two', 5]]) });
      const live = dep('prod-h', 50, { version: 'v0', migrations: migrations('0', '1', []) });
      const env = { ENVIRONMENT: 'prod-h', SOAK_ENVIRONMENT: S, SHA: sha(51), LIVE_ID: String(live) };
      // curl tries three times (--retry 2): each fault fails every attempt, and is used up.
      fake.failNext({ status: 500, times: 3, match: 'GET /repos/{owner}/{repo}/deployments' });
      const list = await pending(env);
      assert.match(
        list.md,
        /_Could not read the deployments of staging-e: the pending migrations are unknown\._/,
      );
      assert.equal(list.outputs.count, '');
      fake.failNext({
        status: 502,
        times: 3,
        match: 'GET /repos/{owner}/{repo}/deployments/{deployment_id}',
      });
      const one = await pending(env);
      assert.match(one.md, new RegExp(`_Could not read the live deployment of prod-h \\(#${live}\\)`));
      fake.failNext({
        status: 500,
        times: 3,
        match: 'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      });
      const statuses = await pending(env);
      assert.match(statuses.md, /_Could not read the statuses of deployment #\d+ of staging-e/);
      const fine = await pending(env);
      assert.equal(fine.outputs.count, '1', 'the next plan reads them');
    });

    it('hostile versions, names and durations from the payloads are escaped, one table row each', async () => {
      const S = 'staging-f';
      const hostileName =
        'x <img src=x onerror=alert(1)> | `code` **b** [l](javascript:x)\n::error::INJECTED\r\n## heading';
      dep(S, 61, {
        version: 'v1',
        migrations: {
          tool: 'sql',
          from: '1',
          to: 'v|<b>\n::error::x',
          applied: [
            { version: 2, name: hostileName, durationMs: 'slow' },
            { version: '3\n| 9 | forged | 1 ms |', name: 'n'.repeat(500), durationMs: 1e300 },
            { version: 'v|<b>\n::error::x', name: null, durationMs: -1 },
            'not an object',
            { name: 'no version' },
          ],
        },
      });
      const live = dep('prod-i', 60, { version: 'v0', migrations: migrations('0', '1', []) });
      const r = await pending({
        ENVIRONMENT: 'prod-i',
        SOAK_ENVIRONMENT: S,
        SHA: sha(61),
        LIVE_ID: String(live),
      });
      assert.equal(r.outputs.count, '3');
      assert.deepEqual(Object.keys(r.outputs).sort(), ['count', 'total-ms']);
      assert.ok(!r.md.includes('<img') && !r.md.includes('<b>'), r.md);
      assert.ok(!/^\s*::/m.test(r.md) && !/^#/m.test(r.md), r.md);
      const rows = r.md
        .split('\n')
        .filter((l) => l.startsWith('| ') && !l.startsWith('| Version') && !l.startsWith('| |'));
      assert.equal(rows.length, 3, r.md);
      for (const row of rows) assert.equal(row.split(/(?<!\\)\|/).length, 5, `four unescaped pipes: ${row}`);
      assert.ok(
        rows[0]!.includes(
          '&lt;img src=x onerror=alert(1)&gt; \\| \\`code\\` \\*\\*b\\*\\* \\[l\\](javascript:x)',
        ),
        rows[0],
      );
      assert.ok(rows[0]!.endsWith('| – |'), 'a duration that is not a number is no timing');
      assert.ok(rows[1]!.startsWith('| 3\\| 9 \\| forged \\| 1 ms \\| |'), rows[1]);
      assert.ok(rows[1]!.endsWith('| – |'));
      assert.ok(rows[1]!.length < 400, 'names clipped');
      assert.match(r.md, /this commit on staging-f is at \*\*v\\\|&lt;b&gt;::error::x\*\*/);
    });
  },
);
