/**
 * The built-in runner (`tool: sql`): plain SQL files, a bookkeeping table, one run at a time under a database
 * lock, each migration in its own transaction where the engine allows, every statement timed and its errors
 * mapped to a file line.
 */
import type { RunContext } from '../core/context.js';
import { describeDatabase, type DatabaseTarget } from '../core/db.js';
import { errorMessage } from '../core/errors.js';
import { formatDuration } from '../core/inputs.js';
import { RunLockBusy, SqlError, type Session, type SessionOptions } from './engine.js';
import { discoverMigrations, type MigrationFile } from './files.js';
import { lintPostgres } from './lint.js';
import { maxVersion, planDown, planMigrations, type Plan } from './plan.js';
import { emptyReport, type FailureInfo, type MigrationReport, type MigrationResult } from './report.js';
import type { MigrationsConfig } from './inputs.js';
import { errorLine, splitStatements } from './sql-split.js';
import { readFileSync } from 'node:fs';

export const MYSQL_DDL_NOTE =
  'MySQL/MariaDB commit every DDL statement (CREATE, ALTER, DROP) at once: a migration that fails half way keeps ' +
  'the statements before the failing one. Each migration still runs in a transaction (its data changes and the ' +
  'bookkeeping row are atomic), but keep one DDL statement per migration so a failure leaves nothing half done.';

/** Only the engine's own driver is loaded (each costs tens of ms of start-up). */
export async function openSession(db: DatabaseTarget, opts: SessionOptions): Promise<Session> {
  if (db.engine === 'postgres') return (await import('./postgres.js')).openPostgres(db, opts);
  return (await import('./mysql.js')).openMysql(db, opts);
}

/** A failing statement, located. */
class StatementFailure extends Error {
  constructor(
    readonly info: FailureInfo,
    readonly error: SqlError,
  ) {
    super(info.message);
  }
}

export function appliedBy(ctx: RunContext): string {
  const r = ctx.repo;
  const who = r.actor || 'unknown';
  const run = r.runId ? ` run ${r.runId}/${r.runAttempt}` : '';
  const sha = r.sha ? ` at ${r.sha.slice(0, 7)}` : '';
  return `${who}${run}${sha}`;
}

function sessionOptions(config: MigrationsConfig, ctx: RunContext): SessionOptions {
  return {
    applicationName: `run-migrations ${ctx.repo.owner}/${ctx.repo.repo} run ${ctx.repo.runId || 'local'}`,
    connectTimeoutMs: config.connectTimeoutMs,
    table: config.table,
  };
}

export async function connect(
  db: DatabaseTarget,
  config: MigrationsConfig,
  ctx: RunContext,
  what: string,
): Promise<Session> {
  try {
    return await openSession(db, sessionOptions(config, ctx));
  } catch (e) {
    throw new Error(
      `could not connect to ${what} (${describeDatabase(db)} as ${db.user || 'the default user'}): ` +
        `${errorMessage(e)} (connect timeout ${formatDuration(config.connectTimeoutMs)}). Check the URL's host, port, ` +
        'database name and credentials, and that the runner can reach the database (network, firewall, SSL).',
      { cause: e },
    );
  }
}

/** Run each statement of `sql`; a failure is thrown as StatementFailure pointing at file and line. */
async function execFile(
  s: Session,
  file: string,
  sql: string,
  config: MigrationsConfig,
  signal: AbortSignal,
): Promise<number> {
  const statements = splitStatements(sql, s.engine);
  let done = 0;
  for (const stmt of statements) {
    try {
      // A cancelled job must not go on (MySQL's KILL QUERY lets SLEEP() return normally, for one).
      if (signal.aborted) throw new SqlError('the job was cancelled', 'cancelled');
      await s.exec(stmt.text);
      done++;
      if (signal.aborted) throw new SqlError('the job was cancelled', 'cancelled');
    } catch (e) {
      const err = e instanceof SqlError ? e : new SqlError(errorMessage(e), 'other');
      const line = errorLine(stmt, sql, { position: err.position, statementLine: err.statementLine });
      const info: FailureInfo = {
        message: describeFailure(err, file, line, config),
        kind: err.kind,
        code: err.code,
        file,
        line,
        statement: stmt.index,
        statementCount: statements.length,
        completedStatements: done,
      };
      throw new StatementFailure(info, err);
    }
  }
  return statements.length;
}

