/** backup-db's reports, outputs, job summaries and failure messages, one per mode. */
import { formatDuration } from '../core/inputs.js';
import { ICON, Summary } from '../core/report.js';
import type { AgeResult } from './check-age.js';
import { formatBytes, type BackupResult } from './backup.js';
import type { RestoreResult } from '../shared/backups/restore.js';

export type Outputs = Record<string, string | number>;

// -------------------------------------------------------------------------------------------- backup

export function backupReport(r: BackupResult) {
  const m = r.manifest;
  return {
    mode: 'backup' as const,
    passed: r.verification.passed !== false,
    environment: m.environment,
    engine: m.engine,
    target: r.target,
    database: m.database,
    serverVersion: m.server.version,
    client: m.client,
    format: m.format,
    path: r.dumpPath,
    manifest: r.manifestPath,
    checksumFile: r.checksumPath,
    sizeBytes: m.sizeBytes,
    sha256: m.sha256,
    encrypted: m.encrypted === true,
    recipients: m.recipients ?? [],
    retentionDays: r.retentionDays,
    createdAt: m.createdAt,
    durationMs: r.durationMs,
    dumpDurationMs: r.dumpDurationMs,
    rowCounts: m.rowCounts,
    verification: r.verification,
    tables: m.tables.map((t) => ({ ...t, restoredRows: r.verification.restoredRows?.[t.name] })),
  };
}

export function backupOutputs(r: BackupResult): Outputs {
  const m = r.manifest;
  return {
    path: r.dumpPath,
    manifest: r.manifestPath,
    'size-bytes': m.sizeBytes,
    sha256: m.sha256,
    'created-at': m.createdAt,
    'duration-ms': r.durationMs,
    verified: String(r.verification.passed === true),
    verification: r.verification.level,
    'server-version': m.server.version,
    'client-version': m.client.version,
    encrypted: String(m.encrypted === true),
    'retention-days': r.retentionDays,
  };
}

function verificationCell(v: BackupResult['verification']): string {
  if (v.passed === undefined) return `${ICON.skip} none`;
  return `${v.passed ? ICON.pass : ICON.fail} ${v.level}: ${v.detail}`;
}

export function backupSummary(r: BackupResult): Summary {
  const m = r.manifest;
  const ok = r.verification.passed !== false;
  const s = new Summary().heading(
    `${ok ? ICON.pass : ICON.fail} Backup of ${m.database} (${m.environment}) ${ok ? (r.verification.passed ? 'taken and verified' : 'taken') : 'failed verification'}`,
  );
  s.facts([
    ['Engine', `${m.server.flavor} ${m.server.version}`],
    ['Client', `${m.client.tool} ${m.client.version}`],
    ['Database', r.target],
    ['Format', m.engine === 'mysql' ? 'SQL (gzip)' : m.format === 'plain' ? 'plain SQL (gzip)' : m.format],
    ['File', `\`${r.dumpPath}\``],
    ['Size', `${formatBytes(m.sizeBytes)} (${m.sizeBytes} bytes)`],
    ['sha256', `\`${m.sha256}\``],
    [
      'Encryption',
      m.encrypted
        ? `${ICON.pass} age, to ${(m.recipients ?? []).map((k) => `\`${k}\``).join(', ')} (only the matching secret key can read it)`
        : `${ICON.warn} none: anyone who can download the file can read the data`,
    ],
    [
      'Duration',
      `${formatDuration(r.durationMs)} (dump ${formatDuration(r.dumpDurationMs)}, verification ${formatDuration(r.verification.durationMs)})`,
    ],
    ['Verification', verificationCell(r.verification)],
    ['Created', m.createdAt],
  ]);
  if (r.verification.differences.length) s.heading('What differs', 3).list(r.verification.differences);
  const restored = r.verification.restoredRows;
  s.heading('Tables', 3).table(
    restored ? ['Table', 'Rows', 'Rows restored', ''] : ['Table', 'Rows'],
    m.tables.map((t) =>
      restored
        ? [t.name, t.rows, restored[t.name], restored[t.name] === t.rows ? ICON.pass : ICON.fail]
        : [t.name, t.rows],
    ),
  );
  return s;
}

export function backupFailure(r: BackupResult): string {
  return [
    `Backup verification (${r.verification.level}) failed for ${r.dumpPath}: ${r.verification.detail}.`,
    ...r.verification.differences.map((d) => `- ${d}`),
    'Do not rely on this backup: the manifest records the failed verification. Look at the differences above, then take the backup again.',
  ].join('\n');
}

// -------------------------------------------------------------------------------------------- restore

export function restoreReport(r: RestoreResult) {
  return {
    mode: 'restore' as const,
    passed: r.verified,
    environment: r.manifest.environment,
    engine: r.manifest.engine,
    target: r.target,
    backup: r.dumpPath,
    manifest: r.manifestPath,
    sha256: r.manifest.sha256,
    backupCreatedAt: r.manifest.createdAt,
    serverVersion: r.serverVersion,
    clientVersion: r.clientVersion,
    restoreMs: r.restoreMs,
    durationMs: r.durationMs,
    differences: r.differences,
    tables: r.manifest.tables.map((t) => ({ ...t, restoredRows: r.restoredRows[t.name] })),
  };
}

export function restoreOutputs(r: RestoreResult): Outputs {
  return {
    path: r.dumpPath,
    manifest: r.manifestPath,
    'size-bytes': r.manifest.sizeBytes,
    sha256: r.manifest.sha256,
    'created-at': r.manifest.createdAt,
    'duration-ms': r.durationMs,
    verified: String(r.verified),
    'server-version': r.serverVersion,
    'client-version': r.clientVersion,
  };
}

export function restoreSummary(r: RestoreResult): Summary {
  const s = new Summary().heading(
    `${r.verified ? ICON.pass : ICON.fail} ${ICON.undo} Restored ${r.manifest.file} into ${r.target}${r.verified ? '' : ': row counts differ'}`,
  );
  s.facts([
    ['Backup', `\`${r.dumpPath}\` (taken ${r.manifest.createdAt}, ${r.manifest.environment})`],
    ['sha256', `\`${r.manifest.sha256}\` ${ICON.pass} matches`],
    ...(r.manifest.encrypted
      ? [['Encryption', `age: decrypted on the fly, every chunk authenticated before the restore`] as const]
      : []),
    ['Server', r.serverVersion],
    ['Duration', `${formatDuration(r.durationMs)} (restore ${formatDuration(r.restoreMs)})`],
  ]);
  if (r.differences.length) s.heading('What differs', 3).list(r.differences);
  s.heading('Tables', 3).table(
    ['Table', 'Rows in backup', 'Rows now', ''],
    r.manifest.tables.map((t) => [
      t.name,
      t.rows,
      r.restoredRows[t.name],
      r.restoredRows[t.name] === t.rows ? ICON.pass : ICON.fail,
    ]),
  );
  return s;
}

