/** preflight-check's summary: grouped checklist rows, escaping of outside values, overrides always shown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreflightReport } from '../../src/preflight-check/preflight.js';
import { failureMessage, outputs, reportJson, summary } from '../../src/preflight-check/summary.js';
import { configOf } from '../harness/preflight.js';

const SHA = 'b'.repeat(40);
const report = (over: Partial<PreflightReport>): PreflightReport => ({
  passed: true,
  environment: 'production',
  sha: SHA,
  ref: 'main',
  failed: [],
  warnings: [],
  durationMs: 120,
  checkedAt: '2026-12-01T10:00:00.000Z',
  gates: [],
  ...over,
});

describe('preflight summary', () => {
  it('groups rows by the checklist, escapes HTML and link brackets from outside values', () => {
    const r = report({
      pullRequest: {
        number: 5,
        title: 'Fix <img src=x onerror=alert(1)> [evil](https://x)',
        url: 'https://github.com/o/r/pull/5',
        author: 'dev',
      },
      gates: [
        {
          name: 'ci',
          status: 'pass',
          summary: '2 checks green: build, test',
          details: [],
          url: 'https://github.com/o/r/runs/1',
        },
        {
          name: 'soak',
          status: 'fail',
          summary: 'run on staging for 1h of 24h: 23h left',
          details: ['Deployed at …'],
        },
      ],
      passed: false,
      failed: ['soak'],
    });
    const md = summary(r, configOf({ soak: '24h' }, SHA)).toMarkdown();
    assert.match(md, /^## ❌ Preflight failed: soak — production ← bbbbbbb \(main\)/);
    assert.match(md, /### Code quality\n\n\| {3}\| Checklist item \| Gate \| Evidence \| Link \|/);
    assert.match(
      md,
      /\| ✅ pass \| CI: all checks passing \| `ci` \| 2 checks green: build, test \| \[check\]\(https:\/\/github.com\/o\/r\/runs\/1\) \|/,
    );
    assert.match(md, /### Release policy[^#]*❌ fail \| Stable on staging long enough/);
    assert.ok(!md.includes('<img'), 'no raw HTML from a PR title');
    assert.match(
      md,
      /\[#5 Fix &lt;img src=x onerror=alert\(1\)&gt; \\\[evil\\\]\(https:\/\/x\)\]\(https:\/\/github.com\/o\/r\/pull\/5\)/,
    );
    assert.match(md, /Do not approve this deployment: \*\*soak\*\* failed/);
    assert.match(md, /\*\*soak\*\* \(fail\): run on staging .*<br>Deployed at …/);
    assert.match(md, /Not checked: .*backup/);
    assert.deepEqual(outputs(r), {
      passed: 'false',
      failed: 'soak',
      warnings: '',
      ticket: '',
      'pull-request': '5',
    });
    assert.match(
      failureMessage(r),
      /^Preflight of production \(bbbbbbb\) failed: soak\. Do not deploy until these pass:\n- soak: /,
    );
  });

  it('an emergency is always shown: as the override, or as declared but unused', () => {
    const config = configOf({ 'deploy-windows': 'Mon-Fri 09:00-16:00', emergency: 'true' }, SHA);
    const used = summary(
      report({
        gates: [
          {
            name: 'window',
            status: 'pass',
            summary: 'EMERGENCY OVERRIDE: outside every deploy window',
            details: [],
            override: 'emergency declared by alice, approved by bob, carol (2 required)',
          },
        ],
      }),
      config,
    ).toMarkdown();
    assert.match(used, /^## ⚠️ Preflight passed with warnings/);
    assert.match(
      used,
      /> \[!WARNING\]\n> \*\*Emergency override of the window gate\*\*: emergency declared by alice, approved by bob, carol/,
    );
    assert.match(used, /\| ⚠️ override \| Inside the deployment window/);
    const unused = summary(
      report({ gates: [{ name: 'window', status: 'pass', summary: 'inside the window', details: [] }] }),
      config,
    ).toMarkdown();
    assert.match(
      unused,
      /\*\*Emergency declared\*\* \(`emergency: true`\), no override used: the change is inside the window/,
    );
  });

  it('a hotfix says so in the headline, lists what it changed, and adds hotfix.changes to the report', () => {
    const config = configOf(
      { hotfix: 'true', 'deploy-windows': 'Mon-Fri 09:00-16:00', 'soak-environment': 'staging' },
      SHA,
    );
    assert.deepEqual(config.hotfix?.changes, [
      'window: warning only (hotfix)',
      'emergency: outside the window, 2 distinct approvers of this run other than the actor (hotfix)',
      'soak 15m instead of 24h (hotfix)',
    ]);
    const r = report({
      warnings: ['window'],
      hotfix: { changes: config.hotfix!.changes },
      gates: [
        {
          name: 'window',
          status: 'warn',
          downgraded: true,
          summary:
            'outside every deploy window; emergency declared, but 0 of 2 required approvers approved this run',
          details: [],
        },
        { name: 'soak', status: 'pass', summary: 'bbbbbbb on staging for 20m (≥ 15m)', details: [] },
      ],
    });
    const md = summary(r, config).toMarkdown();
    assert.match(md, /^## ⚠️ Hotfix preflight passed with warnings — production ← bbbbbbb \(main\)/);
    assert.match(
      md,
      /> \[!IMPORTANT\]\n> \*\*Hotfix\*\* \(`hotfix: true`\): checked with the built-in hotfix settings \(the runbook has no `hotfix` section\) over the preflight settings\. What differs from a normal release:\n> - window: warning only \(hotfix\)\n> - emergency: outside the window, 2 distinct approvers .*\n> - soak 15m instead of 24h \(hotfix\)/,
    );
    assert.match(
      md,
      /\*\*Emergency declared\*\* \(`hotfix: true`\), no override used: outside every deploy window/,
    );
    assert.match(md, /\| ⚠️ warn \(warn-only\) \| Inside the deployment window/);
    const json = reportJson(r) as { hotfix?: { changes: string[] }; warnings: string[] };
    assert.deepEqual(json.hotfix, { changes: config.hotfix!.changes });
    assert.deepEqual(json.warnings, ['window']);
    assert.deepEqual(outputs(r), {
      passed: 'true',
      failed: '',
      warnings: 'window',
      ticket: '',
      'pull-request': '',
    });
    const failed = report({ ...r, passed: false, failed: ['soak'], hotfix: { changes: [] } });
    assert.match(failureMessage(failed), /^Hotfix preflight of production \(bbbbbbb\) failed: soak\./);
    // Not a hotfix: no hotfix key, the report as before.
    assert.equal('hotfix' in (reportJson(report({})) as object), false);
    assert.doesNotMatch(summary(report({}), configOf({}, SHA)).toMarkdown(), /Hotfix/);
  });
});
