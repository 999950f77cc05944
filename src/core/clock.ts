/** Time, injected so logic can be tested without waiting on the wall clock where that matters. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Wall-clock time. */
  date(): Date;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest delay a Node timer holds (2^31-1 ms, about 24.8 days); beyond it a timer fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay a timer can hold: NaN and negatives become 0, anything above MAX_TIMER_MS becomes MAX_TIMER_MS. */
export function timerMs(ms: number): number {
  return Number.isNaN(ms) || ms <= 0 ? 0 : Math.min(ms, MAX_TIMER_MS);
}

export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  // A wait longer than a timer holds is slept in pieces, never cut short to 1 ms.
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || !(ms > 0)) return resolve();
      const end = performance.now() + ms;
      let t: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const arm = () => {
        const left = end - performance.now();
        if (left <= 0) return done();
        t = setTimeout(left > MAX_TIMER_MS ? arm : done, timerMs(left));
      };
      signal?.addEventListener('abort', done, { once: true });
      arm();
    }),
};
