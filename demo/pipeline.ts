/**
 * The release pipeline rehearsed locally, in the order GitHub runs it: `.github/workflows/release.yml` itself, run
 * job by job by test/harness/workflow-run.ts (GitHub's expression evaluator, our committed bundles, the run:
 * scripts with bash), against the fake GitHub API, real PostgreSQL databases, the demo app in two slots behind a
 * real nginx for production and one instance for staging.
 *
 *   1. staging release of v3 (rolling; migrations; smoke test): no reviewers on staging;
 *   2. the production plan: what is live, the changes, pending migrations, the preflight checklist;
 *   3. a reviewer (bob) approves the production environment: recorded as the run's approval in the fake;
 *   4. the production release: encrypted, verified backup; migrations; blue-green deploy to the idle slot;
 *   5. the monitoring window catches v3 (checkout fails on every second request: health is fine, so the deploy
 *      succeeded, but the error rate is 50 %);
 *   6. the rollback job switches traffic back to v2 and opens an incident issue;
 *   7. the record job writes the deployment records (kept on the records branch) with the DORA table.
 * Then a table of what GitHub shows. Throws when the outcome is not the planned one.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { createTestDb, type TestDb } from '../test/harness/databases.js';
import { startFakeGitHub, type FakeGitHub } from '../test/fake-github/server.js';
import { PROXY_CTL, startProxy, type Proxy } from '../test/harness/proxy.js';
import { runAction } from '../test/harness/run-action.js';
import { APP_CTL, startSlots, type Slots } from '../test/harness/slots.js';
import { runWorkflow, type JobRun, type WorkflowRun } from '../test/harness/workflow-run.js';

const REPOSITORY = 'octo-org/app';
const TOKEN = 'ghs_demoPipelineToken0123456789abcdef';
const MIGRATIONS = path.join(import.meta.dirname, 'migrations');
const DAY = 86_400_000;
const SOAK_SECONDS = 5;

/** What the demo leaves in GitHub, for the final table and the e2e test. */
export interface DemoState {
  deployments: {
    id: number;
    environment: string;
    version: string;
    sha: string;
    states: string[];
    /** The latest status's description. */
    description: string;
    /** The schema version its payload says the database is at (migrations.to), '' when it says none. */
    schema: string;
  }[];
  issues: { number: number; title: string; labels: string[]; state: string }[];
  records: {
    id: string;
    environment: string;
    version: string;
    status: string;
    stored: boolean;
    /** The record's rollback section (from the rollback job's report). */
    rollback: Record<string, unknown>;
  }[];
  approvals: { runId: number; environment: string; user: string }[];
  runs: {
    environment: string;
    status: string;
    recordId: string;
    /** Whether the record job stored the record on the records branch (its `stored` output). */
    stored: boolean;
    /** The reusable workflow's outputs: status, deployment-id, record-id, incident-url. */
    outputs: Record<string, string>;
    jobs: Record<string, string>;
  }[];
}

