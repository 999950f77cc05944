/** The built-in runner's MySQL/MariaDB session (mysql2): GET_LOCK, non-transactional DDL, "at line N" errors. */
import mysql from 'mysql2/promise';
import type { DatabaseTarget } from '../core/db.js';
import { errorMessage } from '../core/errors.js';
import { mysqlLockName, RunLockBusy, SqlError, type Session, type SessionOptions } from './engine.js';
import type { AppliedRow } from './plan.js';

function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((p) => `\`${p.replace(/`/g, '``')}\``)
    .join('.');
}

function toSqlError(e: unknown): SqlError {
  if (e instanceof SqlError) return e;
  const err = e as { errno?: number; code?: string; sqlMessage?: string; fatal?: boolean };
  const message = err.sqlMessage ?? errorMessage(e);
  let kind: SqlError['kind'] = 'other';
  if (err.errno === 1205) kind = 'lock-timeout';
  else if (err.errno === 1969 || err.errno === 3024) kind = 'statement-timeout';
  else if (err.errno === 1317) kind = 'cancelled';
  else if (err.fatal || !err.errno) kind = 'connection';
  const m = / at line (\d+)\s*$/.exec(message);
  return new SqlError(message, kind, err.code, undefined, m ? Number(m[1]) : undefined);
}

