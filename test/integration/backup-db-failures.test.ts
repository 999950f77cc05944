/**
 * backup-db's refusals and failures, against the real servers: damaged dumps caught by verification, restores
 * refused (checksum, confirm), a failed restore that leaves the database as it was, client/server version
 * mismatch, secrets that never leak, bad input.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { everythingVisible, runAction, type ActionResult } from '../harness/run-action.js';
import {
  createDatabase,
  databasesLike,
  fingerprint,
  mySql,
  pgSql,
  seed,
  uniqueName,
  type TestDatabase,
  cleanupAfterAll,
} from '../harness/seeded-databases.js';
import { clientDir, failure, passThrough, PG_BIN, report } from '../harness/backup-db.js';

const onCleanup = cleanupAfterAll();
const db = (engine: 'postgres' | 'mysql', prefix = 'bkf') => {
  const d = createDatabase(engine, prefix);
  onCleanup(() => d.drop());
  return d;
};

/** Nothing in the directory looks like a backup. */
function noBackups(dir: string): void {
  const files = existsSync(dir) ? readdirSync(dir) : [];
  assert.deepEqual(files, [], `no backup files left behind, found ${files.join(', ')}`);
}

function assertNoSecret(r: ActionResult, ...secrets: string[]): void {
  const visible = everythingVisible(r);
  for (const s of secrets) {
    assert.ok(!visible.includes(s), `the secret ${JSON.stringify(s)} leaked into the action's output`);
    assert.ok(!visible.includes(encodeURIComponent(s)), `the encoded secret leaked into the action's output`);
  }
}

describe('backup-db verification catches damaged dumps', () => {
  // A pg_dump that "succeeds" but leaves a damaged archive: a disk that filled up, a buggy storage layer.
  const damagingPgDump = (damage: string) =>
    clientDir({
      pg_dump: {
        real: `${PG_BIN}/pg_dump`,
        body: [
          '"$REAL" "$@" || exit $?',
          'for a in "$@"; do case "$a" in --file=*) f="${a#--file=}";; esac; done',
          '[ -f "$f" ] || exit 0',
          'size=$(stat -c %s "$f")',
          damage,
        ].join('\n'),
      },
      pg_restore: passThrough(`${PG_BIN}/pg_restore`),
      psql: passThrough(`${PG_BIN}/psql`),
    }).dir;
  const truncate = 'truncate -s $((size * 6 / 10)) "$f"';
  const corrupt =
    'printf "\\x13\\x37\\xde\\xad\\xbe\\xef\\x00\\xff%.0s" {1..64} | dd of="$f" bs=1 seek=$((size * 6 / 10)) conv=notrunc status=none';

  let source: TestDatabase;
  before(() => {
    source = db('postgres', 'bkdmg');
    seed(source);
  });

  for (const [what, damage] of [
    ['truncated', truncate],
    ['corrupted', corrupt],
  ] as const) {
    it(`postgres: verify restore fails on a ${what} dump, says what went wrong, and drops its scratch database`, async () => {
      const r = await runAction('backup-db', {
        inputs: { 'database-url': source.url, verify: 'restore', 'client-path': damagingPgDump(damage) },
      });
      assert.equal(r.exitCode, 1, r.log);
      const rep = report(r);
      assert.equal(rep.verification.passed, false);
      assert.equal(r.outputs.verified, 'false');
      assert.match(failure(r), /Backup verification \(restore\) failed for .*\.dump/);
      assert.match(
        failure(r),
        /the restore failed: Restoring .* into the database "bkdmg_\w+_verify_\w+" failed: pg_restore exited with code 1/,
      );
      assert.match(failure(r), /Do not rely on this backup/);
      assert.match(r.summary, /❌ Backup of bkdmg_\w+ \(default\) failed verification/);
      // The manifest records the failed verification, so check-age will not count this backup.
      const manifest = JSON.parse(readFileSync(r.outputs.manifest!, 'utf8'));
      assert.equal(manifest.verification.passed, false);
      assert.deepEqual(databasesLike('postgres', `${source.name}_verify`), []);
    });
  }

  it('postgres: verify list also fails on a truncated archive (it reads every data block back)', async () => {
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, verify: 'list', 'client-path': damagingPgDump(truncate) },
    });
    assert.equal(r.exitCode, 1, r.log);
    assert.match(failure(r), /Backup verification \(list\) failed/);
    assert.match(failure(r), /does not read back in full .*truncated or corrupted/);
  });

  it('mysql: verify restore and verify list fail on a truncated dump', async () => {
    const mysqlSource = db('mysql', 'bkdmg');
    seed(mysqlSource);
    const clients = clientDir({
      'mariadb-dump': { real: '/usr/bin/mariadb-dump', body: '"$REAL" "$@" | head -c 20000' },
      mariadb: passThrough('/usr/bin/mariadb'),
    }).dir;
    const restore = await runAction('backup-db', {
      inputs: { 'database-url': mysqlSource.url, verify: 'restore', 'client-path': clients },
    });
    assert.equal(restore.exitCode, 1, restore.log);
    assert.match(failure(restore), /Backup verification \(restore\) failed/);
    assert.match(
      failure(restore),
      /table \w+ (is missing|has \d+ rows, the backup has \d+)|the restore failed/,
    );
    assert.deepEqual(databasesLike('mysql', `${mysqlSource.name}_verify`), []);

    const list = await runAction('backup-db', {
      inputs: { 'database-url': mysqlSource.url, verify: 'list', 'client-path': clients },
    });
    assert.equal(list.exitCode, 1, list.log);
    assert.match(failure(list), /the dump does not end with its completion marker: it was cut short/);
  });
});

