/** ci: every check run and commit status on the commit concluded well; waits up to ci-wait for pending ones. */
import { formatDuration } from '../../core/inputs.js';
import { fail, oneLine, pass, some, type Gate } from './types.js';

const GREEN = ['success', 'neutral', 'skipped'];

interface Item {
  name: string;
  kind: 'check' | 'status';
  state: 'ok' | 'pending' | 'failed';
  /** conclusion or state as GitHub says it */
  detail: string;
  url: string;
}

export const ciGate: Gate = async (config, { gh, ctx, sha }) => {
  const { checks: required, waitMs, pollMs } = config.ci;
  const started = ctx.clock.now();
  const ownRun = ctx.repo.runId ? `/actions/runs/${ctx.repo.runId}/` : undefined;
  for (let round = 1; ; round++) {
    const [allRuns, statuses] = await Promise.all([gh.checkRuns(sha), gh.statuses(sha)]);
    // Newest first: a re-run replaces the earlier run of the same name.
    const runs = allRuns.filter((r, i) => allRuns.findIndex((x) => x.name === r.name) === i);
    const items: Item[] = [
      ...runs
        // This run's own jobs (this one included) are still running: they are not the CI of the commit.
        .filter((r) => !ownRun || !(r.detailsUrl.includes(ownRun) || r.url.includes(ownRun)))
        .map((r): Item => ({
          name: r.name,
          kind: 'check',
          state: r.status !== 'completed' ? 'pending' : GREEN.includes(r.conclusion ?? '') ? 'ok' : 'failed',
          detail: r.status !== 'completed' ? r.status : (r.conclusion ?? 'no conclusion'),
          url: r.url || r.detailsUrl,
        })),
      ...statuses.map((s): Item => ({
        name: s.context,
        kind: 'status',
        state: s.state === 'success' ? 'ok' : s.state === 'pending' ? 'pending' : 'failed',
        detail: s.state,
        url: s.url,
      })),
    ];
    const considered = required.length ? items.filter((i) => required.includes(i.name)) : items;
    const missing = required.filter((n) => !items.some((i) => i.name === n));
    const failed = considered.filter((i) => i.state === 'failed');
    const pending = considered.filter((i) => i.state === 'pending');
    const waited = ctx.clock.now() - started;
    const left = waitMs - waited;

    if (failed.length) {
      return fail(
        `${failed.length} of ${considered.length} failed: ${some(failed.map((f) => `${f.name} (${f.detail})`))}`,
        {
          url: failed.find((f) => f.url)?.url,
          details: [
            ...failed.map(
              (f) =>
                `${f.kind === 'check' ? 'check run' : 'status'} ${f.name}: ${f.detail}${f.url ? ` ${f.url}` : ''}`,
            ),
            'Fix or re-run the failing checks on this commit, then run preflight again.',
          ],
        },
      );
    }
    const waiting = [
      ...pending.map((p) => `${p.name} (${p.detail})`),
      ...missing.map((m) => `${m} (not reported)`),
    ];
    const nothing = considered.length === 0 && !required.length;
    if (!waiting.length && !nothing) {
      const names = [...new Set(considered.map((c) => c.name))].sort();
      return pass(
        `${considered.length} check${considered.length === 1 ? '' : 's'} green${required.length ? ' (all required present)' : ''}: ${some(names)}`,
        {
          url: considered.find((c) => c.url)?.url,
          details: waited > 0 ? [`after waiting ${formatDuration(waited)}`] : [],
        },
      );
    }
    if (left <= 0) {
      if (nothing)
        return fail(`no check runs or commit statuses on ${sha.slice(0, 7)}: no CI reported on this commit`, {
          details: [
            'A commit without any CI result is not proven green. Run CI on it (or name the checks that must pass with "ci-checks").',
          ],
        });
      return fail(
        `${waiting.length} still pending${waitMs ? ` after waiting ${formatDuration(waited)}` : ''}: ${some(waiting)}`,
        {
          url: pending.find((p) => p.url)?.url,
          details: [
            waitMs
              ? `Waited ${formatDuration(waitMs)} (ci-wait). Let CI finish, then run preflight again, or raise "ci-wait".`
              : 'CI has not finished on this commit. Set "ci-wait" (e.g. 10m) to wait for it, or run preflight after CI.',
          ],
        },
      );
    }
    const sleep = Math.min(pollMs, left);
    ctx.log.info(
      `ci: waiting for ${nothing ? 'CI to report' : oneLine(some(waiting))}; checking again in ${formatDuration(sleep)} (round ${round}, ${formatDuration(left)} of ci-wait left)`,
    );
    await ctx.clock.sleep(sleep, ctx.signal);
    if (ctx.signal.aborted) return fail('cancelled while waiting for CI');
  }
};
