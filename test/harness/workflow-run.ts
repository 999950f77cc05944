/**
 * Runs a reusable workflow (`on: workflow_call`) locally the way GitHub runs it, job by job, so the demo and the
 * tests rehearse the workflow file itself rather than a copy of its logic. nektos/act cannot run here (no
 * Docker), and what we need is narrower: our jobs run on ubuntu runners, their steps are `run:` scripts, our own
 * actions and three well-known actions. What it does, as GitHub does:
 *
 * - jobs in `needs` order; a job's `if:` evaluated with GitHub's own expression evaluator (@actions/expressions)
 *   over `inputs` (typed, defaults applied), `secrets`, `github`, `needs` (result and outputs), `vars`;
 *   without a status function the condition is `success() && (...)`;
 * - a job's `environment:` is evaluated and handed to `approve()` before the job starts: the required-reviewers
 *   gate (the demo records the reviewer's approval in the fake GitHub there);
 * - each job gets a fresh workspace and RUNNER_TEMP; its `env:` is evaluated once; each step's `if:` (implicit
 *   `success()`), `env:` and `with:` are evaluated with `steps`, `env`, `runner`, `job`;
 * - `run:` steps run with `bash -e` (GitHub's default shell), the step's env, and fresh GITHUB_OUTPUT /
 *   GITHUB_STEP_SUMMARY / GITHUB_ENV files; `$/actions/<name>` and `./actions/<name>` run our committed bundle
 *   through test/harness/run-action.ts (inputs checked against action.yml), and their `post:` entries run
 *   after the job's steps, in reverse order, when `post-if` holds;
 * - `actions/checkout` clones `repo` at `with.ref` (default github.sha); `actions/upload-artifact` and
 *   `actions/download-artifact` keep artifacts in a directory shared by the runs (`onArtifact` lets a caller
 *   show them in the fake GitHub's artifact list). Any other `uses:` is refused: the rehearsal says what it
 *   cannot run instead of pretending.
 * - job outputs, then the workflow's `on.workflow_call.outputs`, evaluated as GitHub does.
 * Not modelled: matrices, containers, services, `concurrency` (reported, not enforced), `continue-on-error`.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import YAML from 'yaml';
import {
  loadActionMetadata,
  parseFileCommands,
  processWorkflowCommands,
  ROOT,
  runAction,
  type ActionResult,
  type Annotation,
} from './run-action.js';

type Result = 'success' | 'failure' | 'skipped' | 'cancelled';

interface StepSpec {
  id?: string;
  name?: string;
  if?: string | boolean;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'timeout-minutes'?: number;
}
interface JobSpec {
  name?: string;
  needs?: string | string[];
  if?: string | boolean;
  'runs-on'?: string;
  'timeout-minutes'?: number;
  environment?: string | { name?: string; url?: string; deployment?: boolean };
  concurrency?: string | { group?: string; 'cancel-in-progress'?: unknown };
  permissions?: unknown;
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: StepSpec[];
}
interface WorkflowSpec {
  name?: string;
  on: {
    workflow_call?: {
      inputs?: Record<string, { type?: string; default?: unknown; required?: boolean }>;
      outputs?: Record<string, { value: string }>;
      secrets?: Record<string, unknown>;
    };
  };
  jobs: Record<string, JobSpec>;
}

export interface StepRun {
  id?: string;
  name: string;
  outcome: Result;
  outputs: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  /** What the step printed, as the runner shows it (masks applied). */
  log: string;
  /** The action's result, for `uses:` steps of our own actions. */
  action?: ActionResult;
}

export interface JobRun {
  id: string;
  name: string;
  result: Result;
  outputs: Record<string, string>;
  steps: StepRun[];
  /** The job summary: every step's GITHUB_STEP_SUMMARY, in order. */
  summary: string;
  /** The environment the job declared (evaluated), and the concurrency group. */
  environment?: string;
  concurrency?: string;
}

export interface WorkflowRun {
  jobs: Record<string, JobRun>;
  /** Jobs in the order they ran (or were skipped). */
  order: string[];
  outputs: Record<string, string>;
}