interface Stack {
  fake: FakeGitHub;
  staging: { slots: Slots; db: TestDb };
  production: { slots: Slots; proxy: Proxy; db: TestDb };
  repo: string;
  shas: string[];
  identity: string;
  artifacts: string;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

function runbook(s: Omit<Stack, 'repo' | 'shas' | 'identity' | 'artifacts'>, recipient: string): string {
  const st = s.staging.slots;
  const pr = s.production;
  const stagingCtl = `SLOTS_CTL_URL=${st.env.SLOTS_CTL_URL} node ${APP_CTL}`;
  const prodCtl = `SLOTS_CTL_URL=${pr.slots.env.SLOTS_CTL_URL} node ${APP_CTL}`;
  const proxyCtl = `${Object.entries(pr.proxy.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')} node ${PROXY_CTL}`;
  const stagingUrl = st.apps.staging!.url;
  return `# The demo shop's runbook (written by demo/pipeline.ts with the ports of this run).
version: 1
environments:
  staging:
    url: ${stagingUrl}/
    smoke:
      checks:
        - { name: health, url: "${stagingUrl}/health", expect: { status: 200, json: { status: healthy } } }
        - { name: checkout, url: "${stagingUrl}/checkout", expect: { status: 200 } }
      timeout: 20s
    migrations: { tool: sql, directory: db/migrations, lint: warn }
    deploy:
      strategy: rolling
      command: ${stagingCtl} deploy '*' "$DEPLOY_VERSION"
      health-url: ${stagingUrl}/health
      timeout: 10s
    preflight: { gates: [ci] }
  production:
    url: ${pr.proxy.url}/
    smoke:
      checks:
        - { name: health, url: "${pr.proxy.url}/health", expect: { status: 200, json: { status: healthy } } }
        - { name: checkout, url: "${pr.proxy.url}/checkout", expect: { status: 200 } }
      timeout: 20s
      monitor: 4s # 15m in a real runbook
      monitor-interval: 250ms
      max-error-rate: 1%
    migrations: { tool: sql, directory: db/migrations, lint: warn }
    backup:
      verify: restore
      encrypt-to: ${recipient}
      retention: 7d
    deploy:
      strategy: blue-green
      command: ${prodCtl} deploy "$DEPLOY_SLOT" "$DEPLOY_VERSION"
      switch-command: ${proxyCtl} switch "$DEPLOY_SLOT"
      slots: { blue: "${pr.slots.apps.blue!.url}/version", green: "${pr.slots.apps.green!.url}/version" }
      health-url: ${pr.proxy.url}/health
      timeout: 10s
    preflight:
      gates: [ci, reviews, ticket, soak, protection]
      soak: ${SOAK_SECONDS}s # 24h in a real runbook
      soak-environment: staging
      require-reviewers: true
      require-self-review-off: true
    record:
      store-branch: deployment-records
      dora-window: 30d
`;
}

/** The app's repository: three commits (v1, v2, v3); v3 adds a migration and is the release. */
function makeRepo(runbookText: string): { repo: string; shas: string[] } {
  const repo = mkdtempSync(path.join(tmpdir(), 'demo-shop-repo-'));
  git(repo, 'init', '-q', '-b', 'main');
  mkdirSync(path.join(repo, '.github'));
  mkdirSync(path.join(repo, 'db/migrations'), { recursive: true });
  writeFileSync(path.join(repo, '.github/runbook.yml'), runbookText);
  const files = readdirSync(MIGRATIONS).sort();
  const upTo = (n: number) => {
    const versions = [...new Set(files.map((f) => f.split('_')[0]!))].slice(0, n);
    for (const f of files)
      if (versions.includes(f.split('_')[0]!))
        cpSync(path.join(MIGRATIONS, f), path.join(repo, 'db/migrations', f));
  };
  const commit = (version: string, message: string) => {
    writeFileSync(path.join(repo, 'VERSION'), `${version}\n`);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', message);
    return git(repo, 'rev-parse', 'HEAD');
  };
  upTo(2);
  const v1 = commit('v1', 'Shop v1: products and orders');
  upTo(3);
  const v2 = commit('v2', 'Orders by customer, indexed');
  upTo(4);
  const v3 = commit('v3', 'Faster checkout: product stock (CHG-1042) (#1)');
  return { repo, shas: [v1, v2, v3] };
}

/** The databases as they were before this release: migrated up to v2 (three migrations). */
async function migrateToV2(db: TestDb): Promise<void> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'demo-setup-'));
  mkdirSync(path.join(workspace, 'migrations'));
  const files = readdirSync(MIGRATIONS).filter((f) => !f.startsWith('20260104'));
  for (const f of files) cpSync(path.join(MIGRATIONS, f), path.join(workspace, 'migrations', f));
  const r = await runAction('run-migrations', {
    workspace,
    inputs: { 'database-url': db.url, tool: 'sql', mode: 'apply', environment: 'setup', lint: 'off' },
  });
  if (r.exitCode !== 0) throw new Error(`setting up ${db.name} failed:\n${r.log}`);
}

/** What GitHub knew before the demo: v1 then v2 on production (v2 live on blue), v2 on staging, CI, the PR. */
function seedHistory(s: Stack): void {
  const { fake, shas } = s;
  const [v1, v2, v3] = shas as [string, string, string];
  const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
  fake.seed.commit({ sha: v1, message: 'Shop v1: products and orders' });
  fake.seed.commit({ sha: v2, message: 'Orders by customer, indexed', parents: [v1] });
  fake.seed.commit({ sha: v3, message: 'Faster checkout: product stock (CHG-1042) (#1)', parents: [v2] });
  const migrated = (to: string) => ({ tool: 'sql', to, applied: [] });
  for (const [version, sha, days, slot, to] of [
    ['v1', v1, 12, 'green', '20260102090000'],
    ['v2', v2, 3, 'blue', '20260103090000'],
  ] as const) {
    fake.seed.deployment({
      environment: 'production',
      sha,
      ref: sha,
      created_at: ago(days),
      payload: { version, strategy: 'blue-green', provider: 'command', slot, migrations: migrated(to) },
      statuses: [
        { state: 'success', created_at: ago(days) },
        ...(version === 'v1' ? [{ state: 'inactive' as const, created_at: ago(3) }] : []),
      ],
    });
    fake.seed.deployment({
      environment: 'staging',
      sha,
      ref: sha,
      created_at: ago(days + 1),
      payload: { version, strategy: 'rolling', provider: 'command', migrations: migrated(to) },
      statuses: [{ state: 'success', created_at: ago(days + 1) }],
    });
  }
  fake.seed.checkRun({ head_sha: v3, name: 'test' });
  const pr = fake.seed.pull({
    head: 'feature/checkout',
    head_sha: 'f'.repeat(40),
    merged: true,
    merge_commit_sha: v3,
    user: 'alice',
    title: 'Faster checkout: product stock (CHG-1042)',
  });
  fake.seed.review({ pull_number: Number(pr.number), state: 'APPROVED', user: 'bob' });
  fake.seed.environment({ name: 'staging' });
  fake.seed.environment({ name: 'production', reviewers: ['bob', 'carol'], prevent_self_review: true });
  fake.seed.environment({ name: 'production-rollback' });
}

