/** backup-db's inputs: the action.yml contract, precedence input > runbook > default, and refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getInputs, inputSchema, resolveConfig } from '../../src/backup-db/inputs.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { parseRunbook, type LoadedRunbook } from '../../src/core/runbook.js';
import { SecretRegistry } from '../../src/core/secrets.js';
import { loadActionMetadata } from '../harness/run-action.js';

const raw = (over: Record<string, string> = {}) => {
  const base = Object.fromEntries(Object.keys(inputSchema.shape).map((k) => [k, '']));
  return { ...base, ...over };
};
const ctx = (env: NodeJS.ProcessEnv = {}) => ({
  env,
  runnerTemp: '/rt',
  workspace: '/ws',
  secrets: new SecretRegistry(() => undefined),
});
const resolve = (over: Record<string, string>, runbook?: LoadedRunbook, c = ctx()) =>
  resolveConfig(getInputs(raw(over)), runbook, c);
const runbook = (yaml: string, env = 'production'): LoadedRunbook => {
  const rb = parseRunbook(yaml, 'runbook.yml');
  return { file: 'runbook.yml', runbook: rb, environment: rb.environments[env] };
};

describe('backup-db inputs', () => {
  it('every action.yml input has a schema key and the reverse; no defaults in action.yml (but the token)', () => {
    const meta = loadActionMetadata('backup-db');
    assert.deepEqual(Object.keys(meta.inputs!).sort(), Object.keys(inputSchema.shape).sort());
    for (const [name, spec] of Object.entries(meta.inputs!))
      assert.equal(spec.default, name === 'token' ? '${{ github.token }}' : undefined, name);
  });

  it('defaults: backup, custom, verify list, 24h, runner.temp/backups, database name', () => {
    const c = resolve({ 'database-url': 'postgres://u:pw@h/shop' });
    assert.equal(c.mode, 'backup');
    assert.equal(c.format, 'custom');
    assert.equal(c.verify, 'list');
    assert.equal(c.maxAgeMs, 86_400_000);
    assert.equal(c.directory, '/rt/backups');
    assert.equal(c.name, 'shop');
    assert.equal(c.environment, 'default');
    assert.equal(c.target?.password, 'pw');
  });

  it('input > runbook > default; the URL comes from the variable the runbook names', () => {
    const rb = runbook(`environments:
  production:
    database: { url-from-env: PROD_DB, engine: postgres }
    backup: { directory: b, format: directory, verify: restore, max-age: 12h, name: shopdb }`);
    const c = resolve({ environment: 'production' }, rb, ctx({ PROD_DB: 'postgres://u:pw@h/real' }));
    assert.equal(c.target?.database, 'real');
    assert.equal(c.directory, '/ws/b');
    assert.equal(c.format, 'directory');
    assert.equal(c.verify, 'restore');
    assert.equal(c.maxAgeMs, 12 * 3_600_000);
    assert.equal(c.name, 'shopdb');
    assert.equal(c.runbookFile, 'runbook.yml');
    const o = resolve(
      { environment: 'production', format: 'plain', verify: 'none', 'database-url': 'postgres://h/x' },
      rb,
      ctx({ PROD_DB: 'postgres://h/real' }),
    );
    assert.equal(o.format, 'plain');
    assert.equal(o.verify, 'none');
    assert.equal(o.target?.database, 'x');
  });

  it('an empty url-from-env variable is an error naming the variable and the fix', () => {
    const rb = runbook('environments:\n  production:\n    database: { url-from-env: PROD_DB }');
    assert.throws(
      () => resolve({ environment: 'production' }, rb),
      /Input "database-url" is empty and the environment variable PROD_DB \(named by database\.url-from-env in runbook\.yml\) is not set\.\n.*PROD_DB: \$\{\{ secrets\.PROD_DB \}\}/,
    );
  });

  it('registers the passwords of both URLs as secrets as soon as they are read', () => {
    const c = ctx();
    resolve(
      {
        'database-url': 'postgres://u:p%40ss1@h/d',
        verify: 'restore',
        'verify-database-url': 'postgres://u:other2@h/scratch',
      },
      undefined,
      c,
    );
    assert.ok(c.secrets.has('p@ss1'));
    assert.ok(c.secrets.has('p%40ss1'));
    assert.ok(c.secrets.has('other2'));
  });

  const refusals: [Record<string, string>, RegExp][] = [
    [{ 'database-url': 'postgres://h/d', jobs: '2' }, /^Input "jobs": parallel dumps need format: directory/],
    [
      { 'database-url': 'mysql://h/d', jobs: '2', format: 'directory' },
      /^Input "format": directory is a PostgreSQL format/,
    ],
    [{ 'database-url': 'mysql://h/d', format: 'plain' }, /^$/],
    [
      { 'database-url': 'postgres://h/d', mode: 'restore', backup: 'x.dump' },
      /^Input "confirm": not given; a restore replaces the contents of the database "d"/,
    ],
    [
      { 'database-url': 'postgres://h/d', mode: 'restore', backup: 'x.dump', confirm: 'D' },
      /^Input "confirm": got "D"/,
    ],
    [
      { 'database-url': 'postgres://h/d', 'verify-database-url': 'mysql://h/s', verify: 'restore' },
      /^Input "verify-database-url": it is a mysql database but "database-url" is postgres/,
    ],
    [
      { 'database-url': 'postgres://h/d', 'verify-database-url': 'postgres://h/s' },
      /^Input "verify-database-url" is only used with verify: restore/,
    ],
    [{ mode: 'restore' }, /^Input "database-url" is required \(mode restore\)/],
  ];
  for (const [over, re] of refusals)
    it(`${JSON.stringify(over)} → ${re}`, () => {
      if (re.source === '^$') return void assert.doesNotThrow(() => resolve(over));
      assert.throws(
        () => resolve(over),
        (e: unknown) => e instanceof ConfigurationError && re.test(e.message),
      );
    });

  it('check-age needs no database URL', () => {
    const c = resolve({ mode: 'check-age', environment: 'production', 'max-age': '90m' });
    assert.equal(c.target, undefined);
    assert.equal(c.maxAgeMs, 90 * 60_000);
  });

  it('never echoes the database URL in an input error', () => {
    assert.throws(
      () => getInputs(raw({ 'database-url': 'postgres://u:pw@h/d', mode: 'nope' })),
      (e: Error) => !e.message.includes('pw@h') && /Input "mode"/.test(e.message),
    );
  });
});
