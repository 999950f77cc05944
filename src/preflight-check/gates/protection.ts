/** protection: the GitHub environment exists and is protected by required reviewers (and no self-review). */
import { fail, pass, some, type Gate } from './types.js';

export const protectionGate: Gate = async (config, { gh, ctx }) => {
  const name = config.environment;
  const { requireReviewers, requireSelfReviewOff } = config.protection;
  const env = await gh.environment(name);
  const settings = `https://github.com/${ctx.repo.owner}/${ctx.repo.repo}/settings/environments`;
  if (!env)
    return fail(`the GitHub environment ${name} does not exist`, {
      url: settings,
      details: [
        `A job naming a misspelled environment silently creates a new, unprotected one. Check the spelling, or create ${name} with required reviewers in Settings → Environments.`,
      ],
    });
  const reviewers = env.reviewers.length ? `reviewers ${some(env.reviewers)}` : 'no required reviewers';
  const self = env.hasReviewersRule
    ? env.preventSelfReview
      ? 'self-review prevented'
      : 'self-review allowed'
    : '';
  const evidence = [reviewers, self, env.waitTimerMinutes ? `wait timer ${env.waitTimerMinutes} min` : '']
    .filter(Boolean)
    .join(', ');
  if (requireReviewers && !env.reviewers.length)
    return fail(`${name} has no required reviewers`, {
      url: env.url,
      details: [
        `Anyone who can run the workflow can deploy to ${name}. Add required reviewers in Settings → Environments → ${name}.`,
      ],
    });
  if (requireSelfReviewOff && env.hasReviewersRule && !env.preventSelfReview)
    return fail(`${name}: ${reviewers}, but self-review is allowed`, {
      url: env.url,
      details: [
        `The person who starts a deployment can approve it themselves. Tick "Prevent self-review" in Settings → Environments → ${name} (or set require-self-review-off: false).`,
      ],
    });
  return pass(`${name}: ${evidence}`, { url: env.url });
};
