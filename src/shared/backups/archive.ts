/**
 * Operations on a dump: reading it back (list verification) and restoring it into a database. Shared by the
 * backup's verification and by mode: restore.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { RunContext } from '../../core/context.js';
import { mysqlDatabaseArgs, pgDbnameArg, type DatabaseClient, type Engine } from '../../core/db.js';
import { describeExit, tail } from '../../core/proc.js';
import { formatDuration } from '../../core/inputs.js';
import type { DumpFormat } from './files.js';

export type ArchiveContext = Pick<RunContext, 'exec' | 'signal' | 'log'>;

/**
 * Opens the dump's bytes as the tools expect them (e.g. decrypting an age-encrypted file as it is read). Given,
 * the file is never handed to a tool by path: the tools read these bytes on stdin.
 */
export type DumpOpener = () => Promise<Readable>;

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}

/** Parse `"a b"."C"` / `public.users` / `` `t` `` into its unquoted parts. */
export function parseQualifiedName(s: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < s.length) {
    const q = s[i];
    if (q === '"' || q === '`') {
      let out = '';
      i++;
      while (i < s.length) {
        if (s[i] === q && s[i + 1] === q) {
          out += q;
          i += 2;
        } else if (s[i] === q) {
          i++;
          break;
        } else out += s[i++];
      }
      parts.push(out);
    } else {
      const m = /^[^.\s(]+/.exec(s.slice(i));
      if (!m) break;
      parts.push(m[0]);
      i += m[0].length;
    }
    if (s[i] === '.') i++;
    else break;
  }
  return parts;
}

export interface ListResult {
  /** Table keys (`schema.name` / `name`) the archive holds. */
  tables: Set<string>;
  /** The dump ends with its completion marker (plain SQL); undefined for archives that have none. */
  complete?: boolean;
}

/** Table keys from a `pg_restore --list` table of contents (TABLE entries: `id; cat oid TABLE schema name owner`). */
export function tablesFromToc(toc: string): Set<string> {
  const out = new Set<string>();
  for (const line of toc.split('\n')) {
    const m = /^\d+;\s+\d+\s+\d+\s+TABLE\s+(\S+)\s+(.+)\s+\S+\s*$/.exec(line);
    if (m && !line.includes(' TABLE DATA ')) out.add(`${m[1]}.${m[2]}`);
  }
  return out;
}

/** One line of a plain SQL dump: the table it creates, if any. */
export function tableFromSqlLine(engine: Engine, line: string): string | undefined {
  const m = /^CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?(.+)$/.exec(line);
  if (!m) return undefined;
  const parts = parseQualifiedName(m[1]!);
  if (engine === 'postgres') return parts.length >= 2 ? `${parts[0]}.${parts[1]}` : undefined;
  return parts[parts.length - 1];
}

const COMPLETE_MARKER: Record<Engine, RegExp> = {
  postgres: /^-- PostgreSQL database dump complete/,
  mysql: /^-- Dump completed/,
};

/**
 * Read a gzip-compressed SQL dump through to the end (as `gunzip -t` would), collecting the tables it creates
 * and whether it ends with the tool's completion marker. Streams: memory stays flat.
 */
export async function readSqlDump(engine: Engine, file: string, open?: DumpOpener): Promise<ListResult> {
  const tables = new Set<string>();
  let complete = false;
  const gunzip = createGunzip();
  const source = open ? await open() : createReadStream(file);
  source.on('error', (e: Error) => gunzip.destroy(e));
  const lines = createInterface({ input: source.pipe(gunzip), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const t = tableFromSqlLine(engine, line);
      if (t) tables.add(t);
      if (COMPLETE_MARKER[engine].test(line)) complete = true;
      // After the marker only comments (and pg_dump's `\unrestrict` meta-command) may follow.
      else if (complete && line.trim() !== '' && !line.startsWith('--') && !line.startsWith('\\unrestrict '))
        complete = false;
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'EncryptionError') throw new ArchiveError(e.message);
    throw new ArchiveError(
      `The dump ${file} does not read back: ${e instanceof Error ? e.message : String(e)} (the gzip stream is truncated or corrupted).`,
    );
  }
  return { tables, complete };
}

/**
 * PostgreSQL custom/directory archive: `pg_restore --list` for the table of contents, then a full read-back
 * (`pg_restore --file=/dev/null`: every data block decompressed, nothing written) that catches truncation and
 * corruption without a database.
 */
