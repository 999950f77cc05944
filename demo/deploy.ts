/**
 * The deploy demo, on the same harness as the tests: two instances of the demo app (blue and green, both v1)
 * behind a real nginx, and the fake GitHub API. It runs the real deploy action bundle twice:
 *   1. v2, blue-green: deployed to the idle green slot, checked there, traffic switched, checked publicly.
 *   2. v3, which starts (its slot answers) but is unhealthy once it takes traffic: the public health check
 *      fails after the switch and the action switches back to green by itself.
 * Then it prints both job summaries and the deployments and statuses the fake GitHub recorded. Throws when an
 * outcome is not the planned one (v2 live; v3 rolled back with v2 still served), so a wrapper can report it.
 * Wired into `npm run demo` by demo/run.ts; run alone with `node --import tsx demo/deploy.ts`.
 */
import { pathToFileURL } from 'node:url';
import { CMD, setup, TOKEN } from '../test/harness/deploy-env.js';
import { runAction, type ActionResult } from '../test/harness/run-action.js';

/** The commit the harness runs at (GITHUB_SHA), which the fake GitHub's checks, PR and deployments point at. */
const SHA = '0123456789abcdef0123456789abcdef01234567';

export async function demoDeploy(opts: { log: (s: string) => void }): Promise<void> {
  const { log } = opts;
  const e = await setup({ versions: { blue: 'v1', green: 'v1' }, broken: ['v3'] });
  try {
    log(`Demo app: blue ${e.slots.apps.blue!.url}, green ${e.slots.apps.green!.url} (both v1)`);
    log(`nginx on ${e.proxy.url}, all traffic on blue; fake GitHub API on ${e.fake.url}`);
    const runOther = (action: string, inputs: Record<string, string>): Promise<ActionResult> =>
      runAction(action, {
        token: TOKEN,
        timeoutMs: 90_000,
        inputs,
        env: {
          GITHUB_API_URL: e.fake.url,
          GITHUB_REPOSITORY: 'octo-org/app',
          ...e.proxy.env,
          ...e.slots.env,
        },
      });
    // What GitHub already knows: v1 live on blue, CI green on the commit, a reviewed PR, a protected environment.
    e.fake.seed.deployment({
      environment: 'production',
      sha: SHA,
      ref: SHA,
      payload: { version: 'v1', strategy: 'blue-green', provider: 'command', slot: 'blue' },
      statuses: ['success'],
    });
    e.fake.seed.checkRun({ head_sha: SHA, name: 'test' });
    const pr = e.fake.seed.pull({
      head: 'feature/checkout',
      head_sha: 'f'.repeat(40),
      merged: true,
      merge_commit_sha: SHA,
      user: 'alice',
      title: 'Faster checkout (CHG-1042)',
    });
    e.fake.seed.review({ pull_number: Number(pr.number), state: 'APPROVED', user: 'bob' });
    e.fake.seed.environment({ name: 'production', reviewers: ['bob'], prevent_self_review: true });
    const inputs = {
      strategy: 'blue-green',
      command: CMD.deploy,
      'switch-command': CMD.switch,
      // Each slot's own liveness URL, reached directly; the public health check goes through nginx.
      slots: `{ blue: "${e.slots.apps.blue!.url}/version", green: "${e.slots.apps.green!.url}/version" }`,
      'health-url': `${e.proxy.url}/health`,
      'environment-url': 'https://shop.example.com',
      timeout: '2s',
    };
    const served = async () => (await fetch(`${e.proxy.url}/version`)).text();

    const expected: Record<string, { status: string; serves: string }> = {
      v2: { status: 'success', serves: 'v2' },
      v3: { status: 'rolled-back', serves: 'v2' },
    };
    const surprises: string[] = [];

    log('\n━━ preflight-check: the checklist a reviewer reads before approving production ━━');
    const pre = await runOther('preflight-check', {
      environment: 'production',
      gates: 'ci,reviews,ticket,protection',
    });
    log(`exit code ${pre.exitCode}, passed ${pre.outputs.passed}, ticket ${pre.outputs.ticket}`);
    log(`\n── job summary ──\n${pre.summary}`);
    if (pre.outputs.passed !== 'true')
      surprises.push(`preflight-check: expected a pass, got ${pre.outputs.passed}`);

    for (const version of ['v2', 'v3']) {
      log(`\n━━ deploy ${version} (blue-green) ━━`);
      const r = await e.run({ ...inputs, version });
      const serves = await served();
      log(
        `exit code ${r.exitCode}, status ${r.outputs.status}, live slot ${r.outputs.slot}, ` +
          `nginx now serves ${serves}`,
      );
      if (r.outputs.status !== expected[version]!.status || serves !== expected[version]!.serves)
        surprises.push(
          `deploy ${version}: expected status ${expected[version]!.status} serving ${expected[version]!.serves}, ` +
            `got ${r.outputs.status ?? `exit ${r.exitCode}`} serving ${serves}`,
        );
      const error = r.annotations.filter((a) => a.level === 'error').at(-1);
      if (error) log(`step error:\n${error.message}`);
      log(`\n── job summary ──\n${r.summary}`);
    }

    log('━━ rollback: v2 turned out bad hours later; the on-call engineer runs the rollback workflow ━━');
    const rb = await runOther('rollback', {
      ...inputs,
      environment: 'production',
      reason: 'v2 leaks memory under real traffic',
    });
    const afterRollback = await served();
    log(
      `exit code ${rb.exitCode}, status ${rb.outputs.status}, ${rb.outputs['rolled-back-version']} → ${rb.outputs.version} ` +
        `on ${rb.outputs.slot}, incident ${rb.outputs['incident-url'] ?? '–'}; nginx now serves ${afterRollback}`,
    );
    log(`\n── job summary ──\n${rb.summary}`);
    if (rb.outputs.status !== 'success' || afterRollback !== 'v1')
      surprises.push(
        `rollback: expected success serving v1, got ${rb.outputs.status ?? `exit ${rb.exitCode}`} serving ${afterRollback}`,
      );

    log('━━ record-deployment: the record of the rolled-back v2 release, and the DORA metrics ━━');
    const v2 = e.fake.state.deployments.find((d) => (d.payload as Record<string, unknown>).version === 'v2');
    const rec = await runOther('record-deployment', {
      environment: 'production',
      'deployment-id': String(v2?.id ?? ''),
      notes: 'v2 rolled back after a memory leak; postmortem scheduled',
      'dora-window': '30d',
    });
    log(`exit code ${rec.exitCode}, record ${rec.outputs['record-id']}`);
    log(`\n── job summary ──\n${rec.summary}`);
    if (rec.exitCode !== 0 || !rec.outputs['record-id'])
      surprises.push(`record-deployment: expected a record, got exit ${rec.exitCode}`);

    log('━━ what GitHub shows (fake GitHub API: deployments and their statuses) ━━');
    for (const d of e.fake.state.deployments) {
      const p = d.payload as Record<string, unknown>;
      log(
        `deployment #${d.id} ${d.environment}: ${p.version} → slot ${p.slot} (was ${p.previousVersion ?? '–'} on ${p.previousSlot})`,
      );
      for (const s of e.fake.state.statuses.get(Number(d.id)) ?? [])
        log(
          `  ${String(s.state).padEnd(11)} ${s.description ?? ''}${s.environment_url ? `  [${s.environment_url}]` : ''}`,
        );
    }
    for (const issue of e.fake.state.issues)
      log(`issue #${issue.number}: ${issue.title} [${(issue.labels as string[]).join(', ')}]`);
    log(`GitHub API requests in total: ${e.fake.count()}`);
    if (surprises.length) throw new Error(`the deploy demo did not go as planned:\n${surprises.join('\n')}`);
  } finally {
    await e.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await demoDeploy({ log: (s) => console.log(s) });
