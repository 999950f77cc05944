/**
 * The runbook file (`.github/runbook.yml` by default): environments described once (URLs, checks, database,
 * strategy, gates). Every action reads its own section and merges it under its inputs: an input given on the
 * step wins, then the file, then the built-in default. The zod schema here is the single source: the JSON
 * Schema in schema/runbook.schema.json is generated from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { z } from 'zod';
import { checksSchema } from './checks.js';
import type { RunContext } from './context.js';
import { ConfigurationError } from './errors.js';
import { duration, integer, percent } from './inputs.js';

export const DEFAULT_RUNBOOK = '.github/runbook.yml';

const durationField = (what: string) =>
  duration().meta({ description: `${what}: a duration such as 90s, 5m, 1h30m (a bare number is seconds)` });

/** What smoke-test reads; keys are smoke-test's input names. */
export const smokeSection = z
  .strictObject({
    checks: checksSchema.optional().describe('HTTP checks: name, url, method, headers, body, expect'),
    command: z.string().optional().describe('A shell command that must exit 0, e.g. npm run test:smoke'),
    timeout: durationField('Overall deadline for the checks to pass').optional(),
    'request-timeout': durationField('Timeout of one request').optional(),
    concurrency: integer(1, 100).optional().describe('Checks run at once'),
    monitor: durationField('How long to keep probing after the checks pass').optional(),
    'monitor-interval': durationField('Time between probes while monitoring').optional(),
    'max-error-rate': percent().optional().describe('Monitoring fails above this error rate, e.g. 1%'),
    'max-p95': durationField('Monitoring fails when p95 latency is above this').optional(),
  })
  .describe('Smoke checks that decide whether a release is healthy');

export const databaseSection = z
  .strictObject({
    'url-from-env': z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as DATABASE_URL')
      .optional()
      .describe('Name of the environment variable holding the database URL (secrets never go in this file)'),
    engine: z.enum(['postgres', 'mysql']).optional(),
  })
  .describe('The environment database');

/** What deploy reads; keys are deploy's input names. */
export const deploySection = z
  .strictObject({
    strategy: z
      .enum(['rolling', 'blue-green', 'canary'])
      .optional()
      .describe('How the release is rolled out'),
    command: z.string().optional().describe('Shell command that deploys $DEPLOY_VERSION (to $DEPLOY_SLOT)'),
    'switch-command': z.string().optional().describe('Shell command that moves all traffic to $DEPLOY_SLOT'),
    'weight-command': z
      .string()
      .optional()
      .describe('Shell command that sends $DEPLOY_WEIGHT percent of traffic to $DEPLOY_SLOT'),
    'rollback-command': z
      .string()
      .optional()
      .describe('Shell command that puts $DEPLOY_PREVIOUS_VERSION back (rolling)'),
    'health-url': z.url().optional().describe('Public health URL; default: the smoke checks, else url'),
    slots: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]+$/), z.url())
      .optional()
      .describe(
        "The two slots (blue-green, canary) and each one's own health URL, e.g. {blue: ..., green: ...}",
      ),
    'canary-steps': z
      .union([z.string(), z.array(z.number())])
      .optional()
      .describe('Traffic percentages, increasing and ending at 100, e.g. 5,25,100'),
    'step-duration': durationField('How long each canary step is monitored').optional(),
    'max-error-rate': percent().optional().describe('A canary step fails above this error rate, e.g. 1%'),
    'max-p95': durationField('A canary step fails when p95 latency is above this').optional(),
    timeout: durationField('Deadline for a health check to pass').optional(),
    'environment-url': z.url().optional().describe('Link shown on the GitHub deployment; default url'),
  })
  .describe('How deploy releases to this environment');

