/** Each bundle's size and cold start (spawn to first output) next to a bare `node -e 0` in the same run. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../test/harness/run-action.js';
import { median, ms, printTable } from './lib.js';

function timeToFirstOutput(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let first: number | undefined;
    const mark = () => (first ??= performance.now() - start);
    child.stdout.once('data', mark);
    child.stderr.once('data', mark);
    child.on('error', reject);
    child.on('close', () => resolve(first ?? performance.now() - start));
  });
}

export async function benchBundles(runs = 15): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-cold-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, RUNNER_TEMP: dir };
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH']) {
    const p = path.join(dir, f);
    writeFileSync(p, '');
    env[f] = p;
  }
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) bare.push(await timeToFirstOutput(['-e', 'console.log(0)'], env));
  const bareMedian = median(bare);
  const rows: (string | number)[][] = [['node -e (bare)', '–', ms(bareMedian), '–', '–']];
  const names = readdirSync(path.join(ROOT, 'dist')).filter((n) =>
    existsSync(path.join(ROOT, 'dist', n, 'index.js')),
  );
  for (const name of names) {
    const file = path.join(ROOT, 'dist', name, 'index.js');
    const times: number[] = [];
    // No inputs: every action answers at once with its configuration error, so this times start-up only.
    for (let i = 0; i < runs; i++) times.push(await timeToFirstOutput([file], env));
    const m = median(times);
    rows.push([
      `dist/${name}`,
      `${(statSync(file).size / 1024).toFixed(0)} KiB`,
      ms(m),
      `+${ms(m - bareMedian)}`,
      m - bareMedian <= 100 ? 'yes' : 'NO',
    ]);
  }
  printTable(
    `Cold start: spawn to first output, median of ${runs} (target: within 100 ms of bare node)`,
    ['bundle', 'size', 'cold start', 'vs bare node', 'within 100 ms'],
    rows,
  );
}
