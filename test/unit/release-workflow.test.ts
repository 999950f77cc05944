/**
 * The release pipeline read as data: the job graph of .github/workflows/release.yml (needs, the `if:` of release,
 * rollback and record evaluated on scenarios with GitHub's own expression evaluator, environments, permissions,
 * concurrency), the callers in examples/workflows, and rules over EVERY workflow file: third-party actions pinned
 * by full sha with a version comment, no untrusted expression inside a `run:` script, every `with:` key an input
 * of the called action (and every required input given), every `steps.<id>.outputs.<x>` an output of that step's
 * action, every `needs.<job>.outputs.<x>` an output of that job. Actions are discovered from actions/ at test time.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import YAML from 'yaml';
import { ROOT } from '../harness/run-action.js';

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: unknown;
  environment?: string | { name?: string; deployment?: boolean };
  concurrency?: string | { group?: string; 'cancel-in-progress'?: unknown; queue?: string };
  permissions?: string | Record<string, string>;
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: Step[];
}
interface CallInput {
  type?: string;
  required?: boolean;
  default?: unknown;
}
interface Workflow {
  on: Record<string, unknown> | string | string[];
  permissions?: unknown;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}
interface ActionMeta {
  inputs?: Record<string, { required?: boolean; default?: unknown }>;
  outputs?: Record<string, unknown>;
}

const WORKFLOW_DIRS = ['.github/workflows', 'examples/workflows'];
const files = WORKFLOW_DIRS.map((d) => path.join(ROOT, d))
  .filter(existsSync)
  .flatMap((d) =>
    readdirSync(d)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => path.join(d, f)),
  );
const rel = (f: string) => path.relative(ROOT, f);
const text = (f: string) => readFileSync(f, 'utf8');
const load = (f: string) => YAML.parse(text(f)) as Workflow;

/** Our actions, discovered now: after the merge every action's action.yml is there. */
const actions = new Map<string, ActionMeta>(
  readdirSync(path.join(ROOT, 'actions'))
    .filter((n) => existsSync(path.join(ROOT, 'actions', n, 'action.yml')))
    .map((n) => [
      n,
      YAML.parse(readFileSync(path.join(ROOT, 'actions', n, 'action.yml'), 'utf8')) as ActionMeta,
    ]),
);
const ownAction = (uses: string | undefined) => /^(?:\$|\.)\/actions\/([^@/]+)$/.exec(uses ?? '')?.[1];

const RELEASE = path.join(ROOT, '.github/workflows/release.yml');
const release = load(RELEASE);
const job = (name: string) => {
  const j = release.jobs[name];
  assert.ok(j, `release.yml has a job "${name}"`);
  return j;
};
const needsOf = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);

// ---- GitHub's expression evaluator ----

/** Status functions are not part of @actions/expressions: they are given per scenario. */
interface Status {
  cancelled?: boolean;
  success?: boolean;
}
function evaluate(
  expression: string,
  contexts: Record<string, unknown>,
  status: Status = {},
): data.ExpressionData {
  const source = expression
    .trim()
    .replace(/^\$\{\{([\s\S]*)\}\}$/, '$1')
    .replace(/\balways\(\)/g, 'true')
    .replace(/\bcancelled\(\)/g, String(status.cancelled ?? false))
    .replace(/\bsuccess\(\)/g, String(status.success ?? true))
    .replace(/\bfailure\(\)/g, String(!(status.success ?? true)));
  const lexed = new Lexer(source).lex();
  const expr = new Parser(lexed.tokens, Object.keys(contexts), []).parse();
  const ctx = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  return new Evaluator(expr, ctx).evaluate();
}
/** A job's `if:` as GitHub runs it: without a status function the condition is `success() && (...)`. */
function runs(j: Job, contexts: Record<string, unknown>, status: Status = {}): boolean {
  const cond = j.if ?? 'success()';
  const withStatus = /\b(always|cancelled|success|failure)\(\)/.test(cond) ? cond : `success() && (${cond})`;
  return truthy(evaluate(withStatus, contexts, status));
}
/** A string with `${{ }}` parts, filled in as the runner does. */
const interpolate = (template: string, contexts: Record<string, unknown>) =>
  template.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, e: string) => evaluate(e, contexts).coerceString());