const REVIEWERS: Record<string, string | undefined> = { production: 'bob' };

async function release(
  s: Stack,
  environment: 'staging' | 'production',
  runId: number,
  log: (line: string) => void,
  approvals: DemoState['approvals'],
  onJob: (job: JobRun) => void,
): Promise<WorkflowRun> {
  const db = s[environment].db;
  return runWorkflow({
    workflow: '.github/workflows/release.yml',
    inputs: {
      environment,
      version: 'v3',
      ref: s.shas[2]!,
      // Staging keeps no backup (nothing there to lose); production's is encrypted to the runbook's key.
      backup: environment === 'production',
    },
    secrets: {
      DATABASE_URL: db.url,
      ...(environment === 'production' ? { BACKUP_AGE_IDENTITY: s.identity } : {}),
    },
    repo: s.repo,
    artifacts: s.artifacts,
    github: {
      repository: REPOSITORY,
      sha: s.shas[2]!,
      ref: 'refs/heads/main',
      actor: 'alice',
      runId,
      apiUrl: s.fake.url,
      token: TOKEN,
      event: { repository: { private: true, full_name: REPOSITORY } },
    },
    approve: ({ environment: env }) => {
      const reviewer = REVIEWERS[env];
      if (!reviewer) {
        log(`  (environment ${env} has no required reviewers: the job starts at once)`);
        return;
      }
      s.fake.seed.approval({
        run_id: runId,
        environments: [env],
        user: reviewer,
        comment: 'Plan read: one migration, backup encrypted, rollback to v2 on blue.',
      });
      approvals.push({ runId, environment: env, user: reviewer });
      log(
        `  👤 ${reviewer} (a required reviewer of ${env}; alice, who started the run, may not) approves ${env}`,
      );
    },
    onArtifact: (a) =>
      void s.fake.seed.artifact({
        name: a.name,
        run_id: a.runId,
        retention_days: a.retentionDays,
        head_sha: s.shas[2],
      }),
    onJob,
    log,
  });
}

