/**
 * The one place that spawns processes. Commands are an executable plus an argument array, never a shell
 * string built from inputs. Secrets go to the child through `env` (or a file the caller writes), never argv.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { MAX_TIMER_MS, timerMs } from './clock.js';

export interface ProcRequest {
  command: string;
  args: readonly string[];
  cwd?: string;
  /**
   * Added to (and overriding) the parent's environment minus WITHHELD_ENV (our inputs, state, runtime tokens);
   * `undefined` removes a variable.
   */
  env?: Record<string, string | undefined>;
  /** Kill the process (group) after this long (at most MAX_TIMER_MS; longer is refused, never cut to 1 ms). */
  timeoutMs?: number;
  /** Abort (e.g. the job was cancelled): the process group gets SIGTERM, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  killGraceMs?: number;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Stream stdout to this file instead of capturing it (dumps: memory stays flat). */
  stdoutFile?: string;
  /**
   * Stream stdout into this writable instead of capturing it (e.g. a gzip stream in front of a file); the result
   * waits until it has finished. A write error (disk full) is reported in `streamError`.
   */
  stdout?: Writable;
  /**
   * Piped to stdin instead of `input` (e.g. a dump being restored). If it fails mid-way the process is stopped
   * (never left to treat a partial input as complete) and the error is reported in `streamError`.
   */
  stdin?: Readable;
  /** Called with each complete line of output as it arrives (for live logs). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Keep at most this many characters of each stream (the tail). Default 1 MB. */
  maxCapture?: number;
}

export interface ProcResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
  /** A failure of the `stdin`/`stdout` streams given in the request (the process was stopped for it). */
  streamError?: string;
}

export type ProcessRunner = (req: ProcRequest) => Promise<ProcResult>;

export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`command not found: ${command} (is it installed and on PATH?)`);
  }
}

/** The process could not start because its working directory is missing or not a directory. */
export class WorkingDirectoryError extends Error {
  constructor(
    readonly command: string,
    readonly cwd: string,
    problem: string,
  ) {
    super(`could not start ${command}: its working directory ${cwd} ${problem}`);
  }
}

