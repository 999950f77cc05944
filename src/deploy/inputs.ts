/** deploy's inputs: the zod schema keyed by action.yml's input names, and the config they resolve to. */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { nameChecks, type CheckSpec } from '../core/checks.js';
import { ConfigurationError } from '../core/errors.js';
import {
  bool,
  duration,
  HOUR,
  MINUTE,
  httpUrl,
  list,
  oneOf,
  name,
  optional,
  parseInputs,
  percent,
  quote,
  readRawInputs,
  text,
  yaml,
  type RawInputs,
} from '../core/inputs.js';
import { firstDefined, type LoadedRunbook } from '../core/runbook.js';
import { parseBackupHandoff, type BackupRecord } from '../shared/backups/handoff.js';
import { parseMigrationsHandoff, type MigrationsRecord } from '../shared/deployments/migrations.js';
import {
  PROVIDERS,
  resolveCommands,
  resolvePublicChecks,
  resolveSlots,
  slotsSchema,
  STRATEGIES,
  type DeployCommands,
  type DeploymentSettings,
  type ProviderName,
  type Slot,
  type StrategyName,
} from '../shared/deployments/settings.js';

export { PROVIDERS, STRATEGIES, type DeployCommands, type ProviderName, type Slot, type StrategyName };

export const inputSchema = z.object({
  environment: optional(name('an environment name', 255)),
  version: optional(name('a version', 256)),
  strategy: optional(oneOf(STRATEGIES)),
  provider: optional(oneOf(PROVIDERS)),
  command: optional(text()),
  'switch-command': optional(text()),
  'weight-command': optional(text()),
  'rollback-command': optional(text()),
  'working-directory': optional(text()),
  'health-url': optional(httpUrl()),
  slots: optional(yaml(slotsSchema)),
  'canary-steps': optional(list()),
  'step-duration': optional(duration({ max: 24 * HOUR })),
  'monitor-interval': optional(duration({ min: 1, max: HOUR })),
  'max-error-rate': optional(percent()),
  'max-p95': optional(duration({ max: 10 * MINUTE })),
  timeout: optional(duration({ min: 1, max: 24 * HOUR })),
  'request-timeout': optional(duration({ min: 1, max: 10 * MINUTE })),
  'command-timeout': optional(duration({ min: 1, max: 72 * HOUR })),
  'auto-rollback': optional(bool()),
  force: optional(bool()),
  'environment-url': optional(httpUrl()),
  ref: optional(text()),
  'production-environment': optional(bool()),
  'transient-environment': optional(bool()),
  'required-contexts': optional(list()),
  token: optional(text()),
  backup: optional(text()),
  'backup-artifact': optional(text()),
  migrations: optional(text()),
  runbook: z.string(),
});

export type DeployInputs = z.output<typeof inputSchema>;

export const DEFAULTS = {
  strategy: 'rolling' as StrategyName,
  healthTimeoutMs: 5 * 60_000,
  requestTimeoutMs: 10_000,
  commandTimeoutMs: 30 * 60_000,
  canarySteps: [5, 25, 100],
  stepDurationMs: 5 * 60_000,
  maxMonitorIntervalMs: 10_000,
  maxErrorRate: 0.01,
} as const;

export interface DeployConfig extends DeploymentSettings {
  environment: string;
  version: string;
  strategy: StrategyName;
  provider: ProviderName;
  commands: DeployCommands;
  workingDirectory: string;
  /** Checks of the public URL (through the load balancer); may be empty for blue-green. */
  checks: CheckSpec[];
  /** Two slots for blue-green (required) and canary (optional); empty for rolling. */
  slots: Slot[];
  canarySteps: number[];
  stepDurationMs: number;
  monitorIntervalMs: number;
  maxErrorRate: number;
  maxP95Ms?: number;
  healthTimeoutMs: number;
  requestTimeoutMs: number;
  commandTimeoutMs: number;
  autoRollback: boolean;
  force: boolean;
  environmentUrl?: string;
  ref: string;
  productionEnvironment?: boolean;
  transientEnvironment?: boolean;
  requiredContexts: string[];
  token: string;
  runbookFile?: string;
  /** The backup taken for this release (recorded in the deployment payload for rollback). */
  backup?: BackupRecord;
  /** The migrations applied for this release (recorded in the deployment payload for the release plan). */
  migrations?: MigrationsRecord;
  /** Why the `migrations` input was given but not recorded (a failed run, a mode other than apply). */
  migrationsIgnored?: string;
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): DeployInputs {
  return parseInputs(inputSchema, raw, { secret: ['token'] });
}