export async function demoPipeline(opts: {
  log: (s: string) => void;
  stage: (title: string) => void;
}): Promise<DemoState> {
  const { log, stage } = opts;
  const started = Date.now();
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const fake = await startFakeGitHub({ validate: true });
  const stagingSlots = await startSlots({ versions: { staging: 'v2' } });
  const prodSlots = await startSlots({ versions: { blue: 'v2', green: 'v1' }, bugs: { v3: ['/checkout'] } });
  const proxy = await startProxy({ upstreams: prodSlots.ports, live: 'blue' });
  const dbs: TestDb[] = [];
  try {
    const stagingDb = await createTestDb('postgres', 'demo_shop_staging');
    dbs.push(stagingDb);
    const prodDb = await createTestDb('postgres', 'demo_shop_production');
    dbs.push(prodDb);
    const partial = {
      fake,
      staging: { slots: stagingSlots, db: stagingDb },
      production: { slots: prodSlots, proxy, db: prodDb },
    };
    const { repo, shas } = makeRepo(runbook(partial, recipient));
    const s: Stack = {
      ...partial,
      repo,
      shas,
      identity,
      artifacts: mkdtempSync(path.join(tmpdir(), 'demo-artifacts-')),
    };
    await migrateToV2(stagingDb);
    await migrateToV2(prodDb);
    seedHistory(s);
    log(
      `The shop's repository: ${repo} (v1 ${shas[0]!.slice(0, 7)}, v2 ${shas[1]!.slice(0, 7)}, v3 ${shas[2]!.slice(0, 7)})`,
    );
    log(
      `Production: nginx ${proxy.url} → blue ${prodSlots.apps.blue!.url} (v2 live), green ${prodSlots.apps.green!.url} (idle)`,
    );
    log(
      `Staging: ${stagingSlots.apps.staging!.url} (v2). Databases ${stagingDb.name}, ${prodDb.name} at v2's schema.`,
    );
    log(
      `GitHub: the fake API on ${fake.url}; production requires a reviewer (bob or carol), self-review prevented.`,
    );

    const approvals: DemoState['approvals'] = [];
    const runs: DemoState['runs'] = [];
    const summarize = (run: WorkflowRun, environment: string) =>
      runs.push({
        environment,
        status: run.outputs.status ?? '',
        recordId: run.outputs['record-id'] ?? '',
        outputs: run.outputs,
        stored: run.jobs.record?.steps.some((st) => st.outputs.url) ?? false,
        jobs: Object.fromEntries(run.order.map((j) => [j, run.jobs[j]!.result])),
      });

    stage('1. Staging: release.yml for v3 (push to main calls it with environment: staging)');
    const staging = await release(s, 'staging', 101, log, approvals, () => {});
    summarize(staging, 'staging');
    log(
      `staging: ${staging.outputs.status}, deployment #${staging.outputs['deployment-id']}, record ${staging.outputs['record-id']}`,
    );

    const stagingDeployment = fake.state.deployments.find(
      (d) => String(d.id) === staging.outputs['deployment-id'],
    );
    const successAt = Date.parse(
      String(fake.state.statuses.get(Number(stagingDeployment?.id))?.at(-1)?.created_at ?? ''),
    );
    const wait = Math.max(0, successAt + SOAK_SECONDS * 1000 + 500 - Date.now());
    if (wait > 0) {
      log(
        `\nv3 soaks on staging for ${SOAK_SECONDS}s (24h in a real runbook): waiting ${Math.ceil(wait / 1000)}s more…`,
      );
      await new Promise((r) => setTimeout(r, wait));
    }

    stage('2–7. Production: release.yml for v3 (dispatched by alice)');
    const production = await release(s, 'production', 102, log, approvals, (job) => {
      if (job.id === 'plan' && job.result !== 'skipped') {
        stage('2. The plan page: what the reviewer reads on the run page before approving');
        log(job.summary.trim());
        stage('3. The approval gate: the release job waits for the production environment');
      }
      if (job.id === 'release' && job.result !== 'skipped') {
        stage(
          '4–5. The release job: backup, migrations, blue-green deploy, smoke test and monitoring window',
        );
        log(job.summary.trim());
      }
      if (job.id === 'rollback' && job.result !== 'skipped') {
        stage('6. The rollback job: the monitoring window failed after traffic moved');
        log(job.summary.trim());
      }
      if (job.id === 'record' && job.result !== 'skipped') {
        stage('7. The record job: the deployment record and the DORA metrics');
        log(job.summary.trim());
      }
    });
    summarize(production, 'production');

    const state = await githubState(s, approvals, runs);
    stage('What GitHub shows now');
    printTable(state, log);
    log(
      `\nGitHub API requests in total: ${fake.count()}; rehearsal took ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    if (fake.violations.length)
      throw new Error(
        `the fake GitHub saw responses outside GitHub's OpenAPI description: ${JSON.stringify(fake.violations[0])}`,
      );
    const serves = await (await fetch(`${proxy.url}/version`)).text();
    log(`nginx serves ${serves} on production.`);
    const surprises = check(state, serves, production);
    if (surprises.length) throw new Error(`the rehearsal did not go as planned:\n${surprises.join('\n')}`);
    return state;
  } finally {
    await proxy.close();
    await prodSlots.close();
    await stagingSlots.close();
    await fake.close();
    for (const db of dbs) await db.drop();
  }
}