export async function readPgArchive(
  pgRestore: string,
  dump: string,
  ctx: ArchiveContext,
  timeoutMs: number,
  open?: DumpOpener,
): Promise<ListResult> {
  // pg_restore reads the opened bytes on stdin (it stops reading after the table of contents for --list).
  const input = async () => (open ? { stdin: await open() } : {});
  const withStdin = async (args: string[], extra: { maxCapture?: number } = {}) => {
    const io = await input();
    try {
      return await ctx.exec({
        command: pgRestore,
        args: open ? args : [...args, dump],
        timeoutMs,
        signal: ctx.signal,
        ...extra,
        ...io,
      });
    } finally {
      io.stdin?.destroy();
    }
  };
  const list = await withStdin(['--list'], { maxCapture: 64_000_000 });
  if (list.exitCode !== 0)
    throw new ArchiveError(
      `pg_restore --list could not read the archive ${dump}: it ${describeExit(list, timeoutMs)}.\n${tail(list.stderr, 6)}`,
    );
  const full = await withStdin(['--file=/dev/null']);
  if (full.exitCode !== 0)
    throw new ArchiveError(
      `The archive ${dump} does not read back in full (pg_restore ${describeExit(full, timeoutMs)}): it is truncated or corrupted.\n${tail(full.stderr, 6)}`,
    );
  return { tables: tablesFromToc(list.stdout) };
}

export interface RestoreOptions {
  engine: Engine;
  format: DumpFormat;
  dump: string;
  /** pg_restore / psql / mariadb client path. */
  tool: string;
  /** PostgreSQL: one transaction (a failure leaves the database as it was). Not with jobs. */
  singleTransaction: boolean;
  /** PostgreSQL archives: drop the objects in the dump before recreating them. */
  clean: boolean;
  /** PostgreSQL archives: objects owned by the restoring user (scratch restores). */
  noOwner: boolean;
  jobs?: number;
  timeoutMs: number;
  /** Read the dump through this (on the tool's stdin) instead of by path: an encrypted dump. */
  open?: DumpOpener;
}

/** Restore a dump into `client`'s database. Throws with the tool's last words on failure. */
export async function restoreDump(
  client: DatabaseClient,
  o: RestoreOptions,
  ctx: ArchiveContext,
): Promise<number> {
  const started = performance.now();
  let r;
  let what: string;
  if (o.engine === 'postgres' && o.format !== 'plain') {
    what = 'pg_restore';
    const args = ['-w', '--exit-on-error'];
    if (o.singleTransaction) args.push('--single-transaction');
    if (o.clean) args.push('--clean', '--if-exists');
    if (o.noOwner) args.push('--no-owner', '--no-acl');
    if (o.jobs && o.jobs > 1 && !o.singleTransaction && !o.open) args.push(`--jobs=${o.jobs}`);
    args.push(`--dbname=${pgDbnameArg(client.target.database)}`);
    if (!o.open) args.push(o.dump);
    const stdin = o.open ? await o.open() : undefined;
    try {
      r = await client.runTool({
        command: o.tool,
        args,
        timeoutMs: o.timeoutMs,
        signal: ctx.signal,
        ...(stdin ? { stdin } : {}),
      });
    } finally {
      stdin?.destroy();
    }
  } else {
    const gunzip = createGunzip();
    const source = o.open ? await o.open() : createReadStream(o.dump);
    source.on('error', (e: Error) => gunzip.destroy(e));
    source.pipe(gunzip);
    if (o.engine === 'postgres') {
      what = 'psql';
      const args = ['-X', '-q', '-w', '-v', 'ON_ERROR_STOP=1'];
      if (o.singleTransaction) args.push('--single-transaction');
      r = await client.runTool({
        command: o.tool,
        args,
        stdin: gunzip,
        timeoutMs: o.timeoutMs,
        signal: ctx.signal,
      });
    } else {
      what = 'mariadb';
      r = await client.runTool({
        command: o.tool,
        args: ['--batch', '--default-character-set=utf8mb4', ...mysqlDatabaseArgs(client.target.database)],
        stdin: gunzip,
        timeoutMs: o.timeoutMs,
        signal: ctx.signal,
      });
    }
  }
  if (r.exitCode !== 0 || r.streamError) {
    throw new ArchiveError(
      `Restoring ${o.dump} into the database "${client.target.database}" failed: ${what} ${describeExit(r, o.timeoutMs)}` +
        (r.timedOut ? ` (input "timeout" is ${formatDuration(o.timeoutMs)})` : '') +
        `.\n${tail(r.stderr, 8)}` +
        (o.engine === 'mysql' && /SUPER|SET USER|SET_USER_ID|SYSTEM_USER|DEFINER/i.test(r.stderr)
          ? '\nThe dump holds views, routines, triggers or events with a DEFINER; creating them as another user needs the SET USER privilege (MariaDB) or SET_USER_ID/SYSTEM_USER (MySQL 8). Grant it to the restoring user, or restore as the definer.'
          : ''),
    );
  }
  return Math.round(performance.now() - started);
}
