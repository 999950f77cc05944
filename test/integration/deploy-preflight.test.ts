/**
 * deploy checks every local precondition (working directory, bash) before it creates the GitHub deployment
 * (issue 14, item 7): run as the runner runs it, against the fake GitHub API and real app slots.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { CMD, errorOf, setup, type Env } from '../harness/deploy-env.js';
import { runProcess, WorkingDirectoryError } from '../../src/core/proc.js';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const scratch = mkdtempSync(path.join(tmpdir(), 'deploy-pre-'));
const aFile = path.join(scratch, 'not-a-dir');
writeFileSync(aFile, '');

describe('deploy local preconditions', () => {
  const cases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    [
      'a working-directory that does not exist',
      { 'working-directory': path.join(scratch, 'missing') },
      {},
      /Input "working-directory": ".*missing" does not exist\. Nothing was done: no deployment was created and no command ran\./,
    ],
    [
      'a working-directory that is a file',
      { 'working-directory': aFile },
      {},
      /Input "working-directory": ".*not-a-dir" is a file, not a directory/,
    ],
    [
      'no bash on PATH',
      {},
      { PATH: scratch },
      /bash was not found on PATH .*Nothing was done: no deployment was created/,
    ],
  ];
  for (const [name, inputs, extraEnv, message] of cases)
    it(`${name}: refused before the deployment is created, saying what happened`, async () => {
      env = await setup();
      const e = env;
      const r = await e.run(
        {
          strategy: 'rolling',
          version: 'v2',
          command: CMD.deployAll,
          'health-url': `${e.proxy.url}/health`,
          ...inputs,
        },
        { env: extraEnv },
      );
      assert.equal(r.exitCode, 1, r.log);
      const err = errorOf(r);
      assert.match(err, message);
      assert.doesNotMatch(`${r.log}\n${err}`, /command not found|traffic (had )?moved|rolled back/i);
      assert.equal(e.fake.count(), 0, 'no GitHub call: no deployment was created');
      assert.deepEqual(e.deployments(), []);
      assert.equal(e.slots.history.length, 0, 'no command ran');
      assert.equal(e.slots.version('blue'), 'v1');
    });

  it('proc: a missing working directory is reported as such, never as "command not found"', async () => {
    const missing = path.join(scratch, 'gone');
    await assert.rejects(
      runProcess({ command: 'bash', args: ['-c', 'true'], cwd: missing }),
      (e: unknown) =>
        e instanceof WorkingDirectoryError &&
        e.message === `could not start bash: its working directory ${missing} does not exist`,
    );
    await assert.rejects(
      runProcess({ command: 'no-such-tool-here', args: [] }),
      /command not found: no-such-tool-here/,
    );
  });
});
