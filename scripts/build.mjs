// Bundle every action that has an actions/<name>/action.yml from src/<name>/index.ts into dist/<name>/, and
// its post step, when it has one, from src/<name>/post.ts into dist/<name>/post/ (action.yml `runs.post`).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const names = readdirSync(path.join(root, 'actions')).filter(
  (n) => existsSync(path.join(root, 'actions', n, 'action.yml')) && (!only.length || only.includes(n)),
);
for (const name of names) {
  const out = path.join(root, 'dist', name);
  rmSync(out, { recursive: true, force: true });
  const entries = [[`src/${name}/index.ts`, `dist/${name}`]];
  if (existsSync(path.join(root, 'src', name, 'post.ts')))
    entries.push([`src/${name}/post.ts`, `dist/${name}/post`]);
  for (const [entry, dir] of entries)
    execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
        'build',
        entry,
        '-o',
        dir,
        '--license',
        'licenses.txt',
        '--quiet',
      ],
      { cwd: root, stdio: 'inherit' },
    );
  console.log(`built dist/${name}`);
}
