/** Pure pieces of issue 14 part B: database-name checks, option-safe argv, backup and scratch names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDatabaseName, mysqlDatabaseArgs, parseDatabaseUrl } from '../../src/core/db.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { scratchDatabaseName, scratchDatabaseTime } from '../../src/backup-db/backup.js';
import { backupPaths } from '../../src/shared/backups/files.js';
import { advisoryKey } from '../../src/run-migrations/engine.js';

describe('database names', () => {
  it('a leading - is a valid name, always passed after --', () => {
    const t = parseDatabaseUrl('mysql://root@h/-eDROP%20DATABASE%20x', { label: 'Input "database-url"' });
    assert.equal(t.database, '-eDROP DATABASE x');
    assert.deepEqual(mysqlDatabaseArgs(t.database), ['--', '-eDROP DATABASE x']);
  });
  it('refuses what no server accepts, naming the input', () => {
    for (const [engine, name] of [
      ['mysql', 'a'.repeat(65)],
      ['mysql', 'x '],
      ['mysql', 'a\nb'],
      ['postgres', 'a\u0000b'],
      ['postgres', 'ß'.repeat(32)],
    ] as const)
      assert.throws(
        () => checkDatabaseName(engine, name, 'Input "database-url"'),
        (e: unknown) =>
          e instanceof ConfigurationError && e.message.startsWith('Input "database-url": the database name'),
      );
    checkDatabaseName('mysql', 'a'.repeat(64), 'x');
    checkDatabaseName('postgres', 'a'.repeat(63), 'x');
  });
});

describe('names unique per run', () => {
  it('backup names carry the run id, attempt and a random part', () => {
    const d = new Date('2026-01-02T03:04:05Z');
    const run = { runId: '99', runAttempt: '2' };
    const a = backupPaths('/b', 'shop', 'production', d, 'postgres', 'custom', run);
    const b = backupPaths('/b', 'shop', 'production', d, 'postgres', 'custom', run);
    assert.match(a.dump, /^\/b\/shop-production-20260102T030405Z-run99-2-[0-9a-f]{6}\.dump$/);
    assert.notEqual(a.dump, b.dump);
    assert.equal(a.manifest, a.dump.replace(/\.dump$/, '.manifest.json'));
  });
  it('scratch database names fit 63 bytes and carry the time they were made', () => {
    const now = new Date('2026-12-01T23:00:00Z');
    const n = scratchDatabaseName('é'.repeat(40), now);
    assert.ok(Buffer.byteLength(n) <= 63, n);
    assert.equal(scratchDatabaseTime(n), now.getTime());
    assert.equal(scratchDatabaseTime('shop_verify_me'), undefined);
  });
  it('the PostgreSQL run lock is keyed by the qualified table', () => {
    assert.notEqual(advisoryKey('public.runbook_migrations'), advisoryKey('other.runbook_migrations'));
  });
});
