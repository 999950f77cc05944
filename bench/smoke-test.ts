/** smoke-test with 50 checks against a server answering in 100 ms: in parallel vs one after another. */
import { startHttpApp } from '../test/harness/http-app.js';
import { runAction } from '../test/harness/run-action.js';
import { ms, printTable } from './lib.js';

export async function benchSmokeTest(checks = 50, delayMs = 100): Promise<void> {
  const app = await startHttpApp({ delayMs });
  try {
    const list = Array.from(
      { length: checks },
      (_, i) => `- { name: c${i}, url: "${app.url}/health?i=${i}" }`,
    ).join('\n');
    const one = await runAction('smoke-test', { inputs: { url: `${app.url}/health` } });
    const rows: (string | number)[][] = [];
    const oneMs = (one.report as { durationMs: number }).durationMs;
    rows.push(['1 check', 1, ms(oneMs), '1.00x']);
    for (const concurrency of [checks, 1]) {
      const r = await runAction('smoke-test', {
        inputs: { checks: list, concurrency: String(Math.min(concurrency, 100)), timeout: '5m' },
      });
      if (r.exitCode !== 0) throw new Error(`smoke-test failed in the bench:\n${r.log}`);
      const d = (r.report as { durationMs: number }).durationMs;
      rows.push([`${checks} checks`, concurrency, ms(d), `${(d / oneMs).toFixed(2)}x`]);
    }
    printTable(
      `smoke-test: ${checks} checks, server answers in ${delayMs} ms (checks phase, from the report; target: ${checks} parallel < 2x one check)`,
      ['run', 'concurrency', 'duration', 'vs one check'],
      rows,
    );
  } finally {
    await app.close();
  }
}
