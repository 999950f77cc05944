/**
 * rollback with restore-database against the real PostgreSQL: a backup taken by backup-db (its bundle), rows
 * written after it, then the rollback: stop-command, restore (sha256 first, one transaction), the version put
 * back, verified. A corrupt backup leaves the database and the version as they were.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { createTestDb, type TestDb } from '../harness/databases.js';
import { runAction, everythingVisible } from '../harness/run-action.js';
import { CMD, errorOf, report, setupRollback, type RollbackEnv } from '../harness/rollback-env.js';

let env: RollbackEnv | undefined;
let db: TestDb | undefined;
afterEach(async () => {
  await env?.close();
  await db?.drop();
  env = undefined;
  db = undefined;
});

/** An age key pair made by age-keygen. */
function ageKey(): { identity: string; recipient: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rb-age-'));
  execFileSync('age-keygen', ['-o', path.join(dir, 'key.txt')], { stdio: 'ignore' });
  return {
    identity: readFileSync(path.join(dir, 'key.txt'), 'utf8'),
    recipient: execFileSync('age-keygen', ['-y', path.join(dir, 'key.txt')], { encoding: 'utf8' }).trim(),
  };
}

async function backedUp(
  key?: ReturnType<typeof ageKey>,
): Promise<{ db: TestDb; manifest: string; dump: string }> {
  const d = await createTestDb('postgres', 'rbrs');
  await d.query('create table orders (id int primary key, note text)');
  await d.query(`insert into orders values (1, 'before'), (2, 'before')`);
  const b = await runAction('backup-db', {
    inputs: {
      'database-url': d.url,
      environment: 'production',
      verify: 'list',
      ...(key ? { 'encrypt-to': key.recipient, 'decrypt-identity': key.identity } : {}),
    },
  });
  assert.equal(b.exitCode, 0, b.log);
  await d.query(`insert into orders values (3, 'after the backup')`);
  await d.query(`update orders set note = 'changed' where id = 1`);
  return { db: d, manifest: b.outputs.manifest!, dump: b.outputs.path! };
}

const rolling = (e: RollbackEnv, d: TestDb, manifest: string, marker: string) => ({
  strategy: 'rolling',
  'rollback-command': CMD.rollbackAll,
  'health-url': `${e.proxy.url}/health`,
  timeout: '3s',
  'restore-database': 'true',
  'backup-file': manifest,
  'database-url': d.url,
  confirm: d.name,
  'stop-command': `echo "stopped at $(date +%s%N)" > ${marker}`,
});

describe('rollback with the database restore (real PostgreSQL)', () => {
  it('stops writes, restores the backup (data after it gone, before it back), puts the version back, verifies', async () => {
    const b = await backedUp();
    db = b.db;
    env = await setupRollback({
      versions: { blue: 'v2', green: 'v2' },
      history: [
        { version: 'v1', migrations: { tool: 'sql', to: '001', applied: [] } },
        {
          version: 'v2',
          migrations: { tool: 'sql', from: '001', to: '002', applied: [{ version: '002', name: 'x' }] },
        },
      ],
    });
    const e = env;
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'rb-stop-')), 'stopped');
    const r = await e.run(rolling(e, b.db, b.manifest, marker));
    assert.equal(r.exitCode, 0, r.log);
    // The database went back with the version: the rollback deployment records v1's schema for the next plan.
    assert.deepEqual(e.deployments().at(-1)!.payload.migrations, {
      tool: 'sql',
      from: '001',
      to: '001',
      applied: [],
    });
    assert.equal(r.outputs['database-restored'], 'true');
    assert.ok(existsSync(marker), 'stop-command ran');
    assert.deepEqual(await b.db.query('select id, note from orders order by id'), [
      { id: 1, note: 'before' },
      { id: 2, note: 'before' },
    ]);
    assert.deepEqual(
      e.slots.history.map((h) => h.version),
      ['v1', 'v1'],
    );
    assert.deepEqual(
      report(r).phases.map((p) => p.name),
      [
        'read deployment history',
        'create deployment',
        'stop writes',
        'restore database',
        'rollback-command',
        'verify',
      ],
    );
    const sha = JSON.parse(readFileSync(b.manifest, 'utf8')).sha256 as string;
    const body = String(e.fake.state.issues[0]!.body);
    assert.match(
      body,
      new RegExp(
        `Database restored: yes, from ${path.basename(b.dump).replace(/\./g, '\\.')} \\(sha256 ${sha}\\)`,
      ),
    );
    assert.ok(!everythingVisible(r).includes(b.db.password), 'database password never shown');
    assert.deepEqual(e.fake.violations, []);
  });

  it('a corrupt backup (sha256 mismatch): the database is unchanged, the version not switched, deployment failure', async () => {
    const b = await backedUp();
    db = b.db;
    appendFileSync(b.dump, 'garbage');
    env = await setupRollback({
      versions: { blue: 'v2', green: 'v2' },
      history: [{ version: 'v1' }, { version: 'v2' }],
    });
    const e = env;
    const before = await b.db.query('select id, note from orders order by id');
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'rb-stop-')), 'stopped');
    writeFileSync(marker, '');
    const r = await e.run(rolling(e, b.db, b.manifest, marker));
    assert.equal(r.exitCode, 1, r.log);
    assert.equal(r.outputs['database-restored'], 'false');
    assert.deepEqual(await b.db.query('select id, note from orders order by id'), before);
    assert.equal(before.length, 3);
    assert.deepEqual(e.slots.history, [], 'version not switched');
    const msg = errorOf(r);
    assert.match(
      msg,
      /failed at "restore database": Refusing to restore .*its sha256 is [0-9a-f]{64} but the manifest records/,
    );
    assert.match(msg, /The database was NOT changed/);
    assert.match(msg, /The version was not switched: v2 is still serving/);
    assert.match(msg, /Writes were stopped by stop-command/);
    assert.deepEqual(e.deployments().at(-1)!.states, ['in_progress', 'failure']);
    assert.deepEqual(e.fake.violations, []);
  });

  it('an age-encrypted backup: refused without decrypt-identity (database unchanged), restored with it', async () => {
    const key = ageKey();
    const b = await backedUp(key);
    db = b.db;
    assert.match(b.dump, /\.dump\.age$/);
    env = await setupRollback({
      versions: { blue: 'v2', green: 'v2' },
      history: [{ version: 'v1' }, { version: 'v2' }],
    });
    const e = env;
    const before = await b.db.query('select id, note from orders order by id');
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'rb-stop-')), 'stopped');
    const refused = await e.run(rolling(e, b.db, b.manifest, marker));
    assert.equal(refused.exitCode, 1, refused.log);
    assert.match(
      errorOf(refused),
      /Input "decrypt-identity" is required: the backup \S+\.dump\.age is age-encrypted/,
    );
    assert.deepEqual(await b.db.query('select id, note from orders order by id'), before);
    assert.deepEqual(e.slots.history, [], 'version not switched');

    const r = await e.run({ ...rolling(e, b.db, b.manifest, marker), 'decrypt-identity': key.identity });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs['database-restored'], 'true');
    assert.deepEqual(await b.db.query('select id, note from orders order by id'), [
      { id: 1, note: 'before' },
      { id: 2, note: 'before' },
    ]);
    const secret = /AGE-SECRET-KEY-1\S+/.exec(key.identity)![0];
    assert.ok(!everythingVisible(r).includes(secret), 'the identity is never shown');
    assert.ok(r.masks.includes(secret), 'the identity is masked');
    assert.deepEqual(e.fake.violations, []);
  });
});
