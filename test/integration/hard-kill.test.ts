/**
 * The runner's last resort, SIGKILL of node (issue 14, item 6): the children die with it (the watchdog in
 * src/core/proc.ts), and what cannot be prevented is cleaned up by the post step or the next run. Run as the
 * runner runs the bundles, against real processes and the real PostgreSQL 15 and MariaDB 10.11.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { createTestDb } from '../harness/databases.js';
import { CMD, setup, type Env } from '../harness/deploy-env.js';
import { makeWorkspace } from '../harness/migrations.js';
import { clientDir, failure, passThrough, PG_BIN, report } from '../harness/backup-db.js';
import { cleanupAfterAll, createDatabase, databasesLike, pgSql, seed } from '../harness/seeded-databases.js';
import { runAction } from '../harness/run-action.js';

/** Processes whose command line contains `marker` (excluding ps itself). */
function processesWith(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,ppid,pgid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(marker) && !/\bps -eo\b/.test(l));
}

/** Wait (bounded) until `cond` holds; returns whether it did. */
async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

/**
 * SIGKILL the action 300 ms after `ready()` holds (polled; bounded at 60 s, then SIGKILL anyway). The pause: a
 * child may signal ready in the microseconds between node's spawn() returning and node registering the child's
 * process group with the watchdog (src/core/proc.ts); a kill inside that window, timed by the child itself, is
 * not what the runner does (its SIGKILL comes 10 s after the cancel's SIGINT), and on a loaded machine it made
 * these tests fail now and then. Every child here runs for seconds after ready, so the kill is still mid-work.
 */
export function killWhen(ready: () => boolean) {
  return (child: ChildProcess) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (ready() || Date.now() - started > 60_000) {
        clearInterval(poll);
        setTimeout(() => child.kill('SIGKILL'), 300);
      }
    }, 50);
    child.on('exit', () => clearInterval(poll));
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('SIGKILL of deploy', () => {
  it('the running deploy command and what it started die with node; ps shows no orphans', async () => {
    env = await setup();
    const e = env;
    const dir = mkdtempSync(path.join(tmpdir(), 'hk-deploy-'));
    const pids = path.join(dir, 'pids');
    const marker = `29${randomBytes(3).readUIntBE(0, 3)}`; // sleep's argument: unique on this machine
    const r = await e.run(
      {
        strategy: 'rolling',
        version: 'v2',
        command: `sleep ${marker} & echo $! >> ${pids}; echo $$ >> ${pids}; wait`,
        'rollback-command': CMD.rollbackAll,
        'health-url': `${e.proxy.url}/health`,
      },
      {
        onSpawn: killWhen(
          () => existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').length >= 2,
        ),
      },
    );
    assert.equal(r.signal, 'SIGKILL');
    const started = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    assert.equal(started.length, 2);
    assert.ok(
      await eventually(
        () => started.every((p) => !alive(p)) && processesWith(`sleep ${marker}`).length === 0,
      ),
      `orphans left running: ${processesWith(`sleep ${marker}`).join('; ')}`,
    );
  });
});

