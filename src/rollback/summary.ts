/** rollback's outputs, job summary, failure message and incident issue. */
import { formatDuration } from '../core/inputs.js';
import { ICON, Summary } from '../core/report.js';
import type { IncidentIssue } from './github.js';
import { incidentTitle } from './plan.js';
import type { RollbackReport } from './rollback.js';
import type { ConfigurationError } from '../core/errors.js';
import type { RollbackConfig } from './inputs.js';

export function outputs(r: RollbackReport): Record<string, string | number | undefined> {
  return {
    'deployment-id': r.deploymentId ?? '',
    status: r.status,
    version: r.version,
    'rolled-back-version': r.rolledBackVersion,
    slot: r.slot ?? '',
    'database-restored': String(r.databaseRestored),
    'duration-ms': r.durationMs,
    'incident-url': r.incidentUrl ?? '',
    'backup-artifact': r.backup?.artifact ?? '',
    'backup-run-id': r.backup?.runId ?? '',
  };
}

const since = (from?: string, to?: string): string | undefined =>
  from && to ? formatDuration(Math.max(0, Date.parse(to) - Date.parse(from))) : undefined;

export function headline(r: RollbackReport): string {
  const what = `${r.environment}: ${r.rolledBackVersion} → ${r.version}`;
  if (r.status === 'planned') return `${ICON.info} Rollback plan for ${what} (mode: plan, nothing changed)`;
  if (r.status === 'success') return `${ICON.undo} Rolled back ${what}`;
  return `${ICON.fail} Rollback of ${what} ${r.cancelled ? 'cancelled' : 'failed'} at ${r.failure?.phase} — NEEDS A HUMAN`;
}

export function failureMessage(r: RollbackReport): string {
  const lines = [
    `Rollback of ${r.environment} from ${r.rolledBackVersion} to ${r.version} ${r.cancelled ? 'was cancelled during' : 'failed at'} "${r.failure?.phase}": ${r.failure?.reason}`,
  ];
  if (r.needsHuman) lines.push(r.needsHuman);
  if (r.deploymentId !== undefined)
    lines.push(
      `GitHub deployment #${r.deploymentId} is marked ${r.githubState ?? 'in_progress (the post step will mark it error)'}.`,
    );
  if (r.incidentUrl) lines.push(`Incident issue: ${r.incidentUrl}`);
  return lines.join('\n');
}

/** The seed 002 timeline: deployed at, rollback requested, traffic restored, verified. */
function timelineRows(r: RollbackReport): string[][] {
  const t = r.timeline;
  return [
    [
      'Deployed',
      t.deployedAt ?? '–',
      `${r.rolledBackVersion} went live (deployment #${r.rolledBackDeploymentId})`,
    ],
    ['Rollback requested', t.requestedAt, `by @${r.actor || 'unknown'}: ${r.reason || 'no reason given'}`],
    [
      'Traffic restored',
      t.trafficRestoredAt ?? '–',
      t.trafficRestoredAt ? `${r.version} serving${r.slot ? ` on ${r.slot}` : ''}` : 'not restored',
    ],
    [
      'Verified',
      t.verifiedAt ?? '–',
      t.verifiedAt
        ? 'checks passed'
        : r.status === 'success'
          ? 'not verified (verify: false)'
          : 'not verified',
    ],
  ];
}

const RESULT = { ok: `${ICON.pass} ok`, failed: `${ICON.fail} failed`, cancelled: `${ICON.warn} cancelled` };