describe('backup-db restore refusals', () => {
  let source: TestDatabase;
  let backupPath: string;
  let manifestPath: string;
  before(async () => {
    source = db('postgres', 'bkref');
    seed(source);
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, environment: 'production' },
    });
    assert.equal(r.exitCode, 0, failure(r));
    backupPath = r.outputs.path!;
    manifestPath = r.outputs.manifest!;
  });

  it('refuses when confirm is missing or wrong, before contacting the server, touching nothing', async () => {
    const target = db('postgres', 'bkref_target');
    seed(target);
    target.sql(`UPDATE public.customers SET name = 'differs' WHERE id = 1;`);
    const beforeRestore = fingerprint(target);
    for (const confirm of [undefined, 'production', `${target.name}x`]) {
      const r = await runAction('backup-db', {
        inputs: {
          mode: 'restore',
          'database-url': target.url,
          backup: backupPath,
          ...(confirm !== undefined ? { confirm } : {}),
        },
      });
      assert.equal(r.exitCode, 1);
      assert.match(failure(r), /Invalid configuration for backup-db:\nInput "confirm": /);
      assert.match(failure(r), new RegExp(`"confirm" must be exactly that name. Nothing was changed.`));
      assert.match(failure(r), new RegExp(`Set confirm: ${target.name} once you are sure`));
      assert.deepEqual(fingerprint(target), beforeRestore);
    }
    // Not even a connection: the same refusal against a port where nothing listens.
    const r = await runAction('backup-db', {
      inputs: {
        mode: 'restore',
        'database-url': 'postgres://postgres@127.0.0.1:1/shop',
        backup: backupPath,
        confirm: 'nope',
      },
    });
    assert.match(failure(r), /Input "confirm": got "nope"/);
  });

  it('refuses a dump whose sha256 does not match the manifest, before touching the database', async () => {
    const target = db('postgres', 'bkref_sha');
    seed(target);
    target.sql(`DELETE FROM billing.invoices WHERE id > 400;`);
    const beforeRestore = fingerprint(target);
    // A copy of the backup with one byte appended (a damaged download).
    const dir = mkdtempSync(path.join(tmpdir(), 'damaged-'));
    const copy = path.join(dir, path.basename(backupPath));
    writeFileSync(copy, readFileSync(backupPath));
    writeFileSync(path.join(dir, path.basename(manifestPath)), readFileSync(manifestPath));
    writeFileSync(`${copy}.sha256`, readFileSync(`${backupPath}.sha256`));
    appendFileSync(copy, '\0');
    const r = await runAction('backup-db', {
      inputs: { mode: 'restore', 'database-url': target.url, backup: copy, confirm: target.name },
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      /^Refusing to restore .*: its sha256 is [0-9a-f]{64} but the manifest records [0-9a-f]{64}/,
    );
    assert.match(failure(r), /The database was not touched/);
    assert.deepEqual(fingerprint(target), beforeRestore);
  });

  it('refuses a dump without its manifest', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lonely-'));
    const copy = path.join(dir, path.basename(backupPath));
    writeFileSync(copy, readFileSync(backupPath));
    const target = db('postgres', 'bkref_nomf');
    const r = await runAction('backup-db', {
      inputs: { mode: 'restore', 'database-url': target.url, backup: copy, confirm: target.name },
    });
    assert.equal(r.exitCode, 1);
    assert.match(failure(r), /Input "backup": no manifest at .*\.manifest\.json/);
  });

  it('postgres: a restore that fails half way leaves the target database exactly as before', async () => {
    // The backup holds a table owned by a role the target server no longer has: pg_restore drops and
    // recreates tables, then fails on "role does not exist" part-way. One transaction: all of it rolls back.
    const ghost = uniqueName('ghost');
    const src = db('postgres', 'bkhalf');
    seed(src);
    pgSql('postgres', `CREATE ROLE ${ghost};`);
    src.sql(
      `CREATE TABLE public.zz_owned (id int); INSERT INTO public.zz_owned VALUES (1); ALTER TABLE public.zz_owned OWNER TO ${ghost};`,
    );
    const backup = await runAction('backup-db', { inputs: { 'database-url': src.url, verify: 'list' } });
    assert.equal(backup.exitCode, 0, failure(backup));
    src.sql(`REASSIGN OWNED BY ${ghost} TO postgres; DROP OWNED BY ${ghost};`);
    pgSql('postgres', `DROP ROLE ${ghost};`);

    const target = db('postgres', 'bkhalf_target');
    seed(target);
    target.sql(
      `UPDATE billing.invoices SET amount_cents = -1 WHERE id % 7 = 0; CREATE TABLE public.only_here (x int);`,
    );
    const beforeRestore = fingerprint(target);
    const r = await runAction('backup-db', {
      inputs: {
        mode: 'restore',
        'database-url': target.url,
        backup: backup.outputs.path!,
        confirm: target.name,
      },
    });
    assert.equal(r.exitCode, 1, r.log);
    assert.match(failure(r), new RegExp(`role "${ghost}" does not exist`));
    assert.match(
      failure(r),
      /The restore ran in one transaction, which was rolled back: the database "bkhalf_target_\w+" is as it was before this step\./,
    );
    assert.deepEqual(fingerprint(target), beforeRestore);
  });
});

