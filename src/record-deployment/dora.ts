/**
 * The four DORA metrics over a window of the environment's deployments, rated by the bands of the
 * Accelerate State of DevOps Report 2023 (Google Cloud / DORA), with boundaries made contiguous:
 *
 * | metric                         | elite        | high          | medium         | low            |
 * | ------------------------------ | ------------ | ------------- | -------------- | -------------- |
 * | deployment frequency           | ≥ 1 per day  | ≥ 1 per week  | ≥ 1 per month  | less           |
 * | lead time for changes          | < 1 day      | < 1 week      | < 1 month      | longer         |
 * | change failure rate            | ≤ 5%         | ≤ 10%         | ≤ 15%          | more           |
 * | failed deployment recovery     | < 1 hour     | < 1 day       | < 1 week       | longer         |
 *
 * Definitions (rollback deployments, task `deploy:rollback`, are restores, never changes):
 * - deployment frequency: change deployments that reached `success`, per day of the window;
 * - lead time: median, over the commits those deployments shipped, of commit time → deployment success;
 * - change failure rate: change deployments that ended failure/error, were rolled back (automatically by deploy,
 *   or by a rollback deployment) ÷ change deployments that reached a final state;
 * - time to restore: median, over the failed ones, from the failed deployment's creation to the service being
 *   back: the automatic rollback's final status, else the next deployment (of any task) that succeeded.
 * Pure: the caller fetches; `now` comes from the injected clock.
 */
import { outcome, payloadOf, type Outcome, type StatusLike } from './outcome.js';

export const ROLLBACK_TASK = 'deploy:rollback';
export type Rating = 'elite' | 'high' | 'medium' | 'low';

export interface DoraDeployment {
  id: number;
  task: string;
  createdAt: string;
  sha: string;
  payload: unknown;
  /** Newest first. */
  statuses: StatusLike[];
  /** Commit times of the changes it shipped; undefined when unknown. */
  changeDates?: string[];
}

export interface DoraMetrics {
  from: string;
  to: string;
  days: number;
  /** Change deployments that reached a final state. */
  deployments: number;
  successes: number;
  failures: number;
  restores: number;
  unrestored: number;
  deploymentFrequency: number;
  leadTimeHours?: number;
  changeFailureRate?: number;
  timeToRestoreHours?: number;
  ratings: {
    deploymentFrequency: Rating;
    leadTime?: Rating;
    changeFailureRate?: Rating;
    timeToRestore?: Rating;
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

export function rateFrequency(perDay: number): Rating {
  return perDay >= 1 ? 'elite' : perDay >= 1 / 7 ? 'high' : perDay >= 1 / 30 ? 'medium' : 'low';
}
export function rateLeadTime(hours: number): Rating {
  return hours < 24 ? 'elite' : hours < 7 * 24 ? 'high' : hours < 30 * 24 ? 'medium' : 'low';
}
export function rateFailureRate(rate: number): Rating {
  return rate <= 0.05 ? 'elite' : rate <= 0.1 ? 'high' : rate <= 0.15 ? 'medium' : 'low';
}
export function rateRestore(hours: number): Rating {
  return hours < 1 ? 'elite' : hours < 24 ? 'high' : hours < 7 * 24 ? 'medium' : 'low';
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Metrics for deployments created in [from, to); `history` may hold more (later restores are looked up in it). */
export function doraMetrics(history: readonly DoraDeployment[], from: Date, to: Date): DoraMetrics {
  const t0 = from.getTime();
  const t1 = to.getTime();
  const days = (t1 - t0) / DAY;
  const all = [...history]
    .map((d) => ({ d, t: Date.parse(d.createdAt), o: outcome(d.statuses) as Outcome }))
    .sort((a, b) => a.t - b.t || a.d.id - b.d.id);
  const rolledBackBy = new Set<number>();
  for (const { d } of all)
    if (d.task === ROLLBACK_TASK) {
      const of = Number(payloadOf(d.payload).rollback_of);
      if (Number.isFinite(of)) rolledBackBy.add(of);
    }
  const changes = all.filter(({ d, t }) => d.task !== ROLLBACK_TASK && t >= t0 && t < t1);

  let deployments = 0;
  let successes = 0;
  let failures = 0;
  let unrestored = 0;
  const leadTimes: number[] = [];
  const restoreTimes: number[] = [];
  for (const x of changes) {
    const { d, o, t } = x;
    const failed = o.status === 'failure' || o.status === 'rolled-back' || rolledBackBy.has(d.id);
    if (o.status !== undefined || rolledBackBy.has(d.id)) deployments++;
    if (o.succeededAt) {
      successes++;
      const at = Date.parse(o.succeededAt);
      for (const c of d.changeDates ?? []) {
        const ct = Date.parse(c);
        if (Number.isFinite(ct)) leadTimes.push(Math.max(0, at - ct));
      }
    }
    if (!failed) continue;
    failures++;
    let restoredAt: number | undefined;
    if (o.status === 'rolled-back' && o.failedAt && !o.succeededAt) restoredAt = Date.parse(o.failedAt);
    else {
      const next = all.find(
        (y) =>
          y !== x &&
          (y.t > t || (y.t === t && y.d.id > d.id)) &&
          y.o.succeededAt &&
          !rolledBackBy.has(y.d.id),
      );
      if (next) restoredAt = Date.parse(next.o.succeededAt!);
    }
    if (restoredAt === undefined) unrestored++;
    else restoreTimes.push(Math.max(0, restoredAt - t));
  }

  const frequency = days > 0 ? successes / days : 0;
  const lead = median(leadTimes);
  const restore = median(restoreTimes);
  const cfr = deployments ? failures / deployments : undefined;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    days: round(days, 3),
    deployments,
    successes,
    failures,
    restores: restoreTimes.length,
    unrestored,
    deploymentFrequency: round(frequency, 3),
    leadTimeHours: lead === undefined ? undefined : round(lead / HOUR),
    changeFailureRate: cfr === undefined ? undefined : round(cfr, 4),
    timeToRestoreHours: restore === undefined ? undefined : round(restore / HOUR),
    ratings: {
      deploymentFrequency: rateFrequency(frequency),
      leadTime: lead === undefined ? undefined : rateLeadTime(lead / HOUR),
      changeFailureRate: cfr === undefined ? undefined : rateFailureRate(cfr),
      timeToRestore: restore === undefined ? undefined : rateRestore(restore / HOUR),
    },
  };
}

/** Which deployments need their changes (for lead time): successful change deployments, with the success before. */
export function changePairs(
  history: readonly DoraDeployment[],
): Array<{ deployment: DoraDeployment; base: DoraDeployment }> {
  const all = [...history].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
  const out: Array<{ deployment: DoraDeployment; base: DoraDeployment }> = [];
  let lastSuccess: DoraDeployment | undefined;
  for (const d of all) {
    const o = outcome(d.statuses);
    if (!o.succeededAt) continue;
    if (d.task !== ROLLBACK_TASK && lastSuccess && lastSuccess.sha !== d.sha)
      out.push({ deployment: d, base: lastSuccess });
    if (o.status !== 'rolled-back') lastSuccess = d;
  }
  return out;
}
