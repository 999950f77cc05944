import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkSchema,
  jsonPath,
  judge,
  nameChecks,
  statusMatches,
  type CheckSpec,
} from '../../src/core/checks.js';
import { backoffDelay, percentile, retryUntil, type ProbeResult } from '../../src/core/http.js';
import type { Clock } from '../../src/core/clock.js';

const spec = (input: unknown): CheckSpec => nameChecks([checkSchema.parse(input)])[0]!;
const response = (status: number, body: unknown, latencyMs = 10) => ({
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  latencyMs,
  headers: {},
});

describe('judging a response', () => {
  it('status forms: number, class, list', () => {
    assert.ok(statusMatches(204, '2xx'));
    assert.ok(!statusMatches(301, '2xx'));
    assert.ok(statusMatches(401, 401));
    assert.ok(statusMatches(404, '404'));
  });

  const table: [string, unknown, ReturnType<typeof response> | ProbeResult, RegExp | null][] = [
    ['default 2xx passes', {}, response(204, ''), null],
    [
      'default 2xx fails 500',
      {},
      response(500, 'oops'),
      /expected status 2xx, got 500 in 10 ms, body `oops`/,
    ],
    ['list', { status: [200, '3xx'] }, response(302, ''), null],
    [
      'body-contains',
      { 'body-contains': ['ok', 'v2'] },
      response(200, 'ok v1'),
      /expected the body to contain "v2"/,
    ],
    [
      'json nested + index',
      { json: { 'data.items[1].id': 7, 'data.ok': true } },
      response(200, { data: { ok: true, items: [{ id: 1 }, { id: 7 }] } }),
      null,
    ],
    [
      'json mismatch',
      { json: { status: 'healthy' } },
      response(200, { status: 'degraded' }),
      /expected JSON status = "healthy", got "degraded"/,
    ],
    ['json missing', { json: { 'a.b': 1 } }, response(200, { a: {} }), /but a\.b is missing/],
    ['json not json', { json: { a: 1 } }, response(200, '<html>'), /expected a JSON body/],
    ['json deep object', { json: { cfg: { a: [1, 2] } } }, response(200, { cfg: { a: [1, 2] } }), null],
    ['latency', { 'max-latency': '50ms' }, response(200, '', 51), /within max-latency 50 ms, took 51 ms/],
    [
      'no response',
      {},
      { latencyMs: 5, body: '', headers: {}, error: 'connection refused' },
      /no response: connection refused/,
    ],
  ];
  for (const [name, expect, res, reason] of table) {
    it(name, () => {
      const v = judge(spec({ url: 'http://x/health', expect }), res);
      if (reason) {
        assert.equal(v.passed, false);
        assert.match(v.reason, reason);
      } else assert.deepEqual(v, { passed: true, reason: '' });
    });
  }

  it('jsonPath does not walk into prototypes', () => {
    assert.deepEqual(jsonPath({ a: 1 }, 'constructor'), { found: false });
    assert.deepEqual(jsonPath([5, 6], '1'), { found: true, value: 6 });
  });

  it('names checks from method and path, de-duplicated', () => {
    const checks = nameChecks([
      checkSchema.parse({ url: 'http://x/a' }),
      checkSchema.parse({ url: 'http://y/a' }),
      checkSchema.parse({ name: 'n', url: 'http://x/' }),
    ]);
    assert.deepEqual(
      checks.map((c) => c.name),
      ['GET /a', 'GET /a #2', 'n'],
    );
  });

  it('rejects unknown fields and bad URLs', () => {
    assert.throws(() => checkSchema.parse({ url: 'http://x', expekt: {} }));
    assert.throws(() => checkSchema.parse({ url: 'ftp://x' }));
  });
});

describe('backoff and retry', () => {
  it('exponential with equal jitter, capped', () => {
    const lo = () => 0;
    const hi = () => 1;
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffDelay(n, { random: lo })),
      [250, 500, 1000, 2000],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelay(n, { random: hi })),
      [500, 1000, 2000],
    );
    assert.equal(backoffDelay(20, { random: hi, maxMs: 10_000 }), 10_000);
  });

  it('stops at the deadline and counts attempts', async () => {
    let t = 0;
    const clock: Clock = { now: () => t, date: () => new Date(t), sleep: async (ms) => void (t += ms) };
    const waits: number[] = [];
    const r = await retryUntil(
      async () => {
        waits.push(t);
        t += 10; // each attempt takes 10 ms
        return { done: false, value: 'x' };
      },
      { clock, deadline: 3000, random: () => 1, minAttemptMs: 100 },
    );
    assert.equal(r.done, false);
    assert.deepEqual(waits, [0, 510, 1520, 2900]);
    assert.equal(r.attempts, 4);
  });

  it('percentile (nearest rank)', () => {
    assert.equal(percentile([], 95), undefined);
    assert.equal(percentile([5], 95), 5);
    assert.equal(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
      95,
    );
  });
});
