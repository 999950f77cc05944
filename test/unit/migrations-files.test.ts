/** run-migrations' pure logic: file discovery and ordering, checksums, drift and out-of-order, down plans. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import {
  checksum,
  compareVersions,
  discoverMigrations,
  type MigrationFile,
} from '../../src/run-migrations/files.js';
import { planDown, planMigrations, type AppliedRow } from '../../src/run-migrations/plan.js';

function ws(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rm-unit-'));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), c);
  }
  return dir;
}

const row = (f: MigrationFile, over: Partial<AppliedRow> = {}): AppliedRow => ({
  version: f.version,
  name: f.name,
  checksum: f.checksum,
  appliedAt: '2026-01-01T00:00:00Z',
  durationMs: 5,
  appliedBy: 'octocat run 1/1',
  ...over,
});

describe('discoverMigrations', () => {
  it('orders numerically, pairs .down.sql files, accepts .up.sql, ignores other files', () => {
    const dir = ws({
      'm/10_ten.sql': 'select 10;',
      'm/9_nine.up.sql': 'select 9;',
      'm/9_nine.down.sql': 'select -9;',
      'm/0002_two.sql': '-- runbook:no-transaction\ncreate index concurrently i on t (c);',
      'm/README.md': 'not a migration',
      'm/20240101120000_stamp.sql': 'select 1;',
    });
    const files = discoverMigrations('m', dir);
    assert.deepEqual(
      files.map((f) => [f.version, f.name, f.file, f.downFile, f.noTransaction]),
      [
        ['2', 'two', 'm/0002_two.sql', undefined, true],
        ['9', 'nine', 'm/9_nine.up.sql', 'm/9_nine.down.sql', false],
        ['10', 'ten', 'm/10_ten.sql', undefined, false],
        ['20240101120000', 'stamp', 'm/20240101120000_stamp.sql', undefined, false],
      ],
    );
  });

  it('rejects a missing directory, a .sql file without a version, duplicate versions and orphan down files', () => {
    const dir = ws({
      'm/create_users.sql': '',
      'm/1_a.sql': '',
      'm/001_b.sql': '',
      'm/5_c.down.sql': '',
    });
    assert.throws(
      () => discoverMigrations('nope', dir),
      (e: Error) => {
        assert.ok(e instanceof ConfigurationError);
        assert.match(e.message, /Input "directory": no migrations directory at "nope"/);
        return true;
      },
    );
    assert.throws(
      () => discoverMigrations('m', dir),
      (e: Error) => {
        assert.match(e.message, /m\/create_users\.sql: the file name has no version/);
        assert.match(e.message, /m\/1_a\.sql: version 1 is also used by m\/001_b\.sql/);
        assert.match(e.message, /m\/5_c\.down\.sql: a down migration without an up file for version 5/);
        return true;
      },
    );
  });
});

describe('checksum and versions', () => {
  it('is SHA-256 of the content, the same with CRLF line endings, different on any edit', () => {
    assert.equal(checksum('select 1;\n'), checksum('select 1;\r\n'));
    assert.notEqual(checksum('select 1;\n'), checksum('select 2;\n'));
    assert.match(checksum(''), /^[0-9a-f]{64}$/);
  });
  it('compares versions as numbers of any size', () => {
    assert.equal(compareVersions('9', '10'), -1);
    assert.equal(compareVersions('20240101120000', '20240101120000'), 0);
    assert.equal(compareVersions('99999999999999999999', '99999999999999999998'), 1);
  });
});

describe('planMigrations', () => {
  const dir = ws({ 'm/1_a.sql': 'a', 'm/2_b.sql': 'b', 'm/3_c.sql': 'c', 'm/3_c.down.sql': 'c-' });
  const files = discoverMigrations('m', dir);
  const [a, b, c] = files as [MigrationFile, MigrationFile, MigrationFile];

  it('splits applied and pending', () => {
    const plan = planMigrations(files, [row(a)]);
    assert.deepEqual(
      plan.pending.map((f) => f.version),
      ['2', '3'],
    );
    assert.equal(plan.currentVersion, '1');
    assert.deepEqual(plan.errors, []);
  });

  it('reports checksum drift of an applied file, naming it and who applied it', () => {
    const plan = planMigrations(files, [row(a, { checksum: checksum('other') })]);
    assert.equal(plan.errors.length, 1);
    assert.equal(plan.errors[0]!.kind, 'drift');
    assert.equal(plan.errors[0]!.file, 'm/1_a.sql');
    assert.match(
      plan.errors[0]!.message,
      /m\/1_a\.sql was changed after it was applied \(version 1, applied 2026-01-01T00:00:00Z by octocat run 1\/1\)/,
    );
  });

  it('reports a pending file older than the newest applied one', () => {
    const plan = planMigrations(files, [row(a), row(c)]);
    assert.deepEqual(
      plan.errors.map((e) => [e.kind, e.file]),
      [['out-of-order', 'm/2_b.sql']],
    );
    assert.match(plan.errors[0]!.message, /older than the newest applied migration \(3_c\)/);
  });

  it('warns (does not fail) about applied versions without a file', () => {
    const plan = planMigrations([b, c], [row(a), row(b)]);
    assert.deepEqual(plan.errors, []);
    assert.match(plan.warnings[0]!.message, /Version 1 \(a\) is recorded as applied but has no file/);
  });

  it('plans down newest first and refuses a missing down file or an unknown target', () => {
    const plan = planMigrations(files, [row(a), row(b), row(c)]);
    const ok = planDown(plan, files, '2');
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(
      ok.revert.map((r) => r.row.version),
      ['3'],
    );
    const missing = planDown(plan, files, '0');
    assert.deepEqual(
      missing.errors.map((e) => [e.kind, e.file]),
      [
        ['missing-down', 'm/2_b.sql'],
        ['missing-down', 'm/1_a.sql'],
      ],
    );
    const unknown = planDown(plan, files, '7');
    assert.match(unknown.errors[0]!.message, /Input "target": version 7 is not applied/);
  });
});
