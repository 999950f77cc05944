/**
 * Demo step: back up the demo database with the backup-db bundle (run as the runner runs it) and verify the
 * backup by restoring it into a scratch database; print the job summary. Wired into `npm run demo` by
 * demo/run.ts.
 */
import { runAction } from '../test/harness/run-action.js';

export async function demoBackup(opts: {
  databaseUrl: string;
  environment: string;
  log: (s: string) => void;
}): Promise<void> {
  opts.log(`backup-db: backing up the ${opts.environment} database and verifying it by restore…`);
  const r = await runAction('backup-db', {
    inputs: { 'database-url': opts.databaseUrl, environment: opts.environment, verify: 'restore' },
  });
  opts.log(r.summary);
  if (r.exitCode !== 0) {
    const error = r.annotations.find((a) => a.level === 'error')?.message ?? r.log;
    throw new Error(`backup-db failed in the demo:\n${error}`);
  }
  opts.log(`backup-db: ${r.outputs.path} (${r.outputs['size-bytes']} bytes, sha256 ${r.outputs.sha256})`);
}
