/** smoke-test's job summary and outputs. */
import { formatDuration } from '../core/inputs.js';
import { pct } from '../core/monitor.js';
import { ICON, Summary } from '../core/report.js';
import type { SmokeReport } from './smoke.js';

export function outputs(r: SmokeReport): Record<string, string | number> {
  return {
    passed: String(r.passed),
    'failed-count': r.failedCount,
    'error-rate': +r.errorRate.toFixed(2),
    'p95-ms': r.p95Ms ?? '',
  };
}

export function headline(r: SmokeReport): string {
  const where = r.environment ? ` on ${r.environment}` : '';
  if (r.passed) return `Smoke test passed${where}`;
  const failed = [
    ...r.checks.filter((c) => !c.passed).map((c) => c.name),
    ...(r.command && !r.command.passed ? ['command'] : []),
  ];
  if (failed.length) return `Smoke test failed${where}: ${failed.join(', ')}`;
  return `Smoke test failed${where}: monitoring window`;
}

/** The message the step fails with: every failure, with what was expected and what came back. */
export function failureMessage(r: SmokeReport): string {
  const lines = [`${headline(r)}.`];
  for (const c of r.checks) if (!c.passed) lines.push(`- ${c.name} (${c.method} ${c.url}): ${c.reason}`);
  if (r.command && !r.command.passed) lines.push(`- command \`${r.command.command}\`: ${r.command.reason}`);
  if (r.monitor && !r.monitor.passed) {
    lines.push(`- monitoring: ${r.monitor.reason}`);
    for (const e of r.monitor.failureExamples) lines.push(`    e.g. ${e}`);
  }
  return lines.join('\n');
}

export function summary(r: SmokeReport): Summary {
  const s = new Summary().heading(`${r.passed ? ICON.pass : ICON.fail} ${headline(r)}`);
  const passedChecks = r.checks.filter((c) => c.passed).length;
  const lead = [
    r.checks.length ? `${passedChecks} of ${r.checks.length} checks passed` : '',
    r.command ? `command ${r.command.skipped ? 'skipped' : r.command.passed ? 'passed' : 'failed'}` : '',
  ].filter(Boolean);
  s.paragraph(`${lead.join(', ')} in ${formatDuration(r.durationMs)}.`);
  if (r.checks.length) {
    s.table(
      ['Check', 'Result', 'Status', 'Latency', 'Attempts', 'Reason'],
      r.checks.map((c) => [
        `${c.name}<br><sub>${c.method} ${c.url}</sub>`,
        c.passed ? `${ICON.pass} pass` : `${ICON.fail} fail`,
        c.status,
        c.latencyMs === undefined ? undefined : `${c.latencyMs} ms`,
        c.attempts,
        c.reason,
      ]),
    );
  }
  if (r.command) {
    const c = r.command;
    s.table(
      ['Command', 'Result', 'Exit code', 'Duration', 'Reason'],
      [
        [
          `\`${c.command}\``,
          c.skipped ? `${ICON.skip} skipped` : c.passed ? `${ICON.pass} pass` : `${ICON.fail} fail`,
          c.exitCode,
          c.durationMs === undefined ? undefined : formatDuration(c.durationMs),
          c.reason,
        ],
      ],
    );
  }
  if (r.monitor) {
    const m = r.monitor;
    s.heading('Monitoring window', 3).table(
      ['Window', 'Requests', 'Errors', 'Error rate (max)', 'p95 (max)', 'Result'],
      [
        [
          `${formatDuration(m.durationMs)} of ${formatDuration(m.windowMs)}, every ${formatDuration(m.intervalMs)}`,
          m.samples,
          m.failures,
          `${pct(m.errorRate)} (${pct(m.maxErrorRate)})`,
          `${m.p95Ms ?? '–'} ms (${m.maxP95Ms === undefined ? 'no limit' : `${m.maxP95Ms} ms`})`,
          m.passed ? `${ICON.pass} pass` : `${ICON.fail} ${m.reason}`,
        ],
      ],
    );
    if (m.failureExamples.length)
      s.details('Failures seen while monitoring', m.failureExamples.map((e) => `- ${e}`).join('\n'));
  }
  return s;
}
