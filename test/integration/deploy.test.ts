/**
 * deploy run as the runner runs it (dist bundle, INPUT_* env, file commands, post step) against real
 * processes: two app slots behind nginx, the fake GitHub API, the commands driving both for real.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { everythingVisible } from '../harness/run-action.js';
import { startLoad } from '../harness/load.js';
import { APP_CTL } from '../harness/slots.js';
import {
  CMD,
  errorOf,
  POST_DEPLOYMENT,
  POST_STATUS,
  report,
  setup,
  TOKEN,
  waitFor,
  type Env,
} from '../harness/deploy-env.js';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const blueGreen = (e: Env, extra: Record<string, string> = {}) => ({
  strategy: 'blue-green',
  command: CMD.deploy,
  'switch-command': CMD.switch,
  slots: `{ blue: "${e.slots.health.blue}", green: "${e.slots.health.green}" }`,
  'health-url': `${e.proxy.url}/health`,
  'environment-url': 'https://shop.example.com',
  timeout: '3s',
  ...extra,
});

describe('deploy blue-green', () => {
  it('deploys to the idle slot, switches the proxy, records the deployment; the next one goes to the other slot', async () => {
    env = await setup();
    const e = env;
    const first = await e.run({ ...blueGreen(e), version: 'v2' });
    assert.equal(first.exitCode, 0, first.log);
    assert.equal(first.outputs.status, 'success');
    assert.equal(first.outputs.slot, 'green');
    assert.equal(first.outputs.version, 'v2');
    assert.equal(first.outputs['previous-version'], '');
    assert.deepEqual(e.proxy.weights(), { blue: 0, green: 100 });
    assert.equal(e.slots.version('green'), 'v2');
    assert.equal(e.slots.version('blue'), 'v1', 'the old slot keeps running for switch-back');
    assert.equal(await (await fetch(`${e.proxy.url}/version`)).text(), 'v2');

    const [d1] = e.deployments();
    assert.ok(d1);
    assert.equal(first.outputs['deployment-id'], String(d1.id));
    assert.deepEqual(d1.states, ['in_progress', 'success']);
    assert.equal(d1.payload.version, 'v2');
    assert.equal(d1.payload.slot, 'green');
    assert.equal(d1.payload.previousSlot, 'blue');
    assert.equal(d1.payload.strategy, 'blue-green');
    const ok = e.statuses(d1.id).at(-1)!;
    assert.equal(ok.environment_url, 'https://shop.example.com');
    assert.equal(ok.log_url, 'https://github.com/octo-org/app/actions/runs/4242/attempts/1');
    assert.match(String(ok.description), /v2 is live on green \(blue-green/);
    // No earlier deployment: 1 list, create, 2 statuses.
    assert.equal(e.fake.count(), 4);

    const before = e.fake.count();
    const second = await e.run({ ...blueGreen(e), version: 'v3' });
    assert.equal(second.exitCode, 0, second.log);
    assert.equal(second.outputs.slot, 'blue');
    assert.equal(second.outputs['previous-version'], 'v2');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    assert.equal(e.slots.version('blue'), 'v3');
    // list, the newest deployment's status, create, in_progress, success
    assert.equal(e.fake.count() - before, 5);
    assert.ok(e.fake.count() - before <= 6, 'GitHub API budget per deploy');
    assert.equal(e.fake.count(POST_DEPLOYMENT), 2);
    const [old, d2] = e.deployments();
    assert.deepEqual(
      old!.states,
      ['in_progress', 'success', 'inactive'],
      'GitHub marks the replaced one inactive',
    );
    assert.deepEqual(d2!.states, ['in_progress', 'success']);
    assert.equal(d2!.payload.previousVersion, 'v2');
    assert.deepEqual(e.fake.violations, [], 'every fake response matched the OpenAPI schema');

    assert.match(second.summary, /v3 deployed to production \(blue live\), blue-green/);
    assert.match(second.summary, /\| Phase \| At \| Took \| Result \| Detail \|/);
    for (const p of [
      'find live version',
      'create deployment',
      'deploy to blue',
      'health of blue',
      'switch to blue',
      'public health',
    ])
      assert.match(second.summary, new RegExp(`\\| ${p} \\| \\+`), p);
    const rep = report(second);
    assert.deepEqual(
      rep.phases.map((p) => p.outcome),
      rep.phases.map(() => 'ok'),
    );
    assert.ok(!everythingVisible(second).includes(TOKEN), 'token never shown');
    assert.ok(second.masks.includes(TOKEN), 'token masked');
    // The post step has nothing to do (the main step closed the deployment) and makes no API call.
    const calls = e.fake.count();
    const post = await e.run({ ...blueGreen(e), version: 'v3' }, { phase: 'post', state: second.state });
    assert.equal(post.exitCode, 0, post.log);
    assert.match(post.log, /closed by the deploy step \(success\)/);
    assert.equal(e.fake.count(), calls);
  });

  it('idle slot never healthy: traffic never moves, nothing to undo, deployment failure', async () => {
    env = await setup({ broken: ['v3'] });
    const e = env;
    const r = await e.run({ ...blueGreen(e), version: 'v3', timeout: '1s' });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'failure');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    assert.equal(e.slots.history.length, 1, 'only the deploy to green ran');
    const rep = report(r);
    assert.equal(rep.failure?.phase, 'health of green');
    assert.match(
      rep.failure!.reason,
      /the green slot did not pass within timeout 1s: green slot \(GET http:\/\/127\.0\.0\.1:\d+\/health\): expected status 2xx, got 503/,
    );
    assert.equal(rep.rollback?.needed, false);
    assert.match(errorOf(r), /Traffic never moved; blue \(previous version\) is still live/);
    const [d] = e.deployments();
    assert.deepEqual(d!.states, ['in_progress', 'failure']);
    assert.match(
      String(e.statuses(d!.id).at(-1)!.description),
      /health of green failed; traffic never moved, blue still live/,
    );
    assert.ok(!e.slots.history.some((h) => h.op === 'rollback'));
  });

  it('deploy command fails: nothing moved, failure with the command output', async () => {
    env = await setup();
    const e = env;
    const r = await e.run({
      ...blueGreen(e),
      version: 'v2',
      command: 'echo "registry: manifest unknown" >&2; exit 4',
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'failure');
    assert.match(
      report(r).failure!.reason,
      /command `echo .*` exited with code 4; last output:\nregistry: manifest unknown/,
    );
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    assert.deepEqual(e.deployments()[0]!.states, ['in_progress', 'failure']);
  });

  it('public URL fails after the switch: switches back with zero failed requests under load', async () => {
    // v3 is up (its slot answers /version) but unhealthy (/health 503) once it takes real traffic.
    env = await setup({ broken: ['v3'] });
    const e = env;
    const load = startLoad({
      url: `${e.proxy.url}/version`,
      concurrency: 4,
      maxRequests: 20_000,
      maxMs: 60_000,
    });
    const r = await e.run({
      ...blueGreen(e),
      version: 'v3',
      slots: `{ blue: "${e.slots.apps.blue!.url}/version", green: "${e.slots.apps.green!.url}/version" }`,
      timeout: '1s',
    });
    const l = await load.stop();
    assert.equal(r.exitCode, 1, r.log);
    assert.equal(r.outputs.status, 'rolled-back');
    assert.equal(r.outputs.slot, 'blue');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    const rep = report(r);
    assert.equal(rep.failure?.phase, 'public health');
    assert.deepEqual(rep.rollback, {
      needed: true,
      attempted: true,
      ok: true,
      description: 'switched traffic back to blue',
    });
    assert.match(errorOf(r), /Rolled back: switched traffic back to blue\./);
    const [d] = e.deployments();
    assert.deepEqual(d!.states, ['in_progress', 'failure']);
    assert.match(
      String(e.statuses(d!.id).at(-1)!.description),
      /public health failed; rolled back: switched traffic back to blue/,
    );
    assert.match(r.summary, /v3 rolled back on production: public health failed \(blue live\)/);
    assert.match(r.summary, /\| rollback \| \+[^|]+\|[^|]+\| ✅ ok \| switched traffic back to blue \|/);
    // Zero downtime: every request through the proxy answered 2xx, before, during and after both switches.
    assert.ok(l.total > 50, `the load ran (${l.total} requests)`);
    assert.equal(l.failed, 0, `failed requests: ${l.failures.slice(0, 5).join('; ')}`);
    const versions = new Set(l.samples.map((s) => s.body));
    assert.ok(versions.has('v3'), 'traffic really reached v3 after the switch');
    assert.equal(l.samples.at(-1)!.body, 'v1', 'and is back on v1');
  });

  it('zero failed requests through the proxy during a successful deploy', async () => {
    env = await setup();
    const e = env;
    const load = startLoad({
      url: `${e.proxy.url}/version`,
      concurrency: 4,
      maxRequests: 20_000,
      maxMs: 60_000,
    });
    const r = await e.run({ ...blueGreen(e), version: 'v2' });
    await new Promise((res) => setTimeout(res, 200));
    const l = await load.stop();
    assert.equal(r.exitCode, 0, r.log);
    assert.ok(l.total > 50, `the load ran (${l.total} requests)`);
    assert.equal(l.failed, 0, `failed requests: ${l.failures.slice(0, 5).join('; ')}`);
    assert.equal(l.samples[0]!.body, 'v1');
    assert.equal(l.samples.at(-1)!.body, 'v2');
    // Once the first v2 answer came back, no v1 answer started after it (a clean cut-over, not flapping).
    const firstV2 = l.samples.findIndex((s) => s.body === 'v2');
    const lateV1 = l.samples.slice(firstV2).filter((s) => s.body === 'v1').length;
    assert.ok(lateV1 <= 8, `at most the in-flight requests of the old workers finish on v1 (${lateV1})`);
  });

  it('the switch-back itself fails: deployment error, and a message that says the environment needs a human', async () => {
    env = await setup({ broken: ['v3'] });
    const e = env;
    const r = await e.run({
      ...blueGreen(e),
      version: 'v3',
      slots: `{ blue: "${e.slots.apps.blue!.url}/version", green: "${e.slots.apps.green!.url}/version" }`,
      'switch-command': `if [ "$DEPLOY_SLOT" = blue ]; then echo "lb api: 503 Service Unavailable" >&2; exit 1; fi; ${CMD.switch}`,
      timeout: '1s',
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'failure');
    assert.deepEqual(e.proxy.weights(), { blue: 0, green: 100 }, 'left where it was');
    const rep = report(r);
    assert.equal(rep.rollback?.ok, false);
    assert.match(
      rep.rollback!.reason!,
      /switch-command `.*` exited with code 1; last output:\nlb api: 503 Service Unavailable/,
    );
    const msg = errorOf(r);
    assert.match(
      msg,
      /ENVIRONMENT production NEEDS A HUMAN: public health failed after traffic had moved to v3, and the rollback failed/,
    );
    assert.match(msg, /State: traffic may be on green running v3; blue still runs the previous version\./);
    assert.match(msg, /To go back, run the switch-command `.*` with DEPLOY_SLOT=blue\./);
    const [d] = e.deployments();
    assert.deepEqual(d!.states, ['in_progress', 'error']);
    assert.match(String(e.statuses(d!.id).at(-1)!.description), /ROLLBACK FAILED; environment needs a human/);
    assert.match(r.summary, /NOT undone — needs a human/);
  });

  it('reads the live slot from the last successful deployment, found on a later page', async () => {
    env = await setup({ live: 'green', versions: { blue: 'v4', green: 'v5' } });
    const e = env;
    e.fake.seed.deployment({
      owner: 'octo-org',
      repo: 'app',
      environment: 'production',
      payload: { version: 'v5', slot: 'green', strategy: 'blue-green' },
      statuses: ['in_progress', 'success'],
    });
    for (let i = 0; i < 32; i++)
      e.fake.seed.deployment({
        owner: 'octo-org',
        repo: 'app',
        environment: 'production',
        payload: { version: `bad-${i}`, slot: 'blue' },
        statuses: ['in_progress', 'failure'],
      });
    const r = await e.run({ ...blueGreen(e), version: 'v6' });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs['previous-version'], 'v5');
    assert.equal(r.outputs.slot, 'blue');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    assert.equal(e.fake.count('GET /repos/{owner}/{repo}/deployments'), 2, 'two pages of deployments');
  });
});

describe('deploy rolling', () => {
  const rolling = (e: Env, extra: Record<string, string> = {}) => ({
    strategy: 'rolling',
    command: CMD.deployAll,
    'rollback-command': CMD.rollbackAll,
    'health-url': `${e.proxy.url}/health`,
    timeout: '1s',
    ...extra,
  });
  const seedPrevious = (e: Env, version: string) =>
    e.fake.seed.deployment({
      owner: 'octo-org',
      repo: 'app',
      environment: 'production',
      payload: { version, strategy: 'rolling' },
      statuses: ['success'],
    });

  it('runs the command, waits for health, records success', async () => {
    env = await setup();
    const e = env;
    seedPrevious(e, 'v1');
    const r = await e.run({ ...rolling(e), version: 'v2' });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs['previous-version'], 'v1');
    assert.equal(e.slots.version('blue'), 'v2');
    assert.match(
      r.log,
      /DEPLOY_VERSION=v2 DEPLOY_PREVIOUS_VERSION=v1 DEPLOY_ENVIRONMENT=production DEPLOY_OPERATION=deploy/,
    );
    assert.deepEqual(e.deployments().at(-1)!.states, ['in_progress', 'success']);
  });

  it('health fails: runs the rollback command with the previous version', async () => {
    env = await setup({ broken: ['v3'] });
    const e = env;
    seedPrevious(e, 'v2');
    const r = await e.run({ ...rolling(e), version: 'v3' });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'rolled-back');
    assert.deepEqual(
      e.slots.history.map((h) => `${h.op} ${h.slot} ${h.version}`),
      ['deploy blue v3', 'deploy green v3', 'rollback blue v2', 'rollback green v2'],
    );
    assert.match(errorOf(r), /Rolled back: ran rollback-command `.*` to put v2 back\. v2 is serving\./);
    assert.deepEqual(e.deployments().at(-1)!.states, ['in_progress', 'failure']);
  });

  it('rollback command fails: error, needs a human, says what to run', async () => {
    env = await setup({ broken: ['v3'] });
    const e = env;
    seedPrevious(e, 'v2');
    const r = await e.run({
      ...rolling(e),
      version: 'v3',
      'rollback-command': 'echo "kubectl: connection refused" >&2; exit 1',
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'failure');
    const msg = errorOf(r);
    assert.match(
      msg,
      /ENVIRONMENT production NEEDS A HUMAN: health failed after traffic had moved to v3, and the rollback failed: rollback-command .* exited with code 1; last output:\nkubectl: connection refused/,
    );
    assert.match(msg, /To go back, run rollback-command `.*` with DEPLOY_PREVIOUS_VERSION=v2\./);
    assert.deepEqual(e.deployments().at(-1)!.states, ['in_progress', 'error']);
  });

  it('deploy command fails mid-way: rolled back (a rolling deploy may have replaced some instances)', async () => {
    env = await setup();
    const e = env;
    seedPrevious(e, 'v1');
    const r = await e.run({
      ...rolling(e),
      version: 'v2',
      // Replaces blue, then dies before green: half the instances run v2.
      command: `node ${APP_CTL} deploy blue "$DEPLOY_VERSION"; echo "green: image pull failed" >&2; exit 7`,
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'rolled-back');
    assert.deepEqual(
      e.slots.history.map((h) => `${h.op} ${h.slot} ${h.version}`),
      ['deploy blue v2', 'rollback blue v1', 'rollback green v1'],
    );
    assert.match(report(r).failure!.reason, /exited with code 7; last output:\n.*\ngreen: image pull failed/);
  });
});

describe('deploy canary', () => {
  const canary = (e: Env, extra: Record<string, string> = {}) => ({
    strategy: 'canary',
    command: CMD.deploy,
    'weight-command': CMD.weight,
    slots: `{ blue: "${e.slots.apps.blue!.url}/version", green: "${e.slots.apps.green!.url}/version" }`,
    'health-url': `${e.proxy.url}/health`,
    'canary-steps': '20,50,100',
    'step-duration': '1s',
    'monitor-interval': '100ms',
    'max-error-rate': '1%',
    timeout: '2s',
    ...extra,
  });

  it('steps the weight through the proxy, monitoring between steps, and promotes', async () => {
    env = await setup();
    const e = env;
    const load = startLoad({
      url: `${e.proxy.url}/version`,
      concurrency: 2,
      maxRequests: 20_000,
      maxMs: 60_000,
    });
    const r = await e.run({ ...canary(e), version: 'v2' });
    const l = await load.stop();
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs.status, 'success');
    assert.equal(r.outputs.slot, 'green');
    assert.deepEqual(e.proxy.weights(), { green: 100, blue: 0 });
    const steps = [...r.log.matchAll(/proxy: (\w+ \d+%), (\w+ \d+%)/g)].map((m) => `${m[1]}, ${m[2]}`);
    assert.deepEqual(steps, ['green 20%, blue 80%', 'green 50%, blue 50%', 'green 100%, blue 0%']);
    const rep = report(r);
    assert.deepEqual(
      rep.phases.map((p) => p.name).filter((n) => /weight|monitor/.test(n)),
      ['weight 20%', 'monitor 20%', 'weight 50%', 'monitor 50%', 'weight 100%', 'monitor 100%'],
    );
    assert.equal(l.failed, 0);
    // The proxy really split the traffic: v2 answers appeared before the last step.
    assert.ok(l.samples.some((s) => s.body === 'v2') && l.samples.some((s) => s.body === 'v1'));
    assert.deepEqual(e.deployments()[0]!.states, ['in_progress', 'success']);
  });

  it('a step breaching max-error-rate aborts and sets the weight back to 0', async () => {
    env = await setup({ broken: ['v3'] });
    const e = env;
    const r = await e.run({ ...canary(e), version: 'v3', 'step-duration': '2s' });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.status, 'rolled-back');
    assert.deepEqual(e.proxy.weights(), { green: 0, blue: 100 });
    const rep = report(r);
    assert.equal(rep.failure?.phase, 'monitor 20%');
    assert.match(
      rep.failure!.reason,
      /step 20%: error rate [\d.]+% \(\d+ of \d+ requests failed\) is over max-error-rate 1%/,
    );
    assert.match(errorOf(r), /Rolled back: set the canary weight back to 0 \(all traffic on blue\)\./);
    assert.deepEqual(e.deployments()[0]!.states, ['in_progress', 'failure']);
  });
});

describe('deploy cancellation and the post step', () => {
  it('SIGINT after the switch: switches back, marks the deployment error, exits non-zero', async () => {
    env = await setup({ broken: ['v3'] });
    const e = env;
    const r = await e.run(
      {
        ...blueGreen(e),
        version: 'v3',
        slots: `{ blue: "${e.slots.apps.blue!.url}/version", green: "${e.slots.apps.green!.url}/version" }`,
        timeout: '60s',
      },
      {
        onSpawn: (child) => {
          // Cancel once traffic is on green and the public checks are being retried.
          let out = '';
          child.stdout?.on('data', (c: Buffer) => (out += String(c)));
          void waitFor('the public checks to be retried', () =>
            /attempt 1 failed/.test(out.split('▶ public health')[1] ?? ''),
          ).then(() => child.kill('SIGINT'));
        },
      },
    );
    assert.equal(r.exitCode, 1, r.log);
    assert.match(r.log, /Received SIGINT: the job is being cancelled/);
    assert.equal(r.outputs.status, 'rolled-back');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    const rep = report(r);
    assert.equal(rep.cancelled, true);
    assert.equal(rep.failure?.phase, 'public health');
    assert.equal(rep.phases.find((p) => p.name === 'public health')?.outcome, 'cancelled');
    assert.equal(rep.phases.at(-1)?.name, 'rollback');
    assert.equal(rep.phases.at(-1)?.outcome, 'ok');
    const [d] = e.deployments();
    assert.deepEqual(d!.states, ['in_progress', 'error']);
    assert.match(
      String(e.statuses(d!.id).at(-1)!.description),
      /cancelled during public health; rolled back: switched traffic back to blue/,
    );
    assert.match(errorOf(r), /was cancelled during "public health"/);
  });

  it('SIGINT then SIGTERM (as the runner escalates) while the switch-back runs: the switch-back still completes', async () => {
    env = await setup({ broken: ['v3'] });
    const e = env;
    const r = await e.run(
      {
        ...blueGreen(e),
        version: 'v3',
        slots: `{ blue: "${e.slots.apps.blue!.url}/version", green: "${e.slots.apps.green!.url}/version" }`,
        // A slow load balancer API on the way back.
        'switch-command': `if [ "$DEPLOY_SLOT" = blue ]; then sleep 1; fi; ${CMD.switch}`,
        timeout: '60s',
      },
      {
        onSpawn: (child) => {
          let out = '';
          child.stdout?.on('data', (c: Buffer) => (out += String(c)));
          void waitFor('the public checks to be retried', () =>
            /attempt 1 failed/.test(out.split('▶ public health')[1] ?? ''),
          )
            .then(() => child.kill('SIGINT'))
            .then(() => waitFor('the switch-back to start', () => out.includes('▶ rollback')))
            .then(() => child.kill('SIGTERM'));
        },
      },
    );
    assert.equal(r.exitCode, 1, r.log);
    assert.equal(r.outputs.status, 'rolled-back');
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
    assert.deepEqual(e.deployments()[0]!.states, ['in_progress', 'error']);
  });

  it('SIGINT during the deploy command stops it (process group) and marks the deployment error', async () => {
    env = await setup();
    const e = env;
    const r = await e.run(
      { ...blueGreen(e), version: 'v2', command: 'echo "pulling image"; sleep 60; echo never' },
      {
        onSpawn: (child) => {
          void waitFor(
            'the deployment to be in progress',
            () => e.deployments()[0]?.states.includes('in_progress') ?? false,
          )
            .then(() => new Promise((res) => setTimeout(res, 300)))
            .then(() => child.kill('SIGINT'));
        },
        timeoutMs: 30_000,
      },
    );
    assert.equal(r.exitCode, 1, r.log);
    assert.equal(r.signal, null, 'exited by itself, not killed by the harness');
    assert.doesNotMatch(r.log, /^\s+never$/m, 'the command was stopped before it finished');
    assert.match(report(r).failure!.reason, /was stopped because the job was cancelled/);
    assert.deepEqual(e.deployments()[0]!.states, ['in_progress', 'error']);
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
  });

  it('the post step marks a deployment left in_progress as error (the main step never finished)', async () => {
    env = await setup();
    const e = env;
    const d = e.fake.seed.deployment({
      owner: 'octo-org',
      repo: 'app',
      environment: 'production',
      payload: { version: 'v9' },
      statuses: ['in_progress'],
    });
    const r = await e.run({ version: 'v9' }, { phase: 'post', state: { 'deployment-id': String(d.id) } });
    assert.equal(r.exitCode, 0, r.log);
    assert.match(r.log, /was still in_progress after the job ended/);
    assert.deepEqual(e.deployments()[0]!.states, ['in_progress', 'error']);
    assert.equal(e.fake.count(), 2, 'read the status, set it');
  });
});

describe('deploy and the GitHub API', () => {
  it('refuses to start while another deployment of the environment is in progress, unless force', async () => {
    env = await setup();
    const e = env;
    e.fake.seed.deployment({
      owner: 'octo-org',
      repo: 'app',
      environment: 'production',
      payload: { version: 'v7' },
      statuses: ['in_progress'],
    });
    const r = await e.run({ ...blueGreen(e), version: 'v2' });
    assert.equal(r.exitCode, 1);
    assert.match(
      errorOf(r),
      /Another deployment of production is still in progress: #\d+ \(v7, in_progress, created .*\)\.\nNothing was changed\./,
    );
    assert.equal(e.fake.count(POST_DEPLOYMENT), 0);
    assert.equal(e.slots.history.length, 0);
    const forced = await e.run({ ...blueGreen(e), version: 'v2', force: 'true' });
    assert.equal(forced.exitCode, 0, forced.log);
    assert.match(forced.log, /force: true — deploying although #\d+/);
  });

  it('retries a 502 and a 429 with retry-after, and still makes the deploy', async () => {
    env = await setup();
    const e = env;
    e.fake.failNext({ status: 502, match: POST_DEPLOYMENT });
    e.fake.failNext({ status: 429, retryAfter: 0.2, match: POST_STATUS });
    const r = await e.run({ ...blueGreen(e), version: 'v2' });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(e.fake.count(POST_DEPLOYMENT), 2);
    assert.equal(e.fake.count(POST_STATUS), 3);
    assert.deepEqual(e.deployments()[0]!.states, ['in_progress', 'success']);
  });

  it('a 403 on creating the deployment names the missing permission; nothing is changed', async () => {
    env = await setup();
    const e = env;
    e.fake.failNext({
      status: 403,
      match: POST_DEPLOYMENT,
      message: 'Resource not accessible by integration',
    });
    const r = await e.run({ ...blueGreen(e), version: 'v2' });
    assert.equal(r.exitCode, 1);
    assert.match(errorOf(r), /`permissions: deployments: write`/);
    assert.match(errorOf(r), /Nothing was changed/);
    assert.equal(e.slots.history.length, 0);
    assert.deepEqual(e.proxy.weights(), { blue: 100, green: 0 });
  });
});

describe('deploy required contexts', () => {
  it('GitHub refuses the deployment while a required status check fails: says which, changes nothing', async () => {
    env = await setup();
    const e = env;
    e.fake.seed.commitStatus({
      owner: 'octo-org',
      repo: 'app',
      sha: '0123456789abcdef0123456789abcdef01234567',
      context: 'ci/build',
      state: 'failure',
    });
    const r = await e.run({ ...blueGreen(e), version: 'v2', 'required-contexts': 'ci/build' });
    assert.equal(r.exitCode, 1);
    assert.match(errorOf(r), /conflict \(409\).*Failing contexts: ci\/build \(failure\)/s);
    assert.match(errorOf(r), /Nothing was changed/);
    assert.equal(e.slots.history.length, 0);
    assert.deepEqual(e.deployments(), []);
  });
});

describe('deploy runbook file', () => {
  it('takes strategy, commands, slots and health from the environment deploy section', async () => {
    env = await setup();
    const e = env;
    const ws = path.join(e.proxy.dir, 'ws');
    mkdirSync(path.join(ws, '.github'), { recursive: true });
    writeFileSync(
      path.join(ws, '.github/runbook.yml'),
      [
        'environments:',
        '  production:',
        '    url: https://shop.example.com',
        '    smoke:',
        '      checks:',
        `        - { name: storefront, url: "${e.proxy.url}/health", expect: { json: { status: healthy } } }`,
        '    deploy:',
        '      strategy: blue-green',
        `      command: ${JSON.stringify(CMD.deploy)}`,
        `      switch-command: ${JSON.stringify(CMD.switch)}`,
        '      slots:',
        `        blue: ${e.slots.health.blue}`,
        `        green: ${e.slots.health.green}`,
        '      timeout: 5s',
      ].join('\n'),
    );
    const r = await e.run({ version: 'v2' }, { workspace: ws });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs.slot, 'green');
    assert.match(r.log, /storefront: 200/);
    assert.equal(e.statuses(e.deployments()[0]!.id).at(-1)!.environment_url, 'https://shop.example.com');
  });
});

describe('deploy bad input', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'unknown strategy',
      { strategy: 'big-bang', version: 'v2', command: 'true' },
      /Input "strategy": expected one of rolling, blue-green, canary, got "big-bang"/,
    ],
    [
      'canary steps not increasing',
      {
        strategy: 'canary',
        version: 'v2',
        command: 'true',
        'weight-command': 'true',
        'health-url': 'http://127.0.0.1:9/',
        'canary-steps': '5,50,25,100',
      },
      /Input "canary-steps": steps must increase, got 5,50,25,100 \(25 after 50\)/,
    ],
    [
      'canary steps not ending at 100',
      {
        strategy: 'canary',
        version: 'v2',
        command: 'true',
        'weight-command': 'true',
        'health-url': 'http://127.0.0.1:9/',
        'canary-steps': '5,25,50',
      },
      /Input "canary-steps": the last step must be 100/,
    ],
    [
      'blue-green without switch-command',
      {
        strategy: 'blue-green',
        version: 'v2',
        command: 'true',
        slots: '{a: "http://127.0.0.1:9/", b: "http://127.0.0.1:9/"}',
      },
      /Input "switch-command" is required: blue-green moves traffic with it/,
    ],
    [
      'missing version',
      { strategy: 'rolling', command: 'true', 'health-url': 'http://127.0.0.1:9/' },
      /Input "version" is required/,
    ],
    [
      'three slots',
      {
        strategy: 'blue-green',
        version: 'v2',
        command: 'true',
        'switch-command': 'true',
        slots: '{a: "http://127.0.0.1:9/", b: "http://127.0.0.1:9/", c: "http://127.0.0.1:9/"}',
      },
      /Input "slots": expected exactly two slots/,
    ],
    [
      'bad duration',
      { version: 'v2', command: 'true', 'health-url': 'http://127.0.0.1:9/', timeout: 'soon' },
      /Input "timeout": expected a duration/,
    ],
  ];
  for (const [name, inputs, message] of cases) {
    it(`${name}: names the input and changes nothing`, async () => {
      env = await setup();
      const r = await env.run(inputs);
      assert.equal(r.exitCode, 1);
      const err = errorOf(r);
      assert.match(err, /^Invalid configuration for deploy:/);
      assert.match(err, message);
      assert.deepEqual(r.outputs, {}, 'no outputs on bad input');
      assert.equal(env.fake.count(), 0, 'no GitHub call');
      assert.equal(env.slots.history.length, 0);
    });
  }
});
