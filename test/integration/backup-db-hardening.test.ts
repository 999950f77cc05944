/**
 * backup-db against hostile database names and concurrent jobs (issue 14, items 2 and 4), run as the runner runs
 * it, against the real PostgreSQL and MariaDB.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runAction } from '../harness/run-action.js';
import {
  cleanupAfterAll,
  createDatabase,
  databasesLike,
  mySql,
  seed,
  uniqueName,
} from '../harness/seeded-databases.js';
import { clientDir, failure, passThrough, PG_BIN, report } from '../harness/backup-db.js';
import { createBackupTarget } from '../../src/backup-db/backup.js';

const onCleanup = cleanupAfterAll();

describe('backup-db: a MySQL database name is never read as an option', () => {
  for (const hostile of ['-eCREATE DATABASE %s', '--tee=%f', '--help']) {
    it(`a database named ${JSON.stringify(hostile)} is backed up and verified as a database, running nothing`, async () => {
      const marker = uniqueName('hbinj');
      const directory = mkdtempSync(path.join(tmpdir(), 'bkinj-'));
      const teeFile = `${marker}.txt`; // relative: to the action's working directory
      // Unique per test so concurrent runs never share it; `--help` stays exactly that.
      const name = hostile === '--help' ? '--help' : hostile.replace('%s', marker).replace('%f', teeFile);
      onCleanup(() => mySql('', `DROP DATABASE IF EXISTS \`${marker}\`;`));
      onCleanup(() => mySql('', `DROP DATABASE IF EXISTS \`${name}\`;`));
      mySql('', `DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\`;`);
      mySql('', `USE \`${name}\`; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);`);
      const r = await runAction('backup-db', {
        inputs: {
          'database-url': `mysql://root@127.0.0.1:3306/${encodeURIComponent(name)}`,
          name: 'inj',
          directory,
          verify: 'restore',
        },
        timeoutMs: 120_000,
      });
      assert.equal(r.exitCode, 0, failure(r));
      const rep = report(r);
      assert.equal(rep.verification.passed, true);
      assert.deepEqual(rep.tables, [{ name: 't', rows: 3, restoredRows: 3 }]);
      assert.deepEqual(databasesLike('mysql', marker), [], 'no SQL from the name was run');
      assert.equal(existsSync(path.join(r.workspace, teeFile)), false, 'no --tee file was written');
      assert.deepEqual(databasesLike('mysql', `${name}_verify_`), [], 'the scratch database was dropped');
    });
  }

  const refused = [
    { url: `mysql://root@127.0.0.1/${'a'.repeat(65)}`, why: /65 characters long \(at most 64\)/ },
    { url: 'mysql://root@127.0.0.1/trailing%20', why: /ends with a space/ },
    { url: 'mysql://root@127.0.0.1/a%0A%3A%3Aerror%3A%3Ax', why: /contains a control character/ },
    { url: 'postgres://postgres@127.0.0.1/nul%00x', why: /contains a control character/ },
    { url: `postgres://postgres@127.0.0.1/${'é'.repeat(32)}`, why: /64 bytes long \(at most 63\)/ },
  ];
  for (const { url, why } of refused)
    it(`refuses the database name in ${url.slice(0, 50)} naming the input, before any process`, async () => {
      const clients = clientDir({
        mariadb: passThrough('/usr/bin/mariadb'),
        'mariadb-dump': passThrough('/usr/bin/mariadb-dump'),
        psql: passThrough(`${PG_BIN}/psql`),
        pg_dump: passThrough(`${PG_BIN}/pg_dump`),
      });
      const directory = path.join(mkdtempSync(path.join(tmpdir(), 'bkref-')), 'out');
      const r = await runAction('backup-db', {
        inputs: { 'database-url': url, 'client-path': clients.dir, directory },
        timeoutMs: 60_000,
      });
      assert.equal(r.exitCode, 1);
      const msg = failure(r);
      assert.match(msg, /Input "database-url": the database name/);
      assert.match(msg, why);
      assert.doesNotMatch(r.rawStdout + r.rawStderr, /\n\s+at /, 'no stack trace');
      assert.equal(readFileSync(clients.log, 'utf8'), '', 'no client was started');
      assert.equal(existsSync(directory), false, 'nothing was written');
    });
});

/** Every file and folder under `p` (itself included) with its permission bits, e.g. `x.dump 600`. */
function modes(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const st = statSync(path.join(dir, rel));
    if (rel) out.push(`${rel} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory())
      for (const e of readdirSync(path.join(dir, rel)).sort()) walk(rel ? `${rel}/${e}` : e);
  };
  walk('');
  return out;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('backup-db: two jobs backing up in the same second', () => {
  it('write two files, each job reporting on its own; nothing is shared or truncated; every file is 0600', async () => {
    const a = createDatabase('postgres', 'bksame');
    const b = createDatabase('postgres', 'bksame');
    onCleanup(() => a.drop());
    onCleanup(() => b.drop());
    seed(a);
    b.sql('CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other SELECT generate_series(1, 7);');
    // Both jobs wait for each other at their last step before naming the backup, then start together at the
    // beginning of a second: both name their backup in the same second.
    const clients = clientDir({
      pg_dump: passThrough(`${PG_BIN}/pg_dump`),
      psql: passThrough(`${PG_BIN}/psql`),
      pg_restore: {
        real: `${PG_BIN}/pg_restore`,
        body: [
          'if [ "$1" = --version ]; then',
          '  echo ready >> "$LOG"',
          '  for _ in $(seq 400); do [ "$(grep -c ready "$LOG")" -ge 2 ] && break; sleep 0.05; done',
          '  ns=$(date +%N); sleep "0.$(printf %09d $((999999999 - 10#$ns)))"',
          'fi',
          'exec "$REAL" "$@"',
        ].join('\n'),
      },
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'bksame-'));
    const run = (url: string) =>
      runAction('backup-db', {
        inputs: { 'database-url': url, 'client-path': clients.dir, directory, name: 'shop' },
        env: { GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' },
        timeoutMs: 120_000,
      });
    const [ra, rb] = await Promise.all([run(a.url), run(b.url)]);
    assert.equal(ra.exitCode, 0, failure(ra));
    assert.equal(rb.exitCode, 0, failure(rb));
    const [pa, pb] = [report(ra), report(rb)];
    assert.notEqual(pa.path, pb.path, 'each job wrote its own file');
    assert.match(path.basename(pa.path), /^shop-default-\d{8}T\d{6}Z-run4242-1-[0-9a-f]{6}\.dump$/);
    for (const [p, db] of [
      [pa, a],
      [pb, b],
    ] as const) {
      assert.equal(p.verification.passed, true);
      assert.equal(sha256(p.path), p.sha256, 'the reported sha256 is of the file this job wrote');
      assert.equal(statSync(p.path).size, p.sizeBytes);
      const m = JSON.parse(readFileSync(p.manifest, 'utf8')) as { database: string; sha256: string };
      assert.equal(m.database, db.name);
      assert.equal(m.sha256, p.sha256);
    }
    assert.deepEqual(pb.tables, [{ name: 'public.other', rows: 7 }]);
    for (const line of modes(directory))
      assert.match(line, / 600$/, `${line}: only the job's user may read it`);
    assert.equal(readdirSync(directory).length, 6);
  });

  it('postgres directory format: the folder is 0700 and every file in it 0600', async () => {
    const a = createDatabase('postgres', 'bkmode');
    onCleanup(() => a.drop());
    seed(a);
    const directory = mkdtempSync(path.join(tmpdir(), 'bkmode-'));
    const r = await runAction('backup-db', {
      inputs: { 'database-url': a.url, directory, format: 'directory' },
      timeoutMs: 120_000,
    });
    assert.equal(r.exitCode, 0, failure(r));
    const listed = modes(directory);
    assert.ok(
      listed.some((l) => l.endsWith('.dir 700')),
      listed.join('\n'),
    );
    assert.ok(
      listed.some((l) => /\.dir\/toc\.dat 600$/.test(l)),
      listed.join('\n'),
    );
    for (const line of listed) assert.match(line, /\.dir 700$| 600$/, line);
  });

  it('a backup file that exists is never truncated: creating it again fails, leaving it as it was', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bkexcl-'));
    const file = path.join(dir, 'x.dump');
    writeFileSync(file, "another job's backup");
    assert.throws(() => createBackupTarget(file, false), /Cannot create the backup .*EEXIST.*Another run/s);
    assert.equal(readFileSync(file, 'utf8'), "another job's backup");
    assert.throws(() => createBackupTarget(dir, true), /EEXIST/);
  });
});
