/** run-migrations' inputs: the zod schema keyed by action.yml's input names, and the config they resolve to. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseDatabaseUrl, type DatabaseTarget } from '../core/db.js';
import { ConfigurationError } from '../core/errors.js';
import {
  duration,
  HOUR,
  oneOf,
  name,
  optional,
  parseInputs,
  readRawInputs,
  text,
  type RawInputs,
} from '../core/inputs.js';
import { firstDefined, type LoadedRunbook } from '../core/runbook.js';
import { TABLE_RE } from './engine.js';
import type { Mode, Tool } from './report.js';

export const MODES = ['status', 'dry-run', 'apply', 'down'] as const;
export const TOOLS = [
  'auto',
  'sql',
  'command',
  'dbmate',
  'node-pg-migrate',
  'knex',
  'alembic',
  'sqitch',
] as const;
export const LINT = ['off', 'warn', 'error'] as const;

export const inputSchema = z.object({
  'database-url': z.string(),
  mode: optional(oneOf(MODES)),
  target: optional(
    text().regex(
      /^[A-Za-z0-9_.:@+-]+$/,
      'expected a version (the leading digits of a migration file; for alembic a revision, for sqitch a change name), or 0',
    ),
  ),
  tool: optional(oneOf(TOOLS)),
  directory: optional(text()),
  table: optional(
    text().regex(TABLE_RE, 'expected a table name such as runbook_migrations or ops.schema_migrations'),
  ),
  'lock-timeout': optional(duration({ max: 24 * HOUR })),
  'statement-timeout': optional(duration({ max: 24 * HOUR })),
  'run-lock-timeout': optional(duration({ max: 24 * HOUR })),
  lint: optional(oneOf(LINT)),
  'dry-run-database-url': z.string(),
  'status-command': optional(text()),
  'apply-command': optional(text()),
  'down-command': optional(text()),
  'working-directory': optional(text()),
  environment: optional(name('an environment name', 255)),
  runbook: z.string(),
});

export type MigrationInputs = z.output<typeof inputSchema>;

export const DEFAULTS = {
  mode: 'apply' as Mode,
  directory: 'migrations',
  table: 'runbook_migrations',
  lockTimeoutMs: 10_000,
  statementTimeoutMs: 0,
  runLockTimeoutMs: 15 * 60_000,
  connectTimeoutMs: 15_000,
  /** A tool run (apply, status) that takes longer than this is stopped. */
  toolTimeoutMs: 60 * 60_000,
};

export interface MigrationsConfig {
  mode: Mode;
  tool: Tool;
  detectedFrom?: string;
  databaseUrl: string;
  db: DatabaseTarget;
  dryRunDatabaseUrl?: string;
  dryRunDb?: DatabaseTarget;
  target?: string;
  directory: string;
  table: string;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  runLockTimeoutMs: number;
  connectTimeoutMs: number;
  toolTimeoutMs: number;
  lint: 'off' | 'warn' | 'error';
  commands: { status?: string; apply?: string; down?: string };
  workingDirectory: string;
  workspace: string;
  environment?: string;
  runbookFile?: string;
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): MigrationInputs {
  return parseInputs(inputSchema, raw, { secret: ['database-url', 'dry-run-database-url'] });
}

/** What `tool: auto` looks for, in order. */
export function detectTool(dir: string): { tool: Tool; from: string } | undefined {
  const has = (p: string) => existsSync(path.join(dir, p));
  for (const f of ['knexfile.js', 'knexfile.ts', 'knexfile.cjs', 'knexfile.mjs'])
    if (has(f)) return { tool: 'knex', from: f };
  if (has('.pgmigraterc') || has('.pgmigraterc.json'))
    return { tool: 'node-pg-migrate', from: '.pgmigraterc' };
  if (has('db/migrations') && !has('migrations')) return { tool: 'dbmate', from: 'db/migrations' };
  if (has('alembic.ini')) return { tool: 'alembic', from: 'alembic.ini' };
  if (has('sqitch.plan')) return { tool: 'sqitch', from: 'sqitch.plan' };
  if (has('prisma/schema.prisma'))
    throw new ConfigurationError(
      'Input "tool": found prisma/schema.prisma, but prisma is not a supported tool yet.',
      'Use tool: command with status-command "npx prisma migrate status" and apply-command "npx prisma migrate deploy" (the README shows the full step).',
    );
  if (has('migrations')) return { tool: 'sql', from: 'migrations/' };
  return undefined;
}

function parseUrl(input: string, value: string): DatabaseTarget {
  return parseDatabaseUrl(value, { label: `Input "${input}"` });
}

