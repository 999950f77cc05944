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
import { CMD, setup } from '../test/harness/deploy-env.js';

export async function demoDeploy(opts: { log: (s: string) => void }): Promise<void> {
  const { log } = opts;
  const e = await setup({ versions: { blue: 'v1', green: 'v1' }, broken: ['v3'] });
  try {
    log(`Demo app: blue ${e.slots.apps.blue!.url}, green ${e.slots.apps.green!.url} (both v1)`);
    log(`nginx on ${e.proxy.url}, all traffic on blue; fake GitHub API on ${e.fake.url}`);
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
    log(`GitHub API requests in total: ${e.fake.count()}`);
    if (surprises.length) throw new Error(`the deploy demo did not go as planned:\n${surprises.join('\n')}`);
  } finally {
    await e.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await demoDeploy({ log: (s) => console.log(s) });