/** What run-migrations reads; keys are run-migrations' input names. */
export const migrationsSection = z
  .strictObject({
    tool: z
      .enum(['auto', 'sql', 'command', 'dbmate', 'node-pg-migrate', 'knex', 'alembic', 'sqitch'])
      .optional(),
    directory: z.string().optional().describe('Folder of the migration files, relative to the repository'),
    table: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}(?:\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/, 'expected a table name')
      .optional()
      .describe('Bookkeeping table of the built-in sql runner'),
    'lock-timeout': durationField('Longest wait of one statement for a table lock').optional(),
    'statement-timeout': durationField('Longest run of one statement (0 = none)').optional(),
    'run-lock-timeout': durationField('Longest wait for another migration run to finish').optional(),
    lint: z
      .enum(['off', 'warn', 'error'])
      .optional()
      .describe('Lint PostgreSQL statements that lock or rewrite'),
    'status-command': z.string().optional().describe('tool: command: prints the migration status'),
    'apply-command': z.string().optional().describe('tool: command: applies pending migrations'),
    'down-command': z.string().optional().describe('tool: command: reverts to $MIGRATION_TARGET'),
  })
  .describe('Schema migrations of the environment database');

/** What backup-db reads; keys are backup-db's input names. */
export const backupSection = z
  .strictObject({
    directory: z.string().optional().describe('Where backups are written and looked for'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-"')
      .optional()
      .describe('First part of the backup file name (default: the database name)'),
    format: z.enum(['custom', 'directory', 'plain']).optional().describe('PostgreSQL dump format'),
    verify: z.enum(['none', 'list', 'restore']).optional().describe('How each backup is verified'),
    'max-age': durationField('Age above which check-age fails').optional(),
    'encrypt-to': z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('age recipients (public keys age1…) the backup is encrypted to'),
    retention: durationField('How long uploaded backups are kept (artifact retention, 1d to 90d)').optional(),
  })
  .describe('Database backups (backup-db)');

/** What preflight-check reads; keys are preflight-check's input names (checked again by the action). */
const stringOrList = (what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe(what);
export const preflightSection = z
  .strictObject({
    gates: stringOrList(
      'Run only these gates: ci, reviews, security, ticket, ref, window, soak, backup, health, env, database, protection',
    ),
    'warn-only': stringOrList('Gates that warn instead of failing'),
    'ci-checks': stringOrList('Check runs / statuses that must be present and green (default: all present)'),
    'ci-wait': durationField('How long to wait for pending checks').optional(),
    'min-approvals': integer(0, 100).optional().describe('Approvals the pull request needs (default 1)'),
    'fail-on-severity': z
      .enum(['critical', 'high', 'medium', 'low', 'none'])
      .optional()
      .describe('Open code scanning / Dependabot alerts at or above this fail (default high; none = off)'),
    'require-ticket': z.boolean().optional().describe('A change ticket must be named (default true)'),
    'ticket-pattern': z.string().optional().describe('Regular expression of a ticket reference'),
    'ticket-label': z
      .string()
      .optional()
      .describe('Label a #123 ticket issue must carry, e.g. change-approved'),
    'allowed-refs': stringOrList('Branches the commit must be on, or tags/v*-style tag patterns'),
    'deploy-windows': stringOrList('Windows such as "Mon-Fri 09:00-16:00", one per line'),
    freeze: stringOrList('Freezes such as "2026-12-24..2026-12-26 holidays", one per line'),
    timezone: z.string().optional().describe('IANA time zone of windows and freezes (default UTC)'),
    'emergency-approvals': integer(1, 100)
      .optional()
      .describe('Distinct approvers (not the actor) an emergency outside the window needs (default 2)'),
    soak: durationField('How long the commit must have run on the soak environment').optional(),
    'soak-environment': z.string().optional().describe('Where the commit soaks (default staging)'),
    'backup-max-age': durationField('Age the newest backup must be under').optional(),
    'backup-artifact-prefix': z
      .string()
      .optional()
      .describe('Backup artifact name prefix (default backup-<environment>-)'),
    'backup-manifest': z.string().optional().describe('Path of a backup-db manifest to check instead'),
    'health-url': z
      .url()
      .optional()
      .describe('Health URL checked before the change (default: the smoke checks)'),
    'health-timeout': durationField('Deadline of the health check').optional(),
    'required-env': stringOrList('Environment variables (secrets) that must be set and non-empty'),
    'database-timeout': durationField('Deadline of the database check').optional(),
    'require-reviewers': z
      .boolean()
      .optional()
      .describe('The GitHub environment must have required reviewers'),
    'require-self-review-off': z
      .boolean()
      .optional()
      .describe('The GitHub environment must prevent self-review'),
  })
  .describe('Pre-deployment checklist gates (preflight-check)');

export const environmentSchema = z.strictObject({
  url: z.url().optional().describe('Public URL of the environment'),
  smoke: smokeSection.optional(),
  database: databaseSection.optional(),
  deploy: deploySection.optional(),
  migrations: migrationsSection.optional(),
  backup: backupSection.optional(),
  preflight: preflightSection.optional(),
});

export const runbookSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1).default(1).describe('Runbook file format version'),
    environments: z.record(z.string().regex(/^[^\s]+$/), environmentSchema).default({}),
  })
  .describe('deploy-runbook: a production deployment runbook as code');

