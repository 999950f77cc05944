/**
 * `npm run demo`: the runbook rehearsed locally, in the order the release workflow runs it (demo/pipeline.ts):
 * a staging release, the production plan page, a reviewer's approval, the production release with backup,
 * migrations and a blue-green deploy, the monitoring window catching a bad v3, the rollback job with its incident
 * issue, the deployment records and DORA table, then a table of what GitHub shows. Everything it starts or creates
 * is removed at the end. With DEMO_STATE_FILE set, the final GitHub state is also written there as JSON (the e2e
 * test reads it).
 */
import { writeFileSync } from 'node:fs';
import { stage } from './lib.js';
import { demoPipeline } from './pipeline.js';

try {
  const state = await demoPipeline({ log: (s) => console.log(s), stage });
  if (process.env.DEMO_STATE_FILE) writeFileSync(process.env.DEMO_STATE_FILE, JSON.stringify(state, null, 2));
  stage('Demo result');
  console.log(
    '✅ staging released v3; production approved by bob, v3 deployed, caught by the monitoring window,',
  );
  console.log('   rolled back to v2 with an incident issue, and recorded');
} catch (e) {
  stage('Demo result');
  console.error(`❌ ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
