/** src/core/db.ts: URL parsing, credentials, versions and client selection (fake tools, no server). */
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  DatabaseClient,
  clientCandidates,
  describeTarget,
  engineFromScheme,
  majorOf,
  optionFileValue,
  parseDatabaseUrl,
  parseToolVersion,
  pgDbnameArg,
  prepareCredentials,
  quoteIdent,
  quoteLiteral,
  unescapeBatchField,
} from '../../src/core/db.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { ProcRequest, ProcResult } from '../../src/core/proc.js';

describe('parseDatabaseUrl', () => {
  const table: [string, Partial<ReturnType<typeof parseDatabaseUrl>>][] = [
    [
      'postgres://app:pw@db.internal:6543/shop',
      { engine: 'postgres', host: 'db.internal', port: 6543, user: 'app', password: 'pw', database: 'shop' },
    ],
    ['postgresql://app@db/shop', { engine: 'postgres', port: 5432, password: '' }],
    ['mysql://root@127.0.0.1/shop', { engine: 'mysql', port: 3306, user: 'root' }],
    ['mariadb://u:p@h:3307/d', { engine: 'mysql', port: 3307 }],
    ['POSTGRES://u@h/d', { engine: 'postgres' }],
    [
      'postgres://us%40er:p%40ss%3Aw%2Ford%25@h/my%20db',
      { user: 'us@er', password: 'p@ss:w/ord%', database: 'my db' },
    ],
    ['postgres://u:pw@[::1]:5433/d', { host: '::1', port: 5433 }],
    [
      'postgres://u@h/d?sslmode=require&application_name=x',
      { params: { sslmode: 'require', application_name: 'x' } },
    ],
  ];
  for (const [url, want] of table)
    it(`parses ${url}`, () => {
      const t = parseDatabaseUrl(url);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(t[k as keyof typeof t], v, k);
    });

  it('the engine option names the engine of a scheme that says nothing, and must agree with one that does', () => {
    assert.equal(parseDatabaseUrl('proxy://u@h/d', { engine: 'mysql' }).port, 3306);
    assert.equal(parseDatabaseUrl('mariadb://u@h/d', { engine: 'mysql' }).engine, 'mysql');
    assert.throws(
      () => parseDatabaseUrl('mysql://u@h/d', { engine: 'postgres', label: 'Input "database-url"' }),
      /Input "database-url": the scheme "mysql:\/\/" is mysql, but the engine was set to postgres\./,
    );
  });

  const bad: [string, RegExp][] = [
    ['redis://u:hunter2@h/0', /unknown scheme "redis:\/\/"/],
    ['db.example.com/shop', /expected a URL such as postgres:\/\//],
    ['postgres://u@h', /no database name/],
    ['postgres://u@h/', /no database name/],
    ['postgres://u:%E0%A4%A@h/d', /the password is not valid percent-encoding/],
    ['postgres://u@h:99999/d', /not a valid URL after the scheme/],
  ];
  for (const [url, re] of bad)
    it(`refuses ${url} with a message that never echoes the password`, () => {
      assert.throws(
        () => parseDatabaseUrl(url, { label: 'Input "database-url"' }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigurationError);
          assert.match(e.message, /^Input "database-url": /);
          assert.match(e.message, re);
          assert.ok(!e.message.includes('hunter2') && !e.message.includes('%E0'), e.message);
          return true;
        },
      );
    });

  it('engineFromScheme and describeTarget', () => {
    assert.equal(engineFromScheme('postgresql:'), 'postgres');
    assert.equal(engineFromScheme('mariadb'), 'mysql');
    assert.equal(engineFromScheme('sqlite:'), undefined);
    assert.equal(describeTarget(parseDatabaseUrl('postgres://app:pw@h:1/d')), 'postgres://app@h:1/d');
    assert.equal(describeTarget(parseDatabaseUrl('mysql://u:pw@[::1]/d')), 'mysql://u@[::1]:3306/d');
  });
});

describe('quoting', () => {
  it('quotes identifiers and literals per engine', () => {
    assert.equal(quoteIdent('postgres', 'a"b'), '"a""b"');
    assert.equal(quoteIdent('mysql', 'a`b'), '`a``b`');
    assert.equal(quoteLiteral('postgres', "it's \\"), "'it''s \\'");
    assert.equal(quoteLiteral('mysql', "it's \\"), "'it''s \\\\'");
    assert.equal(pgDbnameArg("we'ird=db"), "dbname='we\\'ird=db'");
  });
  it('option file values are quoted with escapes', () => {
    assert.equal(optionFileValue('p"a#s\\s w'), '"p\\"a#s\\\\s w"');
    assert.equal(optionFileValue('a\nb'), '"a\\nb"');
  });
  it('unescapes MySQL batch fields', () => {
    assert.equal(unescapeBatchField('a\\tb\\nc\\\\d\\0'), 'a\tb\nc\\d\0');
  });
});

