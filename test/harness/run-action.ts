/**
 * Runs an action's bundle the way the GitHub runner does: `node dist/<name>/index.js` (resolved through
 * action.yml's `runs.main`), inputs as INPUT_<NAME> with action.yml defaults applied (including the
 * `${{ github.token }}` / `${{ runner.temp }}` expressions), the file commands' files created beforehand, an
 * event payload, RUNNER_TEMP, and STATE_* for post steps. Reads back outputs, summary, state and the log as the
 * runner would show it (masks applied, workflow commands parsed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ActionMetadata {
  name: string;
  inputs?: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string; post?: string; pre?: string; 'post-if'?: string };
}

export function loadActionMetadata(action: string): ActionMetadata {
  return YAML.parse(readFileSync(path.join(ROOT, 'actions', action, 'action.yml'), 'utf8')) as ActionMetadata;
}

export interface RunOptions {
  inputs?: Record<string, string | number | boolean>;
  env?: Record<string, string | undefined>;
  /** Working directory = GITHUB_WORKSPACE; default a fresh temp directory. */
  workspace?: string;
  /** RUNNER_TEMP, shared by a job's steps; default a fresh temp directory. */
  runnerTemp?: string;
  /** Which entry: main (default) or post (reads the state the main run saved). */
  phase?: 'main' | 'post';
  /** STATE_* for a post phase; defaults to the state the given previous result saved. */
  state?: Record<string, string>;
  event?: unknown;
  token?: string;
  /** Kill the action if it runs longer than this (a harness safety net, not a test of speed). */
  timeoutMs?: number;
  /** Called once the process is spawned (e.g. to send it SIGINT as a cancel would). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface ActionResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout as the runner would display it: workflow commands consumed, masks applied. */
  log: string;
  /** The raw streams, before masking (tests scan these for secrets: stricter than the runner). */
  rawStdout: string;
  rawStderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  masks: string[];
  /** The report output, parsed. */
  report: unknown;
  workspace: string;
  runnerTemp: string;
}

/** Evaluate the few expressions action.yml defaults use. */
function evaluateDefault(
  value: string,
  ctx: { token: string; runnerTemp: string; workspace: string },
): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    switch (expr) {
      case 'github.token':
        return ctx.token;
      case 'runner.temp':
        return ctx.runnerTemp;
      case 'github.workspace':
        return ctx.workspace;
      default:
        throw new Error(`harness cannot evaluate \${{ ${expr} }} in an action.yml default`);
    }
  });
}

/** Parse the runner's file-command format: `name=value` lines and `name<<DELIM ... DELIM` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

function unescapeCommand(s: string): string {
  return s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/** Consume `::command props::message` lines as the runner does. */
export function processWorkflowCommands(stdout: string): {
  log: string;
  masks: string[];
  annotations: Annotation[];
} {
  const masks: string[] = [];
  const annotations: Annotation[] = [];
  const shown: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) {
      shown.push(line);
      continue;
    }
    const [, cmd, props = '', msg = ''] = m;
    const message = unescapeCommand(msg);
    if (cmd === 'add-mask') masks.push(message);
    else if (cmd === 'error' || cmd === 'warning' || cmd === 'notice') {
      const properties = Object.fromEntries(
        props
          .split(',')
          .filter(Boolean)
          .map((p) => {
            const eq = p.indexOf('=');
            return [p.slice(0, eq), unescapeCommand(p.slice(eq + 1))];
          }),
      );
      annotations.push({ level: cmd, message, properties });
      shown.push(`${cmd.toUpperCase()}: ${message}`);
    } else if (cmd === 'group') shown.push(`▸ ${message}`);
    else if (cmd === 'debug') continue;
    else if (cmd !== 'endgroup') shown.push(line);
  }
  let log = shown.join('\n');
  for (const mask of [...masks].sort((a, b) => b.length - a.length))
    if (mask) log = log.split(mask).join('***');
  return { log, masks, annotations };
}

export async function runAction(action: string, opts: RunOptions = {}): Promise<ActionResult> {
  const meta = loadActionMetadata(action);
  if (meta.runs.using !== 'node24')
    throw new Error(`${action}: runs.using is ${meta.runs.using}, expected node24`);
  const phase = opts.phase ?? 'main';
  const entry = phase === 'post' ? meta.runs.post : meta.runs.main;
  if (!entry) throw new Error(`${action} has no ${phase} entry`);

  const base = mkdtempSync(path.join(tmpdir(), `action-${action}-`));
  const runnerTemp = opts.runnerTemp ?? path.join(base, 'runner-temp');
  const files = path.join(base, 'files');
  mkdirSync(runnerTemp, { recursive: true });
  mkdirSync(files);
  const workspace = opts.workspace ?? path.join(base, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const token = opts.token ?? 'ghs_harnessToken0123456789';

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('STATE_') && !k.startsWith('GITHUB_'))
      env[k] = v;
  }
  const given = opts.inputs ?? {};
  for (const name of Object.keys(given)) {
    if (!meta.inputs?.[name])
      throw new Error(`${action} has no input "${name}" (the runner would warn: Unexpected input)`);
  }
  for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
    const value =
      name in given
        ? String(given[name])
        : spec.default !== undefined
          ? evaluateDefault(String(spec.default), { token, runnerTemp, workspace })
          : '';
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const fileNames = {
    GITHUB_OUTPUT: 'output',
    GITHUB_STATE: 'state',
    GITHUB_STEP_SUMMARY: 'summary',
    GITHUB_ENV: 'env',
    GITHUB_PATH: 'path',
  };
  for (const [variable, file] of Object.entries(fileNames)) {
    const p = path.join(files, file);
    writeFileSync(p, '');
    env[variable] = p;
  }
  const eventPath = path.join(files, 'event.json');
  writeFileSync(eventPath, JSON.stringify(opts.event ?? {}));
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_ACTOR: 'octocat',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_JOB: 'deploy',
    GITHUB_ACTION: action,
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.invalid',
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: 'Linux',
    RUNNER_DEBUG: '',
  });
  const state = opts.state ?? {};
  for (const [k, v] of Object.entries(state)) env[`STATE_${k}`] = v;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const script = path.resolve(ROOT, 'actions', action, entry);
  const child = spawn(process.execPath, [script], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onSpawn?.(child);
  let rawStdout = '';
  let rawStderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (rawStdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (rawStderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig])),
  );
  clearTimeout(killer);

  const outputs = parseFileCommands(readFileSync(env.GITHUB_OUTPUT!, 'utf8'));
  const { log, masks, annotations } = processWorkflowCommands(rawStdout);
  let report: unknown;
  if (outputs.report) report = JSON.parse(outputs.report);
  return {
    exitCode,
    signal,
    log,
    rawStdout,
    rawStderr,
    outputs,
    state: parseFileCommands(readFileSync(env.GITHUB_STATE!, 'utf8')),
    summary: readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8'),
    annotations,
    masks,
    report,
    workspace,
    runnerTemp,
  };
}

/** Everything the action let out, for secret scans: raw streams minus the add-mask commands, outputs, summary. */
export function everythingVisible(r: ActionResult): string {
  const stdout = r.rawStdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  return [stdout, r.rawStderr, r.summary, JSON.stringify(r.outputs), JSON.stringify(r.state)].join('\n');
}
