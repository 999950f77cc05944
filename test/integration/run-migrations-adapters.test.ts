/**
 * run-migrations around the tools teams already use, for real: dbmate, alembic and sqitch (PostgreSQL and
 * MariaDB), knex, node-pg-migrate and `tool: command`, each against its own database. The npm tools come from the
 * repository's devDependencies (the workspace links node_modules as a user's repository would have it after
 * npm ci); alembic and sqitch from Debian (scripts/install-test-tools.sh).
 */
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createTestDb, type Engine, type TestDb } from '../harness/databases.js';
import { assertNoSecret, makeWorkspace, migrate, report } from '../harness/migrations.js';
import { ROOT } from '../harness/run-action.js';

function repo(files: Record<string, string>): string {
  const ws = makeWorkspace(files);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(ws, 'node_modules'));
  return ws;
}

const dbs: TestDb[] = [];
async function newDb(engine: Engine): Promise<TestDb> {
  const db = await createTestDb(engine, 'rma');
  dbs.push(db);
  return db;
}
after(async () => {
  for (const db of dbs) await db.drop();
});

const DBMATE = {
  'db/migrations/20240101000000_create_products.sql':
    '-- migrate:up\ncreate table products (id int primary key, name varchar(100));\n\n-- migrate:down\ndrop table products;\n',
  'db/migrations/20240102000000_create_orders.sql':
    '-- migrate:up\ncreate table orders (id int primary key);\n\n-- migrate:down\ndrop table orders;\n',
};

for (const engine of ['postgres', 'mysql'] as Engine[]) {
  describe(`dbmate adapter on ${engine}`, () => {
    it('status, apply and down to a target, with the run lock and the URL only in the environment', async () => {
      const db = await newDb(engine);
      const url = engine === 'postgres' ? `${db.url}?sslmode=disable` : db.url;
      const ws = repo(DBMATE);
      const st = await migrate(db, ws, { 'database-url': url, mode: 'status' });
      assert.equal(st.exitCode, 0, st.log);
      assert.equal(report(st).pendingCount, 2);
      assert.match(st.summary, /Tool \| dbmate \(detected from db\/migrations\)/);
      assert.deepEqual(await db.tables(), []);

      const ap = await migrate(db, ws, { 'database-url': url });
      assert.equal(ap.exitCode, 0, ap.log);
      assert.deepEqual(
        (JSON.parse(ap.outputs.applied!) as { version: string }[]).map((m) => m.version),
        ['20240101000000', '20240102000000'],
      );
      assert.equal(ap.outputs['previous-version'], '0');
      assert.equal(ap.outputs['current-version'], '20240102000000');
      assert.equal(ap.outputs['pending-count'], '0');
      assert.ok(
        report(ap).migrations.every((m) => typeof m.durationMs === 'number'),
        'dbmate reports each duration',
      );
      assert.deepEqual((await db.tables()).sort(), ['orders', 'products', 'schema_migrations']);
      assertNoSecret(ap, db);

      const down = await migrate(db, ws, { 'database-url': url, mode: 'down', target: '20240101000000' });
      assert.equal(down.exitCode, 0, down.log);
      assert.deepEqual((await db.tables()).sort(), ['products', 'schema_migrations']);
      assert.equal(down.outputs['current-version'], '20240101000000');
      assert.deepEqual(
        (JSON.parse(down.outputs.reverted!) as { version: string }[]).map((m) => m.version),
        ['20240102000000'],
      );
      assertNoSecret(down, db);
    });
  });
}