/** `5,25,100` (input) or [5, 25, 100] (runbook) to percentages, checked: whole, increasing, ending at 100. */
export function parseCanarySteps(value: string[] | number[] | string, source: string): number[] {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value.map(String);
  const steps = items.map((s) => {
    const n = Number(String(s).replace(/%$/, ''));
    if (!/^\d+%?$/.test(String(s)) || n < 1 || n > 100)
      throw new ConfigurationError(
        `${source}: expected whole percentages from 1 to 100 such as 5,25,100, got ${quote(String(s))}.`,
      );
    return n;
  });
  if (!steps.length) throw new ConfigurationError(`${source}: expected at least one step, such as 5,25,100.`);
  for (let i = 1; i < steps.length; i++)
    if (steps[i]! <= steps[i - 1]!)
      throw new ConfigurationError(
        `${source}: steps must increase, got ${steps.join(',')} (${steps[i]} after ${steps[i - 1]}).`,
      );
  if (steps.at(-1) !== 100)
    throw new ConfigurationError(
      `${source}: the last step must be 100 (all traffic on the new version), got ${steps.join(',')}.`,
    );
  return steps;
}

/** Merge inputs over the runbook's deploy (and smoke) section over the defaults; refuse what cannot work. */
export function resolveConfig(
  inputs: DeployInputs,
  runbook: LoadedRunbook | undefined,
  ctx: { workspace: string; sha: string; runId?: string },
): DeployConfig {
  const env = runbook?.environment;
  const file = env?.deploy ?? {};
  const missing = (name: string, what: string) =>
    new ConfigurationError(`Input "${name}" is required: ${what}.`);
  if (!inputs.environment)
    throw missing('environment', 'the GitHub environment to deploy to, e.g. production');
  if (!inputs.version)
    throw missing('version', 'the version to deploy (an image tag, a release name, a sha), e.g. v1.4.2');

  const strategy = firstDefined(inputs.strategy, file.strategy) ?? DEFAULTS.strategy;
  const commands = resolveCommands(inputs, file);
  if (!commands.deploy)
    throw missing('command', `the shell command that deploys $DEPLOY_VERSION (strategy ${strategy})`);

  const checks = resolvePublicChecks(inputs, runbook);
  const slots = resolveSlots(inputs, runbook);

  if (strategy === 'blue-green') {
    if (!commands.switch)
      throw missing('switch-command', 'blue-green moves traffic with it (it gets the slot in $DEPLOY_SLOT)');
    if (!slots.length)
      throw missing(
        'slots',
        'blue-green needs the two slots and their own health URLs, e.g. {blue: URL, green: URL}',
      );
  }
  let canarySteps: number[] = [...DEFAULTS.canarySteps];
  if (strategy === 'canary') {
    if (!commands.weight)
      throw missing('weight-command', 'canary sets the share of traffic with it ($DEPLOY_WEIGHT, 0-100)');
    if (inputs['canary-steps'])
      canarySteps = parseCanarySteps(inputs['canary-steps'], 'Input "canary-steps"');
    else if (file['canary-steps'] !== undefined)
      canarySteps = parseCanarySteps(file['canary-steps'], `${runbook?.file}: deploy.canary-steps`);
    if (!checks.length && !slots.length)
      throw missing(
        'health-url',
        'canary monitors the error rate and latency of the public URL between steps (or give "slots")',
      );
  } else if (inputs['canary-steps']) {
    parseCanarySteps(inputs['canary-steps'], 'Input "canary-steps"');
  }
  if (strategy === 'rolling' && !checks.length)
    throw missing(
      'health-url',
      'rolling waits for it to pass after the command (or give the environment smoke checks in the runbook file)',
    );

  const stepDurationMs =
    firstDefined(inputs['step-duration'], file['step-duration']) ?? DEFAULTS.stepDurationMs;
  const monitorIntervalMs =
    inputs['monitor-interval'] ??
    Math.max(100, Math.min(DEFAULTS.maxMonitorIntervalMs, Math.floor(stepDurationMs / 5)));
  if (monitorIntervalMs <= 0)
    throw new ConfigurationError('Input "monitor-interval": must be more than 0, e.g. 10s.');
  const token = inputs.token ?? '';
  if (!token)
    throw missing('token', 'a GitHub token with `deployments: write` (the default is ${{ github.token }})');

  const migrations = inputs.migrations
    ? parseMigrationsHandoff(inputs.migrations, {
        inputName: 'migrations',
        environment: inputs.environment,
      })
    : undefined;

  return {
    environment: inputs.environment,
    version: inputs.version,
    strategy,
    provider: inputs.provider ?? 'command',
    commands: commands as DeployCommands,
    workingDirectory: path.resolve(ctx.workspace || '.', inputs['working-directory'] ?? '.'),
    checks: nameChecks(checks),
    slots,
    canarySteps,
    stepDurationMs,
    monitorIntervalMs,
    maxErrorRate: firstDefined(inputs['max-error-rate'], file['max-error-rate']) ?? DEFAULTS.maxErrorRate,
    maxP95Ms: firstDefined(inputs['max-p95'], file['max-p95']),
    healthTimeoutMs: firstDefined(inputs.timeout, file.timeout) ?? DEFAULTS.healthTimeoutMs,
    requestTimeoutMs: inputs['request-timeout'] ?? DEFAULTS.requestTimeoutMs,
    commandTimeoutMs: inputs['command-timeout'] ?? DEFAULTS.commandTimeoutMs,
    autoRollback: inputs['auto-rollback'] ?? true,
    force: inputs.force ?? false,
    environmentUrl: firstDefined(inputs['environment-url'], file['environment-url'], env?.url),
    ref: inputs.ref ?? ctx.sha,
    productionEnvironment: inputs['production-environment'],
    transientEnvironment: inputs['transient-environment'],
    requiredContexts: inputs['required-contexts'] ?? [],
    token,
    runbookFile: env ? runbook?.file : undefined,
    backup: inputs.backup
      ? parseBackupHandoff(inputs.backup, {
          inputName: 'backup',
          environment: inputs.environment,
          workspace: ctx.workspace,
          runId: ctx.runId,
          artifact: inputs['backup-artifact'],
          artifactInputName: 'backup-artifact',
        })
      : undefined,
    migrations: migrations?.record,
    migrationsIgnored: migrations?.ignored,
  };
}

