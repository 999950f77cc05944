/** mode: restore — put a backup back into a database (rollback, emergencies). */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeTarget } from '../../core/db.js';
import { CheckFailure, ConfigurationError } from '../../core/errors.js';
import { formatDuration } from '../../core/inputs.js';
import { checkDecrypts, openDecrypted, recipientsOf } from './encryption.js';
import { restoreDump } from './archive.js';
import { dbClient, type BackupContext } from './client.js';
import {
  checksum,
  compareTables,
  dumpPathOf,
  manifestPathFor,
  readManifest,
  type Manifest,
} from './files.js';
import type { RestoreSettings as BackupConfig } from './client.js';

export interface RestoreResult {
  manifest: Manifest;
  manifestPath: string;
  dumpPath: string;
  target: string;
  serverVersion: string;
  clientVersion: string;
  /** true when the row counts after the restore equal the manifest's. */
  verified: boolean;
  differences: string[];
  restoredRows: Record<string, number>;
  restoreMs: number;
  durationMs: number;
}

export class RestoreRefused extends CheckFailure {}

/**
 * A folder that is not itself a directory-format dump (a downloaded artifact) stands for the one manifest in
 * it; several manifests are ambiguous and refused.
 */
export function resolveBackupFolder(given: string): string {
  if (!statSync(given).isDirectory() || existsSync(path.join(given, 'toc.dat'))) return given;
  const manifests = readdirSync(given).filter((f) => f.endsWith('.manifest.json'));
  if (manifests.length === 1) return path.join(given, manifests[0]!);
  throw new ConfigurationError(
    manifests.length
      ? `Input "backup": the folder ${given} holds ${manifests.length} backups (${manifests.join(', ')}); name the one to restore. Nothing was changed.`
      : `Input "backup": the folder ${given} holds no backup manifest (*.manifest.json). Nothing was changed.`,
  );
}

/** Load the manifest and dump the `backup` input names, and check the dump's sha256 before anything else. */
export async function loadVerifiedBackup(
  given: string,
): Promise<{ manifest: Manifest; manifestPath: string; dumpPath: string }> {
  if (!existsSync(given))
    throw new ConfigurationError(`Input "backup": no file or directory at ${given}. Nothing was changed.`);
  const backup = resolveBackupFolder(given);
  const manifestPath = manifestPathFor(backup);
  if (!existsSync(manifestPath))
    throw new ConfigurationError(
      `Input "backup": no manifest at ${manifestPath}. A restore needs the manifest backup-db wrote beside the dump (it holds the sha256 and the row counts to check). Nothing was changed.`,
      'Download the whole backup artifact (dump, .sha256 and .manifest.json) into one folder.',
    );
  const manifest = readManifest(manifestPath);
  const dumpPath = dumpPathOf(manifestPath, manifest);
  if (!backup.endsWith('.manifest.json') && path.resolve(backup) !== path.resolve(dumpPath))
    throw new ConfigurationError(
      `Input "backup": the manifest ${manifestPath} describes ${manifest.file}, not ${path.basename(backup)}. Nothing was changed.`,
    );
  if (!existsSync(dumpPath))
    throw new ConfigurationError(
      `Input "backup": the manifest names ${dumpPath}, which does not exist. Nothing was changed.`,
    );
  const sums = await checksum(dumpPath);
  const sideFile = path.join(path.dirname(manifestPath), manifest.checksumFile);
  const recorded = existsSync(sideFile) ? readFileSync(sideFile, 'utf8') : undefined;
  if (sums.sha256 !== manifest.sha256 || (recorded !== undefined && recorded !== sums.listing))
    throw new RestoreRefused(
      `Refusing to restore ${dumpPath}: its sha256 is ${sums.sha256} but the manifest records ${manifest.sha256}` +
        (recorded !== undefined && recorded !== sums.listing
          ? ` (and it differs from ${manifest.checksumFile})`
          : '') +
        '. The backup was changed or damaged after it was taken (a partial download, a corrupted disk, an edit). The database was not touched.\n' +
        'Download the backup artifact again, or restore an older backup whose checksum matches.',
    );
  return { manifest, manifestPath, dumpPath };
}

