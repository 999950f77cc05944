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
