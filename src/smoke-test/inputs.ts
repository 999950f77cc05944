/** smoke-test's inputs: the zod schema keyed by action.yml's input names, and the config they resolve to. */
import { z } from 'zod';
import { checksSchema, nameChecks, type CheckSpec } from '../core/checks.js';
import { ConfigurationError } from '../core/errors.js';
import {
  duration,
  HOUR,
  MINUTE,
  httpUrl,
  integer,
  name,
  optional,
  parseInputs,
  percent,
  readRawInputs,
  text,
  yaml,
  type RawInputs,
} from '../core/inputs.js';
import { firstDefined, type LoadedRunbook } from '../core/runbook.js';

export const inputSchema = z.object({
  url: optional(httpUrl()),
  checks: optional(yaml(checksSchema)),
  command: optional(text()),
  'working-directory': optional(text()),
  timeout: optional(duration({ min: 1, max: 24 * HOUR })),
  'request-timeout': optional(duration({ min: 1, max: 10 * MINUTE })),
  concurrency: optional(integer(1, 100)),
  monitor: optional(duration({ max: 24 * HOUR })),
  'monitor-interval': optional(duration({ max: HOUR })),
  'max-error-rate': optional(percent()),
  'max-p95': optional(duration({ max: 10 * MINUTE })),
  environment: optional(name('an environment name', 255)),
  runbook: z.string(),
});

export type SmokeInputs = z.output<typeof inputSchema>;

export const DEFAULTS = {
  timeoutMs: 120_000,
  requestTimeoutMs: 10_000,
  concurrency: 10,
  monitorIntervalMs: 10_000,
  maxErrorRate: 0.01,
} as const;

export interface SmokeConfig {
  checks: CheckSpec[];
  command?: string;
  workingDirectory: string;
  timeoutMs: number;
  requestTimeoutMs: number;
  concurrency: number;
  monitorMs: number;
  monitorIntervalMs: number;
  maxErrorRate: number;
  maxP95Ms?: number;
  environment?: string;
  /** The runbook file the config was merged from, if any. */
  runbookFile?: string;
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): SmokeInputs {
  return parseInputs(inputSchema, raw);
}

/** Merge inputs over the runbook's smoke section over the defaults, and check the result makes sense. */
export function resolveConfig(
  inputs: SmokeInputs,
  runbook: LoadedRunbook | undefined,
  workspace: string,
): SmokeConfig {
  const env = runbook?.environment;
  const file = env?.smoke ?? {};
  const checks = [...(inputs.checks ?? (inputs.url ? [] : (file.checks ?? [])))];
  if (inputs.url) checks.unshift(checksSchema.element.parse({ url: inputs.url }));
  if (!checks.length && !inputs.command && !file.command && env?.url)
    checks.push(checksSchema.element.parse({ url: env.url }));

  const command = firstDefined(inputs.command, file.command);
  if (!checks.length && !command) {
    throw new ConfigurationError(
      'Nothing to check: give the input "url", "checks" or "command"' +
        (inputs.environment
          ? `, or a smoke section for environment "${inputs.environment}" in the runbook file.`
          : '.'),
    );
  }
  const monitorMs = firstDefined(inputs.monitor, file.monitor) ?? 0;
  const monitorIntervalMs =
    firstDefined(inputs['monitor-interval'], file['monitor-interval']) ?? DEFAULTS.monitorIntervalMs;
  if (monitorMs > 0 && monitorIntervalMs <= 0)
    throw new ConfigurationError('Input "monitor-interval": must be more than 0 when "monitor" is set.');
  if (monitorMs > 0 && !checks.length)
    throw new ConfigurationError(
      'Input "monitor": monitoring probes HTTP checks; give "url" or "checks" as well.',
    );

  return {
    checks: nameChecks(checks),
    command,
    workingDirectory: inputs['working-directory'] ?? workspace,
    timeoutMs: firstDefined(inputs.timeout, file.timeout) ?? DEFAULTS.timeoutMs,
    requestTimeoutMs:
      firstDefined(inputs['request-timeout'], file['request-timeout']) ?? DEFAULTS.requestTimeoutMs,
    concurrency: firstDefined(inputs.concurrency, file.concurrency) ?? DEFAULTS.concurrency,
    monitorMs,
    monitorIntervalMs,
    maxErrorRate: firstDefined(inputs['max-error-rate'], file['max-error-rate']) ?? DEFAULTS.maxErrorRate,
    maxP95Ms: firstDefined(inputs['max-p95'], file['max-p95']),
    environment: inputs.environment,
    runbookFile: env ? runbook?.file : undefined,
  };
}
