/**
 * Adapters: the same modes, run lock and report around the migration tools teams already use. The database URL
 * reaches the tool as DATABASE_URL in its environment (never argv). Supported and tested for real: dbmate,
 * node-pg-migrate, knex, and `command` (the team's own status/apply/down commands).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.js';
import { describeDatabase } from '../core/db-url.js';
import { ConfigurationError } from '../core/errors.js';
import { formatDuration } from '../core/inputs.js';
import { CommandNotFoundError, describeExit, shellCommand, tail, type ProcResult } from '../core/proc.js';
import { RunLockBusy, type Session } from './engine.js';
import { compareVersions } from './files.js';
import type { MigrationsConfig } from './inputs.js';
import { maxVersion } from './plan.js';
import { emptyReport, type MigrationReport, type Tool } from './report.js';
import { connect } from './sql-runner.js';

export interface ToolStatus {
  /** Migration ids as the tool names them (file name without extension), oldest first. */
  applied: string[];
  pending: string[];
}

interface Adapter {
  /** Known state, or undefined when the tool cannot tell (tool: command). */
  status(run: ToolRunner, session: Session | undefined): Promise<ToolStatus | undefined>;
  apply(run: ToolRunner): Promise<void>;
  /** Revert the newest applied migration(s) down to `target`, given the current status. */
  down(run: ToolRunner, target: string, status: ToolStatus | undefined): Promise<void>;
  /** The tool can report status without the run lock's session. */
  needsSession?: boolean;
}

type ToolRunner = (
  what: string,
  command: string,
  args: string[],
  extraEnv?: Record<string, string>,
) => Promise<ProcResult>;

class ToolFailed extends Error {}

