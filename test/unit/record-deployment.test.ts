/** record-deployment's pure logic: DORA against hand-computed answers, outcomes, ids, PR numbers, inputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import {
  changePairs,
  doraMetrics,
  median,
  rateFailureRate,
  rateFrequency,
  rateLeadTime,
  rateRestore,
  type DoraDeployment,
} from '../../src/record-deployment/dora.js';
import { getInputs, resolveConfig } from '../../src/record-deployment/inputs.js';
import { outcome } from '../../src/record-deployment/outcome.js';
import { earlierSameDay, prNumber, recordId } from '../../src/record-deployment/record.js';
import { trend } from '../../src/record-deployment/summary.js';

const at = (day: number, hhmm: string) => `2026-11-${String(day).padStart(2, '0')}T${hhmm}:00Z`;
const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

let nextId = 100;
/** A change deployment created at `created`; `ok` succeeds 10 min later; `fail` fails 20 min later. */
function dep(
  created: string,
  o: { fail?: boolean; changes?: string[]; rolledBackTo?: string; autoRollback?: boolean } = {},
): DoraDeployment {
  const statuses = [{ state: 'in_progress', created_at: created }];
  if (o.fail || o.autoRollback)
    statuses.push({
      state: 'failure',
      created_at: plus(created, o.autoRollback ? 15 : 20),
      ...(o.autoRollback ? { description: 'v2: health failed; rolled back: switched back to blue' } : {}),
    } as never);
  else statuses.push({ state: 'success', created_at: plus(created, 10) });
  if (o.rolledBackTo)
    statuses.push({
      state: 'inactive',
      created_at: plus(created, 180),
      description: `rolled back to ${o.rolledBackTo} by @alice: errors`,
    } as never);
  return {
    id: ++nextId,
    task: 'deploy',
    createdAt: created,
    sha: `sha-${nextId}`,
    payload: {},
    statuses: statuses.reverse(),
    changeDates: o.changes,
  };
}

