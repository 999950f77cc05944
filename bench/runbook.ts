/**
 * `npm run bench runbook`: parse time of runbook files of 10 KiB, 100 KiB and 1 MiB (many environments, each
 * with smoke checks, deploy, migrations and backup sections). Target: linear, 1 MiB under 200 ms. Prints only.
 */
import { parseRunbook } from '../src/core/runbook.js';
import { median, ms, printTable } from './lib.js';

/** One environment's section of about 1 KiB. */
function environment(i: number): string {
  return `  env-${i}:
    url: https://env-${i}.example.com
    smoke:
      checks:
        - name: health ${i}
          url: https://env-${i}.example.com/health
          expect: { status: 200, body-contains: ok, max-latency: 2s }
        - name: api ${i}
          url: https://env-${i}.example.com/api/v1/status?region=eu
          method: POST
          headers: { accept: application/json }
          body: { probe: true, n: ${i} }
          expect: { status: [200, 204], json: { status: ok } }
      timeout: 2m
      request-timeout: 10s
      monitor: 5m
      max-error-rate: 1%
    database: { url-from-env: DATABASE_URL_${i}, engine: postgres }
    deploy:
      strategy: canary
      command: ./deploy.sh "$DEPLOY_VERSION"
      weight-command: ./weight.sh "$DEPLOY_SLOT" "$DEPLOY_WEIGHT"
      canary-steps: [5, 25, 100]
      step-duration: 5m
      timeout: 5m
    migrations: { tool: sql, directory: db/migrations, lock-timeout: 10s }
    backup: { directory: backups, format: custom, verify: list, max-age: 1d }
`;
}

/** A runbook with one mapping of many keys (the shape that was quadratic in the yaml library's uniqueKeys). */
export function wideRunbookOfSize(bytes: number): string {
  let text = 'version: 1\nenvironments:\n';
  for (let i = 0; text.length < bytes; i++) text += `  env-${i}: { url: https://e${i}.example.com }\n`;
  return text;
}

/** A valid runbook file of about `bytes` bytes. */
export function runbookOfSize(bytes: number): string {
  let text = 'version: 1\nenvironments:\n';
  for (let i = 0; text.length < bytes; i++) text += environment(i);
  return text;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export function benchRunbook(): void {
  const rows: (string | number)[][] = [];
  parseRunbook(runbookOfSize(100 << 10), 'warm-up.yml');
  for (const [shape, make] of [
    ['environments', runbookOfSize],
    ['one wide map', wideRunbookOfSize],
  ] as const) {
    for (const [label, size] of [
      ['10 KiB', 10 << 10],
      ['100 KiB', 100 << 10],
      ['1 MiB', (1 << 20) - 2048],
    ] as const) {
      const text = make(size);
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let n = 0; n < 5; n++) {
        const t = performance.now();
        const c = cpuMs();
        parseRunbook(text, 'bench.yml');
        wall.push(performance.now() - t);
        cpu.push(cpuMs() - c);
      }
      const m = median(wall);
      rows.push([
        shape,
        label,
        text.length,
        ms(m),
        ms(median(cpu)),
        `${((m / text.length) * (1 << 20)).toFixed(0)} ms/MiB`,
        label === '1 MiB' ? (m < 200 ? 'yes' : 'NO') : '',
      ]);
    }
  }
  printTable(
    'Runbook parse (median of 5; target: linear, 1 MiB under 200 ms)',
    ['shape', 'file', 'bytes', 'wall', 'cpu', 'rate', '1 MiB < 200 ms'],
    rows,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) benchRunbook();
