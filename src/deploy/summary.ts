/** deploy's outputs, job summary and failure message. */
import { formatDuration } from '../core/inputs.js';
import { ICON, Summary } from '../core/report.js';
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

const RESULT = { ok: `${ICON.pass} ok`, failed: `${ICON.fail} failed`, cancelled: `${ICON.warn} cancelled` };

export function summary(r: DeployReport): Summary {
  const s = new Summary().heading(headline(r));
  if (r.needsHuman) s.code(r.needsHuman);
  s.facts([
    ['Environment', r.environment],
    ['Version', `${r.version}${r.previousVersion ? ` (was ${r.previousVersion})` : ''}`],
    ['Strategy', `${r.strategy} (provider ${r.provider})`],
    ['Live slot', r.slot],
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
