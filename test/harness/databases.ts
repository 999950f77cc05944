/**
 * Throwaway databases on the local PostgreSQL 15 and MariaDB 10.11 for integration tests: each test creates its
 * own uniquely named database and drops it afterwards. Queries go through pg / mysql2 (the drivers the action
 * bundles), with a timeout on every connection.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type Engine = 'postgres' | 'mysql';

export const PG_ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
export const MY_ADMIN = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

export interface TestDb {
  engine: Engine;
  name: string;
  /** URL with a password (PostgreSQL trust auth ignores it; MariaDB has a user created with it). */
  url: string;
  password: string;
  /** Run one statement (or a few, on PostgreSQL) and return the rows. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** A separate long-lived connection (to hold locks). */
  connect(): Promise<{ query: (sql: string) => Promise<unknown>; close: () => Promise<void> }>;
  tables(): Promise<string[]>;
  columns(table: string): Promise<string[]>;
  drop(): Promise<void>;
}

export async function createTestDb(engine: Engine, label = 'rm'): Promise<TestDb> {
  const name = `${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(9).toString('hex')}`;
  if (engine === 'postgres') {
    const admin = new pg.Client({ ...PG_ADMIN, connectionTimeoutMillis: 10_000 });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    const open = async () => {
      const c = new pg.Client({ ...PG_ADMIN, database: name, connectionTimeoutMillis: 10_000 });
      await c.connect();
      return c;
    };
    const db: TestDb = {
      engine,
      name,
      password,
      url: `postgres://postgres:${password}@127.0.0.1:5432/${name}`,
      async query(sql, values) {
        const c = await open();
        try {
          return (await c.query(sql, values)).rows;
        } finally {
          await c.end();
        }
      },
      async connect() {
        const c = await open();
        return { query: (sql: string) => c.query(sql), close: () => c.end() };
      },
      async tables() {
        const rows = await db.query<{ t: string }>(
          `select table_name as t from information_schema.tables where table_schema = 'public' order by 1`,
        );
        return rows.map((r) => r.t);
      },
      async columns(table) {
        const rows = await db.query<{ c: string }>(
          `select column_name as c from information_schema.columns where table_name = $1 order by ordinal_position`,
          [table],
        );
        return rows.map((r) => r.c);
      },
      async drop() {
        const a = new pg.Client({ ...PG_ADMIN, connectionTimeoutMillis: 10_000 });
        await a.connect();
        await a.query(`drop database if exists "${name}" with (force)`);
        await a.end();
      },
    };
    return db;
  }
  const admin = await mysql.createConnection({ ...MY_ADMIN, connectTimeout: 10_000 });
  const user = name.slice(0, 32);
  await admin.query(`create database \`${name}\``);
  await admin.query(`create user '${user}'@'%' identified by '${password}'`);
  await admin.query(`create user '${user}'@'localhost' identified by '${password}'`);
  await admin.query(`grant all on \`${name}\`.* to '${user}'@'%'`);
  await admin.query(`grant all on \`${name}\`.* to '${user}'@'localhost'`);
  // a companion database for tools that keep their registry apart (sqitch: registry = <name>_sqitch)
  await admin.query(`grant all on \`${name}_sqitch\`.* to '${user}'@'%'`);
  await admin.query(`grant all on \`${name}_sqitch\`.* to '${user}'@'localhost'`);
  await admin.query(`grant process on *.* to '${user}'@'%'`);
  await admin.query(`grant process on *.* to '${user}'@'localhost'`);
  await admin.end();
  const open = () =>
    mysql.createConnection({ ...MY_ADMIN, database: name, connectTimeout: 10_000, multipleStatements: true });
  const db: TestDb = {
    engine,
    name,
    password,
    url: `mysql://${user}:${password}@127.0.0.1:3306/${name}`,
    async query(sql, values) {
      const c = await open();
      try {
        const [rows] = await c.query(sql, values);
        return rows as never[];
      } finally {
        await c.end();
      }
    },
    async connect() {
      const c = await open();
      return { query: (sql: string) => c.query(sql), close: () => c.end() };
    },
    async tables() {
      const rows = await db.query<{ t: string }>(
        `select table_name as t from information_schema.tables where table_schema = database() order by 1`,
      );
      return rows.map((r) => r.t);
    },
    async columns(table) {
      const rows = await db.query<{ c: string }>(
        `select column_name as c from information_schema.columns where table_schema = database() and table_name = ? order by ordinal_position`,
        [table],
      );
      return rows.map((r) => r.c);
    },
    async drop() {
      const a = await mysql.createConnection({ ...MY_ADMIN, connectTimeout: 10_000 });
      await a.query(`drop database if exists \`${name}\``);
      await a.query(`drop database if exists \`${name}_sqitch\``);
      await a.query(`drop user if exists '${user}'@'%'`);
      await a.query(`drop user if exists '${user}'@'localhost'`);
      await a.end();
    },
  };
  return db;
}
