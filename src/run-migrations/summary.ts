/** run-migrations' job summary, outputs and failure message. */
import { formatDuration } from '../core/inputs.js';
import { ICON, Summary } from '../core/report.js';
import type { MigrationReport, MigrationResult } from './report.js';

export function outputs(r: MigrationReport): Record<string, string | number> {
  const done = r.migrations.filter((m) => m.status === (r.mode === 'down' ? 'reverted' : 'applied'));
  return {
    applied: JSON.stringify(
      r.mode === 'apply'
        ? done.map((m) => ({ version: m.version, name: m.name, file: m.file, durationMs: m.durationMs }))
        : [],
    ),
    reverted: JSON.stringify(
      r.mode === 'down'
        ? done.map((m) => ({ version: m.version, name: m.name, durationMs: m.durationMs }))
        : [],
    ),
    'pending-count': r.pendingCount ?? '',
    'previous-version': r.previousVersion,
    'current-version': r.currentVersion,
    'duration-ms': r.durationMs,
    'expected-duration-ms': r.mode === 'dry-run' ? totalMs(r.migrations) : '',
  };
}

function totalMs(ms: readonly MigrationResult[]): number {
  return ms.reduce((t, m) => t + (m.durationMs ?? 0), 0);
}

const VERB = {
  status: 'Migration status',
  'dry-run': 'Migration dry-run',
  apply: 'Migrations',
  down: 'Migration rollback',
};

export function headline(r: MigrationReport): string {
  const where = r.environment ? ` on ${r.environment}` : '';
  const n = (k: MigrationResult['status']) => r.migrations.filter((m) => m.status === k).length;
  const s = (c: number, word: string) => `${c} ${word}${c === 1 ? '' : 's'}`;
  if (r.failure?.kind === 'refused') return `${VERB[r.mode]} refused${where}: nothing was run`;
  if (r.failure?.kind === 'lint') return `${VERB[r.mode]} stopped by lint${where}: nothing was run`;
  const failed = r.migrations.find((m) => m.status === 'failed');
  if (failed) return `${VERB[r.mode]} failed${where}: ${failed.file ?? failed.version}`;
  if (!r.passed) return `${VERB[r.mode]} failed${where}`;
  switch (r.mode) {
    case 'status':
      return `${s(r.pendingCount ?? 0, 'pending migration')}${where} (at version ${r.currentVersion})`;
    case 'dry-run':
      return n('would-apply')
        ? `Dry-run${where}: ${s(n('would-apply'), 'migration')} would apply in ${formatDuration(totalMs(r.migrations))}`
        : `Dry-run${where}: ${r.pending.length ? s(r.pending.length, 'pending migration') + ', not run' : 'nothing pending'}`;
    case 'apply':
      return n('applied')
        ? `Applied ${s(n('applied'), 'migration')}${where}: version ${r.previousVersion} → ${r.currentVersion}`
        : `Nothing to apply${where}: already at version ${r.currentVersion}`;
    case 'down':
      return n('reverted')
        ? `Reverted ${s(n('reverted'), 'migration')}${where}: version ${r.previousVersion} → ${r.currentVersion}`
        : `Nothing to revert${where}: already at version ${r.currentVersion}`;
  }
}

/** The message the step fails with. */
export function failureMessage(r: MigrationReport): string {
  const lines = [`${headline(r)}.`];
  if (r.failure) lines.push(r.failure.message);
  const failed = r.migrations.find((m) => m.status === 'failed');
  if (failed?.note) lines.push(`${failed.file}: ${failed.note}.`);
  const notRun = r.migrations.filter((m) => m.status === 'not-run');
  if (r.mode === 'apply' || r.mode === 'down') {
    if (r.failure && r.failure.kind !== 'refused' && r.failure.kind !== 'lint')
      lines.push(
        `The database is at version ${r.currentVersion}` +
          (notRun.length ? `; not run: ${notRun.map((m) => m.file ?? m.version).join(', ')}.` : '.'),
      );
  }
  return lines.join('\n');
}