describe('DORA metrics against a hand-computed history', () => {
  // Window: 10 days, 2026-11-21T00:00Z to 2026-12-01T00:00Z.
  const from = new Date('2026-11-21T00:00:00Z');
  const to = new Date('2026-12-01T00:00:00Z');
  const d4 = dep(at(24, '10:00'), { fail: true });
  const d7 = dep(at(26, '10:00'), { changes: [at(26, '08:10')], rolledBackTo: 'v6' });
  const rollback: DoraDeployment = {
    id: ++nextId,
    task: 'deploy:rollback',
    createdAt: at(26, '12:50'),
    sha: 'sha-v6',
    payload: { version: 'v6', rollback_of: d7.id, reason: 'errors' },
    statuses: [
      { state: 'success', created_at: at(26, '13:00') },
      { state: 'in_progress', created_at: at(26, '12:50') },
    ],
  };
  const history: DoraDeployment[] = [
    // the window before: 2 deployments, 1 failed and never restored within it
    dep(at(12, '10:00'), { changes: [at(11, '10:10')] }), // lead 24 h
    dep(at(15, '10:00'), { fail: true }),
    // the window: 12 change deployments, 11 reached success; lead times in hours in the comments
    dep(at(21, '10:00'), { changes: [at(21, '08:10')] }), // 2
    dep(at(22, '10:00'), { changes: [at(22, '06:10')] }), // 4
    dep(at(23, '10:00'), { changes: [at(23, '09:10')] }), // 1
    d4, // failure; restored by d5's success at 12:10: 2 h 10 min
    dep(at(24, '12:00'), { changes: [at(24, '11:10')] }), // 1
    dep(at(25, '10:00'), { changes: [at(25, '04:10')] }), // 6
    d7, // 2; rolled back: restored by the rollback's success at 13:00: 3 h
    rollback,
    dep(at(27, '10:00'), { changes: [at(27, '07:10')] }), // 3
    dep(at(28, '10:00'), { changes: [at(28, '05:10')] }), // 5
    dep(at(29, '10:00'), { changes: [at(29, '02:10')] }), // 8
    dep(at(30, '10:00'), { changes: [at(30, '09:10')] }), // 1
    dep(at(30, '15:00'), { changes: [at(30, '13:10')] }), // 2
  ];

  it('computes the four metrics and their bands', () => {
    const m = doraMetrics(history, from, to);
    assert.equal(m.deployments, 12, '12 change deployments reached a final state (the rollback is not one)');
    assert.equal(m.successes, 11);
    assert.equal(m.deploymentFrequency, 1.1, '11 successful deployments / 10 days');
    assert.equal(m.ratings.deploymentFrequency, 'elite');
    // lead times 1,1,1,2,2,2,3,4,5,6,8 h: the median (6th of 11) is 2 h
    assert.equal(m.leadTimeHours, 2);
    assert.equal(m.ratings.leadTime, 'elite');
    // d4 failed, d7 was rolled back: 2 / 12
    assert.equal(m.failures, 2);
    assert.equal(m.changeFailureRate, 0.1667);
    assert.equal(m.ratings.changeFailureRate, 'low');
    // restores 2 h 10 min and 3 h: median 2 h 35 min = 2.58 h
    assert.equal(m.restores, 2);
    assert.equal(m.timeToRestoreHours, 2.58);
    assert.equal(m.ratings.timeToRestore, 'high');
  });

  it('computes the window before for the trend', () => {
    const m = doraMetrics(history, new Date('2026-11-11T00:00:00Z'), from);
    assert.equal(m.deployments, 2);
    assert.equal(m.deploymentFrequency, 0.1);
    assert.equal(m.ratings.deploymentFrequency, 'medium');
    assert.equal(m.leadTimeHours, 24);
    assert.equal(m.changeFailureRate, 0.5);
    // the failure of the 15th was followed by the success of the 21st (next window): 6 days
    assert.equal(m.timeToRestoreHours, 144.17, '6 days 10 minutes');
  });

  it('an empty window has no rates, frequency 0', () => {
    const m = doraMetrics([], from, to);
    assert.deepEqual(
      [m.deployments, m.deploymentFrequency, m.leadTimeHours, m.changeFailureRate, m.timeToRestoreHours],
      [0, 0, undefined, undefined, undefined],
    );
    assert.equal(m.ratings.deploymentFrequency, 'low');
    assert.equal(m.ratings.changeFailureRate, undefined);
  });

  it('a window with only failures: rate 100%, nothing restored', () => {
    const failures = [
      dep(at(22, '10:00'), { fail: true }),
      dep(at(23, '10:00'), { fail: true }),
      dep(at(24, '10:00'), { fail: true }),
    ];
    const m = doraMetrics(failures, from, to);
    assert.equal(m.deployments, 3);
    assert.equal(m.successes, 0);
    assert.equal(m.deploymentFrequency, 0);
    assert.equal(m.changeFailureRate, 1);
    assert.equal(m.ratings.changeFailureRate, 'low');
    assert.equal(m.leadTimeHours, undefined);
    assert.equal(m.timeToRestoreHours, undefined);
    assert.equal(m.unrestored, 3);
  });

  it('an automatic rollback restores when its final status is posted', () => {
    const m = doraMetrics([dep(at(22, '10:00'), { autoRollback: true })], from, to);
    assert.equal(m.failures, 1);
    assert.equal(m.timeToRestoreHours, 0.25);
    assert.equal(m.ratings.timeToRestore, 'elite');
  });

  it('asks for changes of successful change deployments against the success before, never for rollbacks', () => {
    const pairs = changePairs(history);
    assert.ok(pairs.every((p) => p.deployment.task === 'deploy'));
    const afterRollback = pairs.find((p) => p.deployment.createdAt === at(27, '10:00'));
    assert.equal(
      afterRollback?.base,
      rollback,
      'the release after a rollback is compared with what the rollback put back',
    );
    const afterFailure = pairs.find((p) => p.deployment.createdAt === at(24, '12:00'));
    assert.equal(afterFailure?.base.createdAt, at(23, '10:00'), 'a failed deployment is never the base');
  });
});

describe('DORA bands (Accelerate State of DevOps 2023)', () => {
  it('rates at the boundaries', () => {
    assert.deepEqual([1, 0.99, 1 / 7, 0.14, 1 / 30, 0.03].map(rateFrequency), [
      'elite',
      'high',
      'high',
      'medium',
      'medium',
      'low',
    ]);
    assert.deepEqual([23.9, 24, 167, 168, 719, 720].map(rateLeadTime), [
      'elite',
      'high',
      'high',
      'medium',
      'medium',
      'low',
    ]);
    assert.deepEqual([0.05, 0.06, 0.1, 0.15, 0.16].map(rateFailureRate), [
      'elite',
      'high',
      'high',
      'medium',
      'low',
    ]);
    assert.deepEqual([0.9, 1, 23, 24, 167, 168].map(rateRestore), [
      'elite',
      'high',
      'high',
      'medium',
      'medium',
      'low',
    ]);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([]), undefined);
  });

  it('shows a trend with its direction of better', () => {
    assert.equal(trend(2, 1, true), '▲ better (was 1)');
    assert.equal(trend(2, 1, false), '▲ worse (was 1)');
    assert.equal(trend(1, 1, false), '= same');
    assert.equal(trend(undefined, 1, false), '–');
  });
});

