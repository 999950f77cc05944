/** preflight-check's GitHub gates, in-process against the fake GitHub API (every response validated). */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shaOf } from '../fake-github/data.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { runGates } from '../harness/preflight.js';

let fake: FakeGitHub;
let n = 0;
/** A fresh repository and commit for each test. */
const fresh = () => {
  n++;
  return { repo: `app${n}`, sha: shaOf(`preflight-${n}`) };
};
const HOUR = 3_600_000;

before(async () => {
  fake = await startFakeGitHub({ validate: true });
});
after(async () => {
  assert.deepEqual(fake.violations, []);
  await fake.close();
});

describe('preflight gate: ci', () => {
  it('a commit with check runs but no statuses passes', async () => {
    const { repo, sha } = fresh();
    fake.seed.checkRun({ repo, head_sha: sha, name: 'build' });
    fake.seed.checkRun({ repo, head_sha: sha, name: 'lint', conclusion: 'skipped' });
    const { gate } = await runGates(fake, { gates: 'ci' }, { repo, sha });
    assert.equal(gate('ci').status, 'pass');
    assert.match(gate('ci').summary, /2 checks green: build, lint/);
  });

  it('a failing check run or status fails, naming it, with its link', async () => {
    const { repo, sha } = fresh();
    fake.seed.checkRun({ repo, head_sha: sha, name: 'build' });
    const bad = fake.seed.checkRun({ repo, head_sha: sha, name: 'e2e', conclusion: 'failure' });
    fake.seed.commitStatus({ repo, sha, context: 'ci/jenkins', state: 'error' });
    const { gate } = await runGates(fake, { gates: 'ci' }, { repo, sha });
    assert.equal(gate('ci').status, 'fail');
    assert.match(gate('ci').summary, /2 of 3 failed: e2e \(failure\), ci\/jenkins \(error\)/);
    assert.equal(gate('ci').url, bad.html_url);
  });

  it('a pending check that turns green within ci-wait passes; without ci-wait it fails naming it', async () => {
    const { repo, sha } = fresh();
    const run = fake.seed.checkRun({ repo, head_sha: sha, name: 'build', status: 'in_progress' });
    const quick = await runGates(fake, { gates: 'ci' }, { repo, sha });
    assert.equal(quick.gate('ci').status, 'fail');
    assert.match(quick.gate('ci').summary, /1 still pending: build \(in_progress\)/);
    assert.match(quick.gate('ci').details.join('\n'), /Set "ci-wait"/);

    const before = fake.count();
    setTimeout(() => Object.assign(run, { status: 'completed', conclusion: 'success' }), 200);
    const waited = await runGates(fake, { gates: 'ci', 'ci-wait': '20s' }, { repo, sha });
    assert.equal(waited.gate('ci').status, 'pass');
    assert.ok(fake.count() - before > 2, 'polled more than once');
    assert.ok(waited.lines.some((l) => /ci: waiting for build \(in_progress\)/.test(l)));
  });

  it("this run's own jobs are ignored; required checks must be present", async () => {
    const { repo, sha } = fresh();
    fake.seed.checkRun({ repo, head_sha: sha, name: 'build' });
    const own = fake.seed.checkRun({ repo, head_sha: sha, name: 'preflight', status: 'in_progress' });
    own.details_url = `https://github.com/octo-org/${repo}/actions/runs/4242/job/1`;
    const r = await runGates(fake, { gates: 'ci' }, { repo, sha });
    assert.equal(r.gate('ci').status, 'pass');
    assert.match(r.gate('ci').summary, /1 check green: build/);

    const req = await runGates(fake, { gates: 'ci', 'ci-checks': 'build, deploy-tests' }, { repo, sha });
    assert.equal(req.gate('ci').status, 'fail');
    assert.match(req.gate('ci').summary, /deploy-tests \(not reported\)/);
  });

  it('a re-run that passed replaces the failed run of the same check', async () => {
    const { repo, sha } = fresh();
    fake.seed.checkRun({ repo, head_sha: sha, name: 'flaky', conclusion: 'failure' });
    fake.seed.checkRun({ repo, head_sha: sha, name: 'flaky' });
    const { gate } = await runGates(fake, { gates: 'ci' }, { repo, sha });
    assert.equal(gate('ci').status, 'pass');
  });

  it('a commit without any CI result is not green', async () => {
    const { repo, sha } = fresh();
    const { gate } = await runGates(fake, { gates: 'ci' }, { repo, sha });
    assert.equal(gate('ci').status, 'fail');
    assert.match(gate('ci').summary, /no check runs or commit statuses/);
  });
});