function resultCell(m: MigrationResult): string {
  switch (m.status) {
    case 'applied':
      return `${ICON.pass} applied`;
    case 'would-apply':
      return `${ICON.pass} would apply`;
    case 'reverted':
      return `${ICON.undo} reverted`;
    case 'failed':
      return `${ICON.fail} failed`;
    case 'skipped':
      return `${ICON.skip} skipped`;
    case 'not-run':
      return `${ICON.skip} not run`;
  }
}

export function summary(r: MigrationReport): Summary {
  const s = new Summary().heading(`${r.passed ? ICON.pass : ICON.fail} ${headline(r)}`);
  s.facts([
    ['Database', `${r.database}${r.serverVersion ? ` (${r.serverVersion})` : ''}`],
    ['Tool', `${r.tool}${r.detectedFrom ? ` (detected from ${r.detectedFrom})` : ''}`],
    ['Mode', r.mode],
    [
      'Version',
      r.previousVersion === r.currentVersion
        ? r.currentVersion
        : `${r.previousVersion} → ${r.currentVersion}`,
    ],
    ['Pending', r.pendingCount ?? 'unknown'],
    [
      'Took',
      `${formatDuration(r.durationMs)}${r.lockWaitMs && r.lockWaitMs > 1000 ? ` (of which ${formatDuration(r.lockWaitMs)} waiting for the migration lock)` : ''}`,
    ],
  ]);
  if (r.mode === 'dry-run' && r.migrations.some((m) => m.status === 'would-apply'))
    s.paragraph(
      `**Expect about ${formatDuration(totalMs(r.migrations))} in production** for ${
        r.migrations.filter((m) => m.status === 'would-apply').length
      } migration(s), as measured here (more on a bigger or busier database). Reviewers: put this figure in the release's "estimated duration".`,
    );
  if (r.migrations.length)
    s.table(
      ['Migration', 'Result', 'Duration', 'Statements', 'Note'],
      r.migrations.map((m) => [
        `${m.version} ${m.name}${m.file ? `<br><sub>${m.file}</sub>` : ''}`,
        resultCell(m),
        m.durationMs === undefined ? undefined : formatDuration(m.durationMs),
        m.statements,
        m.error ? `${m.error.message}${m.note ? ` — ${m.note}` : ''}` : m.note,
      ]),
    );
  if (r.mode === 'status' && r.pending.length)
    s.heading('Pending', 3).table(
      ['Version', 'Name', 'File'],
      r.pending.map((p) => [p.version, p.name, p.file]),
    );
  if (r.mode === 'status' && r.appliedBefore.length)
    s.details(
      `Applied (${r.appliedBefore.length})`,
      new Summary()
        .table(
          ['Version', 'Name', 'Applied at', 'Duration', 'By'],
          r.appliedBefore.map((a) => [
            a.version,
            a.name,
            a.appliedAt,
            a.durationMs === null || a.durationMs === undefined ? undefined : formatDuration(a.durationMs),
            a.appliedBy,
          ]),
        )
        .toMarkdown(),
    );
  const errors = r.problems.filter((p) => p.kind !== 'missing-file');
  if (errors.length) s.heading('Refused before anything ran', 3).list(errors.map((p) => p.message));
  if (r.failure && !r.migrations.some((m) => m.error) && r.failure.kind !== 'refused')
    s.paragraph(`${ICON.fail} ${r.failure.message}`);
  if (r.lint.length)
    s.heading('Lint', 3).table(
      ['Where', 'Rule', 'Finding'],
      r.lint.map((l) => [
        `${l.file}:${l.line}`,
        `${l.level === 'error' ? ICON.fail : ICON.warn} ${l.rule}`,
        l.message,
      ]),
    );
  const notes = [...r.notes, ...r.problems.filter((p) => p.kind === 'missing-file').map((p) => p.message)];
  if (notes.length) s.heading('Notes', 3).list(notes.map((n) => `${ICON.info} ${n}`));
  if (r.output)
    s.details('Tool output (last lines)', '```\n' + r.output.replace(/```/g, '`\u200b``') + '\n```');
  return s;
}
