/** backup-db's pure logic: file naming, checksums, manifests, archive parsing, table comparison. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import {
  parseQualifiedName,
  readSqlDump,
  tableFromSqlLine,
  tablesFromToc,
} from '../../src/shared/backups/archive.js';
import {
  backupPaths,
  checksum,
  compareTables,
  manifestPathFor,
  readManifest,
  safeNamePart,
  timestamp,
} from '../../src/shared/backups/files.js';
import { resolveBackupFolder } from '../../src/shared/backups/restore.js';
import { SqlRowCounter } from '../../src/backup-db/sql-rows.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

describe('file naming', () => {
  it('timestamp is UTC yyyymmddThhmmssZ', () => {
    assert.equal(timestamp(new Date('2026-11-22T01:02:03.456Z')), '20261122T010203Z');
  });
  it('names are <name>-<environment>-<timestamp>.<ext> with the checksum and manifest beside', () => {
    const d = new Date('2026-01-02T03:04:05Z');
    assert.deepEqual(backupPaths('/b', 'shop', 'production', d, 'postgres', 'custom'), {
      dump: '/b/shop-production-20260102T030405Z.dump',
      checksum: '/b/shop-production-20260102T030405Z.dump.sha256',
      manifest: '/b/shop-production-20260102T030405Z.manifest.json',
      stem: 'shop-production-20260102T030405Z',
    });
    assert.equal(backupPaths('/b', 's', 'e', d, 'postgres', 'directory').dump, '/b/s-e-20260102T030405Z.dir');
    assert.equal(backupPaths('/b', 's', 'e', d, 'postgres', 'plain').dump, '/b/s-e-20260102T030405Z.sql.gz');
    assert.equal(backupPaths('/b', 's', 'e', d, 'mysql', 'plain').dump, '/b/s-e-20260102T030405Z.sql.gz');
  });
  it('unsafe characters in database and environment names become _', () => {
    assert.equal(safeNamePart('my db/../x'), 'my_db_.._x');
    assert.equal(safeNamePart('..'), 'db');
    assert.equal(safeNamePart('prod-eu.1'), 'prod-eu.1');
  });
  it('manifestPathFor finds the manifest beside a dump or directory', () => {
    assert.equal(manifestPathFor('/b/s-e-20260102T030405Z.dump'), '/b/s-e-20260102T030405Z.manifest.json');
    assert.equal(manifestPathFor('/b/s-e-20260102T030405Z.dir/'), '/b/s-e-20260102T030405Z.manifest.json');
    assert.equal(manifestPathFor('/b/s-e-20260102T030405Z.sql.gz'), '/b/s-e-20260102T030405Z.manifest.json');
    assert.equal(manifestPathFor('/b/x.manifest.json'), '/b/x.manifest.json');
  });
});

describe('checksums', () => {
  it('a file: sha256 and a sha256sum -c line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sum-'));
    const f = path.join(dir, 'a.dump');
    writeFileSync(f, 'hello');
    assert.deepEqual(await checksum(f), {
      sha256: sha('hello'),
      listing: `${sha('hello')}  a.dump\n`,
      sizeBytes: 5,
    });
  });
  it('a directory: every file listed in order, and the digest of that listing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sum-'));
    const d = path.join(dir, 'x.dir');
    mkdirSync(path.join(d, 'sub'), { recursive: true });
    writeFileSync(path.join(d, 'toc.dat'), 'toc');
    writeFileSync(path.join(d, '3001.dat.gz'), 'data');
    writeFileSync(path.join(d, 'sub', 'z'), '');
    const r = await checksum(d);
    const listing = `${sha('data')}  x.dir/3001.dat.gz\n${sha('')}  x.dir/sub/z\n${sha('toc')}  x.dir/toc.dat\n`;
    assert.equal(r.listing, listing);
    assert.equal(r.sha256, sha(listing));
    assert.equal(r.sizeBytes, 7);
  });
});

describe('compareTables', () => {
  it('reports missing, extra and miscounted tables', () => {
    assert.deepEqual(compareTables([{ name: 'a', rows: 1 }], new Map([['a', 1]])), []);
    assert.deepEqual(
      compareTables(
        [
          { name: 'a', rows: 1 },
          { name: 'b', rows: 2 },
        ],
        new Map([
          ['a', 3],
          ['c', 0],
        ]),
      ),
      [
        'table a has 3 rows, the backup has 1',
        'table b is missing (the backup has 2 rows)',
        "table c is not in the backup's manifest",
      ],
    );
  });
});

describe('archive parsing', () => {
  it('parses qualified names, quoted or not', () => {
    assert.deepEqual(parseQualifiedName('public.users ('), ['public', 'users']);
    assert.deepEqual(parseQualifiedName('public."Mixed Case ""Q"" T" ('), ['public', 'Mixed Case "Q" T']);
    assert.deepEqual(parseQualifiedName('`we``ird` ('), ['we`ird']);
  });
  it('finds the table a SQL line creates', () => {
    assert.equal(tableFromSqlLine('postgres', 'CREATE TABLE billing.invoices ('), 'billing.invoices');
    assert.equal(tableFromSqlLine('postgres', 'CREATE UNLOGGED TABLE public."A b" ('), 'public.A b');
    assert.equal(tableFromSqlLine('mysql', 'CREATE TABLE `customers` ('), 'customers');
    assert.equal(tableFromSqlLine('postgres', 'CREATE VIEW public.v AS'), undefined);
  });
  it('reads tables from a pg_restore --list table of contents', () => {
    const toc = [
      ';     dbname: shop',
      '216; 1259 16390 TABLE public customers postgres',
      '217; 1259 16391 TABLE billing invoices app_owner',
      '218; 1259 16392 TABLE public Mixed Case "Quoted" Table postgres',
      '3370; 0 16390 TABLE DATA public customers postgres',
      '219; 1259 16393 VIEW billing customer_totals postgres',
    ].join('\n');
    assert.deepEqual(
      [...tablesFromToc(toc)],
      ['public.customers', 'billing.invoices', 'public.Mixed Case "Quoted" Table'],
    );
  });

  const sqlDump = (body: string) => {
    const f = path.join(mkdtempSync(path.join(tmpdir(), 'sql-')), 'x.sql.gz');
    writeFileSync(f, gzipSync(body));
    return f;
  };
  it('reads a complete gzip SQL dump to its end', async () => {
    const f = sqlDump('CREATE TABLE `a` (\n) ;\nINSERT ...;\n-- Dump completed on 2026-11-22\n');
    assert.deepEqual(await readSqlDump('mysql', f), { tables: new Set(['a']), complete: true });
    const pg = sqlDump(
      'CREATE TABLE public.a (\n);\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n',
    );
    assert.deepEqual(await readSqlDump('postgres', pg), { tables: new Set(['public.a']), complete: true });
  });
  it('a dump cut short has no completion marker; a truncated gzip stream does not read back', async () => {
    assert.equal((await readSqlDump('mysql', sqlDump('CREATE TABLE `a` (\n'))).complete, false);
    const full = gzipSync(`CREATE TABLE \`a\` (\n${'x'.repeat(100000)}\n-- Dump completed\n`);
    const f = path.join(mkdtempSync(path.join(tmpdir(), 'sql-')), 'cut.sql.gz');
    writeFileSync(f, full.subarray(0, Math.floor(full.length / 2)));
    await assert.rejects(
      readSqlDump('mysql', f),
      /does not read back: .*(unexpected end of file).*truncated or corrupted/,
    );
  });
});

describe('restore: a folder stands for the one backup in it', () => {
  it('resolves one manifest, refuses none or several, leaves a directory dump alone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'art-'));
    assert.throws(
      () => resolveBackupFolder(dir),
      /holds no backup manifest \(\*\.manifest\.json\)\. Nothing was changed/,
    );
    writeFileSync(path.join(dir, 'a-e-20260101T000000Z.manifest.json'), '{}');
    assert.equal(resolveBackupFolder(dir), path.join(dir, 'a-e-20260101T000000Z.manifest.json'));
    writeFileSync(path.join(dir, 'a-e-20260102T000000Z.manifest.json'), '{}');
    assert.throws(
      () => resolveBackupFolder(dir),
      /holds 2 backups \(a-e-20260101T000000Z\.manifest\.json, a-e-20260102T000000Z\.manifest\.json\); name the one to restore/,
    );
    const dump = path.join(dir, 'a-e-20260101T000000Z.dir');
    mkdirSync(dump);
    writeFileSync(path.join(dump, 'toc.dat'), '');
    assert.equal(resolveBackupFolder(dump), dump);
  });
});

describe('manifests', () => {
  it('refuses a file that is not a manifest, saying so', () => {
    const f = path.join(mkdtempSync(path.join(tmpdir(), 'mf-')), 'x.manifest.json');
    writeFileSync(f, '{"hello": 1}');
    assert.throws(() => readManifest(f), /is not a backup-db manifest \(or is damaged\)/);
    writeFileSync(f, '{');
    assert.throws(() => readManifest(f), /Cannot read the backup manifest .*keep them together/);
    assert.ok(readFileSync(f));
  });
});

describe('SqlRowCounter (rows of each table in a MySQL dump stream)', () => {
  const count = async (sql: string, chunk = 5) => {
    const c = new SqlRowCounter();
    const out: Buffer[] = [];
    c.on('data', (b: Buffer) => out.push(b));
    const input = Buffer.from(sql);
    for (let i = 0; i < input.length; i += chunk) c.write(input.subarray(i, i + chunk));
    await new Promise<void>((res) => c.end(res));
    assert.equal(Buffer.concat(out).toString(), sql, 'the stream passes through unchanged');
    return Object.fromEntries(c.rows);
  };

  it('counts tuples of one-line (MySQL) and one-tuple-per-line (MariaDB) INSERTs', async () => {
    const sql = [
      'LOCK TABLES `a` WRITE;',
      "INSERT INTO `a` VALUES (1,'x'),(2,'y'),(3,NULL);",
      'INSERT INTO `a` VALUES (4,0x00FF);',
      'INSERT INTO `b``q` VALUES',
      "(1,'tab\tand \\n escaped'),",
      '(2,-0.5);',
      '',
    ].join('\n');
    assert.deepEqual(await count(sql), { a: 4, 'b`q': 2 });
  });

  it('is not fooled by parentheses, quotes, semicolons or backslashes inside strings', async () => {
    const sql = [
      'INSERT INTO `t` VALUES',
      "(1,'paren ),( in \\'string\\'','x\\\\'),",
      '(2,\'semi ; \\n and "dq" (\',NULL),',
      "(3,'it''s',\"d\\\"q ) (\"),",
      '(4,(1));',
      '',
    ].join('\n');
    for (const chunk of [1, 3, 1000]) assert.deepEqual(await count(sql, chunk), { t: 4 });
  });

  it('ignores INSERTs in trigger and routine bodies (DELIMITER blocks) and lines not at a line start', async () => {
    const sql = [
      'DELIMITER ;;',
      'CREATE TRIGGER x BEFORE UPDATE ON t FOR EACH ROW',
      'INSERT INTO `audit` VALUES (1) ;;',
      'DELIMITER ;',
      '-- INSERT INTO `t` VALUES (9),(9);',
      '/*!40000 ALTER TABLE `t` DISABLE KEYS */;',
      'INSERT INTO `t` VALUES (1);',
      '',
    ].join('\n');
    assert.deepEqual(await count(sql), { t: 1 });
  });
});