/**
 * Everything local a deploy needs, checked before the GitHub deployment is created: the working directory exists,
 * is a directory and can be entered, and bash (which runs the commands) is on PATH. A deploy that cannot run its
 * commands must not leave a deployment behind, nor claim that traffic moved.
 */
export function checkLocalPreconditions(config: DeployConfig, env: { PATH?: string }): void {
  const dir = config.workingDirectory;
  const nothing = 'Nothing was done: no deployment was created and no command ran.';
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      `Input "working-directory": ${JSON.stringify(dir)} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(e)})`}. ${nothing}`,
      'Give a directory that exists in the job (relative paths are relative to the workspace), e.g. after actions/checkout.',
    );
  }
  if (!st.isDirectory())
    throw new ConfigurationError(
      `Input "working-directory": ${JSON.stringify(dir)} is a file, not a directory. ${nothing}`,
    );
  try {
    accessSync(dir, constants.X_OK);
  } catch {
    throw new ConfigurationError(
      `Input "working-directory": ${JSON.stringify(dir)} cannot be entered by this job's user (no search permission). ${nothing}`,
    );
  }
  const bash = (env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((d) => path.join(d, 'bash'))
    .find((f) => {
      try {
        accessSync(f, constants.X_OK);
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
  if (!bash)
    throw new ConfigurationError(
      `bash was not found on PATH (${JSON.stringify(env.PATH ?? '')}): the deploy commands run with bash, as run: steps do. ${nothing}`,
      'Install bash on the runner (or use an image that has it), or fix PATH for this step.',
    );
}
