/** What a deployment's statuses say happened to it: the record's status, when it finished, and any rollback. */
import type { RecordStatus } from './record.js';

export interface StatusLike {
  state: string;
  description?: string | null;
  created_at: string;
  environment_url?: string;
}

export interface Outcome {
  /** undefined while the deployment has no final status. */
  status?: RecordStatus;
  succeededAt?: string;
  failedAt?: string;
  /** When it reached its first final state. */
  finishedAt?: string;
  rollback?: { to?: string; how: string };
  environmentUrl?: string;
}

/** rollback's status on the deployment it undid: "rolled back to v1.2.3 by @actor: reason". */
const ROLLED_BACK = /^rolled back to (\S+?)(?:\s+by\s+@\S+?)?(?::|$)/i;
/** deploy's final status after an automatic rollback: "v2: <what failed>; rolled back: <how>". */
const AUTO_ROLLED_BACK = /;\s*rolled back:\s*(.*)$/i;

/** Reads `statuses` (newest first, as GitHub lists them). */
export function outcome(statuses: readonly StatusLike[]): Outcome {
  const oldestFirst = [...statuses].reverse();
  const out: Outcome = {};
  for (const s of oldestFirst) {
    const d = s.description ?? '';
    if (s.environment_url) out.environmentUrl = s.environment_url;
    if (s.state === 'success') out.succeededAt ??= s.created_at;
    if (s.state === 'failure' || s.state === 'error') {
      out.failedAt ??= s.created_at;
      const auto = AUTO_ROLLED_BACK.exec(d);
      if (auto && !/NOT rolled back/.test(d)) out.rollback = { how: `automatic: ${auto[1]}` };
    }
    if (s.state === 'inactive' && ROLLED_BACK.test(d)) {
      out.rollback = { to: ROLLED_BACK.exec(d)![1], how: d };
    }
  }
  if (out.rollback) out.status = 'rolled-back';
  else if (out.failedAt) out.status = 'failure';
  else if (out.succeededAt) out.status = 'success';
  out.finishedAt = [out.succeededAt, out.failedAt].filter(Boolean).sort()[0];
  return out;
}

/** A deployment payload as an object ({} when it is not one). */
export function payloadOf(payload: unknown): Record<string, unknown> {
  let p = payload;
  if (typeof p === 'string') {
    try {
      p = JSON.parse(p) as unknown;
    } catch {
      return {};
    }
  }
  return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
