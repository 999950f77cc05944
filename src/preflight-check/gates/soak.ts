/** soak: the commit has run successfully on the soak environment for long enough, with no failure since. */
import { formatDuration } from '../../core/inputs.js';
import { fail, pass, type Gate } from './types.js';

export const soakGate: Gate = async (config, { gh, ctx, sha }) => {
  const { ms, environment } = config.soak;
  const short = sha.slice(0, 7);
  const deployments = await gh.deploymentsOf(environment, sha);
  const statuses = deployments
    .flatMap((d) => d.statuses.map((s) => ({ ...s, deployment: d.id, t: Date.parse(s.createdAt) })))
    .sort((a, b) => a.t - b.t);
  const lastBad = statuses.filter((s) => s.state === 'failure' || s.state === 'error').at(-1);
  const firstGood = statuses.find((s) => s.state === 'success' && (!lastBad || s.t > lastBad.t));
  const now = ctx.clock.date().getTime();
  if (!firstGood) {
    if (lastBad)
      return fail(
        `${short} ${lastBad.state === 'error' ? 'errored' : 'failed'} on ${environment} at ${lastBad.createdAt} and has not succeeded there since`,
        {
          url: lastBad.logUrl || undefined,
          details: [
            'A failure on the soak environment resets the soak: fix it, redeploy there and let it soak again.',
          ],
        },
      );
    return fail(`${short} has no successful deployment on ${environment}`, {
      details: [
        `Deploy this commit to ${environment} and let it run for ${formatDuration(ms)} before production.`,
      ],
    });
  }
  const soaked = now - firstGood.t;
  const link =
    firstGood.logUrl ||
    firstGood.environmentUrl ||
    `${ctx.repo.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}/deployments/${encodeURIComponent(environment)}`;
  if (soaked < ms)
    return fail(
      `${short} has run on ${environment} for ${formatDuration(Math.max(0, soaked))} of ${formatDuration(ms)}: ${formatDuration(ms - soaked)} left`,
      {
        url: link,
        details: [
          `Deployed successfully at ${firstGood.createdAt} (deployment ${firstGood.deployment}); production may follow at ${new Date(firstGood.t + ms).toISOString()}.`,
        ],
      },
    );
  return pass(
    `${short} on ${environment} for ${formatDuration(soaked)} (≥ ${formatDuration(ms)}), no failure since ${firstGood.createdAt}`,
    { url: link },
  );
};