describe('adapters on postgres', () => {
  it('dbmate: two runs at the same moment apply each migration once', async () => {
    const db = await newDb('postgres');
    const url = `${db.url}?sslmode=disable`;
    const ws = repo({
      ...DBMATE,
      'db/migrations/20240101000000_create_products.sql':
        '-- migrate:up\ncreate table products (id int primary key);\nselect pg_sleep(1.5);\n\n-- migrate:down\ndrop table products;\n',
    });
    const [a, b] = await Promise.all([
      migrate(db, ws, { 'database-url': url, tool: 'dbmate' }),
      migrate(db, ws, { 'database-url': url, tool: 'dbmate' }),
    ]);
    assert.equal(a.exitCode, 0, a.log);
    assert.equal(b.exitCode, 0, b.log);
    const counts = [a, b].map((r) => (JSON.parse(r.outputs.applied!) as unknown[]).length).sort();
    assert.deepEqual(counts, [0, 2]);
    const rows = await db.query<{ version: string }>('select version from schema_migrations');
    assert.equal(rows.length, 2);
  });

  it('dbmate: a failing migration fails the step with the tool output and the state after it', async () => {
    const db = await newDb('postgres');
    const ws = repo({
      ...DBMATE,
      'db/migrations/20240102000000_create_orders.sql':
        '-- migrate:up\ncreate table orders (id int references nope(id));\n\n-- migrate:down\ndrop table orders;\n',
    });
    const r = await migrate(db, ws, { 'database-url': `${db.url}?sslmode=disable`, tool: 'dbmate' });
    assert.equal(r.exitCode, 1);
    assert.match(r.log, /Migrations failed: 20240102000000/);
    assert.match(r.log, /dbmate apply exited with code \d+/);
    assert.match(r.log, /relation "nope" does not exist/);
    assert.equal(r.outputs['current-version'], '20240101000000');
    assert.deepEqual(
      report(r).migrations.map((m) => [m.version, m.status]),
      [
        ['20240101000000', 'applied'],
        ['20240102000000', 'failed'],
      ],
    );
    assertNoSecret(r, db);
  });

  it('knex (detected from knexfile.js): status, apply, down', async () => {
    const db = await newDb('postgres');
    const ws = repo({
      'knexfile.js':
        "module.exports = { client: 'pg', connection: process.env.DATABASE_URL, migrations: { directory: './migrations' } };\n",
      'migrations/20240101000000_create_products.js':
        "exports.up = (knex) => knex.schema.createTable('products', (t) => { t.integer('id'); });\nexports.down = (knex) => knex.schema.dropTable('products');\n",
      'migrations/20240102000000_create_orders.js':
        "exports.up = (knex) => knex.schema.createTable('orders', (t) => { t.integer('id'); });\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
    });
    const st = await migrate(db, ws, { mode: 'status' });
    assert.equal(st.exitCode, 0, st.log);
    assert.equal(st.outputs['pending-count'], '2');
    assert.match(st.summary, /knex \(detected from knexfile\.js\)/);

    const ap = await migrate(db, ws, {});
    assert.equal(ap.exitCode, 0, ap.log);
    assert.equal(ap.outputs['current-version'], '20240102000000');
    assert.equal((JSON.parse(ap.outputs.applied!) as unknown[]).length, 2);
    assert.ok((await db.tables()).includes('orders'));

    const down = await migrate(db, ws, { mode: 'down', target: '0' });
    assert.equal(down.exitCode, 0, down.log);
    assert.equal(down.outputs['current-version'], '0');
    assert.ok(!(await db.tables()).includes('products'));
    assertNoSecret(down, db);
  });

  it('node-pg-migrate: status (read from its table), apply, down', async () => {
    const db = await newDb('postgres');
    const ws = repo({
      'migrations/1700000000000_create-products.sql':
        '-- Up Migration\ncreate table products (id int);\n\n-- Down Migration\ndrop table products;\n',
      'migrations/1700000000001_create-orders.sql':
        '-- Up Migration\ncreate table orders (id int);\n\n-- Down Migration\ndrop table orders;\n',
    });
    const st = await migrate(db, ws, { tool: 'node-pg-migrate', mode: 'status' });
    assert.equal(st.exitCode, 0, st.log);
    assert.equal(st.outputs['pending-count'], '2');
    const ap = await migrate(db, ws, { tool: 'node-pg-migrate' });
    assert.equal(ap.exitCode, 0, ap.log);
    assert.equal(ap.outputs['current-version'], '1700000000001');
    assert.deepEqual((await db.tables()).sort(), ['orders', 'pgmigrations', 'products']);
    const down = await migrate(db, ws, { tool: 'node-pg-migrate', mode: 'down', target: '1700000000000' });
    assert.equal(down.exitCode, 0, down.log);
    assert.deepEqual((await db.tables()).sort(), ['pgmigrations', 'products']);
    assert.equal(down.outputs['current-version'], '1700000000000');
    assertNoSecret(down, db);
  });

  it('command: runs your commands with DATABASE_URL and MIGRATION_TARGET in the environment, under the lock', async () => {
    const db = await newDb('postgres');
    const script = [
      "const pg = require('pg');",
      'const c = new pg.Client({ connectionString: process.env.DATABASE_URL });',
      '(async () => {',
      '  await c.connect();',
      '  const [cmd] = process.argv.slice(2);',
      "  if (cmd === 'apply') await c.query('create table if not exists products (id int)');",
      "  if (cmd === 'down') await c.query(`drop table products -- to ${process.env.MIGRATION_TARGET}`);",
      '  const locks = await c.query("select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = \'advisory\' and l.granted and d.datname = current_database()");',
      '  console.log(`${cmd} done; advisory locks held: ${locks.rows[0].n}`);',
      '  await c.end();',
      '})().catch((e) => { console.error(e.message); process.exit(1); });',
    ].join('\n');
    const ws = repo({ 'ops/migrate.cjs': script });
    const inputs = {
      tool: 'command',
      'status-command': 'node ops/migrate.cjs status',
      'apply-command': 'node ops/migrate.cjs apply',
      'down-command': 'node ops/migrate.cjs down',
    };
    const ap = await migrate(db, ws, inputs);
    assert.equal(ap.exitCode, 0, ap.log);
    assert.match(ap.log, /apply done; advisory locks held: 1/);
    assert.ok((await db.tables()).includes('products'));
    const st = await migrate(db, ws, { ...inputs, mode: 'status' });
    assert.equal(st.exitCode, 0, st.log);
    assert.match(st.log, /status done; advisory locks held: 0/);
    const down = await migrate(db, ws, { ...inputs, mode: 'down', target: '0' });
    assert.equal(down.exitCode, 0, down.log);
    assert.deepEqual(await db.tables(), []);
    assertNoSecret(down, db);

    const failing = await migrate(db, ws, {
      ...inputs,
      'apply-command': 'node -e "console.error(\'boom at step 3\'); process.exit(3)"',
    });
    assert.equal(failing.exitCode, 1);
    assert.match(failing.log, /command apply exited with code 3/);
    assert.match(failing.log, /boom at step 3/);
  });

  it('refuses what a tool cannot do, before running anything', async () => {
    const db = await newDb('postgres');
    const cases: [Record<string, string>, Record<string, string>, RegExp][] = [
      [DBMATE, { tool: 'dbmate', mode: 'dry-run' }, /Input "mode": dbmate cannot roll migrations back/],
      [
        {},
        { tool: 'command', mode: 'apply' },
        /Input "apply-command": tool: command with mode: apply needs it/,
      ],
      [
        { 'sqitch.plan': '%project=x\n' },
        { tool: 'sqitch', mode: 'down', target: 'x y' },
        /Input "target": expected a version/,
      ],
      [DBMATE, { tool: 'dbmate', mode: 'down', target: 'abc' }, /Input "target": expected a version number/],
      [{ 'prisma/schema.prisma': '' }, {}, /prisma is not a supported tool yet.*npx prisma migrate deploy/s],
      [{}, {}, /Input "tool": auto found no migrations/],
    ];
    for (const [files, inputs, message] of cases) {
      const r = await migrate(db, repo(files), inputs);
      assert.equal(r.exitCode, 1, JSON.stringify(inputs));
      assert.match(r.log, message);
      assert.deepEqual(await db.tables(), []);
    }
  });
});

