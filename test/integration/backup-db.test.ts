/**
 * backup-db run as the runner runs it (dist bundle, INPUT_* env, file commands) against the real PostgreSQL 15
 * and MariaDB 10.11 servers: round trips for each engine and format, restored contents compared by a checksum
 * of each table's ordered rows (and sequences, views, routines, triggers, events, foreign keys).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runAction } from '../harness/run-action.js';
import {
  createDatabase,
  databasesLike,
  fingerprint,
  seed,
  cleanupAfterAll,
} from '../harness/seeded-databases.js';
import { clientDir, failure, passThrough, PG_BIN, report } from '../harness/backup-db.js';

/**
 * A dump tool that says "waiting" in the log, then waits (at most 10 s) for the test to create `<log>.go`
 * before it starts: the test writes rows in between, deterministically before the dump begins.
 */
const WAIT_FOR_GO = [
  '[ "$1" = --version ] && exec "$REAL" "$@"',
  'echo waiting >> "$LOG"',
  'for _ in $(seq 100); do [ -f "$LOG.go" ] && break; sleep 0.1; done',
  'exec "$REAL" "$@"',
].join('\n');

const onCleanup = cleanupAfterAll();
const db = (engine: 'postgres' | 'mysql', prefix = 'bk') => {
  const d = createDatabase(engine, prefix);
  onCleanup(() => d.drop());
  return d;
};

const cases = [
  { engine: 'postgres', format: 'custom', ext: '.dump' },
  { engine: 'postgres', format: 'directory', ext: '.dir', jobs: 2 },
  { engine: 'postgres', format: 'plain', ext: '.sql.gz' },
  { engine: 'mysql', format: undefined, ext: '.sql.gz' },
] as const;

