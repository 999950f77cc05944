/** mode: backup — dump, checksum, manifest, verification. */
import { createWriteStream, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import {
  DatabaseClient,
  PgSnapshotSession,
  countRows,
  describeTarget,
  listTables,
  tableKey,
  type ServerVersion,
} from '../core/db.js';
import { ConfigurationError, errorMessage } from '../core/errors.js';
import { formatDuration } from '../core/inputs.js';
import { describeExit, tail } from '../core/proc.js';
import { encryptingStream, openDecrypted, recipientsOf } from '../shared/backups/encryption.js';
import {
  readPgArchive,
  readSqlDump,
  restoreDump,
  type ArchiveContext,
  type DumpOpener,
} from '../shared/backups/archive.js';
import { dbClient, type BackupContext } from '../shared/backups/client.js';
import {
  backupPaths,
  checksum,
  compareTables,
  writeManifest,
  type Manifest,
} from '../shared/backups/files.js';
import { SqlRowCounter } from './sql-rows.js';
import type { BackupConfig, VerifyLevel } from './inputs.js';

export { dbClient, type BackupContext };

export interface VerificationResult {
  level: VerifyLevel;
  /** undefined when level is none. */
  passed?: boolean;
  detail: string;
  differences: string[];
  /** Rows per table found by a restore verification. */
  restoredRows?: Record<string, number>;
  durationMs: number;
}

export interface BackupResult {
  manifest: Manifest;
  manifestPath: string;
  dumpPath: string;
  checksumPath: string;
  verification: VerificationResult;
  durationMs: number;
  dumpDurationMs: number;
  target: string;
  /** How long the workflow should keep the uploaded backup, in days. */
  retentionDays: number;
}

/** Create the directory and prove it is writable before touching the database. */
export function ensureWritableDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.backup-db-write-test-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new ConfigurationError(
      `Input "directory": cannot write backups to ${dir}: ${errorMessage(e)}. Nothing was dumped.`,
      'Give a directory this job can create and write, e.g. ${{ runner.temp }}/backups (the default).',
    );
  }
}

interface DumpOutcome {
  client: { tool: string; version: string };
  tables: { name: string; rows: number }[];
  rowCounts: Manifest['rowCounts'];
  durationMs: number;
}

