/**
 * The runbook file (`.github/runbook.yml` by default): environments described once (URLs, checks, database,
 * strategy, gates). Every action reads its own section and merges it under its inputs: an input given on the
 * step wins, then the file, then the built-in default. The zod schema here is the single source: the JSON
 * Schema in schema/runbook.schema.json is generated from it.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { CORE_SCHEMA, load as loadYamlFast } from 'js-yaml';
import YAML, { LineCounter } from 'yaml';
import { z } from 'zod';
import { checksSchema } from './checks.js';
import type { RunContext } from './context.js';
import { ConfigurationError } from './errors.js';
import { findDuplicateKey } from './yaml-keys.js';
import { DAY, duration, HOUR, integer, MINUTE, percent, type DurationLimits } from './inputs.js';

export const DEFAULT_RUNBOOK = '.github/runbook.yml';

const durationField = (what: string, limits?: DurationLimits) =>
  duration(limits).meta({
    description: `${what}: a duration such as 90s, 5m, 1h30m (a bare number is seconds)`,
  });

/** What smoke-test reads; keys are smoke-test's input names. */
export const smokeSection = z
  .strictObject({
    checks: checksSchema.optional().describe('HTTP checks: name, url, method, headers, body, expect'),
    command: z.string().optional().describe('A shell command that must exit 0, e.g. npm run test:smoke'),
    timeout: durationField('Overall deadline for the checks to pass', { min: 1, max: 24 * HOUR }).optional(),
    'request-timeout': durationField('Timeout of one request', { min: 1, max: 10 * MINUTE }).optional(),
    concurrency: integer(1, 100).optional().describe('Checks run at once'),
    monitor: durationField('How long to keep probing after the checks pass', { max: 24 * HOUR }).optional(),
    'monitor-interval': durationField('Time between probes while monitoring', { max: HOUR }).optional(),
    'max-error-rate': percent().optional().describe('Monitoring fails above this error rate, e.g. 1%'),
    'max-p95': durationField('Monitoring fails when p95 latency is above this', {
      max: 10 * MINUTE,
    }).optional(),
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
      .record(
        z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, 'expected a slot name such as blue'),
        z.url(),
      )
      .optional()
      .describe(
        "The two slots (blue-green, canary) and each one's own health URL, e.g. {blue: ..., green: ...}",
      ),
    'canary-steps': z
      .union([z.string(), z.array(z.number())])
      .optional()
      .describe('Traffic percentages, increasing and ending at 100, e.g. 5,25,100'),
    'step-duration': durationField('How long each canary step is monitored', { max: 24 * HOUR }).optional(),
    'max-error-rate': percent().optional().describe('A canary step fails above this error rate, e.g. 1%'),
    'max-p95': durationField('A canary step fails when p95 latency is above this', {
      max: 10 * MINUTE,
    }).optional(),
    timeout: durationField('Deadline for a health check to pass', { min: 1, max: 24 * HOUR }).optional(),
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
    'lock-timeout': durationField('Longest wait of one statement for a table lock', {
      max: 24 * HOUR,
    }).optional(),
    'statement-timeout': durationField('Longest run of one statement (0 = none)', {
      max: 24 * HOUR,
    }).optional(),
    'run-lock-timeout': durationField('Longest wait for another migration run to finish', {
      max: 24 * HOUR,
    }).optional(),
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
    'max-age': durationField('Age above which check-age fails', { min: 1, max: 366 * DAY }).optional(),
    'encrypt-to': z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('age recipients (public keys age1…) the backup is encrypted to'),
    retention: durationField('How long uploaded backups are kept (artifact retention, 1d to 90d)', {
      min: 1,
      max: 366 * DAY,
    }).optional(),
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

/**
 * What preflight-check reads when it checks a hotfix (input `hotfix: true`): any `preflight` key, overriding the
 * `preflight` section for a hotfix only. `soak` and `warn-only` have hotfix defaults of their own.
 */
export const hotfixSection = preflightSection
  .extend({
    soak: durationField(
      'How long a hotfix must have run on the soak environment (default 15m, or preflight.soak when shorter)',
    ).optional(),
    'warn-only': stringOrList(
      'Gates that only warn for a hotfix (default: preflight.warn-only plus window, so deploy windows and ' +
        'freezes are shown, not enforced; [] enforces every gate)',
    ),
    'emergency-approvals': integer(1, 100)
      .optional()
      .describe(
        'Distinct approvers of the run, not the actor, a hotfix needs (default preflight.emergency-approvals, else 2)',
      ),
  })
  .describe(
    'Emergency hotfixes (preflight-check with hotfix: true): preflight keys that override the preflight section ' +
      'for a hotfix; a hotfix is always an emergency',
  );

/** What record-deployment reads; keys are record-deployment's input names. */
export const recordSection = z
  .strictObject({
    'store-branch': z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'expected a branch name such as deployment-records')
      .optional()
      .describe('Branch the records are committed to (created as an orphan branch when missing)'),
    'dora-window': durationField('Window DORA metrics are computed over, at most 90d; 0 turns them off', {
      max: 366 * DAY,
    }).optional(),
  })
  .describe('Deployment records and DORA metrics (record-deployment)');

export const environmentSchema = z.strictObject({
  url: z.url().optional().describe('Public URL of the environment'),
  smoke: smokeSection.optional(),
  database: databaseSection.optional(),
  deploy: deploySection.optional(),
  migrations: migrationsSection.optional(),
  backup: backupSection.optional(),
  preflight: preflightSection.optional(),
  hotfix: hotfixSection.optional(),
  record: recordSection.optional(),
});

