/**
 * Everything an action's logic needs from the outside world, created once in `run()` and passed in, so the
 * logic never reaches for globals and tests can hand it a different clock, runner or client.
 */
import { systemClock, type Clock } from './clock.js';
import { createLogger, type Logger } from './log.js';
import { runProcess, type ProcessRunner } from './proc.js';
import { SecretRegistry } from './secrets.js';
import { runnerSink, type OutputSink } from './report.js';

export interface RepoContext {
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  actor: string;
  runId: string;
  runAttempt: string;
  serverUrl: string;
  apiUrl: string;
  workspace: string;
  runnerTemp: string;
  /** Link to this workflow run, for deployment statuses and records. */
  runUrl: string;
}

export interface RunContext {
  clock: Clock;
  log: Logger;
  exec: ProcessRunner;
  secrets: SecretRegistry;
  sink: OutputSink;
  repo: RepoContext;
  env: NodeJS.ProcessEnv;
  /** Aborts when the runner cancels the job (SIGINT, then SIGTERM). */
  signal: AbortSignal;
}

export function repoFromEnv(env: NodeJS.ProcessEnv): RepoContext {
  const [owner = '', repo = ''] = (env.GITHUB_REPOSITORY ?? '').split('/');
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const runId = env.GITHUB_RUN_ID ?? '';
  const runAttempt = env.GITHUB_RUN_ATTEMPT ?? '1';
  return {
    owner,
    repo,
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    actor: env.GITHUB_ACTOR ?? '',
    runId,
    runAttempt,
    serverUrl,
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    runnerTemp: env.RUNNER_TEMP ?? (env.TMPDIR || '/tmp'),
    runUrl:
      runId && owner ? `${serverUrl}/${owner}/${repo}/actions/runs/${runId}/attempts/${runAttempt}` : '',
  };
}

/** The real context, from the runner's environment. Installs the cancellation handlers. */
export function createContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const secrets = new SecretRegistry();
  const controller = new AbortController();
  const log = createLogger(secrets);
  const onSignal = (sig: NodeJS.Signals) => {
    if (!controller.signal.aborted)
      log.warning(`Received ${sig}: the job is being cancelled; stopping and cleaning up.`);
    controller.abort(new Error(`cancelled (${sig})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    clock: systemClock,
    log,
    exec: runProcess,
    secrets,
    sink: runnerSink(env),
    repo: repoFromEnv(env),
    env,
    signal: controller.signal,
  };
}
