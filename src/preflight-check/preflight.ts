/** The gates, run concurrently; every one reported; warn-only failures become warnings. */
import { errorMessage } from '../core/errors.js';
import { formatDuration } from '../core/inputs.js';
import { backupGate } from './gates/backup.js';
import { ciGate } from './gates/ci.js';
import { databaseGate } from './gates/database.js';
import { envGate } from './gates/env.js';
import { healthGate } from './gates/health.js';
import { protectionGate } from './gates/protection.js';
import { refGate } from './gates/ref.js';
import { reviewsGate } from './gates/reviews.js';
import { securityGate } from './gates/security.js';
import { soakGate } from './gates/soak.js';
import { findTicket, ticketGate } from './gates/ticket.js';
import { oneLine, type Gate, type GateContext, type GateResult } from './gates/types.js';
import { windowGate } from './gates/window-gate.js';
import type { PreflightGitHub } from './github.js';
import type { GateName, PreflightConfig } from './inputs.js';

export const GATE_FUNCTIONS: Record<GateName, Gate> = {
  ci: ciGate,
  reviews: reviewsGate,
  security: securityGate,
  ticket: ticketGate,
  ref: refGate,
  window: windowGate,
  soak: soakGate,
  backup: backupGate,
  health: healthGate,
  env: envGate,
  database: databaseGate,
  protection: protectionGate,
};

export interface PreflightReport {
  passed: boolean;
  environment: string;
  sha: string;
  ref: string;
  failed: GateName[];
  warnings: GateName[];
  ticket?: string;
  pullRequest?: { number: number; title: string; url: string; author: string };
  durationMs: number;
  checkedAt: string;
  gates: GateResult[];
  /** Set for a hotfix: what it changed against a normal release's preflight, one line each. */
  hotfix?: { changes: string[] };
}

export async function preflight(
  config: PreflightConfig,
  deps: { gh: PreflightGitHub; ctx: GateContext; gateFunctions?: Partial<Record<GateName, Gate>> },
): Promise<PreflightReport> {
  const { gh, ctx } = deps;
  const started = ctx.clock.now();
  const sha = config.resolveRef ? await gh.resolveRef(config.ref) : config.sha;
  const fns = { ...GATE_FUNCTIONS, ...deps.gateFunctions };
  const results = await Promise.all(
    config.gates.map(async (name): Promise<GateResult> => {
      let r: Omit<GateResult, 'name'>;
      try {
        r = await fns[name](config, { gh, ctx, sha });
      } catch (e) {
        r = {
          status: 'fail',
          summary: `could not be checked: ${errorMessage(e).split('\n')[0]}`,
          details: errorMessage(e).split('\n').slice(1),
        };
      }
      const result: GateResult = { name, ...r };
      if (result.status === 'fail' && config.warnOnly.includes(name)) {
        result.status = 'warn';
        result.downgraded = true;
      }
      const icon = { pass: '✅', fail: '❌', warn: '⚠️', skip: '⏭️' }[result.status];
      ctx.log.info(`${icon} ${name}: ${oneLine(result.summary)}`);
      for (const d of result.details) ctx.log.info(`    ${oneLine(d)}`);
      return result;
    }),
  );

  // The PR and ticket, for outputs, when a gate already looked them up (no extra request otherwise).
  let pullRequest: PreflightReport['pullRequest'];
  let ticket = config.ticket.given;
  if (config.gates.includes('reviews') || config.gates.includes('ticket')) {
    try {
      const pr = await gh.pullFor(sha);
      if (pr) pullRequest = { number: pr.number, title: pr.title, url: pr.url, author: pr.author };
      ticket ??= findTicket(config.ticket.pattern, undefined, pr)?.ticket;
    } catch {
      // Already reported by the gate that needed it.
    }
  }
  const failed = results.filter((r) => r.status === 'fail').map((r) => r.name);
  const warnings = results.filter((r) => r.status === 'warn').map((r) => r.name);
  const durationMs = Math.round(ctx.clock.now() - started);
  ctx.log.info(
    `${config.hotfix ? 'Hotfix preflight' : 'Preflight'} of ${config.environment}: ${results.length} gate(s) in ${formatDuration(durationMs)}; ${failed.length ? `failed: ${failed.join(', ')}` : 'all passed'}${warnings.length ? `; warnings: ${warnings.join(', ')}` : ''}`,
  );
  return {
    passed: failed.length === 0,
    environment: config.environment,
    sha,
    ref: config.ref,
    failed,
    warnings,
    ticket,
    pullRequest,
    durationMs,
    checkedAt: ctx.clock.date().toISOString(),
    gates: results,
    ...(config.hotfix ? { hotfix: { changes: [...config.hotfix.changes] } } : {}),
  };
}
