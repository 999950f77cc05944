/** What every gate returns, and what it is given. */
import type { RunContext } from '../../core/context.js';
import type { PreflightGitHub } from '../github.js';
import type { GateName, PreflightConfig } from '../inputs.js';

export type GateStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface GateResult {
  name: GateName;
  status: GateStatus;
  /** One line: the evidence a reviewer reads in the summary row. */
  summary: string;
  /** Further lines (what failed, what is pending, what to do). */
  details: string[];
  /** The link that proves it (the PR, the failing check, the alert, the staging deployment). */
  url?: string;
  /** Set when an emergency override let the gate pass. */
  override?: string;
  /** Set when warn-only turned a failure into this warning. */
  downgraded?: boolean;
}

export type GateContext = Pick<RunContext, 'clock' | 'log' | 'secrets' | 'env' | 'exec' | 'signal' | 'repo'>;

export interface GateDeps {
  gh: PreflightGitHub;
  ctx: GateContext;
  /** The commit checked (resolved from the ref when needed). */
  sha: string;
}

export type Gate = (config: PreflightConfig, deps: GateDeps) => Promise<Omit<GateResult, 'name'>>;

export const pass = (summary: string, more: Partial<GateResult> = {}): Omit<GateResult, 'name'> => ({
  status: 'pass',
  summary,
  details: [],
  ...more,
});
export const fail = (summary: string, more: Partial<GateResult> = {}): Omit<GateResult, 'name'> => ({
  status: 'fail',
  summary,
  details: [],
  ...more,
});

/** `a, b and 3 more` for messages. */
export function some(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Values from GitHub (titles, check names) may hold line breaks meant to start a workflow command: flatten. */
export const oneLine = (s: string): string => s.replace(/[\r\n\u2028\u2029]+/g, ' ⏎ ');
