/**
 * The deployment settings deploy and rollback share: strategy names, the provider's commands, the two slots and
 * the public checks, each read from the action's input of the same name or the runbook's `deploy` section.
 */
import { z } from 'zod';
import { checkSchema, checksSchema, nameChecks, type CheckSpec } from '../../core/checks.js';
import { ConfigurationError } from '../../core/errors.js';
import { firstDefined, type LoadedRunbook } from '../../core/runbook.js';

export const STRATEGIES = ['rolling', 'blue-green', 'canary'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export const PROVIDERS = ['command'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const slotName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, 'expected a slot name such as blue or green');
export const slotsSchema = z.record(
  slotName,
  z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
);

export interface Slot {
  name: string;
  /** The slot's own health check (reached directly, not through the public URL). */
  check: CheckSpec;
}

export interface DeployCommands {
  deploy: string;
  switch?: string;
  weight?: string;
  rollback?: string;
}

/** What the provider, the health waits and the GitHub records need (deploy's DeployConfig has all of it). */
export interface DeploymentSettings {
  environment: string;
  strategy: StrategyName;
  provider: ProviderName;
  commands: DeployCommands;
  workingDirectory: string;
  /** Checks of the public URL (through the load balancer). */
  checks: CheckSpec[];
  /** Two slots for blue-green (required) and canary (optional); empty for rolling. */
  slots: Slot[];
  healthTimeoutMs: number;
  requestTimeoutMs: number;
  commandTimeoutMs: number;
  environmentUrl?: string;
  ref: string;
  productionEnvironment?: boolean;
  transientEnvironment?: boolean;
  requiredContexts: string[];
  token: string;
}

/** The inputs both actions read under the same names. */
export interface DeploymentSettingInputs {
  command?: string;
  'switch-command'?: string;
  'weight-command'?: string;
  'rollback-command'?: string;
  'health-url'?: string;
  slots?: Record<string, string>;
}

type DeploySection = NonNullable<NonNullable<LoadedRunbook['environment']>['deploy']>;

/** Inputs over the runbook's `deploy` section; `deploy` may be missing (the caller says whether it may). */
export function resolveCommands(
  inputs: DeploymentSettingInputs,
  file: DeploySection | Record<string, never>,
): Partial<DeployCommands> {
  return {
    deploy: firstDefined(inputs.command, file.command),
    switch: firstDefined(inputs['switch-command'], file['switch-command']),
    weight: firstDefined(inputs['weight-command'], file['weight-command']),
    rollback: firstDefined(inputs['rollback-command'], file['rollback-command']),
  };
}

const urlCheck = (url: string, name?: string) => checkSchema.parse({ url, ...(name ? { name } : {}) });

/** Public checks: health-url > runbook deploy.health-url > runbook smoke checks > runbook url. */
export function resolvePublicChecks(
  inputs: DeploymentSettingInputs,
  runbook: LoadedRunbook | undefined,
): CheckSpec[] {
  const env = runbook?.environment;
  const healthUrl = firstDefined(inputs['health-url'], env?.deploy?.['health-url']);
  return nameChecks(
    healthUrl
      ? [urlCheck(healthUrl)]
      : env?.smoke?.checks
        ? checksSchema.parse(env.smoke.checks)
        : env?.url
          ? [urlCheck(env.url)]
          : [],
  );
}

/** The `slots` input or the runbook's deploy.slots: none, or exactly two, each with its own health URL. */
export function resolveSlots(inputs: DeploymentSettingInputs, runbook: LoadedRunbook | undefined): Slot[] {
  const slotMap = firstDefined(inputs.slots, runbook?.environment?.deploy?.slots);
  const slots: Slot[] = Object.entries(slotMap ?? {}).map(([name, url]) => ({
    name,
    check: { ...urlCheck(url), name: `${name} slot` },
  }));
  if (slotMap && slots.length !== 2)
    throw new ConfigurationError(
      `Input "slots": expected exactly two slots, each with its own health URL, such as\n` +
        `  blue: http://10.0.0.5:8080/health\n  green: http://10.0.0.6:8080/health\n` +
        `got ${slots.length} (${slots.map((s) => s.name).join(', ') || 'none'}).`,
    );
  return slots;
}
