/**
 * Benchmark: 500 trivial migrations applied by run-migrations (the dist bundle, run as the runner runs it)
 * versus the database's own client applying the same files in one session (psql / mariadb). Prints the ratio
 * and the overhead per migration (bookkeeping row, transaction, lock, checksum, timing). Never asserts.
 *
 *   node --import tsx bench/run-migrations.ts [count]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDb, type Engine } from '../test/harness/databases.js';
import { runAction } from '../test/harness/run-action.js';

const COUNT = Number(process.argv[2] ?? 500);

function workspace(): { ws: string; files: string[] } {
  const ws = mkdtempSync(path.join(tmpdir(), 'rm-bench-'));
  mkdirSync(path.join(ws, 'migrations'));
  const files: string[] = [];
  for (let i = 1; i <= COUNT; i++) {
    const f = path.join(ws, 'migrations', `${String(i).padStart(4, '0')}_t${i}.sql`);
    writeFileSync(f, `create table t${i} (id int primary key, note varchar(40));\n`);
    files.push(f);
  }
  return { ws, files };
}

/** The client applies every file in one session; connection details by environment, never argv. */
function clientRun(engine: Engine, dbName: string, files: string[]): number {
  const script = files.map((f) => (engine === 'postgres' ? `\\i ${f}` : `source ${f}`)).join('\n');
  const started = performance.now();
  const r =
    engine === 'postgres'
      ? spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], {
          input: script,
          env: {
            ...process.env,
            PGHOST: '127.0.0.1',
            PGPORT: '5432',
            PGUSER: 'postgres',
            PGDATABASE: dbName,
          },
          timeout: 300_000,
        })
      : spawnSync('mariadb', ['--protocol=tcp', '-h', '127.0.0.1', '-u', 'root', dbName], {
          input: script,
          env: { ...process.env, MYSQL_PWD: '' },
          timeout: 300_000,
        });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${engine} client failed: ${r.stderr?.toString() ?? r.error}`);
  return ms;
}

const rows: string[][] = [];
for (const engine of ['postgres', 'mysql'] as Engine[]) {
  const { ws, files } = workspace();
  const a = await createTestDb(engine, 'rmbench');
  const b = await createTestDb(engine, 'rmbench');
  try {
    const clientMs = clientRun(engine, a.name, files);
    const started = performance.now();
    const r = await runAction('run-migrations', {
      workspace: ws,
      inputs: { 'database-url': b.url, tool: 'sql' },
      timeoutMs: 600_000,
    });
    const wallMs = performance.now() - started;
    if (r.exitCode !== 0) throw new Error(`run-migrations failed:\n${r.log}`);
    const inActionMs = Number(r.outputs['duration-ms']);
    rows.push([
      engine === 'postgres' ? 'PostgreSQL 15' : 'MariaDB 10.11',
      String(COUNT),
      `${clientMs.toFixed(0)} ms`,
      `${inActionMs.toFixed(0)} ms`,
      `${wallMs.toFixed(0)} ms`,
      `${(inActionMs / clientMs).toFixed(2)}x`,
      `${((inActionMs - clientMs) / COUNT).toFixed(2)} ms`,
      `${((wallMs - clientMs) / COUNT).toFixed(2)} ms`,
    ]);
  } finally {
    await a.drop();
    await b.drop();
  }
}

const head = [
  'engine',
  'migrations',
  'client, one session',
  'run-migrations (in action)',
  'run-migrations (process wall)',
  'ratio (in action)',
  'overhead/migration',
  'overhead/migration incl. node start',
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(head));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
console.log(
  '\nclient = psql / mariadb applying the same files in one session (no bookkeeping, no transaction per file).',
);
console.log('target: under 5 ms per migration on top of the client.');
