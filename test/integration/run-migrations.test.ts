/**
 * run-migrations' built-in sql runner, run as the runner runs it (dist bundle, INPUT_* env, file commands),
 * against real PostgreSQL 15 and MariaDB 10.11: each test has its own database.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTestDb, type Engine, type TestDb } from '../harness/databases.js';
import { everythingVisible, runAction } from '../harness/run-action.js';
import {
  assertNoSecret,
  bookkeeping,
  makeWorkspace,
  migrate,
  removeFile,
  report,
  writeFiles,
} from '../harness/migrations.js';

const THREE = {
  'migrations/0001_create_products.sql':
    'create table products (\n  id int primary key,\n  name varchar(100) not null\n);\n',
  'migrations/0002_create_orders.sql':
    "-- orders of the demo shop\ncreate table orders (id int primary key, product_id int not null);\ninsert into products (id, name) values (1, 'tea');\n",
  'migrations/0003_add_price.sql': 'alter table products add column price int;\n',
  'migrations/0001_create_products.down.sql': 'drop table products;\n',
  'migrations/0002_create_orders.down.sql': 'drop table orders;\ndelete from products;\n',
  'migrations/0003_add_price.down.sql': 'alter table products drop column price;\n',
};

for (const engine of ['postgres', 'mysql'] as Engine[]) {
  describe(`run-migrations sql runner on ${engine}`, () => {
    const dbs: TestDb[] = [];
    const newDb = async () => {
      const db = await createTestDb(engine);
      dbs.push(db);
      return db;
    };
    after(async () => {
      for (const db of dbs) await db.drop();
    });

    it('applies pending migrations in numeric order, records them once, and masks the URL', async () => {
      const db = await newDb();
      const ws = makeWorkspace({
        ...THREE,
        // numeric, not lexical, order: 10 after 3
        'migrations/10_add_stock.sql': 'alter table products add column stock int;\n',
      });
      const r = await migrate(db, ws, { tool: 'sql', environment: 'staging' });
      assert.equal(r.exitCode, 0, r.log);
      assert.deepEqual(await bookkeeping(db), ['1', '2', '3', '10']);
      assert.deepEqual((await db.tables()).sort(), ['orders', 'products', 'runbook_migrations']);
      assert.deepEqual(await db.columns('products'), ['id', 'name', 'price', 'stock']);
      const applied = JSON.parse(r.outputs.applied!) as { version: string; durationMs: number }[];
      assert.deepEqual(
        applied.map((a) => a.version),
        ['1', '2', '3', '10'],
      );
      assert.ok(applied.every((a) => Number.isInteger(a.durationMs) && a.durationMs >= 0));
      assert.equal(r.outputs['previous-version'], '0');
      assert.equal(r.outputs['current-version'], '10');
      assert.equal(r.outputs['pending-count'], '0');
      assert.match(r.outputs['duration-ms']!, /^\d+$/);
      assert.match(r.summary, /Applied 4 migrations on staging: version 0 → 10/);
      assert.match(
        r.summary,
        /\| 2 create_orders<br><sub>migrations\/0002_create_orders\.sql<\/sub> \| ✅ applied \| \d+ms \| 2 \|/,
      );
      const rows = await db.query<{ applied_by: string; checksum: string; duration_ms: number }>(
        'select applied_by, checksum, duration_ms from runbook_migrations',
      );
      assert.ok(
        rows.every((x) => x.applied_by === 'octocat run 4242/1 at 0123456'),
        JSON.stringify(rows),
      );
      assert.ok(rows.every((x) => /^[0-9a-f]{64}$/.test(String(x.checksum).trim())));
      if (engine === 'mysql') assert.match(r.summary, /commit every DDL statement/);
      assertNoSecret(r, db);

      // A second apply finds nothing to do.
      const again = await migrate(db, ws, { tool: 'sql' });
      assert.equal(again.exitCode, 0, again.log);
      assert.equal(again.outputs.applied, '[]');
      assert.match(again.summary, /Nothing to apply: already at version 10/);
    });

    it('status lists pending and applied and changes nothing, not even creating the bookkeeping table', async () => {
      const db = await newDb();
      const ws = makeWorkspace(THREE);
      const fresh = await migrate(db, ws, { mode: 'status' }); // tool: auto finds migrations/
      assert.equal(fresh.exitCode, 0, fresh.log);
      assert.match(fresh.summary, /\| Tool \| sql \(detected from migrations\/\) \|/);
      assert.equal(fresh.outputs['pending-count'], '3');
      assert.equal(fresh.outputs['current-version'], '0');
      assert.deepEqual(await db.tables(), [], 'status created nothing');

      removeFile(ws, 'migrations/0003_add_price.sql');
      removeFile(ws, 'migrations/0003_add_price.down.sql');
      assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
      writeFiles(ws, { 'migrations/0003_add_price.sql': THREE['migrations/0003_add_price.sql'] });
      const before = await db.query('select * from runbook_migrations order by version');
      const st = await migrate(db, ws, { mode: 'status', tool: 'sql' });
      assert.equal(st.exitCode, 0, st.log);
      assert.equal(st.outputs['pending-count'], '1');
      assert.equal(st.outputs['current-version'], '2');
      assert.match(st.summary, /1 pending migration \(at version 2\)/);
      assert.match(st.summary, /\| 3 \| add_price \| migrations\/0003_add_price\.sql \|/);
      assert.match(st.summary, /Applied \(2\)/);
      assert.deepEqual(await db.query('select * from runbook_migrations order by version'), before);
      assert.deepEqual(await db.columns('products'), ['id', 'name']);
    });

    if (engine === 'postgres') {
      it('dry-run runs and times every pending migration, then rolls back: schema and bookkeeping unchanged', async () => {
        const db = await newDb();
        const ws = makeWorkspace({
          'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
        });
        // On a fresh database the dry-run must not leave the bookkeeping table behind either.
        const first = await migrate(db, ws, { mode: 'dry-run', tool: 'sql' });
        assert.equal(first.exitCode, 0, first.log);
        assert.deepEqual(await db.tables(), []);

        assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
        writeFiles(ws, THREE);
        writeFiles(ws, {
          'migrations/0004_index.sql':
            '-- runbook:no-transaction\ncreate index concurrently products_name on products (name);\n',
        });
        const before = await db.query('select * from runbook_migrations');
        const r = await migrate(db, ws, { mode: 'dry-run', tool: 'sql' });
        assert.equal(r.exitCode, 0, r.log);
        const rep = report(r);
        assert.deepEqual(
          rep.migrations.map((m) => [m.version, m.status]),
          [
            ['2', 'would-apply'],
            ['3', 'would-apply'],
            ['4', 'skipped'],
          ],
        );
        assert.match(r.outputs['expected-duration-ms']!, /^\d+$/);
        assert.match(r.summary, /Expect about \d+(ms|\.\d+s|s) in production/);
        assert.match(r.summary, /cannot run inside the dry-run transaction/);
        assert.deepEqual(await db.tables(), ['products', 'runbook_migrations']);
        assert.deepEqual(await db.columns('products'), ['id', 'name']);
        assert.deepEqual(await db.query('select * from runbook_migrations'), before);
        assert.deepEqual(await db.query('select * from products'), []);
        assert.equal(r.outputs['current-version'], '1');
        assertNoSecret(r, db);
      });

      it('applies a runbook:no-transaction migration (CREATE INDEX CONCURRENTLY) outside a transaction', async () => {
        const db = await newDb();
        const ws = makeWorkspace({
          'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
          'migrations/0002_index.sql':
            '-- runbook:no-transaction\ncreate index concurrently products_name on products (name);\n',
        });
        const r = await migrate(db, ws, { tool: 'sql' });
        assert.equal(r.exitCode, 0, r.log);
        const idx = await db.query(`select indexname from pg_indexes where indexname = 'products_name'`);
        assert.equal(idx.length, 1);
        assert.match(r.summary, /no transaction/);
      });
    } else {
      it('dry-run explains that DDL cannot be rolled back and changes nothing without a scratch copy', async () => {
        const db = await newDb();
        const ws = makeWorkspace(THREE);
        const r = await migrate(db, ws, { mode: 'dry-run', tool: 'sql' });
        assert.equal(r.exitCode, 0, r.log);
        assert.match(r.summary, /DDL cannot be rolled back, so nothing was run/);
        assert.match(r.summary, /dry-run-database-url/);
        assert.deepEqual(await db.tables(), []);
      });

      it('dry-run applies and times the pending migrations on the scratch copy only', async () => {
        const db = await newDb();
        const scratch = await newDb();
        const ws = makeWorkspace(THREE);
        const r = await migrate(db, ws, {
          mode: 'dry-run',
          tool: 'sql',
          'dry-run-database-url': scratch.url,
        });
        assert.equal(r.exitCode, 0, r.log);
        assert.deepEqual(
          report(r).migrations.map((m) => m.status),
          ['would-apply', 'would-apply', 'would-apply'],
        );
        assert.deepEqual(await db.tables(), [], 'the database itself is untouched');
        assert.deepEqual(await bookkeeping(scratch), ['1', '2', '3']);
        assert.match(r.summary, /Expect about/);
        assertNoSecret(r, db);
        assert.ok(!r.rawStdout.includes(scratch.password) || r.masks.includes(scratch.password));
        assert.ok(!r.summary.includes(scratch.password));
      });
    }

    it('down reverts to the target with the .down.sql files, newest first', async () => {
      const db = await newDb();
      const ws = makeWorkspace(THREE);
      assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
      const r = await migrate(db, ws, { mode: 'down', target: '1', tool: 'sql' });
      assert.equal(r.exitCode, 0, r.log);
      assert.deepEqual(await bookkeeping(db), ['1']);
      assert.deepEqual((await db.tables()).sort(), ['products', 'runbook_migrations']);
      assert.deepEqual(await db.columns('products'), ['id', 'name']);
      assert.deepEqual(
        (JSON.parse(r.outputs.reverted!) as { version: string }[]).map((m) => m.version),
        ['3', '2'],
      );
      assert.equal(r.outputs['previous-version'], '3');
      assert.equal(r.outputs['current-version'], '1');
      assert.match(r.summary, /Reverted 2 migrations: version 3 → 1/);
      if (engine === 'mysql') assert.match(r.summary, /commit every DDL statement/);
    });

    it('down refuses before changing anything when a migration to revert has no down file', async () => {
      const db = await newDb();
      const ws = makeWorkspace(THREE);
      assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
      removeFile(ws, 'migrations/0002_create_orders.down.sql');
      const r = await migrate(db, ws, { mode: 'down', target: '0', tool: 'sql' });
      assert.equal(r.exitCode, 1);
      assert.match(r.log, /migrations\/0002_create_orders\.sql must be reverted but has no down file/);
      assert.deepEqual(await bookkeeping(db), ['1', '2', '3']);
      assert.deepEqual(await db.columns('products'), ['id', 'name', 'price']);
    });

    it('a failing second migration of three: the first stays, the rest do not, the annotation names file and line', async () => {
      const db = await newDb();
      const failing =
        engine === 'postgres'
          ? // the error position (the column "nope") is on line 4; the statement starts on line 3
            '-- add orders\ncreate table orders (id int);\ninsert into products (name)\n  select nope from products;\n'
          : // MySQL: DML is transactional, so the first insert is rolled back too
            "insert into products (id, name) values (1, 'tea');\n\ninsert into products (id, nope) values (2, 'x');\n";
      const ws = makeWorkspace({
        'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
        'migrations/0002_broken.sql': failing,
        'migrations/0003_add_price.sql': THREE['migrations/0003_add_price.sql'],
      });
      const r = await migrate(db, ws, { tool: 'sql' });
      assert.equal(r.exitCode, 1);
      assert.deepEqual(await bookkeeping(db), ['1']);
      assert.deepEqual((await db.tables()).sort(), ['products', 'runbook_migrations']);
      assert.deepEqual(await db.columns('products'), ['id', 'name']);
      assert.deepEqual(await db.query('select * from products'), []);
      const expectedLine = engine === 'postgres' ? '4' : '3';
      const ann = r.annotations.find((a) => a.level === 'error' && a.properties.file);
      assert.ok(ann, `an error annotation with a file: ${JSON.stringify(r.annotations)}`);
      assert.equal(ann.properties.file, 'migrations/0002_broken.sql');
      assert.equal(ann.properties.line, expectedLine);
      assert.match(
        ann.message,
        engine === 'postgres' ? /column "nope" does not exist/ : /Unknown column 'nope'/,
      );
      assert.deepEqual(
        report(r).migrations.map((m) => [m.version, m.status]),
        [
          ['1', 'applied'],
          ['2', 'failed'],
          ['3', 'not-run'],
        ],
      );
      assert.equal(r.outputs['current-version'], '1');
      assert.match(r.log, /The database is at version 1; not run: migrations\/0003_add_price\.sql/);
      assertNoSecret(r, db);
    });

    it('refuses checksum drift before any change, naming the file', async () => {
      const db = await newDb();
      const ws = makeWorkspace({
        'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
      });
      assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
      writeFiles(ws, {
        'migrations/0001_create_products.sql': 'create table products (id int primary key, sku text);\n',
        'migrations/0002_create_orders.sql': 'create table orders (id int primary key);\n',
      });
      const r = await migrate(db, ws, { tool: 'sql' });
      assert.equal(r.exitCode, 1);
      assert.match(r.log, /migrations\/0001_create_products\.sql was changed after it was applied/);
      const ann = r.annotations.find((a) => a.properties.file === 'migrations/0001_create_products.sql');
      assert.ok(ann);
      assert.deepEqual(await bookkeeping(db), ['1']);
      assert.deepEqual((await db.tables()).sort(), ['products', 'runbook_migrations']);
      assert.equal(report(r).problems[0]!.kind, 'drift');
    });

    it('refuses a pending file older than the newest applied one (out of order), before any change', async () => {
      const db = await newDb();
      const ws = makeWorkspace({
        'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
        'migrations/0003_add_price.sql': THREE['migrations/0003_add_price.sql'],
      });
      assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
      writeFiles(ws, {
        'migrations/0002_create_orders.sql': 'create table orders (id int primary key);\n',
        'migrations/0004_stock.sql': 'alter table products add column stock int;\n',
      });
      const r = await migrate(db, ws, { tool: 'sql' });
      assert.equal(r.exitCode, 1);
      assert.match(
        r.log,
        /migrations\/0002_create_orders\.sql is pending but older than the newest applied migration \(3_add_price\)/,
      );
      assert.deepEqual(await bookkeeping(db), ['1', '3']);
      assert.deepEqual(await db.columns('products'), ['id', 'name', 'price']);
      // status reports the same problem (and fails) without changing anything
      const st = await migrate(db, ws, { tool: 'sql', mode: 'status' });
      assert.equal(st.exitCode, 1);
      assert.equal(report(st).problems[0]!.kind, 'out-of-order');
    });

    it('lock-timeout: a migration waiting on a table another session holds fails within the timeout, naming the lock wait', async () => {
      const db = await newDb();
      const ws = makeWorkspace({
        'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
      });
      assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
      writeFiles(ws, {
        'migrations/0002_add_price.sql': '-- price\nalter table products add column price int;\n',
      });
      const holder = await db.connect();
      try {
        if (engine === 'postgres') {
          await holder.query('begin');
          await holder.query('lock table products in access exclusive mode');
        } else {
          await holder.query('start transaction');
          await holder.query('select * from products');
        }
        const started = Date.now();
        const r = await migrate(db, ws, { tool: 'sql', 'lock-timeout': '1s' });
        const took = Date.now() - started;
        assert.equal(r.exitCode, 1, r.log);
        assert.ok(took < 30_000, `failed within the timeout, not hanging (${took} ms)`);
        const f = report(r).failure!;
        assert.equal(f.kind, 'lock-timeout');
        assert.equal(f.file, 'migrations/0002_add_price.sql');
        assert.equal(f.line, 2);
        assert.match(f.message, /waited longer than lock-timeout \(1s\) for a lock held by another session/);
        assert.match(f.message, /Sessions with open transactions: /);
      } finally {
        await holder.close();
      }
      assert.deepEqual(await bookkeeping(db), ['1']);
      assert.deepEqual(await db.columns('products'), ['id', 'name']);
    });

    it('statement-timeout stops a statement that runs too long', async () => {
      const db = await newDb();
      const sleep = engine === 'postgres' ? 'select pg_sleep(20);' : 'select sleep(20);';
      const ws = makeWorkspace({ 'migrations/0001_slow.sql': `create table t (id int);\n${sleep}\n` });
      const r = await migrate(db, ws, { tool: 'sql', 'statement-timeout': '1s' });
      assert.equal(r.exitCode, 1, r.log);
      const f = report(r).failure!;
      assert.equal(f.kind, 'statement-timeout');
      assert.equal(f.line, 2);
      assert.match(f.message, /ran longer than statement-timeout \(1s\)/);
      assert.deepEqual(await bookkeeping(db).catch(() => []), []);
    });

    if (engine === 'mysql')
      it('MySQL/MariaDB: a migration failing after a DDL statement says which statements stay applied', async () => {
        const db = await newDb();
        const ws = makeWorkspace({
          'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
          'migrations/0002_half.sql':
            'create table orders (id int);\nalter table products add column nope_col int;\nselect nope from products;\n',
        });
        const r = await migrate(db, ws, { tool: 'sql' });
        assert.equal(r.exitCode, 1);
        const m = report(r).migrations.find((x) => x.status === 'failed')!;
        assert.equal(m.error!.line, 3);
        assert.match(
          m.note!,
          /2 statement\(s\) before the failing one stay applied \(MySQL\/MariaDB DDL commits at once\); the migration is not recorded/,
        );
        assert.match(r.log, /fix the database by hand before re-running/);
        assert.deepEqual(await bookkeeping(db), ['1']);
        assert.ok(
          (await db.tables()).includes('orders'),
          'the DDL before the failure was committed, as reported',
        );
      });

    it('a cancelled job stops the running migration and leaves the database at the previous version', async () => {
      const db = await newDb();
      const sleep = engine === 'postgres' ? 'select pg_sleep(60);' : 'select sleep(60);';
      const ws = makeWorkspace({
        'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
        'migrations/0002_slow.sql': `create table orders (id int);\n${sleep}\n`,
      });
      const started = Date.now();
      const r = await runAction('run-migrations', {
        workspace: ws,
        inputs: { 'database-url': db.url, tool: 'sql' },
        timeoutMs: 60_000,
        // as the runner cancels: SIGINT first
        onSpawn: (child) => setTimeout(() => child.kill('SIGINT'), 2500).unref(),
      });
      assert.ok(
        Date.now() - started < 20_000,
        `stopped promptly after the cancel (${Date.now() - started} ms)`,
      );
      assert.equal(r.exitCode, 1, r.log);
      assert.match(r.log, /the job is being cancelled/);
      assert.match(r.log, /the job was cancelled while migrations\/0002_slow\.sql ran/);
      assert.deepEqual(await bookkeeping(db), ['1']);
      if (engine === 'postgres') assert.ok(!(await db.tables()).includes('orders'), 'rolled back');
      // The server is not left running the statement (holding its locks) after the step ended.
      const running =
        engine === 'postgres'
          ? `select count(*)::int as n from pg_stat_activity where datname = '${db.name}' and query like '%pg_sleep(60)%' and state = 'active' and pid <> pg_backend_pid()`
          : `select count(*) as n from information_schema.processlist where db = '${db.name}' and info like '%sleep(60)%' and id <> connection_id()`;
      const rows = await db.query<{ n: number }>(running);
      assert.equal(Number(rows[0]!.n), 0, 'the long statement was cancelled on the server');
    });

    it('two processes started at the same moment: exactly one applies, the other waits and finds nothing pending', async () => {
      const db = await newDb();
      const slow = engine === 'postgres' ? 'select pg_sleep(3);' : 'select sleep(3);';
      const ws = makeWorkspace({
        ...THREE,
        'migrations/0002_create_orders.sql': `${THREE['migrations/0002_create_orders.sql']}${slow}\n`,
      });
      const [a, b] = await Promise.all([migrate(db, ws, { tool: 'sql' }), migrate(db, ws, { tool: 'sql' })]);
      assert.equal(a.exitCode, 0, a.log);
      assert.equal(b.exitCode, 0, b.log);
      const counts = [a, b].map((r) => (JSON.parse(r.outputs.applied!) as unknown[]).length).sort();
      assert.deepEqual(counts, [0, 3], 'one run applied all three, the other none');
      const waiter = [a, b].find((r) => r.outputs.applied === '[]')!;
      assert.equal(waiter.outputs['pending-count'], '0');
      assert.match(waiter.summary, /Nothing to apply: already at version 3/);
      assert.ok(report(waiter).lockWaitMs! > 0);
      const rows = await db.query<{ version: string }>('select version from runbook_migrations');
      assert.deepEqual(rows.map((x) => x.version).sort(), ['1', '2', '3'], 'each version recorded once');
    });

    it('run-lock-timeout: gives up naming the holder when another run keeps the migration lock', async () => {
      const db = await newDb();
      const ws = makeWorkspace(THREE);
      const holder = await db.connect();
      try {
        if (engine === 'postgres') {
          const { advisoryKey } = await import('../../src/run-migrations/engine.js');
          await holder.query(`select pg_advisory_lock(${advisoryKey('public.runbook_migrations')})`);
        } else {
          const { mysqlLockName } = await import('../../src/run-migrations/engine.js');
          await holder.query(`select get_lock('${mysqlLockName(db.name, 'runbook_migrations')}', 5)`);
        }
        // statement-timeout is shorter than the wait: it must not cut the wait for the run lock short
        const r = await migrate(db, ws, {
          tool: 'sql',
          'run-lock-timeout': '2s',
          'statement-timeout': '500ms',
        });
        assert.equal(r.exitCode, 1, r.log);
        assert.match(
          r.log,
          /another migration run still held the migration lock for runbook_migrations after waiting run-lock-timeout \(2s\); held by (backend pid|connection) \d+/,
        );
        assert.match(r.log, /Nothing was changed/);
      } finally {
        await holder.close();
      }
      assert.deepEqual(await db.tables(), []);
    });

    it("reads the URL from the runbook's url-from-env and its migrations section", async () => {
      const db = await newDb();
      const ws = makeWorkspace({
        'db/sql/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
        '.github/runbook.yml': [
          'environments:',
          '  staging:',
          '    database: { url-from-env: STAGING_DB }',
          '    migrations: { tool: sql, directory: db/sql, table: schema_history, lock-timeout: 5s }',
        ].join('\n'),
      });
      const r = await migrate(db, ws, { 'database-url': '', environment: 'staging' }, { STAGING_DB: db.url });
      assert.equal(r.exitCode, 0, r.log);
      assert.deepEqual(await bookkeeping(db, 'schema_history'), ['1']);
      assertNoSecret(r, db);
    });

    it('an unreachable database fails with a message naming host, port and database, not the password', async () => {
      const db = await newDb();
      const ws = makeWorkspace(THREE);
      const url = `${engine === 'postgres' ? 'postgres' : 'mysql'}://app:${db.password}@127.0.0.1:9/${db.name}`;
      const r = await migrate(db, ws, { tool: 'sql', 'database-url': url });
      assert.equal(r.exitCode, 1);
      assert.match(
        r.log,
        new RegExp(
          `could not connect to the database \\(${engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} 127\\.0\\.0\\.1:9/${db.name} as app\\): connect ECONNREFUSED 127\\.0\\.0\\.1:9 \\(connect timeout 15s\\)`,
        ),
      );
      assert.ok(!everythingVisible(r).includes(db.password));
    });

    it('bad input fails before anything changes, naming the input', async () => {
      const db = await newDb();
      const cases: [Record<string, string>, Record<string, string>, RegExp][] = [
        [
          {},
          { tool: 'sql', directory: 'nowhere' },
          /Input "directory": no migrations directory at "nowhere"/,
        ],
        [
          { 'migrations/create_products.sql': 'create table p (id int);' },
          { tool: 'sql' },
          /migrations\/create_products\.sql: the file name has no version; expected <version>_<name>\.sql/,
        ],
        [THREE, { tool: 'sql', mode: 'down' }, /Input "target": mode down needs the version to go back to/],
        [
          THREE,
          { tool: 'flyway' },
          /Input "tool": expected one of auto, sql, command, dbmate, node-pg-migrate, knex, alembic, sqitch, got "flyway"/,
        ],
        [
          THREE,
          { tool: 'sql', mode: 'sideways' },
          /Input "mode": expected one of status, dry-run, apply, down, got "sideways"/,
        ],
        [THREE, { tool: 'sql', 'lock-timeout': 'soon' }, /Input "lock-timeout": expected a duration/],
        [
          THREE,
          { tool: 'sql', 'database-url': 'https://db.example.com/x' },
          /Input "database-url": unknown scheme "https:\/\/"; expected postgres:\/\/, postgresql:\/\/, mysql:\/\/ or mariadb:\/\//,
        ],
        [THREE, { tool: 'sql', mode: 'down', target: '2' }, /Input "target": version 2 is not applied/],
      ];
      for (const [files, inputs, message] of cases) {
        const r = await migrate(db, makeWorkspace(files), inputs);
        assert.equal(r.exitCode, 1, `${JSON.stringify(inputs)}: ${r.log}`);
        assert.match(r.log, message);
        assert.deepEqual(await db.tables(), [], `${JSON.stringify(inputs)} changed nothing`);
        if (!inputs['database-url']) assertNoSecret(r, db);
      }
    });

    if (engine === 'postgres') {
      it('lint warns with file, line and the safer pattern; lint: error stops before running', async () => {
        const db = await newDb();
        const ws = makeWorkspace({
          'migrations/0001_create_products.sql': THREE['migrations/0001_create_products.sql'],
        });
        assert.equal((await migrate(db, ws, { tool: 'sql' })).exitCode, 0);
        writeFiles(ws, {
          'migrations/0002_index.sql':
            '-- speed up search\n\ncreate index products_name on products (name);\n',
        });
        const stopped = await migrate(db, ws, { tool: 'sql', lint: 'error' });
        assert.equal(stopped.exitCode, 1);
        assert.match(stopped.log, /stopped by lint/);
        assert.deepEqual(await bookkeeping(db), ['1']);
        const warned = await migrate(db, ws, { tool: 'sql', lint: 'warn' });
        assert.equal(warned.exitCode, 0, warned.log);
        const w = warned.annotations.find((a) => a.level === 'warning' && a.properties.file);
        assert.ok(w);
        assert.equal(w.properties.file, 'migrations/0002_index.sql');
        assert.equal(w.properties.line, '3');
        assert.match(w.message, /without CONCURRENTLY blocks every write.*runbook:no-transaction/);
        assert.deepEqual(await bookkeeping(db), ['1', '2']);
      });
    }
  });
}
