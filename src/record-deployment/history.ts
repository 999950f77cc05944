/**
 * Fetches what DORA needs over the window and the window before it (for the trend): the environment's
 * deployments (pages of 100, newest first; later pages fetched a few at once), each one's statuses, and for
 * each successful change deployment the commits it shipped (one compare against the success before it).
 */
import type { RunContext } from '../core/context.js';
import type { Deployment } from '../core/github.js';
import { changePairs, doraMetrics, type DoraDeployment, type DoraMetrics } from './dora.js';
import type { RecordGitHub } from './github.js';

export interface DoraResult {
  windowDays: number;
  /** Deployments whose changes came from the records branch's index instead of a compare. */
  changesFromIndex: number;
  /** Change dates per deployment id over both windows, for the records branch's index. */
  changeIndex: Record<string, string[]>;
  current: DoraMetrics;
  previous: DoraMetrics;
  /** Deployments read (both windows). */
  deploymentsRead: number;
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const CONCURRENCY = 8;
const PAGE_BATCH = 4;

export async function doraHistory(
  environment: string,
  windowMs: number,
  gh: RecordGitHub,
  ctx: Pick<RunContext, 'clock' | 'log'>,
  firstPage?: { items: Deployment[]; lastPage: number },
  known: Record<string, string[]> = {},
): Promise<DoraResult> {
  const now = ctx.clock.date();
  const cutoff = now.getTime() - 2 * windowMs;
  const first = firstPage ?? (await gh.deploymentsPage(environment, 1));
  const deployments: Deployment[] = [...first.items];
  const oldest = (items: Deployment[]) => Math.min(...items.map((d) => Date.parse(d.created_at)));
  let page = 1;
  let reachedCutoff = !first.items.length || oldest(first.items) < cutoff || first.lastPage <= 1;
  while (!reachedCutoff) {
    const pages = Array.from({ length: Math.min(PAGE_BATCH, first.lastPage - page) }, (_, i) => page + 1 + i);
    const got = await Promise.all(pages.map((p) => gh.deploymentsPage(environment, p)));
    page += pages.length;
    for (const g of got) deployments.push(...g.items);
    reachedCutoff = got.some((g) => !g.items.length || oldest(g.items) < cutoff) || page >= first.lastPage;
  }
  const inRange = deployments.filter(
    (d) => Date.parse(d.created_at) >= cutoff && Date.parse(d.created_at) <= now.getTime(),
  );
  const history: DoraDeployment[] = await mapLimit(inRange, CONCURRENCY, async (d) => ({
    id: d.id,
    task: d.task,
    createdAt: d.created_at,
    sha: d.sha,
    payload: d.payload,
    statuses: await gh.statuses(d.id),
  }));
  let changesFromIndex = 0;
  const changeIndex: Record<string, string[]> = {};
  await mapLimit(changePairs(history), CONCURRENCY, async ({ deployment, base }) => {
    const cached = known[String(deployment.id)];
    if (cached) changesFromIndex++;
    deployment.changeDates =
      cached ??
      (await gh.compare(base.sha, deployment.sha)).commits.map((c) => c.date).filter((x): x is string => !!x);
    changeIndex[String(deployment.id)] = deployment.changeDates;
  });
  const mid = new Date(now.getTime() - windowMs);
  return {
    windowDays: windowMs / 86_400_000,
    current: doraMetrics(history, mid, now),
    previous: doraMetrics(history, new Date(cutoff), mid),
    deploymentsRead: inRange.length,
    changesFromIndex,
    changeIndex,
  };
}