export async function runRestore(config: BackupConfig, ctx: BackupContext): Promise<RestoreResult> {
  const started = ctx.clock.now();
  const target = config.target!;
  const { manifest, manifestPath, dumpPath } = await loadVerifiedBackup(config.backup!);
  ctx.log.info(`Checksum of ${path.basename(dumpPath)} matches its manifest (sha256 ${manifest.sha256}).`);
  if (manifest.engine !== target.engine)
    throw new ConfigurationError(
      `Input "backup": it is a ${manifest.engine} backup and "database-url" is a ${target.engine} database. Nothing was changed.`,
    );
  if (manifest.encrypted) await checkEncryptedBackup(manifest, dumpPath, config.identities ?? [], ctx);
  const client = dbClient(target, config, ctx);
  try {
    const server = await client.serverVersion();
    if (server.major !== manifest.server.major)
      ctx.log.warning(
        `The backup was taken from ${manifest.server.flavor} ${manifest.server.version}; restoring into ${server.version}.`,
      );
    const tool = await client.resolveTool(
      manifest.engine === 'postgres' && manifest.format !== 'plain' ? 'restore' : 'client',
    );
    ctx.log.info(`Restoring into ${describeTarget(target)} with ${tool.path} (${tool.version})`);
    if (manifest.engine === 'mysql')
      ctx.log.warning(
        'MySQL/MariaDB cannot restore in one transaction (DDL commits implicitly): if this restore fails part-way, the database is left part-restored; restore again once the cause is fixed.',
      );
    const restoreMs = await ctx.log.group(
      `Restoring ${path.basename(dumpPath)} into ${target.database}`,
      () =>
        restoreDump(
          client,
          {
            engine: manifest.engine,
            format: manifest.format,
            dump: dumpPath,
            tool: tool.path,
            singleTransaction: manifest.engine === 'postgres',
            clean: true,
            noOwner: false,
            timeoutMs: config.timeoutMs,
            open: manifest.encrypted ? () => openDecrypted(dumpPath, config.identities ?? []) : undefined,
          },
          ctx,
        ).catch((e: unknown) => {
          const msg = e instanceof Error ? e.message : String(e);
          throw new Error(
            manifest.engine === 'postgres'
              ? `${msg}\nThe restore ran in one transaction, which was rolled back: the database "${target.database}" is as it was before this step.`
              : `${msg}\nThe database "${target.database}" may be part-restored (MySQL cannot roll back DDL). Fix the cause and run the restore again.`,
          );
        }),
    );
    const tables = await client.listTables();
    const counts = await client.countRows(tables, config.timeoutMs);
    // Tables the dump does not hold were left alone by the restore; only the backup's tables are compared.
    const backedUp = new Set(manifest.tables.map((t) => t.name));
    const relevant = new Map([...counts].filter(([k]) => backedUp.has(k)));
    const differences = compareTables(manifest.tables, relevant);
    const extra = [...counts.keys()].filter((k) => !backedUp.has(k));
    if (extra.length) ctx.log.info(`Tables not in the backup, left as they were: ${extra.join(', ')}`);
    ctx.log.info(
      differences.length
        ? `Row counts differ from the manifest:\n${differences.join('\n')}`
        : `Restored in ${formatDuration(restoreMs)}; all ${manifest.tables.length} tables have the manifest's row counts.`,
    );
    return {
      manifest,
      manifestPath,
      dumpPath,
      target: describeTarget(target),
      serverVersion: server.version,
      clientVersion: tool.version,
      verified: differences.length === 0,
      differences,
      restoredRows: Object.fromEntries(counts),
      restoreMs,
      durationMs: Math.round(ctx.clock.now() - started),
    };
  } finally {
    client.dispose();
  }
}

/**
 * An encrypted backup is restored only once it is known to decrypt in full: the identity opens it, and every
 * chunk authenticates up to the end (not tampered with, not truncated). All before the database is touched.
 */
export async function checkEncryptedBackup(
  manifest: Manifest,
  dumpPath: string,
  identities: readonly string[],
  ctx: Pick<BackupContext, 'log'>,
): Promise<void> {
  const to = manifest.recipients?.length ? ` (to ${manifest.recipients.join(', ')})` : '';
  if (!identities.length)
    throw new ConfigurationError(
      `Input "decrypt-identity" is required: the backup ${path.basename(dumpPath)} is age-encrypted${to}. Nothing was changed.`,
      'Pass the age secret key from the environment secret: decrypt-identity: ${{ secrets.BACKUP_AGE_IDENTITY }}.',
    );
  const own = await recipientsOf(identities);
  if (manifest.recipients?.length && !own.some((r) => manifest.recipients!.includes(r)))
    throw new RestoreRefused(
      `Refusing to restore ${path.basename(dumpPath)}: it is encrypted${to}, and the decrypt-identity is the key of ${own.join(', ')}: the wrong key. The database was not touched.\n` +
        "Pass the identity whose public key the manifest lists (age-keygen -y key.txt prints a key file's public key).",
    );
  try {
    const bytes = await checkDecrypts(dumpPath, identities);
    ctx.log.info(`${path.basename(dumpPath)} decrypts and authenticates in full (${bytes} bytes of dump).`);
  } catch (e) {
    throw new RestoreRefused(
      `Refusing to restore: ${e instanceof Error ? e.message : String(e)} The database was not touched.\n` +
        'Download the backup artifact again, or restore an older backup.',
    );
  }
}
