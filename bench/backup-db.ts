/**
 * backup-db benchmark (plain and age-encrypted dumps): a PostgreSQL database of BENCH_DB_MB (default 200) MB over several tables, generated with
 * generate_series; backup-db next to raw pg_dump in the same run, as ratios; peak RSS of the action's node
 * process (VmHWM from /proc/<pid>/status, sampled while it runs). Prints a table; never asserts a time.
 *
 *   node --import tsx bench/backup-db.ts            # 200 MB
 *   BENCH_DB_MB=50 node --import tsx bench/backup-db.ts
 *   BENCH_KEEP_DB=1 …                               # keep (and reuse) the generated database
 *   BENCH_ROUNDS=5 …                                # interleaved rounds (default 3; medians are shown)
 *   BENCH_MYSQL_MB=100 …                            # also a MariaDB database of that size (default: skipped)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { mySql, pgSql } from '../test/harness/seeded-databases.js';
import { runAction } from '../test/harness/run-action.js';

const SIZE_MB = Number(process.env.BENCH_DB_MB ?? 200);
const DB = `bench_backup_${SIZE_MB}mb`;
const URL = `postgres://postgres@127.0.0.1:5432/${DB}`;
const PG_BIN = '/usr/lib/postgresql/15/bin';
const env = { ...process.env, PGHOST: '127.0.0.1', PGUSER: 'postgres', PGDATABASE: DB };

function dbSizeBytes(): number {
  return Number(pgSql('postgres', `SELECT pg_database_size('${DB}');`).trim());
}

function generate(): void {
  const exists = pgSql('postgres', `SELECT 1 FROM pg_database WHERE datname = '${DB}';`).trim() === '1';
  if (exists && process.env.BENCH_KEEP_DB) return;
  pgSql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE); CREATE DATABASE ${DB};`);
  // Roughly: events 55%, users 25%, blobs 20% of the target size (row sizes measured on PostgreSQL 15).
  const mb = SIZE_MB;
  pgSql(
    DB,
    `
    CREATE TABLE users (id bigint PRIMARY KEY, name text, email text, bio text, created timestamptz);
    CREATE TABLE events (id bigint PRIMARY KEY, user_id bigint, kind text, payload text, at timestamptz);
    CREATE TABLE blobs (id bigint PRIMARY KEY, body bytea);
    CREATE TABLE settings (k text PRIMARY KEY, v text);
    INSERT INTO users SELECT g, 'user ' || g, 'u' || g || '@example.com', repeat(md5(g::text), 3), now() - g * interval '1 min'
      FROM generate_series(1, ${Math.round(mb * 1100)}) g;
    INSERT INTO events SELECT g, g % ${Math.round(mb * 1100)} + 1, (ARRAY['view','click','buy'])[g % 3 + 1], md5(g::text) || md5((g * 7)::text), now() - g * interval '1 s'
      FROM generate_series(1, ${Math.round(mb * 4650)}) g;
    INSERT INTO blobs SELECT g, decode(repeat(md5(g::text), 16), 'hex') FROM generate_series(1, ${Math.round(mb * 280)}) g;
    INSERT INTO settings SELECT 'k' || g, 'v' || g FROM generate_series(1, 100) g;
    VACUUM ANALYZE;`,
  );
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** An age key pair (the real age-keygen) for the encrypted scenarios. */
function ageKeyPair(): { identity: string; recipient: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-age-'));
  const file = path.join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  const identity = readFileSync(file, 'utf8');
  const recipient = execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
  rmSync(dir, { recursive: true, force: true });
  return { identity, recipient };
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function duSize(p: string): number {
  return Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]) / 1e6;
}

interface Sample {
  seconds: number;
  sizeMB: number;
  rssMB?: number;
  /** The action's own phases (from its report): the dump, and the whole backup inside the process. */
  dumpSeconds?: number;
  innerSeconds?: number;
}

