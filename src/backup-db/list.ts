/**
 * mode: list — the environment's recent backups: the workflow artifacts the reusable workflow uploads as
 * `backup-<environment>-<run id>`, newest first, with their age, size, run, whether they are still within the
 * retention, and the release (GitHub deployment) each one preceded: the deployment whose payload's
 * `backup.runId` is the artifact's run (recorded by deploy's `backup` input).
 *
 * Bounded: at most 5 pages of artifacts (GitHub cannot filter by prefix) and one page of 100 deployments.
 */
import type { RunContext } from '../core/context.js';
import { createOctokit, listArtifacts, toGitHubError, type GitHubClient } from '../core/github.js';
import { ICON, Summary } from '../core/report.js';
import { formatBytes } from './backup.js';
import { DEFAULTS, type BackupConfig } from './inputs.js';

/** Rows in the summary table ("Shows recent backups (last 5)"); the JSON output has up to DEFAULTS.listMax. */
export const LIST_SHOWN = 5;

export interface ListedBackup {
  artifact: string;
  id: number;
  runId?: number;
  runUrl?: string;
  createdAt: string;
  ageSeconds: number;
  sizeBytes: number;
  /** GitHub has deleted the artifact (its own retention ran out): it can no longer be downloaded. */
  expired: boolean;
  expiresAt?: string;
  /** Younger than the retention and not expired: a backup to restore from. */
  withinRetention: boolean;
  /** The release this backup was taken for, when a deployment records it. */
  deployment?: { id: number; version?: string; ref: string; createdAt: string };
}

export interface ListResult {
  environment: string;
  retentionDays: number;
  backups: ListedBackup[];
  /** Deployments looked at to match backups with releases. */
  deploymentsScanned: number;
  durationMs: number;
}

export type ListContext = Pick<RunContext, 'repo' | 'log' | 'clock' | 'secrets'>;

/** `backup-<environment>-<run id>` (an optional `-<attempt>` after it). */
export function isBackupArtifact(name: string, environment: string): boolean {
  const prefix = `backup-${environment}-`;
  return name.startsWith(prefix) && /^\d+(-\d+)?$/.test(name.slice(prefix.length));
}

function payloadOf(p: unknown): Record<string, unknown> {
  let v = p;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/** Deployments of the environment (one page of 100) by the run id of the backup their payload records. */
async function releasesByBackupRun(
  octokit: GitHubClient,
  target: { owner: string; repo: string },
  environment: string,
): Promise<{ byRun: Map<number, NonNullable<ListedBackup['deployment']>>; scanned: number }> {
  let data;
  try {
    ({ data } = await octokit.rest.repos.listDeployments({ ...target, environment, per_page: 100 }));
  } catch (err) {
    throw toGitHubError(err, `Listing deployments of ${environment}`, {
      ...target,
      permission: 'deployments=read',
      notFound: 'the repository was',
    });
  }
  const byRun = new Map<number, NonNullable<ListedBackup['deployment']>>();
  for (const d of data) {
    const p = payloadOf(d.payload);
    const b = p.backup && typeof p.backup === 'object' ? (p.backup as Record<string, unknown>) : undefined;
    const runId = typeof b?.runId === 'number' ? b.runId : Number(b?.runId);
    if (!Number.isSafeInteger(runId) || byRun.has(runId)) continue; // newest first: keep the newest
    byRun.set(runId, {
      id: d.id,
      version: typeof p.version === 'string' ? p.version : undefined,
      ref: d.ref,
      createdAt: d.created_at,
    });
  }
  return { byRun, scanned: data.length };
}

export async function listBackups(config: BackupConfig, ctx: ListContext): Promise<ListResult> {
  const started = ctx.clock.now();
  const target = { owner: ctx.repo.owner, repo: ctx.repo.repo };
  const octokit = createOctokit({ token: config.token!, baseUrl: ctx.repo.apiUrl, log: ctx.log });
  const prefix = `backup-${config.environment}-`;
  const artifacts = (
    await listArtifacts(octokit, target, { namePrefix: prefix, max: DEFAULTS.listMax * 2, maxPages: 5 })
  )
    .filter((a) => isBackupArtifact(a.name, config.environment))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)
    .slice(0, DEFAULTS.listMax);
  const { byRun, scanned } = artifacts.length
    ? await releasesByBackupRun(octokit, target, config.environment)
    : { byRun: new Map(), scanned: 0 };
  const now = ctx.clock.date().getTime();
  const retentionMs = config.retentionDays * 86_400_000;
  const server = ctx.repo.serverUrl.replace(/\/+$/, '');
  const backups = artifacts.map((a): ListedBackup => {
    const ageMs = Math.max(0, now - Date.parse(a.createdAt));
    return {
      artifact: a.name,
      id: a.id,
      runId: a.runId,
      runUrl:
        a.runId && server ? `${server}/${target.owner}/${target.repo}/actions/runs/${a.runId}` : undefined,
      createdAt: a.createdAt,
      ageSeconds: Math.round(ageMs / 1000),
      sizeBytes: a.sizeBytes,
      expired: a.expired,
      expiresAt: a.expiresAt,
      withinRetention: !a.expired && ageMs < retentionMs,
      deployment: a.runId !== undefined ? byRun.get(a.runId) : undefined,
    };
  });
  ctx.log.info(
    `${backups.length} backup artifact(s) of ${config.environment} (${backups.filter((b) => b.withinRetention).length} within the ${config.retentionDays}-day retention); ${scanned} deployment(s) scanned for the releases they preceded.`,
  );
  return {
    environment: config.environment,
    retentionDays: config.retentionDays,
    backups,
    deploymentsScanned: scanned,
    durationMs: Math.round(ctx.clock.now() - started),
  };
}