const INPUTS = {
  environment: 'production',
  version: 'v42',
  ref: '',
  hotfix: false,
  runbook: '.github/runbook.yml',
  backup: true,
  migrate: true,
  'smoke-test': true,
  'rollback-restore-database': false,
};
interface ReleaseOutcome {
  result: 'success' | 'failure' | 'cancelled' | 'skipped';
  deploymentId?: string;
  deployStatus?: string;
  trafficMoved?: boolean;
  smoke?: string;
}
const needsContext = (
  r: ReleaseOutcome,
  rollback: { result: string; status?: string } = { result: 'skipped' },
) => ({
  plan: { result: 'success', outputs: { sha: 'a'.repeat(40), ticket: 'CHG-1' } },
  release: {
    result: r.result,
    outputs: {
      'deployment-id': r.deploymentId ?? '',
      'deploy-status': r.deployStatus ?? '',
      'traffic-moved': String(r.trafficMoved ?? false),
      smoke: r.smoke ?? '',
      'previous-version': 'v41',
      'backup-artifact': '',
    },
  },
  rollback: {
    result: rollback.result,
    outputs: { status: rollback.status ?? '', version: '', 'incident-url': '' },
  },
});

// ---- release.yml ----

describe('release.yml: the reusable release pipeline', () => {
  it('is a reusable workflow with the documented inputs, secrets and outputs', () => {
    const on = release.on as Record<
      string,
      { inputs: Record<string, CallInput>; secrets: object; outputs: object }
    >;
    const call = on.workflow_call;
    assert.ok(call, 'on: workflow_call');
    assert.deepEqual(Object.keys(on), ['workflow_call']);
    const inputs = call.inputs;
    assert.equal(inputs.environment?.required, true);
    assert.equal(inputs.version?.required, true);
    assert.equal(inputs.hotfix?.type, 'boolean');
    assert.equal(inputs.hotfix?.default, false);
    for (const name of ['ref', 'runbook', 'confirm-database'])
      assert.equal(inputs[name]?.type, 'string', name);
    // The hotfix settings (soak, windows, approvers) are the runbook's `hotfix` section, not workflow inputs.
    assert.equal(inputs['hotfix-soak'], undefined);
    for (const name of [
      'backup',
      'migrate',
      'smoke-test',
      'allow-unencrypted-backup',
      'rollback-restore-database',
    ])
      assert.equal(inputs[name]?.type, 'boolean', name);
    assert.equal(inputs['allow-unencrypted-backup']?.default, false);
    assert.equal(inputs['rollback-restore-database']?.default, false);
    assert.deepEqual(Object.keys(call.secrets).sort(), ['BACKUP_AGE_IDENTITY', 'DATABASE_URL']);
    assert.deepEqual(Object.keys(call.outputs).sort(), [
      'deployment-id',
      'incident-url',
      'record-id',
      'status',
    ]);
  });

  it('calls our actions as $/actions/<name> (this workflow own commit) and documents the GHES fallback', () => {
    const uses = Object.values(release.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses ?? ''));
    const ours = uses.filter((u) => ownAction(u));
    assert.ok(ours.length >= 7, ours.join());
    for (const u of ours)
      assert.match(u, /^\$\/actions\/[a-z-]+$/, `${u}: ./ would resolve in the caller's checkout`);
    assert.ok(
      text(RELEASE).includes('OWNER/deploy-runbook/actions/<name>@'),
      'the GHES fallback is documented',
    );
  });

  it('has no workflow-level concurrency and a top-level permissions of nothing', () => {
    assert.equal(release.concurrency, undefined);
    assert.deepEqual(release.permissions, {});
  });

  it('job graph: plan → (hotfix-approval) → release → rollback → record', () => {
    assert.deepEqual(Object.keys(release.jobs), ['plan', 'hotfix-approval', 'release', 'rollback', 'record']);
    assert.deepEqual(needsOf(job('plan')), []);
    assert.deepEqual(needsOf(job('hotfix-approval')), ['plan']);
    assert.deepEqual(needsOf(job('release')).sort(), ['hotfix-approval', 'plan']);
    assert.ok(needsOf(job('rollback')).includes('release'));
    assert.ok(needsOf(job('record')).includes('release') && needsOf(job('record')).includes('rollback'));
    // The hotfix path starts in the plan: its preflight gets the hotfix flag (the runbook's hotfix section).
    const planPreflight = job('plan').steps!.find((s) => ownAction(s.uses) === 'preflight-check' && !s.if);
    assert.equal(planPreflight?.with?.hotfix, '${{ inputs.hotfix }}');
  });

  it('every job has a timeout', () => {
    for (const [name, j] of Object.entries(release.jobs))
      assert.ok(typeof (j as { 'timeout-minutes'?: number })['timeout-minutes'] === 'number', name);
  });

  describe('when each job runs', () => {
    const ctx = (hotfix: boolean, plan: string, approval: string) => ({
      inputs: { ...INPUTS, hotfix },
      needs: { plan: { result: plan, outputs: {} }, 'hotfix-approval': { result: approval, outputs: {} } },
    });
    it('hotfix-approval only for a hotfix', () => {
      assert.equal(runs(job('hotfix-approval'), ctx(true, 'success', '')), true);
      assert.equal(runs(job('hotfix-approval'), ctx(false, 'success', '')), false);
    });
    it('release: after a passing plan, and for a hotfix only after the hotfix environment approved', () => {
      const r = job('release');
      assert.equal(runs(r, ctx(false, 'success', 'skipped'), { success: false }), true, 'normal release');
      assert.equal(runs(r, ctx(true, 'success', 'success')), true, 'approved hotfix');
      assert.equal(
        runs(r, ctx(true, 'success', 'failure'), { success: false }),
        false,
        'hotfix gate rejected',
      );
      assert.equal(
        runs(r, ctx(true, 'success', 'skipped'), { success: false }),
        false,
        'hotfix gate skipped',
      );
      assert.equal(
        runs(r, ctx(false, 'failure', 'skipped'), { success: false }),
        false,
        'a failing gate stops here',
      );
      assert.equal(runs(r, ctx(false, 'success', 'skipped'), { cancelled: true }), false, 'cancelled');
    });

    const rollbackRuns = (r: ReleaseOutcome, status: Status = { success: r.result === 'success' }) =>
      runs(job('rollback'), { inputs: INPUTS, needs: needsContext(r) }, status);
    const deployed = { deploymentId: '17' };
    it('rollback: when the monitoring window failed after the deploy reported success', () => {
      assert.equal(
        rollbackRuns({ result: 'failure', ...deployed, deployStatus: 'success', smoke: 'failure' }),
        true,
      );
      assert.equal(
        rollbackRuns({ result: 'failure', ...deployed, deployStatus: 'success', smoke: 'cancelled' }),
        true,
        'the monitoring window timed out',
      );
    });
    it('rollback: when the deploy failed after traffic moved and could not undo it', () => {
      assert.equal(
        rollbackRuns({ result: 'failure', ...deployed, deployStatus: 'failure', trafficMoved: true }),
        true,
      );
    });
    it('rollback: not otherwise', () => {
      const cases: [string, ReleaseOutcome, Status?][] = [
        ['healthy release', { result: 'success', ...deployed, deployStatus: 'success', smoke: 'success' }],
        ['no smoke test', { result: 'success', ...deployed, deployStatus: 'success', smoke: 'skipped' }],
        [
          'deploy rolled itself back',
          { result: 'failure', ...deployed, deployStatus: 'rolled-back', trafficMoved: true },
        ],
        [
          'traffic never moved',
          { result: 'failure', ...deployed, deployStatus: 'failure', trafficMoved: false },
        ],
        ['failed before deploying (migrations)', { result: 'failure' }],
        ['release skipped (plan failed)', { result: 'skipped' }],
        [
          'the run was cancelled',
          { result: 'cancelled', ...deployed, deployStatus: 'success', smoke: 'cancelled' },
          { cancelled: true, success: false },
        ],
      ];
      for (const [what, r, status] of cases) assert.equal(rollbackRuns(r, status), false, what);
    });

    const recordRuns = (r: ReleaseOutcome, status: Status = { success: false }) =>
      runs(job('record'), { inputs: INPUTS, needs: needsContext(r) }, status);
    it('record: always once the release created a deployment, whatever happened after', () => {
      assert.equal(
        recordRuns({ result: 'success', ...deployed, deployStatus: 'success' }, { success: true }),
        true,
      );
      assert.equal(recordRuns({ result: 'failure', ...deployed, deployStatus: 'rolled-back' }), true);
      assert.equal(
        recordRuns({ result: 'failure', ...deployed, deployStatus: 'success', smoke: 'failure' }),
        true,
      );
      assert.equal(
        recordRuns({ result: 'cancelled', ...deployed }, { cancelled: true, success: false }),
        true,
        'cancelled mid-release',
      );
      assert.equal(recordRuns({ result: 'skipped' }), false, 'never ran');
      assert.equal(recordRuns({ result: 'failure' }), false, 'no deployment to record');
    });

    it('the status recorded and returned', () => {
      const status = (r: ReleaseOutcome, rollback?: { result: string; status?: string }) =>
        interpolate(job('record').outputs!.status!, { inputs: INPUTS, needs: needsContext(r, rollback) });
      assert.equal(
        status({ result: 'success', ...deployed, deployStatus: 'success', smoke: 'success' }),
        'success',
      );
      assert.equal(status({ result: 'failure', ...deployed, deployStatus: 'rolled-back' }), 'rolled-back');
      assert.equal(
        status(
          { result: 'failure', ...deployed, deployStatus: 'success', smoke: 'failure' },
          { result: 'success' },
        ),
        'rolled-back',
      );
      assert.equal(
        status(
          { result: 'failure', ...deployed, deployStatus: 'success', smoke: 'failure' },
          { result: 'failure' },
        ),
        'failure',
      );
      assert.equal(status({ result: 'failure', ...deployed, deployStatus: 'failure' }), 'failure');
      const step = job('record').steps!.find((s) => s.id === 'record')!;
      assert.equal(
        String(step.with!.status).trim(),
        job('record').outputs!.status!.trim(),
        'the record says the same',
      );
    });

    it('traffic-moved is read from the deploy report, and an empty report is not an error', () => {
      const moved = (report: string) =>
        interpolate(job('release').outputs!['traffic-moved']!, {
          inputs: INPUTS,
          steps: { deploy: { outputs: { report } } },
          github: { run_id: 1 },
        });
      assert.equal(moved(''), 'false');
      assert.equal(moved(JSON.stringify({ status: 'success' })), 'false');
      assert.equal(moved(JSON.stringify({ status: 'failure', rollback: { needed: false } })), 'false');
      assert.equal(
        moved(JSON.stringify({ status: 'failure', rollback: { needed: true, ok: false } })),
        'true',
      );
    });
  });

  it('environments: release gates on the environment, hotfix on <environment>-hotfix, none creates a deployment', () => {
    const envOf = (name: string, inputs: object = INPUTS) => {
      const e = job(name).environment;
      assert.ok(e && typeof e === 'object', `${name} declares its environment as a mapping`);
      assert.equal(e.deployment, false, `${name}: deployment: false (our actions record the deployment)`);
      return interpolate(e.name!, { inputs });
    };
    assert.equal(
      job('plan').environment,
      undefined,
      'plan has no environment: nothing to approve yet, no secrets',
    );
    assert.equal(job('record').environment, undefined);
    assert.equal(envOf('release'), 'production');
    assert.equal(envOf('hotfix-approval'), 'production-hotfix');
    assert.equal(envOf('rollback'), 'production-rollback', 'no reviewers: no second human gate');
    assert.equal(
      envOf('rollback', { ...INPUTS, 'rollback-restore-database': true }),
      'production',
      'a database restore waits for the environment reviewers',
    );
  });

  it('permissions: least privilege per job', () => {
    const plan = job('plan').permissions as Record<string, string>;
    assert.ok(
      Object.values(plan).every((p) => p === 'read'),
      'plan: a read-only token',
    );
    assert.deepEqual(job('hotfix-approval').permissions, {});
    assert.deepEqual(job('release').permissions, { contents: 'read', deployments: 'write', actions: 'read' });
    assert.deepEqual(job('rollback').permissions, {
      contents: 'read',
      deployments: 'write',
      issues: 'write',
      actions: 'read',
    });
    assert.deepEqual(job('record').permissions, { contents: 'write', deployments: 'read', actions: 'read' });
    for (const [name, j] of Object.entries(release.jobs))
      assert.ok(j.permissions && typeof j.permissions === 'object', `${name}: explicit permissions`);
  });

  it('every secret read is declared in workflow_call.secrets (environment secrets resolve only for declared names)', () => {
    const declared = Object.keys(
      (release.on as { workflow_call: { secrets: Record<string, unknown> } }).workflow_call.secrets,
    );
    for (const m of text(RELEASE).matchAll(/secrets\.(\w+)/g)) assert.ok(declared.includes(m[1]!), m[1]);
  });

  it('secrets are only in reach of release and rollback, and only on the steps that use them', () => {
    for (const name of ['plan', 'hotfix-approval', 'record'])
      assert.doesNotMatch(YAML.stringify(job(name)), /secrets\./, `${name} reads no secret`);
    for (const name of ['release', 'rollback']) {
      for (const [k, v] of Object.entries(job(name).env ?? {}))
        assert.doesNotMatch(String(v).replace(/secrets\.\w+ != ''/g, ''), /secrets\./, `${name}: env ${k}`);
      for (const s of job(name).steps ?? [])
        if (s.run) assert.doesNotMatch(YAML.stringify(s.env ?? {}), /secrets\./, `${name}: ${s.name} env`);
    }
  });

  it('concurrency: one release per environment; rollbacks in their own group', () => {
    const c = { inputs: INPUTS };
    const group = (j: Job) => {
      const cc = j.concurrency;
      assert.ok(cc && typeof cc === 'object', 'concurrency as a mapping');
      assert.equal(cc['cancel-in-progress'], false, 'never cancel a release or rollback half way');
      assert.equal(
        cc.queue,
        undefined,
        'queue: is not accepted by actionlint 1.7 (see the README, "Concurrency: what we rely on")',
      );
      return interpolate(cc.group!, c);
    };
    assert.equal(group(job('release')), 'deploy-runbook-production');
    assert.equal(group(job('rollback')), 'deploy-runbook-rollback-production');
    for (const name of ['plan', 'hotfix-approval', 'record'])
      assert.equal(job(name).concurrency, undefined, `${name} waits on no group`);
    // The manual rollback workflow shares the rollback group, so two rollbacks never run at once.
    const manual = path.join(ROOT, '.github/workflows/rollback.yml');
    if (existsSync(manual)) {
      const rb = Object.values(load(manual).jobs).find((j) => j.concurrency);
      assert.ok(rb, 'rollback.yml has a job with concurrency');
      assert.equal(group(rb), group(job('rollback')));
    }
  });

  it('the plan writes the page the reviewer reads and runs preflight for the target environment', () => {
    const steps = job('plan').steps!;
    const summary = steps.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'));
    assert.ok(summary, 'a step writes the plan to the job summary');
    for (const word of ['Version', 'Commit', 'Backup', 'Migrations', 'Smoke test', 'If monitoring fails'])
      assert.ok(summary.run!.includes(word), word);
    const hotfixEnv = steps.find((s) => ownAction(s.uses) === 'preflight-check' && s.if === 'inputs.hotfix');
    assert.ok(hotfixEnv, 'a hotfix checks its second environment is protected before anyone is asked');
    assert.equal(interpolate(String(hotfixEnv.with!.environment), { inputs: INPUTS }), 'production-hotfix');
    assert.equal(hotfixEnv.with!.gates, 'protection');
    assert.equal(hotfixEnv.with!['require-reviewers'], 'true');
    assert.equal(hotfixEnv.with!['require-self-review-off'], 'true');
    const preflight = steps.find((s) => ownAction(s.uses) === 'preflight-check' && !s.if);
    assert.ok(preflight, 'plan runs preflight-check');
    const w = (h: boolean) => ({
      inputs: { ...INPUTS, hotfix: h },
      steps: { commit: { outputs: { sha: 'abc' } } },
    });
    assert.equal(interpolate(String(preflight.with!.environment), w(false)), 'production');
    // A hotfix is preflight's `hotfix` input: the runbook's hotfix section (soak, windows, approvers) applies.
    assert.equal(interpolate(String(preflight.with!.hotfix), w(true)), 'true');
    assert.equal(interpolate(String(preflight.with!.hotfix), w(false)), 'false');
    for (const key of ['soak', 'warn-only', 'emergency', 'emergency-approvals'])
      assert.equal(preflight.with![key], undefined, `${key}: from the runbook, not the workflow`);
    assert.equal(interpolate(String(preflight.with!.sha), w(false)), 'abc');
  });

  it('the plan reads the pending migrations after what is live, from the soak environment (default staging)', () => {
    const steps = job('plan').steps!;
    const at = (id: string) => steps.findIndex((s) => s.id === id);
    const step = steps[at('migrations')]!;
    assert.ok(step, 'a step reads the pending migrations');
    assert.ok(at('live') < at('migrations'), 'after what is live (it reads the live deployment it found)');
    const page = steps.findIndex((s) => s.run?.includes('### Pending migrations'));
    assert.ok(at('migrations') < page, 'before the page that shows them');
    const env = (inputs: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(step.env!).map(([k, v]) => [
          k,
          interpolate(String(v), {
            inputs: { ...INPUTS, 'soak-environment': '', ...inputs },
            steps: { commit: { outputs: { sha: 'abc' } }, live: { outputs: { id: '7' } } },
            github: { token: 't' },
          }),
        ]),
      );
    assert.equal(env({}).SOAK_ENVIRONMENT, 'staging');
    assert.equal(env({ 'soak-environment': 'qa' }).SOAK_ENVIRONMENT, 'qa');
    assert.equal(env({}).LIVE_ID, '7');
    assert.equal(env({}).SHA, 'abc');
    assert.equal(env({ migrate: false }).MIGRATE, 'false');
  });

  it('the release checks out and records the planned commit', () => {
    const ctx = { inputs: INPUTS, needs: { plan: { outputs: { sha: 'abc' } } }, github: { sha: 'other' } };
    const steps = job('release').steps!;
    assert.equal(interpolate(String(steps[0]!.with!.ref), ctx), 'abc');
    const deploy = steps.find((s) => ownAction(s.uses) === 'deploy')!;
    assert.equal(interpolate(String(deploy.with!.ref), ctx), 'abc');
  });

  it('release: a hotfix first checks two approvers, then backup (handed to deploy), migrations, deploy, smoke', () => {
    const steps = job('release').steps!;
    const order = steps.map((s) => ownAction(s.uses)).filter(Boolean);
    assert.deepEqual(order, ['preflight-check', 'backup-db', 'run-migrations', 'deploy', 'smoke-test']);
    const approvers = steps.find((s) => ownAction(s.uses) === 'preflight-check')!;
    assert.equal(approvers.if, 'inputs.hotfix');
    assert.equal(approvers.with!.gates, 'window');
    // A hotfix: the approvers needed are the runbook's hotfix.emergency-approvals; an emergency is implied. The
    // window gate must fail here (the plan's only warned), so nothing is warn-only.
    assert.equal(approvers.with!.hotfix, 'true');
    assert.equal(approvers.with!['warn-only'], 'none');
    assert.equal(approvers.with!.emergency, undefined);
    const freeze = steps.find((s) => s.id === 'hotfix-freeze')!;
    assert.match(freeze.run!, /freeze=\$\(date -u -d yesterday \+%F\)\.\.\$\(date -u -d tomorrow \+%F\)/);
    const deploy = steps.find((s) => ownAction(s.uses) === 'deploy')!;
    assert.match(String(deploy.with!.backup), /steps\.backup\.outputs\.manifest/);
    assert.match(String(deploy.with!['backup-artifact']), /backup-\{0\}-\{1\}/);
    assert.equal(
      String(deploy.with!.migrations),
      '${{ steps.migrate.outputs.report }}',
      "deploy records run-migrations' report in the deployment, for the next plan",
    );
    const backup = steps.find((s) => ownAction(s.uses) === 'backup-db')!;
    assert.equal(backup.with!['decrypt-identity'], '${{ secrets.BACKUP_AGE_IDENTITY }}');
  });

  it('rollback: puts the previous version back with the rollback action, restoring only when asked', () => {
    const steps = job('rollback').steps!;
    const rb = steps.find((s) => ownAction(s.uses) === 'rollback');
    assert.ok(rb);
    const ctx = (restore: boolean) => ({
      inputs: { ...INPUTS, 'rollback-restore-database': restore },
      needs: needsContext({
        result: 'failure',
        deploymentId: '1',
        deployStatus: 'success',
        smoke: 'failure',
      }),
      runner: { temp: '/t' },
      secrets: { DATABASE_URL: 'postgres://x' },
      github: { run_id: 5 },
    });
    const c = ctx(false);
    assert.equal(interpolate(String(rb.with!['to-version']), c), 'v41');
    assert.equal(interpolate(String(rb.with!['restore-database']), c), 'false');
    assert.equal(interpolate(String(rb.with!['database-url']), c), '', 'no database URL without a restore');
    const r = ctx(true);
    r.needs.release.outputs['backup-artifact'] = 'backup-production-5';
    assert.equal(interpolate(String(rb.with!['restore-database']), r), 'true');
    assert.equal(interpolate(String(rb.with!['backup-file']), r), '/t/rollback-backup');
  });

  it('outputs: status, deployment-id, record-id, incident-url come from the jobs that know them', () => {
    const outs = (release.on as { workflow_call: { outputs: Record<string, { value: string }> } })
      .workflow_call.outputs;
    for (const [name, o] of Object.entries(outs)) {
      for (const m of o.value.matchAll(/jobs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const j = job(m[1]!);
        assert.ok(j.outputs?.[m[2]!] !== undefined, `${name}: job ${m[1]} has no output ${m[2]}`);
      }
    }
    assert.equal(
      interpolate(outs.status!.value, { jobs: { record: { outputs: { status: '' } } } }),
      'failure',
    );
  });
});

