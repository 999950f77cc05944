export const id = 899;
export const ids = [899];
export const modules = {

/***/ 2899:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   openMysql: () => (/* binding */ openMysql)
/* harmony export */ });
/* harmony import */ var mysql2_promise__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7588);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
/* harmony import */ var _engine_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(2479);
/** The built-in runner's MySQL/MariaDB session (mysql2): GET_LOCK, non-transactional DDL, "at line N" errors. */



function quoteIdent(name) {
    return name
        .split('.')
        .map((p) => `\`${p.replace(/`/g, '``')}\``)
        .join('.');
}
function toSqlError(e) {
    if (e instanceof _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .SqlError */ .L8)
        return e;
    const err = e;
    const message = err.sqlMessage ?? (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(e);
    let kind = 'other';
    if (err.errno === 1205)
        kind = 'lock-timeout';
    else if (err.errno === 1969 || err.errno === 3024)
        kind = 'statement-timeout';
    else if (err.errno === 1317)
        kind = 'cancelled';
    else if (err.fatal || !err.errno)
        kind = 'connection';
    const m = / at line (\d+)\s*$/.exec(message);
    return new _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .SqlError */ .L8(message, kind, err.code, undefined, m ? Number(m[1]) : undefined);
}
async function openMysql(db, opts) {
    const sslParam = db.params.ssl ?? db.params.sslmode ?? db.params['ssl-mode'];
    const ssl = sslParam && !/^(false|0|disable|disabled)$/i.test(sslParam)
        ? { rejectUnauthorized: /verify/i.test(sslParam) }
        : undefined;
    let conn;
    const config = {
        host: db.host,
        port: db.port,
        user: db.user || undefined,
        password: db.password || undefined,
        database: db.database || undefined,
        ssl,
        connectTimeout: opts.connectTimeoutMs,
        multipleStatements: false,
        dateStrings: true,
        connectAttributes: { program_name: opts.applicationName.slice(0, 64) },
    };
    try {
        conn = await mysql2_promise__WEBPACK_IMPORTED_MODULE_0__.createConnection(config);
    }
    catch (e) {
        throw new _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .SqlError */ .L8((0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .errorMessage */ .gJ)(e), 'connection');
    }
    conn.on('error', () => { });
    const q = async (sql, values) => {
        try {
            const [rows] = await conn.query(sql, values);
            return rows;
        }
        catch (e) {
            throw toSqlError(e);
        }
    };
    const version = String((await q('select version() as v'))[0].v);
    // A connection that vanished without a FIN (a killed runner behind a dropped network path) must not hold the
    // run lock and its transaction for the server's default 8 hours: our session is never idle for long.
    await q('set session wait_timeout = 300');
    const mariadb = /mariadb/i.test(version);
    const table = quoteIdent(opts.table);
    const [schemaName, tableName] = opts.table.includes('.') ? opts.table.split('.') : [undefined, opts.table];
    // Keyed by the resolved `database.table`: `t` and `<database>.t` are one table, so they share one lock.
    const lockName = (0,_engine_js__WEBPACK_IMPORTED_MODULE_2__/* .mysqlLockName */ .vD)(schemaName ?? String((await q('select database() as d'))[0].d ?? db.database), tableName);
    let statementTimeoutMs = 0;
    const applyStatementTimeout = async (ms) => {
        if (mariadb)
            await q('set session max_statement_time = ?', [ms / 1000]);
        else
            await q('set session max_execution_time = ?', [Math.round(ms)]);
    };
    return {
        engine: 'mysql',
        transactionalDdl: false,
        serverVersion: `${mariadb ? 'MariaDB' : 'MySQL'} ${version.replace(/-.*$/, '')}`,
        async tableExists() {
            const r = await q('select count(*) as n from information_schema.tables where table_schema = coalesce(?, database()) and table_name = ?', [schemaName ?? null, tableName]);
            return Number(r[0].n) > 0;
        },
        async ensureTable() {
            await q(`create table if not exists ${table} (
        version varchar(64) not null primary key,
        name varchar(255) not null,
        checksum char(64) not null,
        applied_at datetime(3) not null default current_timestamp(3),
        duration_ms int null,
        applied_by varchar(255) not null default ''
      )`);
        },
        async readApplied() {
            const rows = await q(`select version, name, checksum, date_format(convert_tz(applied_at, @@session.time_zone, '+00:00'), '%Y-%m-%dT%H:%i:%sZ') as applied_at, duration_ms, applied_by from ${table}`);
            return rows.map((x) => ({
                version: String(x.version),
                name: String(x.name),
                checksum: String(x.checksum),
                appliedAt: String(x.applied_at ?? ''),
                durationMs: x.duration_ms === null ? null : Number(x.duration_ms),
                appliedBy: String(x.applied_by),
            }));
        },
        async lock(timeoutMs) {
            // The wait is bounded by run-lock-timeout alone: the statement timeout must not cut it short.
            await applyStatementTimeout(0);
            let got;
            try {
                const r = await q('select get_lock(?, ?) as got', [lockName, Math.max(0, timeoutMs / 1000)]);
                got = Number(r[0].got);
            }
            finally {
                await applyStatementTimeout(statementTimeoutMs);
            }
            if (got === 1)
                return;
            const holder = await q(`select p.id, p.user, p.host, p.time from information_schema.processlist p where p.id = is_used_lock(?)`, [lockName]).catch(() => []);
            const who = holder
                .map((h) => `connection ${String(h.id)} (${String(h.user)}@${String(h.host)}, ${String(h.time)}s in its current statement)`)
                .join('; ');
            throw new _engine_js__WEBPACK_IMPORTED_MODULE_2__/* .RunLockBusy */ .M$(who || 'another session (it could not be identified)');
        },
        async unlock() {
            await q('select release_lock(?)', [lockName]);
        },
        async setTimeouts(lockMs, statementMs) {
            const notes = [];
            if (lockMs > 0) {
                const secs = Math.max(1, Math.ceil(lockMs / 1000));
                if (secs * 1000 !== lockMs)
                    notes.push(`MySQL/MariaDB lock timeouts are whole seconds: lock-timeout rounded up to ${secs}s.`);
                await q('set session lock_wait_timeout = ?, session innodb_lock_wait_timeout = ?', [secs, secs]);
            }
            statementTimeoutMs = statementMs;
            await applyStatementTimeout(statementMs);
            if (!mariadb) {
                if (statementMs > 0)
                    notes.push('MySQL applies statement-timeout (max_execution_time) to SELECT statements only, not to DDL.');
            }
            return notes;
        },
        begin: async () => void (await q('start transaction')),
        commit: async () => void (await q('commit')),
        rollback: async () => void (await q('rollback')),
        exec: async (sql) => void (await q(sql)),
        async record(row) {
            await q(`insert into ${table} (version, name, checksum, duration_ms, applied_by) values (?, ?, ?, ?, ?)`, [row.version, row.name, row.checksum, row.durationMs, row.appliedBy.slice(0, 255)]);
        },
        async unrecord(version) {
            await q(`delete from ${table} where version = ?`, [version]);
        },
        async describeBlockers() {
            const rows = await q(`select id, user, coalesce(command, '') as command, time, left(coalesce(info, ''), 120) as info
           from information_schema.processlist
          where db = database() and id <> connection_id() and command <> 'Daemon'
          order by time desc limit 5`).catch(() => []);
            const trx = await q(`select trx_mysql_thread_id as id, timestampdiff(second, trx_started, now()) as secs from information_schema.innodb_trx`).catch(() => []);
            const open = new Map(trx.map((t) => [String(t.id), String(t.secs)]));
            return rows.map((x) => `connection ${String(x.id)} (${String(x.user)}, ${String(x.command)} for ${String(x.time)}s` +
                `${open.has(String(x.id)) ? `, transaction open for ${open.get(String(x.id))}s` : ''}): ${String(x.info) || '(idle)'}`);
        },
        async readToolTable(name) {
            const present = await q('select count(*) as n from information_schema.tables where table_schema = database() and table_name = ?', [name]);
            if (!Number(present[0].n))
                return [];
            return (await q(`select name from ${quoteIdent(name)} order by id`)).map((x) => String(x.name));
        },
        async close() {
            await conn.end().catch(() => undefined);
        },
        async cancel() {
            const side = await mysql2_promise__WEBPACK_IMPORTED_MODULE_0__.createConnection({
                ...config,
                connectAttributes: { program_name: 'run-migrations (cancel)' },
            });
            try {
                await side.query(`kill query ${Number(conn.threadId)}`);
            }
            finally {
                await side.end().catch(() => undefined);
            }
        },
    };
}


/***/ })

};