function describeFailure(err: SqlError, file: string, line: number, config: MigrationsConfig): string {
  const at = `${file} line ${line}`;
  if (err.kind === 'lock-timeout')
    return (
      `${at} waited longer than lock-timeout (${formatDuration(config.lockTimeoutMs)}) for a lock held by another ` +
      `session, and was stopped so it would not queue the application's queries behind it (${err.message}).` +
      ' Retry when the table is less busy, end the blocking session, or raise lock-timeout.'
    );
  if (err.kind === 'statement-timeout')
    return (
      `${at} ran longer than statement-timeout (${formatDuration(config.statementTimeoutMs)}) and was stopped ` +
      `(${err.message}). Make the statement cheaper (batches, CONCURRENTLY) or raise statement-timeout.`
    );
  if (err.kind === 'cancelled') return `${at} was stopped because the job was cancelled (${err.message}).`;
  if (err.kind === 'connection') return `${at}: the connection to the database was lost (${err.message}).`;
  const extra = [err.detail ? `Detail: ${err.detail}` : '', err.hint ? `Hint: ${err.hint}` : '']
    .filter(Boolean)
    .join(' ');
  return `${at}: ${err.message}${err.code ? ` (SQLSTATE/code ${err.code})` : ''}${extra ? `. ${extra}` : ''}`;
}

function problemsFail(plan: Plan, report: MigrationReport, ctx: RunContext): boolean {
  report.problems.push(...plan.errors);
  for (const w of plan.warnings) {
    report.problems.push(w);
    ctx.log.warning(w.message);
  }
  for (const p of plan.errors)
    ctx.log.error(p.message, { title: `run-migrations: ${p.kind}`, file: p.file, startLine: p.line });
  return plan.errors.length > 0;
}

function lint(
  pending: readonly MigrationFile[],
  session: Session,
  config: MigrationsConfig,
  report: MigrationReport,
  ctx: RunContext,
): boolean {
  if (config.lint === 'off' || !pending.length) return false;
  if (session.engine !== 'postgres') {
    report.notes.push('lint checks PostgreSQL statements only; it did not run on MySQL/MariaDB.');
    return false;
  }
  const level = config.lint === 'error' ? 'error' : 'warning';
  for (const f of pending) {
    for (const finding of lintPostgres(
      f.file,
      f.sql,
      splitStatements(f.sql, 'postgres'),
      session.serverVersionNum,
    )) {
      report.lint.push({ ...finding, level });
      const at = {
        title: `run-migrations lint: ${finding.rule}`,
        file: finding.file,
        startLine: finding.line,
      };
      if (level === 'error') ctx.log.error(`${finding.file}:${finding.line}: ${finding.message}`, at);
      else ctx.log.warning(`${finding.file}:${finding.line}: ${finding.message}`, at);
    }
  }
  return level === 'error' && report.lint.length > 0;
}

function fillPlan(report: MigrationReport, plan: Plan): void {
  report.appliedBefore = plan.applied.map((r) => ({
    version: r.version,
    name: r.name,
    appliedAt: r.appliedAt,
    durationMs: r.durationMs,
    appliedBy: r.appliedBy,
  }));
  report.previousVersion = plan.currentVersion;
  report.currentVersion = plan.currentVersion;
  report.pending = plan.pending.map((f) => ({ version: f.version, name: f.name, file: f.file }));
  report.pendingCount = plan.pending.length;
}

