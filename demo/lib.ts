/** Small helpers for the demo: headings and printing an action's job summary in the terminal. */
import type { ActionResult } from '../test/harness/run-action.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

export function stage(title: string): void {
  console.log(`\n${bold(`━━ ${title} ${'━'.repeat(Math.max(3, 72 - title.length))}`)}`);
}

/** Print what a reviewer would see: the job summary (markdown) and the step's result. */
export function showResult(step: string, r: ActionResult): void {
  console.log(r.summary.trim() || '(no job summary)');
  const failed = r.annotations.filter((a) => a.level === 'error');
  console.log(
    `\n${step}: exit code ${r.exitCode}${failed.length ? `, failed with:\n  ${failed.map((a) => a.message.replace(/\n/g, '\n  ')).join('\n  ')}` : ''}`,
  );
}
