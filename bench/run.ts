/**
 * `npm run bench [name...]`: prints tables, never asserts a time. Default: all, in this order. The database and
 * deploy benches are scripts of their own (they take settings from env / argv: see each file's header).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { benchBundles } from './bundles.js';
import { benchPreflight } from './preflight-check.js';
import { benchRunbook } from './runbook.js';
import { benchSmokeTest } from './smoke-test.js';

const script = (name: string) => async () => {
  const file = path.join(import.meta.dirname, `${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench ${name} exited with ${r.status ?? r.signal}`);
};

const benches: Record<string, () => Promise<void>> = {
  bundles: () => benchBundles(),
  'smoke-test': () => benchSmokeTest(),
  'preflight-check': () => benchPreflight(),
  runbook: () => Promise.resolve(benchRunbook()),
  ...Object.fromEntries(
    ['backup-db', 'run-migrations', 'deploy', 'rollback', 'record-deployment']
      .filter((n) => existsSync(path.join(import.meta.dirname, `${n}.ts`)))
      .map((n) => [n, script(n)]),
  ),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) throw new Error(`unknown bench "${name}" (have: ${Object.keys(benches).join(', ')})`);
  await bench();
}
