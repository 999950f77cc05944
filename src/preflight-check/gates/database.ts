/** database: database-url answers SELECT 1 (server version shown) within database-timeout. */
import { DatabaseClient, DatabaseError, describeDatabase, parseDatabaseUrl } from '../../core/db.js';
import { formatDuration } from '../../core/inputs.js';
import { fail, pass, type Gate } from './types.js';

export const databaseGate: Gate = async (config, { ctx }) => {
  const { url, timeoutMs } = config.database;
  const target = parseDatabaseUrl(url!, { label: 'Input "database-url"' });
  if (target.password) ctx.secrets.add(target.password);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('database-timeout')), timeoutMs);
  const client = new DatabaseClient(target, {
    exec: ctx.exec,
    tmpDir: ctx.repo.runnerTemp,
    search: { pathEnv: ctx.env.PATH ?? '' },
    signal: AbortSignal.any([ctx.signal, controller.signal]),
    connectTimeoutSec: Math.max(1, Math.ceil(timeoutMs / 1000)),
    queryTimeoutMs: timeoutMs,
  });
  const where = describeDatabase(target);
  const started = ctx.clock.now();
  try {
    const sql =
      target.engine === 'postgres' ? "SELECT 1, current_setting('server_version');" : 'SELECT 1, VERSION();';
    const rows = await client.query(sql, 'SELECT 1', timeoutMs);
    const ms = Math.round(ctx.clock.now() - started);
    if (rows[0]?.[0] !== '1') return fail(`${where}: SELECT 1 returned ${JSON.stringify(rows[0] ?? [])}`);
    return pass(`${where} answered SELECT 1 in ${ms} ms (server ${rows[0]?.[1] ?? 'version unknown'})`);
  } catch (e) {
    if (!(e instanceof DatabaseError)) throw e;
    const timedOut = controller.signal.aborted;
    return fail(
      timedOut
        ? `${where}: no answer within ${formatDuration(timeoutMs)} (database-timeout)`
        : `${where}: ${e.message.split('\n')[0]}`,
      { details: e.message.split('\n').slice(1) },
    );
  } finally {
    clearTimeout(timer);
    client.dispose();
  }
};
