/**
 * What the built-in runner needs from a database session, implemented by postgres.ts (pg) and mysql.ts
 * (mysql2). One session per run: it holds the run lock, runs the migrations and writes the bookkeeping table.
 */
import { createHash } from 'node:crypto';
import type { Engine } from '../core/db.js';
import type { AppliedRow } from './plan.js';

export interface SessionOptions {
  /** Shown to other sessions (pg_stat_activity.application_name / connection attributes). */
  applicationName: string;
  connectTimeoutMs: number;
  /** Bookkeeping table, `table` or `schema.table`. */
  table: string;
}

export type SqlErrorKind = 'lock-timeout' | 'statement-timeout' | 'connection' | 'cancelled' | 'other';

/** A server error with what is needed to point at the failing line. */
export class SqlError extends Error {
  override readonly name = 'SqlError';
  constructor(
    message: string,
    readonly kind: SqlErrorKind,
    readonly code?: string,
    /** PostgreSQL: 1-based character position in the statement. */
    readonly position?: number,
    /** MySQL: "at line N" within the statement. */
    readonly statementLine?: number,
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export class RunLockBusy extends Error {
  override readonly name = 'RunLockBusy';
}

export interface Session {
  readonly engine: Engine;
  /** PostgreSQL: true. MySQL/MariaDB: false (each DDL statement commits). */
  readonly transactionalDdl: boolean;
  /** e.g. "PostgreSQL 15.4" or "MariaDB 10.11.6". */
  readonly serverVersion: string;
  /** PostgreSQL's server_version_num; undefined on MySQL. */
  readonly serverVersionNum?: number;
  tableExists(): Promise<boolean>;
  ensureTable(): Promise<void>;
  readApplied(): Promise<AppliedRow[]>;
  /** Wait up to `timeoutMs` for the run lock; throws RunLockBusy naming the holder when it is not free by then. */
  lock(timeoutMs: number): Promise<void>;
  unlock(): Promise<void>;
  /** Apply lock-timeout and statement-timeout (0 = none) to the session. Returns notes (e.g. rounding). */
  setTimeouts(lockTimeoutMs: number, statementTimeoutMs: number): Promise<string[]>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Run one statement; server errors are thrown as SqlError. */
  exec(sql: string): Promise<void>;
  record(row: Omit<AppliedRow, 'appliedAt'>): Promise<void>;
  unrecord(version: string): Promise<void>;
  /** Who holds locks in this database while we wait, for lock-timeout messages (best effort, may be empty). */
  describeBlockers(): Promise<string[]>;
  /** The `name` column of another tool's bookkeeping table (node-pg-migrate's pgmigrations), [] when it is absent. */
  readToolTable(table: string): Promise<string[]>;
  close(): Promise<void>;
  /**
   * Cancel the running statement from a second connection (the job is being cancelled). Dropping the socket is
   * not enough: the server would finish a long statement, holding its locks, before noticing. The normal error
   * path then rolls back, releases the run lock and closes.
   */
  cancel(): Promise<void>;
}

export const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(?:\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/;

/** A stable 63-bit key for pg_advisory_lock, from the bookkeeping table's schema-qualified name (`schema.table`). */
export function advisoryKey(table: string): string {
  const h = createHash('sha256').update(`deploy-runbook:run-migrations:${table}`).digest();
  return (h.readBigInt64BE(0) & 0x7fffffffffffffffn).toString();
}

/** A GET_LOCK name (64 characters at most; server-wide, so keyed by the table's `database` and unqualified `table`). */
export function mysqlLockName(database: string, table: string): string {
  const name = `run-migrations:${database}.${table}`;
  if (name.length <= 64) return name;
  return `run-migrations:${createHash('sha256').update(name).digest('hex').slice(0, 48)}`;
}
