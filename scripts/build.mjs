// Bundle every action that has an actions/<name>/action.yml from src/<name>/index.ts into dist/<name>/, and its
// post step (src/<name>/post.ts, if any) into dist/<name>/post/. Bundles are built two at a time.
// Each output folder gets a licenses.txt for every package in any of its chunks (ncc's own --license keeps only
// the last chunk's when a bundle is split, e.g. run-migrations' driver chunks, so we write it from ncc's stats).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { licensesText, standInMisuse } from './bundle-stats.mjs';

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
    const info = JSON.parse(readFileSync(stats, 'utf8'));
    const misuse = standInMisuse(info);
    if (misuse.length) throw new Error(misuse.join('\n'));
    writeFileSync(path.join(root, out, 'licenses.txt'), licensesText(info, root));
  } catch (e) {
    process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
    throw new Error(`could not bundle ${entry}: ${e.message}`, { cause: e });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`built ${out}`);
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
