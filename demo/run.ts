/**
 * `npm run demo`: the runbook rehearsed locally. Creates a throwaway demo database, starts a demo app, then runs
 * each action's committed bundle exactly as the GitHub runner would (test/harness/run-action.ts), printing the
 * job summaries a reviewer sees. Everything it starts or creates is removed at the end.
 */
import { createTestDb } from '../test/harness/databases.js';
import { startHttpApp } from '../test/harness/http-app.js';
import { runAction } from '../test/harness/run-action.js';
import { showResult, stage } from './lib.js';
import { demoBackup } from './backup-db.js';
import { demoDeploy } from './deploy.js';
import { demoMigrations } from './run-migrations.js';

async function demoSmokeTest(): Promise<void> {
  const app = await startHttpApp({ version: '2.0.0' });
  try {
    stage(`smoke-test: is the release healthy? (demo app v2.0.0 at ${app.url})`);
    const checks = [
      `- name: health`,
      `  url: ${app.url}/health`,
      `  expect: { status: 200, json: { status: healthy, version: 2.0.0 }, max-latency: 1s }`,
      `- name: version`,
      `  url: ${app.url}/version`,
      `  expect: { body-contains: "2.0.0" }`,
      `- name: api (needs a secret header)`,
      `  url: ${app.url}/echo`,
      `  headers: { Authorization: "Bearer demo-secret-token-123" }`,
      `  expect: { status: 200 }`,
    ].join('\n');
    const ok = await runAction('smoke-test', {
      inputs: {
        environment: 'demo',
        checks,
        monitor: '3s',
        'monitor-interval': '500ms',
        'max-error-rate': '1%',
        'max-p95': '500ms',
      },
    });
    showResult('smoke-test', ok);
    if (ok.exitCode !== 0) throw new Error('smoke-test failed on a healthy release');

    stage('smoke-test: the same checks when the release is broken (what the on-call engineer sees)');
    app.set({ failing: true, version: '2.0.1' });
    const bad = await runAction('smoke-test', { inputs: { environment: 'demo', checks, timeout: '3s' } });
    showResult('smoke-test', bad);
    if (bad.exitCode !== 1) throw new Error('smoke-test passed a broken release');
  } finally {
    await app.close();
  }
}

const results: [string, boolean][] = [];
async function step(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
    results.push([what, true]);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    results.push([what, false]);
  }
}

const db = await createTestDb('postgres', 'demo_shop');
try {
  await step('run-migrations: dry-run, then apply the demo shop migrations', async () => {
    stage(`run-migrations: the demo shop's schema (database ${db.name})`);
    await demoMigrations({ databaseUrl: db.url, environment: 'demo', log: (s) => console.log(s) });
  });
  await step('backup-db: a backup of the demo database, verified by restoring it', async () => {
    stage('backup-db: back up the database and prove the backup restores');
    await demoBackup({ databaseUrl: db.url, environment: 'demo', log: (s) => console.log(s) });
  });
  await step(
    'preflight-check, deploy v2 blue-green behind nginx, a broken v3 rolled back automatically, rollback of v2, the record and DORA',
    async () => {
      stage(
        'preflight → deploy (blue-green behind a real nginx) → rollback → record, against a fake GitHub API',
      );
      await demoDeploy({ log: (s) => console.log(s) });
    },
  );
  await step('smoke-test passes a healthy release and fails a broken one', demoSmokeTest);
} finally {
  await db.drop();
}

stage('Demo result');
for (const [what, ok] of results) console.log(`${ok ? '✅' : '❌'} ${what}`);
if (results.some(([, ok]) => !ok)) process.exitCode = 1;
