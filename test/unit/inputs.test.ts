import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigurationError } from '../../src/core/errors.js';
import {
  bool,
  duration,
  formatDuration,
  inputEnvName,
  integer,
  oneOf,
  optional,
  parseDuration,
  parseInputs,
  parseList,
  parsePercent,
  redactUrl,
  yaml,
} from '../../src/core/inputs.js';

describe('parseDuration', () => {
  const table: [string, number | undefined][] = [
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['2d', 172_800_000],
    ['30', 30_000],
    [' 10s ', 10_000],
    ['0', 0],
    ['5 minutes', undefined],
    ['5min', undefined],
    ['-1s', undefined],
    ['', undefined],
    ['1h 30m', undefined],
  ];
  for (const [text, ms] of table)
    it(`${JSON.stringify(text)} -> ${ms}`, () => assert.equal(parseDuration(text), ms));
});

describe('other readers', () => {
  it('percent', () => {
    assert.equal(parsePercent('1%'), 0.01);
    assert.equal(parsePercent('0.5%'), 0.005);
    assert.equal(parsePercent('100%'), 1);
    assert.equal(parsePercent('101%'), undefined);
    assert.equal(parsePercent('0.01'), undefined);
  });
  it('list: newline or comma, trimmed', () => assert.deepEqual(parseList('a, b\n c,,\n'), ['a', 'b', 'c']));
  it('formatDuration', () => {
    assert.equal(formatDuration(450), '450ms');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(5_400_000), '1h30m');
  });
  it('input env names follow the runner (spaces to _, hyphens kept)', () => {
    assert.equal(inputEnvName('max-error-rate'), 'INPUT_MAX-ERROR-RATE');
    assert.equal(inputEnvName('my input'), 'INPUT_MY_INPUT');
  });
  it('redactUrl hides passwords', () => {
    assert.equal(
      redactUrl('see postgres://app:s3cret@db:5432/x now'),
      'see postgres://app:***@db:5432/x now',
    );
  });
});

describe('parseInputs', () => {
  const schema = z.object({
    timeout: optional(duration()),
    dry: optional(bool()),
    jobs: optional(integer(1, 8)),
    mode: oneOf(['apply', 'status']),
    spec: optional(yaml(z.array(z.strictObject({ name: z.string() })))),
    token: optional(z.string().min(40)),
  });

  it('parses typed values and leaves absent inputs undefined', () => {
    const v = parseInputs(schema, {
      timeout: '1m',
      dry: 'true',
      jobs: '',
      mode: 'status',
      spec: '- name: a',
      token: '',
    });
    assert.deepEqual(v, {
      timeout: 60_000,
      dry: true,
      jobs: undefined,
      mode: 'status',
      spec: [{ name: 'a' }],
      token: undefined,
    });
  });

  it('reports every bad input by name with what it got and the form wanted', () => {
    try {
      parseInputs(
        schema,
        {
          timeout: '5 minutes',
          dry: 'yes',
          jobs: '9',
          mode: 'apply ',
          spec: '- name: a\n  nmae: b',
          token: 'short-secret',
        },
        { secret: ['token'] },
      );
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof ConfigurationError);
      const lines = e.message.split('\n');
      assert.deepEqual(lines.slice(0, 3), [
        'Input "timeout": expected a duration such as 90s, 5m, 1h30m or 500ms, got "5 minutes"',
        'Input "dry": expected true or false, got "yes"',
        'Input "jobs": expected a whole number from 1 to 8, got "9"',
      ]);
      assert.match(e.message, /Input "spec" at \[0\]: Unrecognized key: "nmae"/);
      assert.match(e.message, /Input "token": /);
      assert.ok(!e.message.includes('short-secret'), 'secret inputs are never echoed');
    }
  });
});
