/**
 * Making any text safe to print on the runner's stdout. The runner reads stdout line by line (a line ends at
 * \n, \r\n or a lone \r) and treats as a workflow command:
 * - a line whose start, after leading whitespace, is `::` (`::error::`, `::add-mask::`, `::stop-commands::`,
 *   `::set-output`…; actions/runner ActionCommand.TryParseV2, which uses .NET TrimStart);
 * - the legacy form `##[name …]` anywhere in a line (ActionCommand.TryParse, message.IndexOf("##[")).
 * `neutralise` breaks both with a zero-width space (invisible, the text still reads the same) and leaves
 * everything else as it was, so a value we quote (an input, a file, a server's body, a GitHub payload, a user
 * command's output) can never start a command we did not mean.
 */

const ZWSP = '\u200b';
/** .NET char.IsWhiteSpace, plus the information separators, which some trims also drop. */
// eslint-disable-next-line no-control-regex
const LEADING_SPACE = /^[\s\u0085\u180e\x1c-\x1f]*/;

/** One line (no line breaks inside) made safe. */
function neutraliseLine(line: string): string {
  let out = line.includes('##[') ? line.replace(/##\[/g, `#${ZWSP}#[`) : line;
  const lead = LEADING_SPACE.exec(out)![0].length;
  if (out.startsWith('::', lead)) out = `${out.slice(0, lead)}:${ZWSP}${out.slice(lead + 1)}`;
  return out;
}

/**
 * Text (possibly many lines) that no runner will read as a workflow command. Line breaks are kept as they were;
 * each line on its own is made safe.
 */
export function neutralise(text: string): string {
  if (!text.includes('::') && !text.includes('##[')) return text;
  return text
    .split(/(\r\n|\r|\n|\u2028|\u2029)/)
    .map((part, i) => (i % 2 ? part : neutraliseLine(part)))
    .join('');
}

/** Control characters (C0, DEL, C1) and Unicode line/paragraph separators: never part of a name. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;

/** A single line for a message: line breaks and other control characters shown escaped, then neutralised. */
export function safeLine(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': ' ' };
  const flat = text.replace(new RegExp(CONTROL_CHARS.source, 'g'), (c) => {
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return neutralise(flat);
}
