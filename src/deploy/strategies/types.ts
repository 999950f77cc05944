/**
 * What a strategy gets: the provider, the release, and a few tools from the orchestrator (deploy.ts) that
 * keep the timeline, wait for health, monitor, and remember how to undo a traffic move. A strategy only says
 * what happens in which order; on any failure it throws, and the orchestrator decides about rollback.
 */
import type { CheckSpec } from '../../core/checks.js';
import type { Logger } from '../../core/log.js';
import type { MonitorResult } from '../../core/monitor.js';
import type { DeployConfig, StrategyName } from '../inputs.js';
import type { OperationOptions, Provider, Release } from '../../shared/deployments/provider.js';

export interface Undo {
  /** What undoing does, for messages: "switch traffic back to blue". */
  description: string;
  /** Absent when traffic moved but cannot be moved back automatically; `description` then says why. */
  run?(o: OperationOptions): Promise<void>;
}

export interface StrategyRun {
  config: DeployConfig;
  provider: Provider;
  release: Release;
  /** Blue-green / canary: the slot serving traffic now, and the idle one this release goes to. */
  liveSlot?: string;
  targetSlot?: string;
  log: Logger;
  /** Options for a provider operation that runs as part of the deploy (the job's signal, command-timeout). */
  op(): OperationOptions;
  /** Run one phase of the timeline; a throw marks it failed and is rethrown. */
  phase<T>(name: string, fn: () => Promise<T>, detail?: (value: T) => string): Promise<T>;
  /** Wait until every check passes (retried with backoff) within `timeout`, or throw saying which failed. */
  waitHealthy(what: string, checks: readonly CheckSpec[]): Promise<string>;
  /** Monitor checks for a canary step; throws when the window fails. */
  monitor(what: string, checks: readonly CheckSpec[]): Promise<MonitorResult>;
  /**
   * Traffic is about to move (or may already have partly moved): from now on a failure needs `undo`.
   * Called before the operation that moves traffic, since a half-done switch needs undoing too.
   */
  trafficMoving(undo: Undo): void;
}

export interface StrategyResult {
  /** The slot serving all traffic at the end (blue-green, canary with slots). */
  slot?: string;
}

export interface Strategy {
  readonly name: StrategyName;
  run(r: StrategyRun): Promise<StrategyResult>;
}