export async function runBackup(config: BackupConfig, ctx: BackupContext): Promise<BackupResult> {
  const started = ctx.clock.now();
  const target = config.target!;
  ensureWritableDirectory(config.directory);
  const encrypted = config.recipients.length > 0;
  if (encrypted && config.verify !== 'none') {
    // Verification decrypts with decrypt-identity: it must be one of the keys the dump is encrypted to.
    const own = await recipientsOf(config.identities);
    if (!own.some((r) => config.recipients.includes(r)))
      throw new ConfigurationError(
        `Input "decrypt-identity": its public key (${own.join(', ')}) is not among encrypt-to (${config.recipients.join(', ')}), so verify: ${config.verify} could not decrypt the dump. Nothing was dumped.`,
        'Add the public key of the identity to encrypt-to (age-keygen -y key.txt prints it), or pass the identity that matches.',
      );
  }
  const client = dbClient(target, config, ctx);
  try {
    const server = await client.serverVersion();
    ctx.log.info(`Connected to ${describeTarget(target)}: ${server.flavor} ${server.version}`);
    const dumpTool = await client.resolveTool('dump');
    ctx.log.info(`Dump client: ${dumpTool.path} (${dumpTool.version})`);
    // Resolve the verification tool now too, so a missing client fails before a long dump.
    const readTool =
      config.verify === 'none'
        ? undefined
        : target.engine === 'postgres' && (config.format !== 'plain' || config.verify === 'restore')
          ? await client.resolveTool(config.format === 'plain' ? 'client' : 'restore')
          : config.verify === 'restore'
            ? await client.resolveTool('client')
            : undefined;

    const createdAt = ctx.clock.date();
    const paths = backupPaths(
      config.directory,
      config.name,
      config.environment,
      createdAt,
      target.engine,
      config.format,
      encrypted,
    );
    if (encrypted)
      ctx.log.info(
        `Encrypting to ${config.recipients.length} age recipient(s) as the dump streams out: ${config.recipients.join(', ')}`,
      );
    let outcome: DumpOutcome;
    try {
      outcome = await ctx.log.group(`Dumping ${describeTarget(target)} to ${paths.dump}`, () =>
        dump(client, server, dumpTool, paths.dump, config, ctx),
      );
    } catch (e) {
      rmSync(paths.dump, { recursive: true, force: true });
      throw e;
    }
    const sums = await checksum(paths.dump);
    writeFileSync(paths.checksum, sums.listing);
    ctx.log.info(
      `Wrote ${paths.dump} (${formatBytes(sums.sizeBytes)}, sha256 ${sums.sha256}) in ${formatDuration(outcome.durationMs)}`,
    );

    const manifest: Manifest = {
      manifestVersion: 1,
      tool: 'deploy-runbook/backup-db',
      file: path.basename(paths.dump),
      checksumFile: path.basename(paths.checksum),
      engine: target.engine,
      server: { version: server.version, major: server.major, flavor: server.flavor },
      client: { tool: path.basename(dumpTool.path), version: dumpTool.version },
      database: target.database,
      host: target.host,
      port: target.port,
      format: config.format,
      sizeBytes: sums.sizeBytes,
      sha256: sums.sha256,
      tables: outcome.tables,
      rowCounts: outcome.rowCounts,
      createdAt: createdAt.toISOString(),
      durationMs: outcome.durationMs,
      name: config.name,
      environment: config.environment,
      git: { sha: ctx.repo.sha, ref: ctx.repo.ref },
      run: { id: ctx.repo.runId, attempt: ctx.repo.runAttempt, url: ctx.repo.runUrl },
      verification: { level: config.verify, detail: 'not verified yet' },
      ...(encrypted ? { encrypted: true, recipients: config.recipients } : { encrypted: false }),
    };

    const verification = await verifyBackup(manifest, paths.dump, readTool?.path, client, config, ctx);
    manifest.verification = {
      level: verification.level,
      passed: verification.passed,
      detail: verification.detail,
    };
    writeManifest(paths.manifest, manifest);
    return {
      manifest,
      manifestPath: paths.manifest,
      dumpPath: paths.dump,
      checksumPath: paths.checksum,
      verification,
      durationMs: Math.round(ctx.clock.now() - started),
      dumpDurationMs: outcome.durationMs,
      target: describeTarget(target),
      retentionDays: config.retentionDays,
    };
  } finally {
    client.dispose();
  }
}

/** `file`: the dump file, or undefined to write to stdout (an encrypted dump streams through age). */
function dumpArgs(
  config: BackupConfig,
  server: ServerVersion,
  file: string | undefined,
  snapshot?: string,
): string[] {
  if (config.target!.engine === 'postgres') {
    const args = ['-w', `--format=${config.format}`];
    if (config.format === 'plain') args.push('--clean', '--if-exists', '--compress=6');
    if (config.jobs) args.push(`--jobs=${config.jobs}`);
    if (snapshot) args.push(`--snapshot=${snapshot}`);
    if (file) args.push(`--file=${file}`);
    return args;
  }
  const args = [
    '--single-transaction',
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob',
    '--no-tablespaces',
    '--default-character-set=utf8mb4',
  ];
  if (server.flavor === 'mysql') args.push('--set-gtid-purged=OFF');
  args.push(config.target!.database);
  return args;
}

