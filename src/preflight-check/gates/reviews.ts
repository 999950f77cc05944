/** reviews: the pull request that brought the commit has enough approvals and no outstanding change request. */
import { fail, pass, some, type Gate } from './types.js';

/** States that decide a reviewer's position; a later COMMENTED review does not undo an approval. */
const DECISIVE = ['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'];

export const reviewsGate: Gate = async (config, { gh, sha }) => {
  const min = config.reviews.minApprovals;
  const pr = await gh.pullFor(sha);
  if (!pr) {
    if (min === 0) return pass(`no pull request (direct push); min-approvals is 0`);
    return fail(`no pull request brought ${sha.slice(0, 7)}: a direct push has no review`, {
      details: [
        `Merge changes through a reviewed pull request, or set "min-approvals: 0" for environments that allow direct pushes.`,
      ],
    });
  }
  const reviews = await gh.reviews(pr.number);
  const latest = new Map<string, { state: string; url: string }>();
  for (const r of reviews) {
    if (!r.user || r.user === pr.author || !DECISIVE.includes(r.state)) continue;
    latest.set(r.user, { state: r.state, url: r.url }); // listed oldest first: the last one wins
  }
  const approvers = [...latest].filter(([, v]) => v.state === 'APPROVED').map(([u]) => u);
  const blocking = [...latest].filter(([, v]) => v.state === 'CHANGES_REQUESTED');
  const ownApproval = reviews.some((r) => r.user === pr.author && r.state === 'APPROVED');
  const what = `PR #${pr.number}`;
  const notes = ownApproval ? [`An approval by the author ${pr.author} was not counted.`] : [];
  if (blocking.length)
    return fail(`${what}: changes requested by ${some(blocking.map(([u]) => u))}`, {
      url: blocking[0]![1].url,
      details: [
        ...notes,
        `Their latest review requests changes; it blocks even with ${approvers.length} approval(s). Address it and get a new approval.`,
      ],
    });
  if (approvers.length < min)
    return fail(
      `${what}: ${approvers.length} approval${approvers.length === 1 ? '' : 's'}, ${min} required`,
      {
        url: pr.url,
        details: [
          ...notes,
          `Approvals counted: ${approvers.length ? some(approvers) : 'none'} (the author's own and superseded reviews do not count).`,
        ],
      },
    );
  return pass(
    `${what} approved by ${approvers.length ? some(approvers) : 'nobody (none required)'} (${min} required)`,
    {
      url: pr.url,
      details: notes,
    },
  );
};
