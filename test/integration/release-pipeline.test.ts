/**
 * release.yml run as GitHub runs it (test/harness/workflow-run.ts: its expressions, its run: scripts, our bundles)
 * against the fake GitHub and a real app, on the paths the demo does not take:
 * - a hotfix approved by two distinct people (neither the actor) on the two environments is released;
 * - a hotfix whose two gates one person approved stops in the release job before anything is deployed;
 * - a failing preflight gate stops the run in the plan job: nobody is asked to approve, nothing is deployed;
 * - a first release whose monitoring window fails: the rollback job runs, refuses (nothing earlier to go back to)
 *   and says so, and the record job records the failure with the refused rollback.
 * The demo (test/e2e/demo.test.ts) covers the normal release, the monitoring window and the rollback job.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { APP_CTL, startSlots, type Slots } from '../harness/slots.js';
import { runWorkflow, type WorkflowRun } from '../harness/workflow-run.js';

const TOKEN = 'ghs_releasePipelineTest0123456789';

describe(
  'release.yml run job by job: hotfix approvals, a failing gate, a refused rollback',
  { concurrency: false },
  () => {
    let fake: FakeGitHub;
    let app: Slots;
    let qa: Slots;
    let repo: string;
    let good: string;
    let red: string;

    before(async () => {
      fake = await startFakeGitHub({ validate: true });
      app = await startSlots({ versions: { app: 'v1' } });
      // qa's first release (v204) is healthy, but its checkout fails every second request.
      qa = await startSlots({ versions: { app: 'v0' }, bugs: { v204: ['/checkout'] } });
      const qaUrl = qa.apps.app!.url;
      repo = mkdtempSync(path.join(tmpdir(), 'release-pipeline-repo-'));
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
          cwd: repo,
          encoding: 'utf8',
        }).trim();
      git('init', '-q', '-b', 'main');
      mkdirSync(path.join(repo, '.github'));
      const url = app.apps.app!.url;
      writeFileSync(
        path.join(repo, '.github/runbook.yml'),
        `version: 1
environments:
  production:
    url: ${url}/
    smoke:
      checks: [{ name: health, url: "${url}/health", expect: { status: 200 } }]
      timeout: 10s
    deploy:
      strategy: rolling
      command: SLOTS_CTL_URL=${app.env.SLOTS_CTL_URL} node ${APP_CTL} deploy '*' "$DEPLOY_VERSION"
      health-url: ${url}/health
      timeout: 5s
    preflight:
      gates: [ci, protection]
      require-reviewers: true
      require-self-review-off: true
    hotfix:
      emergency-approvals: 2
  qa:
    url: ${qaUrl}/
    smoke:
      checks: [{ name: checkout, url: "${qaUrl}/checkout", expect: { status: 200 } }]
      timeout: 10s
      monitor: 2s
      monitor-interval: 200ms
      max-error-rate: 1%
    deploy:
      strategy: rolling
      command: SLOTS_CTL_URL=${qa.env.SLOTS_CTL_URL} node ${APP_CTL} deploy '*' "$DEPLOY_VERSION"
      health-url: ${qaUrl}/health
      timeout: 5s
    preflight:
      gates: [ci]
`,
      );
      git('add', '-A');
      git('commit', '-q', '-m', 'the hotfix');
      good = git('rev-parse', 'HEAD');
      writeFileSync(path.join(repo, 'BROKEN'), 'x\n');
      git('add', '-A');
      git('commit', '-q', '-m', 'a commit whose CI is red');
      red = git('rev-parse', 'HEAD');
      fake.seed.commit({ sha: good, message: 'the hotfix' });
      fake.seed.commit({ sha: red, message: 'a commit whose CI is red', parents: [good] });
      fake.seed.checkRun({ head_sha: good, name: 'test' });
      fake.seed.checkRun({ head_sha: red, name: 'test', conclusion: 'failure' });
      fake.seed.environment({ name: 'production', reviewers: ['bob', 'carol'], prevent_self_review: true });
      fake.seed.environment({
        name: 'production-hotfix',
        reviewers: ['bob', 'dave'],
        prevent_self_review: true,
      });
    });
    after(async () => {
      assert.deepEqual(fake.violations, []);
      await app.close();
      await qa.close();
      await fake.close();
    });

    const release = async (
      runId: number,
      sha: string,
      hotfix: boolean,
      approvers: Record<string, string>,
      asked: string[],
      environment = 'production',
    ): Promise<WorkflowRun> =>
      runWorkflow({
        workflow: '.github/workflows/release.yml',
        inputs: { environment, version: `v${runId}`, ref: sha, hotfix },
        repo,
        github: {
          repository: 'octo-org/app',
          sha,
          ref: 'refs/heads/main',
          actor: 'alice',
          runId,
          apiUrl: fake.url,
          token: TOKEN,
          event: { repository: { private: true } },
        },
        approve: ({ environment }) => {
          asked.push(environment);
          const user = approvers[environment];
          if (user) fake.seed.approval({ run_id: runId, environments: [environment], user });
        },
      });
    const deploymentsOf = (runId: number) =>
      fake.state.deployments.filter((d) => (d.payload as { version?: string }).version === `v${runId}`);

    it('a hotfix approved by two distinct people, neither the actor, is released and recorded', async () => {
      const asked: string[] = [];
      const r = await release(201, good, true, { 'production-hotfix': 'dave', production: 'carol' }, asked);
      assert.deepEqual(asked, ['production-hotfix', 'production']);
      assert.deepEqual(
        Object.fromEntries(r.order.map((j) => [j, r.jobs[j]!.result])),
        {
          plan: 'success',
          'hotfix-approval': 'success',
          release: 'success',
          rollback: 'skipped',
          record: 'success',
        },
        r.jobs.release!.steps.map((s) => `${s.name}: ${s.outcome} ${s.log}`).join('\n'),
      );
      assert.match(r.jobs.plan!.summary, /\| Hotfix \| \*\*yes\*\*/);
      assert.match(r.jobs.release!.summary, /2 of 2|dave.*carol|carol.*dave/s);
      assert.equal(r.outputs.status, 'success');
      assert.equal(app.version('app'), 'v201');
      const [d] = deploymentsOf(201);
      assert.ok(d, 'the deploy recorded its deployment');
      assert.equal(r.outputs['deployment-id'], String(d.id));
      assert.match(r.outputs['record-id']!, /^DEP-\d{4}-\d\d-\d\d-\d{3}$/);
    });

    it('a hotfix whose two gates one person approved stops before anything is deployed', async () => {
      const asked: string[] = [];
      const r = await release(202, good, true, { 'production-hotfix': 'bob', production: 'bob' }, asked);
      assert.deepEqual(asked, ['production-hotfix', 'production']);
      assert.equal(r.jobs.release!.result, 'failure');
      const steps = Object.fromEntries(r.jobs.release!.steps.map((s) => [s.name, s.outcome]));
      assert.equal(steps['Hotfix approvers'], 'failure');
      assert.equal(steps.Deploy, 'skipped');
      assert.match(
        r.jobs
          .release!.steps.find((s) => s.name === 'Hotfix approvers')!
          .annotations.map((a) => a.message)
          .join('\n'),
        /1 of 2/,
      );
      assert.equal(deploymentsOf(202).length, 0, 'no deployment');
      assert.equal(app.version('app'), 'v201', 'the app still runs the previous release');
      assert.equal(r.jobs.rollback!.result, 'skipped');
      assert.equal(r.jobs.record!.result, 'skipped', 'nothing to record: no deployment was created');
      assert.equal(r.outputs.status, 'failure');
    });

    it('a failing gate stops the run in plan: nobody is asked to approve, nothing is deployed', async () => {
      const asked: string[] = [];
      const r = await release(203, red, false, { production: 'carol' }, asked);
      assert.equal(r.jobs.plan!.result, 'failure');
      assert.match(r.jobs.plan!.summary, /Preflight failed/);
      assert.deepEqual(asked, [], 'no environment gate was reached');
      for (const j of ['hotfix-approval', 'release', 'rollback', 'record'])
        assert.equal(r.jobs[j]!.result, 'skipped', j);
      assert.equal(deploymentsOf(203).length, 0);
      assert.equal(r.outputs.status, 'failure');
      assert.equal(r.outputs['deployment-id'], '');
    });

    it('a first release the monitoring window fails: the rollback refuses (nothing to go back to), the record says why', async () => {
      const asked: string[] = [];
      const r = await release(204, good, false, {}, asked, 'qa');
      assert.deepEqual(asked, ['qa', 'qa-rollback']);
      assert.deepEqual(Object.fromEntries(r.order.map((j) => [j, r.jobs[j]!.result])), {
        plan: 'success',
        'hotfix-approval': 'skipped',
        release: 'failure',
        rollback: 'failure',
        record: 'success',
      });
      assert.equal(r.jobs.release!.outputs['deploy-status'], 'success', 'the deploy itself succeeded');
      assert.equal(r.jobs.release!.outputs.smoke, 'failure');
      assert.equal(r.jobs.rollback!.outputs.status, 'refused');
      assert.match(r.jobs.rollback!.summary, /## ❌ Rollback of qa refused: nothing was changed/);
      assert.equal(qa.version('app'), 'v204', 'traffic stays on v204: there was nothing to go back to');
      const rec = JSON.parse(
        r.jobs.record!.steps.find((s) => s.name === 'Record the deployment')!.outputs.record!,
      ) as { status: string; notes?: string; rollback: Record<string, unknown> };
      assert.equal(rec.status, 'failure');
      assert.equal(rec.notes, undefined, 'the report says it all: no note');
      assert.equal(rec.rollback.executed, false);
      assert.equal(rec.rollback.status, 'refused');
      assert.match(
        String(rec.rollback.failure),
        /no deployment of qa is live|no earlier successful deployment/,
      );
      assert.equal(r.outputs.status, 'failure');
      assert.equal(r.outputs['incident-url'], '');
    });
  },
);