describe('backup-db client/server version match', () => {
  it('refuses a pg_dump of another major version before dumping, saying what to install', async () => {
    const source = db('postgres', 'bkver');
    const clients = clientDir({
      pg_dump: {
        real: `${PG_BIN}/pg_dump`,
        body: 'if [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 13.9"; exit 0; fi\necho called >> "$LOG"; exit 1',
      },
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'bkver-'));
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, 'client-path': clients.dir, directory },
    });
    assert.equal(r.exitCode, 1);
    const msg = failure(r);
    assert.match(
      msg,
      new RegExp(
        `No pg_dump 15 client found in ${clients.dir} \\(input "client-path"\\) for the PostgreSQL 15\\.\\d+ .* server at 127\\.0\\.0\\.1:5432; found only: ${clients.dir}/pg_dump \\(version 13\\.9\\)\\. Nothing was done\\.`,
      ),
    );
    assert.match(msg, /"server version mismatch"/);
    assert.match(msg, /sudo apt-get install -y postgresql-client-15/);
    assert.match(msg, /\/usr\/lib\/postgresql\/15\/bin/);
    assert.equal(readFileSync(clients.log, 'utf8'), '', 'the mismatched pg_dump was never run to dump');
    noBackups(directory);
  });

  it('without client-path, picks /usr/lib/postgresql/<server major>/bin even when PATH has another pg_dump first', async () => {
    const source = db('postgres', 'bkver');
    const fake = clientDir({
      pg_dump: { real: '', body: 'echo "pg_dump (PostgreSQL) 17.2"; exit 0' },
    });
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, verify: 'none' },
      env: { PATH: `${fake.dir}:${process.env.PATH}` },
    });
    assert.equal(r.exitCode, 0, failure(r));
    assert.match(r.log, /Dump client: \/usr\/lib\/postgresql\/15\/bin\/pg_dump \(15\.\d+\)/);
    assert.match(r.outputs['client-version']!, /^15\./);
  });
});

