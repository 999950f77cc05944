/**
 * canary: deploy the new version next to the stable one (to the idle slot when slots are given), then for
 * each step of `canary-steps` set its share of traffic with the weight command and hold for `step-duration`
 * while monitoring error rate and p95; the last step (100) promotes it. A failing step sets the weight back
 * to 0.
 */
import { pct } from '../../core/monitor.js';
import type { Strategy } from './types.js';

export const canary: Strategy = {
  name: 'canary',
  async run(r) {
    const { provider, release, config } = r;
    const target = r.targetSlot;
    const slot = config.slots.find((s) => s.name === target);
    await r.phase(
      target ? `deploy to ${target}` : 'deploy canary',
      () => provider.deploy(release, target, r.op()),
      () => `${release.version} deployed${target ? ` on ${target}` : ''}, no traffic yet`,
    );
    if (slot)
      await r.phase(
        `health of ${target}`,
        () => r.waitHealthy(`the ${target} slot`, [slot.check]),
        (s) => s,
      );
    const watched = [...config.checks, ...(slot ? [slot.check] : [])];
    r.trafficMoving({
      description: `set the canary weight back to 0${r.liveSlot ? ` (all traffic on ${r.liveSlot})` : ''}`,
      run: (o) => provider.setWeight(release, target, 0, o),
    });
    for (const weight of config.canarySteps) {
      await r.phase(
        `weight ${weight}%`,
        () => provider.setWeight(release, target, weight, r.op()),
        () => `${weight}% of traffic on ${release.version}`,
      );
      await r.phase(
        `monitor ${weight}%`,
        () => r.monitor(`step ${weight}%`, watched),
        (m) => `${m.samples} requests, error rate ${pct(m.errorRate)}, p95 ${m.p95Ms ?? '–'} ms`,
      );
    }
    return { slot: target };
  },
};
