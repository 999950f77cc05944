/** rollback's logic without processes: inputs, the plan from a history, the incident issue, the orchestrator. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import { SecretRegistry } from '../../src/core/secrets.js';
import type { Provider } from '../../src/shared/deployments/provider.js';
import type { HistoryEntry, RollbackRecords } from '../../src/rollback/github.js';
import { getInputs, inputSchema, resolveConfig, type RollbackConfig } from '../../src/rollback/inputs.js';
import { enoughHistory, makePlan } from '../../src/rollback/plan.js';
import { STRANDED_PREFIX } from '../../src/shared/deployments/records.js';
import { rollback } from '../../src/rollback/rollback.js';
import { incidentIssue } from '../../src/rollback/summary.js';

const raw = (r: Record<string, string>) =>
  Object.fromEntries(
    Object.keys(inputSchema.shape).map((k) => [k, r[k] ?? (k === 'token' ? 'ghs_x123' : '')]),
  );
const ctxInfo = () => ({ workspace: '/ws', sha: 'abc123', env: {}, secrets: new SecretRegistry() });
const config = (r: Record<string, string>) => resolveConfig(getInputs(raw(r)), undefined, ctxInfo());
const ROLLING = {
  environment: 'production',
  'rollback-command': './rb.sh',
  'health-url': 'https://x.test/h',
};
const BG = {
  environment: 'production',
  strategy: 'blue-green',
  command: './deploy.sh',
  'switch-command': './switch.sh',
  slots: '{ blue: "http://10.0.0.5/h", green: "http://10.0.0.6/h" }',
  'health-url': 'https://x.test/h',
};

const refuses = (fn: () => unknown, input: string, message: RegExp) =>
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ConfigurationError, String(e));
    assert.match(e.message, new RegExp(`Input "${input}"`));
    assert.match(e.message, message);
    return true;
  });

describe('rollback inputs', () => {
  it('defaults: apply, verify, incident issue with incident,rollback labels, no restore', () => {
    const c = config(ROLLING);
    assert.equal(c.mode, 'apply');
    assert.equal(c.verify, true);
    assert.equal(c.incidentIssue, true);
    assert.deepEqual(c.incidentLabels, ['incident', 'rollback']);
    assert.equal(c.restoreDatabase, false);
    assert.equal(c.strategy, 'rolling');
  });
  for (const [name, r, input, message] of [
    ['no environment', { ...ROLLING, environment: '' }, 'environment', /is required/],
    [
      'control characters in the environment',
      { ...ROLLING, environment: 'prod\n::error::x' },
      'environment',
      /control characters/,
    ],
    [
      'a to-version starting with -',
      { ...ROLLING, 'to-version': '--help' },
      'to-version',
      /does not start with "-"/,
    ],
    [
      'mode apply-now',
      { ...ROLLING, mode: 'apply-now' },
      'mode',
      /expected one of apply, plan, got "apply-now"/,
    ],
    ['blue-green without slots', { ...BG, slots: '' }, 'slots', /is required/],
    ['rolling without a command', { ...ROLLING, 'rollback-command': '' }, 'rollback-command', /is required/],
    [
      'restore without a database-url',
      { ...ROLLING, 'restore-database': 'true' },
      'database-url',
      /is required/,
    ],
    [
      'restore without confirm',
      { ...ROLLING, 'restore-database': 'true', 'database-url': 'postgres://u:secret@db/shop' },
      'confirm',
      /set confirm: shop/,
    ],
    [
      'backup-file without restore',
      { ...ROLLING, 'backup-file': '/b.dump' },
      'backup-file',
      /"restore-database" is not true/,
    ],
  ] as const)
    it(`refuses ${name}`, () => refuses(() => config(r), input, message));

  it('plan mode needs no confirm; the database password is registered as a secret', () => {
    const secrets = new SecretRegistry();
    const c = resolveConfig(
      getInputs(
        raw({
          ...ROLLING,
          mode: 'plan',
          'restore-database': 'true',
          'database-url': 'postgres://u:s3cr3t@db/shop',
        }),
      ),
      undefined,
      { ...ctxInfo(), secrets },
    );
    assert.equal(c.database?.database, 'shop');
    assert.ok(!secrets.redact('postgres://u:s3cr3t@db/shop').includes('s3cr3t'));
  });
});

let nextId = 100;
const d = (version: string, o: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id: nextId++,
  task: 'deploy',
  version,
  state: 'inactive',
  succeeded: true,
  statusesRead: true,
  createdAt: '2026-12-01T00:00:00Z',
  ...o,
});

describe('rollback plan', () => {
  it('a rollback deployment counts as current; the target is the newest earlier success of another version', () => {
    const h = [
      d('v1', { task: 'deploy:rollback', state: 'success', slot: 'blue' }),
      d('v2', { slot: 'green' }),
      d('v1', { slot: 'blue' }),
    ];
    const p = makePlan(config(BG), h);
    assert.equal(p.current.id, h[0]!.id);
    assert.equal(p.target.version, 'v2');
    assert.equal(p.method, 'switch-back');
    assert.equal(p.slot, 'green');
  });

  it('skips earlier deployments of the same version and failed ones', () => {
    const h = [
      d('v3', { state: 'success' }),
      d('v3'),
      d('v2', { state: 'failure', succeeded: false }),
      d('v1'),
    ];
    assert.equal(makePlan(config(ROLLING), h).target.version, 'v1');
  });

  it('force: a to-version never deployed is deployed to the idle slot', () => {
    const h = [d('v2', { state: 'success', slot: 'green' }), d('v1', { slot: 'blue' })];
    refuses(
      () => makePlan(config({ ...BG, 'to-version': 'v0' }), h),
      'to-version',
      /never successfully deployed.*versions that were: v2, v1/,
    );
    const p = makePlan(config({ ...BG, 'to-version': 'v0', force: 'true' }), h);
    assert.equal(p.method, 'redeploy-and-switch');
    assert.equal(p.target.deployment, undefined);
  });

  it('an idle slot whose newest deployment was not read (older than the target) is redeployed, not trusted', () => {
    const h = [
      d('v2', { state: 'success', slot: 'green' }),
      d('v1', { slot: 'green' }),
      d('v1', { slot: 'blue', statusesRead: false, succeeded: false }),
    ];
    assert.equal(makePlan(config(BG), h).method, 'redeploy-and-switch');
  });

  it('a newer deploy that could not undo its traffic move is taken as current (GitHub still shows the older success)', () => {
    const h = [
      d('v3', {
        state: 'error',
        succeeded: false,
        slot: 'blue',
        description: `${STRANDED_PREFIX}v3: public health failed, and the ROLLBACK FAILED; environment needs a human`,
      }),
      d('v2', { state: 'success', slot: 'green' }),
      d('v1', { slot: 'blue' }),
    ];
    const p = makePlan(config(BG), h);
    assert.equal(p.current.version, 'v3');
    assert.equal(p.target.version, 'v2');
    assert.equal(p.method, 'switch-back', 'green still runs v2: traffic goes back there');
    assert.equal(p.slot, 'green');
    // A failure that never moved traffic (or was rolled back) leaves the last success as current.
    const moved = [
      d('v3', {
        state: 'failure',
        succeeded: false,
        slot: 'blue',
        description: 'v3: deploy failed; traffic never moved',
      }),
      ...h.slice(1),
    ];
    assert.equal(makePlan(config(BG), moved).current.version, 'v2');
  });

  it('canary without a switch-command moves traffic with the weight command', () => {
    const c = config({ ...BG, strategy: 'canary', 'switch-command': '', 'weight-command': './w.sh' });
    const p = makePlan(c, [d('v2', { state: 'success', slot: 'green' }), d('v1', { slot: 'blue' })]);
    assert.equal(p.method, 'switch-back');
  });

  it('reads statuses only down to the target', () => {
    const enough = enoughHistory(undefined);
    assert.equal(enough([d('v2', { state: 'success' })]), false);
    assert.equal(enough([d('v2', { state: 'success' }), d('v2')]), false);
    assert.equal(enough([d('v2', { state: 'success' }), d('v2'), d('v1')]), true);
    assert.equal(enoughHistory('v0')([d('v2', { state: 'success' }), d('v1')]), false);
  });
});

describe('incident issue', () => {
  it('escapes table cells, does not assign a bot', () => {
    const issue = incidentIssue(
      {
        status: 'success',
        mode: 'apply',
        environment: 'production',
        version: 'v1',
        rolledBackVersion: 'v2',
        rolledBackDeploymentId: 7,
        method: 'rolling',
        strategy: 'rolling',
        steps: [],
        databaseRestored: false,
        reason: 'a | b\n::error::x',
        actor: 'renovate[bot]',
        cancelled: false,
        durationMs: 1,
        timeline: { requestedAt: '2026-12-01T00:00:00.000Z' },
        phases: [],
      },
      ['incident'],
    );
    assert.equal(issue.title, 'Rollback of production: v2 → v1');
    assert.deepEqual(issue.assignees, []);
    assert.match(issue.body, /\| by @renovate\[bot\]: a \\\| b ::error::x \|/);
  });
});

describe('rollback orchestrator', () => {
  const ctx = () => {
    const lines: string[] = [];
    return {
      lines,
      ctx: {
        clock: { now: () => performance.now(), date: () => new Date(), sleep: async () => {} },
        log: {
          info: (m: string) => lines.push(m),
          debug: () => {},
          warning: (m: string) => lines.push(m),
          error: (m: string) => lines.push(m),
          group: <T>(_t: string, fn: () => Promise<T>) => fn(),
        },
        secrets: new SecretRegistry(),
        signal: new AbortController().signal,
        repo: { actor: 'alice', runUrl: 'https://run' } as never,
        exec: (async () => ({
          exitCode: 3,
          signal: null,
          stdout: '',
          stderr: 'no',
          durationMs: 1,
          timedOut: false,
          aborted: false,
        })) as never,
      },
    };
  };
  const records = (h: HistoryEntry[]) => {
    const calls: string[] = [];
    const r: RollbackRecords = {
      history: async () => h,
      create: async () => (calls.push('create'), 999),
      setStatus: async (id, state) => void calls.push(`${id} ${state}`),
      incident: async (i) => (calls.push(`issue ${i.title}`), 'https://issue'),
    };
    return { r, calls };
  };
  const provider = (ops: string[]): Provider => ({
    name: 'fake',
    deploy: async (rel, slot) => void ops.push(`deploy ${rel.version} ${slot}`),
    switchTraffic: async (_rel, slot) => void ops.push(`switch ${slot}`),
    setWeight: async (_rel, slot, w) => void ops.push(`weight ${slot} ${w}`),
    rollback: async (rel) => void ops.push(`rollback to ${rel.previousVersion}`),
    canRollback: () => true,
    describe: (op) => `${op}-command`,
  });

  it('a failing stop-command: no restore, the version not switched, failure recorded, incident issue opened', async () => {
    const { ctx: c } = ctx();
    const { r, calls } = records([d('v2', { state: 'success', id: 2 }), d('v1', { id: 1 })]);
    const ops: string[] = [];
    let restored = false;
    const cfg: RollbackConfig = {
      ...config({
        ...ROLLING,
        'restore-database': 'true',
        'database-url': 'postgres://u@db/shop',
        confirm: 'shop',
        'backup-file': '/b',
        'stop-command': 'stop',
      }),
    };
    const rep = await rollback(cfg, c, {
      records: r,
      provider: provider(ops),
      restore: async () => {
        restored = true;
        throw new Error('unreachable');
      },
      waitHealthy: async () => 'ok',
    });
    assert.equal(rep.status, 'failure');
    assert.equal(rep.failure?.phase, 'stop writes');
    assert.equal(restored, false);
    assert.deepEqual(ops, []);
    assert.deepEqual(calls, [
      'create',
      '999 in_progress',
      '999 failure',
      'issue Rollback of production: v2 → v1',
    ]);
    assert.match(rep.needsHuman!, /The version was not switched: v2 is still serving/);
  });

  it('plan mode: reads only', async () => {
    const { ctx: c } = ctx();
    const { r, calls } = records([d('v2', { state: 'success' }), d('v1')]);
    const ops: string[] = [];
    const rep = await rollback({ ...config(ROLLING), mode: 'plan' }, c, {
      records: r,
      provider: provider(ops),
    });
    assert.equal(rep.status, 'planned');
    assert.deepEqual(calls, []);
    assert.deepEqual(ops, []);
    assert.deepEqual(rep.steps.slice(0, 1), [
      'run rollback-command with DEPLOY_PREVIOUS_VERSION=v1 (the version it puts back) and DEPLOY_VERSION=v2',
    ]);
  });
});
