/** preflight-check's deploy windows and freezes: parsing, and DST-correct evaluation in IANA time zones. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluateWindow,
  fromLocal,
  parseFreeze,
  parseWindow,
  toLocal,
  WindowSyntaxError,
} from '../../src/preflight-check/window.js';

const at = (iso: string) => Date.parse(iso);
const weekdays = [parseWindow('Mon-Fri 09:00-16:00')];

describe('preflight window: parsing', () => {
  it('reads day ranges, lists and times', () => {
    assert.deepEqual(parseWindow('Mon-Fri 09:00-16:00'), {
      text: 'Mon-Fri 09:00-16:00',
      days: [1, 2, 3, 4, 5],
      start: 540,
      end: 960,
    });
    assert.deepEqual(parseWindow('Sat,Sun 10:00-24:00').days, [0, 6]);
    assert.deepEqual(parseWindow('Fri-Mon 22:00-02:00').days, [0, 1, 5, 6]);
  });

  it('rejects hours that are not times of day, unknown days and bad freezes', () => {
    assert.throws(() => parseWindow('Mon-Fri 25:00-26:00'), WindowSyntaxError);
    assert.throws(() => parseWindow('Mon-Fri 25:00-26:00'), /"25:00" is not a time of day/);
    assert.throws(() => parseWindow('Funday 09:00-10:00'), /unknown day "Funday"/);
    assert.throws(() => parseWindow('weekdays'), /is not a window/);
    assert.throws(
      () => parseFreeze('2026-12-26..2026-12-24 holidays'),
      /ends \(2026-12-24\) before it starts/,
    );
    assert.throws(() => parseFreeze('2026-02-30..2026-03-01'), /not a calendar date/);
    assert.deepEqual(parseFreeze('2026-12-24..2026-12-26 holidays').end, {
      year: 2026,
      month: 12,
      day: 27,
      hour: 0,
      minute: 0,
    });
  });
});

describe('preflight window: time zones', () => {
  it('converts local times across the Paris spring-forward gap', () => {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST.
    assert.equal(
      fromLocal({ year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, 'Europe/Paris'),
      at('2026-03-29T00:30:00Z'),
    );
    assert.equal(
      fromLocal({ year: 2026, month: 3, day: 29, hour: 4, minute: 0 }, 'Europe/Paris'),
      at('2026-03-29T02:00:00Z'),
    );
    // 02:30 does not exist that night: the instant just after the gap.
    assert.equal(
      fromLocal({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Paris'),
      at('2026-03-29T01:30:00Z'),
    );
    // Autumn: 02:30 happens twice (2026-10-25); the first one.
    assert.equal(
      fromLocal({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Paris'),
      at('2026-10-25T00:30:00Z'),
    );
    assert.equal(toLocal(at('2026-03-29T01:00:00Z'), 'Europe/Paris').hour, 3);
  });

  it('a freeze across midnight in Europe/Paris on the DST change day', () => {
    const freezes = [parseFreeze('2026-03-28T22:00..2026-03-29T04:00 database move')];
    const o = { windows: [], freezes, timezone: 'Europe/Paris' };
    // Before: 21:59 CET on the 28th.
    assert.equal(evaluateWindow(o, at('2026-03-28T20:59:00Z')).open, true);
    // Just after local midnight (00:30 CET): frozen, and the end is 04:00 CEST = 02:00 UTC (not 03:00 UTC).
    const v = evaluateWindow(o, at('2026-03-28T23:30:00Z'));
    assert.equal(v.open, false);
    assert.equal(v.freeze?.endsAt, at('2026-03-29T02:00:00Z'));
    assert.match(v.reason, /freeze "database move" .* until Sun 2026-03-29 04:00 GMT\+2/);
    assert.match(v.reason, /next allowed Sun 2026-03-29 04:00/);
    // 03:59 CEST (01:59 UTC): still frozen; 04:00 CEST: open. A fixed +01:00 offset would get both wrong.
    assert.equal(evaluateWindow(o, at('2026-03-29T01:59:00Z')).open, false);
    assert.equal(evaluateWindow(o, at('2026-03-29T02:00:00Z')).open, true);
  });

  it('whole-day freezes include the last day; the failure says when deploying is next allowed', () => {
    const o = {
      windows: weekdays,
      freezes: [parseFreeze('2026-12-24..2026-12-26 holidays')],
      timezone: 'Europe/Paris',
    };
    const v = evaluateWindow(o, at('2026-12-26T22:30:00Z')); // Sat 23:30 local, last frozen day
    assert.equal(v.open, false);
    assert.match(v.reason, /until Sun 2026-12-27 00:00 GMT\+1/);
    // The freeze ends on a Sunday: the next window is Monday 09:00 CET.
    assert.equal(v.nextOpen, at('2026-12-28T08:00:00Z'));
  });

  it('windows follow the local clock through a DST change (New York, 2026-03-08)', () => {
    const o = { windows: weekdays, freezes: [], timezone: 'America/New_York' };
    // Friday 09:00 EST = 14:00 UTC; Monday 09:00 EDT = 13:00 UTC.
    assert.equal(evaluateWindow(o, at('2026-03-06T13:59:00Z')).open, false);
    assert.equal(evaluateWindow(o, at('2026-03-06T14:00:00Z')).open, true);
    assert.equal(evaluateWindow(o, at('2026-03-09T13:00:00Z')).open, true);
    const fri = evaluateWindow(o, at('2026-03-06T21:30:00Z')); // Fri 16:30 EST
    assert.equal(fri.open, false);
    assert.equal(fri.nextOpen, at('2026-03-09T13:00:00Z'));
    assert.match(fri.reason, /outside every deploy window .* next allowed Mon 2026-03-09 09:00 EDT/);
  });

  it('an overnight window holds after midnight', () => {
    const o = { windows: [parseWindow('Sat 22:00-02:00')], freezes: [], timezone: 'UTC' };
    assert.equal(evaluateWindow(o, at('2026-12-06T01:00:00Z')).open, true); // Sunday 01:00
    assert.equal(evaluateWindow(o, at('2026-12-06T02:00:00Z')).open, false);
    assert.equal(evaluateWindow(o, at('2026-12-05T21:59:00Z')).open, false);
  });
});
