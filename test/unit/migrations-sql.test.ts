/** run-migrations' pure logic: statement splitting, error position -> file line, lint rules, URL parsing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintPostgres } from '../../src/run-migrations/lint.js';
import { errorLine, splitStatements } from '../../src/run-migrations/sql-split.js';
import { parseDbmateStatus, parseKnexList, versionOf } from '../../src/run-migrations/adapters.js';

describe('splitStatements', () => {
  it('splits on semicolons outside quotes, dollar quotes and comments, keeping start lines', () => {
    const sql = [
      '-- header; not a statement',
      'create table t (a text default \'x;y\', "b;c" int);',
      '/* block; /* nested; */ still comment; */',
      'create function f() returns int as $body$ select 1; $body$ language sql;',
      '',
      'insert into t (a)',
      "  values (E'it\\'s; fine');",
      'select 1',
    ].join('\n');
    const st = splitStatements(sql, 'postgres');
    assert.deepEqual(
      st.map((s) => [s.index, s.line, s.text.split('\n')[0]]),
      [
        [1, 2, 'create table t (a text default \'x;y\', "b;c" int)'],
        [2, 4, 'create function f() returns int as $body$ select 1; $body$ language sql'],
        [3, 6, 'insert into t (a)'],
        [4, 8, 'select 1'],
      ],
    );
  });

  it('MySQL: backquotes, backslash escapes and # comments', () => {
    const sql = "# note; here\ninsert into `a;b` values ('x\\';y');\nselect \"q;\";\n";
    const st = splitStatements(sql, 'mysql');
    assert.deepEqual(
      st.map((s) => [s.line, s.text]),
      [
        [2, "insert into `a;b` values ('x\\';y')"],
        [3, 'select "q;"'],
      ],
    );
  });

  it('ignores files that are only comments and whitespace', () => {
    assert.deepEqual(splitStatements('-- nothing\n\n/* here */\n', 'postgres'), []);
  });
});

describe('errorLine', () => {
  const sql = '-- c\ncreate table a (id int);\n\ninsert into a (id)\n  select nope\n  from a;\n';
  const st = splitStatements(sql, 'postgres')[1]!;
  it('maps a PostgreSQL character position inside a statement to the file line', () => {
    const pos = st.text.indexOf('nope') + 1; // 1-based, as the server reports
    assert.equal(errorLine(st, sql, { position: pos }), 5);
    assert.equal(errorLine(st, sql, { position: 1 }), 4);
  });
  it('maps a MySQL "at line N" (within the statement) to the file line', () => {
    assert.equal(errorLine(st, sql, { statementLine: 3 }), 6);
  });
  it('falls back to the statement start without a position', () => {
    assert.equal(errorLine(st, sql, {}), 4);
  });
});

describe('lintPostgres', () => {
  const lint = (sql: string, v?: number) =>
    lintPostgres('m/1_x.sql', sql, splitStatements(sql, 'postgres'), v).map((f) => [f.rule, f.line]);

  it('flags CREATE INDEX without CONCURRENTLY, not with it, not on a table created in the same file', () => {
    assert.deepEqual(lint('\ncreate unique index i on orders (a);'), [['create-index', 2]]);
    assert.deepEqual(lint('create index concurrently i on orders (a);'), []);
    assert.deepEqual(lint('create table t (a int);\ncreate index i on t (a);'), []);
  });
  it('flags ALTER COLUMN TYPE on the line where it appears', () => {
    assert.deepEqual(lint('alter table orders\n  alter column total type numeric(12,2);'), [
      ['alter-column-type', 2],
    ]);
    assert.deepEqual(lint('alter table orders alter total set data type bigint;'), [
      ['alter-column-type', 1],
    ]);
  });
  it('flags ADD COLUMN NOT NULL without default; ADD COLUMN DEFAULT only before PostgreSQL 11', () => {
    assert.deepEqual(lint('alter table orders add column paid boolean not null;'), [
      ['add-column-not-null', 1],
    ]);
    assert.deepEqual(lint('alter table orders add column paid boolean not null default false;', 150000), []);
    assert.deepEqual(lint('alter table orders add column paid boolean not null default false;', 100012), [
      ['add-column-default', 1],
    ]);
  });
  it('flags DROP COLUMN and DROP TABLE, but not DROP CONSTRAINT or DROP DEFAULT', () => {
    assert.deepEqual(lint('alter table orders drop column note;'), [['drop-column', 1]]);
    assert.deepEqual(lint('drop table if exists legacy;'), [['drop-table', 1]]);
    assert.deepEqual(
      lint('alter table orders drop constraint c;\nalter table orders alter column a drop default;'),
      [],
    );
  });
  it('ignores keywords inside comments and strings', () => {
    assert.deepEqual(lint("insert into notes (t) values ('drop table users; create index i on x (a)');"), []);
    assert.deepEqual(lint('-- drop table users\nselect 1;'), []);
  });
  it('names the safer pattern', () => {
    const [f] = lintPostgres(
      'm/1_x.sql',
      'create index i on orders (a);',
      splitStatements('create index i on orders (a);', 'postgres'),
    );
    assert.match(
      f!.message,
      /CREATE INDEX CONCURRENTLY in a migration of its own whose first line is `-- runbook:no-transaction`/,
    );
  });
});

describe('adapter output parsers', () => {
  it('dbmate status', () => {
    const out =
      '[X] 20240101000000_create_users.sql\n[ ] 20240102000000_add_email.sql\n\nApplied: 1\nPending: 1\n';
    assert.deepEqual(parseDbmateStatus(out), {
      applied: ['20240101000000_create_users'],
      pending: ['20240102000000_add_email'],
    });
  });
  it('knex migrate:list', () => {
    const out =
      'Using environment: development\nFound 1 Completed Migration file/s.\n20240101_a.js\nFound 2 Pending Migration file/s.\n20240102_b.js\n20240103_c.js\n';
    assert.deepEqual(parseKnexList(out), { applied: ['20240101_a'], pending: ['20240102_b', '20240103_c'] });
    assert.deepEqual(
      parseKnexList('No Completed Migration files Found.\nNo Pending Migration files Found.\n'),
      {
        applied: [],
        pending: [],
      },
    );
  });
  it('versionOf takes the leading digits', () => {
    assert.equal(versionOf('0007_x'), '7');
    assert.equal(versionOf('1700000000000_init'), '1700000000000');
    assert.equal(versionOf('init'), '0');
  });
});
