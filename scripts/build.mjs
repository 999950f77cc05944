// Bundle every action that has an actions/<name>/action.yml from src/<name>/index.ts into dist/<name>/, and its
// post step (src/<name>/post.ts, if any) into dist/<name>/post/. Bundles are built two at a time.
// Each output folder gets a licenses.txt for every package in any of its chunks (ncc's own --license keeps only
// the last chunk's when a bundle is split, e.g. run-migrations' driver chunks, so we write it from ncc's stats).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const names = readdirSync(path.join(root, 'actions')).filter(
  (n) => existsSync(path.join(root, 'actions', n, 'action.yml')) && (!only.length || only.includes(n)),
);

const ncc = path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js');
async function build({ entry, out }) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'ncc-stats-'));
  const stats = path.join(tmp, 'stats.json');
  try {
    await run(process.execPath, [ncc, 'build', entry, '-o', out, '--stats-out', stats, '--quiet'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    writeFileSync(path.join(root, out, 'licenses.txt'), licenses(JSON.parse(readFileSync(stats, 'utf8'))));
  } catch (e) {
    process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
    throw new Error(`ncc failed to bundle ${entry}`, { cause: e });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`built ${out}`);
}

/** The package folders (./node_modules/.../<pkg>) of every module that webpack emitted into some chunk. */
function bundledPackages(stats) {
  const dirs = new Set();
  const walk = (modules, emitted) => {
    for (const m of modules ?? []) {
      const inChunk = emitted || (m.chunks?.length ?? 0) > 0;
      const found = inChunk && /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(m.name ?? '');
      if (found) dirs.add(found[1]);
      walk(m.modules, inChunk);
    }
  };
  walk(stats.modules, false);
  return [...dirs];
}

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i;

/** ncc's licenses.txt format: name, license id, the license file's text, a blank line; sorted by name. */
function licenses(stats) {
  const entries = bundledPackages(stats).map((dir) => {
    const abs = path.join(root, dir);
    const pkg = JSON.parse(readFileSync(path.join(abs, 'package.json'), 'utf8'));
    const file = readdirSync(abs).find((f) => LICENSE_FILE.test(f));
    const text = file
      ? readFileSync(path.join(abs, file), 'utf8').trim()
      : '(the package ships no license file)';
    const id = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    return { name: pkg.name, body: `${pkg.name}\n${id}\n${text}\n` };
  });
  const unique = new Map(entries.map((e) => [e.name, e]));
  return [...unique.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => e.body)
    .join('\n');
}

/** An action's main bundle first, then its post bundle inside it (ncc empties its output folder). */
async function buildAction(name) {
  rmSync(path.join(root, 'dist', name), { recursive: true, force: true });
  await build({ entry: `src/${name}/index.ts`, out: `dist/${name}` });
  if (existsSync(path.join(root, 'src', name, 'post.ts')))
    await build({ entry: `src/${name}/post.ts`, out: `dist/${name}/post` });
}

const queue = [...names];
await Promise.all(
  Array.from({ length: 2 }, async () => {
    while (queue.length) await buildAction(queue.shift());
  }),
);
