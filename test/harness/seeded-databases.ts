/**
 * Seeded test databases through the command-line clients (backup-db tests; see databases.ts for the driver-based
 * ones run-migrations uses) on the local PostgreSQL and MariaDB servers (127.0.0.1): each test creates its own uniquely
 * named database and drops it. SQL goes through psql/mariadb on stdin. Also: rich seed data and a content
 * fingerprint (a checksum of each table's ordered rows, sequences, views, routines, triggers) for round trips.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { after } from 'node:test';

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
export const MY = { host: '127.0.0.1', port: 3306, user: 'root' };

export type TestEngine = 'postgres' | 'mysql';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Run SQL (stdin) against a PostgreSQL database as postgres; returns stdout (unaligned, tuples only). */
export function pgSql(db: string, sql: string, opts: { user?: string } = {}): string {
  return execFileSync(
    'psql',
    [
      '-X',
      '-A',
      '-t',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      PG.host,
      '-p',
      String(PG.port),
      '-U',
      opts.user ?? PG.user,
      '-d',
      db,
    ],
    { input: sql, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
  );
}

/** Run SQL (stdin) against a MariaDB database as root over TCP; returns stdout (batch, no column names). */
export function mySql(db: string, sql: string): string {
  return execFileSync(
    'mariadb',
    [
      '--protocol=TCP',
      '-h',
      MY.host,
      '-P',
      String(MY.port),
      '-u',
      MY.user,
      '--batch',
      '--skip-column-names',
      '--default-character-set=utf8mb4',
      ...(db ? [db] : []),
    ],
    { input: sql, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
  );
}

export interface TestDatabase {
  engine: TestEngine;
  name: string;
  /** URL as the superuser (no password: trust / empty root password). */
  url: string;
  sql(sql: string): string;
  drop(): void;
}

export function createDatabase(engine: TestEngine, prefix = 'bk'): TestDatabase {
  const name = uniqueName(prefix);
  if (engine === 'postgres') {
    pgSql('postgres', `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8';`);
    return {
      engine,
      name,
      url: `postgres://${PG.user}@${PG.host}:${PG.port}/${name}`,
      sql: (s) => pgSql(name, s),
      drop: () => pgSql('postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE);`),
    };
  }
  mySql('', `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;`);
  return {
    engine,
    name,
    url: `mysql://${MY.user}@${MY.host}:${MY.port}/${name}`,
    sql: (s) => mySql(name, s),
    drop: () => mySql('', `DROP DATABASE IF EXISTS \`${name}\`;`),
  };
}

/** Databases on the server whose name starts with `prefix` (to prove scratch databases were dropped). */
export function databasesLike(engine: TestEngine, prefix: string): string[] {
  const out =
    engine === 'postgres'
      ? pgSql(
          'postgres',
          `SELECT datname FROM pg_database WHERE starts_with(datname, '${prefix}') ORDER BY 1;`,
        )
      : mySql(
          '',
          `SELECT schema_name FROM information_schema.schemata WHERE LEFT(schema_name, ${prefix.length}) = '${prefix}' ORDER BY 1;`,
        );
  return out.split('\n').filter(Boolean);
}

export const LARGE_TEXT_BYTES = 300_000;

/**
 * Data that exercises a dump: unicode, NULLs, binary, large text, sequences, views, functions and triggers,
 * a second schema (PostgreSQL) and foreign keys.
 */
export function seed(db: TestDatabase): void {
  if (db.engine === 'postgres') {
    db.sql(`
      CREATE SCHEMA billing;
      CREATE TABLE public.customers (
        id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, note text, avatar bytea,
        created timestamptz NOT NULL DEFAULT '2026-01-02 03:04:05+00', score numeric(10,3), tags text[], data jsonb,
        updated_count int NOT NULL DEFAULT 0);
      CREATE TABLE billing.invoices (
        id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES public.customers(id) ON DELETE CASCADE,
        amount_cents bigint NOT NULL, currency char(3) NOT NULL DEFAULT 'EUR', paid boolean, body text);
      CREATE TABLE public.empty_table (id int PRIMARY KEY, v text);
      CREATE TABLE public."Mixed Case ""Quoted"" Table" (id int PRIMARY KEY, "Value" text);
      CREATE SEQUENCE billing.invoice_numbers START 1000 INCREMENT 7;
      CREATE FUNCTION billing.touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.updated_count := OLD.updated_count + 1; RETURN NEW; END $$;
      CREATE TRIGGER customers_touch BEFORE UPDATE ON public.customers FOR EACH ROW EXECUTE FUNCTION billing.touch();
      CREATE FUNCTION billing.total(cid int) RETURNS bigint LANGUAGE sql STABLE AS
        'SELECT coalesce(sum(amount_cents), 0) FROM billing.invoices WHERE customer_id = cid';
      CREATE VIEW billing.customer_totals AS
        SELECT c.id, c.name, billing.total(c.id) AS total FROM public.customers c;
      INSERT INTO public.customers (name, email, note, avatar, score, tags, data) VALUES
        ('Zoë Ångström', 'zoe@example.com', 'naïve café — 日本語 🎉', '\\x00ff10deadbeef00'::bytea, 12.5, '{a,b}', '{"k": [1, null, "ü"]}'),
        ('NULLs everywhere', NULL, NULL, NULL, NULL, NULL, NULL),
        ('Tab\tand
newline', 'tab@example.com', 'back\\slash ''quote'' "dq"', '\\x'::bytea, -0.001, '{}', 'null'),
        ('Big', 'big@example.com', repeat('large text ☃ ', ${Math.ceil(LARGE_TEXT_BYTES / 14)}), decode(repeat('00ff7f80', 5000), 'hex'), 999999.999, '{x}', '{}');
      INSERT INTO billing.invoices (customer_id, amount_cents, currency, paid, body)
        SELECT 1 + (g % 4), g * 100, CASE WHEN g % 2 = 0 THEN 'EUR' ELSE 'USD' END, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END, md5(g::text)
        FROM generate_series(1, 500) g;
      INSERT INTO public."Mixed Case ""Quoted"" Table" VALUES (1, 'ok'), (2, NULL);
      UPDATE public.customers SET score = score WHERE id = 1;
      SELECT nextval('billing.invoice_numbers'); SELECT nextval('billing.invoice_numbers');
    `);
    return;
  }
  db.sql(`
    CREATE TABLE customers (
      id int AUTO_INCREMENT PRIMARY KEY, name varchar(200) NOT NULL, email varchar(200) UNIQUE, note mediumtext,
      avatar blob, created datetime(3) NOT NULL DEFAULT '2026-01-02 03:04:05.678', score decimal(10,3), data json,
      updated_count int NOT NULL DEFAULT 0) ENGINE=InnoDB;
    CREATE TABLE invoices (
      id bigint AUTO_INCREMENT PRIMARY KEY, customer_id int NOT NULL, amount_cents bigint NOT NULL,
      currency char(3) NOT NULL DEFAULT 'EUR', paid tinyint(1), body text,
      CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE) ENGINE=InnoDB;
    CREATE TABLE empty_table (id int PRIMARY KEY, v text) ENGINE=InnoDB;
    CREATE TABLE audit (id int AUTO_INCREMENT PRIMARY KEY, what varchar(100)) ENGINE=InnoDB;
    CREATE TRIGGER customers_touch BEFORE UPDATE ON customers FOR EACH ROW SET NEW.updated_count = OLD.updated_count + 1;
    CREATE FUNCTION total(cid int) RETURNS bigint READS SQL DATA
      RETURN (SELECT COALESCE(SUM(amount_cents), 0) FROM invoices WHERE customer_id = cid);
    CREATE PROCEDURE add_audit(w varchar(100)) MODIFIES SQL DATA INSERT INTO audit (what) VALUES (w);
    CREATE VIEW customer_totals AS SELECT c.id, c.name, total(c.id) AS total FROM customers c;
    CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM audit;
    INSERT INTO customers (name, email, note, avatar, score, data) VALUES
      ('Zoë Ångström', 'zoe@example.com', 'naïve café — 日本語 🎉', UNHEX('00FF10DEADBEEF00'), 12.5, '{"k": [1, null, "ü"]}'),
      ('NULLs everywhere', NULL, NULL, NULL, NULL, NULL),
      ('Tab\tand\nnewline', 'tab@example.com', 'back\\\\slash ''quote'' "dq"', '', -0.001, 'null'),
      ('Big', 'big@example.com', REPEAT('large text ☃ ', ${Math.ceil(LARGE_TEXT_BYTES / 14)}), UNHEX(REPEAT('00FF7F80', 5000)), 999999.999, '{}');
    INSERT INTO invoices (customer_id, amount_cents, currency, paid, body)
      SELECT 1 + (seq % 4), seq * 100, IF(seq % 2 = 0, 'EUR', 'USD'), IF(seq % 3 = 0, NULL, seq % 2 = 0), MD5(seq)
      FROM seq_1_to_500;
    CALL add_audit('seeded');
    UPDATE customers SET score = score + 0 WHERE id = 1;
  `);
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Everything a restore must bring back, as one comparable object: row count and a checksum of each table's
 * rows in a fixed order, sequence/auto-increment states, view contents, routine results, triggers (PostgreSQL:
 * fired inside a rolled-back transaction; MySQL: their definitions), events, schemas and foreign keys.
 */
export function fingerprint(db: TestDatabase): Record<string, string> {
  const out: Record<string, string> = {};
  if (db.engine === 'postgres') {
    const tables = pgSql(
      db.name,
      `SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema') ORDER BY 1;`,
    )
      .split('\n')
      .filter(Boolean);
    for (const t of tables)
      out[`table ${t}`] = pgSql(
        db.name,
        `SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM ${t} x;`,
      ).trim();
    out['sequence billing.invoice_numbers'] = pgSql(
      db.name,
      `SELECT last_value || ',' || is_called FROM billing.invoice_numbers;`,
    ).trim();
    out['sequence customers_id_seq'] = pgSql(
      db.name,
      `SELECT last_value || ',' || is_called FROM public.customers_id_seq;`,
    ).trim();
    out['view billing.customer_totals'] = sha(
      pgSql(db.name, `SELECT * FROM billing.customer_totals ORDER BY id;`),
    );
    out['function billing.total(2)'] = pgSql(db.name, `SELECT billing.total(2);`).trim();
    out['trigger customers_touch'] = pgSql(
      db.name,
      `BEGIN; UPDATE public.customers SET name = name WHERE id = 2 RETURNING updated_count; ROLLBACK;`,
    ).trim();
    out.schemas = pgSql(
      db.name,
      `SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema';`,
    ).trim();
    out['foreign keys'] = pgSql(
      db.name,
      `SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ';' ORDER BY conname) FROM pg_constraint WHERE contype = 'f';`,
    ).trim();
    return out;
  }
  const tables = mySql(
    db.name,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1;`,
  )
    .split('\n')
    .filter(Boolean);
  for (const t of tables) {
    const rows = mySql(db.name, `SELECT * FROM \`${t}\` ORDER BY 1;`);
    out[`table ${t}`] = `${rows.split('\n').filter(Boolean).length}:${sha(rows)}`;
  }
  out['auto_increment invoices'] = mySql(
    db.name,
    `SELECT AUTO_INCREMENT FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'invoices';`,
  ).trim();
  out['view customer_totals'] = sha(mySql(db.name, `SELECT * FROM customer_totals ORDER BY id;`));
  out['function total(2)'] = mySql(db.name, `SELECT total(2);`).trim();
  out.routines = mySql(
    db.name,
    `SELECT GROUP_CONCAT(CONCAT(routine_type, ' ', routine_name) ORDER BY routine_name) FROM information_schema.routines WHERE routine_schema = DATABASE();`,
  ).trim();
  out.triggers = mySql(
    db.name,
    `SELECT GROUP_CONCAT(CONCAT(trigger_name, ':', action_statement) ORDER BY trigger_name) FROM information_schema.triggers WHERE trigger_schema = DATABASE();`,
  ).trim();
  out.events = mySql(
    db.name,
    `SELECT GROUP_CONCAT(CONCAT(event_name, ':', status, ':', interval_value, interval_field) ORDER BY event_name) FROM information_schema.events WHERE event_schema = DATABASE();`,
  ).trim();
  out['foreign keys'] = mySql(
    db.name,
    `SELECT GROUP_CONCAT(CONCAT(constraint_name, ':', referenced_table_name, ':', delete_rule) ORDER BY constraint_name) FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE();`,
  ).trim();
  return out;
}

/**
 * Undo steps run after all tests of the file, newest first; every step runs even when one fails, and the
 * failures are reported together. Returns the function that registers a step.
 */
export function cleanupAfterAll(): (step: () => void) => void {
  const steps: (() => void)[] = [];
  after(() => {
    const errors: unknown[] = [];
    for (const step of steps.reverse()) {
      try {
        step();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'cleanup failed');
  });
  return (step) => steps.push(step);
}
