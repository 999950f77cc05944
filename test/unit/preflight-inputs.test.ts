/** preflight-check's inputs: which gates run, defaults, the runbook's preflight section under the inputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import { parseRunbook, type LoadedRunbook } from '../../src/core/runbook.js';
import { getInputs, resolveConfig } from '../../src/preflight-check/inputs.js';
import { rawInputs } from '../harness/preflight.js';

const SHA = 'a'.repeat(40);
const rc = { workspace: '/ws', sha: SHA, ref: 'refs/heads/main' };
const resolve = (given: Record<string, string>, runbook?: LoadedRunbook) =>
  resolveConfig(getInputs(rawInputs({ environment: 'production', ...given })), runbook, rc);
const loaded = (yaml: string, environment = 'production'): LoadedRunbook => {
  const runbook = parseRunbook(yaml, '.github/runbook.yml');
  return { file: '.github/runbook.yml', runbook, environment: runbook.environments[environment] };
};

describe('preflight inputs', () => {
  it('runs ci, reviews, security and protection by default; protection is strict for prod* only', () => {
    const c = resolve({});
    assert.deepEqual(c.gates, ['ci', 'reviews', 'security', 'protection']);
    assert.equal(c.sha, SHA);
    assert.equal(c.ref, 'main');
    assert.deepEqual(c.protection, { requireReviewers: true, requireSelfReviewOff: true });
    const staging = resolve({ environment: 'staging' });
    assert.deepEqual(staging.protection, { requireReviewers: false, requireSelfReviewOff: false });
    assert.equal(c.backup.prefix, 'backup-production-');
  });

  it('a gate runs when its settings are given; `gates` runs only those', () => {
    const c = resolve({
      soak: '24h',
      'ticket-label': 'change-approved',
      'allowed-refs': 'main, tags/v*',
      'deploy-windows': 'Mon-Fri 09:00-16:00\nSat 10:00-12:00',
      'required-env': 'API_KEY',
      'backup-max-age': '12h',
    });
    assert.deepEqual(c.gates, [
      'ci',
      'reviews',
      'security',
      'ticket',
      'ref',
      'window',
      'soak',
      'backup',
      'env',
      'protection',
    ]);
    assert.equal(c.window.windows.length, 2);
    assert.equal(c.soak.ms, 86_400_000);
    assert.deepEqual(resolve({ gates: 'ci,security' }).gates, ['ci', 'security']);
  });

  it('the runbook section supplies settings (YAML lists, durations) and inputs override it', () => {
    const rb = loaded(`
environments:
  production:
    preflight:
      min-approvals: 2
      ci-wait: 5m
      allowed-refs: [main, tags/v*]
      deploy-windows: ["Mon-Fri 09:00-16:00"]
      timezone: Europe/Paris
      warn-only: [backup]
      required-env: [DATABASE_URL, API_KEY]
`);
    const c = resolve({}, rb);
    assert.equal(c.reviews.minApprovals, 2);
    assert.equal(c.ci.waitMs, 300_000);
    assert.deepEqual(c.ref_.allowed, ['main', 'tags/v*']);
    assert.equal(c.window.timezone, 'Europe/Paris');
    assert.deepEqual(c.warnOnly, ['backup']);
    assert.deepEqual(c.env.names, ['DATABASE_URL', 'API_KEY']);
    assert.ok(c.gates.includes('window') && c.gates.includes('ref') && c.gates.includes('env'));
    const over = resolve({ 'min-approvals': '0', timezone: 'UTC' }, rb);
    assert.equal(over.reviews.minApprovals, 0);
    assert.equal(over.window.timezone, 'UTC');
  });

  it('a bad runbook value names the file and key; the runbook schema rejects unknown keys', () => {
    const rb = loaded(`
environments:
  production:
    preflight:
      gates: [ci, lint]
`);
    assert.throws(
      () => resolve({}, rb),
      /\.github\/runbook\.yml: environments\.\*\.preflight\.gates: unknown gate "lint"/,
    );
    assert.throws(
      () => parseRunbook('environments:\n  production:\n    preflight:\n      soak-time: 1h\n', 'rb.yml'),
      /rb\.yml:\d+: environments\.production\.preflight/,
    );
  });

  it('bad inputs name the input and the form wanted', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ gates: 'ci,lint' }, /Input "gates": unknown gate "lint"; the gates are ci, reviews/],
      [
        { 'fail-on-severity': 'severe' },
        /Input "fail-on-severity": expected one of critical, high, medium, low, none/,
      ],
      [{ 'required-env': 'API-KEY' }, /Input "required-env": expected environment variable names/],
      [{ 'allowed-refs': '--upload-pack=x' }, /Input "allowed-refs": expected branch or tag patterns/],
      [{ sha: 'abc' }, /Input "sha": expected a full 40-character commit SHA/],
      [{ 'emergency-approvals': '0' }, /Input "emergency-approvals": expected a whole number from 1 to 100/],
      [{ token: '' }, /Input "token": missing/],
      [{ gates: 'database' }, /Input "gates": the gate database needs the input "database-url"/],
      [
        { 'database-url': 'mongodb://u:pw-Secret-1@h/db' },
        /^Input "database-url": unknown scheme "mongodb:\/\/"(?![^]*pw-Secret-1)/,
      ],
      [{ gates: 'health' }, /Input "gates": the gate health needs the input "health-url", or smoke checks/],
    ];
    for (const [given, message] of cases) {
      assert.throws(
        () => resolve(given),
        (e: unknown) => e instanceof ConfigurationError && message.test(e.message),
        JSON.stringify(given),
      );
    }
  });

  it('health uses the runbook smoke checks when no health-url is given', () => {
    const rb = loaded(`
environments:
  production:
    url: https://shop.example.com
    smoke:
      checks:
        - { name: api, url: https://shop.example.com/api/health }
`);
    const c = resolve({ gates: 'health' }, rb);
    assert.deepEqual(
      c.health.checks.map((x) => x.name),
      ['api'],
    );
    assert.equal(
      resolve({ 'health-url': 'https://other.example/health' }, rb).health.checks[0]!.url,
      'https://other.example/health',
    );
  });
});
