import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../src/core/errors.js';
import { loadRunbook, parseRunbook } from '../../src/core/runbook.js';
import { SecretRegistry } from '../../src/core/secrets.js';
import { parseFileCommands } from '../harness/run-action.js';

const sample = `
environments:
  production:
    url: https://shop.example.com
    smoke:
      checks:
        - { name: health, url: https://shop.example.com/health, expect: { status: 200, json: { status: healthy } } }
      monitor: 15m
      max-error-rate: 1%
    database: { url-from-env: DATABASE_URL }
`;

describe('runbook file', () => {
  it('parses durations and percentages into numbers', () => {
    const rb = parseRunbook(sample, 'runbook.yml');
    const smoke = rb.environments.production!.smoke!;
    assert.equal(smoke.monitor, 900_000);
    assert.equal(smoke['max-error-rate'], 0.01);
    assert.equal(smoke.checks![0]!.method, 'GET');
  });

  it('names the file, line and field of an error', () => {
    const bad = sample.replace('monitor: 15m', 'monitor: 15 minutes').replace('url-from-env', 'url-form-env');
    assert.throws(
      () => parseRunbook(bad, '.github/runbook.yml'),
      (e: unknown) =>
        e instanceof ConfigurationError &&
        /\.github\/runbook\.yml:8: environments\.production\.smoke\.monitor: expected a duration/.test(
          e.message,
        ) &&
        /environments\.production\.database: Unrecognized key: "url-form-env"/.test(e.message),
    );
  });

  it('rejects invalid YAML with a message naming the file', () => {
    assert.throws(() => parseRunbook('environments: [', 'rb.yml'), /The runbook rb\.yml is not valid YAML/);
  });

  it('is optional at the default path, required at a given path', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'rb-'));
    assert.equal(loadRunbook({ input: '', workspace: ws }), undefined);
    assert.throws(
      () => loadRunbook({ input: 'ops/rb.yml', workspace: ws }),
      /Input "runbook": no file at ops\/rb\.yml/,
    );
    mkdirSync(path.join(ws, '.github'));
    writeFileSync(path.join(ws, '.github/runbook.yml'), sample);
    const notices: string[] = [];
    const loaded = loadRunbook({
      input: '',
      workspace: ws,
      environment: 'staging',
      notice: (m) => notices.push(m),
    });
    assert.equal(loaded?.environment, undefined);
    assert.match(notices[0]!, /has no environment "staging" \(it has: production\)/);
    assert.equal(
      loadRunbook({ input: '', workspace: ws, environment: 'production' })?.environment?.url,
      'https://shop.example.com',
    );
  });
});

describe('secrets registry', () => {
  it('registers with the runner and redacts every form', () => {
    const announced: string[] = [];
    const s = new SecretRegistry((v) => announced.push(v));
    const shown = s.addUrl('postgres://app:p%40ss@db/x?sslmode=require&token=abc123');
    assert.equal(
      shown,
      'postgres://app:***@db/x?sslmode=***&token=***',
      'every query value hidden, names kept',
    );
    assert.ok(announced.includes('p%40ss') && announced.includes('p@ss') && announced.includes('abc123'));
    assert.equal(s.redact('pw is p@ss'), 'pw is ***');
    s.add('ab');
    assert.equal(s.redact('ab'), 'ab', 'too short to mask');
  });
});

describe('harness file commands', () => {
  it('parses name=value and heredoc blocks', () => {
    assert.deepEqual(parseFileCommands('a=1\nreport<<ghadelimiter_x\n{"x":\n1}\nghadelimiter_x\nb=two=2\n'), {
      a: '1',
      report: '{"x":\n1}',
      b: 'two=2',
    });
  });
});
