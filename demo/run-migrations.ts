/**
 * Demo step for `npm run demo`: the demo shop's migrations (demo/migrations) through the run-migrations bundle,
 * run as the GitHub runner runs it: a dry-run first (PostgreSQL: applied in a transaction, timed, rolled back),
 * then the real apply. Prints each job summary. Throws when a step fails.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runAction, type ActionResult } from '../test/harness/run-action.js';

export interface DemoMigrationsOptions {
  /** postgres://... (or mysql://...; the index's down file is PostgreSQL syntax) of the demo database. */
  databaseUrl: string;
  environment: string;
  log: (s: string) => void;
}

export async function demoMigrations(opts: DemoMigrationsOptions): Promise<void> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'demo-shop-'));
  cpSync(path.join(import.meta.dirname, 'migrations'), path.join(workspace, 'migrations'), {
    recursive: true,
  });
  for (const mode of ['dry-run', 'apply'] as const) {
    opts.log(`\n── run-migrations (mode: ${mode}, environment: ${opts.environment}) ──`);
    const r: ActionResult = await runAction('run-migrations', {
      workspace,
      inputs: {
        'database-url': opts.databaseUrl,
        tool: 'sql',
        mode,
        environment: opts.environment,
        lint: 'warn',
        'lock-timeout': '5s',
      },
      timeoutMs: 120_000,
    });
    for (const a of r.annotations.filter((x) => x.level === 'warning')) opts.log(`warning ${a.message}`);
    opts.log(r.summary);
    if (r.exitCode !== 0) throw new Error(`run-migrations (${mode}) failed:\n${r.log}`);
  }
}
