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
  list,
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
import { parseIdentities, recipientProblem } from '../shared/backups/encryption.js';
import type { DumpFormat } from '../shared/backups/files.js';

export const MODES = ['backup', 'restore', 'check-age', 'list'] as const;
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
  'encrypt-to': optional(list()),
  'decrypt-identity': z.string(),
  retention: optional(duration({ min: 1, max: 366 * DAY })),
  token: z.string(),
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
  retentionDays: 14,
  /** mode list: backups in the JSON output (the table shows the newest LIST_SHOWN). */
  listMax: 20,
};

/** GitHub keeps artifacts 1 to 90 days. */
export const MAX_RETENTION_DAYS = 90;

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
  /** age recipients (public keys): the dump is encrypted to them as it is written. Empty: not encrypted. */
  recipients: string[];
  /** age identities (secret keys) to decrypt with (verification, restore). Registered as secrets. */
  identities: string[];
  /** How long the workflow keeps the uploaded backup (artifact retention-days), in days. */
  retentionDays: number;
  /** mode list: the GitHub token (actions: read, deployments: read). */
  token?: string;
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): BackupInputs {
  // Secret inputs are never echoed in error messages.
  return parseInputs(inputSchema, raw, {
    secret: ['database-url', 'verify-database-url', 'decrypt-identity', 'token'],
  });
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

  registerIdentity(inputs['decrypt-identity'], ctx.secrets);
  ctx.secrets.add(inputs.token.trim());
  const needsDatabase = mode !== 'check-age' && mode !== 'list';
  let url = inputs['database-url'].trim();
  let urlLabel = 'Input "database-url"';
  const fromEnv = env?.database?.['url-from-env'];
  if (!url && fromEnv) {
    url = (ctx.env[fromEnv] ?? '').trim();
    urlLabel = `The environment variable ${fromEnv} (named by database.url-from-env in ${runbook?.file})`;
    if (!url && needsDatabase)
      throw new ConfigurationError(
        `Input "database-url" is empty and ${urlLabel.replace(/^The/, 'the')} is not set.`,
        `Pass the URL from a secret: database-url: \${{ secrets.DATABASE_URL }}, or env: { ${fromEnv}: \${{ secrets.${fromEnv} }} } on the step.`,
      );
  }
  ctx.secrets.addUrl(url);
  const verifyUrl = inputs['verify-database-url'].trim();
  ctx.secrets.addUrl(verifyUrl);

  let target: DatabaseTarget | undefined;
  if (needsDatabase) {
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

  const { recipients, identities } = resolveEncryption(inputs, file, runbook?.file);
  if (mode === 'backup' && recipients.length) {
    if (format === 'directory' && target?.engine === 'postgres')
      throw new ConfigurationError(
        'Input "encrypt-to": a directory-format dump is a folder of files and cannot be encrypted as it streams out. Nothing was dumped.',
        'Use format: custom (the default; one compressed file) with encrypt-to.',
      );
    if (verify !== 'none' && !identities.length)
      throw new ConfigurationError(
        `Input "decrypt-identity" is required with encrypt-to and verify: ${verify}${inputs.verify ? '' : ' (the default)'}: verifying reads the dump back, and an encrypted dump can only be read with the secret key. Nothing was dumped.`,
        'Pass the age secret key from an environment secret: decrypt-identity: ${{ secrets.BACKUP_AGE_IDENTITY }}; or set verify: none to skip verification.',
      );
  }
  const token = inputs.token.trim();
  if (mode === 'list' && !inputs.environment)
    throw new ConfigurationError(
      'Input "environment" is required with mode: list: the backups listed are the artifacts named backup-<environment>-<run id>.',
    );
  if (mode === 'list' && !token)
    throw new ConfigurationError(
      'Input "token" is required with mode: list: the backups are read from the repository\'s workflow artifacts.',
      'Pass token: ${{ github.token }} (the default) with permissions actions: read and deployments: read.',
    );
  const retentionMs = firstDefined(inputs.retention, file.retention);
  const retentionDays =
    retentionMs === undefined ? DEFAULTS.retentionDays : Math.ceil(retentionMs / 86_400_000);
  if (retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS)
    throw new ConfigurationError(
      `${inputs.retention !== undefined ? 'Input "retention"' : `backup.retention in ${runbook?.file}`}: ${retentionDays} days; GitHub keeps artifacts 1 to ${MAX_RETENTION_DAYS} days.`,
      'Give a duration such as 14d.',
    );

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
    recipients,
    identities,
    retentionDays,
    token: token || undefined,
  };
}

/** Register an age identity (and each of its key lines) as a secret as soon as it is read. */
export function registerIdentity(raw: string, secrets: SecretRegistry): void {
  secrets.add(raw.trim());
  for (const line of raw.split(/\r?\n/))
    if (line.trim().startsWith('AGE-SECRET-KEY-')) secrets.add(line.trim());
}

function resolveEncryption(
  inputs: BackupInputs,
  file: { 'encrypt-to'?: string | string[] },
  runbookFile: string | undefined,
): { recipients: string[]; identities: string[] } {
  const fromFile = file['encrypt-to'];
  const recipients =
    inputs['encrypt-to'] ??
    (typeof fromFile === 'string' ? fromFile.split(/[\s,]+/).filter(Boolean) : (fromFile ?? []));
  const where = inputs['encrypt-to'] ? 'Input "encrypt-to"' : `backup.encrypt-to in ${runbookFile}`;
  for (const r of recipients) {
    const problem = recipientProblem(r);
    if (problem)
      throw new ConfigurationError(
        `${where}: ${problem}. Nothing was dumped.`,
        'Make a key pair with age-keygen -o key.txt: the "Public key: age1…" it prints goes in encrypt-to; the file (AGE-SECRET-KEY-1…) goes in an environment secret.',
      );
  }
  const raw = inputs['decrypt-identity'].trim();
  let identities: string[] = [];
  if (raw) {
    const parsed = parseIdentities(raw);
    if (parsed.problem)
      throw new ConfigurationError(
        `Input "decrypt-identity": ${parsed.problem}. Nothing was done.`,
        'Store the whole key file age-keygen wrote (or its AGE-SECRET-KEY-1… line) in the secret.',
      );
    identities = parsed.identities;
  }
  return { recipients: [...new Set(recipients)], identities };
}
