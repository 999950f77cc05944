/**
 * The local workflow runner the demo rehearses release.yml with (test/harness/workflow-run.ts) follows GitHub's
 * semantics where our workflows depend on them: needs order, implicit success() in job and step `if:`, failure()
 * and always(), typed inputs with defaults, job env from secrets, step and job outputs, workflow outputs, the
 * environment gate, and a refusal of actions it cannot run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runWorkflow, type WorkflowRunOptions } from '../harness/workflow-run.js';

const repo = mkdtempSync(path.join(tmpdir(), 'runner-repo-'));
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
git('init', '-q', '-b', 'main');
writeFileSync(path.join(repo, 'README'), 'x\n');
git('add', '.');
git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'one');
const sha = git('rev-parse', 'HEAD');

const options = (over: Partial<WorkflowRunOptions> = {}): WorkflowRunOptions => ({
  workflow: 'test/fixtures/workflows/runner-semantics.yml',
  inputs: {},
  repo,
  github: {
    repository: 'octo-org/app',
    sha,
    ref: 'refs/heads/main',
    actor: 'alice',
    runId: 5,
    apiUrl: 'http://127.0.0.1:1',
    token: 'ghs_runnerTest',
  },
  ...over,
});

describe('the local workflow runner', () => {
  it('runs jobs in needs order with inputs, env, outputs and the environment gate', async () => {
    const gates: string[] = [];
    const r = await runWorkflow(
      options({
        inputs: { who: 'bob' },
        secrets: { TOKEN: 'secret-value-1234' },
        approve: (g) => void gates.push(`${g.job}:${g.environment}`),
      }),
    );
    assert.deepEqual(r.order, ['first', 'second', 'last', 'unknown']);
    assert.equal(r.jobs.unknown!.result, 'skipped');
    assert.equal(r.jobs.first!.result, 'success');
    assert.equal(r.jobs.first!.steps[0]!.name, 'Say hello to bob');
    assert.deepEqual(
      r.jobs.first!.steps.map((s) => s.outcome),
      ['success', 'skipped', 'success', 'skipped'],
    );
    assert.equal(r.jobs.first!.outputs.greeting, 'hello bob (token: true)');
    assert.match(r.jobs.first!.summary, /### hello bob/);
    assert.deepEqual(gates, ['second:bob-env']);
    assert.equal(r.jobs.second!.outputs.seen, 'hello bob (token: true)');
    assert.equal(r.outputs.greeting, 'hello bob (token: true)');
    assert.equal(r.outputs.verdict, 'first success, second success');
  });

  it('skips later steps and dependent jobs after a failure; failure() and always() still run', async () => {
    const r = await runWorkflow(options({ inputs: { fail: true } }));
    assert.equal(r.jobs.first!.result, 'failure');
    assert.deepEqual(
      r.jobs.first!.steps.map((s) => s.outcome),
      ['success', 'failure', 'skipped', 'success'],
    );
    assert.equal(r.jobs.first!.steps[3]!.outputs.cleaned, 'skipped');
    assert.equal(
      r.jobs.first!.outputs.greeting,
      'hello world (token: false)',
      'defaults and an unset secret',
    );
    assert.equal(r.jobs.second!.result, 'skipped');
    assert.equal(r.outputs.verdict, 'first failure, second skipped');
  });

  it('fails the job whose environment is not approved', async () => {
    const r = await runWorkflow(
      options({
        approve: () => {
          throw new Error('rejected by carol');
        },
      }),
    );
    assert.equal(r.jobs.second!.result, 'failure');
    assert.equal(r.outputs.verdict, 'first success, second failure');
  });

  it('refuses to pretend: an action it cannot run fails its step, saying so', async () => {
    const r = await runWorkflow(options({ inputs: { who: 'unknown-action' } }));
    assert.equal(r.jobs.unknown!.result, 'failure');
    assert.match(r.jobs.unknown!.steps[0]!.log, /cannot run someone\/else@/);
  });

  it('refuses unknown inputs and secrets, as GitHub does', async () => {
    await assert.rejects(runWorkflow(options({ inputs: { nope: 'x' } })), /has no input "nope"/);
    await assert.rejects(runWorkflow(options({ secrets: { OTHER: 'x' } })), /has no secret "OTHER"/);
  });
});