async function dump(
  client: DatabaseClient,
  server: ServerVersion,
  tool: { path: string; version: string },
  file: string,
  config: BackupConfig,
  ctx: BackupContext,
): Promise<DumpOutcome> {
  const started = ctx.clock.now();
  const clientInfo = { tool: path.basename(tool.path), version: tool.version };
  const failed = (r: Awaited<ReturnType<DatabaseClient['runTool']>>) =>
    new Error(
      `${clientInfo.tool} ${describeExit(r, config.timeoutMs)}` +
        (r.timedOut
          ? ` (input "timeout" is ${formatDuration(config.timeoutMs)}; raise it for a larger database)`
          : '') +
        ` while dumping ${describeTarget(client.target)}; the partial dump was removed.\n${tail(r.stderr, 8)}` +
        (/server version mismatch/.test(r.stderr)
          ? `\nThe client does not match the server ${server.version}.`
          : '') +
        (r.aborted
          ? ''
          : '\nA dump only reads: the database was not changed. Fix the cause shown above (privileges on every table, disk space for the directory, the server log), then run the step again.'),
    );

  if (client.engine === 'postgres') {
    // One snapshot for the dump and the row counts, so the manifest's counts are exactly the dump's.
    const session = await PgSnapshotSession.open(client, config.connectTimeoutMs + 15_000, config.timeoutMs);
    try {
      // If counting fails, the dump is stopped rather than waited for.
      const stop = new AbortController();
      // Encrypted: pg_dump writes to stdout, through age, into the file; the plaintext never touches the disk.
      const sink = config.recipients.length ? await encryptedFile(file, config.recipients) : undefined;
      const dumping = client
        .runTool({
          command: tool.path,
          args: dumpArgs(config, server, sink ? undefined : file, session.id),
          timeoutMs: config.timeoutMs,
          signal: AbortSignal.any([ctx.signal, stop.signal]),
          ...(sink ? { stdout: sink.input } : {}),
        })
        .then(async (r) => {
          if (sink) {
            if (r.exitCode !== 0 || r.streamError) {
              sink.input.destroy();
              await sink.written.catch(() => undefined);
            } else await sink.written;
          }
          return r;
        });
      let tables: { name: string; rows: number }[];
      try {
        tables = await countInSnapshot(session, config.timeoutMs);
      } catch (e) {
        stop.abort();
        await dumping.catch(() => undefined);
        throw e;
      }
      const r = await dumping;
      // streamError: the encryption or the file write failed (e.g. the disk is full).
      if (r.exitCode !== 0 || r.streamError) throw failed(r);
      return {
        client: clientInfo,
        tables,
        rowCounts: 'snapshot',
        durationMs: Math.round(ctx.clock.now() - started),
      };
    } finally {
      await session.close();
    }
  }

  // MySQL/MariaDB: --single-transaction gives the dump its own consistent snapshot, which cannot be shared; the
  // rows are counted in the dump itself as it streams through to the gzip file.
  const list = await client.listTables();
  const counter = new SqlRowCounter();
  const gzip = createGzip({ level: 6 });
  const out = createWriteStream(file, { mode: 0o600 });
  const writing = config.recipients.length
    ? pipeline(counter, gzip, await encryptingStream(config.recipients), out)
    : pipeline(counter, gzip, out);
  const r = await client.runTool({
    command: tool.path,
    args: dumpArgs(config, server, file),
    stdout: counter,
    timeoutMs: config.timeoutMs,
    signal: ctx.signal,
  });
  if (r.exitCode !== 0 || r.streamError) {
    counter.destroy();
    await writing.catch(() => undefined);
    throw failed(r);
  }
  await writing;
  const names = [...new Set([...list.map(tableKey), ...counter.rows.keys()])].sort();
  const tables = names.map((name) => ({ name, rows: counter.rows.get(name) ?? 0 }));
  return { client: clientInfo, tables, rowCounts: 'dump', durationMs: Math.round(ctx.clock.now() - started) };
}

/** A file written through age encryption: write the plaintext into `input`; `written` settles when on disk. */
async function encryptedFile(
  file: string,
  recipients: readonly string[],
): Promise<{ input: Duplex; written: Promise<void> }> {
  const encryptor = await encryptingStream(recipients);
  const written = pipeline(encryptor, createWriteStream(file, { mode: 0o600 }));
  written.catch(() => undefined);
  return { input: encryptor, written };
}

/** How the verification reads the dump: decrypted on the fly when it is encrypted. */
function openerFor(manifest: Manifest, dumpPath: string, config: BackupConfig): DumpOpener | undefined {
  return manifest.encrypted ? () => openDecrypted(dumpPath, config.identities) : undefined;
}