const ALEMBIC = {
  'alembic.ini': '[alembic]\nscript_location = alembic\n',
  'alembic/env.py': [
    'import os',
    'from alembic import context',
    'from sqlalchemy import create_engine',
    '',
    'url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1).replace("mysql://", "mysql+pymysql://", 1)',
    'with create_engine(url).connect() as connection:',
    '    context.configure(connection=connection, transactional_ddl=True)',
    '    with context.begin_transaction():',
    '        context.run_migrations()',
    '',
  ].join('\n'),
  'alembic/versions/ae10_products.py':
    '"""create products"""\nfrom alembic import op\nrevision = "ae10products"\ndown_revision = None\ndef upgrade():\n    op.execute("create table products (id int)")\ndef downgrade():\n    op.execute("drop table products")\n',
  'alembic/versions/b7c2_orders.py':
    '"""create orders"""\nfrom alembic import op\nrevision = "b7c2orders"\ndown_revision = "ae10products"\ndef upgrade():\n    op.execute("create table orders (id int)")\ndef downgrade():\n    op.execute("drop table orders")\n',
};

const SQITCH = (db: TestDb) => ({
  'sqitch.conf':
    db.engine === 'postgres'
      ? '[core]\n\tengine = pg\n'
      : `[core]\n\tengine = mysql\n[engine "mysql"]\n\tregistry = ${db.name}_sqitch\n`,
  'sqitch.plan':
    '%syntax-version=1.0.0\n%project=shop\n\nproducts 2026-01-01T00:00:00Z Ops <ops@example.com> # products\norders [products] 2026-01-02T00:00:00Z Ops <ops@example.com> # orders\n@v1.0 2026-01-02T00:00:01Z Ops <ops@example.com> # tag\n',
  'deploy/products.sql': 'create table products (id int);\n',
  'revert/products.sql': 'drop table products;\n',
  'verify/products.sql': 'select id from products where 1 = 0;\n',
  'deploy/orders.sql': 'create table orders (id int);\n',
  'revert/orders.sql': 'drop table orders;\n',
  'verify/orders.sql': 'select id from orders where 1 = 0;\n',
});

