/**
 * The demo is the README's first command: it must keep working. Runs it as a user would, reads its output, and
 * asserts the GitHub state it leaves (DEMO_STATE_FILE): deployments per environment and their final states, one
 * incident issue, the records, the reviewer's approval, each release's jobs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { ROOT } from '../harness/run-action.js';
import type { DemoState } from '../../demo/pipeline.js';

it('npm run demo rehearses the release pipeline in order and leaves the planned GitHub state', () => {
  const stateFile = path.join(mkdtempSync(path.join(tmpdir(), 'demo-state-')), 'state.json');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, DEMO_STATE_FILE: stateFile },
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as DemoState;

  // The order the workflows run it in.
  const order = [
    '1. Staging: release.yml for v3',
    '▶ release v3 to staging (environment staging)',
    '2. The plan page',
    '## Release plan: `v3` to `production`',
    '3. The approval gate',
    '👤 bob',
    '▶ release v3 to production (environment production)',
    '6. The rollback job',
    '7. The record job',
    'What GitHub shows now',
  ];
  let at = -1;
  for (const line of order) {
    const i = out.indexOf(line, at + 1);
    assert.ok(i > at, `"${line}" comes after the previous stage\n${out}`);
    at = i;
  }

  // The plan page: what is live, the change, the checklist with the staging soak.
  assert.match(out, /Live now: `v2` \(deployment #\d+\)\. This release is \*\*ahead\*\* of it by 1 commit/);
  assert.match(out, /Pull requests: \[#1\]/);
  assert.match(out, /## ✅ Preflight passed — production/);
  assert.match(out, /\| ✅ pass \| Stable on staging long enough \| `soak` \|/);
  assert.match(
    out,
    /\| If monitoring fails \| the rollback job puts it back at once \(traffic goes back to `v2` on `blue`/,
  );
  // Pending migrations: production's schema from its live deployment, the timing from staging's release of v3.
  assert.match(
    out,
    /production is at schema version \*\*20260103090000\*\* \(deployment #\d+\); this commit on staging is at \*\*20260104090000\*\*/,
  );
  assert.match(out, /\| 20260104090000 \| add\\_product\\_stock \| \d+ ms \|/);
  // The release job: encrypted verified backup, the migration, blue-green, the window that caught v3.
  assert.match(out, /\| Encryption \| ✅ age, to `age1/);
  assert.match(out, /\| Verification \| ✅ restore: /);
  assert.match(out, /## ✅ Applied 1 migration on production: version 20260103090000 → 20260104090000/);
  assert.match(out, /## ✅ v3 deployed to production \(green live\), blue-green/);
  assert.match(out, /## ❌ Smoke test failed on production: monitoring window/);
  assert.match(out, /checkout: expected status 200, got 500/);
  // Rollback and record.
  assert.match(out, /## ↩️ Rolled back production: v3 → v2/);
  assert.match(out, /## ↩️ Deployment record DEP-\d{4}-\d\d-\d\d-\d{3}: production v3 \(rolled-back\)/);
  assert.match(out, /- @bob: approved \(production\)/);
  assert.match(out, /\*\*Issues Encountered:\*\*\n\n- monitoring window failed: error rate 50% \(max 1%\)/);
  assert.match(
    out,
    /\*\*Rollback Details:\*\* succeeded; by switch-back; traffic back after \S+; database not restored; rollback deployment #\d+; incident: /,
  );
  assert.match(out, /\| Change failure rate \(%\) \| 33\.3 \|/);
  assert.match(out, /nginx serves v2 on production\./);
  assert.doesNotMatch(out, /AGE-SECRET-KEY-1/, 'the backup identity never reaches the output');

  // What GitHub shows at the end.
  const of = (env: string) => state.deployments.filter((d) => d.environment === env);
  const final = (env: string) => of(env).map((d) => `${d.version}:${d.states.at(-1)}`);
  assert.deepEqual(final('staging'), ['v1:inactive', 'v2:inactive', 'v3:success']);
  assert.deepEqual(final('production'), ['v1:inactive', 'v2:inactive', 'v3:inactive', 'v2:success']);
  const [, v2, v3, back] = of('production');
  assert.deepEqual(
    of('production')[2]!.states,
    ['in_progress', 'success', 'inactive'],
    'one inactive, with the reason',
  );
  assert.match(
    v3!.description,
    /^rolled back to v2 by @alice: v3 failed on production \(monitoring window after the deploy\)/,
  );
  assert.equal(back!.sha, v2!.sha, "the rollback deployment points at v2's commit");
  assert.deepEqual(
    of('production').map((d) => d.schema),
    ['20260102090000', '20260103090000', '20260104090000', '20260104090000'],
    "v3's migration stays applied after the rollback (the database was not restored), and the next plan knows it",
  );
  assert.equal(of('staging')[2]!.sha, v3!.sha, 'staging and production released the same commit');

  assert.equal(state.issues.length, 1);
  assert.deepEqual(state.issues[0], {
    number: state.issues[0]!.number,
    title: 'Rollback of production: v3 → v2',
    labels: ['incident', 'rollback'],
    state: 'open',
  });
  assert.deepEqual(state.records.map((x) => [x.environment, x.version, x.status, x.stored]).sort(), [
    ['production', 'v3', 'rolled-back', true],
    ['staging', 'v3', 'success', false],
  ]);
  const prodRecord = state.records.find((x) => x.environment === 'production')!;
  assert.deepEqual(
    { ...prodRecord.rollback, deploymentId: undefined, trafficRestoredMs: undefined, how: undefined },
    {
      executed: true,
      to: 'v2',
      status: 'success',
      method: 'switch-back',
      databaseRestored: false,
      deploymentId: undefined,
      trafficRestoredMs: undefined,
      how: undefined,
      incident: `https://github.com/octo-org/app/issues/${state.issues[0]!.number}`,
    },
    "the record carries the rollback job's report",
  );
  assert.equal(prodRecord.rollback.deploymentId, back!.id);
  assert.deepEqual(state.records.find((x) => x.environment === 'staging')!.rollback, { executed: false });
  const [stagingRun, productionRun] = state.runs;
  assert.deepEqual(Object.keys(productionRun!.outputs).sort(), [
    'deployment-id',
    'incident-url',
    'record-id',
    'status',
  ]);
  assert.equal(productionRun!.outputs['deployment-id'], String(v3!.id));
  assert.match(productionRun!.outputs['incident-url']!, new RegExp(`/issues/${state.issues[0]!.number}$`));
  assert.equal(productionRun!.outputs['record-id'], productionRun!.recordId);
  assert.equal(stagingRun!.outputs['incident-url'], '');
  assert.deepEqual(state.approvals, [{ runId: 102, environment: 'production', user: 'bob' }]);
  assert.deepEqual(
    state.runs.map((x) => [x.environment, x.status, x.jobs]),
    [
      [
        'staging',
        'success',
        {
          plan: 'success',
          'hotfix-approval': 'skipped',
          release: 'success',
          rollback: 'skipped',
          record: 'success',
        },
      ],
      [
        'production',
        'rolled-back',
        {
          plan: 'success',
          'hotfix-approval': 'skipped',
          release: 'failure',
          rollback: 'success',
          record: 'success',
        },
      ],
    ],
  );
});
