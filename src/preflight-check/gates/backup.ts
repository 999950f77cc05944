/** backup: a backup of the environment younger than backup-max-age (newest artifact, or a backup-db manifest). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatDuration, quote } from '../../core/inputs.js';
import { fail, pass, type Gate } from './types.js';

function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export const backupGate: Gate = async (config, { gh, ctx }) => {
  const { maxAgeMs, prefix, manifest } = config.backup;
  const now = ctx.clock.date().getTime();
  const judge = (what: string, createdAt: string, url?: string, extra = '') => {
    const t = Date.parse(createdAt);
    if (!Number.isFinite(t)) return fail(`${what}: no valid creation time (${quote(createdAt)})`, { url });
    const age = now - t;
    const desc = `${what}, ${formatDuration(Math.max(0, age))} old${extra}`;
    if (age > maxAgeMs)
      return fail(`${desc}: older than ${formatDuration(maxAgeMs)}`, {
        url,
        details: [`Take a fresh backup (backup-db) before this change; the newest is from ${createdAt}.`],
      });
    return pass(`${desc} (max ${formatDuration(maxAgeMs)})`, { url });
  };

  if (manifest) {
    const file = path.resolve(ctx.repo.workspace, manifest);
    let m: {
      createdAt?: unknown;
      database?: unknown;
      sizeBytes?: unknown;
      verification?: { method?: unknown };
    };
    try {
      m = JSON.parse(readFileSync(file, 'utf8')) as typeof m;
    } catch (e) {
      return fail(`no readable backup manifest at ${manifest}`, {
        details: [
          `${e instanceof Error ? e.message : String(e)}. Point "backup-manifest" at the .manifest.json backup-db wrote.`,
        ],
      });
    }
    const size = typeof m.sizeBytes === 'number' ? `, ${sizeOf(m.sizeBytes)}` : '';
    const verified =
      typeof m.verification?.method === 'string' ? `, verified (${m.verification.method})` : ', not verified';
    return judge(
      `backup of ${typeof m.database === 'string' ? m.database : 'the database'} (${manifest})`,
      String(m.createdAt ?? ''),
      undefined,
      `${size}${verified}`,
    );
  }
  const artifact = await gh.newestArtifact(prefix);
  if (!artifact)
    return fail(`no backup artifact named ${prefix}*`, {
      details: [
        `Run the backup workflow for ${config.environment} (it uploads ${prefix}<timestamp>), or set "backup-artifact-prefix" / "backup-manifest".`,
      ],
    });
  const runUrl = artifact.runId
    ? `https://github.com/${ctx.repo.owner}/${ctx.repo.repo}/actions/runs/${artifact.runId}`
    : artifact.url;
  if (artifact.expired)
    return fail(`the newest backup artifact ${artifact.name} has expired`, {
      url: runUrl,
      details: ['Its contents can no longer be downloaded. Take a fresh backup.'],
    });
  return judge(`artifact ${artifact.name}`, artifact.createdAt, runUrl, `, ${sizeOf(artifact.sizeBytes)}`);
};
