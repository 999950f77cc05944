/**
 * preflight-check's job summary (the checklist a reviewer reads before approving the environment), step outputs
 * and failure message.
 */
import { formatDuration } from '../core/inputs.js';
import { ICON, Summary } from '../core/report.js';
import type { GateResult } from './gates/types.js';
import type { GateName, PreflightConfig } from './inputs.js';
import type { PreflightReport } from './preflight.js';

/** The seeds' pre-deployment checklist, grouped as they group it. */
export const CHECKLIST: ReadonlyArray<{ group: string; gates: ReadonlyArray<[GateName, string, string]> }> = [
  {
    group: 'Change authorisation',
    gates: [
      ['ticket', 'Change ticket named, open and approved', 'ticket'],
      ['reviews', 'Code review approved', 'pull request'],
      ['protection', 'Environment requires reviewers', 'environment'],
      ['window', 'Inside the deployment window, outside freezes', 'run'],
    ],
  },
  {
    group: 'Code quality',
    gates: [
      ['ci', 'CI: all checks passing', 'check'],
      ['security', 'Security scan: no high/critical vulnerabilities', 'alert'],
    ],
  },
  {
    group: 'Database safety',
    gates: [
      ['backup', 'Recent backup (< max age)', 'backup'],
      ['database', 'Database reachable', ''],
    ],
  },
  {
    group: 'Dependencies',
    gates: [
      ['health', 'Production healthy now', ''],
      ['env', 'Configuration and secrets in place', ''],
    ],
  },
  {
    group: 'Release policy',
    gates: [
      ['ref', 'On an allowed branch / version tag', 'compare'],
      ['soak', 'Stable on staging long enough', 'deployment'],
    ],
  },
];

/** Summary text is shown as markdown: keep values from outside (titles, names) from adding HTML. */
const safe = (s: string): string => s.replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** For link text: brackets would end the link early. */
const linkText = (s: string): string => safe(s).replace(/[[\]]/g, (c) => `\\${c}`);

const statusCell = (g: GateResult): string => {
  if (g.override) return `${ICON.warn} override`;
  if (g.status === 'warn') return `${ICON.warn} warn${g.downgraded ? ' (warn-only)' : ''}`;
  return g.status === 'pass'
    ? `${ICON.pass} pass`
    : g.status === 'fail'
      ? `${ICON.fail} fail`
      : `${ICON.skip} skip`;
};

export function headline(r: PreflightReport): string {
  const what = `${r.environment} ← ${r.sha.slice(0, 7)}${r.ref ? ` (${r.ref})` : ''}`;
  const name = r.hotfix ? 'Hotfix preflight' : 'Preflight';
  if (!r.passed) return `${ICON.fail} ${name} failed: ${r.failed.join(', ')} — ${what}`;
  if (r.warnings.length || r.gates.some((g) => g.override))
    return `${ICON.warn} ${name} passed with warnings — ${what}`;
  return `${ICON.pass} ${name} passed — ${what}`;
}