export async function openMysql(db: DatabaseTarget, opts: SessionOptions): Promise<Session> {
  const sslParam = db.params.ssl ?? db.params.sslmode ?? db.params['ssl-mode'];
  const ssl =
    sslParam && !/^(false|0|disable|disabled)$/i.test(sslParam)
      ? { rejectUnauthorized: /verify/i.test(sslParam) }
      : undefined;
  let conn: mysql.Connection;
  const config: mysql.ConnectionOptions = {
    host: db.host,
    port: db.port,
    user: db.user || undefined,
    password: db.password || undefined,
    database: db.database || undefined,
    ssl,
    connectTimeout: opts.connectTimeoutMs,
    multipleStatements: false,
    dateStrings: true,
    connectAttributes: { program_name: opts.applicationName.slice(0, 64) },
  };
  try {
    conn = await mysql.createConnection(config);
  } catch (e) {
    throw new SqlError(errorMessage(e), 'connection');
  }
  conn.on('error', () => {});
  const q = async (sql: string, values?: unknown[]) => {
    try {
      const [rows] = await conn.query(sql, values);
      return rows as Record<string, unknown>[];
    } catch (e) {
      throw toSqlError(e);
    }
  };
  const version = String((await q('select version() as v'))[0]!.v);
  // A connection that vanished without a FIN (a killed runner behind a dropped network path) must not hold the
  // run lock and its transaction for the server's default 8 hours: our session is never idle for long.
  await q('set session wait_timeout = 300');
  const mariadb = /mariadb/i.test(version);
  const table = quoteIdent(opts.table);
  const [schemaName, tableName] = opts.table.includes('.') ? opts.table.split('.') : [undefined, opts.table];
  // Keyed by the resolved `database.table`: `t` and `<database>.t` are one table, so they share one lock.
  const lockName = mysqlLockName(
    schemaName ?? String((await q('select database() as d'))[0]!.d ?? db.database),
    tableName!,
  );
  let statementTimeoutMs = 0;
  const applyStatementTimeout = async (ms: number) => {
    if (mariadb) await q('set session max_statement_time = ?', [ms / 1000]);
    else await q('set session max_execution_time = ?', [Math.round(ms)]);
  };

  return {
    engine: 'mysql',
    transactionalDdl: false,
    serverVersion: `${mariadb ? 'MariaDB' : 'MySQL'} ${version.replace(/-.*$/, '')}`,
    async tableExists() {
      const r = await q(
        'select count(*) as n from information_schema.tables where table_schema = coalesce(?, database()) and table_name = ?',
        [schemaName ?? null, tableName],
      );
      return Number(r[0]!.n) > 0;
    },
    async ensureTable() {
      await q(`create table if not exists ${table} (
        version varchar(64) not null primary key,
        name varchar(255) not null,
        checksum char(64) not null,
        applied_at datetime(3) not null default current_timestamp(3),
        duration_ms int null,
        applied_by varchar(255) not null default ''
      )`);
    },
    async readApplied(): Promise<AppliedRow[]> {
      const rows = await q(
        `select version, name, checksum, date_format(convert_tz(applied_at, @@session.time_zone, '+00:00'), '%Y-%m-%dT%H:%i:%sZ') as applied_at, duration_ms, applied_by from ${table}`,
      );
      return rows.map((x) => ({
        version: String(x.version),
        name: String(x.name),
        checksum: String(x.checksum),
        appliedAt: String(x.applied_at ?? ''),
        durationMs: x.duration_ms === null ? null : Number(x.duration_ms),
        appliedBy: String(x.applied_by),
      }));
    },
    async lock(timeoutMs) {
      // The wait is bounded by run-lock-timeout alone: the statement timeout must not cut it short.
      await applyStatementTimeout(0);
      let got: number;
      try {
        const r = await q('select get_lock(?, ?) as got', [lockName, Math.max(0, timeoutMs / 1000)]);
        got = Number(r[0]!.got);
      } finally {
        await applyStatementTimeout(statementTimeoutMs);
      }
      if (got === 1) return;
      const holder = await q(
        `select p.id, p.user, p.host, p.time from information_schema.processlist p where p.id = is_used_lock(?)`,
        [lockName],
      ).catch(() => []);
      const who = holder
        .map(
          (h) =>
            `connection ${String(h.id)} (${String(h.user)}@${String(h.host)}, ${String(h.time)}s in its current statement)`,
        )
        .join('; ');
      throw new RunLockBusy(who || 'another session (it could not be identified)');
    },
    async unlock() {
      await q('select release_lock(?)', [lockName]);
    },
    async setTimeouts(lockMs, statementMs) {
      const notes: string[] = [];
      if (lockMs > 0) {
        const secs = Math.max(1, Math.ceil(lockMs / 1000));
        if (secs * 1000 !== lockMs)
          notes.push(`MySQL/MariaDB lock timeouts are whole seconds: lock-timeout rounded up to ${secs}s.`);
        await q('set session lock_wait_timeout = ?, session innodb_lock_wait_timeout = ?', [secs, secs]);
      }
      statementTimeoutMs = statementMs;
      await applyStatementTimeout(statementMs);
      if (!mariadb) {
        if (statementMs > 0)
          notes.push(
            'MySQL applies statement-timeout (max_execution_time) to SELECT statements only, not to DDL.',
          );
      }
      return notes;
    },
    begin: async () => void (await q('start transaction')),
    commit: async () => void (await q('commit')),
    rollback: async () => void (await q('rollback')),
    exec: async (sql) => void (await q(sql)),
    async record(row) {
      await q(
        `insert into ${table} (version, name, checksum, duration_ms, applied_by) values (?, ?, ?, ?, ?)`,
        [row.version, row.name, row.checksum, row.durationMs, row.appliedBy.slice(0, 255)],
      );
    },
    async unrecord(version) {
      await q(`delete from ${table} where version = ?`, [version]);
    },
    async describeBlockers() {
      const rows = await q(
        `select id, user, coalesce(command, '') as command, time, left(coalesce(info, ''), 120) as info
           from information_schema.processlist
          where db = database() and id <> connection_id() and command <> 'Daemon'
          order by time desc limit 5`,
      ).catch(() => []);
      const trx = await q(
        `select trx_mysql_thread_id as id, timestampdiff(second, trx_started, now()) as secs from information_schema.innodb_trx`,
      ).catch(() => []);
      const open = new Map(trx.map((t) => [String(t.id), String(t.secs)]));
      return rows.map(
        (x) =>
          `connection ${String(x.id)} (${String(x.user)}, ${String(x.command)} for ${String(x.time)}s` +
          `${open.has(String(x.id)) ? `, transaction open for ${open.get(String(x.id))}s` : ''}): ${String(x.info) || '(idle)'}`,
      );
    },
    async readToolTable(name) {
      const present = await q(
        'select count(*) as n from information_schema.tables where table_schema = database() and table_name = ?',
        [name],
      );
      if (!Number(present[0]!.n)) return [];
      return (await q(`select name from ${quoteIdent(name)} order by id`)).map((x) => String(x.name));
    },
    async close() {
      await conn.end().catch(() => undefined);
    },
    async cancel() {
      const side = await mysql.createConnection({
        ...config,
        connectAttributes: { program_name: 'run-migrations (cancel)' },
      });
      try {
        await side.query(`kill query ${Number(conn.threadId)}`);
      } finally {
        await side.end().catch(() => undefined);
      }
    },
  };
}
