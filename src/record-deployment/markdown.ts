/** The record as seed 000's DEPLOYMENT RECORD TEMPLATE, filled in: for a release note, an issue, the records branch. */
import { formatDuration } from '../core/inputs.js';
import type { DeploymentRecord } from './record.js';

const box = (passed: boolean | undefined): string => (passed === undefined ? '[ ]' : passed ? '[x]' : '[ ]');
const verdict = (passed: boolean | undefined): string =>
  passed === undefined ? 'NOT RUN' : passed ? 'PASS' : 'FAIL';
/** Keeps text from turning into markup it was not meant to be (links, headings, html). */
const plain = (s: string): string =>
  s.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')).replace(/\r?\n/g, ' ');

export function recordMarkdown(r: DeploymentRecord): string {
  const v = r.validation;
  const lines: string[] = [];
  lines.push(`## Deployment record ${r.id}`, '');
  lines.push(`**Deployment ID:** ${r.id}  `);
  lines.push(`**Environment:** ${plain(r.environment)}  `);
  lines.push(`**Version:** ${plain(r.version)}  `);
  lines.push(`**Status:** ${r.status}  `);
  lines.push(`**Deployed By:** @${plain(r.operator)}  `);
  lines.push(
    `**Deployment Date/Time:** ${r.timestamp}${r.durationMs !== undefined ? ` (took ${formatDuration(r.durationMs)})` : ''}  `,
  );
  lines.push(
    `**Git Commit/Tag:** ${r.commit}${r.tag ? ` (tag ${plain(r.tag)})` : ''} from ${plain(r.ref)}  `,
  );
  if (r.strategy) lines.push(`**Strategy:** ${plain(r.strategy)}  `);
  if (r.ticket) lines.push(`**Ticket:** ${plain(r.ticket)}  `);
  lines.push('');
  lines.push('**Approvals:**', '');
  if (r.approvals.length)
    for (const a of r.approvals)
      lines.push(
        `- @${plain(a.login)}: ${a.state}${a.environments.length ? ` (${a.environments.map(plain).join(', ')})` : ''}${a.comment ? `: ${plain(a.comment)}` : ''}`,
      );
  else lines.push('- none recorded (the environment has no required reviewers, or the run was not reviewed)');
  lines.push('', '**Changes Deployed:**', '');
  const c = r.changes;
  if (!c.complete)
    lines.push(`- ${c.total} commits, too many to list here: see ${c.url ?? 'the comparison'}`);
  else if (!c.commits.length)
    lines.push(c.base ? '- no new commits' : '- unknown: no earlier successful deployment to compare with');
  else
    for (const ch of c.commits)
      lines.push(
        `- ${ch.pr ? `#${ch.pr} ` : ''}${plain(ch.message)} (${ch.sha.slice(0, 7)}, @${plain(ch.author)})`,
      );
  lines.push('', '**Validation Results:**', '');
  lines.push(
    `- ${box(v.health?.passed)} Health checks: ${verdict(v.health?.passed)}${v.health ? ` (${v.health.checks - v.health.failed}/${v.health.checks} checks passed)` : ''}`,
  );
  const p = v.performance;
  lines.push(
    `- ${box(p?.passed)} Performance: ${verdict(p?.passed)}${p ? ` (error rate ${p.errorRate}%${p.p95Ms !== undefined ? `, p95 ${Math.round(p.p95Ms)} ms` : ''})` : ''}`,
  );
  lines.push(
    `- ${box(v.business?.passed)} Business functions: ${verdict(v.business?.passed)}${v.business ? ` (${plain(v.business.detail)})` : ''}`,
  );
  if (v.migrations)
    lines.push(
      `- ${box(v.migrations.passed)} Migrations: ${verdict(v.migrations.passed)} (${v.migrations.applied.length} applied, ${plain(v.migrations.from)} → ${plain(v.migrations.to)}, ${formatDuration(v.migrations.durationMs)})`,
    );
  if (v.backup)
    lines.push(
      `- ${box(v.backup.passed)} Backup: ${verdict(v.backup.passed)} (${plain(v.backup.file)}, sha256 ${v.backup.sha256.slice(0, 12)}…, verified: ${plain(v.backup.verified)})`,
    );
  lines.push('', '**Issues Encountered:**', '', r.notes ? plain(r.notes) : issuesFound(r), '');
  lines.push(
    `**Rollback Executed:** ${r.rollback.executed ? `YES${r.rollback.to ? ` (to ${plain(r.rollback.to)})` : ''}${r.rollback.how ? `: ${plain(r.rollback.how)}` : ''}` : 'NO'}  `,
  );
  const rb = r.rollback;
  if (rb.status === 'refused')
    lines.push(
      `**Rollback Details:** **REFUSED**, nothing was changed${rb.failure ? `: ${plain(rb.failure)}` : ''}  `,
    );
  else if (rb.status) {
    const facts = [
      rb.status === 'success' ? 'succeeded' : `**FAILED**${rb.failure ? ` (${plain(rb.failure)})` : ''}`,
      rb.method && `by ${plain(rb.method)}`,
      rb.trafficRestoredMs !== undefined && `traffic back after ${formatDuration(rb.trafficRestoredMs)}`,
      `database ${rb.databaseRestored ? 'restored' : 'not restored'}`,
      rb.deploymentId !== undefined && `rollback deployment #${rb.deploymentId}`,
      rb.incident && `incident: ${plain(rb.incident)}`,
    ].filter(Boolean);
    lines.push(`**Rollback Details:** ${facts.join('; ')}  `);
  }
  lines.push('**Sign-off:** _____________________ (Technical Lead)', '');
  const links = [
    r.links.run && `[workflow run](${r.links.run})`,
    `[deployments](${r.links.deployment})`,
    r.links.environment && `[environment](${r.links.environment})`,
    r.links.compare && `[changes](${r.links.compare})`,
  ].filter(Boolean);
  lines.push(`Links: ${links.join(' · ')}`, '');
  return lines.join('\n');
}

/** Without notes: what the reports say went wrong (failed validations, a failed rollback), else none recorded. */
function issuesFound(r: DeploymentRecord): string {
  const v = r.validation;
  const found = [
    v.health && !v.health.passed && `health checks failed (${v.health.failed} of ${v.health.checks})`,
    v.performance &&
      !v.performance.passed &&
      `monitoring window failed: error rate ${v.performance.errorRate}%${v.performance.maxErrorRate !== undefined ? ` (max ${v.performance.maxErrorRate}%)` : ''}${v.performance.p95Ms !== undefined ? `, p95 ${Math.round(v.performance.p95Ms)} ms${v.performance.maxP95Ms !== undefined ? ` (max ${v.performance.maxP95Ms} ms)` : ''}` : ''}`,
    v.business && !v.business.passed && `business checks failed: ${plain(v.business.detail)}`,
    v.migrations && !v.migrations.passed && 'migrations failed',
    v.backup && !v.backup.passed && 'backup failed',
    r.rollback.status === 'failure' &&
      `the rollback failed${r.rollback.failure ? `: ${plain(r.rollback.failure)}` : ''}`,
    r.rollback.status === 'refused' &&
      `the rollback was refused, traffic was not moved${r.rollback.failure ? `: ${plain(r.rollback.failure)}` : ''}`,
  ].filter((x): x is string => typeof x === 'string');
  return found.length ? found.map((f) => `- ${f}`).join('\n') : 'None recorded.';
}
