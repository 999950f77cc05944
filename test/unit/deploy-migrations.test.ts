/**
 * The migrations hand-off (deploy's `migrations` input → the deployment payload's `migrations`): run-migrations'
 * report compacted and bounded, malformed reports refused naming the input, reports that applied nothing
 * certain ignored with a reason, and the job summary's line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import { inputSchema, resolveConfig } from '../../src/deploy/inputs.js';
import { migrationsFact } from '../../src/deploy/summary.js';
import {
  clip,
  compactMigrations,
  MIGRATION_LIMITS,
  parseMigrationsHandoff,
} from '../../src/shared/deployments/migrations.js';
import { emptyReport, type MigrationReport } from '../../src/run-migrations/report.js';

/** A report as run-migrations writes it (the type is run-migrations' own, so a change there shows here). */
function applyReport(over: Partial<MigrationReport> = {}): MigrationReport {
  return {
    ...emptyReport('apply', 'sql', 'postgres://db.internal/shop'),
    environment: 'production',
    passed: true,
    previousVersion: '20260101090000',
    currentVersion: '20260104090000',
    pendingCount: 0,
    migrations: [
      { version: '20260102090000', name: 'add_price', status: 'applied', durationMs: 1234.4, statements: 1 },
      { version: '20260104090000', name: 'orders_index', status: 'applied', durationMs: 98765 },
    ],
    appliedBefore: [{ version: '20260101090000', name: 'init', durationMs: 5 }],
    durationMs: 100_500,
    notes: ['a note that must not reach the payload'],
    ...over,
  };
}

const parse = (report: unknown, environment = 'production') =>
  parseMigrationsHandoff(typeof report === 'string' ? report : JSON.stringify(report), {
    inputName: 'migrations',
    environment,
  });

const refused = (report: unknown, message: RegExp, environment?: string) =>
  assert.throws(
    () => parse(report, environment),
    (e: Error) => {
      assert.ok(e instanceof ConfigurationError, String(e));
      assert.match(e.message, /^Input "migrations": /);
      assert.match(e.message, message);
      return true;
    },
  );

