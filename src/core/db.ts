/**
 * Database plumbing shared by every action that talks to PostgreSQL or MySQL/MariaDB through their command-line
 * clients (psql, pg_dump, pg_restore, mariadb, mariadb-dump, mysql, mysqldump): URL parsing, credentials
 * handed to the tools by environment or a 0600 option file (never argv), SQL run through the client with the
 * SQL on stdin, the server's version, and the choice of the client whose major version matches the server.
 * Nothing here knows about backups or migrations.
 */
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ConfigurationError } from './errors.js';
import { quote } from './inputs.js';
import { describeExit, tail, type ProcessRunner, type ProcRequest, type ProcResult } from './proc.js';

export type Engine = 'postgres' | 'mysql';
export const ENGINES: readonly Engine[] = ['postgres', 'mysql'];

const SCHEMES: Record<string, Engine> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
};
export const DEFAULT_PORT: Record<Engine, number> = { postgres: 5432, mysql: 3306 };

/** Everything needed to reach one database. `password` is a secret: register it before logging anything. */
export interface DatabaseTarget {
  engine: Engine;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Query parameters (sslmode, sslrootcert, connect_timeout, application_name, ssl-mode...). */
  params: Record<string, string>;
}

/** The engine a URL scheme names (`postgres:`/`postgresql:` → postgres, `mysql:`/`mariadb:` → mysql). */
export function engineFromScheme(protocol: string): Engine | undefined {
  return SCHEMES[
    protocol.toLowerCase().endsWith(':') ? protocol.toLowerCase() : `${protocol.toLowerCase()}:`
  ];
}

function decode(part: string, what: string, label: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigurationError(
      `${label}: the ${what} is not valid percent-encoding.`,
      'Encode reserved characters in the user and password (e.g. @ as %40, : as %3A, / as %2F).',
    );
  }
}

/**
 * Parse `postgres://user:pass@host:port/db?sslmode=require` (and postgresql://, mysql://, mariadb://).
 * `engine` names the engine for URLs whose scheme says nothing (e.g. a proxy's); it must agree with a scheme
 * that does. `label` starts every error message (e.g. `Input "database-url"`); the password is never echoed.
 */
export function parseDatabaseUrl(
  url: string,
  opts: {
    engine?: Engine;
    label?: string;
    /** The input that sets the engine, if the action has one. */ engineInput?: string;
  } = {},
): DatabaseTarget {
  const label = opts.label ?? 'Database URL';
  const text = url.trim();
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!schemeMatch)
    throw new ConfigurationError(
      `${label}: expected a URL such as postgres://user@host:5432/dbname or mysql://user@host:3306/dbname.`,
      'Pass the password inside the URL from a secret, e.g. database-url: ${{ secrets.DATABASE_URL }}.',
    );
  const fromScheme = engineFromScheme(schemeMatch[1]!);
  if (fromScheme && opts.engine && fromScheme !== opts.engine)
    throw new ConfigurationError(
      `${label}: the scheme ${quote(`${schemeMatch[1]}://`)} is ${fromScheme}, but the engine was set to ${opts.engine}.`,
      'Remove the engine setting (the scheme decides), or fix the URL.',
    );
  const engine = fromScheme ?? opts.engine;
  if (!engine)
    throw new ConfigurationError(
      `${label}: unknown scheme ${quote(`${schemeMatch[1]}://`)}; expected postgres://, postgresql://, mysql:// or mariadb://.`,
      opts.engineInput ? `Or set the input "${opts.engineInput}" to postgres or mysql.` : undefined,
    );
  // WHATWG URL only parses host/port/userinfo for "special" schemes; parse as http with the same authority.
  let u: URL;
  try {
    u = new URL(`http://${text.slice(schemeMatch[0].length)}`);
  } catch {
    throw new ConfigurationError(
      `${label}: not a valid URL after the scheme (host, port or user info malformed).`,
      'Expected scheme://user:password@host:port/dbname; percent-encode reserved characters in the password.',
    );
  }
  const database = decode(u.pathname.replace(/^\//, ''), 'database name', label);
  if (!database || database.includes('/'))
    throw new ConfigurationError(
      `${label}: no database name; expected …@host:port/dbname (got the path ${quote(u.pathname || '/')}).`,
    );
  checkDatabaseName(engine, database, label);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new ConfigurationError(`${label}: no host; expected …@host:port/dbname.`);
  const port = u.port ? Number(u.port) : DEFAULT_PORT[engine];
  const params: Record<string, string> = {};
  for (const [k, v] of u.searchParams) params[k] = v;
  return {
    engine,
    host,
    port,
    user: decode(u.username, 'user name', label),
    password: decode(u.password, 'password', label),
    database,
    params,
  };
}

/**
 * Refuse a database name no server accepts: control characters (NUL included), more than PostgreSQL's 63 bytes
 * (the server would silently truncate it: another database) or MySQL's 64 characters, and (MySQL) a trailing
 * space. A leading `-` is a valid name: it is never passed where a tool could read it as an option (see
 * `mysqlDatabaseArgs`; PostgreSQL tools get it through PGDATABASE or `dbname=`).
 */
export function checkDatabaseName(engine: Engine, database: string, label: string): void {
  const refuse = (why: string) =>
    new ConfigurationError(
      `${label}: the database name ${quote(database)} ${why}; no ${engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} server accepts it. Nothing was done.`,
      'Check the path of the URL: …@host:port/dbname (percent-encoded).',
    );
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(database)) throw refuse('contains a control character');
  if (engine === 'postgres' && Buffer.byteLength(database, 'utf8') > 63)
    throw refuse(`is ${Buffer.byteLength(database, 'utf8')} bytes long (at most 63)`);
  if (engine === 'mysql' && [...database].length > 64)
    throw refuse(`is ${[...database].length} characters long (at most 64)`);
  if (engine === 'mysql' && / $/.test(database)) throw refuse('ends with a space');
}

