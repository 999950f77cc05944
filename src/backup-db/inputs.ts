/** backup-db's inputs: the zod schema keyed by action.yml's input names, and the config they resolve to. */
import path from 'node:path';
import { z } from 'zod';
import { parseDatabaseUrl, type DatabaseTarget, type Engine } from '../core/db.js';
import { ConfigurationError } from '../core/errors.js';
import {
  DAY,
  duration,
  HOUR,
  MINUTE,
  integer,
  oneOf,
  name,
  optional,
  parseInputs,
  readRawInputs,
  text,
  type RawInputs,
} from '../core/inputs.js';
import { firstDefined, type LoadedRunbook } from '../core/runbook.js';
import type { SecretRegistry } from '../core/secrets.js';
import type { DumpFormat } from '../shared/backups/files.js';

export const MODES = ['backup', 'restore', 'check-age'] as const;
export const VERIFY = ['none', 'list', 'restore'] as const;
export const FORMATS = ['custom', 'directory', 'plain'] as const;

export const inputSchema = z.object({
  mode: optional(oneOf(MODES)),
  'database-url': z.string(),
  engine: optional(oneOf(['postgres', 'mysql'])),
  environment: optional(name('an environment name', 255)),
  name: optional(
    z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        'expected letters, digits, ".", "_" or "-" (it starts the file name)',
      ),
  ),
  directory: optional(text()),
  format: optional(oneOf(FORMATS)),
  jobs: optional(integer(1, 64)),
  verify: optional(oneOf(VERIFY)),
  'verify-database-url': z.string(),
  'client-path': optional(text()),
  backup: optional(text()),
  confirm: optional(text()),
  'max-age': optional(duration({ min: 1, max: 366 * DAY })),
  timeout: optional(duration({ min: 1, max: 72 * HOUR })),
  'connect-timeout': optional(duration({ min: 1000, max: 10 * MINUTE })),
  runbook: z.string(),
});

export type BackupInputs = z.output<typeof inputSchema>;
export type Mode = (typeof MODES)[number];
export type VerifyLevel = (typeof VERIFY)[number];

export const DEFAULTS = {
  format: 'custom' as DumpFormat,
  verify: 'list' as VerifyLevel,
  maxAgeMs: 24 * 3_600_000,
  timeoutMs: 3_600_000,
  connectTimeoutMs: 10_000,
  environment: 'default',
};

export interface BackupConfig {
  mode: Mode;
  /** The database backed up, or restored into (mode restore). Absent for check-age. */
  target?: DatabaseTarget;
  environment: string;
  name: string;
  directory: string;
  format: DumpFormat;
  jobs?: number;
  verify: VerifyLevel;
  verifyTarget?: DatabaseTarget;
  clientPath?: string;
  /** mode restore: the dump or its manifest; check-age: a manifest (else `directory` is searched). */
  backup?: string;
  maxAgeMs: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  runbookFile?: string;
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): BackupInputs {
  // Secret inputs are never echoed in error messages.
  return parseInputs(inputSchema, raw, { secret: ['database-url', 'verify-database-url'] });
}

/**
 * Merge inputs over the runbook's backup and database sections over the defaults; check that the combination
 * makes sense before anything is touched. Secrets (the URLs' passwords) are registered as soon as they are read.
 */
