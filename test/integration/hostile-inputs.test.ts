/**
 * The table test of issue 14: every input of every action under actions/ (discovered from action.yml, so actions
 * added later are covered without a change here) is fed, one at a time, hostile values through the bundle as the
 * runner runs it:
 * - a newline followed by workflow commands (`::error::`, `::add-mask::`, `::stop-commands::`, `##[`, a lone \r);
 * - a value with a leading `-` (an option, if it ever reached a tool's argv unguarded);
 * - 128 KiB (less the room the variable's name takes: the most one environment variable holds);
 * - for duration inputs, a duration beyond every limit.
 * For each run: no stack trace, the process exits, no line of stdout or stderr (the runner reads commands from
 * both) starts a workflow command we did not mean. Where the value is invalid (a duration beyond its limit; a name
 * with control characters or too long), the error names the input and nothing was created: no request reached the (fake) GitHub API, no process was started (every tool
 * on PATH is a recording shim), no file was written in the workspace or RUNNER_TEMP.
 *
 * Other inputs keep their action.yml defaults, so most runs stop at a ConfigurationError; a run that goes on
 * (a `command` input holding the hostile text) relays the shim's output, which echoes its arguments: that is the
 * "output of a user command" case.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadActionMetadata, ROOT, runAction, type ActionResult } from '../harness/run-action.js';

/**
 * Duration inputs per action. New actions: add a line here (the heuristic below also picks up an input whose
 * description says "duration" or gives an example such as 90s / 5m / 1h, but a line here is explicit).
 */
