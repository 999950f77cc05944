/**
 * The backup hand-off: what a deployment records about the backup taken for it (in the GitHub deployment's
 * payload, as `backup`), so a rollback finds the backup taken before the release it undoes without anyone
 * reading run logs. Read from backup-db's manifest (its `manifest` output: a path, or the manifest's JSON).
 *
 * The artifact is named as the reusable workflow names it, `backup-<environment>-<run id>`, unless given.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '../../core/errors.js';

/** Stored in the deployment payload as `backup`. Read by rollback and record-deployment. */
export interface BackupRecord {
  /** The workflow artifact holding the backup, its .sha256 and manifest. */
  artifact: string;
  /** The workflow run that took (and uploaded) it. */
  runId: number;
  /** The backup file's name (`….dump.age`, `….sql.gz`). */
  file: string;
  /** sha256 of the file as uploaded (of the encrypted file when encrypted). */
  sha256: string;
  encrypted: boolean;
  /** ISO 8601, UTC. */
  createdAt: string;
}

/** The part of backup-db's manifest the hand-off reads (the manifest holds more). */
const manifestPart = z.object({
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  environment: z.string().optional(),
  encrypted: z.boolean().optional(),
  run: z.object({ id: z.string() }).optional(),
});

/** `backup-<environment>-<run id>`: the artifact name the reusable workflow gives the backup. */
export function backupArtifactName(environment: string, runId: number | string): string {
  return `backup-${environment}-${runId}`;
}

/**
 * Parse the `backup` input: backup-db's manifest as a path (relative to the workspace) or as JSON. Throws a
 * ConfigurationError naming `inputName` when it is neither, or not a backup-db manifest.
 */
export function parseBackupHandoff(
  value: string,
  o: {
    inputName: string;
    environment: string;
    workspace: string;
    /** This run's id (GITHUB_RUN_ID), used when the manifest has none. */
    runId?: string;
    /** The artifact name, when not the workflow's `backup-<environment>-<run id>`. */
    artifact?: string;
    artifactInputName?: string;
  },
): BackupRecord {
  const v = value.trim();
  let raw: unknown;
  let source: string;
  if (v.startsWith('{')) {
    source = 'the JSON given';
    try {
      raw = JSON.parse(v);
    } catch (e) {
      throw new ConfigurationError(
        `Input "${o.inputName}": it starts with "{" but is not valid JSON (${e instanceof Error ? e.message : String(e)}).`,
        "Pass backup-db's manifest output (a path), e.g. backup: ${{ steps.backup.outputs.manifest }}.",
      );
    }
  } else {
    const file = path.resolve(o.workspace, v);
    source = file;
    if (!existsSync(file))
      throw new ConfigurationError(
        `Input "${o.inputName}": no manifest at ${file}. Nothing was deployed.`,
        "Pass backup-db's manifest output from the same job, e.g. backup: ${{ steps.backup.outputs.manifest }}.",
      );
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigurationError(
        `Input "${o.inputName}": ${file} is not JSON (${e instanceof Error ? e.message : String(e)}); expected the .manifest.json backup-db wrote.`,
      );
    }
  }
  const r = manifestPart.safeParse(raw);
  if (!r.success)
    throw new ConfigurationError(
      `Input "${o.inputName}": ${source} is not a backup-db manifest: ${z
        .prettifyError(r.error)
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 4)
        .join('; ')}.`,
    );
  const m = r.data;
  if (m.environment && m.environment !== 'default' && m.environment !== o.environment)
    throw new ConfigurationError(
      `Input "${o.inputName}": the backup was taken for the environment "${m.environment}", and this deploy is to "${o.environment}". Nothing was deployed.`,
      'Pass the manifest of the backup taken for this environment.',
    );
  const runIdText = m.run?.id || o.runId || '';
  if (!/^\d+$/.test(runIdText))
    throw new ConfigurationError(
      `Input "${o.inputName}": the manifest names no workflow run (run.id ${JSON.stringify(runIdText)}), and GITHUB_RUN_ID is not set; a rollback could not find the artifact.`,
    );
  const runId = Number(runIdText);
  const artifact = o.artifact?.trim() || backupArtifactName(o.environment, runId);
  if (!/^[^\s"<>|*?\\/:\r\n]+$/.test(artifact) || artifact.length > 200)
    throw new ConfigurationError(
      `Input "${o.artifactInputName ?? o.inputName}": ${JSON.stringify(artifact.slice(0, 80))} is not an artifact name (no spaces, quotes, slashes, colons, <, >, |, *, ?).`,
    );
  return {
    artifact,
    runId,
    file: path.basename(m.file),
    sha256: m.sha256,
    encrypted: m.encrypted === true,
    createdAt: m.createdAt,
  };
}
