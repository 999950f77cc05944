/** Every action.yml input has a schema key and every schema key an action.yml input; metadata is runnable. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { loadActionMetadata, ROOT } from '../harness/run-action.js';

const actions = readdirSync(path.join(ROOT, 'actions')).filter((n) =>
  existsSync(path.join(ROOT, 'actions', n, 'action.yml')),
);

describe('action contracts', () => {
  it('finds the actions', () => assert.ok(actions.includes('smoke-test')));

  for (const name of actions) {
    it(`${name}: action.yml inputs and the zod schema have the same keys`, async () => {
      const meta = loadActionMetadata(name);
      const mod = (await import(path.join(ROOT, 'src', name, 'inputs.ts'))) as { inputSchema: z.ZodObject };
      const schemaKeys = Object.keys(mod.inputSchema.shape).sort();
      const ymlKeys = Object.keys(meta.inputs ?? {}).sort();
      assert.deepEqual(
        {
          missingInSchema: ymlKeys.filter((k) => !schemaKeys.includes(k)),
          missingInActionYml: schemaKeys.filter((k) => !ymlKeys.includes(k)),
        },
        { missingInSchema: [], missingInActionYml: [] },
      );
    });

    it(`${name}: node24, main points at its committed bundle, entry file only calls run()`, () => {
      const meta = loadActionMetadata(name);
      assert.equal(meta.runs.using, 'node24');
      assert.equal(meta.runs.main, `../../dist/${name}/index.js`);
      assert.ok(existsSync(path.join(ROOT, 'actions', name, meta.runs.main)));
      assert.ok(meta.outputs?.report, 'has a report output');
    });
  }
});
