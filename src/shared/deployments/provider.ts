/**
 * The provider is the only part of deploy that touches infrastructure; strategies (rolling, blue-green,
 * canary) decide *what* happens in which order and talk to it through this interface, so a new kind of
 * infrastructure (e.g. `kubernetes`: `kubectl set image` + `rollout status` for `deploy`, a Service selector
 * patch for `switchTraffic`, an ingress canary weight for `setWeight`, `rollout undo` for `rollback`) is one
 * new file in providers/ and one entry in `createProvider`, with no change to the strategies.
 *
 * Every operation either completes or throws a ProviderError saying what failed, bounded by its timeout and
 * stopped when `signal` aborts.
 */
import type { ProcessRunner } from '../../core/proc.js';
import type { Logger } from '../../core/log.js';

export interface Release {
  environment: string;
  /** The version this run deploys. */
  version: string;
  /** The version it replaces (from the last successful deployment), when known. */
  previousVersion?: string;
}

export interface OperationOptions {
  signal: AbortSignal;
  /** Upper bound for the operation; the provider stops it (and everything it started) after this. */
  timeoutMs: number;
}

export interface Provider {
  readonly name: string;
  /** Put `release.version` on `slot` (blue-green, canary: the idle slot, no traffic change), or everywhere. */
  deploy(release: Release, slot: string | undefined, o: OperationOptions): Promise<void>;
  /** Send all traffic to `slot`. */
  switchTraffic(release: Release, slot: string, o: OperationOptions): Promise<void>;
  /** Send `weight` percent (0-100) of traffic to `slot`, the rest to the other slot. */
  setWeight(release: Release, slot: string | undefined, weight: number, o: OperationOptions): Promise<void>;
  /** Put `release.previousVersion` back everywhere (rolling). Only called when `canRollback()`. */
  rollback(release: Release, o: OperationOptions): Promise<void>;
  /** Whether `rollback` can do anything (the command provider: a rollback-command was given). */
  canRollback(): boolean;
  /** How an operation would be run, for messages telling a human what to run by hand. */
  describe(op: 'deploy' | 'switch' | 'weight' | 'rollback'): string | undefined;
}

/** An operation failed; the message says which, how, and the last output. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    message: string,
    readonly cancelled = false,
  ) {
    super(message);
  }
}

export interface ProviderContext {
  exec: ProcessRunner;
  log: Logger;
}