describe('deployment outcome from statuses', () => {
  const s = (state: string, minute: number, description = '') => ({
    state,
    description,
    created_at: `2026-11-30T10:${String(minute).padStart(2, '0')}:00Z`,
  });
  it('maps success, failure, automatic and manual rollbacks', () => {
    assert.equal(outcome([s('success', 5), s('in_progress', 1)]).status, 'success');
    assert.equal(
      outcome([s('inactive', 9), s('success', 5)]).status,
      'success',
      'superseded, not rolled back',
    );
    assert.equal(outcome([s('failure', 5, 'v2: health failed; traffic never moved')]).status, 'failure');
    assert.equal(
      outcome([s('error', 5, 'v2: failed; NOT rolled back (x); needs a human')]).status,
      'failure',
    );
    const auto = outcome([s('failure', 5, 'v2: health failed; rolled back: switched back to blue')]);
    assert.equal(auto.status, 'rolled-back');
    assert.match(auto.rollback!.how, /switched back to blue/);
    const manual = outcome([
      s('inactive', 9, 'rolled back to v1.0.0 by @alice: checkout errors'),
      s('success', 5),
    ]);
    assert.deepEqual([manual.status, manual.rollback?.to], ['rolled-back', 'v1.0.0']);
    assert.equal(outcome([s('in_progress', 1)]).status, undefined);
    assert.equal(outcome([s('success', 5), s('in_progress', 1)]).finishedAt, '2026-11-30T10:05:00Z');
  });
});

describe('record ids and changes', () => {
  it('numbers the day: 1 + the deployments earlier that UTC day', () => {
    const self = { id: 50, created_at: '2026-11-30T10:00:00Z' };
    const others = [
      { id: 40, created_at: '2026-11-29T23:59:59Z' },
      { id: 41, created_at: '2026-11-30T00:00:00Z' },
      { id: 42, created_at: '2026-11-30T09:00:00Z' },
      { id: 49, created_at: '2026-11-30T10:00:00Z' },
      { id: 51, created_at: '2026-11-30T10:00:00Z' },
      { id: 52, created_at: '2026-11-30T11:00:00Z' },
    ];
    assert.equal(earlierSameDay(self, others), 3);
    assert.equal(recordId(self.created_at, 3), 'DEP-2026-11-30-004');
    assert.equal(recordId(self.created_at, 0), 'DEP-2026-11-30-001');
  });
  it('finds PR numbers in merge and squash messages only', () => {
    assert.equal(prNumber('Merge pull request #12 from acme/fix\n\nFix'), 12);
    assert.equal(prNumber('Faster search (#13)'), 13);
    assert.equal(prNumber('Faster search (#13)\n\n* commit (#9)'), 13);
    assert.equal(prNumber('Fixes #14 in passing'), undefined);
  });
});

describe('record-deployment inputs', () => {
  const raw = (o: Record<string, string>) => ({
    environment: 'production',
    'deployment-id': '',
    status: '',
    version: '',
    'deploy-report': '',
    'smoke-report': '',
    'migrations-report': '',
    'backup-report': '',
    'rollback-report': '',
    ticket: '',
    notes: '',
    'store-branch': '',
    'dora-window': '',
    token: 'ghs_x',
    runbook: '',
    ...o,
  });
  const config = (o: Record<string, string>) => resolveConfig(getInputs(raw(o)), undefined);
  const refuses = (o: Record<string, string>, re: RegExp) =>
    assert.throws(
      () => config(o),
      (e: unknown) => e instanceof ConfigurationError && re.test(e.message),
    );

  it('defaults: 30-day DORA window, no store branch', () => {
    const c = config({});
    assert.equal(c.doraWindowMs, 30 * 86_400_000);
    assert.equal(c.storeBranch, undefined);
    assert.equal(config({ 'dora-window': '0' }).doraWindowMs, 0);
    assert.equal(config({ 'dora-window': '90d' }).doraWindowMs, 90 * 86_400_000);
  });
  it('takes the deployment id from the deploy report', () => {
    const report = {
      status: 'success',
      environment: 'production',
      version: 'v2',
      strategy: 'rolling',
      provider: 'command',
      phases: [],
      deploymentId: 77,
    };
    assert.equal(config({ 'deploy-report': JSON.stringify(report) }).deploymentId, 77);
    refuses(
      { 'deploy-report': JSON.stringify({ ...report, environment: 'staging' }) },
      /Input "deploy-report": is a report for environment "staging"/,
    );
  });
  it('refuses bad input, naming the input', () => {
    refuses({ 'dora-window': '1y' }, /Input "dora-window"/);
    refuses({ 'dora-window': '91d' }, /Input "dora-window": at most 90d/);
    refuses({ 'dora-window': '2h' }, /Input "dora-window": at least 1d/);
    refuses({ status: 'ok' }, /Input "status": expected one of success, failure, rolled-back/);
    refuses({ 'deployment-id': 'abc' }, /Input "deployment-id"/);
    refuses({ version: 'v1\n::error::x' }, /Input "version"/);
    refuses({ ticket: 'CHG-1\rX' }, /Input "ticket"/);
    refuses({ environment: '../prod' }, /Input "environment"/);
    refuses({ environment: '-prod' }, /Input "environment"/);
    refuses({ 'store-branch': 'a..b' }, /Input "store-branch"/);
    refuses({ 'backup-report': '{"mode":"restore"}' }, /Input "backup-report": is not a backup-db/);
    refuses({ 'migrations-report': '[1,2]' }, /Input "migrations-report": is not a run-migrations report/);
    refuses({ token: '' }, /Input "token"/);
  });
});
