/** Small helpers for the demo: stage headings in the terminal. */
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

export function stage(title: string): void {
  console.log(`\n${bold(`━━ ${title} ${'━'.repeat(Math.max(3, 72 - title.length))}`)}`);
}
