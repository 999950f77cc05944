/**
 * Deployment windows and freeze periods in an IANA time zone, DST-correct, with nothing but the built-in Intl
 * API. Pure functions over instants: the gate hands in "now" from the injected clock.
 *
 *   deploy-windows: `Mon-Fri 09:00-16:00`, `Sat 22:00-02:00` (ends the next day), `Mon,Wed 10:00-12:00`
 *   freeze:         `2026-12-24..2026-12-26 holidays` (whole days, inclusive),
 *                   `2026-03-28T22:00..2026-03-29T04:00 database move` (local times, end exclusive)
 */
import { quote } from '../core/inputs.js';

export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface DeployWindow {
  /** The line as written. */
  text: string;
  /** Weekdays (0 = Sunday) on which the window opens. */
  days: number[];
  /** Minutes after local midnight. */
  start: number;
  /** Minutes after local midnight; <= start means the window ends the next day. */
  end: number;
}

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export interface Freeze {
  text: string;
  reason: string;
  start: LocalDateTime;
  /** Exclusive. */
  end: LocalDateTime;
}

export class WindowSyntaxError extends Error {}

/** Whether `tz` is a time zone this runtime knows (IANA names, plus UTC). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function parseDay(s: string): number {
  const i = DAYS.findIndex((d) => d.toLowerCase() === s.slice(0, 3).toLowerCase());
  const full = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  if (i < 0 || !(s.length === 3 || full[i] === s.toLowerCase()))
    throw new WindowSyntaxError(`unknown day ${quote(s)} (expected Mon, Tue, Wed, Thu, Fri, Sat or Sun)`);
  return i;
}

function parseClock(s: string, allow24: boolean): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  const h = Number(m?.[1]);
  const min = Number(m?.[2]);
  if (!m || min > 59 || h > 24 || (h === 24 && (min > 0 || !allow24)))
    throw new WindowSyntaxError(`${quote(s)} is not a time of day (expected HH:MM from 00:00 to 24:00)`);
  return h * 60 + min;
}

/** One `deploy-windows` line. */
export function parseWindow(line: string): DeployWindow {
  const m = /^(\S+)\s+(\S+)-(\S+)$/.exec(line.trim());
  if (!m)
    throw new WindowSyntaxError(
      `${quote(line)} is not a window (expected days and hours such as Mon-Fri 09:00-16:00)`,
    );
  const days = new Set<number>();
  for (const part of m[1]!.split(',')) {
    const [a, b] = part.split('-');
    if (!a) throw new WindowSyntaxError(`${quote(line)}: empty day`);
    const from = parseDay(a);
    if (b === undefined) {
      days.add(from);
      continue;
    }
    const to = parseDay(b);
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  const start = parseClock(m[2]!, false);
  const end = parseClock(m[3]!, true);
  if (start === end)
    throw new WindowSyntaxError(`${quote(line)}: the window starts and ends at the same time`);
  return { text: line.trim(), days: [...days].sort(), start, end };
}

function parseLocal(s: string, endOfDay: boolean): { at: LocalDateTime; dateOnly: boolean } {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(s);
  if (!m) throw new WindowSyntaxError(`${quote(s)} is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM)`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day)
    throw new WindowSyntaxError(`${quote(s)} is not a calendar date`);
  if (m[4] === undefined) {
    if (!endOfDay) return { at: { year, month, day, hour: 0, minute: 0 }, dateOnly: true };
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    return {
      at: {
        year: next.getUTCFullYear(),
        month: next.getUTCMonth() + 1,
        day: next.getUTCDate(),
        hour: 0,
        minute: 0,
      },
      dateOnly: true,
    };
  }
  const minutes = parseClock(`${m[4]}:${m[5]}`, false);
  return { at: { year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 }, dateOnly: false };
}

const localKey = (t: LocalDateTime): number => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);

/** One `freeze` line: `START..END reason`; a date-only END includes that whole day. */
export function parseFreeze(line: string): Freeze {
  const m = /^(\S+)\.\.(\S+)(?:\s+(.+))?$/.exec(line.trim());
  if (!m)
    throw new WindowSyntaxError(
      `${quote(line)} is not a freeze (expected START..END reason, e.g. 2026-12-24..2026-12-26 holidays)`,
    );
  const start = parseLocal(m[1]!, false).at;
  const end = parseLocal(m[2]!, true).at;
  if (localKey(end) <= localKey(start))
    throw new WindowSyntaxError(`${quote(line)}: the freeze ends (${m[2]}) before it starts (${m[1]})`);
  return { text: line.trim(), reason: m[3]?.trim() ?? 'freeze', start, end };
}

// ---------------------------------------------------------------------------------------------------------
// Time zone arithmetic with Intl.

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock time in `tz` at instant `ms`, with its weekday (0 = Sunday). */
export function toLocal(ms: number, tz: string): LocalDateTime & { weekday: number; second: number } {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: DAYS.indexOf(parts.weekday as (typeof DAYS)[number]),
  };
}