describe('preflight gate: reviews', () => {
  const merged = (repo: string, sha: string, number: number, user = 'alice') =>
    fake.seed.pull({ repo, number, head: `feature-${number}`, merged: true, merge_commit_sha: sha, user });

  it('an approval by someone other than the author passes', async () => {
    const { repo, sha } = fresh();
    const pr = merged(repo, sha, 7);
    fake.seed.review({ repo, pull_number: 7, user: 'bob', state: 'APPROVED' });
    fake.seed.review({ repo, pull_number: 7, user: 'bob', state: 'COMMENTED' });
    const { gate, report } = await runGates(fake, { gates: 'reviews' }, { repo, sha });
    assert.equal(gate('reviews').status, 'pass');
    assert.match(gate('reviews').summary, /PR #7 approved by bob \(1 required\)/);
    assert.equal(gate('reviews').url, pr.html_url);
    assert.equal(report.pullRequest?.number, 7);
  });

  it('a reviewer who approved, then requested changes, blocks', async () => {
    const { repo, sha } = fresh();
    merged(repo, sha, 8);
    fake.seed.review({ repo, pull_number: 8, user: 'bob', state: 'APPROVED' });
    fake.seed.review({ repo, pull_number: 8, user: 'carol', state: 'APPROVED' });
    fake.seed.review({ repo, pull_number: 8, user: 'bob', state: 'CHANGES_REQUESTED' });
    const { gate } = await runGates(fake, { gates: 'reviews' }, { repo, sha });
    assert.equal(gate('reviews').status, 'fail');
    assert.match(gate('reviews').summary, /PR #8: changes requested by bob/);
  });

  it("the author's own approval does not count", async () => {
    const { repo, sha } = fresh();
    merged(repo, sha, 9, 'alice');
    fake.seed.review({ repo, pull_number: 9, user: 'alice', state: 'APPROVED' });
    const { gate } = await runGates(fake, { gates: 'reviews' }, { repo, sha });
    assert.equal(gate('reviews').status, 'fail');
    assert.match(gate('reviews').summary, /PR #9: 0 approvals, 1 required/);
    assert.match(gate('reviews').details.join('\n'), /approval by the author alice was not counted/);
  });

  it('a direct push fails unless min-approvals is 0; min-approvals 2 needs two people', async () => {
    const { repo, sha } = fresh();
    const direct = await runGates(fake, { gates: 'reviews' }, { repo, sha });
    assert.equal(direct.gate('reviews').status, 'fail');
    assert.match(direct.gate('reviews').summary, /no pull request .* direct push/);
    const allowed = await runGates(fake, { gates: 'reviews', 'min-approvals': '0' }, { repo, sha });
    assert.equal(allowed.gate('reviews').status, 'pass');

    const other = fresh();
    merged(other.repo, other.sha, 3);
    fake.seed.review({ repo: other.repo, pull_number: 3, user: 'bob', state: 'APPROVED' });
    const two = await runGates(fake, { gates: 'reviews', 'min-approvals': '2' }, other);
    assert.match(two.gate('reviews').summary, /1 approval, 2 required/);
  });
});

describe('preflight gate: security', () => {
  it('passes with only alerts below the threshold', async () => {
    const { repo, sha } = fresh();
    fake.seed.codeScanningAlert({ repo, security_severity_level: 'medium' });
    fake.seed.codeScanningAlert({ repo, security_severity_level: 'critical', state: 'fixed' });
    fake.seed.dependabotAlert({ repo, severity: 'low' });
    const { gate } = await runGates(fake, { gates: 'security' }, { repo, sha });
    assert.equal(gate('security').status, 'pass');
    assert.match(gate('security').summary, /no open code scanning or Dependabot alert high or above/);
  });

  it('fails on an open high alert of either kind, naming them with links', async () => {
    const { repo, sha } = fresh();
    const code = fake.seed.codeScanningAlert({ repo, security_severity_level: 'high' });
    fake.seed.dependabotAlert({ repo, severity: 'critical', package: 'lodash' });
    const { gate } = await runGates(fake, { gates: 'security' }, { repo, sha });
    assert.equal(gate('security').status, 'fail');
    assert.match(gate('security').summary, /2 open alerts high or above/);
    assert.equal(gate('security').url, code.html_url);
    assert.match(
      gate('security').details.join('\n'),
      /critical Dependabot #1: Prototype pollution in lodash/,
    );
    const medium = await runGates(fake, { gates: 'security', 'fail-on-severity': 'critical' }, { repo, sha });
    assert.match(medium.gate('security').summary, /1 open alert critical:/);
  });

  it('a 403 on Dependabot is unknown, never a pass, and names the permission', async () => {
    const { repo, sha } = fresh();
    fake.failNext({ status: 403, match: `GET /repos/octo-org/${repo}/dependabot/alerts` });
    const { gate } = await runGates(fake, { gates: 'security' }, { repo, sha });
    assert.equal(gate('security').status, 'fail');
    assert.match(gate('security').summary, /unknown: one alert API could be read/);
    assert.match(gate('security').details.join('\n'), /Dependabot: unknown \(403\).*`security-events: read`/);
  });

  it('a 404 on code scanning (not set up) is unknown; fail-on-severity none makes no request', async () => {
    const { repo, sha } = fresh();
    fake.failNext({
      status: 404,
      match: `GET /repos/octo-org/${repo}/code-scanning/alerts`,
      message: 'no analysis found',
    });
    const { gate } = await runGates(fake, { gates: 'security' }, { repo, sha });
    assert.equal(gate('security').status, 'fail');
    assert.match(
      gate('security').details.join('\n'),
      /code scanning: unknown \(404\): code scanning is not set up/,
    );
    const before = fake.count();
    const off = await runGates(fake, { gates: 'security', 'fail-on-severity': 'none' }, { repo, sha });
    assert.equal(off.gate('security').status, 'pass');
    assert.equal(fake.count(), before);
  });
});

describe('preflight gate: ticket', () => {
  it('finds the ticket in the PR title; #123 must be an open issue with the label', async () => {
    const { repo, sha } = fresh();
    fake.seed.pull({
      repo,
      number: 4,
      head: 'fix',
      merged: true,
      merge_commit_sha: sha,
      title: 'CHG-1234: fix login',
    });
    const byTitle = await runGates(fake, { gates: 'ticket', 'require-ticket': 'true' }, { repo, sha });
    assert.equal(byTitle.gate('ticket').status, 'pass');
    assert.match(byTitle.gate('ticket').summary, /CHG-1234 \(from the title of PR #4; recorded as given\)/);
    assert.equal(byTitle.report.ticket, 'CHG-1234');

    const issue = fake.seed.issue({ repo, number: 50, title: 'Release 2.3', labels: ['change-approved'] });
    fake.seed.issue({ repo, number: 51, title: 'Old release', state: 'closed' });
    const ok = await runGates(
      fake,
      { gates: 'ticket', ticket: '#50', 'ticket-label': 'change-approved' },
      { repo, sha },
    );
    assert.equal(ok.gate('ticket').status, 'pass');
    assert.equal(ok.gate('ticket').url, issue.html_url);
    const unlabelled = await runGates(
      fake,
      { gates: 'ticket', ticket: '#50', 'ticket-label': 'cab-ok' },
      { repo, sha },
    );
    assert.match(unlabelled.gate('ticket').summary, /#50 "Release 2.3" .* lacks the label cab-ok/);
    const closed = await runGates(fake, { gates: 'ticket', ticket: '#51' }, { repo, sha });
    assert.match(closed.gate('ticket').summary, /#51 "Old release" .* is closed/);
    const missing = await runGates(fake, { gates: 'ticket', ticket: '#99' }, { repo, sha });
    assert.match(missing.gate('ticket').summary, /#99 .* does not exist/);
  });

  it('no ticket fails when required and passes when not', async () => {
    const { repo, sha } = fresh();
    fake.seed.pull({ repo, number: 2, head: 'misc', merged: true, merge_commit_sha: sha, title: 'tidy up' });
    const req = await runGates(fake, { gates: 'ticket' }, { repo, sha });
    assert.equal(req.gate('ticket').status, 'fail');
    assert.match(req.gate('ticket').summary, /no change ticket: nothing matching .* PR #2/);
    const opt = await runGates(fake, { gates: 'ticket', 'require-ticket': 'false' }, { repo, sha });
    assert.equal(opt.gate('ticket').status, 'pass');
  });
});

describe('preflight gate: ref', () => {
  it('on main passes, a commit not reachable from main fails; tags/v* needs a version tag on it', async () => {
    const { repo, sha } = fresh();
    const head = shaOf(`${repo}-head`);
    const stray = shaOf(`${repo}-stray`);
    fake.seed.commit({ repo, sha, parents: [] });
    fake.seed.commit({ repo, sha: head, parents: [sha] });
    fake.seed.commit({ repo, sha: stray, parents: [] });
    fake.seed.branch({ repo, name: 'main', sha: head });
    const on = await runGates(fake, { gates: 'ref', 'allowed-refs': 'main' }, { repo, sha });
    assert.equal(on.gate('ref').status, 'pass');
    assert.match(on.gate('ref').summary, /is on main/);
    const off = await runGates(fake, { gates: 'ref', 'allowed-refs': 'main' }, { repo, sha: stray });
    assert.equal(off.gate('ref').status, 'fail');
    assert.match(off.gate('ref').summary, /is on none of main/);

    const untagged = await runGates(fake, { gates: 'ref', 'allowed-refs': 'tags/v*' }, { repo, sha });
    assert.match(untagged.gate('ref').details.join('\n'), /no tag matching v\*/);
    fake.seed.tag({ repo, name: 'v1.4.0', sha, annotated: true });
    const tagged = await runGates(fake, { gates: 'ref', 'allowed-refs': 'tags/v*' }, { repo, sha });
    assert.equal(tagged.gate('ref').status, 'pass');
    assert.match(tagged.gate('ref').summary, /tagged v1\.4\.0/);
  });
});

describe('preflight gate: ref (patterns)', () => {
  it('release/* finds the matching branches; a missing branch does not hide a passing pattern', async () => {
    const { repo, sha } = fresh();
    const head = shaOf(`${repo}-release`);
    fake.seed.commit({ repo, sha, parents: [] });
    fake.seed.commit({ repo, sha: head, parents: [sha] });
    fake.seed.branch({ repo, name: 'release/2.3', sha: head });
    fake.seed.branch({ repo, name: 'releases-old', sha: shaOf('other') });
    const r = await runGates(fake, { gates: 'ref', 'allowed-refs': 'hotfix, release/*' }, { repo, sha });
    assert.equal(r.gate('ref').status, 'pass');
    assert.match(r.gate('ref').summary, /is on release\/2\.3/);
    const none = await runGates(fake, { gates: 'ref', 'allowed-refs': 'stable/*' }, { repo, sha });
    assert.match(none.gate('ref').details.join('\n'), /no branch matches stable\/\*/);
  });
});

describe('preflight gate: window (emergency)', () => {
  const saturday = Date.parse('2026-12-05T12:00:00Z');
  const given = { gates: 'window', 'deploy-windows': 'Mon-Fri 09:00-16:00', timezone: 'Europe/Paris' };

  it('outside the window fails saying when it opens', async () => {
    const { repo, sha } = fresh();
    const { gate } = await runGates(fake, given, { repo, sha, now: saturday });
    assert.equal(gate('window').status, 'fail');
    assert.match(gate('window').summary, /next allowed Mon 2026-12-07 09:00 GMT\+1/);
  });

  it("an emergency with one approver fails, with two distinct approvers passes; the actor's own does not count", async () => {
    const { repo, sha } = fresh();
    const o = { repo, sha, now: saturday, actor: 'alice' };
    const emergency = { ...given, emergency: 'true' };
    // The harness's run id is 4242.
    fake.seed.approval({ run_id: 4242, environments: ['production'], user: 'alice' });
    fake.seed.approval({ run_id: 4242, environments: ['production'], user: 'bob' });
    const single = await runGates(fake, emergency, o);
    assert.equal(single.gate('window').status, 'fail');
    assert.match(
      single.gate('window').summary,
      /emergency declared, but 1 of 2 required approvers \(other than alice\)/,
    );
    assert.match(
      single.gate('window').details.join('\n'),
      /approval by alice, who started the run, does not count/,
    );
    fake.seed.approval({ run_id: 4242, environments: ['production'], user: 'bob' });
    fake.seed.approval({ run_id: 4242, environments: ['production'], user: 'carol' });
    const two = await runGates(fake, emergency, o);
    assert.equal(two.gate('window').status, 'pass');
    assert.match(two.gate('window').override ?? '', /emergency declared by alice, approved by bob, carol/);
  });
});

describe('preflight gate: soak', () => {
  it('23h59m fails with the time left, 24h passes, and a failure after the success resets it', async () => {
    const { repo, sha } = fresh();
    const d = fake.seed.deployment({ repo, environment: 'staging', sha, ref: 'main', statuses: ['success'] });
    const t0 = Date.parse(String(fake.state.statuses.get(Number(d.id))![0]!.created_at));
    const early = await runGates(
      fake,
      { gates: 'soak', soak: '24h' },
      { repo, sha, now: t0 + 24 * HOUR - 60_000 },
    );
    assert.equal(early.gate('soak').status, 'fail');
    assert.match(early.gate('soak').summary, /run on staging for 23h59m of 24h: 1m left/);
    const done = await runGates(fake, { gates: 'soak', soak: '24h' }, { repo, sha, now: t0 + 24 * HOUR });
    assert.equal(done.gate('soak').status, 'pass');

    const again = fake.seed.deployment({
      repo,
      environment: 'staging',
      sha,
      ref: 'main',
      statuses: ['failure'],
    });
    const failure = fake.state.statuses.get(Number(again.id))![0]!;
    failure.created_at = new Date(t0 + HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
    const reset = await runGates(fake, { gates: 'soak', soak: '24h' }, { repo, sha, now: t0 + 48 * HOUR });
    assert.equal(reset.gate('soak').status, 'fail');
    assert.match(reset.gate('soak').summary, /failed on staging at .* and has not succeeded there since/);
  });

  it('a commit never deployed to the soak environment fails', async () => {
    const { repo, sha } = fresh();
    fake.seed.deployment({ repo, environment: 'qa', sha, ref: 'main', statuses: ['success'] });
    const r = await runGates(
      fake,
      { gates: 'soak', 'soak-environment': 'qa', soak: '1h' },
      { repo, sha, now: Date.now() + 2 * HOUR },
    );
    assert.equal(r.gate('soak').status, 'pass');
    const none = await runGates(fake, { gates: 'soak' }, { repo, sha });
    assert.match(none.gate('soak').summary, /has no successful deployment on staging/);
  });
});

describe('preflight gate: protection', () => {
  it('passes with required reviewers and self-review prevented', async () => {
    const { repo, sha } = fresh();
    fake.seed.environment({ repo, name: 'production', reviewers: ['lead'], prevent_self_review: true });
    const { gate } = await runGates(fake, { gates: 'protection' }, { repo, sha });
    assert.equal(gate('protection').status, 'pass');
    assert.match(gate('protection').summary, /production: reviewers lead, self-review prevented/);
  });

  it('a missing (misspelled) environment, one without reviewers, or one allowing self-review fails', async () => {
    const { repo, sha } = fresh();
    const missing = await runGates(fake, { gates: 'protection' }, { repo, sha });
    assert.match(missing.gate('protection').summary, /the GitHub environment production does not exist/);
    fake.seed.environment({ repo, name: 'production' });
    const open = await runGates(fake, { gates: 'protection' }, { repo, sha });
    assert.match(open.gate('protection').summary, /production has no required reviewers/);
    fake.seed.environment({ repo, name: 'production', reviewers: ['lead'] });
    const self = await runGates(fake, { gates: 'protection' }, { repo, sha });
    assert.match(self.gate('protection').summary, /self-review is allowed/);
    const relaxed = await runGates(
      fake,
      { gates: 'protection', 'require-self-review-off': 'false' },
      { repo, sha },
    );
    assert.equal(relaxed.gate('protection').status, 'pass');
  });
});

describe('preflight gate: backup (artifacts)', () => {
  it('a fresh artifact passes, an old one fails, none fails', async () => {
    const { repo, sha } = fresh();
    const none = await runGates(fake, { gates: 'backup' }, { repo, sha });
    assert.match(none.gate('backup').summary, /no backup artifact named backup-production-\*/);
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    fake.seed.artifact({
      repo,
      name: 'backup-production-1',
      created_at: iso(Date.now() - 30 * HOUR),
      run_id: 77,
    });
    const old = await runGates(fake, { gates: 'backup' }, { repo, sha });
    assert.equal(old.gate('backup').status, 'fail');
    assert.match(old.gate('backup').summary, /artifact backup-production-1, 30h\S* old.*older than 24h/);
    fake.seed.artifact({
      repo,
      name: 'backup-production-2',
      created_at: iso(Date.now() - 2 * HOUR),
      run_id: 78,
    });
    const ok = await runGates(fake, { gates: 'backup' }, { repo, sha });
    assert.equal(ok.gate('backup').status, 'pass');
    assert.match(ok.gate('backup').url ?? '', /actions\/runs\/78$/);
  });
});

describe('preflight gate: backup (backup-db manifest)', () => {
  it('a fresh manifest passes with its size and verification; an old one fails; a missing file fails', async () => {
    const { repo, sha } = fresh();
    const workspace = mkdtempSync(path.join(tmpdir(), 'preflight-backup-'));
    const write = (name: string, hoursAgo: number) =>
      writeFileSync(
        path.join(workspace, name),
        JSON.stringify({
          manifestVersion: 1,
          database: 'shop',
          sizeBytes: 5 * 1024 * 1024,
          createdAt: new Date(Date.now() - hoursAgo * HOUR).toISOString(),
          verification: { method: 'restore', passed: true },
        }),
      );
    write('fresh.manifest.json', 3);
    write('old.manifest.json', 25);
    const ok = await runGates(
      fake,
      { 'backup-manifest': 'fresh.manifest.json', gates: 'backup' },
      { repo, sha, workspace },
    );
    assert.equal(ok.gate('backup').status, 'pass');
    assert.match(
      ok.gate('backup').summary,
      /backup of shop \(fresh\.manifest\.json\), 3h\S* old, 5\.0 MiB, verified \(restore\)/,
    );
    const old = await runGates(
      fake,
      { 'backup-manifest': 'old.manifest.json', gates: 'backup' },
      { repo, sha, workspace },
    );
    assert.match(old.gate('backup').summary, /older than 24h/);
    const none = await runGates(
      fake,
      { 'backup-manifest': 'nope.json', gates: 'backup' },
      { repo, sha, workspace },
    );
    assert.match(none.gate('backup').summary, /no readable backup manifest at nope\.json/);
  });
});

describe('preflight gate: env', () => {
  it('names missing and empty variables, never values', async () => {
    const { repo, sha } = fresh();
    const env = { TOKEN_A: 'value-that-is-secret', EMPTY: ' ' };
    const r = await runGates(
      fake,
      { 'required-env': 'TOKEN_A, EMPTY, MISSING', gates: 'env' },
      { repo, sha, env },
    );
    assert.equal(r.gate('env').summary, 'not set: MISSING; empty: EMPTY');
    assert.ok(!JSON.stringify(r.report).includes('value-that-is-secret'));
    const ok = await runGates(fake, { 'required-env': 'TOKEN_A', gates: 'env' }, { repo, sha, env });
    assert.equal(ok.gate('env').status, 'pass');
  });
});
