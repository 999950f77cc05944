/**
 * The runner's last resort, SIGKILL of node (issue 14, item 6): the children die with it (the watchdog in
 * src/core/proc.ts), and what cannot be prevented is cleaned up by the post step or the next run. Run as the
 * runner runs the bundles, against real processes and the real PostgreSQL 15 and MariaDB 10.11.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { createTestDb } from '../harness/databases.js';
import { CMD, setup, type Env } from '../harness/deploy-env.js';
import { makeWorkspace } from '../harness/migrations.js';
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

/** SIGKILL the action as soon as `ready()` holds (polled; bounded at 60 s, then SIGKILL anyway). */
export function killWhen(ready: () => boolean) {
  return (child: ChildProcess) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (ready() || Date.now() - started > 60_000) {
        clearInterval(poll);
        child.kill('SIGKILL');
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