export function restoreFailure(r: RestoreResult): string {
  return [
    `The restore of ${r.manifest.file} into ${r.target} finished, but the row counts differ from the backup's manifest:`,
    ...r.differences.map((d) => `- ${d}`),
    'Something wrote to the database during the restore, or the restore was incomplete. Check the application is stopped, then restore again.',
  ].join('\n');
}

// -------------------------------------------------------------------------------------------- check-age

export function ageReport(r: AgeResult) {
  return {
    mode: 'check-age' as const,
    passed: r.fresh,
    environment: r.environment,
    maxAgeMs: r.maxAgeMs,
    reason: r.reason,
    considered: r.considered,
    skipped: r.skipped,
    newest: r.newest
      ? {
          path: r.newest.dumpPath,
          manifest: r.newest.manifestPath,
          createdAt: r.newest.manifest.createdAt,
          ageMs: r.newest.ageMs,
          sha256: r.newest.manifest.sha256,
          sizeBytes: r.newest.manifest.sizeBytes,
          verification: r.newest.manifest.verification,
        }
      : undefined,
  };
}

export function ageOutputs(r: AgeResult): Outputs {
  const n = r.newest;
  return {
    fresh: String(r.fresh),
    path: n?.dumpPath ?? '',
    manifest: n?.manifestPath ?? '',
    'created-at': n?.manifest.createdAt ?? '',
    'age-seconds': n ? Math.round(n.ageMs / 1000) : '',
    'size-bytes': n?.manifest.sizeBytes ?? '',
    sha256: n?.manifest.sha256 ?? '',
    verified: String(n?.manifest.verification.passed === true),
    'server-version': n?.manifest.server.version ?? '',
  };
}

export function ageSummary(r: AgeResult): Summary {
  const s = new Summary().heading(
    `${r.fresh ? ICON.pass : ICON.fail} Backup age check for ${r.environment}: ${r.fresh ? 'recent backup found' : r.newest ? 'too old' : 'no backup'}`,
  );
  s.paragraph(r.reason);
  if (r.newest) {
    const m = r.newest.manifest;
    s.facts([
      ['Backup', `\`${r.newest.dumpPath}\``],
      [
        'Taken',
        `${m.createdAt} (${formatDuration(r.newest.ageMs)} ago; max-age ${formatDuration(r.maxAgeMs)})`,
      ],
      ['Verification', `${m.verification.level}: ${m.verification.detail}`],
      ['Size', formatBytes(m.sizeBytes)],
    ]);
  }
  if (r.skipped.length) s.details('Passed over', r.skipped.map((x) => `- ${x}`).join('\n'));
  return s;
}