export function resolveConfig(
  inputs: BackupInputs,
  runbook: LoadedRunbook | undefined,
  ctx: { env: NodeJS.ProcessEnv; runnerTemp: string; workspace: string; secrets: SecretRegistry },
): BackupConfig {
  const env = runbook?.environment;
  const file = env?.backup ?? {};
  const mode: Mode = inputs.mode ?? 'backup';
  const engine: Engine | undefined = inputs.engine ?? env?.database?.engine;

  let url = inputs['database-url'].trim();
  let urlLabel = 'Input "database-url"';
  const fromEnv = env?.database?.['url-from-env'];
  if (!url && fromEnv) {
    url = (ctx.env[fromEnv] ?? '').trim();
    urlLabel = `The environment variable ${fromEnv} (named by database.url-from-env in ${runbook?.file})`;
    if (!url && mode !== 'check-age')
      throw new ConfigurationError(
        `Input "database-url" is empty and ${urlLabel.replace(/^The/, 'the')} is not set.`,
        `Pass the URL from a secret: database-url: \${{ secrets.DATABASE_URL }}, or env: { ${fromEnv}: \${{ secrets.${fromEnv} }} } on the step.`,
      );
  }
  ctx.secrets.addUrl(url);
  const verifyUrl = inputs['verify-database-url'].trim();
  ctx.secrets.addUrl(verifyUrl);

  let target: DatabaseTarget | undefined;
  if (mode !== 'check-age') {
    if (!url)
      throw new ConfigurationError(
        'Input "database-url" is required (mode ' +
          mode +
          '): the database to ' +
          (mode === 'backup' ? 'back up' : 'restore into') +
          '.',
        'Pass it from a secret, e.g. database-url: ${{ secrets.DATABASE_URL }}, or name the variable in the runbook (database.url-from-env).',
      );
    target = parseDatabaseUrl(url, { engine, label: urlLabel, engineInput: 'engine' });
    ctx.secrets.add(target.password);
  }
  let verifyTarget: DatabaseTarget | undefined;
  if (verifyUrl) {
    verifyTarget = parseDatabaseUrl(verifyUrl, {
      engine,
      label: 'Input "verify-database-url"',
    });
    ctx.secrets.add(verifyTarget.password);
    if (target && verifyTarget.engine !== target.engine)
      throw new ConfigurationError(
        `Input "verify-database-url": it is a ${verifyTarget.engine} database but "database-url" is ${target.engine}; a backup can only be restored into the same engine.`,
      );
    if (
      target &&
      verifyTarget.host === target.host &&
      verifyTarget.port === target.port &&
      verifyTarget.database === target.database
    )
      throw new ConfigurationError(
        'Input "verify-database-url": it names the database being backed up; verification restores into it (dropping its tables). Give a scratch database, or leave it empty to let the action create and drop one.',
      );
  }

  const format: DumpFormat = firstDefined(inputs.format, file.format) ?? DEFAULTS.format;
  if (target?.engine === 'mysql' && format !== 'plain' && (inputs.format ?? file.format))
    throw new ConfigurationError(
      `Input "format": ${format} is a PostgreSQL format; MySQL/MariaDB backups are SQL (gzip-compressed). Leave "format" empty or set it to plain.`,
    );
  if (inputs.jobs !== undefined && (format !== 'directory' || target?.engine === 'mysql'))
    throw new ConfigurationError(
      `Input "jobs": parallel dumps need format: directory (PostgreSQL); the format is ${target?.engine === 'mysql' ? 'MySQL SQL' : format}.`,
      'Set format: directory with jobs, or remove jobs.',
    );

  const verify = firstDefined(inputs.verify, file.verify) ?? DEFAULTS.verify;
  if (verifyTarget && verify !== 'restore' && mode === 'backup')
    throw new ConfigurationError(
      `Input "verify-database-url" is only used with verify: restore (verify is ${verify}).`,
    );

  const environment = inputs.environment ?? DEFAULTS.environment;
  const directory = path.resolve(
    ctx.workspace,
    firstDefined(inputs.directory, file.directory) ?? path.join(ctx.runnerTemp, 'backups'),
  );

  if (mode === 'restore') {
    if (!inputs.backup)
      throw new ConfigurationError(
        'Input "backup" is required with mode: restore: the path of the dump (or of its .manifest.json) to restore.',
      );
    if (inputs.confirm !== target!.database)
      throw new ConfigurationError(
        `Input "confirm": ${inputs.confirm === undefined ? 'not given' : `got ${JSON.stringify(inputs.confirm)}`}; a restore replaces the contents of the database "${target!.database}", so "confirm" must be exactly that name. Nothing was changed.`,
        `Set confirm: ${target!.database} once you are sure that database is the one to overwrite.`,
      );
  }
  if (mode !== 'restore' && inputs.confirm !== undefined)
    throw new ConfigurationError(`Input "confirm" is only used with mode: restore (mode is ${mode}).`);

  return {
    mode,
    target,
    environment,
    name: firstDefined(inputs.name, file.name) ?? target?.database ?? 'db',
    directory,
    format: target?.engine === 'mysql' ? 'plain' : format,
    jobs: inputs.jobs,
    verify,
    verifyTarget,
    clientPath: inputs['client-path'] ? path.resolve(ctx.workspace, inputs['client-path']) : undefined,
    backup: inputs.backup ? path.resolve(ctx.workspace, inputs.backup) : undefined,
    maxAgeMs: firstDefined(inputs['max-age'], file['max-age']) ?? DEFAULTS.maxAgeMs,
    timeoutMs: inputs.timeout ?? DEFAULTS.timeoutMs,
    connectTimeoutMs: inputs['connect-timeout'] ?? DEFAULTS.connectTimeoutMs,
    runbookFile: env ? runbook?.file : undefined,
  };
}