export interface WorkflowRunOptions {
  /** Path of the workflow, relative to the project root (e.g. `.github/workflows/release.yml`). */
  workflow: string;
  inputs: Record<string, string | boolean | number>;
  secrets?: Record<string, string>;
  /** A git repository: the caller's repository that `actions/checkout` clones. */
  repo: string;
  github: {
    repository: string;
    sha: string;
    ref: string;
    actor: string;
    runId: number;
    apiUrl: string;
    token: string;
    serverUrl?: string;
    eventName?: string;
    event?: Record<string, unknown>;
  };
  /** Environment of the runner machine for every step (what the team's commands need), on top of PATH/HOME. */
  env?: Record<string, string>;
  /** Where uploaded artifacts are kept (shared between runs); default a fresh directory. */
  artifacts?: string;
  /** The environment gate: called before a job that declares an environment starts. Throw to reject. */
  approve?: (gate: { job: string; environment: string }) => Promise<void> | void;
  onArtifact?: (a: { name: string; runId: number; files: string[]; retentionDays?: number }) => void;
  /** Called when a job finished or was skipped. */
  onJob?: (job: JobRun) => void;
  log?: (line: string) => void;
}

// ---- expressions ----

interface Status {
  success: boolean;
  failure: boolean;
}

function functionsFor(status: Status): Map<string, FunctionDefinition> {
  const fixed = (name: string, value: boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value),
  });
  return new Map([
    ['always', fixed('always', true)],
    ['success', fixed('success', status.success)],
    ['failure', fixed('failure', status.failure)],
    ['cancelled', fixed('cancelled', false)],
  ]);
}

function evaluate(
  expression: string,
  contexts: Record<string, unknown>,
  status: Status,
): data.ExpressionData {
  const lexed = new Lexer(expression).lex();
  const funcs = functionsFor(status);
  const expr = new Parser(lexed.tokens, Object.keys(contexts), [...funcs.values()]).parse();
  const ctx = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  return new Evaluator(expr, ctx, funcs).evaluate();
}

/** A value with `${{ }}` parts filled in, as the runner does for `with:`, `env:` and names. */
function interpolate(value: unknown, contexts: Record<string, unknown>, status: Status): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') return String(value);
  return value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, e: string) =>
    evaluate(e, contexts, status).coerceString(),
  );
}

/** An `if:` as GitHub runs it: `${{ }}` optional; without a status function, `success() && (...)`. */
function condition(
  cond: string | boolean | undefined,
  contexts: Record<string, unknown>,
  status: Status,
): boolean {
  if (cond === undefined) return status.success;
  if (typeof cond === 'boolean') return cond && status.success;
  const source = cond.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const withStatus = /\b(always|cancelled|success|failure)\s*\(\s*\)/.test(source)
    ? source
    : `success() && (${source})`;
  return truthy(evaluate(withStatus, contexts, status));
}

const needsOf = (j: JobSpec) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
const ownAction = (uses: string) => /^(?:\$|\.)\/actions\/([^@/]+)$/.exec(uses)?.[1];