/**
 * The end of a MySQL/MariaDB client's or dump tool's arguments naming the database: after `--`, so that a name
 * starting with `-` (`-eDROP…`, `--tee=…`, `--help`) is never read as an option.
 */
export function mysqlDatabaseArgs(database: string): string[] {
  return ['--', database];
}

/** host:port/database as engine://user@host:port/database, for logs (never the password). */
export function describeTarget(t: DatabaseTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.engine}://${t.user ? `${encodeURIComponent(t.user)}@` : ''}${host}:${t.port}/${t.database}`;
}

/** `PostgreSQL host:port/database`, for summaries: names the database without credentials. */
export function describeDatabase(t: DatabaseTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} ${host}:${t.port}/${t.database}`;
}

export function withDatabase(t: DatabaseTarget, database: string): DatabaseTarget {
  return { ...t, database };
}

/** Identifier quoting: "name" for PostgreSQL, `name` for MySQL. */
export function quoteIdent(engine: Engine, name: string): string {
  return engine === 'postgres' ? `"${name.replace(/"/g, '""')}"` : `\`${name.replace(/`/g, '``')}\``;
}

/** String literal quoting ('it''s'; MySQL also escapes backslashes). */
export function quoteLiteral(engine: Engine, value: string): string {
  const v = engine === 'mysql' ? value.replace(/\\/g, '\\\\') : value;
  return `'${v.replace(/'/g, "''")}'`;
}

/** A qualified table name (`schema.table` for PostgreSQL, `table` for MySQL), quoted. */
export function quoteTable(engine: Engine, table: TableName): string {
  return engine === 'postgres' && table.schema
    ? `${quoteIdent(engine, table.schema)}.${quoteIdent(engine, table.name)}`
    : quoteIdent(engine, table.name);
}

/** A libpq connection string naming only a database (so a name containing `=` is never read as conninfo). */
export function pgDbnameArg(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// ---------------------------------------------------------------------------------------------------------
// Credentials: environment for libpq, a 0600 option file for the MySQL clients.

export interface Credentials {
  /** Added to the tool's environment. */
  env: Record<string, string | undefined>;
  /** Must come first on the tool's command line (MySQL: --defaults-extra-file=...; names a file, no secret). */
  leadingArgs: string[];
  /** Removes the option file. Safe to call twice. */
  dispose(): void;
}

const PG_SSL_PARAMS: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcrl: 'PGSSLCRL',
  application_name: 'PGAPPNAME',
  options: 'PGOPTIONS',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  connect_timeout: 'PGCONNECT_TIMEOUT',
};

/** MariaDB/MySQL option-file value: double-quoted with \\ and \" escaped (newlines as \n). */
export function optionFileValue(value: string): string {
  return `"${value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')}"`;
}

const MYSQL_SSL_PARAMS: Record<string, string> = {
  'ssl-ca': 'ssl-ca',
  sslca: 'ssl-ca',
  'ssl-cert': 'ssl-cert',
  'ssl-key': 'ssl-key',
};

