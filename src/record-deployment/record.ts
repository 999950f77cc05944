/**
 * The deployment record: what the seeds' runbooks fill in by hand at the end of every release (seed 000's
 * template, seed 002's JSON line), written from facts. This zod schema is the single source: the JSON Schema in
 * schema/deployment-record.schema.json is generated from it (scripts/gen-schema.ts).
 */
import { z } from 'zod';

export const RECORD_STATUSES = ['success', 'failure', 'rolled-back'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

/** GitHub's compare API lists at most this many commits; above it the record keeps the count and a link. */
export const MAX_LISTED_CHANGES = 250;

const isoTime = z.iso.datetime({ offset: true }).describe('ISO-8601 time (UTC)');

export const changeSchema = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  message: z.string().describe('First line of the commit message'),
  author: z.string().describe('GitHub login of the author, else the git author name'),
  date: isoTime.optional().describe('Commit time (committer date)'),
  pr: z.number().int().positive().optional().describe('Pull request number, from a merge or squash message'),
});

export const recordSchema = z
  .object({
    schemaVersion: z.literal(1),
    id: z
      .string()
      .regex(/^DEP-\d{4}-\d{2}-\d{2}-\d{3,}$/)
      .describe('DEP-YYYY-MM-DD-NNN: NNN is 1 + the deployments of the environment earlier that UTC day'),
    deploymentId: z.number().int().describe('GitHub deployment id'),
    timestamp: isoTime.describe('When the deployment was created'),
    finishedAt: isoTime.optional().describe('When it reached its final status'),
    environment: z.string(),
    version: z.string(),
    commit: z.string(),
    ref: z.string(),
    tag: z.string().optional().describe('A tag pointing at the commit, when one does'),
    operator: z.string().describe('Who deployed (the workflow actor)'),
    strategy: z.string().optional(),
    status: z.enum(RECORD_STATUSES),
    ticket: z.string().optional(),
    notes: z.string().optional().describe('Issues encountered'),
    rollback: z.object({
      executed: z.boolean(),
      to: z.string().optional().describe('The version put back'),
      how: z.string().optional().describe('automatic (deploy) or the rollback action, with its reason'),
      status: z
        .enum(['success', 'failure', 'refused'])
        .optional()
        .describe("The rollback action's outcome (from rollback-report); refused: it changed nothing"),
      method: z
        .string()
        .optional()
        .describe('switch-back, redeploy, rollback-command… (from rollback-report)'),
      databaseRestored: z.boolean().optional().describe('Whether the rollback restored the database'),
      trafficRestoredMs: z
        .number()
        .optional()
        .describe('From the rollback step starting until traffic was on the version put back'),
      deploymentId: z.number().int().optional().describe('The rollback deployment'),
      incident: z.string().optional().describe('The incident issue the rollback opened'),
      failure: z.string().optional().describe('Where and why the rollback failed'),
    }),
    approvals: z.array(
      z.object({
        login: z.string(),
        state: z.string().describe('approved, rejected or pending'),
        comment: z.string(),
        environments: z.array(z.string()),
      }),
    ),
    changes: z.object({
      base: z.string().optional().describe('Commit of the previous successful deployment'),
      total: z.number().int().nonnegative(),
      complete: z.boolean().describe('false when GitHub lists only part of the commits; see url'),
      url: z.string().optional().describe('The comparison on GitHub'),
      commits: z.array(changeSchema),
    }),
    validation: z.object({
      health: z
        .object({ passed: z.boolean(), checks: z.number().int(), failed: z.number().int() })
        .optional()
        .describe('Smoke checks'),
      performance: z
        .object({
          passed: z.boolean(),
          errorRate: z.number().describe('Percent of failed requests'),
          p95Ms: z.number().optional(),
          maxErrorRate: z.number().optional().describe('Percent'),
          maxP95Ms: z.number().optional(),
          windowMs: z.number().optional(),
        })
        .optional()
        .describe('The smoke monitoring window (error rate, p95)'),
      business: z
        .object({ passed: z.boolean(), detail: z.string() })
        .optional()
        .describe('Business functions: the smoke command (e.g. a functional test suite)'),
      migrations: z
        .object({
          passed: z.boolean(),
          tool: z.string(),
          from: z.string(),
          to: z.string(),
          applied: z.array(
            z.object({ version: z.string(), name: z.string(), durationMs: z.number().optional() }),
          ),
          durationMs: z.number(),
        })
        .optional(),
      backup: z
        .object({
          file: z.string(),
          sha256: z.string(),
          createdAt: z.string().optional(),
          verified: z.string().describe('How the backup was verified: none, list or restore, and the result'),
          passed: z.boolean(),
        })
        .optional(),
    }),
    links: z.object({
      run: z.string().optional(),
      deployment: z.string(),
      environment: z.string().optional(),
      compare: z.string().optional(),
    }),
    durationMs: z.number().optional().describe('From the deployment to its final status'),
    leadTimeMs: z.number().optional().describe("From the oldest change's commit time to the record"),
  })
  .describe('deploy-runbook deployment record');

export type DeploymentRecord = z.output<typeof recordSchema>;
export type Change = z.output<typeof changeSchema>;

/** `DEP-2026-12-01-003` for the third deployment of the environment on 2026-12-01 (UTC). */
export function recordId(createdAt: string, earlierThatDay: number): string {
  return `DEP-${createdAt.slice(0, 10)}-${String(earlierThatDay + 1).padStart(3, '0')}`;
}

/** How many of `deployments` were created earlier the same UTC day as `self` (ties broken by id). */
export function earlierSameDay(
  self: { id: number; created_at: string },
  deployments: ReadonlyArray<{ id: number; created_at: string }>,
): number {
  const day = new Date(self.created_at).toISOString().slice(0, 10);
  const t = Date.parse(self.created_at);
  return deployments.filter((d) => {
    if (d.id === self.id) return false;
    const dt = Date.parse(d.created_at);
    return new Date(dt).toISOString().slice(0, 10) === day && (dt < t || (dt === t && d.id < self.id));
  }).length;
}

/** The pull request number in a merge (`Merge pull request #12 from ...`) or squash (`Title (#12)`) message. */
export function prNumber(message: string): number | undefined {
  const first = message.split('\n', 1)[0] ?? '';
  const m = /^Merge pull request #(\d+)\b/.exec(first) ?? /\(#(\d+)\)\s*$/.exec(first);
  return m ? Number(m[1]) : undefined;
}