// ---- the callers ----

describe('callers in examples/workflows', () => {
  const caller = (f: string) => load(path.join(ROOT, 'examples/workflows', f));
  const callInputs = (Object.values(release.on as object)[0] as { inputs: Record<string, CallInput> }).inputs;
  const unionOfJobPermissions = () => {
    const need: Record<string, string> = {};
    for (const j of Object.values(release.jobs))
      for (const [k, v] of Object.entries((j.permissions as Record<string, string>) ?? {}))
        if (need[k] !== 'write') need[k] = v;
    return need;
  };

  for (const [file, environment] of [
    ['staging.yml', 'staging'],
    ['production.yml', 'production'],
  ] as const) {
    it(`${file} calls release.yml for ${environment}, granting what its jobs need, secrets by name`, () => {
      const wf = caller(file);
      assert.deepEqual(wf.permissions, {});
      assert.equal(wf.concurrency, undefined, 'no workflow-level concurrency (it would hold rollbacks)');
      const jobs = Object.values(wf.jobs);
      assert.equal(jobs.length, 1);
      const j = jobs[0]!;
      assert.equal(j.uses, 'OWNER/deploy-runbook/.github/workflows/release.yml@v1');
      assert.equal(String(j.with!.environment), environment);
      assert.notEqual(j.secrets, 'inherit');
      const granted = j.permissions as Record<string, string>;
      for (const [k, v] of Object.entries(unionOfJobPermissions()))
        assert.ok(granted[k] === v || granted[k] === 'write', `${file} grants ${k}: ${v}`);
      for (const k of Object.keys(granted))
        assert.ok(k in unionOfJobPermissions(), `${file} grants no more (${k})`);
      assert.ok(text(path.join(ROOT, 'examples/workflows', file)).split('\n').length < 60, 'a few lines');
    });
  }

  it('staging.yml runs on push to main', () => {
    assert.deepEqual((caller('staging.yml').on as Record<string, unknown>).push, { branches: ['main'] });
  });

  it('production.yml: workflow_dispatch (version, ref, hotfix) or release published; hotfix only from dispatch', () => {
    const wf = caller('production.yml');
    const on = wf.on as {
      release: { types: string[] };
      workflow_dispatch: { inputs: Record<string, CallInput> };
    };
    assert.deepEqual(on.release.types, ['published']);
    assert.deepEqual(Object.keys(on.workflow_dispatch.inputs).sort(), ['hotfix', 'ref', 'version']);
    assert.equal(on.workflow_dispatch.inputs.hotfix!.type, 'boolean');
    const w = Object.values(wf.jobs)[0]!.with!;
    const released = {
      github: { event_name: 'release', event: { release: { tag_name: 'v7' } } },
      inputs: {},
    };
    const dispatched = {
      github: { event_name: 'workflow_dispatch', event: {} },
      inputs: { version: 'v8', ref: 'main', hotfix: true },
    };
    assert.equal(interpolate(String(w.version), released), 'v7');
    assert.equal(interpolate(String(w.ref), released), 'v7');
    assert.equal(interpolate(String(w.hotfix), released), 'false');
    assert.equal(interpolate(String(w.version), dispatched), 'v8');
    assert.equal(interpolate(String(w.hotfix), dispatched), 'true');
    assert.equal(w['soak-environment'], 'staging');
  });

  it('every with: key is an input of release.yml and every required input is given', () => {
    for (const f of ['staging.yml', 'production.yml']) {
      const w = Object.values(caller(f).jobs)[0]!.with!;
      for (const k of Object.keys(w)) assert.ok(k in callInputs, `${f}: release.yml has no input ${k}`);
      for (const [k, spec] of Object.entries(callInputs))
        if (spec.required) assert.ok(k in w, `${f}: required input ${k}`);
    }
  });
});