/**
 * How a tool receives the connection: PostgreSQL tools read PG* variables (PGPASSWORD, never argv; the
 * user's PGSERVICE/PGPASSFILE/PGDATABASE are cleared so nothing else decides where we connect). MySQL tools
 * read a 0600 `[client]` option file written in a fresh 0700 directory under `tmpDir`.
 */
export function prepareCredentials(
  t: DatabaseTarget,
  opts: { tmpDir: string; connectTimeoutSec: number },
): Credentials {
  if (t.engine === 'postgres') {
    const env: Record<string, string | undefined> = {
      PGHOST: t.host,
      PGPORT: String(t.port),
      PGUSER: t.user || undefined,
      PGPASSWORD: t.password || undefined,
      PGDATABASE: t.database,
      PGCONNECT_TIMEOUT: String(Math.max(2, opts.connectTimeoutSec)),
      PGSERVICE: undefined,
      PGSERVICEFILE: undefined,
      PGCLUSTER: undefined,
      PGAPPNAME: 'deploy-runbook',
    };
    // With a password in the URL, no ~/.pgpass or PGPASSFILE decides instead; without one, they still may.
    if (t.password) env.PGPASSFILE = undefined;
    for (const [param, variable] of Object.entries(PG_SSL_PARAMS))
      if (t.params[param] !== undefined) env[variable] = t.params[param];
    return { env, leadingArgs: [], dispose: () => undefined };
  }
  const dir = mkdtempSync(path.join(opts.tmpDir, 'dbcred-'));
  const file = path.join(dir, 'client.cnf');
  const lines = ['[client]', `host=${optionFileValue(t.host)}`, `port=${t.port}`];
  if (t.user) lines.push(`user=${optionFileValue(t.user)}`);
  // An empty password line means "empty password", not "prompt"; only written when there is one.
  if (t.password) lines.push(`password=${optionFileValue(t.password)}`);
  if (t.host !== 'localhost') lines.push('protocol=TCP');
  const sslMode = t.params['ssl-mode'] ?? t.params.sslmode;
  if (sslMode && /^(required|require|verify[-_]ca|verify[-_]identity|verify[-_]full)$/i.test(sslMode))
    lines.push('ssl');
  if (sslMode && /^verify/i.test(sslMode)) lines.push('ssl-verify-server-cert');
  for (const [param, option] of Object.entries(MYSQL_SSL_PARAMS))
    if (t.params[param] !== undefined) lines.push(`${option}=${optionFileValue(t.params[param])}`);
  // Only the interactive client has a connect timeout (mysqldump/mariadb-dump reject the option); dumps run
  // after a query has connected, and every tool run is bounded by its own timeout.
  lines.push('[mysql]', `connect-timeout=${Math.max(2, opts.connectTimeoutSec)}`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return {
    // The MYSQL_PWD/MYSQL_HOST a caller's environment may carry must not override the file.
    env: { MYSQL_PWD: undefined, MYSQL_HOST: undefined, MYSQL_TCP_PORT: undefined },
    leadingArgs: [`--defaults-extra-file=${file}`],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Remove the MySQL option files (with their passwords) `prepareCredentials` wrote under `tmpDir` and a killed
 * run could not remove: every `dbcred-*` directory holding only `client.cnf`. For post steps, which run after
 * the job's steps, when no tool still reads them. Returns the directories removed.
 */
export function removeCredentialFiles(tmpDir: string): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(tmpDir);
  } catch {
    return removed;
  }
  for (const name of entries.filter((n) => n.startsWith('dbcred-'))) {
    const dir = path.join(tmpDir, name);
    try {
      const files = readdirSync(dir);
      if (files.some((f) => f !== 'client.cnf')) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      /* not a directory, or already gone */
    }
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------------------
// Versions and client selection.

export interface ServerVersion {
  engine: Engine;
  /** MySQL-family flavour: 'mariadb' or 'mysql'; 'postgres' for PostgreSQL. */
  flavor: 'postgres' | 'mariadb' | 'mysql';
  /** Full version string as the server reports it, e.g. `15.20 (Debian 15.20-0+deb12u1)`, `10.11.19-MariaDB`. */
  version: string;
  /** Major version: 15 for PostgreSQL 15.x, 9.6 for 9.6.x; 10.11 for MariaDB, 8.0 for MySQL 8.0.x. */
  major: string;
}

/** Major version from a version number: PostgreSQL 10+ → `15`; PostgreSQL 9.x and MySQL → `9.6`, `10.11`, `8.0`. */
export function majorOf(engine: Engine, version: string): string {
  const m = /(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return '';
  if (engine === 'postgres' && Number(m[1]) >= 10) return m[1]!;
  return m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!;
}

/** `pg_dump (PostgreSQL) 15.20 (Debian …)` → `15.20`; `mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB` → `10.11.19-MariaDB`. */
export function parseToolVersion(output: string): string | undefined {
  const distrib = /Distrib\s+([0-9][^\s,]*)/.exec(output);
  if (distrib) return distrib[1];
  const pg = /\(PostgreSQL\)\s+([0-9][^\s]*)/.exec(output);
  if (pg) return pg[1];
  const mysql8 = /\bVer\s+([0-9]+\.[0-9][^\s]*)/.exec(output);
  return mysql8?.[1];
}

/** Where to look for a tool, in order. */
export interface ClientSearch {
  /** A directory the user named (input `client-path`): the only place looked at when given. */
  clientPath?: string;
  /** The PATH to search. */
  pathEnv: string;
  /** Root of Debian's versioned PostgreSQL installs. */
  pgLibDir?: string;
}

export const PG_LIB_DIR = '/usr/lib/postgresql';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian's postgresql-common wrapper (/usr/bin/psql → pg_wrapper), which picks a version by itself. */
function isPgWrapper(file: string): boolean {
  try {
    return path.basename(realpathSync(file)) === 'pg_wrapper';
  } catch {
    return false;
  }
}

/** Every executable named `tool` on PATH, in PATH order. */
export function whichAll(tool: string, pathEnv: string): string[] {
  return pathEnv
    .split(path.delimiter)
    .filter(Boolean)
    .map((d) => path.join(d, tool))
    .filter(isExecutable);
}

/** Candidate paths of `tool` for a server of `major`, in the order they should be tried (existing files only). */
export function clientCandidates(engine: Engine, tool: string, major: string, s: ClientSearch): string[] {
  if (s.clientPath) {
    const p = path.join(s.clientPath, tool);
    return isExecutable(p) ? [p] : [];
  }
  const out: string[] = [];
  if (engine === 'postgres') {
    const versioned = path.join(s.pgLibDir ?? PG_LIB_DIR, major, 'bin', tool);
    if (isExecutable(versioned)) out.push(versioned);
  }
  for (const p of whichAll(tool, s.pathEnv)) if (!out.includes(p)) out.push(p);
  return out;
}

/** Installed `/usr/lib/postgresql/<major>/bin` directories, newest first (for any-version tools like psql). */
export function installedPgMajors(pgLibDir = PG_LIB_DIR): string[] {
  try {
    return readdirSync(pgLibDir)
      .filter((d) => /^\d+(\.\d+)?$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

/** What to install to get `tool` for a server version, for error messages. */
export function installHint(engine: Engine, flavor: ServerVersion['flavor'], major: string): string {
  if (engine === 'postgres')
    return (
      `Install the PostgreSQL ${major} client: on Debian/Ubuntu runners \`sudo apt-get install -y postgresql-client-${major}\` ` +
      `(add the PGDG repository, apt.postgresql.org, if your distribution lacks it), then it is found in ` +
      `/usr/lib/postgresql/${major}/bin; or set the input "client-path" to a directory holding the ${major} client tools.`
    );
  return flavor === 'mariadb'
    ? `Install the MariaDB client (\`sudo apt-get install -y mariadb-client\`) or set the input "client-path" to a directory holding mariadb-dump and mariadb.`
    : `Install the MySQL ${major} client (\`sudo apt-get install -y mysql-client\`) or set the input "client-path" to a directory holding mysqldump and mysql.`;
}

// ---------------------------------------------------------------------------------------------------------
// Running the clients.

export interface DbClientOptions {
  exec: ProcessRunner;
  /** A private temp directory root (RUNNER_TEMP) for the MySQL option file. */
  tmpDir: string;
  search: ClientSearch;
  signal?: AbortSignal;
  /** Seconds the client waits for the server to accept a connection. */
  connectTimeoutSec: number;
  /** Bound on one query (version, listing, counts); not on dumps, which the caller bounds. */
  queryTimeoutMs: number;
}

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
}

export interface TableName {
  /** PostgreSQL schema; undefined for MySQL (the database is the schema). */
  schema?: string;
  name: string;
}

/** `schema.name` (PostgreSQL) or `name` (MySQL): the key tables are reported and compared by. */
export function tableKey(t: TableName): string {
  return t.schema ? `${t.schema}.${t.name}` : t.name;
}

const FIELD = '\x1f';
const RECORD = '\x1e';

/** MySQL batch-mode unescaping (\\t \\n \\0 \\\\) of one field. */
export function unescapeBatchField(s: string): string {
  return s.replace(/\\([tn0\\])/g, (_m, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : c === '0' ? '\0' : '\\',
  );
}

/**
 * One database reached through its command-line clients. Queries go through psql/mariadb with the SQL on stdin;
 * other tools (dump, restore) are run with `runTool`, which adds the credentials. Call `dispose()` when done.
 */
export class DatabaseClient {
  private readonly creds: Credentials;
  private serverVersionCache?: ServerVersion;
  private queryTool?: string;

  constructor(
    readonly target: DatabaseTarget,
    private readonly o: DbClientOptions,
  ) {
    this.creds = prepareCredentials(target, { tmpDir: o.tmpDir, connectTimeoutSec: o.connectTimeoutSec });
  }

  get engine(): Engine {
    return this.target.engine;
  }

  dispose(): void {
    this.creds.dispose();
  }

  /** The same server and credentials, another database. */
  forDatabase(database: string): DatabaseClient {
    const c = new DatabaseClient(withDatabase(this.target, database), this.o);
    c.serverVersionCache = this.serverVersionCache;
    c.queryTool = this.queryTool;
    return c;
  }

  /** Run a tool with the connection's credentials (env, and the MySQL option file as first argument). */
  runTool(req: ProcRequest): Promise<ProcResult> {
    return this.o.exec({
      signal: this.o.signal,
      ...req,
      args: [...this.creds.leadingArgs, ...req.args],
      env: { ...this.creds.env, ...req.env },
    });
  }

  /** The psql used for queries (PostgreSQL only). */
  psqlPath(): string {
    return this.resolveQueryTool();
  }

  /**
   * The interactive client used for SQL: psql (any version reads any server) or mariadb/mysql. Order:
   * client-path, then PATH, then Debian's versioned dirs; but Debian's pg_wrapper (a Perl script that costs
   * ~60 ms a call) is passed over for a versioned psql when one is installed.
   */
  private resolveQueryTool(): string {
    if (this.queryTool) return this.queryTool;
    const names = this.engine === 'postgres' ? ['psql'] : ['mariadb', 'mysql'];
    const s = this.o.search;
    const versioned =
      this.engine === 'postgres'
        ? installedPgMajors(s.pgLibDir)
            .map((major) => path.join(s.pgLibDir ?? PG_LIB_DIR, major, 'bin', 'psql'))
            .filter(isExecutable)
        : [];
    for (const n of names) {
      const onPath = whichAll(n, s.pathEnv);
      const found = [
        ...(s.clientPath ? clientCandidates(this.engine, n, '', s) : []),
        ...onPath.filter((p) => !isPgWrapper(p)),
        ...versioned,
        ...onPath,
      ];
      if (found[0]) return (this.queryTool = found[0]);
    }
    const where = s.clientPath ? `in ${s.clientPath} (input "client-path") or on PATH` : 'on PATH';
    throw new DatabaseError(
      `No ${names.join(' or ')} client found ${where}: it is needed to query the ${this.engine} server. ` +
        (this.engine === 'postgres'
          ? 'Install postgresql-client (`sudo apt-get install -y postgresql-client`).'
          : 'Install mariadb-client or mysql-client (`sudo apt-get install -y mariadb-client`).'),
    );
  }

  /**
   * Run SQL (on stdin, never argv) and return the rows as arrays of strings (NULL as null). Fails with the
   * server's message, the target (no password) and what it means.
   */
  async query(sql: string, what: string, timeoutMs = this.o.queryTimeoutMs): Promise<(string | null)[][]> {
    const tool = this.resolveQueryTool();
    const args =
      this.engine === 'postgres'
        ? ['-X', '-A', '-t', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '-F', FIELD, '-R', RECORD, '-P', 'null=\\N']
        : [
            '--batch',
            '--skip-column-names',
            '--default-character-set=utf8mb4',
            ...mysqlDatabaseArgs(this.target.database),
          ];
    const r = await this.runTool({ command: tool, args, input: sql, timeoutMs });
    if (r.exitCode !== 0) throw new DatabaseError(this.failure(`${what}`, r, timeoutMs));
    if (this.engine === 'postgres') {
      return r.stdout
        .split(RECORD)
        .map((rec) => rec.replace(/^\n/, ''))
        .filter((rec) => rec !== '' && rec !== '\n')
        .map((rec) =>
          rec
            .replace(/\n$/, '')
            .split(FIELD)
            .map((f) => (f === '\\N' ? null : f)),
        );
    }
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t').map((f) => (f === 'NULL' ? null : unescapeBatchField(f))));
  }

  /** A failure message for an on-call engineer: what failed, against what, the tool's words, and what to check. */
  failure(what: string, r: ProcResult, timeoutMs?: number): string {
    const where = describeTarget(this.target);
    const detail = tail(r.stderr, 8) || tail(r.stdout, 4);
    const hints: string[] = [];
    const e = r.stderr;
    if (r.timedOut)
      hints.push(
        `It did not finish within ${Math.round((timeoutMs ?? r.durationMs) / 1000)} s. If the server never answered, check the host and port, the network path (firewall, security group, VPN) and that the server is up; if it is busy (locks, a large table), raise the step's timeout.`,
      );
    else if (
      /could not connect|Connection refused|Can't connect|Unknown (MySQL |MariaDB )?server host|could not translate host|timeout expired|Lost connection/i.test(
        e,
      )
    )
      hints.push(
        'The server cannot be reached: check the host and port in the URL, and that the server is up and reachable from this runner.',
      );
    if (/database "[^"]*" does not exist|Unknown database/i.test(e))
      hints.push(
        `The database "${this.target.database}" does not exist on that server: check the database name in the URL.`,
      );
    if (
      /password authentication failed|Access denied for user|no password supplied|role "[^"]*" does not exist/i.test(
        e,
      )
    )
      hints.push('The server refused the credentials: check the user and password in the URL secret.');
    if (/permission denied|command denied|privilege/i.test(e))
      hints.push('The user lacks a privilege this step needs: grant it, or use a user that has it.');
    return (
      `${what} failed on ${where}: the client ${describeExit(r, timeoutMs)}.` +
      (detail ? `\n${detail}` : '') +
      (hints.length ? `\n${hints.join('\n')}` : '')
    );
  }

  /** The server's version (first contact with the server: fails clearly when it cannot be reached). */
  async serverVersion(): Promise<ServerVersion> {
    if (this.serverVersionCache) return this.serverVersionCache;
    const rows = await this.query(
      this.engine === 'postgres'
        ? "SELECT current_setting('server_version_num'), current_setting('server_version');"
        : 'SELECT VERSION(), @@version_comment;',
      'Reading the server version',
      this.o.connectTimeoutSec * 1000 + 15_000,
    );
    const [a, b] = rows[0] ?? [];
    let v: ServerVersion;
    if (this.engine === 'postgres') {
      const num = Number(a);
      const major =
        num >= 100000
          ? String(Math.floor(num / 10000))
          : `${Math.floor(num / 10000)}.${Math.floor(num / 100) % 100}`;
      v = { engine: 'postgres', flavor: 'postgres', version: b ?? String(a), major };
    } else {
      const version = a ?? '';
      const flavor = /mariadb/i.test(`${version} ${b ?? ''}`) ? 'mariadb' : 'mysql';
      v = { engine: 'mysql', flavor, version, major: majorOf('mysql', version) };
    }
    return (this.serverVersionCache = v);
  }

  /**
   * The tool (pg_dump, pg_restore; mariadb-dump/mysqldump; mariadb/mysql) to use against this server, with its
   * version: for PostgreSQL the major must equal the server's (Debian's wrapper would run the highest installed
   * one, which fails with "server version mismatch" or writes archives older tools cannot read). Fails before
   * anything is done with what was found and what to install.
   */
  async resolveTool(kind: 'dump' | 'restore' | 'client'): Promise<{ path: string; version: string }> {
    const server = await this.serverVersion();
    const names =
      this.engine === 'postgres'
        ? [{ dump: 'pg_dump', restore: 'pg_restore', client: 'psql' }[kind]]
        : kind === 'dump'
          ? server.flavor === 'mariadb'
            ? ['mariadb-dump', 'mysqldump']
            : ['mysqldump', 'mariadb-dump']
          : server.flavor === 'mariadb'
            ? ['mariadb', 'mysql']
            : ['mysql', 'mariadb'];
    const tried: string[] = [];
    for (const name of names) {
      for (const candidate of clientCandidates(this.engine, name, server.major, this.o.search)) {
        const r = await this.o.exec({
          command: candidate,
          args: ['--version'],
          timeoutMs: 15_000,
          signal: this.o.signal,
        });
        const version = r.exitCode === 0 ? parseToolVersion(r.stdout) : undefined;
        if (!version) {
          tried.push(
            `${candidate} (its --version ${r.exitCode === 0 ? `printed ${quote(tail(r.stdout, 1))}` : describeExit(r, 15_000)})`,
          );
          continue;
        }
        if (this.engine === 'mysql' || majorOf('postgres', version) === server.major)
          return { path: candidate, version };
        tried.push(`${candidate} (version ${version})`);
      }
    }
    const where = this.o.search.clientPath
      ? `in ${this.o.search.clientPath} (input "client-path")`
      : `on PATH or in ${this.o.search.pgLibDir ?? PG_LIB_DIR}/${server.major}/bin`;
    const wanted = this.engine === 'postgres' ? `${names[0]} ${server.major}` : names.join(' or ');
    throw new DatabaseError(
      `No ${wanted} client found ${where} for the ${server.flavor === 'postgres' ? 'PostgreSQL' : server.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${server.version} server at ${this.target.host}:${this.target.port}` +
        (tried.length ? `; found only: ${tried.join(', ')}` : '') +
        '. Nothing was done.' +
        (this.engine === 'postgres'
          ? ` A ${names[0]} of another major version fails with "server version mismatch" or writes archives that other versions cannot read.`
          : '') +
        `\n${installHint(this.engine, server.flavor, server.major)}`,
    );
  }

  /** User tables (see `listTables`). */
  listTables(): Promise<TableName[]> {
    return listTables(this);
  }

  /** Exact row counts (see `countRows`). */
  countRows(tables: readonly TableName[], timeoutMs?: number): Promise<Map<string, number>> {
    return countRows(this, tables, timeoutMs);
  }

  /**
   * CREATE DATABASE on this client's server (connected through this client's database). `template` (PostgreSQL)
   * e.g. template0, for an empty database a dump restores into without clashes.
   */
  async createDatabase(name: string, opts: { template?: string; what?: string } = {}): Promise<void> {
    const template =
      this.engine === 'postgres' && opts.template
        ? ` TEMPLATE ${quoteIdent(this.engine, opts.template)}`
        : '';
    await this.query(
      `CREATE DATABASE ${quoteIdent(this.engine, name)}${template};`,
      opts.what ?? `Creating the database "${name}"`,
    );
  }

  /** DROP DATABASE IF EXISTS (PostgreSQL 13+: WITH (FORCE), ending sessions left behind). */
  async dropDatabase(name: string, timeoutMs?: number): Promise<void> {
    const server = await this.serverVersion();
    const force = this.engine === 'postgres' && Number(server.major) >= 13 ? ' WITH (FORCE)' : '';
    await this.query(
      `DROP DATABASE IF EXISTS ${quoteIdent(this.engine, name)}${force};`,
      `Dropping the database "${name}"`,
      timeoutMs,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Introspection that works through anything that runs SQL: a client, or a snapshot session.

/** Something that runs SQL and returns rows of strings: a DatabaseClient or a PgSnapshotSession. */
export interface SqlRunner {
  readonly engine: Engine;
  query(sql: string, what: string, timeoutMs?: number): Promise<(string | null)[][]>;
}

/** SQL listing user tables: PostgreSQL ordinary and partitioned tables outside system and extension-owned objects; MySQL base tables. */
export function listTablesSql(engine: Engine): string {
  return engine === 'postgres'
    ? `SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2;`
    : `SELECT table_name FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1;`;
}

export async function listTables(db: SqlRunner, timeoutMs?: number): Promise<TableName[]> {
  const rows = await db.query(listTablesSql(db.engine), 'Listing the tables', timeoutMs);
  return db.engine === 'postgres'
    ? rows.map(([schema, name]) => ({ schema: schema ?? '', name: name ?? '' }))
    : rows.map(([name]) => ({ name: name ?? '' }));
}

/** One statement counting the rows of each table exactly (count(*)): `key, count` per table. */
export function countRowsSql(engine: Engine, tables: readonly TableName[]): string {
  return (
    tables
      .map((t) => `SELECT ${quoteLiteral(engine, tableKey(t))}, count(*) FROM ${quoteTable(engine, t)}`)
      .join('\nUNION ALL\n') + ';'
  );
}

/**
 * Exact row counts keyed by `tableKey`, 200 tables per statement (one statement sees one snapshot; run it in
 * a PgSnapshotSession for counts consistent with a dump).
 */
export async function countRows(
  db: SqlRunner,
  tables: readonly TableName[],
  timeoutMs?: number,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < tables.length; i += 200) {
    const sql = countRowsSql(db.engine, tables.slice(i, i + 200));
    for (const [key, n] of await db.query(sql, 'Counting rows', timeoutMs)) counts.set(key ?? '', Number(n));
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------------------
// A PostgreSQL session holding an exported snapshot, so other tools (pg_dump --snapshot) and our own queries
// see exactly the same data.

/**
 * An open psql session inside `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY` that exported its snapshot.
 * Queries run in it see the snapshot `id`; pass `id` to `pg_dump --snapshot`. Always `close()` it.
 */
export class PgSnapshotSession {
  private lines: string[] = [];
  private waiter?: () => void;
  private ended = false;
  private seq = 0;

  private constructor(
    private readonly input: PassThrough,
    private readonly done: Promise<ProcResult>,
    private readonly client: DatabaseClient,
    readonly id: string,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** `timeoutMs` bounds the wait for the snapshot; `lifetimeMs` the whole session (it is stopped after that). */
  static async open(
    client: DatabaseClient,
    timeoutMs: number,
    lifetimeMs: number,
  ): Promise<PgSnapshotSession> {
    if (client.engine !== 'postgres') throw new Error('PgSnapshotSession is for PostgreSQL');
    const input = new PassThrough();
    const state: { session?: PgSnapshotSession } = {};
    const early: string[] = [];
    let onEarly: (() => void) | undefined;
    const tool = client.psqlPath();
    const done = client.runTool({
      command: tool,
      args: ['-X', '-A', '-t', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '-F', FIELD],
      stdin: input,
      timeoutMs: lifetimeMs,
      onLine: (line, stream) => {
        if (stream !== 'stdout') return;
        if (state.session) state.session.push(line);
        else {
          early.push(line);
          onEarly?.();
        }
      },
    });
    let exited: ProcResult | undefined;
    void done.then((r) => {
      exited = r;
      onEarly?.();
      state.session?.finish();
    });
    input.write(
      "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\nSELECT 'snapshot:' || pg_catalog.pg_export_snapshot();\n",
    );
    const id = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      onEarly = () => {
        const l = early.find((x) => x.startsWith('snapshot:'));
        if (l || exited) {
          clearTimeout(timer);
          resolve(l?.slice('snapshot:'.length));
        }
      };
      onEarly();
    });
    if (!id) {
      input.end();
      const r =
        exited ??
        (await Promise.race([done, new Promise<undefined>((res) => setTimeout(() => res(undefined), 5000))]));
      if (r) throw new DatabaseError(client.failure('Opening a snapshot (pg_export_snapshot)', r, timeoutMs));
      throw new DatabaseError(
        `Opening a snapshot (pg_export_snapshot) on ${describeTarget(client.target)}: no answer within ${Math.round(timeoutMs / 1000)} s. Check that the server is reachable and not overloaded.`,
      );
    }
    state.session = new PgSnapshotSession(input, done, client, id, lifetimeMs);
    return state.session;
  }

  private push(line: string): void {
    this.lines.push(line);
    this.waiter?.();
  }

  private finish(): void {
    this.ended = true;
    this.waiter?.();
  }

  readonly engine: Engine = 'postgres';

  /** Run SQL in the snapshot; rows as arrays of strings (NULL as null). Values must not contain newlines. */
  async query(sql: string, what: string, timeoutMs = this.defaultTimeoutMs): Promise<(string | null)[][]> {
    const marker = `__end_${++this.seq}_${Math.random().toString(36).slice(2)}`;
    this.lines = [];
    this.input.write(`${sql.trim().replace(/;?$/, ';')}\nSELECT '${marker}';\n`);
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiter = () => {
        if (this.lines.includes(marker) || this.ended) {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(this.lines.includes(marker));
        }
      };
      this.waiter();
    });
    if (!ok) {
      if (this.ended) throw new DatabaseError(this.client.failure(what, await this.done, timeoutMs));
      throw new DatabaseError(
        `${what} on ${describeTarget(this.client.target)}: no answer within ${Math.round(timeoutMs / 1000)} s (input "timeout"); the server may be overloaded or a lock is held.`,
      );
    }
    const rows = this.lines.slice(0, this.lines.indexOf(marker));
    return rows.filter((l) => l !== '').map((l) => l.split(FIELD).map((f) => (f === '' ? null : f)));
  }

  /** Ends the transaction and the session (bounded: a session that does not end within 10 s is stopped). */
  async close(): Promise<void> {
    if (!this.ended) this.input.end('COMMIT;\n');
    const timer = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 10_000).unref());
    await Promise.race([this.done, timer]);
  }
}
