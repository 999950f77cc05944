/**
 * The timeline deploy and rollback keep: each phase named, timed from the step's start, with its outcome and a
 * detail line, logged as it starts and ends. A failing phase is rethrown as a PhaseFailure naming the phase, so
 * the orchestrator can say which phase failed; a cancel (the job's signal) marks the phase cancelled.
 */
import type { RunContext } from '../../core/context.js';
import { errorMessage } from '../../core/errors.js';
import { formatDuration } from '../../core/inputs.js';

export type PhaseOutcome = 'ok' | 'failed' | 'cancelled';

export interface Phase {
  name: string;
  /** Milliseconds since the step started. */
  startMs: number;
  durationMs: number;
  outcome: PhaseOutcome;
  detail: string;
}

/** A phase failed; `phase` names it, the message says why. */
export class PhaseFailure extends Error {
  constructor(
    readonly phase: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Timeline {
  phases: Phase[];
  /**
   * Run `fn` as the phase `name`. `afterCancel`: the phase runs on purpose after a cancel (a rollback, closing a
   * record) and is not itself failed by the cancel.
   */
  timed<T>(name: string, fn: () => Promise<T>, detail?: (v: T) => string, afterCancel?: boolean): Promise<T>;
}

export function timeline(ctx: Pick<RunContext, 'clock' | 'log' | 'signal'>, started: number): Timeline {
  const { clock, log } = ctx;
  const phases: Phase[] = [];
  const timed = async <T>(
    name: string,
    fn: () => Promise<T>,
    detail?: (v: T) => string,
    afterCancel = false,
  ): Promise<T> => {
    const cancelled = () => !afterCancel && ctx.signal.aborted;
    const p: Phase = {
      name,
      startMs: Math.round(clock.now() - started),
      durationMs: 0,
      outcome: 'ok',
      detail: '',
    };
    phases.push(p);
    log.info(`▶ ${name}`);
    try {
      if (cancelled()) throw new Error('the job was cancelled before this phase started');
      const v = await fn();
      p.detail = detail?.(v) ?? '';
      if (cancelled()) throw new Error('the job was cancelled');
      return v;
    } catch (e) {
      p.outcome = cancelled() ? 'cancelled' : 'failed';
      p.detail = errorMessage(e);
      throw e instanceof PhaseFailure ? e : new PhaseFailure(name, errorMessage(e));
    } finally {
      p.durationMs = Math.round(clock.now() - started) - p.startMs;
      log.info(
        `${p.outcome === 'ok' ? '✅' : '❌'} ${name} (${formatDuration(p.durationMs)})${p.detail ? `: ${p.detail}` : ''}`,
      );
    }
  };
  return { phases, timed };
}