/** Offset of `tz` from UTC at instant `ms`, in milliseconds (Paris in summer: +2 h). */
function offsetAt(ms: number, tz: string): number {
  const l = toLocal(ms, tz);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `tz` names. A time skipped by a DST change (02:30 on the spring-forward
 * night) maps to the instant just after the gap; a repeated time (autumn) to its first occurrence.
 */
export function fromLocal(t: LocalDateTime, tz: string): number {
  const guess = localKey(t);
  // The offsets in force half a day either side cover any single DST change around this time.
  const candidates = [...new Set([offsetAt(guess - 43_200_000, tz), offsetAt(guess + 43_200_000, tz)])].map(
    (o) => guess - o,
  );
  const valid = candidates.filter((ms) => localKey(toLocal(ms, tz)) === guess);
  // Repeated hour: two valid instants, take the earlier. Skipped hour: none, take the one after the gap.
  return valid.length ? Math.min(...valid) : Math.max(...candidates);
}

/** `2026-03-29 04:00 CEST` (the zone's short name at that instant). */
export function formatLocal(ms: number, tz: string): string {
  const l = toLocal(ms, tz);
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')?.value ?? tz;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[l.weekday]} ${l.year}-${p2(l.month)}-${p2(l.day)} ${p2(l.hour)}:${p2(l.minute)} ${name}`;
}

function addDays(t: LocalDateTime, n: number): LocalDateTime {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 };
}

interface Interval {
  start: number;
  end: number;
  window: DeployWindow;
}

/** Every opening of every window that overlaps [from - 2 days, from + days], as instants. */
function openings(windows: readonly DeployWindow[], tz: string, from: number, days: number): Interval[] {
  const base = toLocal(from, tz);
  const out: Interval[] = [];
  for (let i = -2; i <= days; i++) {
    const date = addDays(base, i);
    const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
    for (const w of windows) {
      if (!w.days.includes(weekday)) continue;
      const at = (minutes: number, next: boolean): number => {
        const d = next || minutes === 1440 ? addDays(date, 1) : date;
        const m = minutes % 1440;
        return fromLocal({ ...d, hour: Math.floor(m / 60), minute: m % 60 }, tz);
      };
      out.push({ start: at(w.start, false), end: at(w.end, w.end <= w.start), window: w });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

export interface WindowVerdict {
  open: boolean;
  /** Why, for the summary: which window holds now, or which freeze / that no window does. */
  reason: string;
  /** The freeze that holds now, if any. */
  freeze?: Freeze & { endsAt: number };
  /** The window that holds now, if any. */
  window?: DeployWindow & { closesAt: number };
  /** When deploying is next allowed (only when closed and one is found within 60 days). */
  nextOpen?: number;
}

/** Is `now` inside a deploy window (any time when there are none) and outside every freeze? */
export function evaluateWindow(
  o: { windows: readonly DeployWindow[]; freezes: readonly Freeze[]; timezone: string },
  now: number,
): WindowVerdict {
  const tz = o.timezone;
  const freezeAt = (t: number) =>
    o.freezes
      .map((f) => ({ ...f, startsAt: fromLocal(f.start, tz), endsAt: fromLocal(f.end, tz) }))
      .find((f) => f.startsAt <= t && t < f.endsAt);
  const windowAt = (t: number, spans: Interval[]) => spans.find((s) => s.start <= t && t < s.end);
  const spans = o.windows.length ? openings(o.windows, tz, now, 62) : [];
  const allowedAt = (t: number) => !freezeAt(t) && (!o.windows.length || windowAt(t, spans));

  const freeze = freezeAt(now);
  const open = windowAt(now, spans);
  if (!freeze && (open || !o.windows.length)) {
    return {
      open: true,
      reason: open
        ? `inside the window ${quote(open.window.text)} (closes ${formatLocal(open.end, tz)})`
        : 'no deploy windows set, and no freeze holds',
      window: open && { ...open.window, closesAt: open.end },
    };
  }
  // The next allowed instant is a window opening or a freeze ending, whichever comes first and is allowed.
  const candidates = [...spans.map((s) => s.start), ...o.freezes.map((f) => fromLocal(f.end, tz))]
    .filter((t) => t > now && t < now + 62 * 86_400_000)
    .sort((a, b) => a - b);
  const nextOpen = candidates.find((t) => allowedAt(t));
  const next =
    nextOpen === undefined
      ? 'no window opens in the next 60 days'
      : `next allowed ${formatLocal(nextOpen, tz)}`;
  if (freeze) {
    return {
      open: false,
      reason: `freeze ${quote(freeze.reason)} (${freeze.text}) until ${formatLocal(freeze.endsAt, tz)}; ${next}`,
      freeze,
      nextOpen,
    };
  }
  return {
    open: false,
    reason: `outside every deploy window (${o.windows.map((w) => w.text).join('; ')}) at ${formatLocal(now, tz)}; ${next}`,
    nextOpen,
  };
}
