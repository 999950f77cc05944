/** The shape of run-migrations' report (the `report` output), shared by the built-in runner and the adapters. */
import type { LintFinding } from './lint.js';
import type { Problem } from './plan.js';

export type Mode = 'status' | 'dry-run' | 'apply' | 'down';
export type Tool = 'sql' | 'command' | 'dbmate' | 'node-pg-migrate' | 'knex' | 'alembic' | 'sqitch';

export interface MigrationResult {
  version: string;
  name: string;
  file?: string;
  /** applied / reverted: done. would-apply: dry-run ran it and rolled back. failed: see error. not-run: after a failure. */
  status: 'applied' | 'reverted' | 'would-apply' | 'failed' | 'not-run' | 'skipped';
  durationMs?: number;
  statements?: number;
  note?: string;
  error?: FailureInfo;
}

export interface FailureInfo {
  message: string;
  kind: string;
  code?: string;
  file?: string;
  line?: number;
  /** 1-based index of the failing statement in its file, and how many statements it has. */
  statement?: number;
  statementCount?: number;
  /** Statements of the failing migration that had run (and, without transactional DDL, stay applied). */
  completedStatements?: number;
}

export interface MigrationReport {
  mode: Mode;
  tool: Tool;
  /** Where `tool: auto` found the tool, e.g. "knexfile.js". */
  detectedFrom?: string;
  environment?: string;
  database: string;
  serverVersion?: string;
  transactionalDdl?: boolean;
  passed: boolean;
  previousVersion: string;
  currentVersion: string;
  /** Pending migrations after the run (status: the pending ones). */
  pendingCount: number | null;
  pending: { version: string; name: string; file?: string }[];
  /** Migrations this run applied (apply), would apply (dry-run) or reverted (down), with their results. */
  migrations: MigrationResult[];
  /** What the database had applied before the run (the built-in runner's bookkeeping rows). */
  appliedBefore: {
    version: string;
    name: string;
    appliedAt?: string;
    durationMs?: number | null;
    appliedBy?: string;
  }[];
  durationMs: number;
  lockWaitMs?: number;
  problems: Problem[];
  lint: (LintFinding & { level: 'warning' | 'error' })[];
  notes: string[];
  failure?: FailureInfo;
  /** Tool output (adapters), tail only. */
  output?: string;
}

export function emptyReport(mode: Mode, tool: Tool, database: string): MigrationReport {
  return {
    mode,
    tool,
    database,
    passed: false,
    previousVersion: '0',
    currentVersion: '0',
    pendingCount: null,
    pending: [],
    migrations: [],
    appliedBefore: [],
    durationMs: 0,
    problems: [],
    lint: [],
    notes: [],
  };
}
