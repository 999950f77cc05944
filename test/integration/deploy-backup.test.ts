/**
 * The backup hand-off, as the reusable workflow wires it: backup-db takes an encrypted backup of a real
 * PostgreSQL database, deploy gets its manifest output as `backup`, and the GitHub deployment's payload (on the
 * fake GitHub) names the backup a rollback would restore: artifact, run id, file, sha256, encrypted, created-at.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { runAction } from '../harness/run-action.js';
import { CMD, errorOf, setup, type Env } from '../harness/deploy-env.js';
import { cleanupAfterAll, createDatabase, seed } from '../harness/seeded-databases.js';
import { failure } from '../harness/backup-db.js';

const onCleanup = cleanupAfterAll();
let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const rolling = (e: Env, extra: Record<string, string> = {}) => ({
  strategy: 'rolling',
  command: CMD.deployAll,
  'rollback-command': CMD.rollbackAll,
  'health-url': `${e.proxy.url}/health`,
  timeout: '2s',
  ...extra,
});

function recipient(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'age-key-'));
  execFileSync('age-keygen', ['-o', path.join(dir, 'key.txt')], { stdio: 'ignore' });
  return execFileSync('age-keygen', ['-y', path.join(dir, 'key.txt')], { encoding: 'utf8' }).trim();
}

describe('deploy records the backup taken for the release', () => {
  it('backup-db manifest (path) → deploy → the deployment payload names the encrypted backup', async () => {
    const source = createDatabase('postgres', 'bkhand');
    onCleanup(() => source.drop());
    seed(source);
    const backup = await runAction('backup-db', {
      inputs: {
        'database-url': source.url,
        environment: 'production',
        verify: 'none',
        'encrypt-to': recipient(),
      },
    });
    assert.equal(backup.exitCode, 0, failure(backup));
    const manifest = JSON.parse(readFileSync(backup.outputs.manifest!, 'utf8'));

    env = await setup();
    const e = env;
    const r = await e.run({ ...rolling(e), version: 'v2', backup: backup.outputs.manifest! });
    assert.equal(r.exitCode, 0, r.log);
    const payload = e.deployments().at(-1)!.payload;
    assert.equal(payload.version, 'v2');
    assert.deepEqual(payload.backup, {
      artifact: 'backup-production-4242',
      runId: 4242,
      file: path.basename(backup.outputs.path!),
      sha256: backup.outputs.sha256,
      encrypted: true,
      createdAt: backup.outputs['created-at'],
    });
    assert.equal(manifest.sha256, backup.outputs.sha256);
    assert.match(String((payload.backup as { file: string }).file), /\.dump\.age$/);
    assert.deepEqual(e.fake.violations, [], 'every fake response matched the OpenAPI schema');
  });

  it('takes the manifest as JSON and an explicit artifact name', async () => {
    env = await setup();
    const e = env;
    const manifest = {
      file: 'shop-production-20261201T000000Z.sql.gz',
      sha256: 'a'.repeat(64),
      createdAt: '2026-12-01T00:00:00.000Z',
      environment: 'production',
      run: { id: '777' },
      encrypted: false,
    };
    const r = await e.run({
      ...rolling(e),
      version: 'v3',
      backup: JSON.stringify(manifest),
      'backup-artifact': 'nightly-backup-777',
    });
    assert.equal(r.exitCode, 0, r.log);
    assert.deepEqual(e.deployments().at(-1)!.payload.backup, {
      artifact: 'nightly-backup-777',
      runId: 777,
      file: manifest.file,
      sha256: manifest.sha256,
      encrypted: false,
      createdAt: manifest.createdAt,
    });
  });

  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-backup-'));
  const notManifest = path.join(dir, 'package.json');
  writeFileSync(notManifest, '{"name":"app"}');
  const cases: [string, string, RegExp][] = [
    ['a path with no file', path.join(dir, 'missing.manifest.json'), /Input "backup": no manifest at /],
    [
      'a JSON file that is not a manifest',
      notManifest,
      /Input "backup": .*package\.json is not a backup-db manifest/,
    ],
    ['broken JSON', '{"file": ', /Input "backup": it starts with "\{" but is not valid JSON/],
    [
      'a backup of another environment',
      JSON.stringify({
        file: 'x.dump',
        sha256: 'b'.repeat(64),
        createdAt: '2026-12-01T00:00:00.000Z',
        environment: 'staging',
      }),
      /Input "backup": the backup was taken for the environment "staging", and this deploy is to "production"/,
    ],
  ];
  for (const [what, value, message] of cases) {
    it(`refuses ${what}, naming the input, before any GitHub call`, async () => {
      env = await setup();
      const r = await env.run({ ...rolling(env), version: 'v2', backup: value });
      assert.equal(r.exitCode, 1);
      assert.match(errorOf(r), message);
      assert.equal(env.fake.count(), 0, 'no GitHub call');
      assert.equal(env.slots.history.length, 0, 'nothing deployed');
    });
  }
});
