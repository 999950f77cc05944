/**
 * `npm run demo`: the runbook rehearsed locally. Starts a demo app, then runs each action's committed bundle
 * exactly as the GitHub runner would (test/harness/run-action.ts), printing the job summaries a reviewer sees.
 */
import { startHttpApp } from '../test/harness/http-app.js';
import { runAction } from '../test/harness/run-action.js';
import { showResult, stage } from './lib.js';

async function demoSmokeTest(): Promise<boolean> {
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

    stage('smoke-test: the same checks when the release is broken (what the on-call engineer sees)');
    app.set({ failing: true, version: '2.0.1' });
    const bad = await runAction('smoke-test', { inputs: { environment: 'demo', checks, timeout: '3s' } });
    showResult('smoke-test', bad);
    return ok.exitCode === 0 && bad.exitCode === 1;
  } finally {
    await app.close();
  }
}

const results: [string, boolean][] = [];
results.push(['smoke-test passes a healthy release and fails a broken one', await demoSmokeTest()]);

stage('Demo result');
for (const [what, ok] of results) console.log(`${ok ? '✅' : '❌'} ${what}`);
if (results.some(([, ok]) => !ok)) process.exitCode = 1;
