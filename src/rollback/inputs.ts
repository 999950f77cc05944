/** rollback's inputs: the zod schema keyed by action.yml's input names, and the config they resolve to. */
import { z } from 'zod';
import { parseDatabaseUrl, type DatabaseTarget } from '../core/db.js';
import { ConfigurationError } from '../core/errors.js';
import {
  bool,
  duration,
  HOUR,
  MINUTE,
  httpUrl,
  list,
  oneOf,
  optional,
  parseInputs,
  quote,
  readRawInputs,
  text,
  yaml,
  type RawInputs,
} from '../core/inputs.js';
import { firstDefined, type LoadedRunbook } from '../core/runbook.js';
import type { SecretRegistry } from '../core/secrets.js';
import { parseIdentities } from '../shared/backups/encryption.js';
import {
  PROVIDERS,
  resolveCommands,
  resolvePublicChecks,
  resolveSlots,
  slotsSchema,
  STRATEGIES,
  type DeploymentSettings,
} from '../shared/deployments/settings.js';

export const MODES = ['apply', 'plan'] as const;
export type Mode = (typeof MODES)[number];

/** Names and versions go into logs, messages and commands' environment: no control characters, no leading `-`. */
const safeName = (what: string) =>
  text().refine(
    (v) =>
      v.length <= 256 &&
      ![...v].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127) &&
      !v.startsWith('-'),
    {
      message: `expected a ${what} of at most 256 characters, without control characters, that does not start with "-"`,
    },
  );

export const inputSchema = z.object({
  environment: optional(safeName('GitHub environment name such as production')),
  'to-version': optional(safeName('version such as v1.4.1')),
  reason: optional(text()),
  mode: optional(oneOf(MODES)),
  'restore-database': optional(bool()),
  'backup-file': optional(text()),
  'database-url': z.string().default(''),
  'decrypt-identity': z.string().default(''),
  confirm: optional(text()),
  'stop-command': optional(text()),
  'incident-issue': optional(bool()),
  'incident-labels': optional(list()),
  verify: optional(bool()),
  force: optional(bool()),
  strategy: optional(oneOf(STRATEGIES)),
  provider: optional(oneOf(PROVIDERS)),
  command: optional(text()),
  'switch-command': optional(text()),
  'weight-command': optional(text()),
  'rollback-command': optional(text()),
  'working-directory': optional(text()),
  'health-url': optional(httpUrl()),
  slots: optional(yaml(slotsSchema)),
  timeout: optional(duration({ min: 1, max: 24 * HOUR })),
  'request-timeout': optional(duration({ min: 1, max: 10 * MINUTE })),
  'command-timeout': optional(duration({ min: 1, max: 72 * HOUR })),
  'environment-url': optional(httpUrl()),
  token: optional(text()),
  runbook: z.string(),
});

export type RollbackInputs = z.output<typeof inputSchema>;

export const DEFAULTS = {
  healthTimeoutMs: 5 * 60_000,
  requestTimeoutMs: 10_000,
  commandTimeoutMs: 30 * 60_000,
  connectTimeoutMs: 10_000,
  labels: ['incident', 'rollback'],
} as const;

export interface RollbackConfig extends DeploymentSettings {
  toVersion?: string;
  reason: string;
  mode: Mode;
  restoreDatabase: boolean;
  backupFile?: string;
  /** age identities that decrypt an encrypted backup (decrypt-identity); secrets. */
  identities: string[];
  database?: DatabaseTarget;
  stopCommand?: string;
  incidentIssue: boolean;
  incidentLabels: string[];
  verify: boolean;
  force: boolean;
  runbookFile?: string;
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): RollbackInputs {
  return parseInputs(inputSchema, raw, { secret: ['token', 'database-url', 'decrypt-identity'] });
}

