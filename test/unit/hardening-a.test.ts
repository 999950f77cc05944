/** Issue 14, part A: the shared pieces on their own (neutralise, limits, URLs, timers, child env, workflows). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { z } from 'zod';
import { MAX_TIMER_MS, systemClock } from '../../src/core/clock.js';
import { duration, name, parseInputs } from '../../src/core/inputs.js';
import { childEnv, runProcess } from '../../src/core/proc.js';
import { parseRunbook } from '../../src/core/runbook.js';
import { neutralise, safeLine } from '../../src/core/safe-line.js';
import { SecretRegistry, showUrl } from '../../src/core/secrets.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** What the runner would take as a command: `::` after leading whitespace, or `##[` anywhere, per line. */
const commandLines = (text: string) =>
  text.split(/\r\n|\r|\n/).filter((l) => /^[\s\u0085]*::/.test(l) || l.includes('##['));

describe('neutralise / safeLine', () => {
  it('breaks every command form on every line, keeping the text and the line breaks', () => {
    const hostile = [
      'ok',
      '::error::x',
      '   ::add-mask::y',
      '\t::stop-commands::z',
      '\u00a0::set-output name=a::b',
      'a ##[error]legacy',
      '##[group]g',
    ].join('\n');
    const out = neutralise(`${hostile}\r::warning::cr\r\n::notice::crlf`);
    assert.deepEqual(commandLines(out), []);
    assert.equal(out.replace(/\u200b/g, ''), `${hostile}\r::warning::cr\r\n::notice::crlf`);
    assert.equal(neutralise('plain text: a::b'), 'plain text: a::b', 'a :: inside a line is no command');
  });

  it('safeLine makes one line, control characters shown escaped', () => {
    const s = safeLine('a\n::error::x\r\x1b[31m\u2028y');
    assert.ok(!['\n', '\r', '\x1b', '\u2028'].some((c) => s.includes(c)));
    assert.equal(s, 'a\\n::error::x\\r\\u001b[31m\\u2028y');
    assert.deepEqual(commandLines(safeLine('::error::x')), []);
  });
});

describe('name() and duration() readers', () => {
  const schema = z.object({ environment: name('an environment name', 255), wait: duration() });
  it('name refuses control characters and long values, naming the input', () => {
    assert.throws(
      () => parseInputs(schema, { environment: 'prod\n::error::x', wait: '1s' }),
      /Input "environment": an environment name cannot contain control characters/,
    );
    assert.throws(
      () => parseInputs(schema, { environment: 'p'.repeat(256), wait: '1s' }),
      /Input "environment": an environment name is at most 255 characters long, got 256/,
    );
    assert.equal(parseInputs(schema, { environment: ' production ', wait: '1s' }).environment, 'production');
  });

  it('duration() keeps working without arguments and holds what a timer can hold', () => {
    assert.equal(parseInputs(schema, { environment: 'p', wait: '24d' }).wait, 24 * 86_400_000);
    assert.throws(
      () => parseInputs(schema, { environment: 'p', wait: '25d' }),
      /Input "wait": must be at most 24d, got "25d"/,
    );
    assert.ok(24 * 86_400_000 <= MAX_TIMER_MS);
  });

  it('duration({ min, max }) gives per-input limits', () => {
    const s = z.object({ t: duration({ min: 1, max: 600_000 }), c: duration({ min: 1000 }) });
    assert.throws(() => parseInputs(s, { t: '0', c: '1s' }), /Input "t": must be more than 0/);
    assert.throws(() => parseInputs(s, { t: '11m', c: '1s' }), /Input "t": must be at most 10m, got "11m"/);
    assert.throws(() => parseInputs(s, { t: '1s', c: '500ms' }), /Input "c": must be at least 1s/);
  });

  it('the runbook file gets the same limits, naming the field', () => {
    assert.throws(
      () => parseRunbook('environments:\n  prod:\n    smoke:\n      request-timeout: 50d\n', 'rb.yml'),
      /rb\.yml:4: environments\.prod\.smoke\.request-timeout: must be at most 10m/,
    );
  });
});

describe('timers', () => {
  it('systemClock.sleep longer than a timer holds does not end after 1 ms', async () => {
    const ac = new AbortController();
    let ended = false;
    const p = systemClock.sleep(MAX_TIMER_MS + 10_000, ac.signal).then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ended, false);
    ac.abort();
    await p;
    assert.equal(ended, true);
  });

  it('a process timeout beyond what a timer holds is refused, not cut to 1 ms', async () => {
    await assert.rejects(
      runProcess({ command: 'true', args: [], timeoutMs: 30 * 86_400_000 }),
      /timeoutMs must be between 0 and 2147483647 ms/,
    );
  });
});

describe('child environment', () => {
  it('withholds our inputs, state, outputs and runtime tokens; keeps PATH, GITHUB_* context and OIDC', () => {
    const env = childEnv({
      PATH: '/bin',
      INPUT_TOKEN: 't',
      input_checks: 'c',
      STATE_x: 's',
      GITHUB_STATE: '/f/state',
      GITHUB_OUTPUT: '/f/out',
      GITHUB_ENV: '/f/env',
      GITHUB_REPOSITORY: 'a/b',
      ACTIONS_RUNTIME_TOKEN: 'rt',
      ACTIONS_RESULTS_URL: 'u',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      MY_VAR: 'mine',
    });
    assert.deepEqual(Object.keys(env).sort(), [
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'GITHUB_ENV',
      'GITHUB_REPOSITORY',
      'MY_VAR',
      'PATH',
    ]);
  });
});

