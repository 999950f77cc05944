/**
 * blue-green: deploy to the idle slot, check the idle slot's own health URL, switch all traffic to it, check
 * the public URL. The old slot keeps running, so undoing is one switch back. Traffic moves only at the
 * switch: a failure before it leaves the live slot untouched (nothing to undo).
 */
import type { Strategy } from './types.js';

export const blueGreen: Strategy = {
  name: 'blue-green',
  async run(r) {
    const { provider, release, config } = r;
    const live = r.liveSlot!;
    const target = r.targetSlot!;
    const targetSlot = config.slots.find((s) => s.name === target)!;
    await r.phase(
      `deploy to ${target}`,
      () => provider.deploy(release, target, r.op()),
      () => `${release.version} on ${target} (idle)`,
    );
    await r.phase(
      `health of ${target}`,
      () => r.waitHealthy(`the ${target} slot`, [targetSlot.check]),
      (s) => s,
    );
    r.trafficMoving({
      description: `switched traffic back to ${live}`,
      run: (o) => provider.switchTraffic(release, live, o),
    });
    await r.phase(
      `switch to ${target}`,
      () => provider.switchTraffic(release, target, r.op()),
      () => `all traffic on ${target}; ${live} kept running for switch-back`,
    );
    if (config.checks.length)
      await r.phase(
        'public health',
        () => r.waitHealthy('the public checks', config.checks),
        (s) => s,
      );
    else
      r.log.info('No public checks (health-url or runbook smoke checks): the slot check was the only gate.');
    return { slot: target };
  },
};
