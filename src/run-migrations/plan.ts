/**
 * Pure planning over the files and the bookkeeping table: what is applied, what is pending, and the problems
 * that must stop a run before anything changes (checksum drift, out-of-order files, missing down files).
 */
import { compareVersions, type MigrationFile } from './files.js';

export interface AppliedRow {
  version: string;
  name: string;
  checksum: string;
  appliedAt: string;
  durationMs: number | null;
  appliedBy: string;
}

export interface Problem {
  kind: 'drift' | 'out-of-order' | 'missing-down' | 'missing-file' | 'target';
  message: string;
  file?: string;
  line?: number;
}

export interface Plan {
  applied: AppliedRow[];
  pending: MigrationFile[];
  /** Newest applied version, '0' when none. */
  currentVersion: string;
  errors: Problem[];
  /** Not errors: applied versions whose file is gone (squashed or deleted). */
  warnings: Problem[];
}

export function maxVersion(versions: readonly string[]): string {
  return versions.reduce((m, v) => (compareVersions(v, m) > 0 ? v : m), '0');
}

export function planMigrations(files: readonly MigrationFile[], appliedRows: readonly AppliedRow[]): Plan {
  const applied = [...appliedRows].sort((a, b) => compareVersions(a.version, b.version));
  const appliedBy = new Map(applied.map((r) => [r.version, r]));
  const currentVersion = maxVersion(applied.map((r) => r.version));
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const fileBy = new Map(files.map((f) => [f.version, f]));

  for (const f of files) {
    const row = appliedBy.get(f.version);
    if (row && row.checksum !== f.checksum)
      errors.push({
        kind: 'drift',
        file: f.file,
        line: 1,
        message:
          `${f.file} was changed after it was applied (version ${f.version}, applied ${row.appliedAt}` +
          `${row.appliedBy ? ` by ${row.appliedBy}` : ''}): checksum ${short(f.checksum)} on disk, ` +
          `${short(row.checksum)} when applied. Applied migrations must not be edited: restore the file ` +
          `(git log -p -- ${f.file}) and put the change in a new migration.`,
      });
  }
  const pending = files.filter((f) => !appliedBy.has(f.version));
  for (const f of pending) {
    if (compareVersions(f.version, currentVersion) < 0)
      errors.push({
        kind: 'out-of-order',
        file: f.file,
        line: 1,
        message:
          `${f.file} is pending but older than the newest applied migration (${currentVersion}${
            appliedBy.get(currentVersion)?.name ? `_${appliedBy.get(currentVersion)!.name}` : ''
          }): it was probably merged after a newer one was deployed. Give it a version above ${currentVersion} ` +
          `(rename the file) so every database applies migrations in the same order.`,
      });
  }
  for (const r of applied)
    if (!fileBy.has(r.version))
      warnings.push({
        kind: 'missing-file',
        message: `Version ${r.version} (${r.name}) is recorded as applied but has no file in the directory.`,
      });
  return { applied, pending, currentVersion, errors, warnings };
}

export interface DownPlan {
  /** Newest first. */
  revert: { row: AppliedRow; file?: MigrationFile }[];
  errors: Problem[];
}

/** Applied migrations newer than `target`, newest first; errors when the target is unknown or a down file is missing. */
export function planDown(plan: Plan, files: readonly MigrationFile[], target: string): DownPlan {
  const fileBy = new Map(files.map((f) => [f.version, f]));
  const errors: Problem[] = [];
  if (target !== '0' && !plan.applied.some((r) => r.version === target))
    errors.push({
      kind: 'target',
      message:
        `Input "target": version ${target} is not applied, so the database cannot be taken back to it. ` +
        `Applied versions: ${plan.applied.map((r) => r.version).join(', ') || 'none'} (0 reverts everything).`,
    });
  const revert = plan.applied
    .filter((r) => compareVersions(r.version, target) > 0)
    .reverse()
    .map((row) => ({ row, file: fileBy.get(row.version) }));
  for (const { row, file } of revert) {
    if (!file)
      errors.push({
        kind: 'missing-file',
        message: `Version ${row.version} (${row.name}) must be reverted but its migration file is gone, so its down file is too.`,
      });
    else if (!file.downAbsPath)
      errors.push({
        kind: 'missing-down',
        file: file.file,
        line: 1,
        message: `${file.file} must be reverted but has no down file: add ${file.file.replace(/(\.up)?\.sql$/, '.down.sql')}.`,
      });
  }
  return { revert, errors };
}

function short(sum: string): string {
  return sum.slice(0, 12);
}
