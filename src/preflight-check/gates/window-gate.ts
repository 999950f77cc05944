/** window: inside a deploy window and outside every freeze; an emergency needs distinct approvers. */
import { formatLocal, evaluateWindow } from '../window.js';
import { fail, pass, some, type Gate } from './types.js';

export const windowGate: Gate = async (config, { gh, ctx }) => {
  const w = config.window;
  const now = ctx.clock.date().getTime();
  const verdict = evaluateWindow(w, now);
  const at = `now ${formatLocal(now, w.timezone)}`;
  if (verdict.open)
    return pass(`${verdict.reason}; ${at}`, {
      details: w.emergency
        ? [
            `${config.hotfix ? 'hotfix: true (an emergency)' : 'emergency: true'} was set but not needed: the change is inside the window.`,
          ]
        : [],
    });
  if (!w.emergency)
    return fail(verdict.reason, {
      details: [
        verdict.nextOpen
          ? `Deploy after ${formatLocal(verdict.nextOpen, w.timezone)}, or declare an emergency (input "emergency: true") with ${w.emergencyApprovals} approvers other than you.`
          : `Declare an emergency (input "emergency: true") with ${w.emergencyApprovals} approvers other than you.`,
      ],
    });
  // Emergency: count distinct people other than the actor who approved this run's deployments.
  const runId = Number(ctx.repo.runId);
  if (!runId)
    return fail(
      `${verdict.reason}; emergency declared, but there is no workflow run (GITHUB_RUN_ID) to read approvals of`,
    );
  const approvals = await gh.runApprovals(runId);
  const actor = ctx.repo.actor;
  const approvers = [
    ...new Set(
      approvals.filter((a) => a.state === 'approved' && a.user && a.user !== actor).map((a) => a.user),
    ),
  ];
  const ownApproval = approvals.some((a) => a.state === 'approved' && a.user === actor);
  const note = ownApproval ? [`The approval by ${actor}, who started the run, does not count.`] : [];
  const runUrl = ctx.repo.runUrl || undefined;
  if (approvers.length >= w.emergencyApprovals)
    return pass(`EMERGENCY OVERRIDE: ${verdict.reason}`, {
      override: `emergency declared by ${actor || 'the actor'}, approved by ${some(approvers)} (${w.emergencyApprovals} required)`,
      url: runUrl,
      details: note,
    });
  return fail(
    `${verdict.reason}; emergency declared, but ${approvers.length} of ${w.emergencyApprovals} required approvers (other than ${actor || 'the actor'}) approved this run${approvers.length ? `: ${some(approvers)}` : ''}`,
    {
      url: runUrl,
      details: [
        ...note,
        `An emergency outside the window needs ${w.emergencyApprovals} distinct people other than the person who started the run to approve this run's deployment (environment reviewers).`,
      ],
    },
  );
};
