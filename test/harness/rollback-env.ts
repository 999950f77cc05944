/** Set-up for rollback's integration tests: two slots behind nginx, the fake GitHub with a seeded history. */
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { runAction, type ActionResult, type RunOptions } from './run-action.js';
import { startProxy, type Proxy } from './proxy.js';
import { startSlots, type Slots, type SlotsOptions } from './slots.js';
import type { RollbackReport } from '../../src/rollback/rollback.js';

export { CMD, TOKEN, errorOf, waitFor } from './deploy-env.js';
import { TOKEN } from './deploy-env.js';

export interface SeededDeployment {
  version: string;
  slot?: string;
  /** Latest outcome: success (default), failure, in_progress. */
  outcome?: 'success' | 'failure' | 'in_progress' | 'error';
  strategy?: string;
  task?: string;
  backup?: Record<string, unknown>;
  /** The payload's `migrations` (what deploy records from run-migrations' report). */
  migrations?: Record<string, unknown>;
}

export interface RollbackEnv {
  slots: Slots;
  proxy: Proxy;
  fake: FakeGitHub;
  /** The seeded deployments' ids, oldest first. */
  seeded: number[];
  run(inputs: Record<string, string>, opts?: Partial<RunOptions>): Promise<ActionResult>;
  deployments(): { id: number; task: string; payload: Record<string, unknown>; states: string[] }[];
  statuses(id: number): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function setupRollback(
  o: SlotsOptions & { live?: string; history: SeededDeployment[] },
): Promise<RollbackEnv> {
  const slots = await startSlots(o);
  const proxy = await startProxy({ upstreams: slots.ports, live: o.live ?? 'blue' });
  const fake = await startFakeGitHub({ validate: true });
  const seeded: number[] = [];
  const base = Date.now() - 3 * 3600_000;
  o.history.forEach((d, i) => {
    const outcome = d.outcome ?? 'success';
    const created = fake.seed.deployment({
      owner: 'octo-org',
      repo: 'app',
      environment: 'production',
      task: d.task ?? 'deploy',
      // Each release its own commit ('1111…', '2222…'): a rollback deployment must point at its target's.
      sha: String(i + 1).repeat(40),
      created_at: new Date(base + i * 600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      payload: {
        version: d.version,
        strategy: d.strategy ?? (d.slot ? 'blue-green' : 'rolling'),
        provider: 'command',
        ...(d.slot ? { slot: d.slot } : {}),
        runUrl: `https://github.com/octo-org/app/actions/runs/${100 + i}`,
        ...(d.backup ? { backup: d.backup } : {}),
        ...(d.migrations ? { migrations: d.migrations } : {}),
      },
      statuses: outcome === 'in_progress' ? ['in_progress'] : ['in_progress', outcome],
    });
    seeded.push(Number(created.id));
  });
  return {
    slots,
    proxy,
    fake,
    seeded,
    run: (inputs, opts = {}) =>
      runAction('rollback', {
        token: TOKEN,
        timeoutMs: 90_000,
        ...opts,
        inputs: { environment: 'production', reason: 'checkout errors', ...inputs },
        env: {
          GITHUB_API_URL: fake.url,
          GITHUB_REPOSITORY: 'octo-org/app',
          GITHUB_ACTOR: 'oncall-alice',
          ...proxy.env,
          ...slots.env,
          ...opts.env,
        },
      }),
    deployments: () =>
      fake.state.deployments
        .filter((d) => d.environment === 'production')
        .map((d) => ({
          id: Number(d.id),
          task: String(d.task),
          payload: d.payload as Record<string, unknown>,
          states: (fake.state.statuses.get(Number(d.id)) ?? []).map((s) => String(s.state)),
        })),
    statuses: (id) => (fake.state.statuses.get(id) ?? []) as Record<string, unknown>[],
    close: async () => {
      await proxy.close();
      await slots.close();
      await fake.close();
    },
  };
}

export const report = (r: ActionResult) => r.report as RollbackReport;
