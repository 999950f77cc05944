/** smoke-test run as the runner runs it (dist bundle, INPUT_* env, file commands) against real HTTP servers. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { everythingVisible, runAction, type ActionResult } from '../harness/run-action.js';
import { startHttpApp, type HttpApp } from '../harness/http-app.js';

interface Report {
  passed: boolean;
  failedCount: number;
  checks: {
    name: string;
    passed: boolean;
    attempts: number;
    status?: number;
    latencyMs?: number;
    reason: string;
    url: string;
  }[];
  command?: { passed: boolean; skipped: boolean; exitCode?: number; reason: string };
  monitor?: { passed: boolean; samples: number; failures: number; p95Ms?: number; reason: string };
}
const report = (r: ActionResult) => r.report as Report;

describe('smoke-test (process level)', () => {
  let app: HttpApp;
  before(async () => {
    app = await startHttpApp({ version: '2.3.1' });
  });
  after(() => app.close());

  it('passes when every check passes, and writes outputs, report and summary', async () => {
    const r = await runAction('smoke-test', {
      inputs: {
        environment: 'staging',
        checks: [
          `- name: health`,
          `  url: ${app.url}/health`,
          `  expect: { status: 200, json: { status: healthy, checks.db: ok }, max-latency: 2s }`,
          `- name: version`,
          `  url: ${app.url}/version`,
          `  expect: { status: 2xx, body-contains: "2.3.1" }`,
          `- name: echo post`,
          `  url: ${app.url}/echo`,
          `  method: post`,
          `  body: { ping: 1 }`,
          `  expect: { json: { method: POST, body: '{"ping":1}' } }`,
        ].join('\n'),
      },
    });
    assert.equal(r.exitCode, 0, r.log);
    assert.equal(r.outputs.passed, 'true');
    assert.equal(r.outputs['failed-count'], '0');
    assert.equal(r.outputs['error-rate'], '0');
    assert.match(r.outputs['p95-ms']!, /^\d+$/);
    const rep = report(r);
    assert.equal(rep.checks.length, 3);
    assert.deepEqual(
      rep.checks.map((c) => [c.name, c.passed, c.status, c.attempts]),
      [
        ['health', true, 200, 1],
        ['version', true, 200, 1],
        ['echo post', true, 200, 1],
      ],
    );
    assert.match(r.summary, /Smoke test passed on staging/);
    assert.match(r.summary, /\| Check \| Result \| Status \| Latency \| Attempts \| Reason \|/);
    assert.match(
      r.summary,
      /health<br><sub>GET http:\/\/127\.0\.0\.1:\d+\/health<\/sub> \| ✅ pass \| 200 \|/,
    );
  });

  it('retries a check that fails twice, then passes within the timeout', async () => {
    const r = await runAction('smoke-test', { inputs: { url: `${app.url}/flaky/a/2`, timeout: '20s' } });
    assert.equal(r.exitCode, 0, r.log);
    const c = report(r).checks[0]!;
    assert.equal(c.attempts, 3);
    assert.equal(c.passed, true);
    assert.match(r.log, /attempt 1 failed: expected status 2xx, got 503/);
    assert.equal(app.requests.filter((q) => q.path === '/flaky/a/2').length, 3);
  });

  it('fails a check that never passes, saying what it expected and what came back, outputs still written', async () => {
    const r = await runAction('smoke-test', {
      inputs: {
        checks: `- { name: api, url: "${app.url}/status/503", expect: { status: 200 } }`,
        timeout: '2s',
      },
    });
    assert.equal(r.exitCode, 1);
    assert.equal(r.outputs.passed, 'false');
    assert.equal(r.outputs['failed-count'], '1');
    const c = report(r).checks[0]!;
    assert.ok(c.attempts >= 2, `retried until the deadline (${c.attempts} attempts)`);
    assert.match(c.reason, /expected status 200, got 503 in \d+ ms, body `\{"status":503\}`/);
    const err = r.annotations.find((a) => a.level === 'error');
    assert.ok(err, 'the step failed with an error annotation');
    assert.match(err.message, /Smoke test failed: api/);
    assert.match(
      err.message,
      /api \(GET http:\/\/127\.0\.0\.1:\d+\/status\/503\): expected status 200, got 503/,
    );
    assert.match(r.summary, /❌ fail/);
  });

  it('fails on a wrong status class', async () => {
    const r = await runAction('smoke-test', {
      inputs: { checks: `- { url: "${app.url}/status/302", expect: { status: [2xx, 401] } }`, timeout: '1s' },
    });
    assert.equal(r.exitCode, 1);
    assert.match(report(r).checks[0]!.reason, /expected status 2xx or 401, got 302/);
  });

  it('fails on a JSON path mismatch, naming path, expected and got', async () => {
    app.set({ failing: false });
    const r = await runAction('smoke-test', {
      inputs: {
        checks: `- { url: "${app.url}/health", expect: { json: { version: "9.9.9" } } }`,
        timeout: '1s',
      },
    });
    assert.equal(r.exitCode, 1);
    assert.match(report(r).checks[0]!.reason, /expected JSON version = "9\.9\.9", got "2\.3\.1"/);
  });

  it('fails when latency is over max-latency', async () => {
    const r = await runAction('smoke-test', {
      inputs: { checks: `- { url: "${app.url}/slow/300", expect: { max-latency: 100ms } }`, timeout: '1s' },
    });
    assert.equal(r.exitCode, 1);
    assert.match(
      report(r).checks[0]!.reason,
      /expected a response within max-latency 100 ms, took \d{3,} ms/,
    );
  });

  it('runs the command after the checks; a failing command fails the step with its last output', async () => {
    const ok = await runAction('smoke-test', {
      inputs: { url: `${app.url}/health`, command: 'echo "all good" && test 1 -eq 1' },
    });
    assert.equal(ok.exitCode, 0, ok.log);
    assert.equal(report(ok).command?.passed, true);
    assert.match(ok.log, /all good/);

    const bad = await runAction('smoke-test', {
      inputs: { command: 'echo "cart flow: 2 failures" >&2; exit 3' },
    });
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.outputs['failed-count'], '1');
    assert.equal(report(bad).command?.exitCode, 3);
    assert.match(report(bad).command!.reason, /exited with code 3; last output: cart flow: 2 failures/);
  });

  it('fails a monitoring window on error rate', async () => {
    const r = await runAction('smoke-test', {
      inputs: {
        url: `${app.url}/every/3`,
        monitor: '1s',
        'monitor-interval': '100ms',
        'max-error-rate': '5%',
        timeout: '10s',
      },
    });
    assert.equal(r.exitCode, 1, r.log);
    const m = report(r).monitor!;
    assert.equal(m.passed, false);
    assert.ok(m.failures >= 1);
    assert.match(m.reason, /error rate [\d.]+% \(\d+ of \d+ requests failed\) is over max-error-rate 5%/);
    assert.notEqual(r.outputs['error-rate'], '0');
    assert.match(r.summary, /Monitoring window/);
  });

  it('fails a monitoring window on p95 latency, and passes one within limits', async () => {
    const slow = await runAction('smoke-test', {
      inputs: {
        url: `${app.url}/slow/150`,
        monitor: '600ms',
        'monitor-interval': '100ms',
        'max-p95': '50ms',
      },
    });
    assert.equal(slow.exitCode, 1, slow.log);
    assert.match(report(slow).monitor!.reason, /p95 latency \d+ ms is over max-p95 50 ms/);
    assert.ok(Number(slow.outputs['p95-ms']) >= 150);

    const fine = await runAction('smoke-test', {
      inputs: {
        url: `${app.url}/health`,
        monitor: '500ms',
        'monitor-interval': '100ms',
        'max-p95': '2s',
        'max-error-rate': '0%',
      },
    });
    assert.equal(fine.exitCode, 0, fine.log);
    assert.ok(report(fine).monitor!.samples >= 4);
  });

  it('never prints a secret header value or URL password', async () => {
    const token = 'sk_live_9f8e7d6c5b4a';
    const password = 'hunter2-pass';
    const url = `http://ops:${password}@127.0.0.1:${app.port}/status/500`;
    const r = await runAction('smoke-test', {
      inputs: {
        checks: [
          `- name: private api`,
          `  url: ${app.url}/echo`,
          `  headers: { Authorization: "Bearer ${token}", X-Api-Key: "${token}-2" }`,
          `  expect: { json: { nothing: here } }`,
          `- name: basic auth`,
          `  url: "${url}"`,
        ].join('\n'),
        timeout: '1s',
      },
    });
    assert.equal(r.exitCode, 1);
    // The server really got the header (the check used it)...
    assert.ok(app.requests.some((q) => q.headers.authorization === `Bearer ${token}`));
    // ...and nothing the action let out contains it (raw streams, not the runner's masked view).
    const visible = everythingVisible(r);
    assert.ok(!visible.includes(token), 'token leaked');
    assert.ok(!visible.includes(password), 'password leaked');
    assert.ok(
      r.masks.includes(`Bearer ${token}`) && r.masks.includes(password),
      'secrets registered with the runner',
    );
    assert.match(report(r).checks[1]!.url, /http:\/\/ops:\*\*\*@127\.0\.0\.1/);
  });

  it('stops promptly when the runner cancels the job (SIGINT), still writing outputs', async () => {
    const r = await runAction('smoke-test', {
      inputs: { url: `${app.url}/health`, monitor: '10m', 'monitor-interval': '200ms' },
      onSpawn: (child) => setTimeout(() => child.kill('SIGINT'), 1500),
      timeoutMs: 30_000,
    });
    assert.equal(r.exitCode, 1, r.log);
    assert.equal(r.outputs.passed, 'false');
    assert.match(report(r).monitor!.reason, /monitoring was cancelled/);
    assert.match(r.log, /Received SIGINT: the job is being cancelled/);
  });

  it('reads checks from the runbook file for the environment; inputs override it', async () => {
    const workspace = path.join(app.url.replace(/\W/g, '_'));
    const ws = path.resolve('/tmp', `smoke-runbook-${workspace}`);
    mkdirSync(path.join(ws, '.github'), { recursive: true });
    writeFileSync(
      path.join(ws, '.github/runbook.yml'),
      [
        'environments:',
        '  production:',
        `    url: ${app.url}`,
        '    smoke:',
        '      timeout: 5s',
        '      checks:',
        `        - { name: from-file, url: "${app.url}/health", expect: { json: { status: healthy } } }`,
      ].join('\n'),
    );
    const fromFile = await runAction('smoke-test', { workspace: ws, inputs: { environment: 'production' } });
    assert.equal(fromFile.exitCode, 0, fromFile.log);
    assert.deepEqual(
      report(fromFile).checks.map((c) => c.name),
      ['from-file'],
    );

    const overridden = await runAction('smoke-test', {
      workspace: ws,
      inputs: { environment: 'production', url: `${app.url}/version` },
    });
    assert.deepEqual(
      report(overridden).checks.map((c) => c.name),
      ['GET /version'],
    );
  });
});

describe('smoke-test bad input', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'unknown check field',
      { checks: '- { url: "http://127.0.0.1:9/x", expekt: { status: 200 } }' },
      /Input "checks" at \[0\]: Unrecognized key: "expekt"/,
    ],
    [
      'bad duration',
      { url: 'http://127.0.0.1:9/', timeout: '5 minutes' },
      /Input "timeout": expected a duration such as 90s, 5m, 1h30m or 500ms, got "5 minutes"/,
    ],
    [
      'concurrency 0',
      { url: 'http://127.0.0.1:9/', concurrency: '0' },
      /Input "concurrency": expected a whole number from 1 to 100, got "0"/,
    ],
    ['malformed YAML', { checks: '- url: [unclosed' }, /Input "checks": is not valid YAML/],
    [
      'status not a code',
      { checks: '- { url: "http://127.0.0.1:9/", expect: { status: "ok" } }' },
      /Input "checks" at \[0\]\.expect\.status/,
    ],
    [
      'not a URL',
      { url: 'localhost:3000/health' },
      /Input "url": expected an http or https URL|Input "url": expected an absolute http\(s\) URL/,
    ],
    [
      'bad percentage',
      { url: 'http://127.0.0.1:9/', 'max-error-rate': '0.01' },
      /Input "max-error-rate": expected a percentage such as 1% or 0\.5%, got "0\.01"/,
    ],
    ['nothing to check', {}, /Nothing to check: give the input "url", "checks" or "command"/],
    [
      'missing runbook file',
      { url: 'http://127.0.0.1:9/', runbook: 'ops/nope.yml' },
      /Input "runbook": no file at ops\/nope\.yml/,
    ],
  ];
  for (const [name, inputs, message] of cases) {
    it(`${name}: names the input and changes nothing`, async () => {
      const app = await startHttpApp();
      try {
        const r = await runAction('smoke-test', { inputs });
        assert.equal(r.exitCode, 1);
        const err = r.annotations.find((a) => a.level === 'error');
        assert.ok(err, r.log);
        assert.match(err.message, /^Invalid configuration for smoke-test:/);
        assert.match(err.message, message);
        assert.deepEqual(r.outputs, {}, 'no outputs on bad input');
        assert.equal(r.summary, '', 'no summary on bad input');
        assert.equal(app.requests.length, 0);
      } finally {
        await app.close();
      }
    });
  }
});
