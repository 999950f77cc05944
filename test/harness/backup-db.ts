/** Helpers for backup-db's process-level tests: wrapper client directories and report types. */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActionResult } from './run-action.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface BackupReport {
  mode: string;
  passed: boolean;
  engine: string;
  format: string;
  path: string;
  manifest: string;
  sha256: string;
  sizeBytes: number;
  rowCounts: string;
  verification: { level: string; passed?: boolean; detail: string; differences: string[] };
  tables: { name: string; rows: number; restoredRows?: number }[];
}

export const report = (r: ActionResult) => r.report as BackupReport;

/** The error annotation's message (the step's failure as the runner shows it). */
export function failure(r: ActionResult): string {
  return (
    r.annotations.find((a) => a.level === 'error')?.message ??
    `(no error annotation)\n${r.log}\n${r.rawStderr}`
  );
}

/**
 * A directory of client tools for the `client-path` input: each tool is a small shell script. `script(tool)`
 * is the body; `$REAL` is set to the real tool and `$LOG` to a log file in the directory.
 */
export function clientDir(tools: Record<string, { real: string; body: string }>): {
  dir: string;
  log: string;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'clients-'));
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const [tool, { real, body }] of Object.entries(tools)) {
    const file = path.join(dir, tool);
    writeFileSync(file, `#!/bin/bash\nREAL=${JSON.stringify(real)}\nLOG=${JSON.stringify(log)}\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return { dir, log };
}

/** A wrapper that passes straight through to the real tool. */
export const passThrough = (real: string) => ({ real, body: 'exec "$REAL" "$@"' });
