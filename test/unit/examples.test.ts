/** The sample runbook users copy must be valid against the schema. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { parseRunbook } from '../../src/core/runbook.js';
import { ROOT } from '../harness/run-action.js';

it('examples/runbook.yml is a valid runbook', () => {
  const rb = parseRunbook(
    readFileSync(path.join(ROOT, 'examples/runbook.yml'), 'utf8'),
    'examples/runbook.yml',
  );
  assert.deepEqual(Object.keys(rb.environments), ['staging', 'production']);
  assert.equal(rb.environments.production!.smoke!.monitor, 15 * 60_000);
  assert.equal(rb.environments.production!.deploy!.strategy, 'canary');
  assert.equal(rb.environments.production!.deploy!['step-duration'], 5 * 60_000);
  assert.equal(rb.environments.production!.backup!['max-age'], 24 * 3_600_000);
  assert.equal(rb.environments.production!.migrations!['lock-timeout'], 5_000);
});