describe('backup-db round trips (process level, real servers)', () => {
  for (const c of cases) {
    const label = `${c.engine}${c.format ? ` ${c.format}` : ''}`;
    it(`${label}: backs up, verifies by restore, and restores into a fresh database with identical contents`, async () => {
      const source = db(c.engine, 'bkrt');
      seed(source);
      const before = fingerprint(source);

      const backup = await runAction('backup-db', {
        inputs: {
          'database-url': source.url,
          environment: 'staging',
          name: 'shop',
          verify: 'restore',
          ...(c.format ? { format: c.format } : {}),
          ...('jobs' in c ? { jobs: c.jobs } : {}),
        },
      });
      assert.equal(backup.exitCode, 0, failure(backup));
      const rep = report(backup);
      const o = backup.outputs;

      // File naming: <name>-<environment>-<UTC yyyymmddThhmmssZ>.<ext> in ${{ runner.temp }}/backups.
      assert.equal(path.dirname(o.path!), path.join(backup.runnerTemp, 'backups'));
      assert.match(
        path.basename(o.path!),
        new RegExp(`^shop-staging-\\d{8}T\\d{6}Z-run4242-1-[0-9a-f]{6}${c.ext.replace(/\./g, '\\.')}$`),
      );
      assert.equal(o.manifest, o.path!.replace(/\.(dump|dir|sql\.gz)$/, '.manifest.json'));
      assert.ok(existsSync(o.path!) && existsSync(o.manifest!) && existsSync(`${o.path}.sha256`));

      // The checksum file is sha256sum -c format and agrees with the output and manifest.
      const sums = readFileSync(`${o.path}.sha256`, 'utf8');
      if (c.format === 'directory') {
        assert.ok(statSync(o.path!).isDirectory());
        assert.match(
          sums,
          /^[0-9a-f]{64} {2}shop-staging-\d{8}T\d{6}Z-run4242-1-[0-9a-f]{6}\.dir\/toc\.dat$/m,
        );
        assert.equal(o.sha256, createHash('sha256').update(sums).digest('hex'));
      } else {
        assert.equal(sums, `${o.sha256}  ${path.basename(o.path!)}\n`);
        assert.equal(o.sha256, createHash('sha256').update(readFileSync(o.path!)).digest('hex'));
        assert.equal(Number(o['size-bytes']), statSync(o.path!).size);
      }

      // Outputs and manifest.
      assert.equal(o.verified, 'true');
      assert.equal(o.verification, 'restore');
      assert.match(o['server-version']!, c.engine === 'postgres' ? /^15\.\d+/ : /^10\.11\.\d+-MariaDB/);
      assert.match(o['created-at']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(o['duration-ms']!, /^\d+$/);
      const manifest = JSON.parse(readFileSync(o.manifest!, 'utf8'));
      assert.equal(manifest.engine, c.engine);
      assert.equal(manifest.database, source.name);
      assert.equal(manifest.environment, 'staging');
      assert.equal(manifest.format, c.format ?? 'plain');
      assert.equal(manifest.sha256, o.sha256);
      assert.equal(manifest.sizeBytes, Number(o['size-bytes']));
      assert.equal(manifest.git.sha, '0123456789abcdef0123456789abcdef01234567');
      assert.equal(manifest.run.id, '4242');
      assert.equal(manifest.client.tool, c.engine === 'postgres' ? 'pg_dump' : 'mariadb-dump');
      assert.equal(manifest.verification.passed, true);
      assert.equal(manifest.rowCounts, c.engine === 'postgres' ? 'snapshot' : 'dump');
      const expectedCounts =
        c.engine === 'postgres'
          ? {
              'billing.invoices': 500,
              'public.Mixed Case "Quoted" Table': 2,
              'public.customers': 4,
              'public.empty_table': 0,
            }
          : { audit: 1, customers: 4, empty_table: 0, invoices: 500 };
      assert.deepEqual(
        Object.fromEntries(manifest.tables.map((t: { name: string; rows: number }) => [t.name, t.rows])),
        expectedCounts,
      );
      assert.deepEqual(
        rep.tables.map((t) => t.restoredRows),
        rep.tables.map((t) => t.rows),
      );
      // The scratch database was dropped.
      assert.deepEqual(databasesLike(c.engine, `${source.name}_verify`), []);
      // Summary: engine, size, verification, per-table counts.
      assert.match(backup.summary, /Backup of bkrt_\w+ \(staging\) taken and verified/);
      assert.match(
        backup.summary,
        c.engine === 'postgres' ? /\| Engine \| postgres 15\./ : /\| Engine \| mariadb 10\.11/,
      );
      assert.match(
        backup.summary,
        /\| Verification \| ✅ restore: restored into \w+ in [\d.]+m?s; all 4 tables and row counts match \|/,
      );
      assert.match(
        backup.summary,
        c.engine === 'postgres'
          ? /\| billing\.invoices \| 500 \| 500 \| ✅ \|/
          : /\| invoices \| 500 \| 500 \| ✅ \|/,
      );

      // Restore into a fresh, empty database (mode: restore), then compare everything.
      const fresh = db(c.engine, 'bkrt_target');
      const restored = await runAction('backup-db', {
        inputs: { mode: 'restore', 'database-url': fresh.url, backup: o.path!, confirm: fresh.name },
      });
      assert.equal(restored.exitCode, 0, failure(restored));
      assert.equal(restored.outputs.verified, 'true');
      assert.equal(restored.outputs.sha256, o.sha256);
      assert.match(restored.summary, /Restored shop-staging-\d{8}T\d{6}Z\S* into /);
      assert.deepEqual(fingerprint(fresh), before);
      // The source is untouched by the backup.
      assert.deepEqual(fingerprint(source), before);
    });
  }

  it('postgres: restoring over a database that changed since the backup puts the backup contents back (rollback)', async () => {
    const live = db('postgres', 'bkrb');
    seed(live);
    const atBackup = fingerprint(live);
    const backup = await runAction('backup-db', {
      inputs: { 'database-url': live.url, environment: 'production', verify: 'list' },
    });
    assert.equal(backup.exitCode, 0, failure(backup));
    // A bad migration: a table dropped, rows changed, a new table.
    live.sql(`DROP TABLE public.empty_table; UPDATE billing.invoices SET amount_cents = 0 WHERE id < 100;
      CREATE TABLE public.added_later (id int); INSERT INTO public.customers (name) VALUES ('after backup');`);
    assert.notDeepEqual(fingerprint(live), atBackup);

    const r = await runAction('backup-db', {
      inputs: {
        mode: 'restore',
        'database-url': live.url,
        backup: backup.outputs.manifest!,
        confirm: live.name,
      },
    });
    assert.equal(r.exitCode, 0, failure(r));
    const after = fingerprint(live);
    // Everything the backup holds is back; the table created after the backup is left alone (and says so).
    delete after['table public.added_later'];
    assert.deepEqual(after, atBackup);
    assert.match(r.log, /Tables not in the backup, left as they were: public\.added_later/);
  });

  it('mysql: restoring over a changed database puts the backup contents back', async () => {
    const live = db('mysql', 'bkrb');
    seed(live);
    const atBackup = fingerprint(live);
    const backup = await runAction('backup-db', {
      inputs: { 'database-url': live.url, environment: 'production' },
    });
    assert.equal(backup.exitCode, 0, failure(backup));
    assert.equal(backup.outputs.verification, 'list');
    live.sql(`DELETE FROM invoices WHERE id < 50; UPDATE customers SET name = 'changed' WHERE id = 1;`);
    // `backup` may be the folder an artifact was downloaded into, holding one backup.
    const r = await runAction('backup-db', {
      inputs: {
        mode: 'restore',
        'database-url': live.url,
        backup: path.dirname(backup.outputs.path!),
        confirm: live.name,
      },
    });
    assert.equal(r.exitCode, 0, failure(r));
    assert.deepEqual(fingerprint(live), atBackup);
  });

  it('postgres: the dump and the manifest row counts come from one snapshot, even while the application writes', async () => {
    const live = db('postgres', 'bksnap');
    seed(live);
    // pg_dump starts after the snapshot was exported and rows were written: they must be in neither the dump
    // nor the counts.
    const clients = clientDir({
      pg_dump: {
        real: `${PG_BIN}/pg_dump`,
        body: WAIT_FOR_GO,
      },
      pg_restore: passThrough(`${PG_BIN}/pg_restore`),
      psql: passThrough(`${PG_BIN}/psql`),
    });
    let written = false;
    const r = await runAction('backup-db', {
      inputs: { 'database-url': live.url, verify: 'restore', 'client-path': clients.dir },
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (!readFileSync(clients.log, 'utf8').includes('waiting')) return;
          clearInterval(poll);
          live.sql(
            `INSERT INTO billing.invoices (customer_id, amount_cents) SELECT 1, g FROM generate_series(1, 25) g;`,
          );
          written = true;
          writeFileSync(`${clients.log}.go`, '');
        }, 20);
        child.on('exit', () => clearInterval(poll));
      },
    });
    assert.equal(r.exitCode, 0, failure(r));
    assert.ok(written, 'rows were written while the backup ran');
    assert.equal(live.sql('SELECT count(*) FROM billing.invoices;').trim(), '525');
    const invoices = report(r).tables.find((t) => t.name === 'billing.invoices')!;
    assert.deepEqual(invoices, { name: 'billing.invoices', rows: 500, restoredRows: 500 });
  });

  it("mysql: the manifest row counts are the dump's own, even when the application writes as the dump starts", async () => {
    const live = db('mysql', 'bksnap');
    seed(live);
    // mariadb-dump starts after rows were written: they are in the dump, so they must be in the counts
    // (counts taken before the dump would miss them).
    const clients = clientDir({
      'mariadb-dump': {
        real: '/usr/bin/mariadb-dump',
        body: WAIT_FOR_GO,
      },
      mariadb: passThrough('/usr/bin/mariadb'),
    });
    let written = false;
    const r = await runAction('backup-db', {
      inputs: { 'database-url': live.url, verify: 'restore', 'client-path': clients.dir },
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (!readFileSync(clients.log, 'utf8').includes('waiting')) return;
          clearInterval(poll);
          live.sql(`INSERT INTO invoices (customer_id, amount_cents) SELECT 1, seq FROM seq_1_to_25;`);
          written = true;
          writeFileSync(`${clients.log}.go`, '');
        }, 20);
        child.on('exit', () => clearInterval(poll));
      },
    });
    assert.equal(r.exitCode, 0, failure(r));
    assert.ok(written, 'rows were written while the backup ran');
    const invoices = report(r).tables.find((t) => t.name === 'invoices')!;
    assert.deepEqual(invoices, { name: 'invoices', rows: 525, restoredRows: 525 });
  });

  it('uses a given verify-database-url instead of creating a scratch database, and leaves it in place', async () => {
    const source = db('postgres', 'bkvu');
    seed(source);
    const scratch = db('postgres', 'bkvu_scratch');
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, verify: 'restore', 'verify-database-url': scratch.url },
    });
    assert.equal(r.exitCode, 0, failure(r));
    assert.match(report(r).verification.detail, new RegExp(`restored into ${scratch.name}`));
    assert.deepEqual(
      fingerprint(scratch)['table billing.invoices'],
      fingerprint(source)['table billing.invoices'],
    );
    assert.deepEqual(databasesLike('postgres', `${source.name}_verify`), []);
  });

  it('reads database URL, format, verify and directory from the runbook file', async () => {
    const source = db('postgres', 'bkrbk');
    seed(source);
    const workspace = mkdtempSync(path.join(tmpdir(), 'ws-'));
    mkdirSync(path.join(workspace, '.github'), { recursive: true });
    writeFileSync(
      path.join(workspace, '.github/runbook.yml'),
      [
        'version: 1',
        'environments:',
        '  staging:',
        '    database: { url-from-env: STAGING_DATABASE_URL }',
        '    backup: { directory: backups, format: plain, verify: list, name: shopdb }',
      ].join('\n'),
    );
    const r = await runAction('backup-db', {
      workspace,
      inputs: { environment: 'staging' },
      env: { STAGING_DATABASE_URL: source.url },
    });
    assert.equal(r.exitCode, 0, failure(r));
    assert.equal(path.dirname(r.outputs.path!), path.join(workspace, 'backups'));
    assert.match(
      path.basename(r.outputs.path!),
      /^shopdb-staging-\d{8}T\d{6}Z-run4242-1-[0-9a-f]{6}\.sql\.gz$/,
    );
    assert.equal(r.outputs.verification, 'list');
    // An input given on the step wins over the file.
    const r2 = await runAction('backup-db', {
      workspace,
      inputs: { environment: 'staging', format: 'custom', verify: 'none' },
      env: { STAGING_DATABASE_URL: source.url },
    });
    assert.equal(r2.exitCode, 0, failure(r2));
    assert.match(r2.outputs.path!, /\.dump$/);
    assert.equal(r2.outputs.verified, 'false');
    assert.equal(r2.outputs.verification, 'none');
  });
});
