/** Shared set-up for preflight-check tests: a config from inputs, a run context with a fixed clock, a client. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import { createOctokit } from '../../src/core/github.js';
import type { RawInputs } from '../../src/core/inputs.js';
import { runProcess } from '../../src/core/proc.js';
import { SecretRegistry } from '../../src/core/secrets.js';
import type { GateContext } from '../../src/preflight-check/gates/types.js';
import { PreflightGitHub } from '../../src/preflight-check/github.js';
import {
  getInputs,
  inputSchema,
  resolveConfig,
  type PreflightConfig,
} from '../../src/preflight-check/inputs.js';
import { preflight, type PreflightReport } from '../../src/preflight-check/preflight.js';
import type { FakeGitHub } from '../fake-github/server.js';

export const PREFLIGHT_TOKEN = 'ghs_preflightToken0123456789abcdef';
const quiet = { debug: () => {}, info: () => {}, warning: () => {}, error: () => {} };

/** Raw inputs as the runner gives them: every input present, '' when not given. */
export function rawInputs(given: Record<string, string>): RawInputs {
  return {
    ...Object.fromEntries(Object.keys(inputSchema.shape).map((k) => [k, ''])),
    token: PREFLIGHT_TOKEN,
    ...given,
  };
}

export function configOf(given: Record<string, string>, sha: string): PreflightConfig {
  const config = resolveConfig(getInputs(rawInputs({ environment: 'production', ...given })), undefined, {
    workspace: process.cwd(),
    sha,
    ref: 'refs/heads/main',
  });
  config.ci.pollMs = 50;
  return config;
}

export interface TestContext {
  ctx: GateContext;
  lines: string[];
  secrets: SecretRegistry;
}

export function contextOf(
  o: {
    now?: number;
    actor?: string;
    runId?: string;
    env?: NodeJS.ProcessEnv;
    repo?: string;
    workspace?: string;
  } = {},
): TestContext {
  const lines: string[] = [];
  const secrets = new SecretRegistry(() => {});
  const fixed = o.now;
  const log = {
    info: (m: string) => lines.push(secrets.redact(m)),
    debug: () => {},
    warning: (m: string) => lines.push(secrets.redact(m)),
    error: (m: string) => lines.push(secrets.redact(m)),
    group: <T>(_t: string, fn: () => Promise<T>) => fn(),
  };
  const runnerTemp = mkdtempSync(path.join(tmpdir(), 'preflight-'));
  return {
    lines,
    secrets,
    ctx: {
      clock: { ...systemClock, date: () => new Date(fixed ?? Date.now()) },
      log,
      secrets,
      env: o.env ?? { PATH: process.env.PATH },
      exec: runProcess,
      signal: new AbortController().signal,
      repo: {
        owner: 'octo-org',
        repo: o.repo ?? 'app',
        sha: '',
        ref: 'refs/heads/main',
        actor: o.actor ?? 'alice',
        runId: o.runId ?? '4242',
        runAttempt: '1',
        serverUrl: 'https://github.com',
        apiUrl: '',
        workspace: o.workspace ?? runnerTemp,
        runnerTemp,
        runUrl: `https://github.com/octo-org/${o.repo ?? 'app'}/actions/runs/${o.runId ?? '4242'}/attempts/1`,
      },
    },
  };
}

export function githubOf(fake: FakeGitHub, repo = 'app'): PreflightGitHub {
  const octokit = createOctokit({
    token: PREFLIGHT_TOKEN,
    baseUrl: fake.url,
    log: quiet,
    retryAfterBaseMs: 1,
  });
  return new PreflightGitHub(octokit, { owner: 'octo-org', repo });
}

/** Run the given gates in-process against the fake. */
export async function runGates(
  fake: FakeGitHub,
  given: Record<string, string>,
  o: {
    sha: string;
    repo?: string;
    now?: number;
    actor?: string;
    env?: NodeJS.ProcessEnv;
    workspace?: string;
  },
): Promise<{
  report: PreflightReport;
  lines: string[];
  gate: (n: string) => PreflightReport['gates'][number];
}> {
  const t = contextOf(o);
  const report = await preflight(configOf(given, o.sha), { gh: githubOf(fake, o.repo), ctx: t.ctx });
  return {
    report,
    lines: t.lines,
    gate: (n) => {
      const g = report.gates.find((x) => x.name === n);
      if (!g) throw new Error(`gate ${n} did not run (ran: ${report.gates.map((x) => x.name).join(', ')})`);
      return g;
    },
  };
}