export type Runbook = z.output<typeof runbookSchema>;
export type RunbookEnvironment = z.output<typeof environmentSchema>;

export interface LoadedRunbook {
  file: string;
  runbook: Runbook;
  /** The named environment's section, when an environment was asked for and the file has it. */
  environment?: RunbookEnvironment;
}

export interface LoadOptions {
  /** The `runbook` input ('' when not given). */
  input: string;
  workspace: string;
  environment?: string;
  /** Told when the file has no section for the environment. */
  notice?: (message: string) => void;
}

/**
 * Load the runbook file. Missing is fine for the default path (returns undefined) and an error for a path the
 * user gave. A malformed file is always an error naming the file, line and field.
 */
export function loadRunbook(o: LoadOptions): LoadedRunbook | undefined {
  const rel = o.input.trim() || DEFAULT_RUNBOOK;
  const file = path.resolve(o.workspace, rel);
  if (!existsSync(file)) {
    if (o.input.trim())
      throw new ConfigurationError(`Input "runbook": no file at ${rel} (looked in ${o.workspace}).`);
    return undefined;
  }
  const runbook = parseRunbook(readFileSync(file, 'utf8'), rel);
  let environment: RunbookEnvironment | undefined;
  if (o.environment) {
    environment = runbook.environments[o.environment];
    if (!environment) {
      const known = Object.keys(runbook.environments);
      o.notice?.(
        `The runbook ${rel} has no environment "${o.environment}"` +
          (known.length ? ` (it has: ${known.join(', ')})` : '') +
          '; using the step inputs only.',
      );
    }
  }
  return { file: rel, runbook, environment };
}

/** The runbook for a step: its `runbook` and `environment` inputs, the workspace, notices to the log. */
export function loadStepRunbook(
  inputs: { runbook: string; environment?: string },
  ctx: Pick<RunContext, 'repo' | 'log'>,
): LoadedRunbook | undefined {
  return loadRunbook({
    input: inputs.runbook,
    workspace: ctx.repo.workspace,
    environment: inputs.environment,
    notice: (m) => ctx.log.info(m),
  });
}

export function parseRunbook(text: string, name: string): Runbook {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigurationError(`The runbook ${name} is not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const result = runbookSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const node = doc.getIn(issue.path as (string | number)[], true) as
      { range?: [number, number] } | undefined;
    const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
    const where = issue.path.map(String).join('.') || '(top level)';
    return `${name}${pos ? `:${pos.line}` : ''}: ${where}: ${issue.message}`;
  });
  throw new ConfigurationError(`The runbook file has errors:\n${lines.join('\n')}`);
}

/** input ?? runbook ?? default, for each key. */
export function firstDefined<T>(...values: (T | undefined)[]): T | undefined {
  return values.find((v) => v !== undefined);
}
