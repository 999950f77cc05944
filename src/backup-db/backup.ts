/** mode: backup — dump, checksum, manifest, verification. */
import {
  chmodSync,
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  DatabaseClient,
  PgSnapshotSession,
  countRows,
  describeTarget,
  listTables,
  mysqlDatabaseArgs,
  quoteIdent,
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

/**
 * Where the run records what it leaves behind until it is done (the GitHub state the post step reads), so that a
 * run killed with SIGKILL is cleaned up by its post step: the dump being written, the scratch database.
 */
export interface BackupHooks {
  saveState?: (name: 'dump' | 'scratch-database', value: string) => void;
}

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

/**
 * Create the dump's file (0600) or directory (0700) exclusively: a name another run holds fails here (EEXIST)
 * instead of being truncated. pg_dump then writes into what we created, keeping its mode.
 */
export function createBackupTarget(dump: string, directory: boolean): void {
  try {
    if (directory) mkdirSync(dump, { mode: 0o700 });
    else closeSync(openSync(dump, 'wx', 0o600));
  } catch (e) {
    throw new Error(
      `Cannot create the backup ${dump}: ${errorMessage(e)}. Nothing was dumped, and no existing file was touched.` +
        ((e as NodeJS.ErrnoException).code === 'EEXIST'
          ? ' Another run wrote a backup of the same name; run the step again (names carry a random part).'
          : ''),
      { cause: e },
    );
  }
}

/** A directory-format dump's files as 0600 and its folders as 0700 (pg_dump creates them by its umask). */
function restrictTree(dir: string): void {
  chmodSync(dir, 0o700);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) restrictTree(p);
    else if (e.isFile()) chmodSync(p, 0o600);
  }
}

interface DumpOutcome {
  client: { tool: string; version: string };
  tables: { name: string; rows: number }[];
  rowCounts: Manifest['rowCounts'];
  durationMs: number;
}

export async function runBackup(
  config: BackupConfig,
  ctx: BackupContext,
  hooks: BackupHooks = {},
): Promise<BackupResult> {
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
      { runId: ctx.repo.runId, runAttempt: ctx.repo.runAttempt },
      encrypted,
    );
    if (encrypted)
      ctx.log.info(
        `Encrypting to ${config.recipients.length} age recipient(s) as the dump streams out: ${config.recipients.join(', ')}`,
      );
    // Created exclusively before the dump: never another backup's file (which the cleanup below would remove).
    createBackupTarget(paths.dump, target.engine === 'postgres' && config.format === 'directory');
    hooks.saveState?.('dump', paths.dump);
    let outcome: DumpOutcome;
    try {
      outcome = await ctx.log.group(`Dumping ${describeTarget(target)} to ${paths.dump}`, () =>
        dump(client, server, dumpTool, paths.dump, config, ctx),
      );
    } catch (e) {
      rmSync(paths.dump, { recursive: true, force: true });
      hooks.saveState?.('dump', '');
      throw e;
    }
    if (target.engine === 'postgres' && config.format === 'directory') restrictTree(paths.dump);
    const sums = await checksum(paths.dump);
    writeFileSync(paths.checksum, sums.listing, { mode: 0o600, flag: 'wx' });
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

    const verification = await verifyBackup(manifest, paths.dump, readTool?.path, client, config, ctx, hooks);
    manifest.verification = {
      level: verification.level,
      passed: verification.passed,
      detail: verification.detail,
    };
    writeManifest(paths.manifest, manifest);
    hooks.saveState?.('dump', '');
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
  args.push(...mysqlDatabaseArgs(config.target!.database));
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
  const out = createWriteStream(file, { flags: 'r+' }); // created exclusively (0600) by createBackupTarget
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
  // The file was created exclusively (0600) by createBackupTarget.
  const written = pipeline(encryptor, createWriteStream(file, { flags: 'r+' }));
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
  hooks: BackupHooks = {},
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
    () => verifyByRestore(manifest, dumpPath, readTool!, source, config, ctx, done, hooks),
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
  hooks: BackupHooks,
): Promise<VerificationResult> {
  let scratch: DatabaseClient;
  let created: string | undefined;
  if (config.verifyTarget) {
    scratch = dbClient(config.verifyTarget, config, ctx);
  } else {
    await dropStaleScratchDatabases(source, manifest.database, config, ctx);
    created = scratchDatabaseName(manifest.database, ctx.clock.date());
    hooks.saveState?.('scratch-database', created);
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
        hooks.saveState?.('scratch-database', '');
      } catch (e) {
        ctx.log.warning(
          `Could not drop the scratch database ${created}: ${errorMessage(e)}. Drop it by hand: DROP DATABASE ${created};`,
        );
      }
    }
    if (scratch !== source) scratch.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scratch databases: a recognisable name with the time it was made, so one a killed run left behind is found.

