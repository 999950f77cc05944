/**
 * backup-db when the runner cancels the job (SIGINT): the running tool is stopped, a partial dump is removed,
 * and the scratch database of a restore verification is still dropped.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { runAction } from '../harness/run-action.js';
import { createDatabase, databasesLike, seed, cleanupAfterAll } from '../harness/seeded-databases.js';
import { clientDir, failure, passThrough, PG_BIN } from '../harness/backup-db.js';

const onCleanup = cleanupAfterAll();

/** Send SIGINT to the action once `marker` shows up in the wrappers' log (bounded: 30 s). */
function cancelWhen(log: string, marker: string) {
  return (child: ChildProcess) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (readFileSync(log, 'utf8').includes(marker)) {
        clearInterval(poll);
        child.kill('SIGINT');
      } else if (Date.now() - started > 30_000) {
        clearInterval(poll);
        child.kill('SIGKILL');
      }
    }, 50);
    child.on('exit', () => clearInterval(poll));
  };
}

describe('backup-db cancelled by the runner', () => {
  it('during the dump: pg_dump is stopped and the partial dump removed; no manifest', async () => {
    const source = createDatabase('postgres', 'bkcancel');
    onCleanup(() => source.drop());
    seed(source);
    const clients = clientDir({
      pg_dump: {
        real: `${PG_BIN}/pg_dump`,
        body: '[ "$1" = --version ] && exec "$REAL" "$@"\n"$REAL" "$@"; echo dumped >> "$LOG"; sleep 60',
      },
      pg_restore: passThrough(`${PG_BIN}/pg_restore`),
      psql: passThrough(`${PG_BIN}/psql`),
    });
    const directory = mkdtempSync(path.join(tmpdir(), 'bkcancel-'));
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, 'client-path': clients.dir, directory },
      onSpawn: cancelWhen(clients.log, 'dumped'),
      timeoutMs: 60_000,
    });
    assert.equal(r.signal, null, 'the action ended by itself, not by the harness');
    assert.equal(r.exitCode, 1);
    assert.match(r.log, /Received SIGINT: the job is being cancelled/);
    assert.match(
      failure(r),
      /pg_dump was stopped because the job was cancelled while dumping postgres:\/\/postgres@127\.0\.0\.1:5432\/bkcancel_\w+; the partial dump was removed/,
    );
    assert.deepEqual(readdirSync(directory), []);
  });

  it('during a restore verification: the scratch database is still dropped', async () => {
    const source = createDatabase('postgres', 'bkcancel');
    onCleanup(() => source.drop());
    seed(source);
    const clients = clientDir({
      pg_dump: passThrough(`${PG_BIN}/pg_dump`),
      pg_restore: {
        real: `${PG_BIN}/pg_restore`,
        body: 'case "$*" in *--dbname=*) "$REAL" "$@"; echo restoring >> "$LOG"; sleep 60;; *) exec "$REAL" "$@";; esac',
      },
      psql: passThrough(`${PG_BIN}/psql`),
    });
    const r = await runAction('backup-db', {
      inputs: { 'database-url': source.url, 'client-path': clients.dir, verify: 'restore' },
      onSpawn: cancelWhen(clients.log, 'restoring'),
      timeoutMs: 60_000,
    });
    assert.equal(r.signal, null);
    assert.equal(r.exitCode, 1);
    assert.match(
      failure(r),
      /Backup verification \(restore\) failed .*pg_restore was stopped because the job was cancelled/s,
    );
    assert.match(r.log, /Dropped the scratch database bkcancel_\w+_verify_\w+/);
    assert.deepEqual(databasesLike('postgres', `${source.name}_verify`), []);
    // The backup is on disk but its manifest says the verification failed: check-age will not count it.
    const manifest = JSON.parse(readFileSync(r.outputs.manifest!, 'utf8'));
    assert.equal(manifest.verification.passed, false);
    assert.ok(existsSync(r.outputs.path!));
  });
});