/** The process environment a runner step starts from: the machine's, without our harness's variables. */
function machineEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(INPUT_|STATE_|GITHUB_|RUNNER_|ACTIONS_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export async function runWorkflow(o: WorkflowRunOptions): Promise<WorkflowRun> {
  const log = o.log ?? (() => {});
  const spec = YAML.parse(readFileSync(path.join(ROOT, o.workflow), 'utf8')) as WorkflowSpec;
  const call = spec.on.workflow_call;
  if (!call) throw new Error(`${o.workflow} is not a reusable workflow (no on.workflow_call)`);

  // Typed inputs with defaults, as the caller's `with:` would give them; unknown inputs are an error on GitHub.
  const inputs: Record<string, unknown> = {};
  for (const name of Object.keys(o.inputs))
    if (!call.inputs?.[name]) throw new Error(`${o.workflow} has no input "${name}"`);
  for (const [name, def] of Object.entries(call.inputs ?? {})) {
    const given = o.inputs[name];
    if (given === undefined && def.required) throw new Error(`${o.workflow}: input "${name}" is required`);
    const value = given ?? def.default ?? (def.type === 'boolean' ? false : def.type === 'number' ? 0 : '');
    inputs[name] =
      def.type === 'boolean'
        ? value === true || value === 'true'
        : def.type === 'number'
          ? Number(value)
          : String(value);
  }
  const secrets = { ...o.secrets };
  for (const name of Object.keys(secrets))
    if (!call.secrets?.[name]) throw new Error(`${o.workflow} has no secret "${name}"`);
  const masks = Object.values(secrets).filter((s) => s.length >= 4);
  const mask = (s: string) => masks.reduce((t, m) => t.split(m).join('***'), s);

  const artifacts = o.artifacts ?? mkdtempSync(path.join(tmpdir(), 'workflow-artifacts-'));
  const g = o.github;
  const github = {
    token: g.token,
    sha: g.sha,
    ref: g.ref,
    ref_name: g.ref.replace(/^refs\/(heads|tags)\//, ''),
    repository: g.repository,
    repository_owner: g.repository.split('/')[0],
    actor: g.actor,
    triggering_actor: g.actor,
    run_id: String(g.runId),
    run_number: '1',
    run_attempt: '1',
    event_name: g.eventName ?? 'workflow_dispatch',
    event: g.event ?? {},
    server_url: g.serverUrl ?? 'https://github.com',
    api_url: g.apiUrl,
    workflow: spec.name ?? o.workflow,
  };

  const run: WorkflowRun = { jobs: {}, order: [], outputs: {} };
  const pending = Object.keys(spec.jobs);
  while (pending.length) {
    const id = pending.find((j) => needsOf(spec.jobs[j]!).every((n) => run.jobs[n]));
    if (!id)
      throw new Error(`${o.workflow}: jobs ${pending.join(', ')} wait on each other or on a missing job`);
    pending.splice(pending.indexOf(id), 1);
    const job = spec.jobs[id]!;
    const needs = Object.fromEntries(
      needsOf(job).map((n) => [n, { result: run.jobs[n]!.result, outputs: run.jobs[n]!.outputs }]),
    );
    const needResults = Object.values(needs).map((n) => n.result);
    const jobStatus: Status = {
      success: needResults.every((r) => r === 'success'),
      failure: needResults.some((r) => r === 'failure'),
    };
    const base = { inputs, secrets, github, needs, vars: {} };
    const name = interpolate(job.name ?? id, base, jobStatus);
    const record: JobRun = { id, name, result: 'skipped', outputs: {}, steps: [], summary: '' };
    run.jobs[id] = record;
    run.order.push(id);
    if (!condition(job.if, base, jobStatus)) {
      log(`○ ${name}: skipped (its if: is false)`);
      o.onJob?.(record);
      continue;
    }
    if (job.environment !== undefined) {
      const envName = interpolate(
        typeof job.environment === 'string' ? job.environment : job.environment.name,
        base,
        jobStatus,
      );
      record.environment = envName;
      try {
        await o.approve?.({ job: id, environment: envName });
      } catch (e) {
        record.result = 'failure';
        log(
          `✗ ${name}: environment ${envName} was not approved: ${e instanceof Error ? e.message : String(e)}`,
        );
        o.onJob?.(record);
        continue;
      }
    }
    if (job.concurrency !== undefined)
      record.concurrency = interpolate(
        typeof job.concurrency === 'string' ? job.concurrency : job.concurrency.group,
        base,
        jobStatus,
      );
    log(`▶ ${name}${record.environment ? ` (environment ${record.environment})` : ''}`);
    await runJob(id, job, record, { ...o, log }, base, { artifacts, mask });
    log(`${record.result === 'success' ? '✓' : '✗'} ${name}: ${record.result}`);
    o.onJob?.(record);
  }

  const jobs = Object.fromEntries(
    Object.entries(run.jobs).map(([k, j]) => [k, { result: j.result, outputs: j.outputs }]),
  );
  for (const [name, out] of Object.entries(call.outputs ?? {}))
    run.outputs[name] = interpolate(
      out.value,
      { inputs, secrets, github, jobs, vars: {} },
      { success: true, failure: false },
    );
  return run;
}

async function runJob(
  id: string,
  job: JobSpec,
  record: JobRun,
  o: WorkflowRunOptions & { log: (s: string) => void },
  base: Record<string, unknown>,
  shared: { artifacts: string; mask: (s: string) => string },
): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), `job-${id}-`));
  const workspace = path.join(root, 'workspace');
  const temp = path.join(root, 'temp');
  mkdirSync(workspace);
  mkdirSync(temp);
  const runner = { temp, os: 'Linux', arch: 'X64', name: 'rehearsal', environment: 'self-hosted' };
  const timeoutMs = Math.min((job['timeout-minutes'] ?? 360) * 60_000, 10 * 60_000);
  const jobContext = { status: 'success' };
  const steps: Record<string, { outcome: string; conclusion: string; outputs: Record<string, string> }> = {};
  let failed = false;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(job.env ?? {}))
    env[k] = interpolate(v, { ...base, runner, job: jobContext }, { success: true, failure: false });

  const posts: { action: string; result: ActionResult; name: string; stepEnv: Record<string, string> }[] = [];
  const githubEnv = (jobName: string): Record<string, string> => {
    const gh = base.github as Record<string, string>;
    return {
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_REPOSITORY: gh.repository!,
      GITHUB_REPOSITORY_OWNER: gh.repository_owner!,
      GITHUB_SHA: gh.sha!,
      GITHUB_REF: gh.ref!,
      GITHUB_REF_NAME: gh.ref_name!,
      GITHUB_ACTOR: gh.actor!,
      GITHUB_TRIGGERING_ACTOR: gh.actor!,
      GITHUB_RUN_ID: gh.run_id!,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_RUN_NUMBER: '1',
      GITHUB_JOB: jobName,
      GITHUB_WORKFLOW: gh.workflow!,
      GITHUB_EVENT_NAME: gh.event_name!,
      GITHUB_SERVER_URL: gh.server_url!,
      GITHUB_API_URL: gh.api_url!,
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: temp,
      RUNNER_OS: 'Linux',
    };
  };

  for (const [index, step] of (job.steps ?? []).entries()) {
    const contexts = { ...base, steps, env: { ...env }, runner, job: jobContext };
    const status: Status = { success: !failed, failure: failed };
    const stepName = interpolate(
      step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${index + 1}`,
      contexts,
      status,
    );
    const stepRun: StepRun = {
      id: step.id,
      name: stepName,
      outcome: 'skipped',
      outputs: {},
      summary: '',
      annotations: [],
      log: '',
    };
    record.steps.push(stepRun);
    if (!condition(step.if, contexts, status)) {
      if (step.id) steps[step.id] = { outcome: 'skipped', conclusion: 'skipped', outputs: {} };
      o.log(`  ○ ${stepName} (skipped)`);
      continue;
    }
    const stepEnv: Record<string, string> = { ...env };
    for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = interpolate(v, contexts, status);
    const withs: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.with ?? {})) withs[k] = interpolate(v, contexts, status);
    try {
      if (step.run !== undefined) {
        const script = interpolate(step.run, contexts, status);
        Object.assign(
          stepRun,
          await runScript(
            script,
            { ...machineEnv(o.env), ...githubEnv(id), ...stepEnv },
            workspace,
            temp,
            timeoutMs,
          ),
        );
      } else if (step.uses && ownAction(step.uses)) {
        const action = ownAction(step.uses)!;
        const result = await runAction(action, {
          inputs: withs,
          token: o.github.token,
          workspace,
          runnerTemp: temp,
          timeoutMs,
          event: o.github.event ?? {},
          env: { ...githubEnv(id), GITHUB_ACTION: step.id ?? action, ...o.env, ...stepEnv },
        });
        Object.assign(stepRun, {
          action: result,
          outputs: result.outputs,
          summary: result.summary,
          annotations: result.annotations,
          log: result.log,
          outcome: result.exitCode === 0 ? 'success' : 'failure',
        });
        if (loadActionMetadata(action).runs.post) posts.push({ action, result, name: stepName, stepEnv });
      } else if (step.uses) {
        Object.assign(
          stepRun,
          await wellKnown(step.uses, withs, { o, workspace, artifacts: shared.artifacts }),
        );
      } else throw new Error('a step needs run: or uses:');
    } catch (e) {
      stepRun.outcome = 'failure';
      stepRun.log += `\n${e instanceof Error ? e.message : String(e)}`;
      stepRun.annotations.push({
        level: 'error',
        message: e instanceof Error ? e.message : String(e),
        properties: {},
      });
    }
    stepRun.log = shared.mask(stepRun.log);
    stepRun.summary = shared.mask(stepRun.summary);
    record.summary = joinSummaries(record.summary, stepRun.summary);
    if (step.id)
      steps[step.id] = { outcome: stepRun.outcome, conclusion: stepRun.outcome, outputs: stepRun.outputs };
    if (stepRun.outcome === 'failure') {
      failed = true;
      jobContext.status = 'failure';
    }
    o.log(`  ${stepRun.outcome === 'success' ? '✓' : '✗'} ${stepName}`);
    for (const a of stepRun.annotations)
      if (a.level !== 'notice') o.log(`    ${a.level}: ${shared.mask(a.message).split('\n')[0]}`);
  }

  // Post steps, last first, as the runner does; `post-if` defaults to always().
  for (const p of posts.reverse()) {
    const meta = loadActionMetadata(p.action);
    const postIf = meta.runs['post-if'] ?? 'always()';
    if (!condition(postIf, { ...base, env, runner, job: jobContext }, { success: !failed, failure: failed }))
      continue;
    const result = await runAction(p.action, {
      phase: 'post',
      state: p.result.state,
      token: o.github.token,
      workspace,
      runnerTemp: temp,
      timeoutMs,
      env: { ...githubEnv(id), ...o.env, ...p.stepEnv },
    });
    record.summary = joinSummaries(record.summary, shared.mask(result.summary));
    o.log(`  ${result.exitCode === 0 ? '✓' : '✗'} Post ${p.name}`);
  }

  record.result = failed ? 'failure' : 'success';
  const contexts = { ...base, steps, env, runner, job: jobContext };
  for (const [k, v] of Object.entries(job.outputs ?? {}))
    record.outputs[k] = interpolate(v, contexts, { success: !failed, failure: failed });
}

/** GitHub shows each step's summary as its own block: join them with a blank line. */
const joinSummaries = (a: string, b: string) => (a.trim() && b.trim() ? `${a.trimEnd()}\n\n${b}` : a + b);

/** A `run:` step: `bash -e {0}` (GitHub's default on Linux), its env, fresh file-command files. */
async function runScript(
  script: string,
  env: Record<string, string>,
  cwd: string,
  temp: string,
  timeoutMs: number,
): Promise<Partial<StepRun>> {
  const dir = mkdtempSync(path.join(temp, 'step-'));
  const files = {
    GITHUB_OUTPUT: 'output',
    GITHUB_STEP_SUMMARY: 'summary',
    GITHUB_ENV: 'env',
    GITHUB_PATH: 'path',
  };
  for (const [k, f] of Object.entries(files)) {
    writeFileSync(path.join(dir, f), '');
    env[k] = path.join(dir, f);
  }
  const file = path.join(dir, 'script.sh');
  writeFileSync(file, script);
  let stdout: string;
  let stderr: string;
  let outcome: Result = 'success';
  try {
    const r = await promisify(execFile)('bash', ['-e', file], {
      env,
      cwd,
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    stdout = r.stdout;
    stderr = r.stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    stdout = err.stdout ?? '';
    stderr = `${err.stderr ?? ''}\n(exit code ${err.code ?? '?'})`;
    outcome = 'failure';
  }
  const { log, annotations } = processWorkflowCommands(stdout);
  return {
    outcome,
    outputs: parseFileCommands(readFileSync(env.GITHUB_OUTPUT!, 'utf8')),
    summary: readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8'),
    annotations,
    log: `${log}${stderr.trim() ? `\n${stderr.trim()}` : ''}`,
  };
}

/** The third-party actions our workflows use, modelled on what they do. Anything else is refused. */
async function wellKnown(
  uses: string,
  withs: Record<string, string>,
  c: { o: WorkflowRunOptions; workspace: string; artifacts: string },
): Promise<Partial<StepRun>> {
  const [action] = uses.split('@');
  const git = (args: string[], cwd: string) => promisify(execFile)('git', args, { cwd, encoding: 'utf8' });
  switch (action) {
    case 'actions/checkout': {
      const ref = withs.ref || c.o.github.sha;
      await git(['clone', '-q', '--no-checkout', c.o.repo, '.'], c.workspace);
      await git(['checkout', '-q', '--detach', ref], c.workspace);
      const head = (await git(['rev-parse', 'HEAD'], c.workspace)).stdout.trim();
      return { outcome: 'success', log: `checked out ${head}` };
    }
    case 'actions/upload-artifact': {
      const name = withs.name ?? 'artifact';
      const dir = path.join(c.artifacts, String(c.o.github.runId), name);
      if (existsSync(dir))
        throw new Error(`upload-artifact: an artifact named ${name} already exists in this run`);
      const files = (withs.path ?? '')
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
      const found = files.filter((f) => existsSync(path.resolve(c.workspace, f)));
      if (!found.length && (withs['if-no-files-found'] ?? 'warn') === 'error')
        throw new Error(`upload-artifact: no files were found with the provided path: ${files.join(', ')}`);
      mkdirSync(dir, { recursive: true });
      for (const f of found) cpSync(path.resolve(c.workspace, f), path.join(dir, path.basename(f)));
      c.o.onArtifact?.({
        name,
        runId: c.o.github.runId,
        files: found.map((f) => path.basename(f)),
        retentionDays: withs['retention-days'] ? Number(withs['retention-days']) : undefined,
      });
      return {
        outcome: 'success',
        log: `uploaded ${name}: ${found.map((f) => path.basename(f)).join(', ')}`,
      };
    }
    case 'actions/download-artifact': {
      const name = withs.name ?? '';
      const dir = path.join(c.artifacts, String(c.o.github.runId), name);
      if (!name || !existsSync(dir)) throw new Error(`download-artifact: artifact not found: ${name}`);
      const to = path.resolve(c.workspace, withs.path || '.');
      mkdirSync(to, { recursive: true });
      cpSync(dir, to, { recursive: true });
      return { outcome: 'success', log: `downloaded ${name} to ${to}` };
    }
    default:
      throw new Error(`the local workflow runner cannot run ${uses}`);
  }
}
