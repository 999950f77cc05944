/** deploy's pure logic with plain objects: inputs, canary steps, the orchestrator's decisions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { DeploymentState } from '../../src/core/github.js';
import type { MonitorResult } from '../../src/core/monitor.js';
import { SecretRegistry } from '../../src/core/secrets.js';
import { deploy, RefusedToStart, type DeployDeps } from '../../src/deploy/deploy.js';
import { inputSchema, parseCanarySteps, resolveConfig, type DeployConfig } from '../../src/deploy/inputs.js';
import { ProviderError, type Provider } from '../../src/shared/deployments/provider.js';
import { CommandProvider } from '../../src/shared/deployments/providers/command.js';
import type {
  DeploymentRecords,
  PreviousDeployment,
  RunningDeployment,
} from '../../src/shared/deployments/records.js';
import { failureMessage, summary } from '../../src/deploy/summary.js';

const parse = (raw: Record<string, string>) => inputSchema.parse({ runbook: '', token: 'ghs_x123', ...raw });
const ctxInfo = { workspace: '/ws', sha: 'abc123' };

describe('canary-steps', () => {
  it('accepts increasing whole percentages ending at 100', () => {
    assert.deepEqual(parseCanarySteps('5,25,100', 'x'), [5, 25, 100]);
    assert.deepEqual(parseCanarySteps(['10%', '100%'], 'x'), [10, 100]);
    assert.deepEqual(parseCanarySteps([100], 'x'), [100]);
  });
  for (const [value, message] of [
    ['5,25,25,100', /steps must increase, got 5,25,25,100 \(25 after 25\)/],
    ['5,25,50', /the last step must be 100/],
    ['0,100', /expected whole percentages from 1 to 100 such as 5,25,100, got "0"/],
    ['5,abc,100', /got "abc"/],
    ['5,2.5,100', /got "2\.5"/],
  ] as const) {
    it(`refuses ${value}`, () => {
      assert.throws(
        () => parseCanarySteps(value, 'Input "canary-steps"'),
        (e: Error) => {
          assert.ok(e instanceof ConfigurationError);
          assert.match(e.message, /^Input "canary-steps": /);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }
});

describe('resolveConfig', () => {
  it('applies defaults', () => {
    const c = resolveConfig(
      parse({
        environment: 'production',
        version: 'v2',
        command: './deploy.sh',
        'health-url': 'https://x.test/h',
      }),
      undefined,
      ctxInfo,
    );
    assert.equal(c.strategy, 'rolling');
    assert.equal(c.provider, 'command');
    assert.equal(c.ref, 'abc123');
    assert.equal(c.autoRollback, true);
    assert.equal(c.force, false);
    assert.equal(c.healthTimeoutMs, 300_000);
    assert.deepEqual(c.canarySteps, [5, 25, 100]);
    assert.equal(c.monitorIntervalMs, 10_000);
    assert.deepEqual(
      c.checks.map((k) => [k.name, k.url]),
      [['GET /h', 'https://x.test/h']],
    );
  });

  it('merges the runbook deploy section under the inputs, and uses the smoke checks for health', () => {
    const runbook = {
      file: '.github/runbook.yml',
      runbook: { version: 1 as const, environments: {} },
      environment: {
        url: 'https://shop.test',
        smoke: { checks: [{ url: 'https://shop.test/health', name: 'health' }] },
        deploy: {
          strategy: 'canary' as const,
          command: 'deploy it',
          'weight-command': 'weigh it',
          'canary-steps': [10, 100],
          'step-duration': 60_000,
          'max-error-rate': 0.02,
        },
      },
    };
    const c = resolveConfig(
      parse({ environment: 'production', version: 'v2', 'step-duration': '30s' }),
      runbook as never,
      ctxInfo,
    );
    assert.equal(c.strategy, 'canary');
    assert.equal(c.commands.weight, 'weigh it');
    assert.deepEqual(c.canarySteps, [10, 100]);
    assert.equal(c.stepDurationMs, 30_000, 'input wins');
    assert.equal(c.monitorIntervalMs, 6_000, 'a fifth of the step');
    assert.equal(c.maxErrorRate, 0.02);
    assert.equal(c.environmentUrl, 'https://shop.test');
    assert.deepEqual(
      c.checks.map((k) => k.name),
      ['health'],
    );
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['no environment', { version: 'v1', command: 'x' }, /Input "environment" is required/],
    ['no command', { environment: 'p', version: 'v1' }, /Input "command" is required/],
    [
      'blue-green, no slots',
      { environment: 'p', version: 'v1', command: 'x', strategy: 'blue-green', 'switch-command': 's' },
      /Input "slots" is required/,
    ],
    [
      'canary, no weight-command',
      { environment: 'p', version: 'v1', command: 'x', strategy: 'canary' },
      /Input "weight-command" is required/,
    ],
    [
      'canary, nothing to monitor',
      { environment: 'p', version: 'v1', command: 'x', strategy: 'canary', 'weight-command': 'w' },
      /Input "health-url" is required: canary monitors/,
    ],
    [
      'rolling, no health',
      { environment: 'p', version: 'v1', command: 'x' },
      /Input "health-url" is required: rolling waits/,
    ],
  ];
  for (const [name, raw, message] of bad)
    it(`refuses: ${name}`, () => assert.throws(() => resolveConfig(parse(raw), undefined, ctxInfo), message));
});

describe('command provider', () => {
  it('gives the command its context in the environment, never in the script', () => {
    assert.deepEqual(
      CommandProvider.env(
        'weight',
        { environment: 'production', version: 'v2', previousVersion: 'v1' },
        { slot: 'green', weight: 25 },
      ),
      {
        DEPLOY_VERSION: 'v2',
        DEPLOY_PREVIOUS_VERSION: 'v1',
        DEPLOY_ENVIRONMENT: 'production',
        DEPLOY_SLOT: 'green',
        DEPLOY_WEIGHT: '25',
        DEPLOY_OPERATION: 'weight',
      },
    );
  });

  it('runs the user script through bash with the environment; a failure says which input and how', async () => {
    const calls: { command: string; args: readonly string[]; env?: Record<string, string | undefined> }[] =
      [];
    const p = new CommandProvider({ deploy: './ship.sh "$DEPLOY_VERSION"', switch: 'lb switch' }, '/ws', {
      exec: async (req) => {
        calls.push(req);
        return {
          exitCode: req.args.at(-1) === 'lb switch' ? 3 : 0,
          signal: null,
          stdout: '',
          stderr: 'lb: denied\n',
          durationMs: 1,
          timedOut: false,
          aborted: false,
        };
      },
      log: { info: () => {}, debug: () => {}, warning: () => {}, error: () => {}, group: (_t, f) => f() },
    });
    const release = { environment: 'production', version: 'v2; rm -rf /' };
    await p.deploy(release, 'green', { signal: new AbortController().signal, timeoutMs: 1000 });
    assert.equal(calls[0]!.command, 'bash');
    assert.deepEqual(
      calls[0]!.args.slice(-2),
      ['-c', './ship.sh "$DEPLOY_VERSION"'],
      'the script is exactly what the user wrote',
    );
    assert.equal(calls[0]!.env!.DEPLOY_VERSION, 'v2; rm -rf /');
    await assert.rejects(
      p.switchTraffic(release, 'blue', { signal: new AbortController().signal, timeoutMs: 1000 }),
      (e: Error) => {
        assert.ok(e instanceof ProviderError);
        assert.equal(e.message, 'switch-command `lb switch` exited with code 3; last output:\nlb: denied');
        return true;
      },
    );
    await assert.rejects(
      p.rollback(release, { signal: new AbortController().signal, timeoutMs: 1000 }),
      /no rollback-command is configured/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// The orchestrator with plain objects

interface World {
  ops: string[];
  statuses: [DeploymentState, string][];
  created: Record<string, unknown>[];
}

function world(
  o: {
    previous?: PreviousDeployment;
    running?: RunningDeployment[];
    fail?: Partial<Record<string, string>>;
    healthFails?: string[];
    monitorFails?: number[];
    onOp?: (op: string) => void;
  } = {},
) {
  const w: World = { ops: [], statuses: [], created: [] };
  const step = async (op: string) => {
    w.ops.push(op);
    o.onOp?.(op);
    const f = Object.entries(o.fail ?? {}).find(([k]) => op.startsWith(k));
    if (f) throw new ProviderError(f[1]!);
  };
  const provider: Provider = {
    name: 'plain',
    deploy: (r, slot) => step(`deploy ${r.version}${slot ? ` ${slot}` : ''}`),
    switchTraffic: (_r, slot) => step(`switch ${slot}`),
    setWeight: (_r, slot, weight) => step(`weight ${slot ?? ''} ${weight}`),
    rollback: (r) => step(`rollback ${r.previousVersion}`),
    canRollback: () => true,
    describe: (op) => `${op}-command \`${op}.sh\``,
  };
  const records: DeploymentRecords = {
    survey: async () => ({ previous: o.previous, running: o.running ?? [] }),
    create: async (_c, payload) => {
      w.created.push({ ...payload });
      return 77;
    },
    setStatus: async (_id, state, description) => {
      w.statuses.push([state, description]);
    },
  };
  const probes = {
    waitHealthy: async (what: string) => {
      w.ops.push(`health ${what}`);
      if (o.healthFails?.includes(what)) throw new Error(`${what} did not pass`);
      return 'ok';
    },
    monitor: async (what: string) => {
      w.ops.push(`monitor ${what}`);
      if (o.monitorFails?.some((n) => what === `step ${n}%`))
        throw new Error(`${what}: error rate 9% is over max-error-rate 1%`);
      return { samples: 10, failures: 0, errorRate: 0, passed: true } as MonitorResult;
    },
  };
  const deps: DeployDeps = { provider, records, probes };
  return { w, deps };
}

const quiet = {
  info: () => {},
  debug: () => {},
  warning: () => {},
  error: () => {},
  group: <T>(_t: string, f: () => Promise<T>) => f(),
};
const runCtx = (signal = new AbortController().signal) => ({
  clock: systemClock,
  log: quiet,
  secrets: new SecretRegistry(() => {}),
  signal,
  repo: { runUrl: 'https://github.com/o/r/actions/runs/1' } as never,
});

function config(strategy: DeployConfig['strategy'], extra: Partial<DeployConfig> = {}): DeployConfig {
  const check = (name: string) => ({
    name,
    url: `https://${name}.test/`,
    method: 'GET',
    headers: {},
    expect: {},
  });
  return {
    environment: 'production',
    version: 'v3',
    strategy,
    provider: 'command',
    commands: { deploy: 'd' },
    workingDirectory: '/ws',
    checks: [check('public')],
    slots:
      strategy === 'rolling'
        ? []
        : [
            { name: 'blue', check: check('blue') },
            { name: 'green', check: check('green') },
          ],
    canarySteps: [10, 50, 100],
    stepDurationMs: 1000,
    monitorIntervalMs: 100,
    maxErrorRate: 0.01,
    healthTimeoutMs: 1000,
    requestTimeoutMs: 1000,
    commandTimeoutMs: 1000,
    autoRollback: true,
    force: false,
    ref: 'abc',
    requiredContexts: [],
    token: 't',
    ...extra,
  };
}

describe('deploy orchestration', () => {
  it('blue-green: idle slot from the last success, payload with the new live slot, success status', async () => {
    const { w, deps } = world({ previous: { id: 5, version: 'v2', slot: 'green' } });
    const r = await deploy(config('blue-green'), runCtx(), deps);
    assert.equal(r.status, 'success');
    assert.equal(r.slot, 'blue');
    assert.deepEqual(w.ops, [
      'deploy v3 blue',
      'health the blue slot',
      'switch blue',
      'health the public checks',
    ]);
    assert.deepEqual(w.created[0], {
      version: 'v3',
      strategy: 'blue-green',
      provider: 'plain',
      slot: 'blue',
      previousVersion: 'v2',
      previousSlot: 'green',
      runUrl: 'https://github.com/o/r/actions/runs/1',
    });
    assert.deepEqual(
      w.statuses.map(([s]) => s),
      ['in_progress', 'success'],
    );
  });

  it('blue-green: public checks fail after the switch -> switch back, failure, rolled-back', async () => {
    const { w, deps } = world({
      previous: { id: 5, version: 'v2', slot: 'blue' },
      healthFails: ['the public checks'],
    });
    const r = await deploy(config('blue-green'), runCtx(), deps);
    assert.equal(r.status, 'rolled-back');
    assert.equal(r.slot, 'blue');
    assert.deepEqual(w.ops.slice(-2), ['health the public checks', 'switch blue']);
    assert.deepEqual(w.statuses.at(-1), [
      'failure',
      'v3: public health failed; rolled back: switched traffic back to blue',
    ]);
    assert.match(failureMessage(r), /Rolled back: switched traffic back to blue\. v2 is serving\./);
  });

  it('blue-green: auto-rollback false leaves traffic where it is and says so', async () => {
    const { w, deps } = world({
      previous: { id: 5, version: 'v2', slot: 'blue' },
      healthFails: ['the public checks'],
    });
    const r = await deploy(config('blue-green', { autoRollback: false }), runCtx(), deps);
    assert.equal(r.status, 'failure');
    assert.ok(!w.ops.includes('switch blue'));
    assert.match(r.needsHuman!, /it was not rolled back: auto-rollback is false/);
    assert.match(r.needsHuman!, /To go back, run the switch-command `switch\.sh` with DEPLOY_SLOT=blue/);
    assert.equal(w.statuses.at(-1)![0], 'failure');
  });

  it('canary: weights in order; a breach sets the weight back to 0', async () => {
    const { w, deps } = world({ previous: { id: 5, version: 'v2', slot: 'blue' }, monitorFails: [50] });
    const r = await deploy(config('canary'), runCtx(), deps);
    assert.equal(r.status, 'rolled-back');
    assert.deepEqual(w.ops, [
      'deploy v3 green',
      'health the green slot',
      'weight green 10',
      'monitor step 10%',
      'weight green 50',
      'monitor step 50%',
      'weight green 0',
    ]);
    assert.equal(r.failure?.phase, 'monitor 50%');
  });

  it('rolling: failure runs the rollback with the previous version; its failure means error and a human', async () => {
    const { w, deps } = world({
      previous: { id: 5, version: 'v2' },
      healthFails: ['the public checks'],
      fail: { rollback: 'kubectl: refused' },
    });
    const r = await deploy(config('rolling'), runCtx(), deps);
    assert.equal(r.status, 'failure');
    assert.deepEqual(w.ops, ['deploy v3', 'health the public checks', 'rollback v2']);
    assert.equal(w.statuses.at(-1)![0], 'error');
    assert.match(
      r.needsHuman!,
      /^ENVIRONMENT production NEEDS A HUMAN: health failed after traffic had moved to v3, and the rollback failed: kubectl: refused\./,
    );
    assert.match(
      r.needsHuman!,
      /To go back, run rollback-command `rollback\.sh` with DEPLOY_PREVIOUS_VERSION=v2\./,
    );
    assert.match(summary(r).toMarkdown(), /needs a human/);
  });

  it('rolling first deploy: nothing to roll back to is a failure that needs a human, not a crash', async () => {
    const { w, deps } = world({ healthFails: ['the public checks'] });
    const r = await deploy(config('rolling'), runCtx(), deps);
    assert.equal(r.status, 'failure');
    assert.ok(!w.ops.some((o) => o.startsWith('rollback')));
    assert.match(r.needsHuman!, /there is no earlier successful deployment of this environment to put back/);
  });

  it('refuses to start while another deployment runs; force goes ahead', async () => {
    const running = [
      {
        id: 9,
        ref: 'main',
        version: 'v9',
        state: 'in_progress',
        createdAt: '2026-01-01T00:00:00Z',
        creator: 'octocat',
      },
    ];
    const a = world({ running });
    await assert.rejects(deploy(config('rolling'), runCtx(), a.deps), (e: Error) => {
      assert.ok(e instanceof RefusedToStart);
      assert.match(e.message, /#9 \(v9, in_progress, created 2026-01-01T00:00:00Z by octocat\)/);
      return true;
    });
    assert.deepEqual(a.w.created, []);
    const b = world({ running });
    const r = await deploy(config('rolling', { force: true }), runCtx(), b.deps);
    assert.equal(r.status, 'success');
  });

  it('cancelled after the switch: undoes with its own time budget, status error', async () => {
    const ac = new AbortController();
    const { w, deps } = world({
      previous: { id: 5, version: 'v2', slot: 'blue' },
      onOp: (op) => {
        if (op === 'switch green') ac.abort(new Error('cancelled (SIGINT)'));
      },
    });
    const r = await deploy(config('blue-green'), runCtx(ac.signal), deps);
    assert.equal(r.cancelled, true);
    assert.equal(r.status, 'rolled-back');
    assert.deepEqual(w.ops, ['deploy v3 green', 'health the green slot', 'switch green', 'switch blue']);
    assert.equal(r.phases.find((p) => p.name === 'switch to green')?.outcome, 'cancelled');
    assert.equal(r.phases.at(-1)?.outcome, 'ok');
    assert.deepEqual(w.statuses.at(-1), [
      'error',
      'v3: cancelled during switch to green; rolled back: switched traffic back to blue',
    ]);
  });

  it('cancelled before traffic moved: nothing to undo, status error', async () => {
    const ac = new AbortController();
    const { w, deps } = world({ onOp: (op) => op.startsWith('deploy') && ac.abort() });
    const r = await deploy(config('blue-green'), runCtx(ac.signal), deps);
    assert.equal(r.status, 'failure');
    assert.deepEqual(w.ops, ['deploy v3 green']);
    assert.equal(w.statuses.at(-1)![0], 'error');
    assert.equal(r.rollback?.needed, false);
  });
});

describe('action.yml contract', () => {
  it('every action.yml input has a schema key and the reverse; outputs match what deploy writes', async () => {
    const { loadActionMetadata } = await import('../harness/run-action.js');
    const meta = loadActionMetadata('deploy');
    assert.deepEqual(Object.keys(meta.inputs ?? {}).sort(), Object.keys(inputSchema.shape).sort());
    for (const [name, spec] of Object.entries(meta.inputs ?? {}))
      if (name !== 'token')
        assert.equal(spec.default, undefined, `${name}: no default (the runbook may supply it)`);
    const { outputs } = await import('../../src/deploy/summary.js');
    const { w: _w, deps } = world();
    const r = await deploy(config('rolling'), runCtx(), deps);
    assert.deepEqual([...Object.keys(outputs(r)), 'report'].sort(), Object.keys(meta.outputs ?? {}).sort());
    assert.equal(meta.runs.post, '../../dist/deploy/post/index.js');
  });
});

describe('cancel while the deployment is being created', () => {
  it('still closes the deployment (error) instead of leaving it pending for the next deploy to trip over', async () => {
    const ac = new AbortController();
    const { w, deps } = world();
    const create = deps.records.create;
    deps.records.create = async (c, p) => {
      ac.abort();
      return create(c, p);
    };
    const r = await deploy(config('blue-green'), runCtx(ac.signal), deps);
    assert.equal(r.deploymentId, 77);
    assert.deepEqual(w.ops, []);
    assert.deepEqual(
      w.statuses.map(([s]) => s),
      ['in_progress', 'error'],
    );
  });
});
