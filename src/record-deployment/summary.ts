/** record-deployment's outputs, report and job summary: the filled-in record, a DORA table with its trend, the API cost. */
import { ICON, Summary } from '../core/report.js';
import type { DoraMetrics, Rating } from './dora.js';
import type { DoraResult } from './history.js';
import type { DeploymentRecord } from './record.js';

export interface RecordResult {
  record: DeploymentRecord;
  markdown: string;
  path: string;
  markdownPath: string;
  stored?: { branch: string; path: string; url: string; createdBranch: boolean; attempts: number };
  dora?: DoraResult;
  requests: { record: number; store: number; dora: number; total: number };
}

const RATING_ICON: Record<Rating, string> = {
  elite: '🟢 elite',
  high: '🟢 high',
  medium: '🟡 medium',
  low: '🔴 low',
};
const rating = (r: Rating | undefined): string => (r ? RATING_ICON[r] : '–');

export function outputs(r: RecordResult): Record<string, string | number | undefined> {
  const c = r.dora?.current;
  return {
    'record-id': r.record.id,
    record: JSON.stringify(r.record),
    path: r.path,
    'markdown-path': r.markdownPath,
    url: r.stored?.url,
    'deployment-frequency': c?.deploymentFrequency,
    'lead-time-hours': c?.leadTimeHours,
    'change-failure-rate': c?.changeFailureRate,
    'time-to-restore-hours': c?.timeToRestoreHours,
  };
}

export function report(r: RecordResult) {
  return {
    record: r.record,
    path: r.path,
    markdownPath: r.markdownPath,
    stored: r.stored,
    dora: r.dora && { ...r.dora, changeIndex: undefined },
    requests: r.requests,
  };
}

/** "▲ better" / "▼ worse" / "= same" for a change from `before` to `now`; `higherIsBetter` per metric. */
export function trend(now: number | undefined, before: number | undefined, higherIsBetter: boolean): string {
  if (now === undefined || before === undefined) return '–';
  if (now === before) return '= same';
  const up = now > before;
  const better = up === higherIsBetter;
  return `${up ? '▲' : '▼'} ${better ? 'better' : 'worse'} (was ${before})`;
}

function doraRows(c: DoraMetrics, p: DoraMetrics): string[][] {
  const pct = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 1000) / 10);
  return [
    [
      'Deployment frequency (per day)',
      String(c.deploymentFrequency),
      rating(c.ratings.deploymentFrequency),
      trend(c.deploymentFrequency, p.deploymentFrequency, true),
    ],
    [
      'Lead time for changes (h, median)',
      c.leadTimeHours === undefined ? '–' : String(c.leadTimeHours),
      rating(c.ratings.leadTime),
      trend(c.leadTimeHours, p.leadTimeHours, false),
    ],
    [
      'Change failure rate (%)',
      c.changeFailureRate === undefined ? '–' : String(pct(c.changeFailureRate)),
      rating(c.ratings.changeFailureRate),
      trend(pct(c.changeFailureRate), pct(p.changeFailureRate), false),
    ],
    [
      'Time to restore (h, median)',
      c.timeToRestoreHours === undefined ? '–' : String(c.timeToRestoreHours),
      rating(c.ratings.timeToRestore),
      trend(c.timeToRestoreHours, p.timeToRestoreHours, false),
    ],
  ];
}

export function summary(r: RecordResult): Summary {
  const rec = r.record;
  const icon = rec.status === 'success' ? ICON.pass : rec.status === 'rolled-back' ? ICON.undo : ICON.fail;
  const s = new Summary().heading(
    `${icon} Deployment record ${rec.id}: ${rec.environment} ${rec.version} (${rec.status})`,
  );
  s.paragraph(r.markdown.replace(/^## .*\n\n/, ''));
  if (r.stored)
    s.paragraph(
      `${ICON.pass} Stored on branch \`${r.stored.branch}\`${r.stored.createdBranch ? ' (created now)' : ''}: [${r.stored.path}](${r.stored.url})`,
    );
  else
    s.paragraph(
      `${ICON.info} Not stored on a branch (no \`store-branch\`): upload ${r.path} as an artifact to keep it past 90 days.`,
    );
  if (r.dora) {
    const d = r.dora;
    s.heading(`DORA metrics, last ${d.windowDays} days (trend against the ${d.windowDays} days before)`, 3);
    s.table(['Metric', 'Value', 'Rating (DORA 2023)', 'Trend'], doraRows(d.current, d.previous));
    s.paragraph(
      `${d.current.deployments} deployment(s) reached a final state in the window: ${d.current.successes} succeeded, ${d.current.failures} failed` +
        `${d.current.unrestored ? `, ${d.current.unrestored} not restored yet` : ''}.`,
    );
  }
  s.paragraph(
    `GitHub API requests: ${r.requests.total} (record ${r.requests.record}, store ${r.requests.store}, DORA ${r.requests.dora}).`,
  );
  return s;
}
