/**
 * run-migrations' post step (runs after the job's steps, also after a cancel or a SIGKILL of the main step):
 * removes database option files a killed run left in RUNNER_TEMP. The migration session itself cannot outlive a
 * killed run for long: the server ends it (client_connection_check_interval, idle_in_transaction_session_timeout)
 * and the tools we start die with node (the watchdog in src/core/proc.ts).
 */
import { runAction } from '../core/action.js';
import type { RunContext } from '../core/context.js';
import { removeCredentialFiles } from '../core/db.js';

export function cleanup(ctx: RunContext): Promise<void> {
  for (const dir of removeCredentialFiles(ctx.repo.runnerTemp))
    ctx.log.info(`Removed the database option file ${dir}/client.cnf left by the main step.`);
  return Promise.resolve();
}

export const runPost = (): Promise<void> => runAction('run-migrations (post)', cleanup);
