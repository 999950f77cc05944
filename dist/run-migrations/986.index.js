export const id = 986;
export const ids = [986];
export const modules = {

/***/ 986:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   openPostgres: () => (/* binding */ openPostgres)
/* harmony export */ });
/* harmony import */ var pg__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3849);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
/* harmony import */ var _engine_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(2479);
/** The built-in runner's PostgreSQL session (pg): advisory lock, transactional DDL, character error positions. */



function quoteIdent(name) {
    return name
        .split('.')
        .map((p) => `"${p.replace(/"/g, '""')}"`)
        .join('.');
}
function toSqlError(e) {
    if (e instanceof _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .SqlError */ .L8)
        return e;
    const err = e;
    const code = typeof err.code === 'string' ? err.code : undefined;
    const message = (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(e);
    let kind = 'other';
    if (code === '55P03')
        kind = 'lock-timeout';
    else if (code === '57014' && /statement timeout/i.test(message))
        kind = 'statement-timeout';
    else if (code === '57014')
        kind = 'cancelled';
    else if (!code || /^08/.test(code) || /Connection terminated|ECONN|ETIMEDOUT/i.test(message))
        kind = 'connection';
    const position = err.position ? Number(err.position) : undefined;
    return new _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .SqlError */ .L8(message, kind, code, position, undefined, err.detail, err.hint);
}
async function openPostgres(db, opts) {
    const sslmode = db.params.sslmode;
    const ssl = sslmode === 'require' || sslmode === 'prefer' || sslmode === 'no-verify'
        ? { rejectUnauthorized: false }
        : sslmode === 'verify-ca' || sslmode === 'verify-full'
            ? true
            : undefined;
    const config = {
        host: db.host,
        port: db.port,
        user: db.user || undefined,
        password: db.password || undefined,
        database: db.database || undefined,
        ssl,
        application_name: opts.applicationName.slice(0, 63),
        connectionTimeoutMillis: opts.connectTimeoutMs,
    };
    const client = new pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].Client */ .Ay.Client(config);
    // An idle client's error (server restart, network) must not crash the process: the next query reports it.
    client.on('error', () => { });
    try {
        await client.connect();
    }
    catch (e) {
        throw new _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .SqlError */ .L8((0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(e), 'connection');
    }
    const q = async (text, values) => {
        try {
            return await client.query(text, values);
        }
        catch (e) {
            throw toSqlError(e);
        }
    };
    const info = await q(`select current_setting('server_version') as v, current_setting('server_version_num')::int as n`);
    // If node is killed (the runner's last resort is SIGKILL), the server must not run on for the rest of a long
    // statement holding its locks: PostgreSQL 14+ checks every 2 s during a statement that the client is still
    // there; and a transaction left idle (a connection that vanished without a FIN) ends after 5 minutes.
    await q(`select set_config('idle_in_transaction_session_timeout', '5min', false)${Number(info.rows[0].n) >= 140000 ? `, set_config('client_connection_check_interval', '2s', false)` : ''}`);
    const pid = Number((await q('select pg_backend_pid() as pid')).rows[0].pid);
    const table = quoteIdent(opts.table);
    // The lock is keyed by the resolved, schema-qualified table: `runbook_migrations` and
    // `public.runbook_migrations` are one table, so two runs spelling it differently still exclude each other.
    const key = (0,_engine_js__WEBPACK_IMPORTED_MODULE_2__/* .advisoryKey */ .TB)(opts.table.includes('.')
        ? opts.table
        : `${String((await q('select coalesce(current_schema(), $1) as s', ['public'])).rows[0].s)}.${opts.table}`);
    let lockTimeoutMs = 0;
    let statementTimeoutMs = 0;
    return {
        engine: 'postgres',
        transactionalDdl: true,
        serverVersion: `PostgreSQL ${String(info.rows[0].v).split(' ')[0]}`,
        serverVersionNum: info.rows[0].n,
        async tableExists() {
            const r = await q('select to_regclass($1) is not null as present', [table]);
            return r.rows[0].present;
        },
        async ensureTable() {
            await q(`create table if not exists ${table} (
        version varchar(64) primary key,
        name varchar(255) not null,
        checksum char(64) not null,
        applied_at timestamptz not null default now(),
        duration_ms integer,
        applied_by varchar(255) not null default ''
      )`);
        },
        async readApplied() {
            const r = await q(`select version, name, checksum, to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as applied_at,
                duration_ms, applied_by from ${table}`);
            return r.rows.map((x) => ({
                version: String(x.version),
                name: String(x.name),
                checksum: String(x.checksum).trim(),
                appliedAt: String(x.applied_at),
                durationMs: x.duration_ms === null ? null : Number(x.duration_ms),
                appliedBy: String(x.applied_by),
            }));
        },
        async lock(timeoutMs) {
            // The wait is bounded by run-lock-timeout alone: statement_timeout must not cut it short.
            await q(`select set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false)`, [
                `${Math.max(1, Math.round(timeoutMs))}ms`,
            ]);
            try {
                await q('select pg_advisory_lock($1::bigint)', [key]);
            }
            catch (e) {
                if (e instanceof _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .SqlError */ .L8 && e.kind === 'lock-timeout') {
                    const holders = await q(`select a.pid, a.application_name, to_char(a.backend_start at time zone 'UTC', 'HH24:MI:SS') as since
               from pg_locks l join pg_stat_activity a on a.pid = l.pid
              where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
                and l.classid = (($1::bigint >> 32) & 4294967295)::oid and l.objid = ($1::bigint & 4294967295)::oid`, [key]).catch(() => ({ rows: [] }));
                    const who = holders.rows
                        .map((h) => `backend pid ${String(h.pid)} "${String(h.application_name)}" connected since ${String(h.since)} UTC`)
                        .join('; ');
                    throw new _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .RunLockBusy */ .M$(who || 'another session (it could not be identified)');
                }
                throw e;
            }
            finally {
                await q(`select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)`, [
                    `${lockTimeoutMs}ms`,
                    `${statementTimeoutMs}ms`,
                ]).catch(() => undefined);
            }
        },
        async unlock() {
            await q('select pg_advisory_unlock($1::bigint)', [key]);
        },
        async setTimeouts(lockMs, statementMs) {
            lockTimeoutMs = Math.round(lockMs);
            statementTimeoutMs = Math.round(statementMs);
            await q(`select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)`, [
                `${lockTimeoutMs}ms`,
                `${Math.round(statementMs)}ms`,
            ]);
            return [];
        },
        begin: async () => void (await q('begin')),
        commit: async () => void (await q('commit')),
        rollback: async () => void (await q('rollback')),
        exec: async (sql) => void (await q(sql)),
        async record(row) {
            await q(`insert into ${table} (version, name, checksum, duration_ms, applied_by) values ($1, $2, $3, $4, $5)`, [row.version, row.name, row.checksum, row.durationMs, row.appliedBy.slice(0, 255)]);
        },
        async unrecord(version) {
            await q(`delete from ${table} where version = $1`, [version]);
        },
        async describeBlockers() {
            const r = await q(`select pid, coalesce(state, '') as state, coalesce(round(extract(epoch from now() - xact_start))::int, 0) as secs,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 120) as query
           from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null
          order by xact_start limit 5`).catch(() => ({ rows: [] }));
            return r.rows.map((x) => `pid ${String(x.pid)} (${String(x.state)}, transaction open for ${String(x.secs)}s): ${String(x.query)}`);
        },
        async readToolTable(name) {
            const present = await q('select to_regclass($1) is not null as present', [quoteIdent(name)]);
            if (!present.rows[0].present)
                return [];
            const r = await q(`select name from ${quoteIdent(name)} order by run_on, id`);
            return r.rows.map((x) => String(x.name));
        },
        async close() {
            await client.end().catch(() => undefined);
        },
        async cancel() {
            const side = new pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].Client */ .Ay.Client({ ...config, application_name: 'run-migrations (cancel)' });
            side.on('error', () => { });
            try {
                await side.connect();
                await side.query('select pg_cancel_backend($1)', [pid]);
            }
            finally {
                await side.end().catch(() => undefined);
            }
        },
    };
}


/***/ })

};