/** Merge inputs over the runbook's deploy/smoke/database sections; refuse what cannot work, before any request. */
export function resolveConfig(
  inputs: RollbackInputs,
  runbook: LoadedRunbook | undefined,
  ctx: { workspace: string; sha: string; env: NodeJS.ProcessEnv; secrets: SecretRegistry },
): RollbackConfig {
  const env = runbook?.environment;
  const file = env?.deploy ?? {};
  const missing = (name: string, what: string) =>
    new ConfigurationError(`Input "${name}" is required: ${what}. Nothing was changed.`);
  if (!inputs.environment)
    throw missing('environment', 'the GitHub environment to roll back, e.g. production');
  const strategy = firstDefined(inputs.strategy, file.strategy) ?? 'rolling';
  const commands = resolveCommands(inputs, file);
  const checks = resolvePublicChecks(inputs, runbook);
  const slots = resolveSlots(inputs, runbook);
  const mode = inputs.mode ?? 'apply';
  if (strategy !== 'rolling') {
    if (!slots.length)
      throw missing(
        'slots',
        `${strategy} rolls back by moving traffic between the two slots, e.g. {blue: URL, green: URL}`,
      );
    if (!commands.switch && !commands.weight)
      throw missing(
        'switch-command',
        `${strategy} moves traffic back to the other slot with it (it gets the slot in $DEPLOY_SLOT)`,
      );
  } else if (!commands.rollback && !commands.deploy) {
    throw missing(
      'rollback-command',
      'rolling puts the target version back with it (or with "command", given DEPLOY_VERSION = the target)',
    );
  }
  const verify = inputs.verify ?? true;
  if (verify && !checks.length && strategy === 'rolling')
    throw missing(
      'health-url',
      'verify: true checks the environment after the rollback (or give the runbook smoke checks, or verify: false)',
    );

  // Database restore: every refusal before any request, process or write.
  const restoreDatabase = inputs['restore-database'] ?? false;
  const rawIdentity = inputs['decrypt-identity'].trim();
  ctx.secrets.add(rawIdentity);
  for (const line of rawIdentity.split(/\r?\n/)) if (line.trim()) ctx.secrets.add(line.trim());
  let identities: string[] = [];
  if (rawIdentity) {
    const parsed = parseIdentities(rawIdentity);
    if (parsed.problem)
      throw new ConfigurationError(
        `Input "decrypt-identity": ${parsed.problem}. Nothing was changed.`,
        'Store the whole key file age-keygen wrote (or its AGE-SECRET-KEY-1… line) in the secret.',
      );
    identities = parsed.identities;
  }
  let database: DatabaseTarget | undefined;
  if (restoreDatabase) {
    let url = inputs['database-url'].trim();
    const fromEnv = env?.database?.['url-from-env'];
    if (!url && fromEnv) url = (ctx.env[fromEnv] ?? '').trim();
    ctx.secrets.addUrl(url);
    if (!url)
      throw missing(
        'database-url',
        'restore-database: true restores into it (pass it from a secret: ${{ secrets.DATABASE_URL }})',
      );
    database = parseDatabaseUrl(url, { label: 'Input "database-url"', engine: env?.database?.engine });
    if (mode === 'apply') {
      if (!inputs.confirm)
        throw missing(
          'confirm',
          `restore-database: true replaces the data of "${database.database}"; set confirm: ${database.database} to say you mean it`,
        );
      if (inputs.confirm !== database.database)
        throw new ConfigurationError(
          `Input "confirm": it must equal the name of the database being restored, "${database.database}", got ${quote(inputs.confirm)}. Nothing was changed.`,
        );
    }
  } else if (inputs['backup-file']) {
    throw new ConfigurationError(
      'Input "backup-file" is given but "restore-database" is not true: set restore-database: true to restore it, or leave backup-file out. Nothing was changed.',
    );
  }

  const token = inputs.token ?? '';
  if (!token)
    throw missing(
      'token',
      'a GitHub token with `deployments: write` and `issues: write` (default ${{ github.token }})',
    );
  return {
    environment: inputs.environment,
    strategy,
    provider: inputs.provider ?? 'command',
    commands: { ...commands, deploy: commands.deploy ?? '' },
    workingDirectory: inputs['working-directory'] ?? ctx.workspace,
    checks,
    slots,
    healthTimeoutMs: firstDefined(inputs.timeout, file.timeout) ?? DEFAULTS.healthTimeoutMs,
    requestTimeoutMs: inputs['request-timeout'] ?? DEFAULTS.requestTimeoutMs,
    commandTimeoutMs: inputs['command-timeout'] ?? DEFAULTS.commandTimeoutMs,
    environmentUrl: firstDefined(inputs['environment-url'], file['environment-url'], env?.url),
    ref: ctx.sha,
    requiredContexts: [],
    token,
    toVersion: inputs['to-version'],
    reason: inputs.reason ?? '',
    mode,
    restoreDatabase,
    backupFile: inputs['backup-file'],
    identities,
    database,
    stopCommand: inputs['stop-command'],
    incidentIssue: inputs['incident-issue'] ?? true,
    incidentLabels: inputs['incident-labels'] ?? [...DEFAULTS.labels],
    verify,
    force: inputs.force ?? false,
    runbookFile: env ? runbook?.file : undefined,
  };
}
