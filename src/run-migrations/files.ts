/**
 * Migration files of the built-in runner: `<version>_<name>.sql` (or `.up.sql`) with an optional
 * `<version>_<name>.down.sql`; the version is the leading digits, ordered numerically. Checksums are SHA-256
 * of the up file with line endings normalised (a checkout with autocrlf is not drift).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../core/errors.js';

export interface MigrationFile {
  /** The leading digits with leading zeros removed ('0' for all zeros): the key everywhere. */
  version: string;
  name: string;
  /** Path of the up file, relative to the workspace (as annotations want it). */
  file: string;
  absPath: string;
  downFile?: string;
  downAbsPath?: string;
  sql: string;
  checksum: string;
  /** First line is `-- runbook:no-transaction`. */
  noTransaction: boolean;
}

const FILE_RE = /^(\d+)_([^.]+?)(?:\.(up|down))?\.sql$/;
export const NO_TRANSACTION_RE = /^\s*--\s*runbook:no-transaction\b/i;

export function normaliseVersion(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

export function compareVersions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/**
 * Read the migration directory. Errors (ConfigurationError, before anything ran): the directory is missing, a
 * .sql file has no version, two files share a version, a down file has no up file.
 */
export function discoverMigrations(directory: string, workspace: string): MigrationFile[] {
  const dir = path.resolve(workspace, directory);
  const rel = (p: string) => path.relative(workspace, p) || '.';
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ConfigurationError(
      `Input "directory": no migrations directory at ${JSON.stringify(directory)} (looked for ${dir}).`,
      'Give the directory holding the <version>_<name>.sql files, relative to the repository root.',
    );
  const ups = new Map<string, { digits: string; name: string; abs: string }>();
  const downs = new Map<string, { name: string; abs: string }>();
  const problems: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith('.sql')) continue;
    const abs = path.join(dir, entry);
    if (!statSync(abs).isFile()) continue;
    const m = FILE_RE.exec(entry);
    if (!m) {
      problems.push(
        `${rel(abs)}: the file name has no version; expected <version>_<name>.sql such as 20240101120000_create_users.sql or 0001_create_users.sql`,
      );
      continue;
    }
    const [, digits, name, kind] = m as unknown as [string, string, string, string | undefined];
    const version = normaliseVersion(digits);
    const target = kind === 'down' ? downs : ups;
    const clash = target.get(version);
    if (clash) {
      problems.push(
        `${rel(abs)}: version ${version} is also used by ${rel(clash.abs)}; each version must be unique`,
      );
      continue;
    }
    if (kind === 'down') downs.set(version, { name, abs });
    else ups.set(version, { digits, name, abs });
  }
  for (const [version, d] of downs)
    if (!ups.has(version))
      problems.push(`${rel(d.abs)}: a down migration without an up file for version ${version}`);
  if (problems.length)
    throw new ConfigurationError(
      `Migration files in ${JSON.stringify(directory)} have problems:\n${problems.join('\n')}`,
    );

  return [...ups.entries()]
    .sort(([a], [b]) => compareVersions(a, b))
    .map(([version, u]) => {
      const sql = readFileSync(u.abs, 'utf8');
      const down = downs.get(version);
      return {
        version,
        name: u.name,
        file: rel(u.abs),
        absPath: u.abs,
        downFile: down ? rel(down.abs) : undefined,
        downAbsPath: down?.abs,
        sql,
        checksum: checksum(sql),
        noTransaction: NO_TRANSACTION_RE.test(sql.split('\n', 1)[0] ?? ''),
      };
    });
}