function workingDirectoryProblem(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : 'is not a directory';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(e)})`;
  }
}

/** A user-written shell command (e.g. `npm run test:smoke`), run by bash as the runner runs `run:` steps. */
export function shellCommand(script: string): { command: string; args: string[] } {
  return { command: 'bash', args: ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script] };
}

/**
 * Variables of the step's environment a child never gets (see CONTRIBUTING.md, "What child processes see").
 * A child gets what a `run:` step would get, minus what the runner hands only to this action:
 * - `INPUT_*`: our inputs (the GitHub token, check headers, database URLs…); a child needs none of them, and
 *   anything it does need is passed on purpose in `env`;
 * - `STATE_*` and `GITHUB_STATE`: our post step's state, which a child must neither read nor forge;
 * - `GITHUB_OUTPUT`: our step's outputs (`report`, `status`…), which later steps and gates trust;
 * - `ACTIONS_RUNTIME_TOKEN`, `ACTIONS_RUNTIME_URL`, `ACTIONS_CACHE_URL`, `ACTIONS_RESULTS_URL`: the runner gives
 *   these to JavaScript actions only, never to `run:` steps.
 * Kept: PATH, HOME, GITHUB_* context (repository, sha, run id, workspace…), GITHUB_ENV, GITHUB_PATH and
 * GITHUB_STEP_SUMMARY (a `run:` step has them too), RUNNER_*, the user's own `env:`, and
 * ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, which a `run:` step also gets when the job has `id-token: write` (deploy
 * commands use them to log in to a cloud with OIDC).
 */
export const WITHHELD_ENV = [
  /^INPUT_/i,
  /^STATE_/i,
  /^GITHUB_STATE$/i,
  /^GITHUB_OUTPUT$/i,
  /^ACTIONS_RUNTIME_TOKEN$/i,
  /^ACTIONS_RUNTIME_URL$/i,
  /^ACTIONS_CACHE_URL$/i,
  /^ACTIONS_RESULTS_URL$/i,
] as const;

/** The environment a child starts from: the parent's without WITHHELD_ENV. */
export function childEnv(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent))
    if (v !== undefined && !WITHHELD_ENV.some((re) => re.test(k))) env[k] = v;
  return env;
}

// ---------------------------------------------------------------------------------------------------------
// The watchdog: children die with us, even when we are killed with SIGKILL.
//
// On cancel the runner (actions/runner, ProcessInvoker) sends SIGINT to node's pid only, then SIGTERM 7.5 s
// later, then 2.5 s later `Process.Kill()`: a SIGKILL of node's pid alone (it neither kills the process group
// nor walks the tree on Linux; its orphan cleanup only runs at the end of the job). Our children run in their
// own process groups (so a timeout stops a whole tree), and nothing in Node 20/24 offers prctl(PDEATHSIG). So
// one small shell, started on the first spawn, holds a pipe from node and is told each child's process group
// as it starts and ends; when the pipe closes (node exited or was killed), it sends SIGTERM to the groups still
// registered, and SIGKILL 2 s later. A normal run unregisters every child as it ends, so nothing is killed
// then: only what a killed node left behind.

export const WATCHDOG_SCRIPT = `g=' '
while IFS= read -r l; do
  case $l in
    +*) g="$g\${l#+} " ;;
    -*) n=\${l#-}; case $g in *" $n "*) g="\${g%%" $n "*} \${g#*" $n "}" ;; esac ;;
  esac
done
[ "$g" = ' ' ] && exit 0
for p in $g; do kill -s TERM -- "-$p" 2>/dev/null; done
sleep 2
for p in $g; do kill -s KILL -- "-$p" 2>/dev/null; done
`;

let watchdog: { write(line: string): void } | undefined;

function getWatchdog(): { write(line: string): void } {
  if (watchdog) return watchdog;
  let ok = true;
  try {
    const w = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT], {
      detached: true, // its own group: a timeout's group kill never reaches it
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: '/usr/bin:/bin' }, // kill is built in; sleep wherever the system keeps it
    });
    w.on('error', () => {
      ok = false; // no /bin/sh: children are still stopped on timeout, cancel and a normal exit
    });
    w.stdin.on('error', () => {
      ok = false;
    });
    w.unref();
    (w.stdin as unknown as { unref?: () => void }).unref?.();
    watchdog = {
      write(line) {
        if (ok) w.stdin.write(`${line}\n`);
      },
    };
  } catch {
    watchdog = { write: () => undefined };
  }
  return watchdog;
}

export const runProcess: ProcessRunner = (req) =>
  new Promise<ProcResult>((resolve, reject) => {
    if (req.timeoutMs !== undefined && !(req.timeoutMs >= 0 && req.timeoutMs <= MAX_TIMER_MS))
      return reject(
        new RangeError(`timeoutMs must be between 0 and ${MAX_TIMER_MS} ms, got ${req.timeoutMs}`),
      );
    const started = performance.now();
    const max = req.maxCapture ?? 1_000_000;
    const env = childEnv(process.env);
    for (const [k, v] of Object.entries(req.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    // The watchdog first: started after the child, its own start-up (a fork and exec, slow on a loaded machine)
    // would be a window in which a SIGKILL of node leaves the child unregistered. Now the only window is the
    // synchronous step from spawn() returning to the write below.
    const guard = getWatchdog();
    const child = spawn(req.command, [...req.args], {
      cwd: req.cwd,
      env,
      detached: true, // own process group, so a timeout or cancel stops the whole tree
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const group = child.pid;
    if (group !== undefined) guard.write(`+${group}`);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let streamError: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const pending: Promise<unknown>[] = [];

    const killTree = () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      killTimer = setTimeout(
        () => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        },
        timerMs(req.killGraceMs ?? 5000),
      );
      killTimer.unref();
    };

    const timer =
      req.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killTree();
          }, req.timeoutMs)
        : undefined;
    const onAbort = () => {
      aborted = true;
      killTree();
    };
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const lineSplitter = (stream: 'stdout' | 'stderr') => {
      let rest = '';
      return {
        push(chunk: string) {
          if (!req.onLine) return;
          rest += chunk;
          const lines = rest.split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) req.onLine(l, stream);
        },
        end() {
          if (req.onLine && rest) req.onLine(rest, stream);
        },
      };
    };
    const outLines = lineSplitter('stdout');
    const errLines = lineSplitter('stderr');

    if (req.stdoutFile) {
      const file = createWriteStream(req.stdoutFile, { mode: 0o600 });
      child.stdout.pipe(file);
      pending.push(once(file, 'close'));
    } else if (req.stdout) {
      const sink = req.stdout;
      child.stdout.pipe(sink);
      pending.push(
        finished(sink).catch((e: unknown) => {
          streamError ??= `writing the output failed: ${e instanceof Error ? e.message : String(e)}`;
          killTree();
        }),
      );
    } else {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (c: string) => {
        stdout = (stdout + c).slice(-max);
        outLines.push(c);
      });
    }
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      stderr = (stderr + c).slice(-max);
      errLines.push(c);
    });
    child.stdin.on('error', () => {
      /* the child may exit without reading stdin */
    });
    if (req.stdin) {
      const source = req.stdin;
      source.pipe(child.stdin);
      source.on('error', (e: unknown) => {
        streamError ??= `reading the input failed: ${e instanceof Error ? e.message : String(e)}`;
        source.unpipe(child.stdin);
        killTree();
      });
    } else child.stdin.end(req.input ?? '');

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      // spawn says ENOENT both for a missing command and a missing working directory: tell them apart.
      const badCwd = req.cwd !== undefined ? workingDirectoryProblem(req.cwd) : undefined;
      if (badCwd) reject(new WorkingDirectoryError(req.command, req.cwd!, badCwd));
      else reject(err.code === 'ENOENT' ? new CommandNotFoundError(req.command) : err);
    });
    child.on('close', (code, signal) => {
      if (group !== undefined) getWatchdog().write(`-${group}`);
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      req.signal?.removeEventListener('abort', onAbort);
      outLines.end();
      errLines.end();
      void Promise.all(pending).then(() =>
        resolve({
          exitCode: code,
          signal,
          stdout,
          stderr,
          durationMs: Math.round(performance.now() - started),
          timedOut,
          aborted,
          ...(streamError !== undefined ? { streamError } : {}),
        }),
      );
    });
  });

/** A one-line description of how a process ended, for messages. */
export function describeExit(r: ProcResult, timeoutMs?: number): string {
  if (r.streamError) return `was stopped: ${r.streamError}`;
  if (r.timedOut) return `timed out after ${timeoutMs ?? r.durationMs} ms and was stopped`;
  if (r.aborted) return 'was stopped because the job was cancelled';
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with code ${r.exitCode}`;
}

/** The last `n` non-empty lines of a stream, for failure messages. */
export function tail(text: string, n = 10): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}