describe('backup-db never leaks the password', () => {
  it('postgres: passes it by PGPASSWORD only (never argv), and no output, log or summary contains it', async () => {
    const role = uniqueName('bkpw');
    const password = `S3cr@t/p:ä%ss-${role}`;
    pgSql('postgres', `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}';`);
    onCleanup(() => pgSql('postgres', `DROP ROLE IF EXISTS ${role};`));
    const source = db('postgres', 'bkpw');
    seed(source);
    const record = (tool: string) => ({
      real: `${PG_BIN}/${tool}`,
      body: `printf '%s argv: %s\\n' ${tool} "$*" >> "$LOG"; printf '%s PGPASSWORD=%s\\n' ${tool} "$PGPASSWORD" >> "$LOG"\nexec "$REAL" "$@"`,
    });
    const clients = clientDir({
      pg_dump: record('pg_dump'),
      pg_restore: record('pg_restore'),
      psql: record('psql'),
    });
    const url = `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:5432/${source.name}`;
    const r = await runAction('backup-db', {
      inputs: { 'database-url': url, verify: 'restore', 'client-path': clients.dir },
    });
    assert.equal(r.exitCode, 0, failure(r));
    const calls = readFileSync(clients.log, 'utf8');
    for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
      assert.match(calls, new RegExp(`^${tool} argv: `, 'm'), `${tool} was run`);
      assert.ok(
        calls.includes(`${tool} PGPASSWORD=${password}\n`),
        `${tool} got the password by environment`,
      );
    }
    for (const line of calls.split('\n').filter((l) => l.includes(' argv: ')))
      assert.ok(
        !line.includes(password) && !line.includes(encodeURIComponent(password)),
        `argv holds no password: ${line}`,
      );
    assert.ok(r.masks.includes(password), 'the password is masked');
    assertNoSecret(r, password);
    assert.ok(
      !readFileSync(r.outputs.manifest!, 'utf8').includes(password),
      'the manifest holds no password',
    );

    // A failure (missing database) with the same credentials: still nothing.
    const bad = await runAction('backup-db', {
      inputs: { 'database-url': url.replace(source.name, `${source.name}_missing`) },
    });
    assert.equal(bad.exitCode, 1);
    assert.match(failure(bad), /does not exist/);
    assertNoSecret(bad, password);
  });

  it('mysql: authenticates with a 0600 option file (never argv, not MYSQL_PWD); nothing visible contains it', async () => {
    const user = uniqueName('bkpw').slice(0, 32);
    const password = `p@ss w0rd"#\\ä'x-${user.slice(-6)}`;
    const source = db('mysql', 'bkpw');
    seed(source);
    const sqlPassword = password.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    mySql(
      '',
      `CREATE USER '${user}'@'%' IDENTIFIED BY '${sqlPassword}'; GRANT ALL PRIVILEGES ON \`${source.name}%\`.* TO '${user}'@'%';
      GRANT SELECT ON mysql.proc TO '${user}'@'%';`,
    );
    // The seed's trigger, view and routines have DEFINER root: a restore as another user needs SET USER
    // (without it the verification fails, and says so: checked below).
    onCleanup(() => mySql('', `DROP USER IF EXISTS '${user}'@'%';`));
    const record = (tool: string) => ({
      real: `/usr/bin/${tool}`,
      body: [
        `printf '%s argv: %s\\n' ${tool} "$*" >> "$LOG"`,
        `printf '%s MYSQL_PWD=%s\\n' ${tool} "\${MYSQL_PWD-unset}" >> "$LOG"`,
        `case "$1" in --defaults-extra-file=*) f="\${1#--defaults-extra-file=}"; printf '%s mode=%s\\n' ${tool} "$(stat -c %a "$f")" >> "$LOG";; esac`,
        'exec "$REAL" "$@"',
      ].join('\n'),
    });
    const clients = clientDir({ 'mariadb-dump': record('mariadb-dump'), mariadb: record('mariadb') });
    const url = `mysql://${user}:${encodeURIComponent(password)}@127.0.0.1:3306/${source.name}`;
    const denied = await runAction('backup-db', {
      inputs: { 'database-url': url, verify: 'restore', 'client-path': clients.dir },
    });
    assert.equal(denied.exitCode, 1);
    assert.match(
      failure(denied),
      /Access denied; you need \(at least one of\) the SUPER, SET USER privilege/,
    );
    assert.match(failure(denied), /creating them as another user needs the SET USER privilege \(MariaDB\)/);
    assertNoSecret(denied, password);
    assert.deepEqual(databasesLike('mysql', `${source.name}_verify`), []);

    mySql('', `GRANT SET USER ON *.* TO '${user}'@'%';`);
    writeFileSync(clients.log, '');
    const r = await runAction('backup-db', {
      inputs: { 'database-url': url, verify: 'restore', 'client-path': clients.dir },
    });
    assert.equal(r.exitCode, 0, failure(r));
    const calls = readFileSync(clients.log, 'utf8');
    assert.match(
      calls,
      /^mariadb-dump argv: --defaults-extra-file=\S+ --single-transaction --routines --triggers --events /m,
    );
    assert.match(calls, /^mariadb-dump mode=600$/m);
    assert.match(calls, /^mariadb mode=600$/m);
    assert.doesNotMatch(calls, /MYSQL_PWD=(?!unset)/);
    for (const line of calls.split('\n').filter((l) => l.includes(' argv: ')))
      assert.ok(
        !line.includes(password) && !line.includes(encodeURIComponent(password)),
        `argv holds no password: ${line}`,
      );
    assertNoSecret(r, password);
    // The option file is gone after the run.
    assert.deepEqual(
      readdirSync(r.runnerTemp).filter((f) => f.startsWith('dbcred-')),
      [],
    );

    // A wrong password is refused by the server (it really authenticates), and is not shown either.
    const wrong = `${password}-wrong`;
    const bad = await runAction('backup-db', {
      inputs: { 'database-url': url.replace(encodeURIComponent(password), encodeURIComponent(wrong)) },
    });
    assert.equal(bad.exitCode, 1);
    assert.match(failure(bad), /Access denied/);
    assert.match(failure(bad), /The server refused the credentials/);
    assertNoSecret(bad, wrong);
  });

  it('an unknown scheme is refused without echoing the URL', async () => {
    const r = await runAction('backup-db', {
      inputs: { 'database-url': 'redis://admin:hunter2-secret@cache:6379/0' },
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      /Input "database-url": unknown scheme "redis:\/\/"; expected postgres:\/\/, postgresql:\/\/, mysql:\/\/ or mariadb:\/\//,
    );
    assertNoSecret(r, 'hunter2-secret');
  });
});

