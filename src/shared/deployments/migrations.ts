/**
 * The migrations hand-off: what a deployment records about the schema migrations applied for it (in the GitHub
 * deployment's payload, as `migrations`), read from run-migrations' `report` output (deploy's `migrations` input).
 *
 * The release plan reads it back from the Deployments API, where no database is in reach: the schema version
 * live on an environment (`to` of its live deployment) and what each migration took on the soak environment
 * (`applied` of that environment's deployments). So the record is compact and bounded: at most
 * `MIGRATION_LIMITS.applied` migrations (the last ones applied; `omitted` counts the rest), every string
 * clipped, no control characters.
 *
 * A report that is not JSON, or not a run-migrations report, is refused (ConfigurationError naming the input,
 * before anything is done), as is one taken on another environment. A well-formed report that does not say what
 * the schema now is (a failed run, or a mode other than `apply`) is ignored with a reason: the deploy goes on,
 * and the deployment records no migrations rather than a schema version the database may not have.
 */
import { z } from 'zod';
import { ConfigurationError } from '../../core/errors.js';
import { quote } from '../../core/inputs.js';
import { CONTROL_CHARS } from '../../core/safe-line.js';

export const MIGRATION_LIMITS = {
  /** Migrations listed in `applied` (the last ones applied). */
  applied: 50,
  version: 64,
  name: 100,
  tool: 32,
} as const;

/** One applied migration as the payload records it. */
export interface AppliedMigration {
  version: string;
  name: string;
  /** How long it took, in whole milliseconds (absent when the tool did not say). */
  durationMs?: number;
}

/** Stored in the deployment payload as `migrations`. Read back by the release plan (release.yml). */
export interface MigrationsRecord {
  /** run-migrations' tool: sql, dbmate, knex, alembic… */
  tool: string;
  /** Schema version before the run (absent when the tool could not tell). */
  from?: string;
  /** Schema version after the run: what the environment's database is at once this deployment is live. */
  to?: string;
  /** The migrations this run applied, in the order applied (the last `MIGRATION_LIMITS.applied` of them). */
  applied: AppliedMigration[];
  /** Applied migrations left out of `applied` (the earliest ones), when there were more than the limit. */
  omitted?: number;
}

export type MigrationsHandoff =
  { record: MigrationsRecord; ignored?: undefined } | { record?: undefined; ignored: string };

/** The part of run-migrations' report the hand-off reads (the report holds more). */
const reportPart = z.object({
  mode: z.enum(['status', 'dry-run', 'apply', 'down']),
  tool: z.string(),
  environment: z.string().nullish(),
  passed: z.boolean(),
  previousVersion: z.string().nullish(),
  currentVersion: z.string().nullish(),
  migrations: z.array(
    z.object({
      version: z.union([z.string(), z.number()]),
      name: z.string().nullish(),
      status: z.string(),
      durationMs: z.number().nonnegative().nullish(),
    }),
  ),
});

type ReportPart = z.output<typeof reportPart>;

/** One line, no control characters, at most `max` characters (an ellipsis says it was clipped). */
export function clip(value: string, max: number): string {
  const s = value.replace(new RegExp(CONTROL_CHARS.source, 'g'), ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The payload's `migrations` from a report that applied them (see `parseMigrationsHandoff` for the checks). */
export function compactMigrations(report: ReportPart): MigrationsRecord {
  const applied = report.migrations
    .filter((m) => m.status === 'applied')
    .map((m): AppliedMigration => {
      const out: AppliedMigration = {
        version: clip(String(m.version), MIGRATION_LIMITS.version),
        name: clip(m.name ?? '', MIGRATION_LIMITS.name),
      };
      if (typeof m.durationMs === 'number' && Number.isFinite(m.durationMs))
        out.durationMs = Math.round(m.durationMs);
      return out;
    });
  const omitted = Math.max(0, applied.length - MIGRATION_LIMITS.applied);
  const version = (v: string | null | undefined) => {
    const s = clip(v ?? '', MIGRATION_LIMITS.version);
    return s === '' ? undefined : s;
  };
  const record: MigrationsRecord = {
    tool: clip(report.tool, MIGRATION_LIMITS.tool) || 'unknown',
    applied: [],
  };
  const from = version(report.previousVersion);
  const to = version(report.currentVersion);
  if (from !== undefined) record.from = from;
  if (to !== undefined) record.to = to;
  record.applied = applied.slice(omitted);
  if (omitted) record.omitted = omitted;
  return record;
}

const HINT =
  "Pass run-migrations' report output from the same job, e.g. migrations: ${{ steps.migrate.outputs.report }}.";

/**
 * Parse the `migrations` input: run-migrations' report (JSON). Throws a ConfigurationError naming `inputName`
 * when it is not JSON, not a run-migrations report, or a report of another environment; returns the reason it
 * is ignored when the report does not describe an applied schema (failed, or not mode `apply`).
 */
export function parseMigrationsHandoff(
  value: string,
  o: { inputName: string; environment: string },
): MigrationsHandoff {
  const v = value.trim();
  let raw: unknown;
  try {
    raw = JSON.parse(v);
  } catch (e) {
    throw new ConfigurationError(
      `Input "${o.inputName}": expected run-migrations' report (JSON), got ${quote(v, 60)}, which is not valid JSON (${clip(e instanceof Error ? e.message : String(e), 120)}). Nothing was deployed.`,
      HINT,
    );
  }
  const r = reportPart.safeParse(raw);
  if (!r.success)
    throw new ConfigurationError(
      `Input "${o.inputName}": the JSON given is not a run-migrations report: ${z
        .prettifyError(r.error)
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 4)
        .map((l) => clip(l, 160))
        .join('; ')}. Nothing was deployed.`,
      HINT,
    );
  const report = r.data;
  const env = report.environment ? clip(report.environment, 255) : '';
  if (env && env !== 'default' && env !== o.environment)
    throw new ConfigurationError(
      `Input "${o.inputName}": the migrations were run on the environment ${quote(env)}, and this deploy is to ${quote(o.environment)}. Nothing was deployed.`,
      'Pass the report of the migrations run for this environment.',
    );
  if (report.mode !== 'apply')
    return {
      ignored: `the report is of mode "${report.mode}", not "apply": it applied nothing, so the deployment records no migrations`,
    };
  if (!report.passed)
    return {
      ignored:
        'the migrations run did not pass: the schema version is uncertain, so the deployment records no migrations',
    };
  return { record: compactMigrations(report) };
}
