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
