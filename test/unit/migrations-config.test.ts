/** run-migrations' resolveConfig: input > runbook > default, URL from the environment, checks before anything runs. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import { parseRunbook, type LoadedRunbook } from '../../src/core/runbook.js';
import { getInputs, inputSchema, resolveConfig } from '../../src/run-migrations/inputs.js';

const URL = 'postgres://app:pw-123456@db.internal:5432/shop';

function inputs(over: Record<string, string> = {}) {
  const raw = Object.fromEntries(Object.keys(inputSchema.shape).map((k) => [k, '']));
  return getInputs({ ...raw, 'database-url': URL, tool: 'sql', ...over });
}

function runbook(yaml: string, environment = 'prod'): LoadedRunbook {
  const rb = parseRunbook(yaml, 'runbook.yml');
  return { file: 'runbook.yml', runbook: rb, environment: rb.environments[environment] };
}

const ws = mkdtempSync(path.join(tmpdir(), 'rm-cfg-'));
mkdirSync(path.join(ws, 'migrations'));

describe('resolveConfig', () => {
  it('uses the built-in defaults', () => {
    const c = resolveConfig(inputs(), undefined, {}, ws);
    assert.deepEqual(
      [
        c.mode,
        c.tool,
        c.directory,
        c.table,
        c.lockTimeoutMs,
        c.statementTimeoutMs,
        c.runLockTimeoutMs,
        c.lint,
      ],
      ['apply', 'sql', 'migrations', 'runbook_migrations', 10_000, 0, 900_000, 'off'],
    );
    assert.equal(c.db.host, 'db.internal');
  });

  it('input > runbook > default, and the URL from the runbook-named variable when the input is empty', () => {
    const rb = runbook(
      'environments:\n  prod:\n    database: { url-from-env: PROD_DB }\n    migrations: { table: history, lock-timeout: 3s, lint: warn }\n',
    );
    const c = resolveConfig(inputs({ 'database-url': '', 'lock-timeout': '2s' }), rb, { PROD_DB: URL }, ws);
    assert.equal(c.databaseUrl, URL);
    assert.equal(c.lockTimeoutMs, 2000);
    assert.equal(c.table, 'history');
    assert.equal(c.lint, 'warn');
  });

  it('says which variable is missing when neither the input nor the environment has the URL', () => {
    const rb = runbook('environments:\n  prod:\n    database: { url-from-env: PROD_DB }\n');
    assert.throws(
      () => resolveConfig(inputs({ 'database-url': '' }), rb, {}, ws),
      /Input "database-url": empty, and the runbook's variable PROD_DB is not set/,
    );
  });

  it('refuses, before anything runs: a dry-run copy that is the database itself, a non-numeric target for sql, target without down', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ mode: 'dry-run', 'dry-run-database-url': URL }, /points at the same database as database-url/],
      [
        { mode: 'dry-run', 'dry-run-database-url': 'mysql://u@h/x' },
        /it is a mysql URL but database-url is postgres/,
      ],
      [{ mode: 'down', target: 'abc' }, /Input "target": expected a version number/],
      [{ mode: 'apply', target: '3' }, /Input "target": only used with mode: down/],
      [{ 'database-url': 'postgres://u:pw@h' }, /Input "database-url": no database name/],
      [
        { tool: 'node-pg-migrate', 'database-url': 'mysql://u:pw@h/x' },
        /node-pg-migrate works with PostgreSQL only/,
      ],
      [{ tool: 'command', mode: 'dry-run' }, /dry-run is not possible with tool: command/],
    ];
    for (const [over, message] of cases)
      assert.throws(
        () => resolveConfig(inputs(over), undefined, {}, ws),
        (e: Error) =>
          e instanceof ConfigurationError && message.test(e.message) && !e.message.includes('pw-123456'),
        JSON.stringify(over),
      );
  });

  it('never echoes the URL in an input error', () => {
    assert.throws(
      () => inputs({ 'database-url': URL, mode: 'wrong' }),
      (e: Error) => /Input "mode"/.test(e.message) && !e.message.includes('pw-123456'),
    );
  });
});
