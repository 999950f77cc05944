/** mode: check-age — is there a recent, verified backup for the environment? */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import { ConfigurationError } from '../core/errors.js';
import { formatDuration } from '../core/inputs.js';
import type { BackupContext } from './backup.js';
import { dumpPathOf, readManifest, type Manifest } from '../shared/backups/files.js';
import type { BackupConfig } from './inputs.js';

export interface AgeResult {
  fresh: boolean;
  environment: string;
  maxAgeMs: number;
  /** The newest usable backup, if any. */
  newest?: { manifest: Manifest; manifestPath: string; dumpPath: string; ageMs: number };
  /** Manifests looked at and why they were passed over. */
  skipped: string[];
  considered: number;
  reason: string;
}

export function checkAge(config: BackupConfig, ctx: Pick<BackupContext, 'clock' | 'log'>): AgeResult {
  const now = ctx.clock.date().getTime();
  const skipped: string[] = [];
  let files: string[];
  if (config.backup) files = [config.backup];
  else {
    if (!existsSync(config.directory))
      throw new ConfigurationError(
        `Input "directory": ${config.directory} does not exist, so it holds no backups. Give the folder backups are written to (or downloaded into), or a manifest as "backup".`,
      );
    files = readdirSync(config.directory)
      .filter((f) => f.endsWith('.manifest.json'))
      .map((f) => path.join(config.directory, f));
  }
  let newest: AgeResult['newest'];
  for (const file of files) {
    let m: Manifest;
    try {
      m = readManifest(file);
    } catch (e) {
      skipped.push(`${path.basename(file)}: ${errorMessage(e)}`);
      continue;
    }
    if (m.environment !== config.environment) {
      if (config.backup)
        skipped.push(`${path.basename(file)}: for environment ${m.environment}, not ${config.environment}`);
      continue;
    }
    if (m.verification.passed === false) {
      skipped.push(`${path.basename(file)}: its verification failed (${m.verification.detail})`);
      continue;
    }
    const dumpPath = dumpPathOf(file, m);
    if (!existsSync(dumpPath)) {
      skipped.push(`${path.basename(file)}: its dump ${m.file} is missing`);
      continue;
    }
    const created = Date.parse(m.createdAt);
    if (!newest || created > Date.parse(newest.manifest.createdAt))
      newest = { manifest: m, manifestPath: file, dumpPath, ageMs: Math.max(0, now - created) };
  }
  for (const s of skipped) ctx.log.info(`Passed over ${s}`);
  const where = config.backup ?? config.directory;
  let reason: string;
  let fresh = false;
  if (!newest)
    reason = `No usable backup for environment "${config.environment}" in ${where}${skipped.length ? ` (${skipped.length} passed over)` : ''}. Take one with backup-db (mode: backup) before this change.`;
  else if (newest.ageMs > config.maxAgeMs)
    reason = `The newest backup for "${config.environment}" (${newest.manifest.file}, taken ${newest.manifest.createdAt}) is ${formatDuration(newest.ageMs)} old, more than max-age ${formatDuration(config.maxAgeMs)}. Take a fresh backup before this change.`;
  else {
    fresh = true;
    reason = `The newest backup for "${config.environment}" (${newest.manifest.file}) is ${formatDuration(newest.ageMs)} old, within max-age ${formatDuration(config.maxAgeMs)}; verification: ${newest.manifest.verification.level}.`;
  }
  return {
    fresh,
    environment: config.environment,
    maxAgeMs: config.maxAgeMs,
    newest,
    skipped,
    considered: files.length,
    reason,
  };
}