describe('prepareCredentials', () => {
  it('PostgreSQL: everything by environment, the password as PGPASSWORD, the user environment cleared', () => {
    const t = parseDatabaseUrl('postgres://app:s3cret@h:6543/shop?sslmode=verify-full&sslrootcert=/ca.pem');
    const c = prepareCredentials(t, { tmpDir: tmpdir(), connectTimeoutSec: 7 });
    assert.deepEqual(c.leadingArgs, []);
    assert.equal(c.env.PGPASSWORD, 's3cret');
    assert.equal(c.env.PGHOST, 'h');
    assert.equal(c.env.PGPORT, '6543');
    assert.equal(c.env.PGDATABASE, 'shop');
    assert.equal(c.env.PGSSLMODE, 'verify-full');
    assert.equal(c.env.PGSSLROOTCERT, '/ca.pem');
    assert.equal(c.env.PGCONNECT_TIMEOUT, '7');
    assert.ok('PGSERVICE' in c.env && c.env.PGSERVICE === undefined);
  });

  it('MySQL: a 0600 [client] option file in a private directory, removed by dispose', () => {
    const t = parseDatabaseUrl('mysql://app:p%22a%23ss@db:3307/shop?ssl-mode=REQUIRED');
    const c = prepareCredentials(t, {
      tmpDir: mkdtempSync(path.join(tmpdir(), 'cred-')),
      connectTimeoutSec: 5,
    });
    const arg = c.leadingArgs[0]!;
    assert.match(arg, /^--defaults-extra-file=.+client\.cnf$/);
    const file = arg.slice('--defaults-extra-file='.length);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(
      readFileSync(file, 'utf8'),
      '[client]\nhost="db"\nport=3307\nuser="app"\npassword="p\\"a#ss"\nprotocol=TCP\nssl\n[mysql]\nconnect-timeout=5\n',
    );
    assert.ok(!arg.includes('p"a#ss'));
    assert.ok('MYSQL_PWD' in c.env && c.env.MYSQL_PWD === undefined);
    c.dispose();
    assert.throws(() => statSync(file));
    c.dispose();
  });
});

describe('versions', () => {
  it('parses tool versions', () => {
    assert.equal(parseToolVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n'), '15.20');
    assert.equal(parseToolVersion('pg_restore (PostgreSQL) 9.6.24\n'), '9.6.24');
    assert.equal(
      parseToolVersion('mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)'),
      '10.11.19-MariaDB',
    );
    assert.equal(
      parseToolVersion('mysqldump  Ver 8.0.39 for Linux on x86_64 (MySQL Community Server - GPL)'),
      '8.0.39',
    );
    assert.equal(parseToolVersion('hello'), undefined);
  });
  it('majorOf', () => {
    assert.equal(majorOf('postgres', '15.20'), '15');
    assert.equal(majorOf('postgres', '9.6.24'), '9.6');
    assert.equal(majorOf('mysql', '10.11.19-MariaDB'), '10.11');
    assert.equal(majorOf('mysql', '8.0.39'), '8.0');
  });
});

/** A directory of fake executables. */
function fakeTools(names: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tools-'));
  for (const n of names) {
    const f = path.join(dir, n);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, '#!/bin/sh\n');
    chmodSync(f, 0o755);
  }
  return dir;
}