describe('SIGKILL of run-migrations', () => {
  it('postgres: the session running a long migration ends with node: no locks held, nothing applied', async () => {
    const db = await createTestDb('postgres', 'hkrm');
    try {
      const ws = makeWorkspace({
        'migrations/0001_create.sql': 'create table t (id int primary key);\n',
        'migrations/0002_slow.sql': 'lock table t in access exclusive mode;\nselect pg_sleep(120);\n',
      });
      const ours = `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
                     where a.datname = '${db.name}' and a.pid <> pg_backend_pid()`;
      let sleeping = false;
      const poll = setInterval(() => {
        void db
          .query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity where datname = '${db.name}' and query like '%pg_sleep(120)%' and state = 'active' and pid <> pg_backend_pid()`,
          )
          .then((rows) => (sleeping = rows[0]!.n > 0))
          .catch(() => undefined);
      }, 100);
      let r;
      try {
        r = await runAction('run-migrations', {
          workspace: ws,
          inputs: { 'database-url': db.url, tool: 'sql' },
          onSpawn: killWhen(() => sleeping),
          timeoutMs: 90_000,
        });
      } finally {
        clearInterval(poll);
      }
      assert.equal(r.signal, 'SIGKILL');
      let held = -1;
      assert.ok(
        await eventually(async () => (held = (await db.query<{ n: number }>(ours))[0]!.n) === 0, 20_000),
        `${held} locks still held by the killed run's session`,
      );
      const applied = await db.query<{ version: string }>('select version from runbook_migrations');
      assert.deepEqual(
        applied.map((x) => x.version),
        ['1'],
        'the killed migration was rolled back, not recorded',
      );
    } finally {
      await db.drop();
    }
  });
});

const onCleanup = cleanupAfterAll();

/** A wrapper that records its pid in `<log>.pid` and waits before running the real tool (never for --version). */
const SLOW_START = [
  '[ "$1" = --version ] && exec "$REAL" "$@"',
  'echo $$ > "$LOG.pid"',
  'sleep 30',
  'exec "$REAL" "$@"',
].join('\n');

describe('SIGKILL of backup-db', () => {
  it('postgres, during the dump: pg_dump and the snapshot session die with node; the post step removes the partial dump', async () => {
    const source = createDatabase('postgres', 'hkbk');
    onCleanup(() => source.drop());
    seed(source);
    const clients = clientDir({
      pg_dump: { real: `${PG_BIN}/pg_dump`, body: SLOW_START },
      pg_restore: passThrough(`${PG_BIN}/pg_restore`),
      psql: passThrough(`${PG_BIN}/psql`),
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'hkbk-'));
    const inputs = { 'database-url': source.url, 'client-path': clients.dir, directory };
    const r = await runAction('backup-db', {
      inputs,
      onSpawn: killWhen(() => existsSync(`${clients.log}.pid`)),
      timeoutMs: 90_000,
    });
    assert.equal(r.signal, 'SIGKILL');
    const pid = Number(readFileSync(`${clients.log}.pid`, 'utf8'));
    const sessions = () =>
      pgSql('postgres', `SELECT count(*) FROM pg_stat_activity WHERE datname = '${source.name}';`).trim();
    assert.ok(
      await eventually(() => !alive(pid) && sessions() === '0'),
      `left running: pg_dump ${alive(pid) ? 'alive' : 'gone'}, ${sessions()} sessions on the database`,
    );
    const left = readdirSync(directory);
    assert.equal(left.filter((f) => f.endsWith('.manifest.json')).length, 0, 'no manifest: not a backup');
    assert.equal(left.length, 1, `the dump being written: ${left.join(', ')}`);

    const post = await runAction('backup-db', {
      phase: 'post',
      inputs,
      state: r.state,
      env: { RUNNER_TEMP: r.runnerTemp },
      timeoutMs: 60_000,
    });
    assert.equal(post.exitCode, 0, post.log);
    assert.match(post.log, /Removed the partial dump .*No backup was taken by this run/);
    assert.deepEqual(readdirSync(directory), []);
  });

  it('mysql, during the dump: the post step removes the option file holding the password', async () => {
    const source = createDatabase('mysql', 'hkbk');
    onCleanup(() => source.drop());
    seed(source);
    const clients = clientDir({
      'mariadb-dump': { real: '/usr/bin/mariadb-dump', body: SLOW_START },
      mariadb: passThrough('/usr/bin/mariadb'),
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'hkbk-'));
    const inputs = { 'database-url': source.url, 'client-path': clients.dir, directory, verify: 'none' };
    const r = await runAction('backup-db', {
      inputs,
      onSpawn: killWhen(() => existsSync(`${clients.log}.pid`)),
      timeoutMs: 90_000,
    });
    assert.equal(r.signal, 'SIGKILL');
    const pid = Number(readFileSync(`${clients.log}.pid`, 'utf8'));
    assert.ok(await eventually(() => !alive(pid)), 'mariadb-dump died with node');
    const creds = () => readdirSync(r.runnerTemp).filter((f) => f.startsWith('dbcred-'));
    assert.equal(creds().length, 1, 'the killed run could not remove its option file');
    const post = await runAction('backup-db', {
      phase: 'post',
      inputs,
      state: r.state,
      env: { RUNNER_TEMP: r.runnerTemp },
      timeoutMs: 60_000,
    });
    assert.equal(post.exitCode, 0, post.log);
    assert.deepEqual(creds(), [], 'the post step removed the option file');
    assert.deepEqual(readdirSync(directory), [], 'and the partial dump');
  });

  it('postgres, during the restore verification: the post step drops the scratch database; the next run drops stale ones', async () => {
    const source = createDatabase('postgres', 'hkbk');
    onCleanup(() => source.drop());
    seed(source);
    onCleanup(() => {
      for (const d of databasesLike('postgres', `${source.name}_verify_`))
        pgSql('postgres', `DROP DATABASE IF EXISTS "${d}" WITH (FORCE);`);
    });
    const clients = clientDir({
      pg_dump: passThrough(`${PG_BIN}/pg_dump`),
      pg_restore: {
        real: `${PG_BIN}/pg_restore`,
        body: 'case "$*" in *--dbname=*) echo $$ > "$LOG.pid"; sleep 30; exec "$REAL" "$@";; *) exec "$REAL" "$@";; esac',
      },
      psql: passThrough(`${PG_BIN}/psql`),
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'hkbk-'));
    const inputs = {
      'database-url': source.url,
      'client-path': clients.dir,
      directory,
      verify: 'restore',
    };
    const r = await runAction('backup-db', {
      inputs,
      onSpawn: killWhen(() => existsSync(`${clients.log}.pid`)),
      timeoutMs: 90_000,
    });
    assert.equal(r.signal, 'SIGKILL');
    const pid = Number(readFileSync(`${clients.log}.pid`, 'utf8'));
    assert.ok(await eventually(() => !alive(pid)), 'pg_restore died with node');
    const left = databasesLike('postgres', `${source.name}_verify_`);
    assert.equal(left.length, 1, 'the killed run left its scratch database');
    const post = await runAction('backup-db', {
      phase: 'post',
      inputs,
      state: r.state,
      env: { RUNNER_TEMP: r.runnerTemp },
      timeoutMs: 60_000,
    });
    assert.equal(post.exitCode, 0, post.log);
    assert.deepEqual(databasesLike('postgres', `${source.name}_verify_`), [], 'the post step dropped it');

    // A scratch database left two hours ago (its post step never ran: the runner was lost) and a recent one (a
    // concurrent run's, still in use): the next run drops the stale one only.
    const stale = `${source.name}_verify_${(Date.now() - 2 * 3_600_000).toString(36)}_abcd`;
    const recent = `${source.name}_verify_${(Date.now() - 60_000).toString(36)}_beef`;
    pgSql('postgres', `CREATE DATABASE "${stale}";`);
    pgSql('postgres', `CREATE DATABASE "${recent}";`);
    const next = await runAction('backup-db', {
      inputs: { 'database-url': source.url, directory, verify: 'restore' },
      timeoutMs: 120_000,
    });
    assert.equal(next.exitCode, 0, failure(next));
    assert.equal(report(next).verification.passed, true);
    assert.match(
      next.log,
      new RegExp(`Dropped the scratch database ${stale}, left by a run that was killed`),
    );
    assert.deepEqual(databasesLike('postgres', `${source.name}_verify_`), [recent]);
  });
});