export const runbookSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1).default(1).describe('Runbook file format version'),
    environments: z
      .record(
        // eslint-disable-next-line no-control-regex
        z.string().regex(/^[^\s\x00-\x1f\x7f-\x9f]{1,255}$/, 'expected an environment name'),
        environmentSchema,
      )
      .default({}),
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

/** The largest runbook file read (1 MiB); a runbook is a few KiB. */
export const MAX_RUNBOOK_BYTES = 1 << 20;

/**
 * Read a runbook file: a regular file of at most MAX_RUNBOOK_BYTES, opened without blocking (a FIFO or a
 * device such as /dev/zero is refused, never read). Returns undefined when there is no file.
 */
function readRunbookFile(file: string, rel: string): string | undefined {
  const bad = (what: string) =>
    new ConfigurationError(
      `Input "runbook": ${rel} ${what}; expected a YAML file of at most ${MAX_RUNBOOK_BYTES >> 20} MiB, such as ${DEFAULT_RUNBOOK}.`,
    );
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw bad(`cannot be opened (${code ?? String(e)})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw bad('is a directory');
    if (!st.isFile()) throw bad('is not a regular file (a device, pipe or socket)');
    if (st.size > MAX_RUNBOOK_BYTES) throw bad(`is ${st.size} bytes long`);
    // Read at most one byte past the limit, whatever the size said (the file may be growing).
    const buf = Buffer.alloc(MAX_RUNBOOK_BYTES + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    if (n > MAX_RUNBOOK_BYTES) throw bad(`is more than ${MAX_RUNBOOK_BYTES} bytes long`);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Load the runbook file. Missing is fine for the default path (returns undefined) and an error for a path the
 * user gave. A malformed file is always an error naming the file, line and field. Only a regular file of at
 * most 1 MiB is read.
 */
export function loadRunbook(o: LoadOptions): LoadedRunbook | undefined {
  const rel = o.input.trim() || DEFAULT_RUNBOOK;
  const file = path.resolve(o.workspace, rel);
  const text = readRunbookFile(file, rel);
  if (text === undefined) {
    if (o.input.trim())
      throw new ConfigurationError(`Input "runbook": no file at ${rel} (looked in ${o.workspace}).`);
    return undefined;
  }
  const runbook = parseRunbook(text, rel);
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

/** Issues listed in a runbook error; a file with more says how many more (locating each one costs time). */
const MAX_LISTED_ISSUES = 20;

/**
 * Parse and validate a runbook's text, in time linear in its size: a valid file takes the fast path (js-yaml);
 * otherwise the yaml library's document locates the errors, with duplicate keys found in one pass over it (the
 * library's own `uniqueKeys` check compares each key with every earlier key of its map, quadratic in a map's
 * size) and at most MAX_LISTED_ISSUES issues located.
 */
export function parseRunbook(text: string, name: string): Runbook {
  const fast = loadFast(text);
  if (fast.ok) {
    const result = runbookSchema.safeParse(fast.value ?? {});
    if (result.success) return result.data;
  }
  return parseRunbookLocated(text, name);
}

/** An anchor (`&name`; not `&&` in a command): its aliases are expanded by the yaml library under a bound. */
const ANCHOR = /(?:^|[\s[{,])&[^\s[\]{},&]/m;

/**
 * The fast path: js-yaml (YAML 1.2 core schema, as the yaml library's default: no timestamps, no merge keys;
 * duplicate keys refused) parses a runbook about 15 times faster than the yaml library. A file it refuses, or
 * one with anchors (js-yaml shares aliased nodes without any bound on how often, so a few lines could expand into
 * an enormous tree for the schema to walk), goes the slow way, which also locates every error.
 */
function loadFast(text: string): { ok: true; value: unknown } | { ok: false } {
  if (ANCHOR.test(text)) return { ok: false };
  try {
    return { ok: true, value: loadYamlFast(text, { schema: CORE_SCHEMA }) };
  } catch {
    return { ok: false };
  }
}

/** The yaml library's document, for the errors' lines (and the files the fast path leaves). */
function parseRunbookLocated(text: string, name: string): Runbook {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigurationError(`The runbook ${name} is not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const duplicate = findDuplicateKey(doc);
  if (duplicate) {
    const pos = duplicate.offset !== undefined ? lineCounter.linePos(duplicate.offset) : undefined;
    throw new ConfigurationError(
      `The runbook ${name} is not valid YAML: Map keys must be unique; ${JSON.stringify(duplicate.key)} is repeated` +
        (pos ? ` at line ${pos.line}, column ${pos.col}` : ''),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS(); // bounds alias expansion (maxAliasCount)
  } catch (e) {
    throw new ConfigurationError(
      `The runbook ${name} is not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    );
  }
  const result = runbookSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues;
  const lines = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    const node = doc.getIn(issue.path as (string | number)[], true) as
      { range?: [number, number] } | undefined;
    const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
    const where = issue.path.map(String).join('.') || '(top level)';
    return `${name}${pos ? `:${pos.line}` : ''}: ${where}: ${issue.message}`;
  });
  if (issues.length > MAX_LISTED_ISSUES) lines.push(`… and ${issues.length - MAX_LISTED_ISSUES} more`);
  throw new ConfigurationError(`The runbook file has errors:\n${lines.join('\n')}`);
}

/** input ?? runbook ?? default, for each key. */
export function firstDefined<T>(...values: (T | undefined)[]): T | undefined {
  return values.find((v) => v !== undefined);
}