describe('URLs as printed', () => {
  it('hides user info and every query value, keeping parameter names', () => {
    assert.equal(
      showUrl('https://u:p4ss@h.example/x?sv=2024&sig=abc%3D&flag&empty=#t=1'),
      'https://u:***@h.example/x?sv=***&sig=***&flag&empty=#t=***',
    );
    assert.equal(showUrl('https://ghp_token@h.example/'), 'https://***@h.example/');
    assert.equal(showUrl('postgres://postgres@db:5432/shop'), 'postgres://postgres@db:5432/shop', 'a user');
  });

  it('the registry prints a registered URL as shown and masks token-like values and the Basic credential', () => {
    const masked: string[] = [];
    const s = new SecretRegistry((v) => masked.push(v));
    const shown = s.addUrl('https://ops:pa55word@h.example/health?sig=AbCdEfGhIjKlMnOpQr&x=1');
    assert.equal(shown, 'https://ops:***@h.example/health?sig=***&x=***');
    assert.ok(masked.includes('pa55word') && masked.includes('AbCdEfGhIjKlMnOpQr'));
    assert.ok(masked.includes(Buffer.from('ops:pa55word').toString('base64')));
    assert.equal(
      s.redact('GET https://ops:pa55word@h.example/health?sig=AbCdEfGhIjKlMnOpQr&x=1 failed'),
      'GET https://ops:***@h.example/health?sig=***&x=*** failed',
    );
  });
});

describe('runbook parse', () => {
  it('a map of many keys parses (the yaml library check was quadratic) and duplicates are still found', () => {
    let text = 'version: 1\nenvironments:\n';
    for (let i = 0; i < 30_000; i++) text += `  e${i}: {}\n`;
    assert.equal(Object.keys(parseRunbook(text, 'wide.yml').environments).length, 30_000);
    assert.throws(
      () => parseRunbook(`${text}  e17: {}\n`, 'wide.yml'),
      /wide\.yml is not valid YAML: Map keys must be unique; "e17" is repeated at line 30003/,
    );
  });

  it('anchors take the bounded path: an alias bomb is refused as invalid YAML, not expanded', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(
        `${cur}: &${cur} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
      );
    }
    assert.throws(
      () => parseRunbook(`${levels.join('\n')}\n`, 'bomb.yml'),
      /The runbook bomb\.yml is not valid YAML: Excessive alias count/,
    );
    const cmd = parseRunbook(
      'environments:\n  p:\n    deploy: { command: "make build && make deploy" }\n',
      'rb.yml',
    );
    assert.equal(cmd.environments.p?.deploy?.command, 'make build && make deploy');
  });

  it('lists at most 20 issues', () => {
    let text = 'environments:\n';
    for (let i = 0; i < 50; i++) text += `  e${i}: { bogus: 1 }\n`;
    const e = (() => {
      try {
        parseRunbook(text, 'rb.yml');
      } catch (err) {
        return String(err);
      }
      return '';
    })();
    assert.match(e, /… and 30 more/);
  });
});

describe('workflow supply chain', () => {
  const files = [
    ...readdirSync(path.join(ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`),
    ...readdirSync(path.join(ROOT, 'examples/workflows')).map((f) => `examples/workflows/${f}`),
  ].filter((f) => /\.ya?ml$/.test(f));

  it('every third-party action is pinned by full commit sha with a version comment', () => {
    const bad: string[] = [];
    let pinned = 0;
    for (const f of files) {
      for (const line of readFileSync(path.join(ROOT, f), 'utf8').split('\n')) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        const [, ref, rest] = m;
        // Our own actions and reusable workflow: same repository, same commit.
        if (ref!.startsWith('./') || ref!.startsWith('$/') || ref!.startsWith('OWNER/deploy-runbook/'))
          continue;
        if (/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref!) && /^\s+# v\d+(\.\d+){0,2}\s*$/.test(rest!))
          pinned++;
        else bad.push(`${f}: ${line.trim()}`);
      }
    }
    assert.deepEqual(bad, []);
    assert.ok(pinned >= 3, `pins found: ${pinned}`);
  });

  it('DATABASE_URL is given only to the steps that use it, never to the job', () => {
    const wf = YAML.parse(readFileSync(path.join(ROOT, '.github/workflows/deploy.yml'), 'utf8')) as {
      jobs: Record<
        string,
        { env?: Record<string, string>; steps: { id?: string; env?: unknown; with?: unknown }[] }
      >;
    };
    for (const job of Object.values(wf.jobs)) {
      for (const v of Object.values(job.env ?? {}))
        assert.ok(!/secrets\.DATABASE_URL\s*}}/.test(v) || /!= ''/.test(v), `job env holds the secret: ${v}`);
      const users = job.steps
        .filter((s) => JSON.stringify(s).includes('secrets.DATABASE_URL'))
        .map((s) => s.id);
      assert.deepEqual(users, ['backup', 'migrate']);
    }
  });
});