export function versionOf(id: string): string {
  const m = /^(\d+)/.exec(id);
  return m ? m[1]!.replace(/^0+(?=\d)/, '') : '0';
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

/** dbmate status: `[X] 20240101_x.sql` applied, `[ ] ...` pending. */
export function parseDbmateStatus(out: string): ToolStatus {
  const applied: string[] = [];
  const pending: string[] = [];
  for (const line of stripAnsi(out).split('\n')) {
    const m = /^\[( |X)\]\s+(\S+?)(\.sql)?\s*$/.exec(line.trim());
    if (m) (m[1] === 'X' ? applied : pending).push(m[2]!);
  }
  return { applied, pending };
}

/** knex migrate:list: "Found N Completed Migration file/s." then names, then "Found N Pending ...". */
export function parseKnexList(out: string): ToolStatus {
  const applied: string[] = [];
  const pending: string[] = [];
  let into: string[] | undefined;
  for (const raw of stripAnsi(out).split('\n')) {
    const line = raw.trim();
    if (/^Found \d+ Completed Migration/i.test(line)) into = applied;
    else if (/^Found \d+ Pending Migration/i.test(line)) into = pending;
    else if (/^No (Completed|Pending) Migration/i.test(line)) into = undefined;
    else if (into && line && !/^Using environment/i.test(line)) into.push(line.replace(/\.(c|m)?[jt]s$/, ''));
  }
  return { applied, pending };
}

function bin(config: MigrationsConfig, name: string): string {
  const local = path.join(config.workingDirectory, 'node_modules', '.bin', name);
  return existsSync(local) ? local : name;
}

function adapterFor(config: MigrationsConfig): Adapter {
  const dir = config.directory;
  switch (config.tool) {
    case 'dbmate': {
      const args = ['--no-dump-schema', '--migrations-dir', path.resolve(config.workspace, dir)];
      const status = async (run: ToolRunner) =>
        parseDbmateStatus((await run('status', bin(config, 'dbmate'), [...args, 'status'])).stdout);
      return {
        status,
        apply: async (run) => void (await run('apply', bin(config, 'dbmate'), [...args, 'migrate'])),
        async down(run, target, st) {
          const count = (st?.applied ?? []).filter((id) => compareVersions(versionOf(id), target) > 0).length;
          for (let i = 0; i < count; i++)
            await run(`rollback ${i + 1} of ${count}`, bin(config, 'dbmate'), [...args, 'rollback']);
        },
      };
    }
    case 'knex': {
      const args = config.detectedFrom ? ['--knexfile', config.detectedFrom] : [];
      return {
        status: async (run) =>
          parseKnexList((await run('status', bin(config, 'knex'), [...args, 'migrate:list'])).stdout),
        apply: async (run) => void (await run('apply', bin(config, 'knex'), [...args, 'migrate:latest'])),
        async down(run, target, st) {
          const count = (st?.applied ?? []).filter((id) => compareVersions(versionOf(id), target) > 0).length;
          for (let i = 0; i < count; i++)
            await run(`down ${i + 1} of ${count}`, bin(config, 'knex'), [...args, 'migrate:down']);
        },
      };
    }
    case 'node-pg-migrate': {
      const abs = path.resolve(config.workspace, dir);
      const args = ['--migrations-dir', abs, '--migrations-table', 'pgmigrations'];
      return {
        needsSession: true,
        // node-pg-migrate has no status command: read its table and the directory ourselves.
        async status(_run, session) {
          const applied = session ? await session.readToolTable('pgmigrations') : [];
          const files = existsSync(abs)
            ? readdirSync(abs)
                .filter((f) => /^\d+.*\.(c|m)?[jt]s$|^\d+.*\.sql$/.test(f))
                .map((f) => f.replace(/\.[^.]+$/, ''))
            : [];
          const done = new Set(applied);
          return {
            applied,
            pending: files
              .filter((f) => !done.has(f))
              .sort((a, b) => compareVersions(versionOf(a), versionOf(b))),
          };
        },
        apply: async (run) => void (await run('apply', bin(config, 'node-pg-migrate'), [...args, 'up'])),
        async down(run, target, st) {
          const count = (st?.applied ?? []).filter((id) => compareVersions(versionOf(id), target) > 0).length;
          if (count)
            await run(`down ${count}`, bin(config, 'node-pg-migrate'), [...args, 'down', String(count)]);
        },
      };
    }
    case 'command': {
      const c = config.commands;
      const sh = (script: string) => shellCommand(script);
      return {
        async status(run) {
          if (c.status) await run('status', sh(c.status).command, sh(c.status).args);
          return undefined;
        },
        apply: async (run) => void (await run('apply', sh(c.apply!).command, sh(c.apply!).args)),
        down: async (run, target) =>
          void (await run('down', sh(c.down!).command, sh(c.down!).args, { MIGRATION_TARGET: target })),
      };
    }
    default:
      throw new ConfigurationError(`Input "tool": ${config.tool} has no adapter.`);
  }
}

export async function runAdapter(config: MigrationsConfig, ctx: RunContext): Promise<MigrationReport> {
  const started = ctx.clock.now();
  const tool = config.tool as Tool;
  const report = emptyReport(config.mode, tool, describeDatabase(config.db));
  report.detectedFrom = config.detectedFrom;
  report.environment = config.environment;
  if (config.mode === 'dry-run')
    throw new ConfigurationError(
      `Input "mode": ${tool} cannot roll migrations back after running them, so run-migrations offers no dry-run for it. ` +
        'Use mode: status to see what would run, or tool: sql (plain SQL files) for a measured dry-run.',
    );
  const adapter = adapterFor(config);
  const outputs: string[] = [];
  const run: ToolRunner = async (what, command, args, extraEnv = {}) => {
    ctx.log.info(
      `${tool} ${what}: ${path.basename(command)} ${command === 'bash' ? '(your command)' : args.map((a) => (path.isAbsolute(a) ? path.relative(config.workspace, a) || '.' : a)).join(' ')}`,
    );
    let r: ProcResult;
    try {
      r = await ctx.exec({
        command,
        args,
        cwd: config.workingDirectory,
        env: {
          DATABASE_URL: config.databaseUrl,
          MIGRATION_MODE: config.mode,
          NO_COLOR: '1',
          FORCE_COLOR: '0',
          ...extraEnv,
        },
        timeoutMs: config.toolTimeoutMs,
        signal: ctx.signal,
        onLine: (l) => ctx.log.info(`  ${l}`),
      });
    } catch (e) {
      if (e instanceof CommandNotFoundError)
        throw new ConfigurationError(
          `Input "tool": ${tool} is not installed: ${e.message}.`,
          tool === 'command'
            ? ''
            : `Add ${tool} to the repository's dependencies (npm ci installs it into node_modules/.bin) or install it on the runner.`,
        );
      throw e;
    }
    outputs.push(`$ ${tool} ${what}\n${r.stdout}${r.stderr}`);
    if (r.exitCode !== 0)
      throw new ToolFailed(
        `${tool} ${what} ${describeExit(r, config.toolTimeoutMs)}:\n${tail(`${r.stdout}\n${r.stderr}`, 15) || '(no output)'}`,
      );
    return r;
  };

  let session: Session | undefined;
  const needLock = config.mode !== 'status';
  if (needLock || adapter.needsSession) {
    session = await connect(config.db, config, ctx, 'the database (for the migration lock)');
  }
  let locked = false;
  try {
    report.serverVersion = session?.serverVersion;
    if (needLock && session) {
      const t0 = ctx.clock.now();
      try {
        await session.lock(config.runLockTimeoutMs);
      } catch (e) {
        if (e instanceof RunLockBusy)
          throw new Error(
            `another migration run still held the migration lock after waiting run-lock-timeout (${formatDuration(config.runLockTimeoutMs)}); held by ${e.message}. Nothing was run.`,
            { cause: e },
          );
        throw e;
      }
      locked = true;
      report.lockWaitMs = Math.round(ctx.clock.now() - t0);
    }
    const before = await adapter.status(run, session);
    fill(report, before, 'previous');
    try {
      if (config.mode === 'apply') {
        const t0 = ctx.clock.now();
        await adapter.apply(run);
        report.notes.push(
          `${tool} ran all pending migrations in ${formatDuration(ctx.clock.now() - t0)} (it does not report each one's duration).`,
        );
      } else if (config.mode === 'down') {
        if (before && config.target !== '0' && !before.applied.some((id) => versionOf(id) === config.target))
          throw new ConfigurationError(
            `Input "target": version ${config.target} is not applied (applied: ${before.applied.map(versionOf).join(', ') || 'none'}; 0 reverts everything).`,
          );
        await adapter.down(run, config.target!, before);
      }
    } catch (e) {
      if (!(e instanceof ToolFailed)) throw e;
      report.failure = { kind: 'tool', message: e.message };
    }
    if (config.mode !== 'status') {
      const after = await adapter.status(run, session).catch(() => undefined);
      fill(report, after, 'current');
      diff(report, before, after, config.mode);
      if (tool === 'dbmate') {
        const durations = parseDbmateDurations(outputs.join('\n'));
        for (const m of report.migrations) {
          const id = [...durations.keys()].find((k) => versionOf(k) === m.version);
          if (id !== undefined && m.status !== 'failed') m.durationMs = durations.get(id);
        }
      }
    }
    report.passed = !report.failure;
    return report;
  } finally {
    if (locked) await session?.unlock().catch(() => undefined);
    await session?.close();
    report.output = tail(outputs.join('\n'), 40);
    report.durationMs = Math.round(ctx.clock.now() - started);
  }
}

function fill(report: MigrationReport, st: ToolStatus | undefined, which: 'previous' | 'current'): void {
  if (!st) {
    report.previousVersion = report.currentVersion = '';
    return;
  }
  const v = maxVersion(st.applied.map(versionOf));
  if (which === 'previous') {
    report.previousVersion = v;
    report.appliedBefore = st.applied.map((id) => ({
      version: versionOf(id),
      name: id.replace(/^\d+_?/, ''),
    }));
  }
  report.currentVersion = v;
  report.pending = st.pending.map((id) => ({ version: versionOf(id), name: id.replace(/^\d+_?/, '') }));
  report.pendingCount = st.pending.length;
}

function diff(
  report: MigrationReport,
  before: ToolStatus | undefined,
  after: ToolStatus | undefined,
  mode: string,
): void {
  if (!before || !after) return;
  const was = new Set(before.applied);
  const now = new Set(after.applied);
  const changed =
    mode === 'down'
      ? before.applied.filter((id) => !now.has(id)).reverse()
      : after.applied.filter((id) => !was.has(id));
  report.migrations = changed.map((id) => ({
    version: versionOf(id),
    name: id.replace(/^\d+_?/, ''),
    status: mode === 'down' ? 'reverted' : 'applied',
  }));
  if (report.failure && mode === 'apply')
    after.pending.forEach((id, i) =>
      report.migrations.push({
        version: versionOf(id),
        name: id.replace(/^\d+_?/, ''),
        // tools apply in order and stop at the first failure
        ...(i === 0
          ? { status: 'failed' as const, note: 'the tool stopped here; its output is below' }
          : { status: 'not-run' as const }),
      }),
    );
}

/** dbmate's "Applied: <file> in <Go duration>" lines, as milliseconds per migration id. */
export function parseDbmateDurations(out: string): Map<string, number> {
  const unit: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 0.001,
    µs: 0.001,
    ns: 1e-6,
  };
  const map = new Map<string, number>();
  for (const m of stripAnsi(out).matchAll(/^\s*Applied: (\S+?)(?:\.sql)? in (\S+)\s*$/gm)) {
    let ms = 0;
    for (const part of m[2]!.matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g))
      ms += Number(part[1]) * unit[part[2]!]!;
    map.set(m[1]!, Math.round(ms));
  }
  return map;
}
