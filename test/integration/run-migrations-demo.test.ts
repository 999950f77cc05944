/** The demo step (demo/run-migrations.ts) works end to end on PostgreSQL: dry-run changes nothing, apply applies. */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { demoMigrations } from '../../demo/run-migrations.js';
import { createTestDb, type TestDb } from '../harness/databases.js';
import { bookkeeping } from '../harness/migrations.js';

let db: TestDb | undefined;
after(async () => db?.drop());

it('demoMigrations: dry-run then apply of the demo shop migrations, printing both summaries', async () => {
  db = await createTestDb('postgres', 'rmdemo');
  const lines: string[] = [];
  await demoMigrations({ databaseUrl: db.url, environment: 'demo', log: (s) => lines.push(s) });
  const out = lines.join('\n');
  assert.match(out, /Dry-run on demo: 4 migrations would apply in/);
  assert.match(out, /Expect about/);
  assert.match(out, /Applied 4 migrations on demo: version 0 → 20260104090000/);
  assert.match(
    out,
    /warning migrations\/20260103090000_index_orders_by_customer\.sql:2: CREATE INDEX on orders without CONCURRENTLY/,
  );
  assert.ok(!out.includes(db.password));
  assert.deepEqual(await bookkeeping(db), [
    '20260101090000',
    '20260102090000',
    '20260103090000',
    '20260104090000',
  ]);
  assert.deepEqual((await db.tables()).sort(), ['order_lines', 'orders', 'products', 'runbook_migrations']);
});
