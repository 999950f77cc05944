/** Shared set-up for the deploy integration tests: slots, nginx proxy, fake GitHub, the commands. */
import { startFakeGitHub, type FakeGitHub } from '../fake-github/server.js';
import { runAction, type ActionResult, type RunOptions } from './run-action.js';
import { PROXY_CTL, startProxy, type Proxy } from './proxy.js';
import { APP_CTL, startSlots, type Slots, type SlotsOptions } from './slots.js';
import type { DeployReport } from '../../src/deploy/deploy.js';

export const POST_DEPLOYMENT = 'POST /repos/{owner}/{repo}/deployments';
export const POST_STATUS = 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
export const TOKEN = 'ghs_deployTestToken0123456789abcdef';

/** The commands a team would write; the tests' own strings, with paths the tests know. */
export const CMD = {
  deploy: `node ${APP_CTL} deploy "$DEPLOY_SLOT" "$DEPLOY_VERSION"`,
  deployAll: `node ${APP_CTL} deploy '*' "$DEPLOY_VERSION"`,
  rollbackAll: `node ${APP_CTL} rollback '*' "$DEPLOY_PREVIOUS_VERSION"`,
  switch: `node ${PROXY_CTL} switch "$DEPLOY_SLOT"`,
  weight: `node ${PROXY_CTL} weight "$DEPLOY_SLOT" "$DEPLOY_WEIGHT"`,
};

export interface Env {
  slots: Slots;
  proxy: Proxy;
  fake: FakeGitHub;
  run(inputs: Record<string, string>, opts?: Partial<RunOptions>): Promise<ActionResult>;
  /** The fake's deployments of `environment`, oldest first, with their statuses' states. */
  deployments(environment?: string): { id: number; payload: Record<string, unknown>; states: string[] }[];
  statuses(id: number): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function setup(o: SlotsOptions & { live?: string } = {}): Promise<Env> {
  const slots = await startSlots(o);
  const proxy = await startProxy({ upstreams: slots.ports, live: o.live ?? 'blue' });
  const fake = await startFakeGitHub({ validate: true });
  return {
    slots,
    proxy,
    fake,
    run: (inputs, opts = {}) =>
      runAction('deploy', {
        token: TOKEN,
        timeoutMs: 90_000,
        ...opts,
        inputs: { environment: 'production', ...inputs },
        env: {
          GITHUB_API_URL: fake.url,
          GITHUB_REPOSITORY: 'octo-org/app',
          ...proxy.env,
          ...slots.env,
          ...opts.env,
        },
      }),
    deployments: (environment = 'production') =>
      fake.state.deployments
        .filter((d) => d.environment === environment || d.original_environment === environment)
        .map((d) => ({
          id: Number(d.id),
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

export const report = (r: ActionResult) => r.report as DeployReport;
/** The step's error (the last error annotation: what setFailed wrote). */
export const errorOf = (r: ActionResult) =>
  r.annotations.filter((a) => a.level === 'error').at(-1)?.message ?? '';

/** Wait (bounded) until `cond` holds, saying what it waited for when it does not. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