describe('backup-db bad input and unreachable servers', () => {
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];
  before(async () => {
    // Accepts connections and never answers: a firewall that drops packets, a hung server.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    silentPort = (silent.address() as { port: number }).port;
  });
  after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  for (const scheme of ['postgres', 'mysql'] as const) {
    it(`${scheme}: a server that never answers fails within the connect timeout, saying what to check`, async () => {
      const directory = mkdtempSync(path.join(tmpdir(), 'bkunr-'));
      const r = await runAction('backup-db', {
        inputs: {
          'database-url': `${scheme}://u:pw-unreach@127.0.0.1:${silentPort}/shop`,
          'connect-timeout': '2s',
          directory,
        },
        timeoutMs: 60_000,
      });
      assert.equal(r.exitCode, 1, r.log);
      assert.equal(r.signal, null, 'the action ended by itself');
      const msg = failure(r);
      assert.match(
        msg,
        new RegExp(`Reading the server version failed on ${scheme}://u@127\\.0\\.0\\.1:${silentPort}/shop`),
      );
      assert.match(msg, /check the host and port/);
      noBackups(directory);
      assertNoSecret(r, 'pw-unreach');
    });
  }

  it('a port where nothing listens: the server cannot be reached', async () => {
    const r = await runAction('backup-db', {
      inputs: { 'database-url': 'postgresql://postgres@127.0.0.1:1/shop' },
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      /Reading the server version failed on postgres:\/\/postgres@127\.0\.0\.1:1\/shop/,
    );
    assert.match(failure(r), /Connection refused/);
    assert.match(failure(r), /The server cannot be reached: check the host and port in the URL/);
  });

  for (const engine of ['postgres', 'mysql'] as const) {
    it(`${engine}: a missing database is named, with what to check`, async () => {
      const name = uniqueName('bk_missing');
      const url =
        engine === 'postgres' ? `postgres://postgres@127.0.0.1/${name}` : `mariadb://root@127.0.0.1/${name}`;
      const r = await runAction('backup-db', { inputs: { 'database-url': url } });
      assert.equal(r.exitCode, 1);
      assert.match(
        failure(r),
        new RegExp(
          `The database "${name}" does not exist on that server: check the database name in the URL`,
        ),
      );
    });
  }

  it('jobs with a non-directory format is a configuration error naming jobs, before connecting', async () => {
    const r = await runAction('backup-db', {
      inputs: { 'database-url': 'postgres://postgres@127.0.0.1:1/shop', jobs: 2, format: 'custom' },
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      /Input "jobs": parallel dumps need format: directory \(PostgreSQL\); the format is custom\./,
    );
    const r2 = await runAction('backup-db', {
      inputs: { 'database-url': 'postgres://postgres@127.0.0.1:1/shop', jobs: 0 },
    });
    assert.match(failure(r2), /Input "jobs": expected a whole number from 1 to 64, got "0"/);
  });

  it('a user without SELECT on the tables: fails naming the privilege, stops the dump, leaves no files', async () => {
    const role = uniqueName('bklim');
    const source = db('postgres', 'bklim');
    seed(source);
    pgSql('postgres', `CREATE ROLE ${role} LOGIN; GRANT CONNECT ON DATABASE "${source.name}" TO ${role};`);
    source.sql(`GRANT USAGE ON SCHEMA billing TO ${role};`);
    onCleanup(() => {
      source.drop(); // holds the role's grants
      pgSql('postgres', `DROP ROLE IF EXISTS ${role};`);
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'bklim-'));
    const r = await runAction('backup-db', {
      inputs: { 'database-url': `postgres://${role}@127.0.0.1:5432/${source.name}`, directory },
    });
    assert.equal(r.exitCode, 1);
    assert.match(failure(r), /Counting rows failed on postgres:\/\/bklim_\w+@127\.0\.0\.1:5432\/bklim_\w+/);
    assert.match(failure(r), /permission denied for table/);
    assert.match(failure(r), /The user lacks a privilege this step needs/);
    noBackups(directory);
  });

  it('an unwritable directory is refused before anything is dumped', async () => {
    const source = db('postgres', 'bkdir');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bkdir-')), 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, directory: path.join(file, 'backups') },
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      new RegExp(`Input "directory": cannot write backups to ${file}/backups: ENOTDIR`),
    );
    assert.match(failure(r), /Nothing was dumped/);
  });

  it('other bad inputs name the input and the form wanted', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { 'database-url': 'postgres://h/db', mode: 'backpu' },
        /Input "mode": expected one of backup, restore, check-age, list, got "backpu"/,
      ],
      [
        { 'database-url': 'postgres://h/db', verify: 'full' },
        /Input "verify": expected one of none, list, restore, got "full"/,
      ],
      [
        { 'database-url': 'postgres://h/db', format: 'tar' },
        /Input "format": expected one of custom, directory, plain, got "tar"/,
      ],
      [
        { 'database-url': 'mysql://h/db', format: 'custom' },
        /Input "format": custom is a PostgreSQL format; MySQL\/MariaDB backups are SQL/,
      ],
      [{ 'database-url': 'postgres://h:5432' }, /Input "database-url": no database name/],
      [
        { 'database-url': 'not a url' },
        /Input "database-url": expected a URL such as postgres:\/\/user@host:5432\/dbname/,
      ],
      [{}, /Input "database-url" is required \(mode backup\)/],
      [
        { 'database-url': 'postgres://h/db', timeout: 'soon' },
        /Input "timeout": expected a duration such as 90s, 5m/,
      ],
      [
        { 'database-url': 'postgres://h/db', mode: 'restore', confirm: 'db' },
        /Input "backup" is required with mode: restore/,
      ],
      [
        { 'database-url': 'postgres://h/db', confirm: 'db' },
        /Input "confirm" is only used with mode: restore/,
      ],
      [
        { 'database-url': 'postgres://h/db', 'verify-database-url': 'postgres://h/db', verify: 'restore' },
        /Input "verify-database-url": it names the database being backed up/,
      ],
    ];
    for (const [inputs, expected] of cases) {
      const r = await runAction('backup-db', { inputs });
      assert.equal(r.exitCode, 1, JSON.stringify(inputs));
      assert.match(failure(r), /^Invalid configuration for backup-db:\n/);
      assert.match(failure(r), expected);
    }
  });
});

