/** run-migrations' action.yml and its input schema agree, and the runbook section parses. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseRunbook } from '../../src/core/runbook.js';
import { inputSchema } from '../../src/run-migrations/inputs.js';
import { loadActionMetadata } from '../harness/run-action.js';

it('every action.yml input has a schema key and the reverse; no input has a default (runbook > default)', () => {
  const meta = loadActionMetadata('run-migrations');
  assert.deepEqual(Object.keys(meta.inputs ?? {}).sort(), Object.keys(inputSchema.shape).sort());
  for (const [name, spec] of Object.entries(meta.inputs ?? {}))
    assert.equal(spec.default, undefined, `${name} has a default in action.yml`);
  assert.equal(meta.runs.using, 'node24');
  assert.equal(meta.runs.main, '../../dist/run-migrations/index.js');
  for (const out of [
    'applied',
    'pending-count',
    'previous-version',
    'current-version',
    'duration-ms',
    'report',
  ])
    assert.ok(meta.outputs?.[out], `output ${out} is declared`);
});

it('the runbook migrations section parses, and a typo in it names file, line and field', () => {
  const rb = parseRunbook(
    'environments:\n  prod:\n    database: { url-from-env: DB_URL }\n    migrations: { tool: sql, lock-timeout: 5s, lint: error }\n',
    'runbook.yml',
  );
  assert.equal(rb.environments.prod?.migrations?.['lock-timeout'], 5000);
  assert.throws(
    () => parseRunbook('environments:\n  prod:\n    migrations:\n      tol: sql\n', 'runbook.yml'),
    /runbook\.yml:4: environments\.prod\.migrations: Unrecognized key: "tol"/,
  );
});