function rawDump(args: string[], out: string): Sample {
  rmSync(out, { recursive: true, force: true });
  const seconds = timed(() => {
    const r = spawnSync(`${PG_BIN}/pg_dump`, [...args, `--file=${out}`], { env, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`pg_dump ${args.join(' ')} exited with ${r.status}`);
  });
  const sizeMB = duSize(out);
  rmSync(out, { recursive: true, force: true });
  return { seconds, sizeMB };
}

async function action(inputs: Record<string, string | number>): Promise<Sample> {
  // 'database-url' in `inputs` overrides the PostgreSQL one.
  let peakKb = 0;
  let sampler: NodeJS.Timeout | undefined;
  const t = performance.now();
  const r = await runAction('backup-db', {
    inputs: { 'database-url': URL, ...inputs },
    timeoutMs: 30 * 60_000,
    onSpawn: (child) => {
      const read = () => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) peakKb = Math.max(peakKb, Number(m[1]));
        } catch {
          /* exited */
        }
      };
      sampler = setInterval(read, 50);
      child.on('exit', () => clearInterval(sampler));
    },
  });
  clearInterval(sampler);
  const seconds = (performance.now() - t) / 1000;
  if (r.exitCode !== 0) throw new Error(`backup-db failed:\n${r.log}\n${r.rawStderr}`);
  const rep = r.report as { dumpDurationMs: number; durationMs: number };
  const sizeMB = duSize(r.outputs.path!);
  rmSync(path.dirname(r.outputs.path!), { recursive: true, force: true });
  return {
    seconds,
    sizeMB,
    rssMB: peakKb / 1024,
    dumpSeconds: rep.dumpDurationMs / 1000,
    innerSeconds: rep.durationMs / 1000,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main(): Promise<void> {
  console.log(`Generating a ${SIZE_MB} MB database (${DB})…`);
  const genSeconds = timed(generate);
  const size = dbSizeBytes();
  console.log(
    `Database: ${(size / 1e6).toFixed(0)} MB on disk (generated in ${genSeconds.toFixed(1)} s); ${ROUNDS} interleaved rounds, medians shown.\n`,
  );

  const out = mkdtempSync(path.join(tmpdir(), 'bench-backup-'));
  const key = ageKeyPair();
  const encrypted = { 'encrypt-to': key.recipient, 'decrypt-identity': key.identity };
  const scenarios: { name: string; run: () => Promise<Sample> | Sample; rounds: number }[] = [
    { name: 'raw pg_dump -Fc', run: () => rawDump(['-Fc'], path.join(out, 'raw.dump')), rounds: ROUNDS },
    {
      name: 'backup-db custom, verify none',
      run: () => action({ format: 'custom', verify: 'none' }),
      rounds: ROUNDS,
    },
    {
      name: 'backup-db custom, encrypted, verify none',
      run: () => action({ format: 'custom', verify: 'none', ...encrypted }),
      rounds: ROUNDS,
    },
    {
      name: 'backup-db custom, verify list',
      run: () => action({ format: 'custom', verify: 'list' }),
      rounds: ROUNDS,
    },
    {
      name: 'raw pg_dump -Fd -j 2',
      run: () => rawDump(['-Fd', '-j', '2'], path.join(out, 'raw.dir')),
      rounds: ROUNDS,
    },
    {
      name: 'backup-db directory, jobs 2, verify none',
      run: () => action({ format: 'directory', jobs: 2, verify: 'none' }),
      rounds: ROUNDS,
    },
    {
      name: 'backup-db custom, verify restore',
      run: () => action({ format: 'custom', verify: 'restore' }),
      rounds: 1,
    },
    {
      name: 'backup-db custom, encrypted, verify restore',
      run: () => action({ format: 'custom', verify: 'restore', ...encrypted }),
      rounds: 1,
    },
  ];
  const samples = new Map<string, Sample[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const s of scenarios) if (round < s.rounds) samples.get(s.name)!.push(await s.run());
  rmSync(out, { recursive: true, force: true });

  const med = (name: string, k: keyof Sample) => {
    const xs = samples
      .get(name)!
      .map((x) => x[k])
      .filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  const rawFc = med('raw pg_dump -Fc', 'seconds')!;
  const rawFd = med('raw pg_dump -Fd -j 2', 'seconds')!;
  const header = [
    'Scenario',
    'Time (s)',
    'Ratio vs raw -Fc',
    'Dump phase (s)',
    'Dump (MB)',
    'Peak RSS of action (MB)',
  ];
  const body = scenarios.map(({ name }) => {
    const t = med(name, 'seconds')!;
    const ratio = name.includes('directory')
      ? `${(t / rawFc).toFixed(2)} (vs raw -Fd -j 2: ${(t / rawFd).toFixed(2)})`
      : (t / rawFc).toFixed(2);
    const dump = med(name, 'dumpSeconds');
    const rss = Math.max(...samples.get(name)!.map((x) => x.rssMB ?? 0));
    return [
      name,
      t.toFixed(2),
      ratio,
      dump === undefined ? '–' : dump.toFixed(2),
      med(name, 'sizeMB')!.toFixed(1),
      rss ? rss.toFixed(1) : '–',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const b of body) console.log(line(b));
  console.log(
    `\nMachine: ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end (other work on the machine skews the times; compare the ratios of one run).`,
  );
  console.log(
    '\nTime: wall clock of the whole step (node start, version checks, snapshot, dump, row counts, sha256, manifest, verification).' +
      '\nTargets: backup-db custom/verify none within 10% of raw pg_dump -Fc (ratio ≤ 1.10); encrypted (age, as the dump streams out) within 1.25x; peak RSS < 150 MB whatever the size.',
  );
  if (!process.env.BENCH_KEEP_DB) pgSql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE);`);
  const mysqlMb = Number(process.env.BENCH_MYSQL_MB ?? 0);
  if (mysqlMb > 0) await mysqlBench(mysqlMb);
}

/** MariaDB: the dump streams through the action (row counting, gzip): raw mariadb-dump | gzip next to it. */
async function mysqlBench(mb: number): Promise<void> {
  const db = `bench_backup_my_${mb}mb`;
  console.log(`\nGenerating a ${mb} MB MariaDB database (${db})…`);
  const gen = timed(() =>
    mySql(
      '',
      `DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
       CREATE TABLE events (id bigint PRIMARY KEY, kind varchar(10), payload varchar(100), at datetime) ENGINE=InnoDB;
       INSERT INTO events SELECT seq, ELT(seq % 3 + 1, 'view', 'click', 'buy'), CONCAT(MD5(seq), MD5(seq * 7)), NOW() - INTERVAL seq SECOND
         FROM seq_1_to_${Math.round(mb * 9000)};
       ANALYZE TABLE events;`,
    ),
  );
  const size = Number(
    mySql(
      '',
      `SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '${db}';`,
    ),
  );
  console.log(`Database: ${(size / 1e6).toFixed(0)} MB (generated in ${gen.toFixed(1)} s)`);
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'bench-my-')), 'raw.sql.gz');
  const raw = timed(() => {
    const r = spawnSync('bash', [
      '-c',
      'mariadb-dump -h 127.0.0.1 -u root --single-transaction "$1" | gzip -6 > "$2"',
      '_',
      db,
      out,
    ]);
    if (r.status !== 0) throw new Error(`raw mariadb-dump failed: ${r.stderr}`);
  });
  const rawMb = duSize(out);
  rmSync(path.dirname(out), { recursive: true, force: true });
  const a = await action({ 'database-url': `mysql://root@127.0.0.1:3306/${db}`, verify: 'none' });
  console.log(
    `| raw mariadb-dump, gzip -6 | ${raw.toFixed(2)} s | ${rawMb.toFixed(1)} MB |\n` +
      `| backup-db (count rows + gzip in the action), verify none | ${a.seconds.toFixed(2)} s (ratio ${(a.seconds / raw).toFixed(2)}) | ${a.sizeMB.toFixed(1)} MB | peak RSS ${a.rssMB!.toFixed(1)} MB |`,
  );
  mySql('', `DROP DATABASE IF EXISTS ${db};`);
}

await main();
