/**
 * deploy under steady load: nginx in front of two slots, a fixed request rate through it (our own bounded
 * loop on keep-alive connections, test/harness/load.ts: it records the version of every answer, which a
 * generic load tool such as autocannon does not), and the real action bundle doing blue-green deploys of a
 * good version and of a broken one that it switches back automatically. Prints, per deploy:
 *   - failed requests (target 0) and reconnects (keep-alive connections nginx closed on reload, retried)
 *   - switch: from the switch decision (the switch-command starting) to the command confirming the proxy
 *     serves the new routing, and to the last answer from the old slot (all traffic moved; target < 1 s)
 *   - GitHub API calls of the deploy (target <= 6)
 * Never asserts: `node --import tsx bench/deploy.ts [rounds] [rate]`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CMD, setup } from '../test/harness/deploy-env.js';
import { startLoad, type LoadSample } from '../test/harness/load.js';

interface Row {
  deploy: string;
  result: string;
  requests: number;
  failed: number;
  reconnects: number;
  switches: string;
  confirmMs: string;
  cutoverMs: string;
  apiCalls: number;
  deployMs: number;
}

/** Switch marks the bench's switch-command writes: "start <slot> <epoch ms>" and "done <slot> <epoch ms>". */
function switches(file: string): { slot: string; start: number; done?: number }[] {
  const out: { slot: string; start: number; done?: number }[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [what, slot, at] = line.split(' ');
    if (what === 'start') out.push({ slot: slot!, start: Number(at) });
    else out.findLast((s) => s.slot === slot && s.done === undefined)!.done = Number(at);
  }
  return out;
}

/** From the switch decision to the last answer served by the slot traffic left (requests sent after it). */
function cutover(samples: LoadSample[], start: number, oldVersion: string, end: number): number {
  const late = samples.filter((s) => s.sentAt >= start && s.sentAt < end && s.body === oldVersion);
  return late.length ? Math.max(...late.map((s) => s.at)) - start : 0;
}

export async function benchDeploy(rounds = 3, rate = 200): Promise<void> {
  // A broken version is up (its slot answers /version) but unhealthy (/health 503) once it takes traffic.
  const e = await setup({ broken: Array.from({ length: rounds }, (_, i) => `broken-${i + 1}`) });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-deploy-'));
  const rows: Row[] = [];
  let live = 'v1';
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const good of [true, false]) {
        const version = good ? `v${round + 1}` : `broken-${round}`;
        const marks = path.join(dir, `marks-${round}-${good}`);
        writeFileSync(marks, '');
        const before = e.fake.count();
        const load = startLoad({ url: `${e.proxy.url}/version`, ratePerSecond: rate, maxMs: 60_000 });
        await new Promise((r) => setTimeout(r, 300));
        const t0 = Date.now();
        const r = await e.run(
          {
            version,
            strategy: 'blue-green',
            command: CMD.deploy,
            'switch-command': `echo "start $DEPLOY_SLOT $(date +%s%3N)" >> "$BENCH_MARKS"; ${CMD.switch}; echo "done $DEPLOY_SLOT $(date +%s%3N)" >> "$BENCH_MARKS"`,
            slots: `{ blue: "${e.slots.apps.blue!.url}/version", green: "${e.slots.apps.green!.url}/version" }`,
            'health-url': `${e.proxy.url}/health`,
            timeout: good ? '5s' : '1s',
          },
          { env: { BENCH_MARKS: marks } },
        );
        const deployMs = Date.now() - t0;
        await new Promise((res) => setTimeout(res, 300));
        const l = await load.stop();
        if (l.failures.length)
          console.log(`${version}: failed requests: ${l.failures.slice(0, 5).join('; ')}`);
        const sw = switches(marks);
        const olds = [live, version];
        const cut = sw.map((s, i) => cutover(l.samples, s.start, olds[i]!, sw[i + 1]?.start ?? Infinity));
        rows.push({
          deploy: `${version}${good ? '' : ' (unhealthy)'}`,
          result: r.outputs.status ?? `exit ${r.exitCode}`,
          requests: l.total,
          failed: l.failed,
          reconnects: l.reconnects,
          switches: sw.map((s) => s.slot).join(' → '),
          confirmMs: sw.map((s) => (s.done === undefined ? '–' : String(s.done - s.start))).join(' / '),
          cutoverMs: cut.join(' / '),
          apiCalls: e.fake.count() - before,
          deployMs,
        });
        if (good) live = version;
      }
    }
  } finally {
    await e.close();
  }
  console.log(`\ndeploy bench: blue-green through nginx at ${rate} req/s, ${rounds} round(s)\n`);
  const headers = [
    'deploy',
    'result',
    'requests',
    'failed',
    'reconnects',
    'switches',
    'confirm ms',
    'cut-over ms',
    'API calls',
    'deploy ms',
  ];
  const table = rows.map((r) =>
    [
      r.deploy,
      r.result,
      r.requests,
      r.failed,
      r.reconnects,
      r.switches,
      r.confirmMs,
      r.cutoverMs,
      r.apiCalls,
      r.deployMs,
    ].map(String),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(line(row));
  console.log(
    '\nconfirm ms: switch-command start to nginx serving the new routing with no old worker accepting connections.' +
      '\ncut-over ms: switch-command start to the last answer from the slot traffic left (requests in flight finish there).' +
      '\nTargets: 0 failed requests, cut-over < 1000 ms, <= 6 GitHub API calls per deploy.',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await benchDeploy(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 200));