export function summary(r: RollbackReport): Summary {
  const s = new Summary().heading(headline(r));
  if (r.needsHuman) s.code(r.needsHuman);
  s.facts([
    ['Environment', r.environment],
    ['Rolled back', `${r.rolledBackVersion} (deployment #${r.rolledBackDeploymentId})`],
    ['Target', `${r.version}${r.targetDeploymentId ? ` (deployment #${r.targetDeploymentId})` : ''}`],
    ['How', `${r.method} (${r.strategy})`],
    ['Live slot', r.slot],
    [
      'Database',
      r.databaseRestored
        ? `restored from ${r.backup?.file} (sha256 ${r.backup?.sha256})`
        : r.backup
          ? `not restored (${r.backup.file ?? r.backup.artifact})`
          : 'not restored',
    ],
    ['Reason', r.reason || '–'],
    [
      'GitHub deployment',
      r.deploymentId === undefined ? undefined : `#${r.deploymentId}: ${r.githubState ?? '–'}`,
    ],
    ['Incident issue', r.incidentUrl ?? r.incidentError],
    ['Duration', formatDuration(r.durationMs)],
  ]);
  if (r.status === 'planned') {
    s.heading('What apply would do', 3).paragraph(r.steps.map((x, i) => `${i + 1}. ${x}`).join('\n'));
    return s;
  }
  s.heading('Incident timeline', 3).table(['Event', 'At (UTC)', 'Detail'], timelineRows(r));
  s.heading('Phases', 3).table(
    ['Phase', 'At', 'Took', 'Result', 'Detail'],
    r.phases.map((p) => [
      p.name,
      `+${formatDuration(p.startMs)}`,
      formatDuration(p.durationMs),
      RESULT[p.outcome],
      p.detail,
    ]),
  );
  s.paragraph(
    `**Verdict:** ${r.status === 'success' ? `${r.version} is serving ${r.environment} again${r.trafficRestoredMs !== undefined ? `; traffic was back ${formatDuration(r.trafficRestoredMs)} after the step started` : ''}.` : 'the rollback did not finish: needs a human (see above).'}`,
  );
  return s;
}

export function incidentIssue(r: RollbackReport, labels: string[]): IncidentIssue {
  const t = r.timeline;
  const rows = timelineRows(r)
    .map((row) => `| ${row.map((c) => c.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')).join(' | ')} |`)
    .join('\n');
  const links = [
    r.runUrl ? `- Rollback run: ${r.runUrl}` : '',
    `- Rolled-back deployment: #${r.rolledBackDeploymentId} (${r.rolledBackVersion})`,
    r.deploymentId !== undefined
      ? `- Rollback deployment: #${r.deploymentId} (${r.version}, ${r.githubState ?? 'in_progress'})`
      : '',
    r.targetDeploymentId ? `- Target's earlier deployment: #${r.targetDeploymentId}` : '',
  ].filter(Boolean);
  const body = [
    `## ${r.status === 'success' ? 'Rolled back' : 'Rollback FAILED'}: ${r.environment} ${r.rolledBackVersion} → ${r.version}`,
    '',
    r.status === 'success'
      ? `${r.version} is serving ${r.environment} again.`
      : `**The rollback did not finish: the environment needs a human.**\n\n\`\`\`\n${r.needsHuman ?? r.failure?.reason ?? ''}\n\`\`\``,
    '',
    '### Timeline',
    '',
    '| Event | At (UTC) | Detail |',
    '| --- | --- | --- |',
    rows,
    '',
    `- Time in production: ${since(t.deployedAt, t.requestedAt) ?? 'unknown'}`,
    `- Time to restore: ${since(t.requestedAt, t.trafficRestoredAt) ?? 'not restored'}`,
    '',
    '### What was undone',
    '',
    `- Reason: ${r.reason || 'no reason given'}`,
    `- Version: ${r.rolledBackVersion} replaced by ${r.version} (${r.method}, ${r.strategy}${r.slot ? `, ${r.slot} live` : ''})`,
    `- Database restored: ${r.databaseRestored ? `yes, from ${r.backup?.file} (sha256 ${r.backup?.sha256})` : 'no'}`,
    '',
    '### Links',
    '',
    ...links,
    '',
    '### After the rollback',
    '',
    '- [ ] Error rate back to baseline',
    '- [ ] Postmortem scheduled within 48 h',
    '- [ ] Change log entry',
    '- [ ] Root cause identified',
    '',
  ].join('\n');
  return {
    title: incidentTitle(r.environment, r.rolledBackVersion, r.version),
    body,
    labels,
    assignees: r.actor && !r.actor.endsWith('[bot]') ? [r.actor] : [],
  };
}

/** The report of a rollback that refused before changing anything. */
export interface RollbackRefusal {
  status: 'refused';
  mode: 'apply' | 'plan';
  environment: string;
  reason: string;
  hint?: string;
}

/** The message without the hint ConfigurationError appends to it. */
const reasonOf = (e: ConfigurationError) =>
  e.hint && e.message.endsWith(`\n${e.hint}`) ? e.message.slice(0, -(e.hint.length + 1)) : e.message;

export function refusalReport(config: RollbackConfig, e: ConfigurationError): RollbackRefusal {
  return {
    status: 'refused',
    mode: config.mode,
    environment: config.environment,
    reason: reasonOf(e),
    ...(e.hint ? { hint: e.hint } : {}),
  };
}

export function refusalSummary(config: RollbackConfig, e: ConfigurationError): Summary {
  const s = new Summary().heading(
    `${ICON.fail} Rollback of ${config.environment} refused: nothing was changed`,
  );
  s.paragraph(
    'Traffic was not moved, no deployment was recorded and the database was not touched: whatever is live now is still live.',
  );
  s.code(reasonOf(e));
  if (e.hint) s.paragraph(`**What to do:** ${e.hint}`);
  return s;
}