export function listReport(r: ListResult) {
  return {
    mode: 'list' as const,
    passed: true,
    environment: r.environment,
    retentionDays: r.retentionDays,
    backups: r.backups,
    deploymentsScanned: r.deploymentsScanned,
    durationMs: r.durationMs,
  };
}

export function listOutputs(r: ListResult): Record<string, string | number> {
  const newest = r.backups.find((b) => b.withinRetention);
  return {
    backups: JSON.stringify(r.backups),
    count: r.backups.length,
    'retention-days': r.retentionDays,
    'duration-ms': r.durationMs,
    'created-at': newest?.createdAt ?? '',
    'size-bytes': newest?.sizeBytes ?? '',
  };
}

/** `45s`, `12m`, `5h`, `3d`: ages as a person reads them. */
export function shortAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

export function listSummary(r: ListResult): Summary {
  const shown = r.backups.slice(0, LIST_SHOWN);
  const s = new Summary().heading(`${ICON.info} Recent backups of ${r.environment} (last ${LIST_SHOWN})`);
  if (!shown.length) {
    s.paragraph(
      `No backup artifact named \`backup-${r.environment}-<run id>\` in this repository. The reusable deploy workflow uploads one before each release.`,
    );
    return s;
  }
  s.table(
    ['Artifact', 'Taken', 'Age', 'Size', 'Run', 'Release it preceded', 'Retention'],
    shown.map((b) => [
      `\`${b.artifact}\``,
      b.createdAt,
      shortAge(b.ageSeconds),
      formatBytes(b.sizeBytes),
      b.runId === undefined ? '' : b.runUrl ? `[${b.runId}](${b.runUrl})` : b.runId,
      b.deployment ? `${b.deployment.version ?? b.deployment.ref} (deployment ${b.deployment.id})` : '',
      b.expired
        ? `${ICON.fail} expired (deleted by GitHub)`
        : b.withinRetention
          ? `${ICON.pass} within ${r.retentionDays} days`
          : `${ICON.warn} older than ${r.retentionDays} days`,
    ]),
  );
  if (r.backups.length > shown.length)
    s.paragraph(`${r.backups.length - shown.length} older backup(s) in the \`backups\` output.`);
  return s;
}
