/**
 * rollback run as the runner runs it (dist bundle, INPUT_* env, file commands, post step) against real
 * processes: two app slots behind nginx, the fake GitHub API with a seeded deployment history, the commands
 * driving both for real.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { everythingVisible } from '../harness/run-action.js';
import { startLoad } from '../harness/load.js';
import {
  CMD,
  errorOf,
  report,
  setupRollback,
  TOKEN,
  waitFor,
  type RollbackEnv,
} from '../harness/rollback-env.js';

const POST_DEPLOYMENT = 'POST /repos/{owner}/{repo}/deployments';
const POST_STATUS = 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
const WRITES = /^(POST|PATCH|PUT|DELETE) /;

let env: RollbackEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const blueGreen = (e: RollbackEnv, extra: Record<string, string> = {}) => ({
  strategy: 'blue-green',
  command: CMD.deploy,
  'switch-command': CMD.switch,
  slots: `{ blue: "${e.slots.health.blue}", green: "${e.slots.health.green}" }`,
  'health-url': `${e.proxy.url}/health`,
  timeout: '3s',
  ...extra,
});

const rolling = (e: RollbackEnv, extra: Record<string, string> = {}) => ({
  strategy: 'rolling',
  command: CMD.deployAll,
  'rollback-command': CMD.rollbackAll,
  'health-url': `${e.proxy.url}/health`,
  timeout: '3s',
  ...extra,
});

const writes = (e: RollbackEnv) => e.fake.requests.filter((r) => WRITES.test(`${r.method} `)).length;

describe('rollback blue-green', () => {
  it('the old slot still runs the target: checks it, switches back under load with zero failed requests, records everything, opens the incident issue', async () => {
    env = await setupRollback({
      versions: { blue: 'v1', green: 'v2' },
      live: 'green',
      history: [
        { version: 'v1', slot: 'blue', migrations: { tool: 'sql', to: '001', applied: [] } },
        { version: 'v2', slot: 'green', migrations: { tool: 'sql', from: '001', to: '002', applied: [] } },
      ],
    });
    const e = env;
    const [v1, v2] = e.seeded as [number, number];
    const load = startLoad({ url: `${e.proxy.url}/version`, concurrency: 4, maxMs: 60_000 });
    const r = await e.run(blueGreen(e));
    await new Promise((res) => setTimeout(res, 200));
    const l = await load.stop();
    assert.equal(r.exitCode, 0, r.log);
    assert.ok(l.total > 50, `the load ran (${l.total} requests)`);
    assert.equal(l.failed, 0, `failed requests: ${l.failures.slice(0, 5).join('; ')}`);
    assert.equal(l.samples[0]!.body, 'v2');
    assert.equal(l.samples.at(-1)!.body, 'v1');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    assert.deepEqual(e.slots.history, [], 'no deploy command ran: blue still ran v1');

    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs.version, 'v1');
    assert.equal(r.outputs['rolled-back-version'], 'v2');
    assert.equal(r.outputs.slot, 'blue');
    assert.equal(r.outputs['database-restored'], 'false');
    const rep = report(r);
    assert.equal(rep.method, 'switch-back');
    assert.ok(
      rep.trafficRestoredMs! > 0 && rep.trafficRestoredMs! <= rep.durationMs,
      'time to the switch is reported',
    );
    assert.deepEqual(
      rep.phases.map((p) => [p.name, p.outcome]),
      [
        ['read deployment history', 'ok'],
        ['create deployment', 'ok'],
        ['health of blue', 'ok'],
        ['switch to blue', 'ok'],
        ['verify', 'ok'],
      ],
    );

    // GitHub records: the rollback deployment and the rolled-back one.
    const all = e.deployments();
    assert.equal(all.length, 3);
    const rb = all[2]!;
    assert.equal(r.outputs['deployment-id'], String(rb.id));
    assert.equal(rb.task, 'deploy:rollback');
    assert.deepEqual(rb.payload, {
      version: 'v1',
      slot: 'blue',
      rollback_of: v2,
      reason: 'checkout errors',
      strategy: 'blue-green',
      // The database is left as it is: v2's migration stays applied, and the next plan must know it.
      migrations: { tool: 'sql', from: '002', to: '002', applied: [] },
    });
    assert.deepEqual(rb.states, ['in_progress', 'success']);
    const shaOf = (id: number) => e.fake.state.deployments.find((d) => Number(d.id) === id)?.sha;
    assert.equal(
      shaOf(rb.id),
      shaOf(v1),
      "the rollback deployment points at v1's commit, the code that runs",
    );
    assert.notEqual(shaOf(v1), shaOf(v2));
    const bad = all.find((d) => d.id === v2)!;
    assert.equal(bad.states.at(-1), 'inactive');
    assert.equal(
      bad.states.filter((x) => x === 'inactive').length,
      1,
      'one inactive status, with the reason',
    );
    assert.equal(e.statuses(v2).at(-1)!.description, 'rolled back to v1 by @oncall-alice: checkout errors');
    assert.ok(all.find((d) => d.id === v1));

    // The incident issue.
    assert.equal(e.fake.state.issues.length, 1);
    const issue = e.fake.state.issues[0]!;
    assert.equal(r.outputs['incident-url'], issue.html_url);
    assert.equal(issue.title, 'Rollback of production: v2 → v1');
    assert.deepEqual(issue.labels, ['incident', 'rollback']);
    assert.deepEqual(
      (issue.assignees as { login: string }[]).map((a) => a.login),
      ['oncall-alice'],
    );
    const body = String(issue.body);
    assert.match(body, /\| Event \| At \(UTC\) \| Detail \|/);
    assert.match(body, /\| Deployed \| \d{4}-\d\d-\d\dT[\d:]+Z \| v2 went live \(deployment #\d+\) \|/);
    assert.match(body, /\| Rollback requested \| \d{4}-.*Z \| by @oncall-alice: checkout errors \|/);
    assert.match(body, /\| Traffic restored \| \d{4}-.*Z \| v1 serving on blue \|/);
    assert.match(body, /\| Verified \| \d{4}-.*Z \| checks passed \|/);
    assert.match(body, /Time in production: \d/);
    assert.match(body, /Time to restore: \d/);
    assert.match(body, /Database restored: no/);
    assert.match(body, /Rollback run: https:\/\/github\.com\/octo-org\/app\/actions\/runs\/4242/);
    assert.match(body, new RegExp(`Rolled-back deployment: #${v2} \\(v2\\)`));
    assert.match(body, new RegExp(`Rollback deployment: #${rb.id} \\(v1, success\\)`));
    for (const item of [
      'Error rate back to baseline',
      'Postmortem scheduled within 48 h',
      'Change log entry',
      'Root cause identified',
    ])
      assert.ok(body.includes(`- [ ] ${item}`), item);
    const labels = e.fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/labels'));
    assert.deepEqual(
      labels.map((q) => (q.body as { name: string }).name),
      ['incident', 'rollback'],
      'missing labels created',
    );

    // GitHub calls: list, 2 statuses reads, create, in_progress, success, inactive, labels list + 2 creates, issue.
    assert.equal(e.fake.count('GET /repos/{owner}/{repo}/deployments'), 1);
    assert.equal(e.fake.count('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses'), 2);
    assert.equal(e.fake.count(POST_DEPLOYMENT), 1);
    assert.equal(e.fake.count(POST_STATUS), 3);
    assert.equal(e.fake.count(), 11);
    assert.deepEqual(e.fake.violations, []);

    assert.match(r.summary, /Rolled back production: v2 → v1/);
    assert.match(r.summary, /\| Traffic restored \|/);
    assert.ok(!everythingVisible(r).includes(TOKEN), 'token never shown');

    // The post step has nothing to do.
    const calls = e.fake.count();
    const post = await e.run(blueGreen(e), { phase: 'post', state: r.state });
    assert.equal(post.exitCode, 0, post.log);
    assert.equal(e.fake.count(), calls);

    // A second rollback sees the rollback deployment as current (v1 on blue) and goes back to... v2 on green.
    const again = await e.run({ ...blueGreen(e), 'incident-issue': 'false', 'to-version': 'v2' });
    assert.equal(again.exitCode, 0, again.log);
    assert.equal(report(again).method, 'switch-back');
    assert.deepEqual(e.proxy.weights(), { blue: 0, green: 100 });
  });

  it('the old slot was reused since: the target is deployed to the idle slot first, checked, then switched', async () => {
    env = await setupRollback({
      versions: { blue: 'v3', green: 'v2' },
      live: 'green',
      history: [
        { version: 'v1', slot: 'blue' },
        { version: 'v2', slot: 'green' },
        { version: 'v3', slot: 'blue', outcome: 'failure' },
      ],
    });
    const e = env;
    const r = await e.run({ ...blueGreen(e), 'incident-issue': 'false' });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(report(r).method, 'redeploy-and-switch');
    assert.deepEqual(e.slots.history, [{ op: 'deploy', slot: 'blue', version: 'v1' }]);
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    assert.deepEqual(
      report(r).phases.map((p) => p.name),
      [
        'read deployment history',
        'create deployment',
        'deploy v1 to blue',
        'health of blue',
        'switch to blue',
        'verify',
      ],
    );
    assert.equal(e.fake.state.issues.length, 0, 'incident-issue: false');
    assert.deepEqual(e.fake.violations, []);
  });

  it('verify fails after the switch: deployment failure, the step fails with the manual step, the incident issue says so', async () => {
    env = await setupRollback({
      versions: { blue: 'v1', green: 'v2' },
      live: 'green',
      history: [
        { version: 'v1', slot: 'blue' },
        { version: 'v2', slot: 'green' },
      ],
    });
    const e = env;
    const r = await e.run(blueGreen(e, { 'health-url': `${e.proxy.url}/missing`, timeout: '1s' }));
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'failure');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 }, 'traffic stays on the target');
    const msg = errorOf(r);
    assert.match(msg, /failed at "verify"/);
    assert.match(msg, /NEEDS A HUMAN/);
    assert.match(msg, /State: traffic is on blue \(v1\); green still runs v2\./);
    assert.match(msg, /To go back to v2, run the switch-command `.*` with DEPLOY_SLOT=green\./);
    const rb = e.deployments().at(-1)!;
    assert.deepEqual(rb.states, ['in_progress', 'failure']);
    const bad = e.deployments().find((d) => d.id === e.seeded[1])!;
    assert.equal(bad.states.at(-1), 'success', 'the bad deployment is not marked inactive');
    const issue = e.fake.state.issues[0]!;
    assert.ok(issue, 'the incident issue is still created');
    assert.match(String(issue.body), /Rollback FAILED/);
    assert.match(String(issue.body), /NEEDS A HUMAN/);
    assert.match(String(issue.body), /\| Verified \| – \| not verified \|/);
    assert.deepEqual(e.fake.violations, []);
  });

  it('SIGINT while the target is deployed to the idle slot: the command stops, traffic stays on the live version, deployment error', async () => {
    env = await setupRollback({
      versions: { blue: 'v3', green: 'v2' },
      live: 'green',
      history: [
        { version: 'v1', slot: 'blue' },
        { version: 'v2', slot: 'green' },
        { version: 'v3', slot: 'blue', outcome: 'failure' },
      ],
    });
    const e = env;
    const r = await e.run(
      { ...blueGreen(e), command: 'echo "pulling image"; sleep 60; echo never', 'incident-issue': 'false' },
      {
        onSpawn: (child) => {
          void waitFor('the rollback deployment to be in progress', () =>
            e.deployments().some((d) => d.task === 'deploy:rollback' && d.states.includes('in_progress')),
          )
            .then(() => new Promise((res) => setTimeout(res, 300)))
            .then(() => child.kill('SIGINT'));
        },
        timeoutMs: 30_000,
      },
    );
    assert.equal(r.exitCode, 1, r.log);
    assert.equal(r.signal, null, 'exited by itself');
    assert.doesNotMatch(r.log, /^\s+never$/m);
    assert.deepEqual(e.deployments().at(-1)!.states, ['in_progress', 'error']);
    assert.deepEqual(e.proxy.weights(), { blue: 0, green: 100 }, 'traffic stays on the live slot');
    assert.match(errorOf(r), /was cancelled during "deploy v1 to blue"/);
    assert.match(errorOf(r), /The version was not switched|traffic is on green/);
  });
});

describe('rollback rolling', () => {
  it('runs rollback-command with the target as DEPLOY_PREVIOUS_VERSION, waits for health, records it', async () => {
    env = await setupRollback({
      versions: { blue: 'v2', green: 'v2' },
      history: [{ version: 'v1' }, { version: 'v2' }],
    });
    const e = env;
    const r = await e.run({ ...rolling(e), 'incident-issue': 'false' });
    assert.equal(r.exitCode, 0, r.log);
    assert.deepEqual(e.slots.history, [
      { op: 'rollback', slot: 'blue', version: 'v1' },
      { op: 'rollback', slot: 'green', version: 'v1' },
    ]);
    assert.equal(await (await fetch(`${e.proxy.url}/version`)).text(), 'v1');
    assert.equal(report(r).method, 'rolling');
    assert.deepEqual(e.deployments().at(-1)!.states, ['in_progress', 'success']);
    assert.equal(e.deployments().at(-1)!.payload.slot, undefined);
    assert.deepEqual(e.fake.violations, []);
  });

  it('to-version given: goes back past the previous version, with command when there is no rollback-command', async () => {
    env = await setupRollback({
      versions: { blue: 'v3', green: 'v3' },
      history: [{ version: 'v1' }, { version: 'v2' }, { version: 'v3' }],
    });
    const e = env;
    const r = await e.run({
      ...rolling(e),
      'rollback-command': '',
      'to-version': 'v1',
      'incident-issue': 'false',
    });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs.version, 'v1');
    assert.equal(r.outputs['rolled-back-version'], 'v3');
    assert.deepEqual(
      e.slots.history.map((h) => h.version),
      ['v1', 'v1'],
    );
    assert.equal(e.deployments().at(-1)!.payload.rollback_of, e.seeded[2]);
  });
});

describe('rollback refusals change nothing', () => {
  const cases: {
    name: string;
    history: { version: string; outcome?: 'success' | 'failure' }[];
    inputs: Record<string, string>;
    error: RegExp;
  }[] = [
    {
      name: 'nothing ever deployed',
      history: [],
      inputs: {},
      error: /Input "environment": no deployment of production is live.*nothing was ever deployed/,
    },
    {
      name: 'no earlier successful deployment',
      history: [{ version: 'v1', outcome: 'failure' }, { version: 'v2' }],
      inputs: {},
      error:
        /Input "environment": production runs v2 .* no earlier successful deployment of another version .*versions that ever succeeded: v2/,
    },
    {
      name: 'to-version never deployed',
      history: [{ version: 'v1' }, { version: 'v2' }],
      inputs: { 'to-version': 'v0.9' },
      error:
        /Input "to-version": v0\.9 was never successfully deployed to production; versions that were: v2, v1/,
    },
    {
      name: 'to-version already live',
      history: [{ version: 'v1' }, { version: 'v2' }],
      inputs: { 'to-version': 'v2' },
      error: /Input "to-version": v2 is already live on production/,
    },
    {
      name: 'mode apply-now',
      history: [{ version: 'v1' }, { version: 'v2' }],
      inputs: { mode: 'apply-now' },
      error: /mode.*expected one of apply, plan, got "apply-now"/s,
    },
    {
      name: 'restore-database without a backup',
      history: [{ version: 'v1' }, { version: 'v2' }],
      inputs: {
        'restore-database': 'true',
        'database-url': 'postgres://u:pw@127.0.0.1:5432/shop',
        confirm: 'shop',
      },
      error: /Input "backup-file": restore-database is true but no backup-file was given/,
    },
    {
      name: 'restore-database with a wrong confirm',
      history: [{ version: 'v1' }, { version: 'v2' }],
      inputs: {
        'restore-database': 'true',
        'database-url': 'postgres://u:pw@127.0.0.1:5432/shop',
        confirm: 'shop2',
        'backup-file': '/tmp/x.dump',
      },
      error: /Input "confirm": it must equal the name of the database being restored, "shop", got "shop2"/,
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      env = await setupRollback({ versions: { blue: 'v2', green: 'v2' }, history: c.history });
      const e = env;
      const before = e.deployments().map((d) => d.states.length);
      const r = await e.run({ ...rolling(e), ...c.inputs });
      assert.equal(r.exitCode, 1, r.log);
      assert.match(errorOf(r), c.error);
      assert.match(errorOf(r), /Nothing was changed|expected one of/);
      assert.deepEqual(e.slots.history, [], 'no command ran');
      assert.equal(writes(e), 0, 'no GitHub write');
      assert.deepEqual(
        e.deployments().map((d) => d.states.length),
        before,
      );
      assert.equal(e.fake.state.issues.length, 0);
      assert.deepEqual(e.fake.violations, []);
      // Refused after reading the history: the outputs, report and summary say so too (the pipeline's record
      // reads them); refused on the inputs alone: nothing was read, nothing is published but the error.
      if (c.name === 'mode apply-now' || c.name === 'restore-database with a wrong confirm') {
        assert.equal(r.outputs.status, undefined);
        return;
      }
      assert.equal(r.outputs.status, 'refused');
      const rep = r.report as { status: string; environment: string; reason: string };
      assert.equal(rep.status, 'refused');
      assert.equal(rep.environment, 'production');
      assert.match(rep.reason, c.error);
      assert.match(r.summary, /## ❌ Rollback of production refused: nothing was changed/);
      assert.match(r.summary, /whatever is live now is still live/);
    });
});

describe('rollback mode: plan', () => {
  it('changes nothing and says exactly what apply would do, including which backup', async () => {
    env = await setupRollback({
      versions: { blue: 'v3', green: 'v2' },
      live: 'green',
      history: [
        { version: 'v1', slot: 'blue' },
        {
          version: 'v2',
          slot: 'green',
          backup: {
            artifact: 'backup-production-777',
            runId: 777,
            file: 'shop-production-20261201T010000Z.dump',
            sha256: 'ab'.repeat(32),
            encrypted: false,
            createdAt: '2026-12-01T01:00:00Z',
          },
        },
        { version: 'v3', slot: 'blue', outcome: 'failure' },
      ],
    });
    const e = env;
    const r = await e.run({
      ...blueGreen(e),
      mode: 'plan',
      'restore-database': 'true',
      'database-url': 'postgres://u:pw@127.0.0.1:5432/shop',
      'stop-command': 'echo stop',
    });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs.status, 'planned');
    assert.equal(r.outputs.version, 'v1');
    assert.equal(r.outputs['rolled-back-version'], 'v2');
    assert.equal(r.outputs['deployment-id'], '');
    assert.equal(writes(e), 0);
    assert.deepEqual(e.slots.history, []);
    assert.deepEqual(e.proxy.weights(), { blue: 0, green: 100 });
    const steps = report(r).steps;
    assert.deepEqual(steps.slice(0, 5), [
      'run stop-command `echo stop` (stop writes)',
      `restore the pre-release backup of #${e.seeded[1]}: artifact backup-production-777 of run 777, file shop-production-20261201T010000Z.dump (sha256 ${'ab'.repeat(32)}) into shop`,
      `deploy v1 to blue (#${e.seeded[2]} put v3 there since)`,
      'check the health of blue',
      'switch all traffic from green (v2) to blue (v1)',
    ]);
    assert.match(r.summary, /What apply would do/);
    assert.match(r.log, /download artifact backup-production-777 from run 777/);
    assert.ok(!everythingVisible(r).includes(':pw@'), 'database password never shown');
    assert.deepEqual(e.fake.violations, []);
  });
});

describe('rollback post step', () => {
  it('marks a rollback deployment the main step left in_progress as error (and does nothing for a closed one)', async () => {
    env = await setupRollback({
      versions: { blue: 'v2', green: 'v2' },
      history: [
        { version: 'v1' },
        { version: 'v2' },
        { version: 'v1', task: 'deploy:rollback', outcome: 'in_progress' },
      ],
    });
    const e = env;
    const id = e.seeded[2]!;
    const post = await e.run(rolling(e), { phase: 'post', state: { 'deployment-id': String(id) } });
    assert.equal(post.exitCode, 0, post.log);
    assert.deepEqual(e.deployments().find((x) => x.id === id)!.states, ['in_progress', 'error']);
    assert.match(
      post.annotations.map((a) => a.message).join('\n'),
      /still in_progress after the job ended; marked it error/,
    );
    const calls = e.fake.count();
    const again = await e.run(rolling(e), {
      phase: 'post',
      state: { 'deployment-id': String(id), 'deployment-final': 'success' },
    });
    assert.equal(again.exitCode, 0);
    assert.equal(e.fake.count(), calls, 'no API call when the main step closed it');
    assert.deepEqual(e.fake.violations, []);
  });
});
