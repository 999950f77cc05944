/** A database client with a run's settings, and the settings a restore needs (backup-db and rollback share them). */
import type { RunContext } from '../../core/context.js';
import { DatabaseClient, type DatabaseTarget } from '../../core/db.js';

export type BackupContext = Pick<
  RunContext,
  'exec' | 'signal' | 'log' | 'clock' | 'repo' | 'secrets' | 'env'
>;

/** What a client and a restore need; backup-db's BackupConfig has all of it. */
export interface RestoreSettings {
  /** The database restored into. */
  target?: DatabaseTarget;
  /** The dump or its manifest (or a folder holding exactly one manifest). */
  backup?: string;
  clientPath?: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** age identities (secret keys) that decrypt an encrypted backup (see encryption.ts). */
  identities?: readonly string[];
}

/**
 * A client for `target` with this run's settings. `cleanup: true` gives one that ignores the job's cancellation
 * and has short bounds, for dropping a scratch database after a cancel or failure.
 */
export function dbClient(
  target: DatabaseTarget,
  config: Pick<RestoreSettings, 'clientPath' | 'timeoutMs' | 'connectTimeoutMs'>,
  ctx: BackupContext,
  opts: { cleanup?: boolean } = {},
): DatabaseClient {
  return new DatabaseClient(target, {
    exec: ctx.exec,
    tmpDir: ctx.repo.runnerTemp,
    search: { clientPath: config.clientPath, pathEnv: ctx.env.PATH ?? '' },
    signal: opts.cleanup ? undefined : ctx.signal,
    connectTimeoutSec: Math.ceil(config.connectTimeoutMs / 1000),
    queryTimeoutMs: opts.cleanup ? 60_000 : config.timeoutMs,
  });
}