/** Tables and their exact row counts, inside the dump's snapshot. */
async function countInSnapshot(session: PgSnapshotSession, timeoutMs: number) {
  const list = await listTables(session, timeoutMs);
  const counts = await countRows(session, list, timeoutMs);
  return list.map((t) => ({ name: tableKey(t), rows: counts.get(tableKey(t)) ?? 0 }));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

// ---------------------------------------------------------------------------------------------------------
// Verification.

export async function verifyBackup(
  manifest: Manifest,
  dumpPath: string,
  readTool: string | undefined,
  source: DatabaseClient,
  config: BackupConfig,
  ctx: BackupContext,
): Promise<VerificationResult> {
  const started = ctx.clock.now();
  const level = config.verify;
  const done = (
    passed: boolean | undefined,
    detail: string,
    differences: string[] = [],
    restoredRows?: Record<string, number>,
  ) => ({
    level,
    passed,
    detail,
    differences,
    restoredRows,
    durationMs: Math.round(ctx.clock.now() - started),
  });
  if (level === 'none') return done(undefined, 'not verified (verify: none)');
  if (level === 'list')
    return ctx.log.group(`Verifying that ${path.basename(dumpPath)} reads back`, async () => {
      try {
        const read =
          manifest.engine === 'postgres' && manifest.format !== 'plain'
            ? await readPgArchive(
                readTool!,
                dumpPath,
                ctx,
                config.timeoutMs,
                openerFor(manifest, dumpPath, config),
              )
            : await readSqlDump(manifest.engine, dumpPath, openerFor(manifest, dumpPath, config));
        const differences = manifest.tables
          .filter((t) => !read.tables.has(t.name))
          .map((t) => `table ${t.name} (${t.rows} rows) is not in the archive`);
        if (read.complete === false)
          differences.unshift('the dump does not end with its completion marker: it was cut short');
        return done(
          differences.length === 0,
          differences.length
            ? `the archive does not hold what the manifest names`
            : `the archive reads back in full and holds all ${manifest.tables.length} tables`,
          differences,
        );
      } catch (e) {
        return done(false, errorMessage(e), [errorMessage(e)]);
      }
    });
  const result = await ctx.log.group(
    `Verifying ${path.basename(dumpPath)} by restoring it into a scratch database`,
    () => verifyByRestore(manifest, dumpPath, readTool!, source, config, ctx, done),
  );
  // Including the scratch database's drop (PostgreSQL checkpoints on DROP DATABASE).
  return { ...result, durationMs: Math.round(ctx.clock.now() - started) };
}

async function verifyByRestore(
  manifest: Manifest,
  dumpPath: string,
  tool: string,
  source: DatabaseClient,
  config: BackupConfig,
  ctx: BackupContext,
  done: (
    passed: boolean,
    detail: string,
    differences?: string[],
    restored?: Record<string, number>,
  ) => VerificationResult,
): Promise<VerificationResult> {
  let scratch: DatabaseClient;
  let created: string | undefined;
  if (config.verifyTarget) {
    scratch = dbClient(config.verifyTarget, config, ctx);
  } else {
    const suffix = `_verify_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    created = `${manifest.database.slice(0, 63 - suffix.length)}${suffix}`;
    try {
      await source.createDatabase(created, {
        template: 'template0',
        what: `Creating the scratch database "${created}" for the restore verification`,
      });
    } catch (e) {
      return done(
        false,
        `${errorMessage(e)}\nThe user needs the right to create databases (CREATEDB), or give "verify-database-url".`,
        ['the scratch database could not be created'],
      );
    }
    scratch = source.forDatabase(created);
    ctx.log.info(`Created the scratch database ${created}`);
  }
  try {
    const ms = await restoreDump(
      scratch,
      {
        engine: manifest.engine,
        format: manifest.format,
        dump: dumpPath,
        tool,
        singleTransaction: false,
        clean: !!config.verifyTarget,
        noOwner: true,
        jobs: config.jobs,
        timeoutMs: config.timeoutMs,
        open: openerFor(manifest, dumpPath, config),
      },
      ctx as ArchiveContext,
    );
    const tables = await scratch.listTables();
    const counts = await scratch.countRows(tables, config.timeoutMs);
    const differences = compareTables(manifest.tables, counts);
    const restoredRows = Object.fromEntries(counts);
    return done(
      differences.length === 0,
      differences.length
        ? `the restored copy differs from the manifest`
        : `restored into ${scratch.target.database} in ${formatDuration(ms)}; all ${manifest.tables.length} tables and row counts match`,
      differences,
      restoredRows,
    );
  } catch (e) {
    return done(false, errorMessage(e), [`the restore failed: ${errorMessage(e).split('\n')[0]}`]);
  } finally {
    if (created) {
      try {
        // Bounded and independent of the job's cancellation: a cancelled run still cleans up.
        const cleaner = dbClient(source.target, config, ctx, { cleanup: true });
        try {
          await cleaner.dropDatabase(created, 60_000);
        } finally {
          cleaner.dispose();
        }
        ctx.log.info(`Dropped the scratch database ${created}`);
      } catch (e) {
        ctx.log.warning(
          `Could not drop the scratch database ${created}: ${errorMessage(e)}. Drop it by hand: DROP DATABASE ${created};`,
        );
      }
    }
    if (scratch !== source) scratch.dispose();
  }
}
