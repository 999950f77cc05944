/**
 * Database URLs: postgres://, postgresql://, mysql://, mariadb://. Parsing, engine detection and masking. A
 * database URL is a secret (it carries the password): register it with `registerDatabaseUrl` as soon as it is
 * known, and pass it to tools by environment, never argv. Messages here never contain the password.
 */
import type { SecretRegistry } from './secrets.js';

export type DbEngine = 'postgres' | 'mysql';

export interface DbUrl {
  engine: DbEngine;
  /** The scheme as given, without the colon (postgres, postgresql, mysql, mariadb). */
  scheme: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The database name ('' when the URL names none). */
  database: string;
  /** Query parameters (sslmode, ssl, ...). */
  params: Record<string, string>;
}

const SCHEMES: Record<string, DbEngine> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
};

export const DEFAULT_PORTS: Record<DbEngine, number> = { postgres: 5432, mysql: 3306 };

export class DbUrlError extends Error {
  override readonly name = 'DbUrlError';
}

/** The engine a URL's scheme names, or undefined for another or an unparseable URL. */
export function engineOf(url: string): DbEngine | undefined {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url.trim());
  return m ? SCHEMES[m[1]!.toLowerCase()] : undefined;
}

/** Parse a database URL. Errors name the problem and the scheme, never the password. */
export function parseDatabaseUrl(url: string): DbUrl {
  const text = url.trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new DbUrlError(
      'is not a URL; expected e.g. postgres://user:password@host:5432/dbname or mysql://user:password@host:3306/dbname',
    );
  }
  const engine = SCHEMES[u.protocol.toLowerCase()];
  if (!engine)
    throw new DbUrlError(
      `has the scheme ${JSON.stringify(u.protocol)}; expected postgres://, postgresql://, mysql:// or mariadb://`,
    );
  if (!u.hostname) throw new DbUrlError('has no host; expected e.g. postgres://user@db.internal:5432/app');
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database.includes('/'))
    throw new DbUrlError(`has a path with more than a database name (${JSON.stringify(u.pathname)})`);
  return {
    engine,
    scheme: u.protocol.slice(0, -1).toLowerCase(),
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : DEFAULT_PORTS[engine],
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
    params: Object.fromEntries(u.searchParams),
  };
}

/** Register the URL's password (and its encoded forms) as secrets; returns the URL with the password as ***. */
export function registerDatabaseUrl(secrets: SecretRegistry, url: string): string {
  return secrets.addUrl(url.trim());
}

/** The URL with its password replaced by *** (for messages that must show which database was meant). */
export function maskDatabaseUrl(url: string): string {
  try {
    const u = new URL(url.trim());
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The same URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url.trim());
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** `host:port/database`, for summaries: identifies the database without credentials. */
export function describeDatabase(db: DbUrl): string {
  const host = db.host.includes(':') ? `[${db.host}]` : db.host;
  return `${db.engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} ${host}:${db.port}/${db.database}`;
}
