/**
 * One look for every action: a markdown job summary, step outputs, and the JSON `report` output, all passed
 * through the secrets registry on the way out.
 */
import { appendFileSync } from 'node:fs';
import * as core from '@actions/core';
import { neutralise } from './safe-line.js';
import type { SecretRegistry } from './secrets.js';

export const ICON = { pass: '✅', fail: '❌', warn: '⚠️', skip: '⏭️', info: 'ℹ️', undo: '↩️' } as const;

function cell(v: unknown): string {
  const s = v === undefined || v === null || v === '' ? '–' : String(v);
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Builds the job summary as markdown. */
export class Summary {
  private readonly parts: string[] = [];

  heading(text: string, level: 2 | 3 | 4 = 2): this {
    this.parts.push(`${'#'.repeat(level)} ${text}`);
    return this;
  }

  paragraph(markdown: string): this {
    this.parts.push(markdown);
    return this;
  }

  table(headers: readonly string[], rows: readonly (readonly unknown[])[]): this {
    const lines = [
      `| ${headers.map((h) => (h ? cell(h) : ' ')).join(' | ')} |`,
      `| ${headers.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    ];
    this.parts.push(lines.join('\n'));
    return this;
  }

  /** Key/value pairs as a two-column table. */
  facts(pairs: readonly (readonly [string, unknown])[]): this {
    return this.table(['', ''], pairs);
  }

  list(items: readonly string[]): this {
    if (items.length) this.parts.push(items.map((i) => `- ${i}`).join('\n'));
    return this;
  }

  details(title: string, body: string): this {
    this.parts.push(`<details><summary>${title}</summary>\n\n${body}\n\n</details>`);
    return this;
  }

  code(text: string, lang = ''): this {
    this.parts.push(`\`\`\`${lang}\n${text.replace(/```/g, '`\u200b``')}\n\`\`\``);
    return this;
  }

  toMarkdown(): string {
    return `${this.parts.join('\n\n')}\n`;
  }
}

export interface OutputSink {
  summary(markdown: string): void;
  output(name: string, value: string): void;
}

/** Writes to the runner's files (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT via @actions/core). */
export function runnerSink(env: NodeJS.ProcessEnv = process.env): OutputSink {
  return {
    summary(markdown) {
      const file = env.GITHUB_STEP_SUMMARY;
      if (file) appendFileSync(file, markdown, 'utf8');
      else core.info(neutralise(markdown));
    },
    output(name, value) {
      core.setOutput(name, value);
    },
  };
}

/**
 * Publish an action's results: every output (the `report` output is the JSON of `report`) and the summary.
 * Everything passes through `secrets.redact`.
 */
export function publish(
  sink: OutputSink,
  secrets: SecretRegistry,
  outputs: Record<string, string | number | boolean | undefined>,
  report: unknown,
  summary?: Summary,
): void {
  for (const [name, value] of Object.entries(outputs)) {
    if (value !== undefined) sink.output(name, secrets.redact(String(value)));
  }
  sink.output('report', secrets.redact(JSON.stringify(report)));
  if (summary) sink.summary(secrets.redact(summary.toMarkdown()));
}
