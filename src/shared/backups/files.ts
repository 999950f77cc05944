/** Backup file names, checksums and manifests: pure logic and file I/O, no database. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Engine } from '../../core/db.js';

export type DumpFormat = 'custom' | 'directory' | 'plain';

/** `20261122T013000Z`: UTC, sortable, safe in file names on every OS. */
export function timestamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** Letters, digits, `.`, `_`, `-`; anything else becomes `_` (database and environment names go into file names). */
export function safeNamePart(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '');
  return out || 'db';
}

export function extensionFor(engine: Engine, format: DumpFormat): string {
  if (engine === 'mysql') return 'sql.gz';
  return { custom: 'dump', directory: 'dir', plain: 'sql.gz' }[format];
}

export interface BackupPaths {
  /** The dump: a file, or a directory for the directory format. */
  dump: string;
  checksum: string;
  manifest: string;
  /** `<name>-<environment>-<timestamp>`. */
  stem: string;
}

/** What makes a backup's name unique to the run that takes it. */
export interface BackupRunId {
  /** GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT. */
  runId: string;
  runAttempt: string;
  /** A random part (two jobs of one run may back up at once); `randomPart()` by default. */
  random?: string;
}

/** 6 hex digits, so two jobs of one run attempt never pick the same name. */
export function randomPart(): string {
  return randomBytes(3).toString('hex');
}

/**
 * `<name>-<environment>-<UTC yyyymmddThhmmssZ>-run<id>-<attempt>-<random>.<ext>`, its `.sha256` and
 * `<stem>.manifest.json` in `directory`. The run id, attempt and random part make the name unique per run, so
 * two jobs backing up in the same second never write the same file (without `run`: the time alone).
 */
export function backupPaths(
  directory: string,
  name: string,
  environment: string,
  createdAt: Date,
  engine: Engine,
  format: DumpFormat,
  run?: BackupRunId,
  /** age-encrypted: the dump gets a `.age` suffix. */
  encrypted = false,
): BackupPaths {
  const unique = run
    ? `-run${safeNamePart(run.runId || 'local')}-${safeNamePart(run.runAttempt)}-${safeNamePart(run.random ?? randomPart())}`
    : '';
  const stem = `${safeNamePart(name)}-${safeNamePart(environment)}-${timestamp(createdAt)}${unique}`;
  const dump = path.join(directory, `${stem}.${extensionFor(engine, format)}${encrypted ? '.age' : ''}`);
  return { dump, checksum: `${dump}.sha256`, manifest: path.join(directory, `${stem}.manifest.json`), stem };
}

/** The manifest beside a dump (`x.dump` → `x.manifest.json`), or the path itself when it is a manifest. */
export function manifestPathFor(p: string): string {
  if (p.endsWith('.manifest.json')) return p;
  const base = path.basename(p.replace(/[/\\]+$/, '')).replace(/\.(dump|dir|sql\.gz|sql)(\.age)?$/, '');
  return path.join(path.dirname(p.replace(/[/\\]+$/, '')), `${base}.manifest.json`);
}

// ---------------------------------------------------------------------------------------------------------
// Checksums, computed by streaming: memory stays flat whatever the size.

/** sha256 of a file, read through one reused 1 MiB buffer: no allocation per chunk, so memory stays flat. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fh = await open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, prefix), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

export interface Checksums {
  /** The backup's sha256: of the file, or for a directory of its checksum list (a digest of digests). */
  sha256: string;
  /** The `.sha256` file's contents, in `sha256sum -c` format (paths relative to the dump's folder). */
  listing: string;
  sizeBytes: number;
}

/** sha256 of a dump file, or of every file of a dump directory. */
export async function checksum(dump: string): Promise<Checksums> {
  const base = path.basename(dump);
  const st = statSync(dump);
  if (!st.isDirectory()) {
    const sha256 = await sha256File(dump);
    return { sha256, listing: `${sha256}  ${base}\n`, sizeBytes: st.size };
  }
  const lines: string[] = [];
  let sizeBytes = 0;
  for (const rel of listFiles(dump)) {
    const file = path.join(dump, rel);
    sizeBytes += statSync(file).size;
    lines.push(`${await sha256File(file)}  ${base}/${rel}`);
  }
  const listing = `${lines.join('\n')}\n`;
  return { sha256: createHash('sha256').update(listing).digest('hex'), listing, sizeBytes };
}

// ---------------------------------------------------------------------------------------------------------
// The manifest.

export const manifestSchema = z.object({
  manifestVersion: z.literal(1),
  tool: z.string(),
  /** The dump's file (or directory) name, relative to the manifest's folder. */
  file: z.string(),
  checksumFile: z.string(),
  engine: z.enum(['postgres', 'mysql']),
  server: z.object({ version: z.string(), major: z.string(), flavor: z.string() }),
  client: z.object({ tool: z.string(), version: z.string() }),
  database: z.string(),
  host: z.string(),
  port: z.number(),
  format: z.enum(['custom', 'directory', 'plain']),
  sizeBytes: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  tables: z.array(z.object({ name: z.string(), rows: z.number() })),
  /** snapshot: counted in the dump's PostgreSQL snapshot; dump: counted in the dump stream (MySQL). */
  rowCounts: z.enum(['snapshot', 'dump']),
  createdAt: z.string(),
  durationMs: z.number(),
  name: z.string(),
  environment: z.string(),
  git: z.object({ sha: z.string(), ref: z.string() }),
  run: z.object({ id: z.string(), attempt: z.string(), url: z.string() }),
  verification: z.object({
    level: z.enum(['none', 'list', 'restore']),
    passed: z.boolean().optional(),
    detail: z.string(),
  }),
  /** age-encrypted (the file ends in `.age`; sha256 and sizeBytes are of the encrypted file). */
  encrypted: z.boolean().optional(),
  /** The age recipients (public keys) the file is encrypted to. */
  recipients: z.array(z.string()).optional(),
});

export type Manifest = z.output<typeof manifestSchema>;

/** Writes a new manifest: created exclusively (never over another backup's), 0600 like the dump. */
export function writeManifest(file: string, m: Manifest): void {
  writeFileSync(file, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export function readManifest(file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ManifestError(
      `Cannot read the backup manifest ${file}: ${e instanceof Error ? e.message : String(e)}. ` +
        'A backup made by backup-db has a <name>-<environment>-<time>.manifest.json beside the dump; keep them together (upload both as one artifact).',
    );
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success)
    throw new ManifestError(
      `The file ${file} is not a backup-db manifest (or is damaged): ${z.prettifyError(r.error).split('\n').slice(0, 4).join('; ')}`,
    );
  return r.data;
}

/** Full path of the dump a manifest describes. */
export function dumpPathOf(manifestFile: string, m: Manifest): string {
  return path.join(path.dirname(manifestFile), m.file);
}

/** Per-table differences between expected (manifest) and actual counts; empty when identical. */
export function compareTables(
  expected: readonly { name: string; rows: number }[],
  actual: ReadonlyMap<string, number>,
): string[] {
  const diffs: string[] = [];
  const want = new Map(expected.map((t) => [t.name, t.rows]));
  for (const [name, rows] of want) {
    const got = actual.get(name);
    if (got === undefined) diffs.push(`table ${name} is missing (the backup has ${rows} rows)`);
    else if (got !== rows) diffs.push(`table ${name} has ${got} rows, the backup has ${rows}`);
  }
  for (const name of actual.keys())
    if (!want.has(name)) diffs.push(`table ${name} is not in the backup's manifest`);
  return diffs;
}