async function githubState(
  s: Stack,
  approvals: DemoState['approvals'],
  runs: DemoState['runs'],
): Promise<DemoState> {
  const deployments = s.fake.state.deployments.map((d) => ({
    id: Number(d.id),
    environment: String(d.environment),
    version: String((d.payload as Record<string, unknown>).version ?? ''),
    sha: String(d.sha),
    states: (s.fake.state.statuses.get(Number(d.id)) ?? []).map((x) => String(x.state)),
    description: String(s.fake.state.statuses.get(Number(d.id))?.at(-1)?.description ?? ''),
    schema: String(
      ((d.payload as Record<string, unknown>).migrations as { to?: string } | undefined)?.to ?? '',
    ),
  }));
  const issues = s.fake.state.issues.map((i) => ({
    number: Number(i.number),
    title: String(i.title),
    labels: (i.labels as unknown[]).map((l) =>
      typeof l === 'string' ? l : String((l as { name: string }).name),
    ),
    state: String(i.state),
  }));
  // The records: read back from the records branch through the contents API, as anyone would.
  const records: DemoState['records'] = [];
  const api = async (p: string) => {
    const res = await fetch(`${s.fake.url}/repos/${REPOSITORY}/${p}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return res.ok ? ((await res.json()) as unknown) : undefined;
  };
  // Where record-deployment keeps a record on the branch: deployments/<environment>/<record id>.json.
  for (const run of runs) {
    if (!run.recordId || !run.stored) continue;
    const file = (await api(
      `contents/${encodeURIComponent(`deployments/${run.environment}/${run.recordId}.json`)}?ref=deployment-records`,
    )) as { content: string } | undefined;
    if (!file) continue;
    const r = JSON.parse(Buffer.from(file.content, 'base64').toString('utf8')) as Record<string, unknown>;
    records.push({
      id: String(r.id),
      environment: String(r.environment),
      version: String(r.version),
      status: String(r.status),
      stored: true,
      rollback: r.rollback as Record<string, unknown>,
    });
  }
  // Records kept only with their run (staging has no records branch): the uploaded record artifacts.
  for (const run of readdirSync(s.artifacts)) {
    for (const name of readdirSync(path.join(s.artifacts, run)).filter((n) =>
      n.startsWith('deployment-record-'),
    )) {
      for (const f of readdirSync(path.join(s.artifacts, run, name)).filter((f) => f.endsWith('.json'))) {
        const r = JSON.parse(readFileSync(path.join(s.artifacts, run, name, f), 'utf8')) as Record<
          string,
          unknown
        >;
        if (!records.some((x) => x.id === r.id && x.environment === r.environment))
          records.push({
            id: String(r.id),
            environment: String(r.environment),
            version: String(r.version),
            status: String(r.status),
            stored: false,
            rollback: r.rollback as Record<string, unknown>,
          });
      }
    }
  }
  return { deployments, issues, records, approvals, runs };
}

function printTable(state: DemoState, log: (s: string) => void): void {
  log('| What | GitHub shows |');
  log('| --- | --- |');
  for (const d of state.deployments)
    log(
      `| deployment #${d.id} | ${d.environment} ${d.version} (${d.sha.slice(0, 7)}${d.schema ? `, schema ${d.schema}` : ''}): ${d.states.join(' → ')}${d.description ? ` (“${d.description}”)` : ''} |`,
    );
  for (const i of state.issues)
    log(`| issue #${i.number} | ${i.title} [${i.labels.join(', ')}] (${i.state}) |`);
  for (const r of state.records)
    log(
      `| record ${r.id} | ${r.environment} ${r.version}: ${r.status} (${r.stored ? 'on branch deployment-records' : 'run artifact'}) |`,
    );
  for (const a of state.approvals)
    log(`| run ${a.runId} approval | ${a.environment} approved by ${a.user} |`);
  for (const r of state.runs)
    log(
      `| release to ${r.environment} | ${r.status}: ${Object.entries(r.jobs)
        .map(([j, x]) => `${j} ${x}`)
        .join(', ')}; outputs ${Object.entries(r.outputs)
        .map(([k, v]) => `${k}=${v || '–'}`)
        .join(', ')} |`,
    );
}

function check(state: DemoState, serves: string, production: WorkflowRun): string[] {
  const surprises: string[] = [];
  const want = (ok: boolean, what: string) => void (ok || surprises.push(what));
  const latest = (env: string) => state.deployments.filter((d) => d.environment === env).at(-1);
  want(state.runs[0]?.status === 'success', `staging: expected success, got ${state.runs[0]?.status}`);
  want(
    latest('staging')?.version === 'v3' && latest('staging')?.states.at(-1) === 'success',
    'staging: v3 deployed',
  );
  want(
    state.runs[1]?.status === 'rolled-back',
    `production: expected rolled-back, got ${state.runs[1]?.status}`,
  );
  want(production.jobs.rollback?.result === 'success', 'production: the rollback job succeeded');
  want(state.issues.length === 1, `one incident issue, got ${state.issues.length}`);
  want(
    state.records.some((r) => r.environment === 'production' && r.status === 'rolled-back' && r.stored),
    'production record (rolled-back) on the records branch',
  );
  want(serves === 'v2', `production: nginx should serve v2 after the rollback, serves ${serves}`);
  const v3 = state.deployments.find((d) => d.environment === 'production' && d.version === 'v3');
  want(
    v3?.states.at(-1) === 'inactive',
    `production v3: expected inactive (rolled back), got ${v3?.states.join(' → ')}`,
  );
  return surprises;
}
