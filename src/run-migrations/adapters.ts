/**
 * Adapters: the same modes, run lock and report around the migration tools teams already use. The database URL
 * reaches the tool as DATABASE_URL in its environment (never argv). Supported and tested for real: dbmate,
 * node-pg-migrate, knex, alembic, sqitch, and `command` (the team's own status/apply/down commands).
 * Numbered tools (dbmate, knex, node-pg-migrate) have versions = the leading digits; alembic and sqitch have
 * revision ids / change names, ordered as the tool orders them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.js';
import { describeDatabase } from '../core/db.js';
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
  /** Migration ids as the tool names them (file name without extension, revision, change), oldest first. */
  applied: string[];
  pending: string[];
  /** Human names by id, where the id is not already one (alembic's messages). */
  names?: Map<string, string>;
}

interface Adapter {
  /** Known state, or undefined when the tool cannot tell (tool: command). */
  status(run: ToolRunner, session: Session | undefined): Promise<ToolStatus | undefined>;
  apply(run: ToolRunner): Promise<void>;
  /** Revert the newest applied migration(s) down to `target`, given the current status. */
  down(run: ToolRunner, target: string, status: ToolStatus | undefined): Promise<void>;
  /** The tool's status needs our database session (it has no status command of its own). */
  needsSession?: boolean;
  /** Versions are revision ids / change names in the tool's order (alembic, sqitch), not leading digits. */
  named?: boolean;
}

type ToolRunner = (
  what: string,
  command: string,
  args: string[],
  extraEnv?: Record<string, string>,
  /** Exit codes that are not a failure (sqitch status exits 1 when nothing is deployed). */
  okExit?: number[],
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

/** alembic history: "<down> -> <rev> (head), message" lines, newest first. Returns ids oldest first, and names. */
export function parseAlembicHistory(out: string): { ids: string[]; names: Map<string, string> } {
  const ids: string[] = [];
  const names = new Map<string, string>();
  for (const line of stripAnsi(out).split('\n')) {
    const m = /^\S+ -> ([0-9A-Za-z_]+)(?: \([^)]*\))*, ?(.*)$/.exec(line.trim());
    if (m) {
      ids.unshift(m[1]!);
      names.set(m[1]!, m[2]!.trim());
    }
  }
  return { ids, names };
}

/** alembic current: "<rev> (head)" lines (none at base). */
export function parseAlembicCurrent(out: string): string[] {
  return stripAnsi(out)
    .split('\n')
    .map((l) => /^([0-9A-Za-z_]+)(?: \([^)]*\))*\s*$/.exec(l.trim())?.[1])
    .filter((x): x is string => !!x);
}

/** sqitch.plan: change names in plan order (pragmas, tags, comments and blank lines skipped). */
export function parseSqitchPlan(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('%') && !l.startsWith('#') && !l.startsWith('@'))
    .map((l) => l.split(/\s+/)[0]!)
    .filter((name, i, all) => all.indexOf(name) === i);
}