/** The built-in runner. Returns the report; the caller publishes it and fails the step when `passed` is false. */
export async function runSqlMigrations(config: MigrationsConfig, ctx: RunContext): Promise<MigrationReport> {
  const started = ctx.clock.now();
  const report = emptyReport(config.mode, 'sql', describeDatabase(config.db));
  report.detectedFrom = config.detectedFrom;
  report.environment = config.environment;
  const files = discoverMigrations(config.directory, config.workspace);

  const session = await connect(config.db, config, ctx, 'the database');
  const onAbort = () => {
    ctx.log.info('Cancelling the running statement (the migration in progress is rolled back)...');
    void session
      .cancel()
      .catch((e: unknown) => ctx.log.warning(`Could not cancel the running statement: ${errorMessage(e)}`));
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let locked = false;
  try {
    report.serverVersion = session.serverVersion;
    report.transactionalDdl = session.transactionalDdl;
    ctx.log.info(`Connected to ${report.database} (${session.serverVersion}).`);

    if (config.mode === 'status') {
      // Reads only, but bounded all the same.
      await session.setTimeouts(config.lockTimeoutMs, config.statementTimeoutMs);
      const exists = await session.tableExists();
      const plan = planMigrations(files, exists ? await session.readApplied() : []);
      if (!exists)
        report.notes.push(
          `The bookkeeping table ${config.table} does not exist yet: nothing applied by run-migrations.`,
        );
      fillPlan(report, plan);
      const bad = problemsFail(plan, report, ctx);
      const lintBad = lint(plan.pending, session, config, report, ctx);
      report.passed = !bad && !lintBad;
      return report;
    }

    report.notes.push(...(await session.setTimeouts(config.lockTimeoutMs, config.statementTimeoutMs)));
    const waitStart = ctx.clock.now();
    ctx.log.info(
      `Taking the migration lock (waiting up to ${formatDuration(config.runLockTimeoutMs)} for another run to finish)...`,
    );
    try {
      await session.lock(config.runLockTimeoutMs);
    } catch (e) {
      if (e instanceof RunLockBusy)
        throw new Error(
          `another migration run still held the migration lock for ${config.table} after waiting run-lock-timeout ` +
            `(${formatDuration(config.runLockTimeoutMs)}); held by ${e.message}. Nothing was changed. Wait for that run ` +
            "to finish (or find it in the database's session list) and re-run this job.",
          { cause: e },
        );
      throw e;
    }
    locked = true;
    report.lockWaitMs = Math.round(ctx.clock.now() - waitStart);
    if (report.lockWaitMs > 1000)
      ctx.log.info(`Got the migration lock after waiting ${formatDuration(report.lockWaitMs)}.`);

    if (config.mode === 'dry-run' && session.engine === 'postgres')
      return await dryRunPostgres(session, files, config, ctx, report, started);

    const exists = await session.tableExists();
    const plan = planMigrations(files, exists ? await session.readApplied() : []);
    fillPlan(report, plan);

    if (config.mode === 'down') {
      const down = planDown(plan, files, config.target!);
      for (const w of plan.warnings) ctx.log.warning(w.message);
      const driftErrors = plan.errors.filter((p) => p.kind === 'drift');
      report.problems.push(...driftErrors, ...down.errors);
      for (const p of [...driftErrors, ...down.errors])
        ctx.log.error(p.message, { title: `run-migrations: ${p.kind}`, file: p.file, startLine: p.line });
      if (report.problems.length) {
        report.failure = { kind: 'refused', message: report.problems.map((p) => p.message).join('\n') };
        return report;
      }
      if (!session.transactionalDdl) report.notes.push(MYSQL_DDL_NOTE);
      await revert(
        session,
        down.revert.map((r) => r.file!),
        config,
        ctx,
        report,
      );
      report.passed = !report.failure;
      return report;
    }

    if (problemsFail(plan, report, ctx)) {
      report.failure = { kind: 'refused', message: plan.errors.map((p) => p.message).join('\n') };
      return report;
    }
    if (lint(plan.pending, session, config, report, ctx)) {
      report.failure = {
        kind: 'lint',
        message: `lint: ${report.lint.length} finding(s) with lint: error; nothing was run.`,
      };
      return report;
    }
    if (!session.transactionalDdl) report.notes.push(MYSQL_DDL_NOTE);

    if (config.mode === 'dry-run') {
      // MySQL/MariaDB: DDL cannot be rolled back; only a scratch copy can be used.
      await dryRunMysql(plan, files, config, ctx, report);
      report.passed = !report.failure;
      return report;
    }

    if (!exists) await session.ensureTable();
    await apply(session, plan.pending, config, ctx, report);
    report.pendingCount = report.migrations.filter((m) => m.status !== 'applied').length;
    report.passed = !report.failure;
    return report;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (locked) await session.unlock().catch(() => undefined);
    await session.close();
    report.durationMs = Math.round(ctx.clock.now() - started);
  }
}

async function apply(
  s: Session,
  pending: readonly MigrationFile[],
  config: MigrationsConfig,
  ctx: RunContext,
  report: MigrationReport,
): Promise<void> {
  const by = appliedBy(ctx);
  let failed = false;
  for (const m of pending) {
    const base = { version: m.version, name: m.name, file: m.file };
    if (failed) {
      report.migrations.push({ ...base, status: 'not-run' });
      continue;
    }
    const tx = !m.noTransaction;
    const t0 = ctx.clock.now();
    try {
      if (tx) await s.begin();
      const statements = await execFile(s, m.file, m.sql, config, ctx.signal);
      const durationMs = Math.round(ctx.clock.now() - t0);
      await s.record({ version: m.version, name: m.name, checksum: m.checksum, durationMs, appliedBy: by });
      if (tx) await s.commit();
      report.migrations.push({
        ...base,
        status: 'applied',
        durationMs,
        statements,
        note: tx ? undefined : 'no transaction',
      });
      report.currentVersion = m.version;
      ctx.log.info(
        `Applied ${m.file} in ${formatDuration(durationMs)} (${statements} statement${statements === 1 ? '' : 's'}).`,
      );
    } catch (e) {
      failed = true;
      if (tx) await s.rollback().catch(() => undefined);
      report.migrations.push(failedResult(base, await withBlockers(s, e), ctx.clock.now() - t0, s, tx));
      report.failure = report.migrations.at(-1)!.error;
      if (ctx.signal.aborted)
        report.failure!.message = `the job was cancelled while ${m.file} ran; ${report.failure!.message}`;
    }
  }
}

/** After the failed transaction is rolled back: name the sessions that held locks (lock-timeout only). */
async function withBlockers(s: Session, e: unknown): Promise<unknown> {
  if (e instanceof StatementFailure && e.error.kind === 'lock-timeout') {
    const blockers = await s.describeBlockers().catch(() => []);
    if (blockers.length) e.info.message += ` Sessions with open transactions: ${blockers.join('; ')}.`;
  }
  return e;
}

function failedResult(
  base: { version: string; name: string; file?: string },
  e: unknown,
  ms: number,
  s: Session,
  tx: boolean,
): MigrationResult {
  const error: FailureInfo =
    e instanceof StatementFailure
      ? e.info
      : {
          message: `${base.file}: ${errorMessage(e)}`,
          kind: e instanceof SqlError ? e.kind : 'other',
          file: base.file,
          line: 1,
        };
  const partial = (error.completedStatements ?? 0) > 0 && (!tx || !s.transactionalDdl);
  return {
    ...base,
    status: 'failed',
    durationMs: Math.round(ms),
    error,
    note: partial
      ? `${error.completedStatements} statement(s) before the failing one stay applied (${
          tx ? 'MySQL/MariaDB DDL commits at once' : 'runbook:no-transaction'
        }); the migration is not recorded, so fix the database by hand before re-running.`
      : tx
        ? 'rolled back: nothing of this migration stays applied'
        : undefined,
  };
}

async function revert(
  s: Session,
  files: readonly MigrationFile[],
  config: MigrationsConfig,
  ctx: RunContext,
  report: MigrationReport,
): Promise<void> {
  let failed = false;
  for (const m of files) {
    const base = { version: m.version, name: m.name, file: m.downFile };
    if (failed) {
      report.migrations.push({ ...base, status: 'not-run' });
      continue;
    }
    const sql = readFileSync(m.downAbsPath!, 'utf8');
    const tx = !/^\s*--\s*runbook:no-transaction\b/i.test(sql.split('\n', 1)[0] ?? '');
    const t0 = ctx.clock.now();
    try {
      if (tx) await s.begin();
      const statements = await execFile(s, m.downFile!, sql, config, ctx.signal);
      await s.unrecord(m.version);
      if (tx) await s.commit();
      const durationMs = Math.round(ctx.clock.now() - t0);
      report.migrations.push({ ...base, status: 'reverted', durationMs, statements });
      ctx.log.info(`Reverted ${m.file} with ${m.downFile} in ${formatDuration(durationMs)}.`);
    } catch (e) {
      failed = true;
      if (tx) await s.rollback().catch(() => undefined);
      report.migrations.push(failedResult(base, await withBlockers(s, e), ctx.clock.now() - t0, s, tx));
      report.failure = report.migrations.at(-1)!.error;
    }
  }
  const left = report.appliedBefore
    .map((r) => r.version)
    .filter((v) => !report.migrations.some((m) => m.version === v && m.status === 'reverted'));
  report.currentVersion = maxVersion(left);
  report.pendingCount =
    (report.pendingCount ?? 0) + report.migrations.filter((m) => m.status === 'reverted').length;
}

/** PostgreSQL: every pending migration in one transaction, each timed, then rolled back. */
async function dryRunPostgres(
  s: Session,
  files: readonly MigrationFile[],
  config: MigrationsConfig,
  ctx: RunContext,
  report: MigrationReport,
  started: number,
): Promise<MigrationReport> {
  const by = appliedBy(ctx);
  await s.begin();
  try {
    const exists = await s.tableExists();
    const plan = planMigrations(files, exists ? await s.readApplied() : []);
    fillPlan(report, plan);
    if (problemsFail(plan, report, ctx)) {
      report.failure = { kind: 'refused', message: plan.errors.map((p) => p.message).join('\n') };
      return report;
    }
    if (lint(plan.pending, s, config, report, ctx)) {
      report.failure = {
        kind: 'lint',
        message: `lint: ${report.lint.length} finding(s) with lint: error; nothing was run.`,
      };
      return report;
    }
    if (!exists) await s.ensureTable();
    let failed = false;
    for (const m of plan.pending) {
      const base = { version: m.version, name: m.name, file: m.file };
      if (failed) {
        report.migrations.push({ ...base, status: 'not-run' });
        continue;
      }
      if (m.noTransaction) {
        report.migrations.push({
          ...base,
          status: 'skipped',
          note: 'runbook:no-transaction: cannot run inside the dry-run transaction (e.g. CREATE INDEX CONCURRENTLY); not timed',
        });
        continue;
      }
      const t0 = ctx.clock.now();
      try {
        const statements = await execFile(s, m.file, m.sql, config, ctx.signal);
        const durationMs = Math.round(ctx.clock.now() - t0);
        await s.record({ version: m.version, name: m.name, checksum: m.checksum, durationMs, appliedBy: by });
        report.migrations.push({ ...base, status: 'would-apply', durationMs, statements });
        ctx.log.info(`Dry-run: ${m.file} ran in ${formatDuration(durationMs)} (to be rolled back).`);
      } catch (e) {
        failed = true;
        await s.rollback().catch(() => undefined);
        report.migrations.push(failedResult(base, await withBlockers(s, e), ctx.clock.now() - t0, s, true));
        report.failure = report.migrations.at(-1)!.error;
      }
    }
    report.notes.push(
      'Dry-run: every pending migration ran inside one transaction that was then rolled back; the database and the ' +
        'bookkeeping table are unchanged. The locks those statements take were held for the measured time.',
    );
    report.passed = !report.failure;
    return report;
  } finally {
    await s.rollback().catch(() => undefined);
    report.durationMs = Math.round(ctx.clock.now() - started);
  }
}

/** MySQL/MariaDB: DDL cannot be rolled back, so a dry-run applies the pending migrations to a scratch copy only. */
async function dryRunMysql(
  plan: Plan,
  _files: readonly MigrationFile[],
  config: MigrationsConfig,
  ctx: RunContext,
  report: MigrationReport,
): Promise<void> {
  if (!config.dryRunDb) {
    report.notes.push(
      'Dry-run on MySQL/MariaDB: DDL cannot be rolled back, so nothing was run. The plan above lists what apply would ' +
        'run. To measure it, give dry-run-database-url: a scratch copy of this database (e.g. restored from backup-db); ' +
        'the pending migrations are then applied there and timed.',
    );
    for (const m of plan.pending)
      report.migrations.push({
        version: m.version,
        name: m.name,
        file: m.file,
        status: 'skipped',
        note: 'not run (no scratch copy)',
      });
    return;
  }
  const scratch = await connect(config.dryRunDb, config, ctx, 'the dry-run scratch database');
  try {
    await scratch.setTimeouts(config.lockTimeoutMs, config.statementTimeoutMs);
    await scratch.lock(config.runLockTimeoutMs);
    try {
      const exists = await scratch.tableExists();
      const scratchApplied = exists ? await scratch.readApplied() : [];
      const scratchVersion = maxVersion(scratchApplied.map((r) => r.version));
      if (scratchVersion !== plan.currentVersion || scratchApplied.length !== plan.applied.length) {
        report.failure = {
          kind: 'refused',
          message:
            `the scratch copy (dry-run-database-url) is at version ${scratchVersion} with ${scratchApplied.length} applied, ` +
            `but the database is at ${plan.currentVersion} with ${plan.applied.length}: a dry-run there would not show ` +
            'what apply will do. Restore a fresh copy of the database into the scratch database and re-run.',
        };
        return;
      }
      if (!exists) await scratch.ensureTable();
      await apply(scratch, plan.pending, config, ctx, report);
      for (const m of report.migrations) if (m.status === 'applied') m.status = 'would-apply';
      report.currentVersion = plan.currentVersion;
      report.notes.push(
        `Dry-run on MySQL/MariaDB: the pending migrations were applied to the scratch copy ${describeDatabase(config.dryRunDb)} ` +
          '(which now has them); the database itself was not touched.',
      );
    } finally {
      await scratch.unlock().catch(() => undefined);
    }
  } finally {
    await scratch.close();
  }
}
