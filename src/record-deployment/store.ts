/**
 * The durable copy: `deployments/<environment>/<id>.json` and `.md` committed to the records branch through the
 * contents API (the branch is created as an orphan when missing). Another run may write at the same moment:
 * a 409 (the branch moved) is retried with backoff; a file already at our path is only replaced when it is this
 * deployment's own record (a re-run), otherwise the record takes the next free DEP-…-NNN, so no run ever
 * overwrites another's record.
 */
import type { RunContext } from '../core/context.js';
import { recordMarkdown } from './markdown.js';
import type { DeploymentRecord } from './record.js';
import { WriteRefused, type RecordGitHub } from './github.js';

export interface Stored {
  url: string;
  path: string;
  /** The record as stored (its id may have moved on when another run had taken it). */
  record: DeploymentRecord;
  markdown: string;
  attempts: number;
  createdBranch: boolean;
}

const MAX_ATTEMPTS = 6;

const README = `# Deployment records

Written by deploy-runbook's record-deployment action: one JSON record and one markdown record per deployment,
under \`deployments/<environment>/\`. The JSON follows schema/deployment-record.schema.json. Do not edit by hand.
`;

export const recordPath = (environment: string, id: string, ext: 'json' | 'md'): string =>
  `deployments/${environment}/${id}.${ext}`;

function nextId(id: string): string {
  const m = /^(.*-)(\d+)$/.exec(id)!;
  return `${m[1]}${String(Number(m[2]) + 1).padStart(3, '0')}`;
}

function ownRecord(text: string, record: DeploymentRecord): boolean {
  try {
    const other = JSON.parse(text) as { deploymentId?: unknown; environment?: unknown };
    return other.deploymentId === record.deploymentId && other.environment === record.environment;
  } catch {
    return false;
  }
}

export async function storeRecord(
  record0: DeploymentRecord,
  branch: string,
  gh: RecordGitHub,
  ctx: Pick<RunContext, 'clock' | 'log' | 'signal'>,
): Promise<Stored> {
  let record = record0;
  let createdBranch = false;
  let triedCreate = false;
  let attempts = 0;
  const message = (r: DeploymentRecord) =>
    `Deployment record ${r.id}: ${r.environment} ${r.version} (${r.status})`;

  /** Writes one file; true when written, false when the path belongs to another deployment. */
  const put = async (path: string, text: string): Promise<{ url: string } | 'taken'> => {
    for (;;) {
      attempts++;
      try {
        return await gh.writeFile(branch, path, text, message(record));
      } catch (err) {
        if (!(err instanceof WriteRefused) || attempts >= MAX_ATTEMPTS) throw err;
        if (err.kind === 'no-branch') {
          if (triedCreate || (await gh.branchExists(branch))) throw err;
          triedCreate = true;
          ctx.log.info(
            `The records branch ${branch} does not exist: creating it (an orphan branch with a README).`,
          );
          createdBranch = await gh.createOrphanBranch(branch, { 'README.md': README }, 'Deployment records');
        } else if (err.kind === 'conflict') {
          const wait = 250 * 2 ** (attempts - 1) * (0.5 + Math.random() / 2);
          ctx.log.info(
            `Another run committed to ${branch} at the same moment (${err.message}); retrying in ${Math.round(wait)} ms.`,
          );
          await ctx.clock.sleep(wait, ctx.signal);
        } else {
          const existing = await gh.readFile(branch, path);
          if (!existing) continue; // deleted in between: try again
          if (path.endsWith('.json') && !ownRecord(existing.text, record)) return 'taken';
          // Our own record from an earlier attempt of this job (or its markdown): replace it.
          attempts++;
          try {
            return await gh.writeFile(branch, path, text, message(record), existing.sha);
          } catch (e2) {
            if (!(e2 instanceof WriteRefused) || attempts >= MAX_ATTEMPTS) throw e2;
          }
        }
      }
    }
  };

  for (;;) {
    const json = `${JSON.stringify(record, null, 2)}\n`;
    const path = recordPath(record.environment, record.id, 'json');
    const written = await put(path, json);
    if (written === 'taken') {
      const moved = nextId(record.id);
      ctx.log.warning(
        `${path} on ${branch} holds another deployment's record: this one is stored as ${moved} instead.`,
      );
      record = { ...record, id: moved };
      if (attempts >= MAX_ATTEMPTS * 3)
        throw new Error(`Could not find a free record id on ${branch} after ${attempts} attempts.`);
      continue;
    }
    const markdown = recordMarkdown(record);
    const md = await put(recordPath(record.environment, record.id, 'md'), markdown);
    if (md === 'taken') throw new Error('unreachable: markdown files are always ours once the JSON is');
    return { url: written.url, path, record, markdown, attempts, createdBranch };
  }
}

/**
 * The records branch's index of the commit times each deployment shipped (`deployments/<environment>/changes.json`),
 * so DORA's lead time needs no compare for a deployment an earlier run already looked at. A cache: a missing or
 * unreadable index is empty, and a write that loses a race with another run is skipped.
 */
export const changesIndexPath = (environment: string): string => `deployments/${environment}/changes.json`;

export interface ChangesIndex {
  changes: Record<string, string[]>;
  sha?: string;
}

export async function loadChangesIndex(
  environment: string,
  branch: string,
  gh: RecordGitHub,
  log: Pick<RunContext['log'], 'info'>,
): Promise<ChangesIndex> {
  const file = await gh.readFile(branch, changesIndexPath(environment));
  if (!file) return { changes: {} };
  try {
    const parsed = JSON.parse(file.text) as { changes?: unknown };
    const changes: Record<string, string[]> = {};
    if (parsed.changes && typeof parsed.changes === 'object')
      for (const [id, dates] of Object.entries(parsed.changes as Record<string, unknown>))
        if (/^\d+$/.test(id) && Array.isArray(dates) && dates.every((d) => typeof d === 'string'))
          changes[id] = dates as string[];
    return { changes, sha: file.sha };
  } catch {
    log.info(`${changesIndexPath(environment)} on ${branch} is not JSON: rebuilding it.`);
    return { changes: {}, sha: file.sha };
  }
}

/** Writes the index when it gained entries; returns whether it did. */
export async function saveChangesIndex(
  environment: string,
  branch: string,
  before: ChangesIndex,
  changes: Record<string, string[]>,
  gh: RecordGitHub,
  log: Pick<RunContext['log'], 'info'>,
): Promise<boolean> {
  if (Object.keys(changes).every((id) => id in before.changes)) return false;
  const text = `${JSON.stringify({ schemaVersion: 1, changes }, null, 1)}\n`;
  try {
    await gh.writeFile(
      branch,
      changesIndexPath(environment),
      text,
      `DORA changes index: ${environment}`,
      before.sha,
    );
    return true;
  } catch (err) {
    if (!(err instanceof WriteRefused)) throw err;
    log.info(
      `Another run updated ${changesIndexPath(environment)} at the same moment; leaving it to that run.`,
    );
    return false;
  }
}
