/**
 * Static checks actionlint cannot make for us: every `uses: $/actions/<name>` (and `./actions/<name>`) in our
 * workflows and examples names an action of this repository, and every `with:` key is one of its inputs; the
 * reusable deploy workflow declares its environment without a second GitHub deployment.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { loadActionMetadata, ROOT } from '../harness/run-action.js';

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps?: Step[]; environment?: unknown; permissions?: Record<string, string> }>;
}

const files = ['.github/workflows', 'examples/workflows']
  .map((d) => path.join(ROOT, d))
  .filter(existsSync)
  .flatMap((d) => readdirSync(d).map((f) => path.join(d, f)));

describe('workflows use our actions correctly', () => {
  for (const file of files) {
    it(path.relative(ROOT, file), () => {
      const wf = YAML.parse(readFileSync(file, 'utf8')) as Workflow;
      for (const [jobName, job] of Object.entries(wf.jobs)) {
        for (const step of job.steps ?? []) {
          const local = /^(?:\$|\.)\/actions\/([^@/]+)$/.exec(step.uses ?? '');
          if (!local) continue;
          const name = local[1]!;
          assert.ok(
            existsSync(path.join(ROOT, 'actions', name, 'action.yml')),
            `${jobName}: no action ${name}`,
          );
          const inputs = Object.keys(loadActionMetadata(name).inputs ?? {});
          for (const key of Object.keys(step.with ?? {}))
            assert.ok(inputs.includes(key), `${jobName}: ${name} has no input "${key}"`);
        }
      }
    });
  }

  it('the reusable deploy workflow gates on the environment and records one deployment', () => {
    const wf = YAML.parse(readFileSync(path.join(ROOT, '.github/workflows/deploy.yml'), 'utf8')) as Workflow;
    assert.ok('workflow_call' in wf.on);
    const release = wf.jobs.release!;
    assert.deepEqual(release.environment, { name: '${{ inputs.environment }}', deployment: false });
    assert.equal(release.permissions?.deployments, 'write');
    const uses = (release.steps ?? []).map((s) => s.uses).filter(Boolean);
    for (const action of ['backup-db', 'run-migrations', 'deploy', 'smoke-test'])
      assert.ok(uses.includes(`$/actions/${action}`), action);
  });
});

interface DispatchInput {
  type: string;
  options?: string[];
  required?: boolean;
  default?: unknown;
}

describe('rollback workflows', () => {
  const read = (file: string) =>
    YAML.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Omit<Workflow, 'jobs'> & {
      permissions?: Record<string, string>;
      jobs: Record<
        string,
        {
          uses?: string;
          with?: Record<string, unknown>;
          environment?: unknown;
          permissions?: Record<string, string>;
          concurrency?: { group: string; 'cancel-in-progress': boolean };
          steps?: (Step & { if?: string; run?: string })[];
        }
      >;
    };

  it('the caller dispatches with environment (choice), to-version, restore-database, reason, dry-run', () => {
    const wf = read('examples/workflows/rollback.yml');
    const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, DispatchInput> }).inputs;
    assert.equal(inputs.environment?.type, 'choice');
    assert.ok(inputs.environment?.options?.includes('production'));
    assert.equal(inputs['to-version']?.type, 'string');
    assert.equal(inputs['restore-database']?.type, 'boolean');
    assert.equal(inputs['restore-database']?.default, false);
    assert.equal(inputs.reason?.type, 'string');
    assert.equal(inputs['dry-run']?.type, 'boolean');
    const job = wf.jobs.rollback!;
    assert.match(job.uses!, /\/\.github\/workflows\/rollback\.yml@/);
    assert.deepEqual(job.permissions, {
      contents: 'read',
      deployments: 'write',
      issues: 'write',
      actions: 'read',
    });
    // Every dispatch input is passed on to the reusable workflow, which declares each of them.
    const called = read('.github/workflows/rollback.yml');
    const declared = Object.keys((called.on.workflow_call as { inputs: Record<string, unknown> }).inputs);
    for (const name of Object.keys(inputs)) {
      assert.ok(job.with && name in job.with, `caller passes ${name}`);
      assert.ok(declared.includes(name), `reusable workflow declares ${name}`);
    }
  });

  it('the reusable workflow: one job with the environment (deployment: false), least privilege, own concurrency group', () => {
    const wf = read('.github/workflows/rollback.yml');
    assert.ok('workflow_call' in wf.on);
    assert.deepEqual(wf.permissions, { contents: 'read' });
    const jobs = Object.values(wf.jobs);
    assert.equal(jobs.filter((j) => j.environment).length, 1, 'one job declares the environment');
    const job = wf.jobs.rollback!;
    assert.deepEqual(job.environment, { name: '${{ inputs.environment }}', deployment: false });
    assert.deepEqual(job.permissions, {
      contents: 'read',
      deployments: 'write',
      issues: 'write',
      actions: 'read',
    });
    // Not the release group deploy.yml uses: a waiting release never blocks a rollback.
    const deploy = read('.github/workflows/deploy.yml');
    assert.notEqual(job.concurrency?.group, deploy.jobs.release!.concurrency?.group);
    const steps = job.steps ?? [];
    const download = steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    assert.ok(download, 'downloads the backup artifact');
    assert.equal(download.with?.['run-id'], '${{ steps.backup.outputs.backup-run-id }}');
    assert.equal(download.with?.name, '${{ steps.backup.outputs.backup-artifact }}');
    assert.match(download.if ?? '', /inputs\.restore-database/);
    const rollbacks = steps.filter((s) => s.uses === '$/actions/rollback');
    assert.equal(rollbacks.length, 2, 'a plan step finds the backup, then the rollback');
    assert.equal(rollbacks[0]!.with?.mode, 'plan');
    assert.equal(rollbacks[1]!.with?.mode, "${{ inputs.dry-run && 'plan' || 'apply' }}");
    for (const s of steps)
      assert.doesNotMatch(s.run ?? '', /\$\{\{\s*(inputs|github\.event)\./, 'no input expanded in a script');
  });
});