// ---- rules over every workflow file ----

/** Contexts an expression inside `run:` may use: none that an outsider or a caller can write. */
const SAFE_IN_RUN =
  /^(?:runner\.\w+|github\.(?:run_id|run_number|run_attempt|workspace|action_path|sha|repository|server_url|api_url)|job\.status)$/;

describe('every workflow file', () => {
  for (const file of files) {
    const wf = load(file);
    const raw = text(file);
    const lines = raw.split('\n');
    describe(rel(file), () => {
      it('third-party actions are pinned by full commit sha with a version comment', () => {
        for (const [name, j] of Object.entries(wf.jobs)) {
          if (j.uses) {
            // A reusable workflow: ours (examples call it at the tag users pick) or pinned like an action.
            const ours =
              /^(?:OWNER\/deploy-runbook\/|\.\/)\.github\/workflows\/([\w.-]+\.ya?ml)(?:@[\w.-]+)?$/.exec(
                j.uses,
              );
            if (ours) {
              assert.ok(
                existsSync(path.join(ROOT, '.github/workflows', ours[1]!)),
                `${name}: ${j.uses} exists`,
              );
              continue;
            }
            assert.match(j.uses, /@[0-9a-f]{40}$/, `${name}: ${j.uses} pinned by sha`);
          }
          for (const s of j.steps ?? []) {
            if (!s.uses || s.uses.startsWith('$/') || s.uses.startsWith('./')) continue;
            assert.match(
              s.uses,
              /^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@[0-9a-f]{40}$/,
              `${name}: ${s.uses} by full sha`,
            );
            const line = lines.find((l) => l.includes(`uses: ${s.uses}`));
            assert.ok(line, `${name}: ${s.uses} on a line`);
            assert.match(
              line,
              /@[0-9a-f]{40} # v\d+(?:\.\d+)*\s*$/,
              `${name}: ${s.uses} has a version comment`,
            );
          }
        }
      });

      it('no expression a caller or an outsider controls inside a run: script (they go through env:)', () => {
        for (const [name, j] of Object.entries(wf.jobs))
          for (const s of j.steps ?? []) {
            if (s.run === undefined) continue;
            for (const m of s.run.matchAll(/\$\{\{([\s\S]*?)\}\}/g))
              assert.match(
                m[1]!.trim(),
                SAFE_IN_RUN,
                `${name}: "${s.name ?? s.run.slice(0, 30)}" expands ${m[0]}`,
              );
          }
      });

      it('our actions: every with: key is an input, every required input is given', () => {
        for (const [name, j] of Object.entries(wf.jobs))
          for (const s of j.steps ?? []) {
            const a = ownAction(s.uses);
            if (!a) continue;
            const meta = actions.get(a);
            assert.ok(meta, `${name}: no action ${a} in actions/ (actions/${a}/action.yml)`);
            const inputs = meta.inputs ?? {};
            for (const key of Object.keys(s.with ?? {}))
              assert.ok(key in inputs, `${name}: ${a} has no input "${key}"`);
            for (const [key, spec] of Object.entries(inputs))
              if (spec?.required && spec.default === undefined)
                assert.ok(key in (s.with ?? {}), `${name}: ${a} needs input "${key}"`);
          }
      });

      it('every steps.<id>.outputs.<x> a job reads exists; so does every needs.<job>.outputs.<x>', () => {
        for (const [name, j] of Object.entries(wf.jobs)) {
          const body = YAML.stringify(j);
          const byId = new Map((j.steps ?? []).filter((s) => s.id).map((s) => [s.id!, s]));
          for (const m of body.matchAll(/steps\.([\w-]+)\.(outputs\.([\w-]+)|outcome|conclusion)/g)) {
            const step = byId.get(m[1]!);
            assert.ok(step, `${name}: no step with id ${m[1]}`);
            const output = m[3];
            if (!output) continue;
            const a = ownAction(step.uses);
            if (a) {
              const meta = actions.get(a);
              assert.ok(meta, `${name}: no action ${a} in actions/`);
              assert.ok(
                output in (meta.outputs ?? {}),
                `${name}: ${a} (step ${m[1]}) has no output "${output}"`,
              );
            } else if (step.run !== undefined) {
              assert.ok(
                step.run.includes(`${output}=`),
                `${name}: step ${m[1]} never writes output "${output}"`,
              );
            }
          }
          const needs = needsOf(j);
          for (const m of body.matchAll(/needs\.([\w-]+)\.(outputs\.([\w-]+)|result)/g)) {
            assert.ok(needs.includes(m[1]!), `${name}: reads needs.${m[1]} without needing it`);
            if (m[3]) {
              const other = wf.jobs[m[1]!];
              assert.ok(other?.outputs?.[m[3]] !== undefined, `${name}: job ${m[1]} has no output "${m[3]}"`);
            }
          }
        }
      });

      it('environments: declared as a mapping with deployment: false wherever our actions record deployments', () => {
        for (const [name, j] of Object.entries(wf.jobs)) {
          const recordsItself = (j.steps ?? []).some((s) =>
            ['deploy', 'rollback'].includes(ownAction(s.uses) ?? ''),
          );
          if (!recordsItself) continue;
          assert.ok(j.environment && typeof j.environment === 'object', `${name}: environment as a mapping`);
          assert.equal(j.environment.deployment, false, `${name}: deployment: false`);
        }
      });

      it('permissions are explicit', () => {
        assert.ok(wf.permissions !== undefined, 'top-level permissions');
        assert.notEqual(wf.permissions, 'write-all');
        for (const [name, j] of Object.entries(wf.jobs)) assert.notEqual(j.permissions, 'write-all', name);
      });
    });
  }
});