describe('backup-db check-age', () => {
  let directory: string;
  let manifestPath: string;
  before(async () => {
    const source = db('postgres', 'bkage');
    directory = mkdtempSync(path.join(tmpdir(), 'bkage-'));
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, environment: 'production', directory },
    });
    assert.equal(r.exitCode, 0, failure(r));
    manifestPath = r.outputs.manifest!;
  });

  it('passes when the newest backup of the environment is younger than max-age', async () => {
    const r = await runAction('backup-db', {
      inputs: { mode: 'check-age', directory, environment: 'production', 'max-age': '1h' },
    });
    assert.equal(r.exitCode, 0, failure(r));
    assert.equal(r.outputs.fresh, 'true');
    assert.equal(r.outputs.manifest, manifestPath);
    assert.equal(r.outputs.verified, 'true');
    assert.match(r.outputs['age-seconds']!, /^\d+$/);
    assert.match(r.summary, /✅ Backup age check for production: recent backup found/);
  });

  it('fails when the newest backup is older than max-age (default 24h), and when there is none', async () => {
    const old = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const oldDir = mkdtempSync(path.join(tmpdir(), 'bkage-old-'));
    old.createdAt = new Date(Date.now() - 30 * 3_600_000).toISOString();
    writeFileSync(path.join(oldDir, path.basename(manifestPath)), JSON.stringify(old));
    writeFileSync(path.join(oldDir, old.file), readFileSync(path.join(directory, old.file)));
    const r = await runAction('backup-db', {
      inputs: { mode: 'check-age', directory: oldDir, environment: 'production' },
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.fresh, 'false');
    assert.match(
      failure(r),
      /The newest backup for "production" \(.*\.dump, taken .*\) is 30h(\d+s)? old, more than max-age 24h\. Take a fresh backup/,
    );

    const none = await runAction('backup-db', {
      inputs: { mode: 'check-age', directory, environment: 'staging' },
    });
    assert.equal(none.exitCode, 1);
    assert.match(failure(none), /No usable backup for environment "staging" in /);
  });

  it('passes over a backup whose verification failed or whose dump is missing', async () => {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const dir = mkdtempSync(path.join(tmpdir(), 'bkage-bad-'));
    writeFileSync(
      path.join(dir, 'failed.manifest.json'),
      JSON.stringify({
        ...m,
        verification: { level: 'restore', passed: false, detail: 'the restored copy differs' },
      }),
    );
    writeFileSync(path.join(dir, m.file), '');
    writeFileSync(path.join(dir, 'missing.manifest.json'), JSON.stringify({ ...m, file: 'gone.dump' }));
    const r = await runAction('backup-db', {
      inputs: { mode: 'check-age', directory: dir, environment: 'production' },
    });
    assert.equal(r.exitCode, 1);
    assert.match(failure(r), /No usable backup for environment "production" .*\(2 passed over\)/);
    assert.match(r.summary, /failed\.manifest\.json: its verification failed \(the restored copy differs\)/);
    assert.match(r.summary, /missing\.manifest\.json: its dump gone\.dump is missing/);
  });
});
