/**
 * run-migrations under concurrent runs and hard kills (issue 14, items 11 and 6), run as the runner runs it,
 * against the real PostgreSQL 15 and MariaDB 10.11.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTestDb, type Engine, type TestDb } from '../harness/databases.js';
import { makeWorkspace, migrate, report } from '../harness/migrations.js';

const THREE = {
  'migrations/0001_create_products.sql': 'create table products (id int primary key, name varchar(100));\n',
  'migrations/0002_create_orders.sql': 'create table orders (id int primary key, product_id int not null);\n',
  'migrations/0003_add_price.sql': 'alter table products add column price int;\n',
};

for (const engine of ['postgres', 'mysql'] as Engine[]) {
  describe(`run-migrations hardening on ${engine}`, () => {
    const dbs: TestDb[] = [];
    const newDb = async () => {
      const db = await createTestDb(engine, 'rmh');
      dbs.push(db);
      return db;
    };
    after(async () => {
      for (const db of dbs) await db.drop();
    });

    it('two runs spelling the table differently (qualified or not) still take one lock: one applies, one waits', async () => {
      const db = await newDb();
      const slow = engine === 'postgres' ? 'select pg_sleep(3);' : 'select sleep(3);';
      const ws = makeWorkspace({
        ...THREE,
        'migrations/0002_create_orders.sql': `${THREE['migrations/0002_create_orders.sql']}${slow}\n`,
      });
      const qualified = engine === 'postgres' ? 'public.runbook_migrations' : `${db.name}.runbook_migrations`;
      const [a, b] = await Promise.all([
        migrate(db, ws, { tool: 'sql', table: 'runbook_migrations' }),
        migrate(db, ws, { tool: 'sql', table: qualified }),
      ]);
      assert.equal(a.exitCode, 0, a.log);
      assert.equal(b.exitCode, 0, b.log);
      const counts = [a, b].map((r) => (JSON.parse(r.outputs.applied!) as unknown[]).length).sort();
      assert.deepEqual(counts, [0, 3], 'one run applied all three, the other none');
      const waiter = [a, b].find((r) => r.outputs.applied === '[]')!;
      assert.ok(report(waiter).lockWaitMs! > 0, 'the second run waited for the first one');
      const rows = await db.query<{ version: string }>('select version from runbook_migrations');
      assert.deepEqual(rows.map((x) => x.version).sort(), ['1', '2', '3'], 'each version recorded once');
    });
  });
}
