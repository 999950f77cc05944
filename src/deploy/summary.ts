/** deploy's outputs, job summary and failure message. */
import { formatDuration } from '../core/inputs.js';
import { ICON, Summary } from '../core/report.js';
import type { MigrationsRecord } from '../shared/deployments/migrations.js';
import type { DeployReport } from './deploy.js';

export function outputs(r: DeployReport): Record<string, string | number | undefined> {
  return {
    'deployment-id': r.deploymentId,
    status: r.status,
    version: r.version,
    'previous-version': r.previousVersion ?? '',
    slot: r.slot ?? '',
    'duration-ms': r.durationMs,
  };
}

export function headline(r: DeployReport): string {
  const on = `${r.environment}`;
  const slot = r.slot ? ` (${r.slot} live)` : '';
  if (r.status === 'success') return `${ICON.pass} ${r.version} deployed to ${on}${slot}, ${r.strategy}`;
  if (r.needsHuman)
    return `${ICON.fail} ${r.version} on ${on}: ${r.failure?.phase} failed and was NOT undone — needs a human`;
  const what = r.cancelled ? `cancelled during ${r.failure?.phase}` : `${r.failure?.phase} failed`;
  if (r.status === 'rolled-back') return `${ICON.undo} ${r.version} rolled back on ${on}: ${what}${slot}`;
  return `${ICON.fail} ${r.version} not deployed to ${on}: ${what}${r.rollback?.needed ? '' : ', traffic never moved'}`;
}

/** The message the step fails with. */
export function failureMessage(r: DeployReport): string {
  const lines = [
    `Deploy of ${r.version} to ${r.environment} ${r.cancelled ? 'was cancelled during' : 'failed at'} "${r.failure?.phase}": ${r.failure?.reason}`,
  ];
  if (r.needsHuman) lines.push(r.needsHuman);
  else if (r.rollback?.needed)
    lines.push(
      `Rolled back: ${r.rollback.description}.${r.previousVersion ? ` ${r.previousVersion} is serving.` : ''}`,
    );
  else
    lines.push(
      `Traffic never moved; ${r.slot ? `${r.slot} (${r.previousVersion ?? 'previous version'}) is still live` : 'nothing to undo'}.`,
    );
  if (r.deploymentId !== undefined)
    lines.push(
      r.githubState && r.githubState !== 'in_progress'
        ? `GitHub deployment #${r.deploymentId} is marked ${r.githubState}.`
        : `GitHub deployment #${r.deploymentId} could not be marked failed; the post step will mark it error.`,
    );
  return lines.join('\n');
}

/** A value from the migrations report inside a code span (markdown and HTML shown as text). */
const span = (v: string) => `\`${v.replace(/`/g, "'")}\``;

/** The job summary's line about the migrations recorded in the deployment. */
export function migrationsFact(r: Pick<DeployReport, 'migrations' | 'migrationsIgnored' | 'deploymentId'>) {
  const m: MigrationsRecord | undefined = r.migrations;
  if (!m) return r.migrationsIgnored ? `${ICON.warn} not recorded: ${r.migrationsIgnored}` : undefined;
  const n = m.applied.length + (m.omitted ?? 0);
  const version =
    m.from !== undefined && m.to !== undefined && m.from !== m.to
      ? `${span(m.from)} → ${span(m.to)}`
      : m.to !== undefined
        ? `at ${span(m.to)}`
        : 'schema version unknown';
  const where = r.deploymentId === undefined ? 'for the deployment' : `in deployment #${r.deploymentId}`;
  return `${span(m.tool)}, ${version}: ${n === 1 ? '1 migration' : `${n} migrations`} applied (recorded ${where}${m.omitted ? `; the first ${m.omitted} left out of the list` : ''})`;
}

const RESULT = { ok: `${ICON.pass} ok`, failed: `${ICON.fail} failed`, cancelled: `${ICON.warn} cancelled` };

export function summary(r: DeployReport): Summary {
  const s = new Summary().heading(headline(r));
  if (r.needsHuman) s.code(r.needsHuman);
  s.facts([
    ['Environment', r.environment],
    ['Version', `${r.version}${r.previousVersion ? ` (was ${r.previousVersion})` : ''}`],
    ['Strategy', `${r.strategy} (provider ${r.provider})`],
    ['Live slot', r.slot],
    ...(r.migrations || r.migrationsIgnored ? [['Migrations', migrationsFact(r)] as const] : []),
    ['Result', r.status],
    [
      'GitHub deployment',
      r.deploymentId === undefined ? undefined : `#${r.deploymentId}: ${r.githubState ?? '–'}`,
    ],
    ['Duration', formatDuration(r.durationMs)],
  ]);
  s.heading('Timeline', 3).table(
    ['Phase', 'At', 'Took', 'Result', 'Detail'],
    r.phases.map((p) => [
      p.name,
      `+${formatDuration(p.startMs)}`,
      formatDuration(p.durationMs),
      RESULT[p.outcome],
      p.detail,
    ]),
  );
  if (r.status !== 'success') {
    const verdict = r.needsHuman
      ? 'Not undone: needs a human (see above).'
      : r.rollback?.needed
        ? `Rolled back: ${r.rollback.description}.`
        : 'Traffic never moved: nothing to undo.';
    s.paragraph(`**Verdict:** ${verdict}`);
  }
  return s;
}
