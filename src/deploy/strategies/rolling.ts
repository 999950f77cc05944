/**
 * rolling: run the deploy command (which replaces the running version in place, however the team's
 * infrastructure does it), then wait until the public checks pass. Traffic is on the new version as soon as
 * the command starts, so a failure from then on runs the rollback command with the previous version.
 */
import type { Strategy } from './types.js';

export const rolling: Strategy = {
  name: 'rolling',
  async run(r) {
    const { provider, release } = r;
    r.trafficMoving(
      !provider.canRollback()
        ? { description: 'no rollback-command is configured, so nothing was put back' }
        : release.previousVersion === undefined
          ? { description: 'there is no earlier successful deployment of this environment to put back' }
          : {
              description: `ran ${provider.describe('rollback')} to put ${release.previousVersion} back`,
              run: (o) => provider.rollback(release, o),
            },
    );
    await r.phase(
      'deploy',
      () => provider.deploy(release, undefined, r.op()),
      () => `${release.version} rolled out`,
    );
    await r.phase(
      'health',
      () => r.waitHealthy('the public checks', r.config.checks),
      (s) => s,
    );
    return {};
  },
};