for (const engine of ['postgres', 'mysql'] as Engine[]) {
  describe(`alembic and sqitch adapters on ${engine}`, () => {
    it('alembic (detected from alembic.ini): status, apply, down to a revision, down to base', async () => {
      const db = await newDb(engine);
      const ws = repo(ALEMBIC);
      const st = await migrate(db, ws, { mode: 'status' });
      assert.equal(st.exitCode, 0, st.log);
      assert.equal(st.outputs['pending-count'], '2');
      assert.equal(st.outputs['current-version'], '0');
      assert.match(st.summary, /alembic \(detected from alembic\.ini\)/);
      assert.deepEqual(await db.tables(), []);

      const ap = await migrate(db, ws, {});
      assert.equal(ap.exitCode, 0, ap.log);
      assert.deepEqual(
        (JSON.parse(ap.outputs.applied!) as { version: string; name: string }[]).map((m) => [
          m.version,
          m.name,
        ]),
        [
          ['ae10products', 'create products'],
          ['b7c2orders', 'create orders'],
        ],
      );
      assert.equal(ap.outputs['current-version'], 'b7c2orders');
      assert.deepEqual((await db.tables()).sort(), ['alembic_version', 'orders', 'products']);
      assertNoSecret(ap, db);

      const down = await migrate(db, ws, { mode: 'down', target: 'ae10products' });
      assert.equal(down.exitCode, 0, down.log);
      assert.equal(down.outputs['current-version'], 'ae10products');
      assert.deepEqual((await db.tables()).sort(), ['alembic_version', 'products']);
      const base = await migrate(db, ws, { mode: 'down', target: '0' });
      assert.equal(base.exitCode, 0, base.log);
      assert.equal(base.outputs['current-version'], '0');
      assert.deepEqual(await db.tables(), ['alembic_version']);
    });

    it('sqitch (detected from sqitch.plan): status, deploy with verify, revert to a change, password only by environment', async () => {
      const db = await newDb(engine);
      const ws = repo(SQITCH(db));
      const st = await migrate(db, ws, { mode: 'status' });
      assert.equal(st.exitCode, 0, st.log);
      assert.equal(st.outputs['pending-count'], '2');
      assert.match(st.summary, /sqitch \(detected from sqitch\.plan\)/);

      const ap = await migrate(db, ws, {});
      assert.equal(ap.exitCode, 0, ap.log);
      assert.equal(ap.outputs['current-version'], 'orders');
      assert.deepEqual(
        (JSON.parse(ap.outputs.applied!) as { version: string }[]).map((m) => m.version),
        ['products', 'orders'],
      );
      assert.ok((await db.tables()).includes('orders'));
      assertNoSecret(ap, db);

      const down = await migrate(db, ws, { mode: 'down', target: 'products' });
      assert.equal(down.exitCode, 0, down.log);
      assert.equal(down.outputs['current-version'], 'products');
      assert.ok(!(await db.tables()).includes('orders'));
      assert.ok((await db.tables()).includes('products'));
      const all = await migrate(db, ws, { mode: 'down', target: '0' });
      assert.equal(all.exitCode, 0, all.log);
      assert.equal(all.outputs['current-version'], '0');
      assert.ok(!(await db.tables()).includes('products'));
    });
  });
}
