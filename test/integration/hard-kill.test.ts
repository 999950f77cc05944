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
import { CMD, setup, type Env } from '../harness/deploy-env.js';

/** Processes whose command line contains `marker` (excluding ps itself). */
function processesWith(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,ppid,pgid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(marker) && !/\bps -eo\b/.test(l));
}

/** Wait (bounded) until `cond` holds; returns whether it did. */
async function eventually(cond: () => boolean, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
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
