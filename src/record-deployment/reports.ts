/**
 * The JSON `report` outputs of the other actions, read leniently: enough fields to tell which action wrote a
 * report, the rest optional, unknown fields kept. A report that is not JSON, or is another action's report, is a
 * ConfigurationError naming the input.
 */
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import { quote } from '../core/inputs.js';
import type { DeploymentRecord } from './record.js';

export const deployReportSchema = z.looseObject({
  status: z.enum(['success', 'failure', 'rolled-back']),
  environment: z.string(),
  version: z.string(),
  strategy: z.string(),
  provider: z.string(),
  phases: z.array(z.unknown()),
  previousVersion: z.string().optional(),
  deploymentId: z.number().optional(),
  durationMs: z.number().optional(),
  rollback: z
    .looseObject({
      needed: z.boolean(),
      attempted: z.boolean(),
      ok: z.boolean(),
      description: z.string(),
    })
    .optional(),
});

export const smokeReportSchema = z.looseObject({
  passed: z.boolean(),
  failedCount: z.number(),
  errorRate: z.number(),
  checks: z.array(z.looseObject({ name: z.string(), passed: z.boolean() })),
  p95Ms: z.number().optional(),
  environment: z.string().optional(),
  command: z.looseObject({ passed: z.boolean().optional(), command: z.string().optional() }).optional(),
  monitor: z
    .looseObject({
      windowMs: z.number(),
      maxErrorRate: z.number().optional(),
      maxP95Ms: z.number().optional(),
    })
    .optional(),
});

export const migrationsReportSchema = z.looseObject({
  mode: z.enum(['status', 'dry-run', 'apply', 'down']),
  tool: z.string(),
  passed: z.boolean(),
  previousVersion: z.string(),
  currentVersion: z.string(),
  migrations: z.array(
    z.looseObject({
      version: z.string(),
      name: z.string(),
      status: z.string(),
      durationMs: z.number().optional(),
    }),
  ),
  durationMs: z.number(),
});

export const backupReportSchema = z.looseObject({
  mode: z.literal('backup'),
  passed: z.boolean(),
  path: z.string(),
  sha256: z.string(),
  createdAt: z.string().optional(),
  verification: z.looseObject({
    level: z.string(),
    passed: z.boolean().optional(),
    detail: z.string().optional(),
  }),
});

/** rollback's report: the version put back, how, whether the database was restored, the incident issue. */
const rollbackAppliedSchema = z.looseObject({
  status: z.enum(['success', 'failure']),
  mode: z.literal('apply'),
  environment: z.string(),
  version: z.string(),
  rolledBackVersion: z.string(),
  rolledBackDeploymentId: z.number(),
  method: z.string(),
  databaseRestored: z.boolean(),
  reason: z.string(),
  deploymentId: z.number().optional(),
  durationMs: z.number().optional(),
  trafficRestoredMs: z.number().optional(),
  incidentUrl: z.string().optional(),
  failure: z.looseObject({ phase: z.string(), reason: z.string() }).optional(),
  needsHuman: z.string().optional(),
});
/** rollback's report when it refused before changing anything. */
const rollbackRefusedSchema = z.looseObject({
  status: z.literal('refused'),
  environment: z.string(),
  reason: z.string(),
});
export const rollbackReportSchema = z.union([rollbackAppliedSchema, rollbackRefusedSchema]);

export type DeployReportIn = z.output<typeof deployReportSchema>;
export type SmokeReportIn = z.output<typeof smokeReportSchema>;
export type MigrationsReportIn = z.output<typeof migrationsReportSchema>;
export type BackupReportIn = z.output<typeof backupReportSchema>;
export type RollbackReportIn = z.output<typeof rollbackReportSchema>;

const KINDS = {
  'deploy-report': [deployReportSchema, 'deploy'],
  'smoke-report': [smokeReportSchema, 'smoke-test'],
  'migrations-report': [migrationsReportSchema, 'run-migrations'],
  'backup-report': [backupReportSchema, 'backup-db (mode backup)'],
  'rollback-report': [rollbackReportSchema, 'rollback (mode apply)'],
} as const;

/** Parses the `name` input: a JSON report of the matching action, or undefined when not given. */
export function parseReport<N extends keyof typeof KINDS>(
  name: N,
  raw: string | undefined,
): z.output<(typeof KINDS)[N][0]> | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const [schema, action] = KINDS[name];
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch (e) {
    throw new ConfigurationError(
      `Input "${name}": is not JSON (${e instanceof Error ? e.message : String(e)}); got ${quote(raw, 60)}.`,
      `Pass the \`report\` output of the ${action} step, e.g. \${{ steps.<id>.outputs.report }}.`,
    );
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const missing = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ConfigurationError(
      `Input "${name}": is not a ${action} report (${missing}); got ${quote(raw, 60)}.`,
      `Pass the \`report\` output of the ${action} step, e.g. \${{ steps.<id>.outputs.report }}.`,
    );
  }
  return r.data as z.output<(typeof KINDS)[N][0]>;
}

export interface Reports {
  deploy?: DeployReportIn;
  smoke?: SmokeReportIn;
  migrations?: MigrationsReportIn;
  backup?: BackupReportIn;
  rollback?: RollbackReportIn;
}

/** The record's `validation` from the reports given. */
export function validation(r: Reports): DeploymentRecord['validation'] {
  const out: DeploymentRecord['validation'] = {};
  const s = r.smoke;
  if (s) {
    const http = s.checks;
    out.health = {
      passed: http.every((c) => c.passed),
      checks: http.length,
      failed: http.filter((c) => !c.passed).length,
    };
    if (s.monitor) {
      const maxRate = s.monitor.maxErrorRate === undefined ? undefined : s.monitor.maxErrorRate * 100;
      out.performance = {
        passed:
          (maxRate === undefined || s.errorRate <= maxRate) &&
          (s.monitor.maxP95Ms === undefined || s.p95Ms === undefined || s.p95Ms <= s.monitor.maxP95Ms),
        errorRate: s.errorRate,
        p95Ms: s.p95Ms,
        maxErrorRate: maxRate,
        maxP95Ms: s.monitor.maxP95Ms,
        windowMs: s.monitor.windowMs,
      };
    }
    if (s.command) {
      const passed = s.command.passed ?? s.passed;
      out.business = {
        passed,
        detail: `${s.command.command ?? 'smoke command'}: ${passed ? 'passed' : 'failed'}`,
      };
    }
  }
  const m = r.migrations;
  if (m) {
    out.migrations = {
      passed: m.passed,
      tool: m.tool,
      from: m.previousVersion,
      to: m.currentVersion,
      applied: m.migrations
        .filter((x) => x.status === 'applied')
        .map((x) => ({ version: x.version, name: x.name, durationMs: x.durationMs })),
      durationMs: m.durationMs,
    };
  }
  const b = r.backup;
  if (b) {
    const v = b.verification;
    out.backup = {
      file: b.path.split(/[\\/]/).at(-1) ?? b.path,
      sha256: b.sha256,
      createdAt: b.createdAt,
      verified:
        v.passed === undefined
          ? 'none'
          : `${v.level}: ${v.passed ? 'passed' : 'FAILED'}${v.detail ? ` (${v.detail})` : ''}`,
      passed: b.passed,
    };
  }
  return out;
}