/** Merge inputs over the runbook's migrations section over the defaults, and check the result makes sense. */
export function resolveConfig(
  inputs: MigrationInputs,
  runbook: LoadedRunbook | undefined,
  env: NodeJS.ProcessEnv,
  workspace: string,
): MigrationsConfig {
  const envSection = runbook?.environment;
  const file = envSection?.migrations ?? {};
  const mode = inputs.mode ?? DEFAULTS.mode;

  let databaseUrl = inputs['database-url'].trim();
  const fromEnv = envSection?.database?.['url-from-env'];
  if (!databaseUrl && fromEnv) databaseUrl = (env[fromEnv] ?? '').trim();
  if (!databaseUrl)
    throw new ConfigurationError(
      'Input "database-url": empty' +
        (fromEnv ? `, and the runbook's variable ${fromEnv} is not set in the step's environment.` : '.'),
      'Pass the URL from a secret, e.g. database-url: ${{ secrets.DATABASE_URL }}, or name the variable in the runbook (database: { url-from-env: DATABASE_URL }) and set it with env:.',
    );
  const db = parseUrl('database-url', databaseUrl);
  const dryRunDatabaseUrl = inputs['dry-run-database-url'].trim() || undefined;
  const dryRunDb = dryRunDatabaseUrl ? parseUrl('dry-run-database-url', dryRunDatabaseUrl) : undefined;
  if (dryRunDb && dryRunDb.engine !== db.engine)
    throw new ConfigurationError(
      `Input "dry-run-database-url": it is a ${dryRunDb.engine} URL but database-url is ${db.engine}; the scratch copy must be on the same engine.`,
    );
  if (dryRunDb && dryRunDb.host === db.host && dryRunDb.port === db.port && dryRunDb.database === db.database)
    throw new ConfigurationError(
      'Input "dry-run-database-url": it points at the same database as database-url; give a scratch copy (e.g. restored by backup-db).',
    );

  const workingDirectory = path.resolve(workspace, inputs['working-directory'] ?? '.');
  let tool = firstDefined<(typeof TOOLS)[number]>(inputs.tool, file.tool) ?? 'auto';
  let detectedFrom: string | undefined;
  if (tool === 'auto') {
    const found = detectTool(workingDirectory);
    if (!found)
      throw new ConfigurationError(
        `Input "tool": auto found no migrations in ${path.relative(workspace, workingDirectory) || 'the repository root'} ` +
          '(looked for knexfile.*, .pgmigraterc, db/migrations for dbmate, a migrations/ directory for the built-in sql runner).',
        'Set tool: sql with directory: <your folder>, or one of command, dbmate, node-pg-migrate, knex.',
      );
    tool = found.tool;
    detectedFrom = found.from;
  }

  const commands = {
    status: firstDefined(inputs['status-command'], file['status-command']),
    apply: firstDefined(inputs['apply-command'], file['apply-command']),
    down: firstDefined(inputs['down-command'], file['down-command']),
  };
  const target = inputs.target;
  if (mode === 'down' && target === undefined)
    throw new ConfigurationError(
      'Input "target": mode down needs the version to go back to (the database keeps that version and reverts every newer one; 0 reverts all).',
    );
  if (mode !== 'down' && target !== undefined)
    throw new ConfigurationError(`Input "target": only used with mode: down (mode is ${mode}).`);
  if (tool === 'command') {
    const needed = mode === 'down' ? 'down' : mode === 'status' ? 'status' : 'apply';
    if (mode === 'dry-run')
      throw new ConfigurationError(
        'Input "mode": dry-run is not possible with tool: command (run-migrations cannot roll your tool back); use mode: status, or a staging database.',
      );
    if (!commands[needed])
      throw new ConfigurationError(
        `Input "${needed}-command": tool: command with mode: ${mode} needs it (the command that ${
          needed === 'down'
            ? 'reverts to $MIGRATION_TARGET'
            : needed === 'status'
              ? 'prints the migration status'
              : 'applies pending migrations'
        }).`,
      );
  }
  if (
    target !== undefined &&
    !/^\d+$/.test(target) &&
    tool !== 'alembic' &&
    tool !== 'sqitch' &&
    tool !== 'command'
  )
    throw new ConfigurationError(
      `Input "target": expected a version number (the leading digits of a migration file), or 0, got ${JSON.stringify(target)}.`,
    );
  if (tool === 'node-pg-migrate' && db.engine !== 'postgres')
    throw new ConfigurationError(
      'Input "tool": node-pg-migrate works with PostgreSQL only, and database-url is MySQL/MariaDB.',
    );

  const directory =
    firstDefined(inputs.directory, file.directory) ??
    (tool === 'dbmate' ? 'db/migrations' : DEFAULTS.directory);

  return {
    mode,
    tool,
    detectedFrom,
    databaseUrl,
    db,
    dryRunDatabaseUrl,
    dryRunDb,
    target,
    directory: path.relative(workspace, path.resolve(workingDirectory, directory)) || '.',
    table: firstDefined(inputs.table, file.table) ?? DEFAULTS.table,
    lockTimeoutMs: firstDefined(inputs['lock-timeout'], file['lock-timeout']) ?? DEFAULTS.lockTimeoutMs,
    statementTimeoutMs:
      firstDefined(inputs['statement-timeout'], file['statement-timeout']) ?? DEFAULTS.statementTimeoutMs,
    runLockTimeoutMs:
      firstDefined(inputs['run-lock-timeout'], file['run-lock-timeout']) ?? DEFAULTS.runLockTimeoutMs,
    connectTimeoutMs: DEFAULTS.connectTimeoutMs,
    toolTimeoutMs: DEFAULTS.toolTimeoutMs,
    lint: firstDefined<'off' | 'warn' | 'error'>(inputs.lint, file.lint) ?? 'off',
    commands,
    workingDirectory,
    workspace,
    environment: inputs.environment,
    runbookFile: envSection ? runbook?.file : undefined,
  };
}