const DURATION_INPUTS: Record<string, readonly string[]> = {
  'smoke-test': ['timeout', 'request-timeout', 'monitor', 'monitor-interval', 'max-p95'],
  deploy: ['step-duration', 'monitor-interval', 'max-p95', 'timeout', 'request-timeout', 'command-timeout'],
  'backup-db': ['max-age', 'timeout', 'connect-timeout'],
  'run-migrations': ['lock-timeout', 'statement-timeout', 'run-lock-timeout'],
  'preflight-check': ['ci-wait', 'soak', 'backup-max-age', 'health-timeout', 'database-timeout'],
  'record-deployment': ['dora-window'],
  rollback: ['timeout', 'request-timeout', 'command-timeout'],
};
/** Inputs that are names (no control characters, bounded length) wherever they appear. */
const NAME_INPUTS = new Set(['environment', 'version']);
/** For an action not in DURATION_INPUTS: an input whose description reads like a duration. */
const looksLikeDuration = (description: string) =>
  /\bduration\b|\b(?:e\.g\.|default)\s+`?\d+(?:\.\d+)?(?:ms|s|m|h|d)\b/i.test(description);

const INJECTION =
  'v1\n::error::INJECTED-1\n::add-mask::INJECTED-2\n  ::stop-commands::INJECTED-3\n##[error]INJECTED-4\rINJECTED ::warning::INJECTED-5 ##[group]INJECTED-6';
const LEADING_DASH = '--help';
/**
 * 128 KiB less room for `INPUT_<NAME>=`: Linux refuses one environment string over 128 KiB (MAX_ARG_STRLEN), so
 * this is the largest value the runner itself can hand an action.
 */
const BIG = `x${'y'.repeat(128 * 1024 - 64)}`;
const BEYOND = '400d';

const ALLOWED_COMMANDS = new Set(['add-mask', 'error', 'warning', 'notice', 'debug', 'group', 'endgroup']);

/** Lines of stdout that the runner would take as a command we did not mean. */
function unintendedCommands(stdout: string): string[] {
  const bad: string[] = [];
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const t = line.replace(/^[\s\u0085\u180e]+/, '');
    const v2 = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(t);
    if (v2) {
      // Ours: a known command whose message is escaped by @actions/core, never the injected text itself.
      if (!ALLOWED_COMMANDS.has(v2[1]!) || v2[2]!.startsWith('INJECTED')) bad.push(line);
      continue;
    }
    if (t.startsWith('::') || line.includes('##[')) bad.push(line);
  }
  return bad;
}

const STACK = /^\s+at .+(?:\(.*:\d+:\d+\)|:\d+:\d+)$/m;

function listTree(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String);
  } catch {
    return [];
  }
}

interface Case {
  action: string;
  input: string;
  kind: 'injection' | 'leading-dash' | 'big' | 'beyond-limit';
  value: string;
  /** The value is invalid for this input: the error must name it and nothing may be created. */
  invalid: boolean;
}

function cases(): Case[] {
  const out: Case[] = [];
  const actions = readdirSync(path.join(ROOT, 'actions')).filter((a) => {
    try {
      return Boolean(loadActionMetadata(a).runs);
    } catch {
      return false;
    }
  });
  for (const action of actions.sort()) {
    const meta = loadActionMetadata(action);
    const durations = new Set(DURATION_INPUTS[action] ?? []);
    for (const [input, spec] of Object.entries(meta.inputs ?? {})) {
      if (!DURATION_INPUTS[action] && looksLikeDuration(spec.description)) durations.add(input);
      const isName = NAME_INPUTS.has(input);
      out.push({ action, input, kind: 'injection', value: INJECTION, invalid: isName });
      out.push({ action, input, kind: 'leading-dash', value: LEADING_DASH, invalid: durations.has(input) });
      out.push({ action, input, kind: 'big', value: BIG, invalid: isName || durations.has(input) });
      if (durations.has(input))
        out.push({ action, input, kind: 'beyond-limit', value: BEYOND, invalid: true });
    }
  }
  return out;
}

/** Tools an action may start; each one records its call and echoes its arguments (the relayed "output"). */
const SHIMMED = [
  'bash',
  'sh',
  'psql',
  'pg_dump',
  'pg_restore',
  'pg_dumpall',
  'pg_isready',
  'createdb',
  'dropdb',
  'mysql',
  'mysqldump',
  'mariadb',
  'mariadb-dump',
  'mysqladmin',
  'dbmate',
  'alembic',
  'sqitch',
  'knex',
  'npx',
  'node-pg-migrate',
  'gzip',
  'age',
  'tar',
];

describe('hostile inputs (every input of every action)', () => {
  let base: string;
  let shims: string;
  let shimLog: string;
  let api: { url: string; requests: string[]; close: () => Promise<void> };

  before(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'hostile-'));
    shims = path.join(base, 'bin');
    mkdirSync(shims);
    shimLog = path.join(base, 'calls');
    for (const tool of SHIMMED) {
      const file = path.join(shims, tool);
      writeFileSync(file, `#!/bin/sh\necho "$0 $*" >> "$SHIM_LOG"\nprintf '%s\\n' "$@"\nexit 3\n`);
      chmodSync(file, 0o755);
    }
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"hostile-inputs fake"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    api = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      requests,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  });
  after(async () => {
    await api.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('discovers the actions and their duration inputs', () => {
    const all = cases();
    const actions = new Set(all.map((c) => c.action));
    for (const a of ['smoke-test', 'deploy', 'backup-db', 'run-migrations']) assert.ok(actions.has(a), a);
    for (const [action, inputs] of Object.entries(DURATION_INPUTS)) {
      if (!actions.has(action)) continue;
      const meta = loadActionMetadata(action);
      for (const i of inputs) assert.ok(meta.inputs?.[i], `${action} has the duration input ${i}`);
    }
  });

  it('no stack trace, the process exits, no unintended workflow command; invalid values are named and change nothing', async () => {
    const all = cases();
    const failures: string[] = [];
    let next = 0;
    let relayed = 0;
    const runOne = async (c: Case) => {
      const label = `${c.action} ${c.input}=${c.kind}`;
      const id = `${c.action}-${c.input}-${c.kind}`;
      const log = `${shimLog}-${id}`;
      let r: ActionResult;
      try {
        r = await runAction(c.action, {
          inputs: { [c.input]: c.value },
          env: { PATH: shims, SHIM_LOG: log, GITHUB_API_URL: `${api.url}/${id}` },
          timeoutMs: 30_000,
        });
      } catch (e) {
        failures.push(`${label}: the harness failed: ${String(e)}`);
        return;
      }
      const problems: string[] = [];
      if (c.kind === 'injection' && readIfExists(log).length && r.rawStdout.includes('INJECTED')) relayed++;
      if (r.signal) problems.push(`did not exit by itself (killed by ${r.signal})`);
      if (STACK.test(r.log) || STACK.test(r.rawStderr)) problems.push('printed a stack trace');
      const unintended = unintendedCommands(`${r.rawStdout}\n${r.rawStderr}`);
      if (unintended.length)
        problems.push(
          `unintended workflow command(s): ${unintended
            .slice(0, 3)
            .map((l) => JSON.stringify(l.slice(0, 120)))
            .join(', ')}`,
        );
      if (c.invalid) {
        const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message);
        if (r.exitCode === 0) problems.push('succeeded with an invalid value');
        if (!errors.some((m) => m.includes(`"${c.input}"`)))
          problems.push(
            `the error does not name the input: ${JSON.stringify(errors.join(' | ').slice(0, 300))}`,
          );
        const calls = readIfExists(log);
        if (calls.length) problems.push(`started processes: ${calls.slice(0, 3).join('; ')}`);
        const sent = api.requests.filter((q) => q.split(' ')[1]!.startsWith(`/${id}/`));
        if (sent.length) problems.push(`sent requests: ${sent.slice(0, 3).join(', ')}`);
        const files = [...listTree(r.workspace), ...listTree(r.runnerTemp)];
        if (files.length) problems.push(`created files: ${files.slice(0, 5).join(', ')}`);
      }
      rmSync(path.dirname(r.workspace), { recursive: true, force: true });
      if (problems.length) failures.push(`${label}: ${problems.join('; ')}`);
    };
    // Two at a time: each run is a node process, and the machine has two cores.
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < all.length) await runOne(all[next++]!);
      }),
    );
    assert.ok(relayed > 0, 'some run started a (shim) command and relayed its output: the shims are in use');
    assert.equal(
      failures.length,
      0,
      `${failures.length} of ${all.length} runs misbehaved:\n${failures.join('\n')}`,
    );
  });
});

function readIfExists(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
