/** Helpers for run-migrations' integration tests: a workspace with migration files, and running the bundle. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestDb } from './databases.js';
import { everythingVisible, runAction, type ActionResult } from './run-action.js';

/** A fresh workspace; `files` maps paths (relative to it) to contents. */
export function makeWorkspace(files: Record<string, string>): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'rm-ws-'));
  writeFiles(ws, files);
  return ws;
}

export function writeFiles(ws: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(ws, p)), { recursive: true });
    writeFileSync(path.join(ws, p), content);
  }
}

export function removeFile(ws: string, p: string): void {
  rmSync(path.join(ws, p));
}

export function migrate(
  db: TestDb,
  workspace: string,
  inputs: Record<string, string> = {},
  env: Record<string, string | undefined> = {},
): Promise<ActionResult> {
  return runAction('run-migrations', {
    workspace,
    inputs: { 'database-url': db.url, ...inputs },
    env,
    timeoutMs: 90_000,
  });
}

/** The database URL and its password never appear in anything the action let out. */
export function assertNoSecret(r: ActionResult, db: TestDb): void {
  const visible = everythingVisible(r);
  assert.ok(!visible.includes(db.password), 'the database password leaked into the log, outputs or summary');
  assert.ok(!visible.includes(db.url), 'the database URL leaked into the log, outputs or summary');
  assert.ok(r.masks.includes(db.password), 'the password was registered as a mask');
}

export async function bookkeeping(db: TestDb, table = 'runbook_migrations'): Promise<string[]> {
  const q = db.engine === 'postgres' ? `select version from "${table}"` : `select version from \`${table}\``;
  const rows = await db.query<{ version: string }>(q);
  return rows.map((r) => r.version).sort((a, b) => Number(a) - Number(b));
}

export interface Report {
  passed: boolean;
  previousVersion: string;
  currentVersion: string;
  pendingCount: number | null;
  migrations: {
    version: string;
    name: string;
    file?: string;
    status: string;
    durationMs?: number;
    note?: string;
    error?: { message: string; kind: string; file?: string; line?: number };
  }[];
  problems: { kind: string; file?: string; message: string }[];
  lint: { rule: string; file: string; line: number; level: string }[];
  notes: string[];
  failure?: { kind: string; message: string; file?: string; line?: number };
  lockWaitMs?: number;
}
export const report = (r: ActionResult) => r.report as Report;