export function summary(r: PreflightReport, config: PreflightConfig): Summary {
  const s = new Summary().heading(safe(headline(r)));
  const passed = r.gates.filter((g) => g.status === 'pass').length;
  const lead = [
    `**${passed} of ${r.gates.length} gates passed**` +
      (r.failed.length ? `, ${r.failed.length} failed` : '') +
      (r.warnings.length ? `, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` : '') +
      ` (checked ${r.checkedAt.replace(/\.\d+Z$/, 'Z')}, ${formatDuration(r.durationMs)}).`,
    r.pullRequest
      ? `Pull request: [#${r.pullRequest.number} ${linkText(r.pullRequest.title)}](${r.pullRequest.url}) by ${safe(r.pullRequest.author)}.`
      : '',
    r.ticket ? `Change ticket: ${safe(r.ticket)}.` : '',
    `Commit \`${r.sha}\`${r.ref ? ` (${safe(r.ref)})` : ''}.`,
  ].filter(Boolean);
  s.paragraph(lead.join('<br>\n'));
  if (config.hotfix) {
    const from = config.hotfix.section
      ? `the runbook's \`${safe(config.hotfix.section)}\` settings`
      : 'the built-in hotfix settings (the runbook has no `hotfix` section)';
    const changes = config.hotfix.changes.length
      ? config.hotfix.changes.map((c) => `\n> - ${safe(c)}`).join('')
      : '\n> - nothing differs from a normal release for the gates that ran';
    s.paragraph(
      `> [!IMPORTANT]\n> **Hotfix** (\`hotfix: true\`): checked with ${from} over the preflight settings. What differs from a normal release:${changes}`,
    );
  }
  for (const g of r.gates.filter((x) => x.override))
    s.paragraph(
      `> [!WARNING]\n> **Emergency override of the ${g.name} gate**: ${safe(g.override!)}.\n> ${safe(g.summary)}`,
    );
  const windowGate = r.gates.find((g) => g.name === 'window');
  if (config.window.emergency && windowGate && !windowGate.override)
    s.paragraph(
      `> [!IMPORTANT]\n> **Emergency declared** (\`${config.hotfix ? 'hotfix' : 'emergency'}: true\`), no override used: ${safe(windowGate.status === 'pass' ? 'the change is inside the window' : windowGate.summary)}.`,
    );
  if (!r.passed)
    s.paragraph(
      `> [!CAUTION]\n> Do not approve this deployment: ${r.failed.map((f) => `**${f}**`).join(', ')} failed. What to fix is listed below.`,
    );

  for (const { group, gates } of CHECKLIST) {
    const rows = gates.flatMap(([name, item, linkLabel]) => {
      const g = r.gates.find((x) => x.name === name);
      if (!g) return [];
      return [
        [
          statusCell(g),
          item,
          `\`${name}\``,
          safe(g.summary),
          g.url ? `[${linkLabel || 'link'}](${g.url})` : undefined,
        ],
      ];
    });
    if (!rows.length) continue;
    s.heading(group, 3).table(['', 'Checklist item', 'Gate', 'Evidence', 'Link'], rows);
  }

  const explain = r.gates.filter((g) => (g.status !== 'pass' || g.override) && g.details.length);
  if (explain.length) {
    s.heading('What to fix', 3);
    s.list(
      explain.map(
        (g) =>
          `**${g.name}** (${g.status}): ${safe(g.summary)}${g.details.map((d) => `<br>${safe(d)}`).join('')}`,
      ),
    );
  }
  const notRun = CHECKLIST.flatMap((c) => c.gates.map(([n]) => n)).filter((n) => !config.gates.includes(n));
  if (notRun.length)
    s.paragraph(
      `<sub>Not checked: ${notRun.join(', ')} (give their settings, or the runbook's \`environments.${safe(config.environment)}.${config.hotfix ? 'hotfix` or `preflight' : 'preflight'}\`, to turn them on).</sub>`,
    );
  return s;
}

export function outputs(r: PreflightReport): Record<string, string> {
  return {
    passed: String(r.passed),
    failed: r.failed.join(','),
    warnings: r.warnings.join(','),
    ticket: r.ticket ?? '',
    'pull-request': r.pullRequest ? String(r.pullRequest.number) : '',
  };
}

/**
 * The JSON `report` output: `{ passed, gates: [{ name, status, summary, details, url }] }` and context; for a
 * hotfix also `hotfix: { changes }`.
 */
export function reportJson(r: PreflightReport): unknown {
  return {
    passed: r.passed,
    environment: r.environment,
    sha: r.sha,
    ref: r.ref,
    failed: r.failed,
    warnings: r.warnings,
    ticket: r.ticket ?? null,
    pullRequest: r.pullRequest ?? null,
    checkedAt: r.checkedAt,
    durationMs: r.durationMs,
    gates: r.gates.map((g) => ({
      name: g.name,
      status: g.status,
      summary: g.summary,
      details: g.details,
      url: g.url ?? null,
      ...(g.override ? { override: g.override } : {}),
    })),
    ...(r.hotfix ? { hotfix: { changes: r.hotfix.changes } } : {}),
  };
}

export function failureMessage(r: PreflightReport): string {
  const lines = [
    `${r.hotfix ? 'Hotfix preflight' : 'Preflight'} of ${r.environment} (${r.sha.slice(0, 7)}) failed: ${r.failed.join(', ')}. Do not deploy until these pass:`,
  ];
  for (const g of r.gates.filter((x) => x.status === 'fail')) {
    lines.push(`- ${g.name}: ${g.summary}`);
    for (const d of g.details) lines.push(`    ${d}`);
  }
  return lines.join('\n');
}
