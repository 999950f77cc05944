/** The demo is the README's first command: it must keep working. Runs it as a user would and reads its output. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { ROOT } from '../harness/run-action.js';

it('npm run demo rehearses the runbook and ends green', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /## ✅ Dry-run on demo: 4 migrations would apply/);
  assert.match(r.stdout, /## ✅ Applied 4 migrations on demo: version 0 → 20260104090000/);
  assert.match(r.stdout, /backup-db: .*\.dump \(\d+ bytes, sha256 [0-9a-f]{64}\)/);
  assert.match(r.stdout, /## ✅ v2 deployed to production \(green live\), blue-green/);
  assert.match(r.stdout, /## ↩️ v3 rolled back on production: public health failed \(green live\)/);
  assert.match(r.stdout, /failure +v3: public health failed; rolled back: switched traffic back to green/);
  assert.match(r.stdout, /## ✅ Preflight passed — production/);
  assert.match(r.stdout, /\| ✅ pass \| Code review approved \| `reviews` \| PR #1 approved by bob/);
  assert.match(r.stdout, /## ↩️ Rolled back production: v2 → v1/);
  assert.match(r.stdout, /exit code 0, status success, v2 → v1 on blue, .*nginx now serves v1/);
  assert.match(r.stdout, /issue #\d+: Rollback of production: v2 → v1 \[incident, rollback\]/);
  assert.match(r.stdout, /## ↩️ Deployment record DEP-\d{4}-\d\d-\d\d-\d{3}: production v2 \(rolled-back\)/);
  assert.match(r.stdout, /\| Change failure rate \(%\) \| 66\.7 \|/);
  assert.match(r.stdout, /## ✅ Smoke test passed on demo/);
  assert.match(r.stdout, /## ❌ Smoke test failed on demo: health, version/);
  assert.ok(!r.stdout.includes('demo-secret-token-123'), 'the secret header never reaches the output');
  assert.doesNotMatch(r.stdout, /^❌ /m, 'every demo stage reports success');
});
