/** record-deployment's inputs: the zod schema keyed by action.yml's input names, and the config they resolve to. */
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import {
  DAY,
  duration,
  formatDuration,
  integer,
  oneOf,
  optional,
  parseInputs,
  quote,
  readRawInputs,
  text,
  type RawInputs,
} from '../core/inputs.js';
import { firstDefined, type LoadedRunbook } from '../core/runbook.js';
import { RECORD_STATUSES, type RecordStatus } from './record.js';
import { parseReport, type Reports } from './reports.js';

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** One line of text without control characters (they could forge workflow commands or break the record). */
const line = (what: string) =>
  text().refine((v) => !CONTROL_OR_NEWLINE.test(v) && v.length <= 256, {
    message: `expected ${what} on one line, at most 256 characters, without control characters`,
  });

const environmentName = () =>
  line('an environment name').refine((v) => /^[^/\\.-][^/\\]{0,254}$/.test(v), {
    message: 'expected an environment name such as production (no "/" or "\\", not starting with "-" or ".")',
  });

/** A git branch name GitHub accepts, never one that reads as an option. */
const branchName = () =>
  text().refine(
    (v) => /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/.test(v) && !/\.\.|\/\/|\/$|\.lock$|\/\.|@\{/.test(v),
    { message: 'expected a branch name such as deployment-records' },
  );

export const inputSchema = z.object({
  environment: environmentName(),
  'deployment-id': optional(integer(1)),
  status: optional(oneOf(RECORD_STATUSES)),
  version: optional(line('a version')),
  'deploy-report': z.string(),
  'smoke-report': z.string(),
  'migrations-report': z.string(),
  'backup-report': z.string(),
  'rollback-report': z.string(),
  ticket: optional(line('a ticket reference')),
  notes: optional(
    text().refine((v) => !CONTROL.test(v), { message: 'expected text without control characters' }),
  ),
  'store-branch': optional(branchName()),
  // Not a timer: the 90-day limit is checked in resolveConfig with GitHub's reason.
  'dora-window': optional(duration({ max: 366 * DAY })),
  token: optional(text()),
  runbook: z.string(),
});

export type RecordInputs = z.output<typeof inputSchema>;

export const DEFAULTS = { doraWindowMs: 30 * 86_400_000 } as const;
/** GitHub deletes deployment statuses older than 90 days: a longer window would count deployments without outcome. */
export const MAX_DORA_WINDOW_MS = 90 * 86_400_000;

export interface RecordConfig {
  environment: string;
  deploymentId?: number;
  status?: RecordStatus;
  version?: string;
  reports: Reports;
  ticket?: string;
  notes?: string;
  storeBranch?: string;
  /** 0 = DORA off. */
  doraWindowMs: number;
  token: string;
  runbookFile?: string;
}

export function getInputs(raw: RawInputs = readRawInputs(Object.keys(inputSchema.shape))): RecordInputs {
  return parseInputs(inputSchema, raw, { secret: ['token'] });
}

/** Merge inputs over the runbook's record section over the defaults; every input problem surfaces here. */
export function resolveConfig(inputs: RecordInputs, runbook: LoadedRunbook | undefined): RecordConfig {
  const file = runbook?.environment?.record ?? {};
  const doraWindowMs = firstDefined(inputs['dora-window'], file['dora-window']) ?? DEFAULTS.doraWindowMs;
  if (doraWindowMs > MAX_DORA_WINDOW_MS) {
    const from =
      inputs['dora-window'] !== undefined ? 'Input "dora-window"' : `The runbook's record.dora-window`;
    throw new ConfigurationError(
      `${from}: at most 90d (GitHub deletes deployment statuses older than 90 days), got ${formatDuration(doraWindowMs)}.`,
      'Use a window such as 30d, or 0 to turn DORA metrics off.',
    );
  }
  if (doraWindowMs > 0 && doraWindowMs < 86_400_000)
    throw new ConfigurationError(
      `Input "dora-window": at least 1d (frequencies are per day), or 0 for off; got ${formatDuration(doraWindowMs)}.`,
    );
  if (!inputs.token)
    throw new ConfigurationError(
      'Input "token": empty; the action reads deployments with it (default github.token).',
    );
  const reports: Reports = {
    deploy: parseReport('deploy-report', inputs['deploy-report']),
    smoke: parseReport('smoke-report', inputs['smoke-report']),
    migrations: parseReport('migrations-report', inputs['migrations-report']),
    backup: parseReport('backup-report', inputs['backup-report']),
    rollback: parseReport('rollback-report', inputs['rollback-report']),
  };
  for (const [name, env] of [
    ['deploy-report', reports.deploy?.environment],
    ['smoke-report', reports.smoke?.environment],
    ['rollback-report', reports.rollback?.environment],
  ] as const) {
    if (env && env !== inputs.environment)
      throw new ConfigurationError(
        `Input "${name}": is a report for environment ${quote(env)}, but "environment" is ${quote(inputs.environment)}.`,
      );
  }
  const deploymentId = inputs['deployment-id'] ?? reports.deploy?.deploymentId;
  return {
    environment: inputs.environment,
    deploymentId,
    status: inputs.status,
    version: inputs.version,
    reports,
    ticket: inputs.ticket,
    notes: inputs.notes,
    storeBranch: firstDefined(inputs['store-branch'], file['store-branch']),
    doraWindowMs,
    token: inputs.token,
    runbookFile: runbook?.environment ? runbook.file : undefined,
  };
}
