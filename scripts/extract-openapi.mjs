#!/usr/bin/env node
// Extracts the subset of GitHub's REST OpenAPI description that deploy-runbook
// uses into test/fixtures/github-openapi-subset.json.
//
// @octokit/openapi is ~385 MB unpacked, so it is never a dependency: the script
// `npm pack`s the pinned version into a temp dir and untars only the one file
// it needs. The output holds, per operation, the request body schema (POST) and
// the response schema per status code, plus every component schema they reach
// (stored once, referenced with local `$ref`s). Descriptions and examples are
// dropped; keys are sorted and no timestamp is written, so re-running with the
// same version yields a byte-identical file.
//
// Usage: node scripts/extract-openapi.mjs [version]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import console from 'node:console';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@octokit/openapi';
const VERSION = process.argv[2] ?? '23.0.2';
const SPEC_FILE = 'generated/api.github.com.json';
const OUT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'test',
  'fixtures',
  'github-openapi-subset.json',
);

const R = '/repos/{owner}/{repo}';
/** Operations we use, as "METHOD /path/template". */
export const OPERATIONS = [
  `POST ${R}/deployments`,
  `GET ${R}/deployments`,
  `GET ${R}/deployments/{deployment_id}`,
  `DELETE ${R}/deployments/{deployment_id}`,
  `POST ${R}/deployments/{deployment_id}/statuses`,
  `GET ${R}/deployments/{deployment_id}/statuses`,
  `GET ${R}/environments`,
  `GET ${R}/environments/{environment_name}`,
  `GET ${R}/commits/{ref}/check-runs`,
  `GET ${R}/commits/{ref}/status`,
  `GET ${R}/pulls`,
  `GET ${R}/commits/{commit_sha}/pulls`,
  `GET ${R}/pulls/{pull_number}/reviews`,
  `POST ${R}/issues`,
  `POST ${R}/issues/{issue_number}/comments`,
  `GET ${R}/actions/runs/{run_id}/approvals`,
  `GET ${R}/actions/runs/{run_id}/pending_deployments`,
  `GET ${R}/compare/{basehead}`,
  `GET ${R}/actions/artifacts`,
  `GET ${R}/git/matching-refs/{ref}`,
  `GET ${R}/git/tags/{tag_sha}`,
  `GET ${R}/code-scanning/alerts`,
  `GET ${R}/dependabot/alerts`,
  `GET ${R}/issues/{issue_number}`,
  `GET ${R}/labels`,
  `POST ${R}/labels`,
  // record-deployment: durable records branch, tags
  `GET ${R}/contents/{path}`,
  `PUT ${R}/contents/{path}`,
  `GET ${R}/git/ref/{ref}`,
  `POST ${R}/git/refs`,
  `POST ${R}/git/trees`,
  `POST ${R}/git/commits`,
];

/** Schema keywords that carry no validation meaning and only cost bytes. */
const DROP = new Set([
  'description',
  'example',
  'examples',
  'externalDocs',
  'summary',
  'title',
  'deprecated',
  'readOnly',
  'writeOnly',
  'default',
]);

function loadSpec() {
  const dir = mkdtempSync(join(tmpdir(), 'octokit-openapi-'));
  try {
    const out = execFileSync(
      'npm',
      ['pack', `${PACKAGE}@${VERSION}`, '--silent', '--pack-destination', dir],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const tarball = join(dir, out.trim().split('\n').pop());
    execFileSync('tar', ['xzf', tarball, '-C', dir, `package/${SPEC_FILE}`, 'package/package.json']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8'));
    const spec = JSON.parse(readFileSync(join(dir, 'package', SPEC_FILE), 'utf8'));
    return { version: pkg.version, spec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pointer(spec, ref) {
  if (!ref.startsWith('#/')) throw new Error(`non-local $ref ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .reduce((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}

/**
 * Copies a schema, dropping documentation keywords. `$ref`s to component
 * schemas are kept and queued in `needed`; `$ref`s to anything else
 * (responses, request bodies) are inlined.
 */
function clean(spec, node, needed) {
  if (Array.isArray(node)) return node.map((n) => clean(spec, n, needed));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(node.$ref);
    if (m) {
      needed.add(m[1]);
      return { $ref: node.$ref };
    }
    return clean(spec, pointer(spec, node.$ref), needed);
  }
  const out = {};
  for (const key of Object.keys(node).sort()) {
    if (key.startsWith('x-')) continue;
    // `properties` maps names to schemas: a property may be called "description".
    if (key === 'properties') {
      out.properties = {};
      for (const name of Object.keys(node.properties).sort())
        out.properties[name] = clean(spec, node.properties[name], needed);
      continue;
    }
    if (DROP.has(key)) continue;
    out[key] = clean(spec, node[key], needed);
  }
  return out;
}

function jsonSchemaOf(spec, holder, needed) {
  const resolved = holder && typeof holder.$ref === 'string' ? pointer(spec, holder.$ref) : holder;
  const schema = resolved?.content?.['application/json']?.schema;
  return schema ? clean(spec, schema, needed) : null;
}

function extract(spec) {
  const needed = new Set();
  const operations = {};
  for (const op of OPERATIONS) {
    const [method, path] = op.split(' ');
    const def = spec.paths[path]?.[method.toLowerCase()];
    if (!def) throw new Error(`operation not in spec: ${op}`);
    const responses = {};
    for (const status of Object.keys(def.responses).sort())
      responses[status] = jsonSchemaOf(spec, def.responses[status], needed);
    operations[op] = {
      operationId: def.operationId,
      ...(def.requestBody ? { requestBody: jsonSchemaOf(spec, def.requestBody, needed) } : {}),
      responses,
    };
  }
  const schemas = {};
  const queue = [...needed];
  while (queue.length) {
    const name = queue.shift();
    if (name in schemas) continue;
    const before = new Set(needed);
    schemas[name] = clean(spec, spec.components.schemas[name], needed);
    for (const n of needed) if (!before.has(n)) queue.push(n);
  }
  const sorted = {};
  for (const name of Object.keys(schemas).sort()) sorted[name] = schemas[name];
  return { operations, components: { schemas: sorted } };
}

const { version, spec } = loadSpec();
const subset = {
  source: { package: PACKAGE, version, file: SPEC_FILE, openapi: spec.openapi },
  ...extract(spec),
};
const text = `${JSON.stringify(subset, null, 1)}\n`;
writeFileSync(OUT, text);
console.log(
  `wrote ${OUT}: ${Object.keys(subset.operations).length} operations, ${Object.keys(subset.components.schemas).length} component schemas, ${text.length} bytes`,
);