/** sqitch status --show-changes: the "# Changes:" block, newest first. Returns deployed names oldest first. */
export function parseSqitchDeployed(out: string): string[] {
  const deployed: string[] = [];
  let inChanges = false;
  for (const line of stripAnsi(out).split('\n')) {
    if (/^#\s*Changes?:\s*$/.test(line))
      inChanges = true; // "Change:" when there is one
    else if (inChanges) {
      const m = /^#\s+(\S+)\s+-\s/.exec(line);
      if (m) deployed.unshift(m[1]!);
      else inChanges = false;
    }
  }
  return deployed;
}

/** sqitch's target URI for the database URL, without the password (that goes in SQITCH_PASSWORD). */
export function sqitchTarget(db: MigrationsConfig['db']): string {
  const user = db.user ? `${encodeURIComponent(db.user)}@` : '';
  const host = db.host.includes(':') ? `[${db.host}]` : db.host;
  return `db:${db.engine === 'postgres' ? 'pg' : 'mysql'}://${user}${host}:${db.port}/${encodeURIComponent(db.database)}`;
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
    case 'alembic': {
      const a = bin(config, 'alembic');
      return {
        named: true,
        async status(run) {
          const history = parseAlembicHistory((await run('history', a, ['history'])).stdout);
          const heads = parseAlembicCurrent((await run('status', a, ['current'])).stdout);
          if (heads.length > 1)
            throw new ToolFailed(
              `alembic reports ${heads.length} current heads (${heads.join(', ')}): run-migrations supports a linear history; merge the heads (alembic merge) first.`,
            );
          const at = heads.length ? history.ids.indexOf(heads[0]!) : -1;
          return {
            applied: history.ids.slice(0, at + 1),
            pending: history.ids.slice(at + 1),
            names: history.names,
          };
        },
        apply: async (run) => void (await run('apply', a, ['upgrade', 'head'])),
        down: async (run, target) =>
          void (await run('down', a, ['downgrade', target === '0' ? 'base' : target])),
      };
    }
    case 'sqitch': {
      const s = bin(config, 'sqitch');
      const env: Record<string, string> = { SQITCH_TARGET: sqitchTarget(config.db) };
      if (config.db.password) env.SQITCH_PASSWORD = config.db.password;
      const planFile = path.join(config.workingDirectory, 'sqitch.plan');
      return {
        named: true,
        async status(run) {
          const r = await run('status', s, ['status', '--show-changes'], env, [0, 1]);
          const deployed = parseSqitchDeployed(r.stdout);
          if (r.exitCode === 1 && !/No changes deployed/i.test(r.stdout))
            throw new ToolFailed(
              `sqitch status exited with code 1:\n${tail(`${r.stdout}\n${r.stderr}`, 15)}`,
            );
          const plan = existsSync(planFile) ? parseSqitchPlan(readFileSync(planFile, 'utf8')) : [];
          const done = new Set(deployed);
          return { applied: deployed, pending: plan.filter((c) => !done.has(c)) };
        },
        apply: async (run) => void (await run('apply', s, ['deploy', '--verify'], env)),
        down: async (run, target) =>
          void (await run(
            'down',
            s,
            target === '0' ? ['revert', '-y'] : ['revert', '-y', '--to', target],
            env,
          )),
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
  const run: ToolRunner = async (what, command, args, extraEnv = {}, okExit = [0]) => {
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
    if (r.exitCode === null || !okExit.includes(r.exitCode))
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
    let after: ToolStatus | undefined;
    const ids = idsFor(adapter, () => after?.names ?? before?.names);
    fill(report, before, 'previous', ids);
    try {
      if (config.mode === 'apply') {
        const t0 = ctx.clock.now();
        await adapter.apply(run);
        report.notes.push(
          `${tool} ran the pending migrations in ${formatDuration(ctx.clock.now() - t0)}` +
            (tool === 'dbmate' ? '.' : ` (${tool} does not report each one's duration).`),
        );
      } else if (config.mode === 'down') {
        if (
          before &&
          config.target !== '0' &&
          !before.applied.some((id) => ids.version(id) === config.target)
        )
          throw new ConfigurationError(
            `Input "target": version ${config.target} is not applied (applied: ${before.applied.map((id) => ids.version(id)).join(', ') || 'none'}; 0 reverts everything).`,
          );
        await adapter.down(run, config.target!, before);
      }
    } catch (e) {
      if (!(e instanceof ToolFailed)) throw e;
      report.failure = { kind: 'tool', message: e.message };
    }
    if (config.mode !== 'status') {
      after = await adapter.status(run, session).catch(() => undefined);
      fill(report, after, 'current', ids);
      diff(report, before, after, config.mode, ids);
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

/** How an adapter's migration ids become versions and names. */
interface Ids {
  version(id: string): string;
  name(id: string): string;
  /** The current version from the applied ids (oldest first). */
  current(applied: readonly string[]): string;
}

function idsFor(adapter: Adapter, names: () => Map<string, string> | undefined): Ids {
  return adapter.named
    ? {
        version: (id) => id,
        name: (id) => names()?.get(id) || id,
        current: (applied) => applied.at(-1) ?? '0',
      }
    : {
        version: versionOf,
        name: (id) => id.replace(/^\d+_?/, ''),
        current: (applied) => maxVersion(applied.map(versionOf)),
      };
}

function fill(
  report: MigrationReport,
  st: ToolStatus | undefined,
  which: 'previous' | 'current',
  ids: Ids,
): void {
  if (!st) {
    report.previousVersion = report.currentVersion = '';
    return;
  }
  const v = ids.current(st.applied);
  if (which === 'previous') {
    report.previousVersion = v;
    report.appliedBefore = st.applied.map((id) => ({ version: ids.version(id), name: ids.name(id) }));
  }
  report.currentVersion = v;
  report.pending = st.pending.map((id) => ({ version: ids.version(id), name: ids.name(id) }));
  report.pendingCount = st.pending.length;
}

function diff(
  report: MigrationReport,
  before: ToolStatus | undefined,
  after: ToolStatus | undefined,
  mode: string,
  ids: Ids,
): void {
  if (!before || !after) return;
  const was = new Set(before.applied);
  const now = new Set(after.applied);
  const changed =
    mode === 'down'
      ? before.applied.filter((id) => !now.has(id)).reverse()
      : after.applied.filter((id) => !was.has(id));
  report.migrations = changed.map((id) => ({
    version: ids.version(id),
    name: ids.name(id),
    status: mode === 'down' ? 'reverted' : 'applied',
  }));
  if (report.failure && mode === 'apply')
    after.pending.forEach((id, i) =>
      report.migrations.push({
        version: ids.version(id),
        name: ids.name(id),
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
