/** preflight-check's inputs: which gates run, defaults, the runbook's preflight section under the inputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import { parseRunbook, type LoadedRunbook } from '../../src/core/runbook.js';
import { DEFAULTS, getInputs, HOTFIX_DEFAULTS, resolveConfig } from '../../src/preflight-check/inputs.js';
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
      /\.github\/runbook\.yml: environments\.production\.preflight\.gates: unknown gate "lint"/,
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

describe('preflight inputs: hotfix', () => {
  const MIN = 60_000;
  const HOUR = 60 * MIN;
  const production = `
environments:
  production:
    preflight:
      soak: 24h
      soak-environment: staging
      deploy-windows: ["Mon-Fri 09:00-16:00"]
      warn-only: [backup]
      backup-max-age: 24h
`;

  it('without a hotfix section: soak 15m, window added to warn-only, an emergency; the rest is the preflight section', () => {
    const rb = loaded(production);
    const normal = resolve({}, rb);
    assert.equal(normal.soak.ms, 24 * HOUR);
    assert.deepEqual(normal.warnOnly, ['backup']);
    assert.equal(normal.window.emergency, false);
    assert.equal(normal.hotfix, undefined, 'not a hotfix');

    const c = resolve({ hotfix: 'true' }, rb);
    assert.equal(c.soak.ms, HOTFIX_DEFAULTS.soakMs);
    assert.equal(c.soak.environment, 'staging');
    assert.deepEqual(c.warnOnly, ['backup', 'window'], "the preflight section's warn-only, plus window");
    assert.equal(c.window.emergency, true, 'a hotfix is an emergency');
    assert.equal(c.window.emergencyApprovals, DEFAULTS.emergencyApprovals);
    assert.equal(c.backup.maxAgeMs, 24 * HOUR, 'from the preflight section');
    assert.deepEqual(c.gates, normal.gates, 'the same gates');
    assert.equal(c.hotfix?.section, undefined, 'no hotfix section');
    assert.deepEqual(c.hotfix?.changes, [
      'window: warning only (hotfix)',
      'emergency: outside the window, 2 distinct approvers of this run other than the actor (hotfix)',
      'soak 15m instead of 24h (hotfix)',
    ]);
    // `hotfix: false` is a normal release.
    assert.deepEqual(resolve({ hotfix: 'false' }, rb), normal);
  });

  it('the hotfix section overrides the preflight section; inputs override both', () => {
    const rb = loaded(`${production}    hotfix:
      soak: 30m
      emergency-approvals: 3
      warn-only: [window, security]
      min-approvals: 0
      timezone: Europe/Paris
`);
    const c = resolve({ hotfix: 'true' }, rb);
    assert.equal(c.soak.ms, 30 * MIN);
    assert.equal(c.window.emergencyApprovals, 3);
    assert.deepEqual(c.warnOnly, ['window', 'security'], 'the section replaces warn-only, not adds to it');
    assert.equal(c.reviews.minApprovals, 0);
    assert.equal(c.window.timezone, 'Europe/Paris');
    assert.equal(c.window.windows[0]!.text, 'Mon-Fri 09:00-16:00', 'from the preflight section');
    assert.equal(c.hotfix?.section, '.github/runbook.yml: environments.production.hotfix');
    assert.deepEqual(c.hotfix?.changes, [
      'security: warning only (hotfix)',
      'window: warning only (hotfix)',
      'backup: enforced (hotfix)',
      'emergency: outside the window, 3 distinct approvers of this run other than the actor (hotfix)',
      'soak 30m instead of 24h (hotfix)',
      'emergency-approvals 3 instead of 2 (hotfix)',
      'timezone Europe/Paris instead of UTC (hotfix)',
      'min-approvals 0 instead of 1 (hotfix)',
    ]);

    const over = resolve(
      { hotfix: 'true', soak: '1h', 'emergency-approvals': '4', 'warn-only': 'none', timezone: 'UTC' },
      rb,
    );
    assert.equal(over.soak.ms, HOUR, 'input > hotfix section');
    assert.equal(over.window.emergencyApprovals, 4);
    assert.deepEqual(over.warnOnly, [], '`none`: nothing only warns');
    assert.equal(over.window.timezone, 'UTC');
    // An input changes the normal release too: it is not a hotfix change.
    assert.ok(!over.hotfix!.changes.some((l) => /^soak |timezone/.test(l)), over.hotfix!.changes.join('\n'));
  });

  it('the hotfix soak default never lengthens a shorter preflight soak, and does not turn the soak gate on', () => {
    const short = loaded(`
environments:
  production:
    preflight:
      soak: 5m
`);
    assert.equal(resolve({ hotfix: 'true' }, short).soak.ms, 5 * MIN);
    const none = resolve({ hotfix: 'true' });
    assert.ok(!none.gates.includes('soak'), 'no soak settings anywhere: no soak gate, hotfix or not');
    assert.equal(none.soak.ms, HOTFIX_DEFAULTS.soakMs);
    assert.deepEqual(none.warnOnly, ['window']);
    assert.deepEqual(none.hotfix?.changes, [], 'the window gate does not run: nothing to say about it');
    // A soak environment (release.yml's soak-environment input) turns it on: 15m there.
    const withEnv = resolve({ hotfix: 'true', 'soak-environment': 'staging' });
    assert.ok(withEnv.gates.includes('soak'));
    assert.equal(withEnv.soak.ms, 15 * MIN);
    assert.deepEqual(withEnv.hotfix?.changes, ['soak 15m instead of 24h (hotfix)']);
  });

  it('the hotfix section can turn gates on and off; a hotfix section is ignored without hotfix: true', () => {
    const rb = loaded(`
environments:
  production:
    preflight:
      required-env: [API_KEY]
    hotfix:
      gates: [ci, protection, env, window]
      freeze: ["2026-12-24..2026-12-26 holidays"]
      warn-only: []
`);
    const normal = resolve({}, rb);
    assert.deepEqual(normal.gates, ['ci', 'reviews', 'security', 'env', 'protection']);
    assert.deepEqual(normal.window.freezes, []);
    const c = resolve({ hotfix: 'true' }, rb);
    assert.deepEqual(c.gates, ['ci', 'window', 'env', 'protection']);
    assert.deepEqual(c.warnOnly, [], '[] enforces every gate, the window too');
    assert.deepEqual(c.hotfix?.changes, [
      'window: checked (hotfix)',
      'reviews: not checked (hotfix)',
      'security: not checked (hotfix)',
      'emergency: outside the window, 2 distinct approvers of this run other than the actor (hotfix)',
      'freeze 2026-12-24..2026-12-26 holidays (hotfix)',
    ]);
  });

  it('settings that resolve only with the hotfix section are listed as the hotfix gives them', () => {
    const rb = loaded(`
environments:
  production:
    preflight:
      gates: [ci, window]
    hotfix:
      deploy-windows: ["Mon-Sun 00:00-24:00"]
`);
    assert.throws(() => resolve({}, rb), /environments\.production\.preflight\.gates: the gate window needs/);
    const c = resolve({ hotfix: 'true' }, rb);
    assert.deepEqual(c.gates, ['ci', 'window']);
    assert.deepEqual(c.hotfix?.changes, [
      'window: warning only (hotfix)',
      'emergency: outside the window, 2 distinct approvers of this run other than the actor (hotfix)',
      'deploy-windows Mon-Sun 00:00-24:00 (hotfix)',
    ]);
  });

  it('bad values name environments.<env>.hotfix.<key>, the input, or the runbook line', () => {
    const bad = (yaml: string) =>
      loaded(`
environments:
  production:
    hotfix:
${yaml}`);
    const cases: Array<[string, RegExp]> = [
      [
        '      warn-only: [window, lint]\n',
        /environments\.production\.hotfix\.warn-only: unknown gate "lint"/,
      ],
      ['      gates: nope\n', /environments\.production\.hotfix\.gates: unknown gate "nope"/],
      [
        '      ticket-label: "-x"\n',
        /environments\.production\.hotfix\.ticket-label: expected a label name without control characters/,
      ],
      [
        '      timezone: Mars/Olympus\n      deploy-windows: ["Mon-Fri 09:00-16:00"]\n',
        /^The runbook \.github\/runbook\.yml: environments\.production\.hotfix\.timezone: unknown time zone "Mars\/Olympus"/,
      ],
      [
        '      deploy-windows: ["Mon-Fri 25:00-26:00"]\n',
        /^The runbook \.github\/runbook\.yml: environments\.production\.hotfix\.deploy-windows: "25:00" is not a time of day/,
      ],
      [
        '      ticket-pattern: "[A-Z"\n',
        /environments\.production\.hotfix\.ticket-pattern: is not a valid regular/,
      ],
    ];
    for (const [yaml, message] of cases)
      assert.throws(
        () => resolve({ hotfix: 'true' }, bad(yaml)),
        (e: unknown) => e instanceof ConfigurationError && message.test(e.message),
        yaml,
      );
    // The runbook schema refuses what is not a setting, with the file, line and key.
    for (const [yaml, message] of [
      ['      soak: forever\n', /rb\.yml:4: environments\.production\.hotfix\.soak: /],
      ['      soak-time: 1h\n', /rb\.yml:\d+: environments\.production\.hotfix: .*soak-time/],
      ['      emergency-approvals: 0\n', /rb\.yml:4: environments\.production\.hotfix\.emergency-approvals/],
      ['      fail-on-severity: severe\n', /rb\.yml:4: environments\.production\.hotfix\.fail-on-severity/],
    ] as const)
      assert.throws(
        () => parseRunbook(`environments:\n  production:\n    hotfix:\n${yaml}`, 'rb.yml'),
        message,
        yaml,
      );
    // Inputs.
    const inputs: Array<[Record<string, string>, RegExp]> = [
      [{ hotfix: 'maybe' }, /Input "hotfix": expected true or false, got "maybe"/],
      [{ hotfix: 'true', emergency: 'false' }, /Input "emergency": false contradicts "hotfix: true"/],
      [{ 'warn-only': 'none, ci' }, /Input "warn-only": unknown gate "none"; the gates are .* \(or none\)/],
      [{ gates: 'none' }, /Input "gates": unknown gate "none"; the gates are [^(]*$/],
    ];
    for (const [given, message] of inputs)
      assert.throws(
        () => resolve(given),
        (e: unknown) => e instanceof ConfigurationError && message.test(e.message),
        JSON.stringify(given),
      );
    // An explicit emergency: true with a hotfix is fine.
    assert.equal(resolve({ hotfix: 'true', emergency: 'true' }).window.emergency, true);
  });
});
