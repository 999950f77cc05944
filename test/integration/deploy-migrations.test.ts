/**
 * The migrations hand-off, as the reusable workflow wires it: run-migrations applies migrations to a real
 * PostgreSQL database, deploy gets its `report` output as `migrations`, and the GitHub deployment's payload (on
 * the fake GitHub) records them compactly (tool, from, to, applied with durations), which the next release plan
 * reads. A bad `migrations` input is refused, naming the input, before any GitHub call or command; a report that
 * applied nothing certain is not recorded, and the warning says why.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { createTestDb, type TestDb } from '../harness/databases.js';
import { CMD, errorOf, report, setup, type Env } from '../harness/deploy-env.js';
import { makeWorkspace, migrate } from '../harness/migrations.js';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});
const dbs: TestDb[] = [];
after(async () => {
  for (const db of dbs) await db.drop();
});

const rolling = (e: Env, extra: Record<string, string> = {}) => ({
  strategy: 'rolling',
  command: CMD.deployAll,
  'rollback-command': CMD.rollbackAll,
  'health-url': `${e.proxy.url}/health`,
  timeout: '2s',
  ...extra,
});

const FILES = {
  'migrations/20260101090000_create_products.sql': 'create table products (id int primary key);\n',
  'migrations/20260102090000_create_orders.sql': 'create table orders (id int primary key);\n',
  'migrations/20260104090000_add_price.sql': 'alter table products add column price int;\n',
};

describe('deploy records the migrations applied for the release', () => {
  it("run-migrations' report → deploy → the deployment payload carries the compact summary", async () => {
    const db = await createTestDb('postgres', 'depmig');
    dbs.push(db);
    const ws = makeWorkspace(FILES);
    const first = await migrate(db, ws, { tool: 'sql', environment: 'production' }, {});
    assert.equal(first.exitCode, 0, first.log);
    const applied = JSON.parse(first.outputs.report!) as {
      migrations: { version: string; name: string; durationMs: number }[];
    };

    env = await setup();
    const e = env;
    const r = await e.run({ ...rolling(e), version: 'v2', migrations: first.outputs.report! });
    assert.equal(r.exitCode, 0, r.log);
    const payload = e.deployments().at(-1)!.payload;
    assert.deepEqual(payload.migrations, {
      tool: 'sql',
      from: '0',
      to: '20260104090000',
      applied: applied.migrations.map((m) => ({
        version: m.version,
        name: m.name,
        durationMs: m.durationMs,
      })),
    });
    assert.deepEqual(
      (payload.migrations as { applied: { version: string; name: string }[] }).applied.map(
        (m) => `${m.version} ${m.name}`,
      ),
      ['20260101090000 create_products', '20260102090000 create_orders', '20260104090000 add_price'],
    );
    assert.ok(!JSON.stringify(payload).includes(db.password), 'nothing of the database URL');
    assert.deepEqual(report(r).migrations, payload.migrations);
    assert.match(
      r.summary,
      /\| Migrations \| `sql`, `0` → `20260104090000`: 3 migrations applied \(recorded in deployment #\d+\) \|/,
    );
    assert.deepEqual(e.fake.violations, [], 'every fake response matched the OpenAPI schema');

    // The next release finds nothing to apply: the schema version is still recorded.
    const second = await migrate(db, ws, { tool: 'sql', environment: 'production' }, {});
    assert.equal(second.exitCode, 0, second.log);
    const r2 = await e.run({ ...rolling(e), version: 'v3', migrations: second.outputs.report! });
    assert.equal(r2.exitCode, 0, r2.log);
    assert.deepEqual(e.deployments().at(-1)!.payload.migrations, {
      tool: 'sql',
      from: '20260104090000',
      to: '20260104090000',
      applied: [],
    });
  });

  it('a dry-run report is not recorded; the warning and the summary say why, and the deploy goes on', async () => {
    const db = await createTestDb('postgres', 'depmig');
    dbs.push(db);
    const dry = await migrate(db, makeWorkspace(FILES), { tool: 'sql', mode: 'dry-run' }, {});
    assert.equal(dry.exitCode, 0, dry.log);
    env = await setup();
    const r = await env.run({ ...rolling(env), version: 'v2', migrations: dry.outputs.report! });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(env.deployments().at(-1)!.payload.migrations, undefined);
    const warning = r.annotations.find((a) => a.level === 'warning')?.message ?? '';
    assert.match(warning, /Input "migrations" not recorded in the deployment: .*mode "dry-run", not "apply"/);
    assert.match(r.summary, /\| Migrations \| ⚠️ not recorded: /);
    assert.match(report(r).migrationsIgnored!, /dry-run/);
  });

  const bad: [string, string, RegExp][] = [
    ['text that is not JSON', 'steps.migrate.outputs.report', /Input "migrations": .*not valid JSON/],
    [
      'workflow commands in text that is not JSON',
      'x\n::error::INJECTED-1\n##[error]INJECTED-2',
      /Input "migrations": expected run-migrations' report \(JSON\), got "x\\n::error::INJECTED-1\\n#\u200b?#\[error\]INJECTED-2", which is not valid JSON \([^\n]*\)\. Nothing was deployed\./,
    ],
    [
      'JSON that is not a report',
      '{"name":"app","version":"1.0.0"}',
      /Input "migrations": .*not a run-migrations report/,
    ],
    [
      'a report of another environment',
      JSON.stringify({
        mode: 'apply',
        tool: 'sql',
        environment: 'staging',
        passed: true,
        previousVersion: '1',
        currentVersion: '2',
        migrations: [{ version: '2', name: 'x', status: 'applied', durationMs: 3 }],
      }),
      /Input "migrations": the migrations were run on the environment "staging", and this deploy is to "production"/,
    ],
  ];
  for (const [what, value, message] of bad) {
    it(`refuses ${what}, naming the input, before any GitHub call or command`, async () => {
      env = await setup();
      const r = await env.run({ ...rolling(env), version: 'v2', migrations: value });
      assert.equal(r.exitCode, 1);
      assert.match(errorOf(r), message);
      assert.equal(env.fake.count(), 0, 'no GitHub call');
      assert.equal(env.slots.history.length, 0, 'nothing deployed');
      for (const line of `${r.rawStdout}\n${r.rawStderr}`.split(/\r\n|\r|\n/))
        assert.ok(!/^\s*::error::INJECTED|##\[error\]INJECTED/.test(line), line);
    });
  }
});
