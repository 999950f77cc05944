/**
 * rollback under steady load: nginx in front of two slots, a fixed request rate through it
 * (test/harness/load.ts), the fake GitHub with a seeded history, and the real action bundle.
 *   - blue-green with the old slot alive (switch back; rounds ping-pong between v1 and v2): failed requests
 *     (target 0), time from the step's start to traffic on the old version (the report's trafficRestoredMs, and
 *     the first answer of the old version to a request sent after the switch-command finished; target < 3 s
 *     including GitHub calls), and the whole step's time (with the incident issue);
 *   - rolling: the step's overhead on top of the rollback-command's own time (target < 2 s), with and without the
 *     incident issue.
 * Never asserts: `node --import tsx bench/rollback.ts [rounds] [rate]`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLoad } from '../test/harness/load.js';
import { CMD, report, setupRollback } from '../test/harness/rollback-env.js';

function table(headers: string[], rows: (string | number)[][]): void {
  const t = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...t.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of t) console.log(line(r));
}

/** "start <epoch ms>" / "done <epoch ms>" lines a command wrote. */
const marks = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string])
      .map(([k, v]) => [k, Number(v)]),
  ) as { start?: number; done?: number };

const marked = (cmd: string) =>
  `echo "start $(date +%s%3N)" > "$BENCH_MARKS"; ${cmd}; echo "done $(date +%s%3N)" >> "$BENCH_MARKS"`;

export async function benchRollback(rounds = 3, rate = 200): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-rollback-'));
  const rows: (string | number)[][] = [];
  const e = await setupRollback({
    versions: { blue: 'v1', green: 'v2' },
    live: 'green',
    history: [
      { version: 'v1', slot: 'blue' },
      { version: 'v2', slot: 'green' },
    ],
  });
  try {
    for (let round = 1; round <= rounds; round++) {
      const file = path.join(dir, `bg-${round}`);
      writeFileSync(file, '');
      const load = startLoad({ url: `${e.proxy.url}/version`, ratePerSecond: rate, maxMs: 60_000 });
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      const r = await e.run(
        {
          strategy: 'blue-green',
          command: CMD.deploy,
          'switch-command': marked(CMD.switch),
          slots: `{ blue: "${e.slots.health.blue}", green: "${e.slots.health.green}" }`,
          'health-url': `${e.proxy.url}/health`,
        },
        { env: { BENCH_MARKS: file } },
      );
      const stepMs = Date.now() - t0;
      await new Promise((res) => setTimeout(res, 300));
      const l = await load.stop();
      const rep = report(r);
      const m = marks(file);
      const firstOld = l.samples.find(
        (s) => m.done !== undefined && s.sentAt >= m.done && s.body === rep.version,
      );
      rows.push([
        `${rep.rolledBackVersion} → ${rep.version}`,
        r.outputs.status ?? `exit ${r.exitCode}`,
        l.total,
        l.failed,
        rep.trafficRestoredMs ?? '–',
        firstOld ? firstOld.at - t0 : '–',
        rep.durationMs,
        stepMs,
      ]);
    }
  } finally {
    await e.close();
  }
  console.log('\nrollback, blue-green with the old slot alive, under load\n');
  table(
    [
      'rollback',
      'result',
      'requests',
      'failed',
      'to traffic ms (step)',
      'to old version ms (spawn)',
      'step ms',
      'process ms',
    ],
    rows,
  );

  const rolling: (string | number)[][] = [];
  for (const incident of [false, true]) {
    const r2 = await setupRollback({
      versions: { blue: 'v2', green: 'v2' },
      history: [{ version: 'v1' }, { version: 'v2' }],
    });
    try {
      const file = path.join(dir, `rolling-${incident}`);
      writeFileSync(file, '');
      const t0 = Date.now();
      const r = await r2.run(
        {
          strategy: 'rolling',
          'rollback-command': marked(`sleep 1; ${CMD.rollbackAll}`),
          'health-url': `${r2.proxy.url}/health`,
          'incident-issue': String(incident),
        },
        { env: { BENCH_MARKS: file } },
      );
      const stepMs = Date.now() - t0;
      const m = marks(file);
      const commandMs = (m.done ?? 0) - (m.start ?? 0);
      rolling.push([
        incident ? 'with incident issue' : 'no incident issue',
        r.outputs.status ?? `exit ${r.exitCode}`,
        commandMs,
        report(r).durationMs,
        stepMs,
        stepMs - commandMs,
      ]);
    } finally {
      await r2.close();
    }
  }
  console.log('\nrollback, rolling (rollback-command sleeps 1 s)\n');
  table(['run', 'result', 'command ms', 'step ms', 'process ms', 'overhead ms'], rolling);
  console.log(
    '\nTargets: 0 failed requests; traffic on the old version < 3000 ms from the step start (GitHub calls included);' +
      ' rolling overhead < 2000 ms. GitHub write spacing (about 1 s between writes, 3 s before an issue) is real.',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await benchRollback(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 200));
