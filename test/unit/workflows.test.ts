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
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import { loadActionMetadata, ROOT } from '../harness/run-action.js';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  if?: string;
  run?: string;
  env?: Record<string, string>;
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

  describe('the reusable deploy workflow never uploads an unencrypted backup from a public repository', () => {
    const wf = YAML.parse(readFileSync(path.join(ROOT, '.github/workflows/deploy.yml'), 'utf8')) as Workflow;
    const steps = wf.jobs.release!.steps ?? [];
    const step = (id: string) => {
      const s = steps.find((x) => x.id === id);
      assert.ok(s, `a step with id ${id}`);
      return s;
    };
    const stepNamed = (name: RegExp) => steps.find((x) => name.test(x.name ?? ''));

    /** Evaluate a step's `if:` (or any expression) as the runner would, with these contexts. */
    function evaluate(expression: string, contexts: Record<string, unknown>): data.ExpressionData {
      const source = expression.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
      const lexed = new Lexer(source).lex();
      const expr = new Parser(lexed.tokens, Object.keys(contexts), []).parse();
      const ctx = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
      return new Evaluator(expr, ctx).evaluate();
    }
    /** A string with `${{ }}` parts, as the runner fills it in. */
    const interpolate = (template: string, contexts: Record<string, unknown>) =>
      template.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, e: string) => evaluate(e, contexts).coerceString());
    const runs = (s: Step, contexts: Record<string, unknown>) =>
      s.if === undefined || truthy(evaluate(s.if, contexts));

    interface Scenario {
      repository?: { private: boolean; visibility: string };
      encrypted: boolean;
      allow: boolean;
      backedUp?: boolean;
    }
    const contexts = (c: Scenario, upload?: 'success' | 'skipped') => ({
      github: { event: c.repository ? { repository: c.repository } : {}, run_id: 99, repository: 'o/r' },
      inputs: { 'allow-unencrypted-backup': c.allow, environment: 'production' },
      steps: {
        backup: {
          outputs:
            c.backedUp === false
              ? {}
              : {
                  path: c.encrypted ? '/t/db.dump.age' : '/t/db.dump',
                  manifest: '/t/db.manifest.json',
                  encrypted: String(c.encrypted),
                  'retention-days': '14',
                },
        },
        ...(upload ? { upload: { outcome: upload, conclusion: upload } } : {}),
      },
    });
    const PUBLIC = { private: false, visibility: 'public' };
    const PRIVATE = { private: true, visibility: 'private' };

    const cases: [string, Scenario, { refuse: boolean; upload: boolean }][] = [
      [
        'public, encrypted: uploaded',
        { repository: PUBLIC, encrypted: true, allow: false },
        { refuse: false, upload: true },
      ],
      [
        'public, unencrypted: refused',
        { repository: PUBLIC, encrypted: false, allow: false },
        { refuse: true, upload: false },
      ],
      [
        'public, unencrypted, allow-unencrypted-backup: still refused',
        { repository: PUBLIC, encrypted: false, allow: true },
        { refuse: true, upload: false },
      ],
      [
        'visibility unknown (no repository in the event), unencrypted, allowed: refused',
        { encrypted: false, allow: true },
        { refuse: true, upload: false },
      ],
      [
        'private, unencrypted, not allowed: refused',
        { repository: PRIVATE, encrypted: false, allow: false },
        { refuse: true, upload: false },
      ],
      [
        'private, unencrypted, allowed: uploaded',
        { repository: PRIVATE, encrypted: false, allow: true },
        { refuse: false, upload: true },
      ],
      [
        'private, encrypted: uploaded',
        { repository: PRIVATE, encrypted: true, allow: false },
        { refuse: false, upload: true },
      ],
      [
        'no backup taken: nothing to refuse or upload',
        { repository: PUBLIC, encrypted: false, allow: false, backedUp: false },
        { refuse: false, upload: false },
      ],
    ];
    for (const [name, scenario, want] of cases) {
      it(name, () => {
        const c = contexts(scenario);
        const refusal = step('unencrypted');
        assert.equal(runs(refusal, c), want.refuse, 'the refusal step');
        assert.equal(runs(step('upload'), c), want.upload, 'the upload step');
        // The refusal fails the job before anything is uploaded, migrated or deployed.
        assert.match(refusal.run ?? '', /exit 1\s*$/);
        const order = steps.map((s) => s.id);
        assert.ok(order.indexOf('unencrypted') < order.indexOf('upload'));
        assert.ok(order.indexOf('upload') < order.indexOf('migrate'));
        // The summary that says who can download it: only after an unencrypted upload.
        const warn = stepNamed(/who can download/)!;
        assert.equal(
          runs(warn, contexts(scenario, want.upload ? 'success' : 'skipped')),
          want.upload && !scenario.encrypted,
        );
      });
    }

    it('uploads the .age file, its .sha256 and the manifest for the runbook retention, and hands the backup to deploy', () => {
      const upload = step('upload');
      const c = contexts({ repository: PUBLIC, encrypted: true, allow: false }, 'success');
      const paths = String(upload.with!.path)
        .split('\n')
        .filter(Boolean)
        .map((p) => interpolate(p, c));
      assert.deepEqual(paths, ['/t/db.dump.age', '/t/db.dump.age.sha256', '/t/db.manifest.json']);
      assert.equal(evaluate(String(upload.with!['retention-days']), c).coerceString(), '14');
      assert.equal(interpolate(String(upload.with!.name), c), 'backup-production-99');
      const deploy = step('deploy');
      assert.equal(evaluate(String(deploy.with!.backup), c).coerceString(), '/t/db.manifest.json');
      assert.equal(
        evaluate(String(deploy.with!['backup-artifact']), c).coerceString(),
        'backup-production-99',
      );
      const notUploaded = contexts({ repository: PUBLIC, encrypted: true, allow: false }, 'skipped');
      assert.equal(evaluate(String(deploy.with!.backup), notUploaded).coerceString(), '');
      assert.match(String(step('backup').with!['decrypt-identity']), /secrets\.BACKUP_AGE_IDENTITY/);
    });

    it('never expands inputs inside run: scripts (values reach scripts through env:)', () => {
      for (const s of steps) if (s.run) assert.doesNotMatch(s.run, /\$\{\{/, `step "${s.name ?? s.id}"`);
    });
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
