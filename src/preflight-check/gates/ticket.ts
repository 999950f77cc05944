/** ticket: a change ticket is named (input, or the PR's title, body or branch); #123 must be an open issue. */
import { quote } from '../../core/inputs.js';
import { ReadError } from '../github.js';
import { fail, pass, type Gate } from './types.js';

export interface TicketFound {
  ticket: string;
  /** Where it was found: the input, or the PR's title/body/branch. */
  source: string;
}

/** The first ticket reference in the input, or the PR's title, body or branch. */
export function findTicket(
  pattern: RegExp,
  given: string | undefined,
  pr?: { number: number; title: string; body: string; branch: string },
): TicketFound | undefined {
  if (given) return { ticket: given, source: 'the "ticket" input' };
  if (!pr) return undefined;
  const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
  for (const [field, text] of [
    ['title', pr.title],
    ['branch', pr.branch],
    ['description', pr.body],
  ] as const) {
    const m = re.exec(text);
    if (m) return { ticket: m[0], source: `the ${field} of PR #${pr.number}` };
  }
  return undefined;
}

export const ticketGate: Gate = async (config, { gh, sha }) => {
  const { required, given, pattern, label } = config.ticket;
  const pr = given ? undefined : await gh.pullFor(sha);
  const found = findTicket(pattern, given, pr);
  if (!found) {
    const where = pr
      ? `the title, branch or description of PR #${pr.number}`
      : 'no pull request (direct push)';
    if (!required) return pass(`no ticket named (not required)`, { url: pr?.url });
    return fail(`no change ticket: nothing matching /${pattern.source}/ in ${where}`, {
      url: pr?.url,
      details: [
        'Name the change ticket in the pull request title (e.g. "CHG-1234: …") or pass the input "ticket".',
      ],
    });
  }
  const issue = /^#(\d+)$/.exec(found.ticket);
  if (!issue) return pass(`${found.ticket} (from ${found.source}; recorded as given)`, { url: pr?.url });
  const n = Number(issue[1]);
  let info;
  try {
    info = await gh.issue(n);
  } catch (e) {
    if (e instanceof ReadError && (e.status === 404 || e.status === 410))
      return fail(`${found.ticket} (from ${found.source}) does not exist`, {
        details: [
          `There is no issue #${n} in this repository (or it was deleted). Name an existing change ticket.`,
        ],
      });
    throw e;
  }
  const from = `from ${found.source}`;
  if (info.isPull)
    return fail(`${found.ticket} (${from}) is a pull request, not a change ticket issue`, { url: info.url });
  if (info.state !== 'open')
    return fail(`${found.ticket} ${quote(info.title)} (${from}) is ${info.state}`, {
      url: info.url,
      details: ['A closed ticket does not authorise a change: reopen it or name the current one.'],
    });
  if (label && !info.labels.includes(label))
    return fail(`${found.ticket} ${quote(info.title)} (${from}) lacks the label ${label}`, {
      url: info.url,
      details: [
        `Its labels: ${info.labels.length ? info.labels.join(', ') : 'none'}. The change is authorised when the ticket carries "${label}".`,
      ],
    });
  return pass(`${found.ticket} ${quote(info.title)} open${label ? `, labelled ${label}` : ''} (${from})`, {
    url: info.url,
  });
};
