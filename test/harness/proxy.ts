/**
 * A real reverse proxy for the deploy tests, bench and demo: nginx (from Debian apt, installed by
 * scripts/install-test-tools.sh) run as a foreground process with its configuration, pid and logs in a temp
 * directory, listening on a random 127.0.0.1 port, balancing between the slots' upstreams by weight.
 * Changes go through test/harness/proxy-ctl.mjs (rewrite nginx.conf + graceful `nginx -s reload`), the same
 * script the actions' switch-command / weight-command run, so tests exercise exactly what the action drives.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const PROXY_CTL = path.resolve(import.meta.dirname, 'proxy-ctl.mjs');
const run = promisify(execFile);

export interface Proxy {
  url: string;
  port: number;
  /** Directory with nginx.conf, state.json, nginx.pid, error.log; give it to commands as PROXY_DIR. */
  dir: string;
  /** `PROXY_DIR=... node proxy-ctl.mjs` prefix for commands: env to add. */
  env: Record<string, string>;
  switchTo(slot: string): Promise<void>;
  setWeight(slot: string, percent: number): Promise<void>;
  weights(): Record<string, number>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(port: number, child: ChildProcess, dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${readLog(dir)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/__proxy`, { signal: AbortSignal.timeout(500) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new Error(`nginx did not answer on 127.0.0.1:${port} within ${timeoutMs} ms: ${readLog(dir)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function readLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'error.log'), 'utf8').slice(-2000);
  } catch {
    return '(no error.log)';
  }
}

/** Start nginx in front of `upstreams` (slot name -> port), all traffic on `live`. */
export async function startProxy(o: { upstreams: Record<string, number>; live: string }): Promise<Proxy> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'proxy-'));
    const port = await freePort();
    const state = {
      dir,
      port,
      generation: 1,
      upstreams: o.upstreams,
      weights: Object.fromEntries(Object.keys(o.upstreams).map((s) => [s, s === o.live ? 100 : 0])),
    };
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
    const env = { PROXY_DIR: dir };
    await run(process.execPath, [PROXY_CTL, 'render'], { env: { ...process.env, ...env } });
    const child = spawn(
      'nginx',
      ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      await waitReady(port, child, dir, 5000);
    } catch (e) {
      lastError = e;
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      continue; // the port may have been taken between freePort() and nginx binding it
    }
    const ctl = async (...args: string[]) => {
      await run(process.execPath, [PROXY_CTL, ...args], { env: { ...process.env, ...env } });
    };
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      dir,
      env,
      switchTo: (slot) => ctl('switch', slot),
      setWeight: (slot, percent) => ctl('weight', slot, String(percent)),
      weights: () => (JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as typeof state).weights,
      close: async () => {
        if (child.exitCode === null) {
          child.kill('SIGQUIT'); // graceful shutdown
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`could not start nginx after 3 attempts: ${String(lastError)}`);
}