/** `<database>_verify_<ms since epoch, base 36>_<4 hex>`: at most 63 bytes. */
export function scratchDatabaseName(database: string, now: Date): string {
  const suffix = `_verify_${now.getTime().toString(36)}_${randomBytes(2).toString('hex')}`;
  let base = database;
  while (Buffer.byteLength(base + suffix, 'utf8') > 63) base = [...base].slice(0, -1).join('');
  return `${base}${suffix}`;
}

const SCRATCH_SUFFIX = /_verify_([0-9a-z]{6,10})_[0-9a-f]{4}$/;

/** When the scratch database `name` was made, from its name; undefined when it is not one of ours. */
export function scratchDatabaseTime(name: string): number | undefined {
  const m = SCRATCH_SUFFIX.exec(name);
  if (!m) return undefined;
  const t = parseInt(m[1]!, 36);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Drop the scratch databases of `database` that a killed run left behind: named as `scratchDatabaseName` makes
 * them, older than twice the step's timeout (at least an hour, so a concurrent run's restore is never touched),
 * and with nobody connected (PostgreSQL refuses DROP DATABASE without FORCE while anyone is). Best effort: a
 * failure is logged, never fails the backup.
 */
export async function dropStaleScratchDatabases(
  source: DatabaseClient,
  database: string,
  config: Pick<BackupConfig, 'timeoutMs'>,
  ctx: Pick<BackupContext, 'clock' | 'log'>,
): Promise<string[]> {
  const staleMs = Math.max(3_600_000, 2 * config.timeoutMs);
  const now = ctx.clock.date().getTime();
  const dropped: string[] = [];
  try {
    const rows = await source.query(
      source.engine === 'postgres'
        ? `SELECT d.datname FROM pg_catalog.pg_database d WHERE d.datname LIKE '%\\_verify\\_%'
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datname = d.datname);`
        : `SELECT s.schema_name FROM information_schema.schemata s WHERE s.schema_name LIKE '%\\_verify\\_%'
             AND NOT EXISTS (SELECT 1 FROM information_schema.processlist p WHERE p.db = s.schema_name);`,
      'Looking for scratch databases left by a killed run',
      60_000,
    );
    for (const [name] of rows) {
      if (!name) continue;
      const at = scratchDatabaseTime(name);
      if (at === undefined || now - at < staleMs) continue;
      // Only this database's: the scratch name is the source's name (cut to fit) and the suffix.
      const base = name.replace(SCRATCH_SUFFIX, '');
      if (!base || !database.startsWith(base)) continue;
      try {
        await source.query(
          `DROP DATABASE IF EXISTS ${quoteIdent(source.engine, name)};`,
          `Dropping the stale scratch database "${name}"`,
          60_000,
        );
        dropped.push(name);
        ctx.log.info(
          `Dropped the scratch database ${name}, left by a run that was killed ${formatDuration(now - at)} ago.`,
        );
      } catch (e) {
        ctx.log.info(`Left the scratch database ${name} in place: ${errorMessage(e).split('\n')[0]}`);
      }
    }
  } catch (e) {
    ctx.log.info(`Could not look for stale scratch databases: ${errorMessage(e).split('\n')[0]}`);
  }
  return dropped;
}