describe('client selection', () => {
  it('candidates: client-path alone when given; else the versioned Debian dir, then PATH in order', () => {
    const lib = fakeTools(['15/bin/pg_dump', '16/bin/pg_dump']);
    const a = fakeTools(['pg_dump']);
    const b = fakeTools(['pg_dump']);
    const none = fakeTools([]);
    assert.deepEqual(clientCandidates('postgres', 'pg_dump', '15', { pathEnv: `${a}:${b}`, pgLibDir: lib }), [
      `${lib}/15/bin/pg_dump`,
      `${a}/pg_dump`,
      `${b}/pg_dump`,
    ]);
    assert.deepEqual(clientCandidates('postgres', 'pg_dump', '14', { pathEnv: none, pgLibDir: lib }), []);
    assert.deepEqual(
      clientCandidates('postgres', 'pg_dump', '15', { clientPath: a, pathEnv: b, pgLibDir: lib }),
      [`${a}/pg_dump`],
    );
    assert.deepEqual(
      clientCandidates('postgres', 'pg_dump', '15', { clientPath: none, pathEnv: b, pgLibDir: lib }),
      [],
    );
  });

  /** A process runner that answers psql's version query and each tool's --version from a table. */
  function fakeExec(server: string, versions: Record<string, string>) {
    const calls: ProcRequest[] = [];
    const exec = async (req: ProcRequest): Promise<ProcResult> => {
      calls.push(req);
      const base = { exitCode: 0, signal: null, stderr: '', durationMs: 1, timedOut: false, aborted: false };
      if (req.args.includes('--version')) return { ...base, stdout: versions[req.command] ?? '' };
      return { ...base, stdout: server };
    };
    return { exec, calls };
  }

  it('picks the client whose major version equals the server, skipping Debian’s highest-version wrapper', async () => {
    const lib = fakeTools(['psql']);
    const wrapper = fakeTools(['pg_dump', 'psql']);
    const v15 = fakeTools(['15/bin/pg_dump']);
    const { exec, calls } = fakeExec('150020\x1f15.20 (Debian)\x1e', {
      [`${wrapper}/pg_dump`]: 'pg_dump (PostgreSQL) 17.2\n',
      [`${v15}/15/bin/pg_dump`]: 'pg_dump (PostgreSQL) 15.20\n',
    });
    const c = new DatabaseClient(parseDatabaseUrl('postgres://u:pw@h/d'), {
      exec,
      tmpDir: tmpdir(),
      search: { pathEnv: `${wrapper}:${lib}`, pgLibDir: v15 },
      connectTimeoutSec: 5,
      queryTimeoutMs: 1000,
    });
    assert.deepEqual(await c.serverVersion(), {
      engine: 'postgres',
      flavor: 'postgres',
      version: '15.20 (Debian)',
      major: '15',
    });
    assert.deepEqual(await c.resolveTool('dump'), { path: `${v15}/15/bin/pg_dump`, version: '15.20' });
    // The version query went to psql on stdin, never argv, with the password in the environment.
    const q = calls[0]!;
    assert.equal(q.command, `${wrapper}/psql`);
    assert.match(q.input!, /server_version_num/);
    assert.ok(!q.args.join(' ').includes('pw'));
    assert.equal(q.env?.PGPASSWORD, 'pw');
  });

  it('queries with a versioned psql rather than Debian’s pg_wrapper on PATH (a Perl start-up per call)', async () => {
    const common = fakeTools(['pg_wrapper']);
    const bin = mkdtempSync(path.join(tmpdir(), 'bin-'));
    symlinkSync(path.join(common, 'pg_wrapper'), path.join(bin, 'psql'));
    const lib = fakeTools(['13/bin/psql', '15/bin/psql']);
    const { exec, calls } = fakeExec('150020\x1f15.20\x1e', {});
    const c = new DatabaseClient(parseDatabaseUrl('postgres://u@h/d'), {
      exec,
      tmpDir: tmpdir(),
      search: { pathEnv: bin, pgLibDir: lib },
      connectTimeoutSec: 5,
      queryTimeoutMs: 1000,
    });
    await c.serverVersion();
    assert.equal(calls[0]!.command, `${lib}/15/bin/psql`);
  });

  it('fails before dumping when no client matches, listing what it found and what to install', async () => {
    const wrapper = fakeTools(['pg_dump', 'psql']);
    const { exec } = fakeExec('140011\x1f14.11\x1e', {
      [`${wrapper}/pg_dump`]: 'pg_dump (PostgreSQL) 16.4\n',
    });
    const c = new DatabaseClient(parseDatabaseUrl('postgres://u@db.example:5432/d'), {
      exec,
      tmpDir: tmpdir(),
      search: { pathEnv: wrapper, pgLibDir: fakeTools([]) },
      connectTimeoutSec: 5,
      queryTimeoutMs: 1000,
    });
    await assert.rejects(c.resolveTool('dump'), (e: Error) => {
      assert.match(
        e.message,
        /^No pg_dump 14 client found on PATH or in .*\/14\/bin for the PostgreSQL 14\.11 server at db\.example:5432; found only: .*\/pg_dump \(version 16\.4\)\. Nothing was done\./,
      );
      assert.match(e.message, /sudo apt-get install -y postgresql-client-14/);
      return true;
    });
  });

  it('MySQL: prefers mariadb-dump for a MariaDB server and mysqldump for MySQL', async () => {
    const dir = fakeTools(['mariadb-dump', 'mysqldump', 'mariadb']);
    for (const [server, want] of [
      ['10.11.19-MariaDB\tmariadb.org binary distribution\n', 'mariadb-dump'],
      ['8.0.39\tMySQL Community Server - GPL\n', 'mysqldump'],
    ] as const) {
      const { exec } = fakeExec(server, {
        [`${dir}/mariadb-dump`]: 'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu',
        [`${dir}/mysqldump`]: 'mysqldump  Ver 8.0.39 for Linux',
      });
      const c = new DatabaseClient(parseDatabaseUrl('mysql://u@h/d'), {
        exec,
        tmpDir: mkdtempSync(path.join(tmpdir(), 'cred-')),
        search: { pathEnv: dir },
        connectTimeoutSec: 5,
        queryTimeoutMs: 1000,
      });
      assert.equal(path.basename((await c.resolveTool('dump')).path), want);
      c.dispose();
    }
  });
});