describe('the migrations hand-off', () => {
  it('records tool, from, to and the applied migrations with whole-millisecond durations, nothing else', () => {
    const r = parse(applyReport());
    assert.equal(r.ignored, undefined);
    assert.deepEqual(r.record, {
      tool: 'sql',
      from: '20260101090000',
      to: '20260104090000',
      applied: [
        { version: '20260102090000', name: 'add_price', durationMs: 1234 },
        { version: '20260104090000', name: 'orders_index', durationMs: 98765 },
      ],
    });
  });

  it('keeps only applied migrations; a duration the tool did not give stays absent', () => {
    const r = parse(
      applyReport({
        migrations: [
          { version: '7', name: 'a', status: 'applied' },
          { version: '8', name: 'b', status: 'skipped', durationMs: 1 },
          { version: '9', name: 'c', status: 'applied', durationMs: 0 },
        ],
        previousVersion: '6',
        currentVersion: '9',
      }),
    );
    assert.deepEqual(r.record?.applied, [
      { version: '7', name: 'a' },
      { version: '9', name: 'c', durationMs: 0 },
    ]);
  });

  it('nothing to apply: from = to, an empty list (the live schema version is still known)', () => {
    const r = parse(applyReport({ migrations: [], previousVersion: '42', currentVersion: '42' }));
    assert.deepEqual(r.record, { tool: 'sql', from: '42', to: '42', applied: [] });
  });

  it('an adapter that could not tell the version: from and to left out', () => {
    const r = parse(applyReport({ tool: 'alembic', previousVersion: '', currentVersion: '' }));
    assert.equal(r.record?.from, undefined);
    assert.equal(r.record?.to, undefined);
    assert.equal(r.record?.tool, 'alembic');
  });

  it('bounded: at most 50 migrations (the last ones applied, the rest counted), strings clipped, one line each', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      version: String(i + 1),
      name: `${'n'.repeat(300)}\n::error::x`,
      status: 'applied' as const,
      durationMs: i,
    }));
    const record = compactMigrations(
      applyReport({
        tool: 'sql\u2028x'.repeat(20) as 'sql',
        migrations: [
          ...many,
          {
            version: `${'9'.repeat(200)}`,
            name: 'long version',
            status: 'applied',
            durationMs: 1,
          },
        ],
        currentVersion: 'v'.repeat(500),
      }),
    );
    assert.equal(record.applied.length, MIGRATION_LIMITS.applied);
    assert.equal(record.omitted, 71);
    assert.equal(record.applied[0]!.version, '72', 'the earliest are left out');
    assert.equal(record.applied.at(-1)!.name, 'long version');
    assert.equal(record.applied.at(-1)!.version.length, MIGRATION_LIMITS.version);
    assert.ok(record.applied.at(-1)!.version.endsWith('…'));
    assert.equal(record.to!.length, MIGRATION_LIMITS.version);
    assert.ok(record.tool.length <= MIGRATION_LIMITS.tool);
    for (const m of record.applied) {
      assert.ok(m.name.length <= MIGRATION_LIMITS.name, m.name);
      assert.ok(!/[\n\r\u2028]/.test(m.name + m.version));
    }
    assert.ok(!/[\n\r\u2028]/.test(record.tool));
    assert.ok(JSON.stringify(record).length < 12_000, `${JSON.stringify(record).length} characters`);
  });

  it('clip: control characters become spaces, an ellipsis marks a cut', () => {
    assert.equal(clip('a\nb\u0007c', 10), 'a b c');
    assert.equal(clip('abcdef', 4), 'abc…');
    assert.equal(clip('  abc  ', 4), 'abc');
  });

  it('ignores, with the reason, a report that did not pass or did not apply', () => {
    const failed = parse(applyReport({ passed: false }));
    assert.equal(failed.record, undefined);
    assert.match(failed.ignored!, /did not pass/);
    for (const mode of ['dry-run', 'status', 'down'] as const) {
      const r = parse(applyReport({ mode }));
      assert.equal(r.record, undefined, mode);
      assert.match(r.ignored!, new RegExp(`mode "${mode}", not "apply"`));
    }
  });

  it('refuses what is not a run-migrations report, naming the input', () => {
    refused('{"mode": ', /not valid JSON/);
    refused(
      'not json at all\n::error::x',
      /got "not json at all\\n::error::x", which is not valid JSON \([^\n]+\)\./,
    );
    refused({ name: 'app', version: '1.0.0' }, /is not a run-migrations report/);
    refused([], /is not a run-migrations report/);
    refused(applyReport({ mode: 'sideways' as 'apply' }), /is not a run-migrations report: .*mode/);
    refused(
      { ...applyReport(), migrations: [{ version: '1', status: 'applied', durationMs: -5 }] },
      /is not a run-migrations report: .*durationMs/,
    );
  });

  it('refuses the report of another environment; "default" or none is taken as this one', () => {
    refused(
      applyReport({ environment: 'staging' }),
      /run on the environment "staging", and this deploy is to "production"/,
    );
    assert.ok(parse(applyReport({ environment: 'default' })).record);
    assert.ok(parse(applyReport({ environment: undefined })).record);
  });

  it('resolveConfig: the input is optional, and parsed only when given', () => {
    const base = {
      runbook: '',
      token: 'ghs_x123',
      environment: 'production',
      version: 'v2',
      command: './deploy.sh',
      'health-url': 'https://shop.example.com/health',
    };
    const ctx = { workspace: '/ws', sha: 'abc' };
    const none = resolveConfig(inputSchema.parse({ ...base, migrations: '  ' }), undefined, ctx);
    assert.equal(none.migrations, undefined);
    assert.equal(none.migrationsIgnored, undefined);
    const given = resolveConfig(
      inputSchema.parse({ ...base, migrations: JSON.stringify(applyReport()) }),
      undefined,
      ctx,
    );
    assert.equal(given.migrations?.to, '20260104090000');
    const ignored = resolveConfig(
      inputSchema.parse({ ...base, migrations: JSON.stringify(applyReport({ mode: 'dry-run' })) }),
      undefined,
      ctx,
    );
    assert.equal(ignored.migrations, undefined);
    assert.match(ignored.migrationsIgnored!, /dry-run/);
    assert.throws(
      () => resolveConfig(inputSchema.parse({ ...base, migrations: '{' }), undefined, ctx),
      /Input "migrations"/,
    );
  });

  it("the job summary's line: versions in code spans, the count, where it is recorded", () => {
    const record = parse(applyReport()).record!;
    assert.equal(
      migrationsFact({ migrations: record, deploymentId: 7 }),
      '`sql`, `20260101090000` → `20260104090000`: 2 migrations applied (recorded in deployment #7)',
    );
    assert.equal(
      migrationsFact({ migrations: { tool: 'x`y', to: '<b>', applied: [] } }),
      "`x'y`, at `<b>`: 0 migrations applied (recorded for the deployment)",
    );
    assert.match(migrationsFact({ migrationsIgnored: 'because' })!, /not recorded: because/);
    assert.equal(migrationsFact({}), undefined);
  });
});
