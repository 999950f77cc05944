/**
 * Issue 14, part A: one test per item, each run as the runner runs the bundles (test/harness/run-action.ts), each
 * failing on the code before the fix.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { everythingVisible, runAction, type ActionResult } from '../harness/run-action.js';
import { startHttpApp, type HttpApp } from '../harness/http-app.js';
import { startFakeGitHub } from '../fake-github/server.js';
import { createTestDb } from '../harness/databases.js';
import { makeWorkspace, migrate } from '../harness/migrations.js';

const errors = (r: ActionResult) =>
  r.annotations
    .filter((a) => a.level === 'error')
    .map((a) => a.message)
    .join('\n');

/** Lines the runner would read as a command whose message is the injected text. */
const injected = (stdout: string) =>
  stdout
    .split(/\r\n|\r|\n/)
    .filter((l) => /^\s*::[a-z-]+(?: [^:]*)?::INJECTED/i.test(l) || l.includes('##['));

interface SmokeReport {
  checks: { name: string; passed: boolean; attempts: number; reason: string; url: string }[];
}

describe('issue 14 part A (process level)', () => {
  let app: HttpApp;
  let basic: Server;
  let basicUrl: string;
  before(async () => {
    app = await startHttpApp({ version: '1.0.0' });
    // A health endpoint behind Basic authentication (user "ops", password "s3cr3t-pa55").
    basic = createServer((req, res) => {
      const want = `Basic ${Buffer.from('ops:s3cr3t-pa55').toString('base64')}`;
      if (req.headers.authorization === want) res.writeHead(200).end('ok');
      else
        res
          .writeHead(401, { 'www-authenticate': 'Basic' })
          .end('who are you?\n::error::INJECTED-body\n##[error]INJECTED-body');
    });
    await new Promise<void>((r) => basic.listen(0, '127.0.0.1', r));
    basicUrl = `127.0.0.1:${(basic.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app.close();
    await new Promise<void>((r) => basic.close(() => r()));
  });

  describe('1. workflow-command injection', () => {
    it('a check name with a line break is refused, naming the input; nothing is requested', async () => {
      const r = await runAction('smoke-test', {
        inputs: { checks: `- name: "ok\\n::error::INJECTED"\n  url: ${app.url}/health` },
      });
      assert.equal(r.exitCode, 1);
      assert.match(
        errors(r),
        /Input "checks" at \[0\]\.name: a check name cannot contain control characters/,
      );
      assert.equal(app.requests.filter((q) => q.path === '/health').length, 0);
      assert.deepEqual(injected(r.rawStdout), []);
    });

    it('deploy refuses a version or environment with control characters, naming the input', async () => {
      for (const [input, value] of [
        ['version', 'v1\n::error::INJECTED'],
        ['environment', 'prod\r::add-mask::INJECTED'],
      ] as const) {
        const r = await runAction('deploy', {
          inputs: { environment: 'production', version: 'v1', [input]: value, command: 'true' },
        });
        assert.equal(r.exitCode, 1);
        assert.match(errors(r), new RegExp(`Input "${input}": .*cannot contain control characters`));
        assert.deepEqual(injected(r.rawStdout), []);
      }
    });

    it("the user command's output and a server's body are relayed, never run as commands", async () => {
      // A server whose (401) body carries commands: the failure reason quotes it.
      const r = await runAction('smoke-test', {
        inputs: { url: `http://${basicUrl}/health`, timeout: '1s' },
      });
      assert.equal(r.exitCode, 1);
      assert.match(r.rawStdout, /INJECTED-body/, 'the body is quoted');
      const c = await runAction('smoke-test', {
        inputs: {
          command: [
            'echo "::error::INJECTED from the command"',
            'echo "   ::add-mask::INJECTED"',
            `printf 'x\\r::warning::INJECTED-cr\\n'`,
            'echo "text ##[error]INJECTED legacy"',
          ].join('\n'),
        },
      });
      assert.equal(c.exitCode, 0, c.log);
      assert.match(c.rawStdout, /INJECTED from the command/, 'the output is shown');
      assert.deepEqual(injected(c.rawStdout), []);
      assert.deepEqual(injected(r.rawStdout), []);
      assert.equal(
        c.annotations.filter((a) => a.message.includes('INJECTED')).length,
        0,
        'no annotation came from the command',
      );
    });
  });

  describe('1. file names', () => {
    it('a migration file name holding commands is logged, never run as a command', async () => {
      const db = await createTestDb('postgres', 'inj');
      try {
        const ws = makeWorkspace({
          'migrations/0001_create\n::error::INJECTED-file\n##[warning]INJECTED.sql':
            'create table t (id int);\n',
        });
        const r = await migrate(db, ws, { tool: 'sql' });
        assert.equal(r.exitCode, 0, r.log);
        assert.match(r.rawStdout, /INJECTED-file/, 'the name is shown');
        assert.deepEqual(injected(r.rawStdout), []);
        assert.equal(r.annotations.filter((a) => a.message.includes('INJECTED')).length, 0);
        rmSync(ws, { recursive: true, force: true });
      } finally {
        await db.drop();
      }
    });
  });

  describe('1. values read back from GitHub', () => {
    it('a previous deployment whose payload version holds commands is not handed on as DEPLOY_PREVIOUS_VERSION', async () => {
      const fake = await startFakeGitHub({ validate: true });
      try {
        fake.seed.deployment({
          owner: 'acme',
          repo: 'shop',
          environment: 'production',
          payload: { version: 'v0\n::error::INJECTED-payload\n##[error]INJECTED', strategy: 'rolling' },
          statuses: ['success'],
        });
        const r = await runAction('deploy', {
          inputs: {
            environment: 'production',
            version: 'v1',
            strategy: 'rolling',
            command: 'echo "previous=[$DEPLOY_PREVIOUS_VERSION]"',
            'health-url': `${app.url}/health`,
            timeout: '5s',
          },
          env: { GITHUB_API_URL: fake.url },
        });
        assert.equal(r.exitCode, 0, r.log);
        assert.deepEqual(injected(r.rawStdout), []);
        assert.match(r.rawStdout, /previous=\[\]/, 'the untrustworthy version was not passed on');
        assert.equal(r.outputs['previous-version'] ?? '', '');
        assert.deepEqual(fake.violations, []);
      } finally {
        await fake.close();
      }
    });
  });

  describe('3. durations a timer cannot hold', () => {
    it('backup-db timeout 25d, deploy command-timeout 25d and smoke-test request-timeout 50d are refused with the limit', async () => {
      const seen = app.requests.length;
      const b = await runAction('backup-db', {
        inputs: { 'database-url': 'postgres://postgres@127.0.0.1:5432/x', timeout: '25d' },
      });
      assert.equal(b.exitCode, 1);
      assert.match(errors(b), /Input "timeout": must be at most 3d, got "25d"/);
      const d = await runAction('deploy', {
        inputs: { environment: 'p', version: 'v1', command: 'true', 'command-timeout': '25d' },
      });
      assert.equal(d.exitCode, 1);
      assert.match(errors(d), /Input "command-timeout": must be at most 3d, got "25d"/);
      const s = await runAction('smoke-test', {
        inputs: { url: `${app.url}/health`, 'request-timeout': '50d' },
      });
      assert.equal(s.exitCode, 1);
      assert.match(errors(s), /Input "request-timeout": must be at most 10m, got "50d"/);
      assert.equal(app.requests.length, seen, 'no request was sent');
    });

    it('timeout: 0 is refused where a wait of 0 cannot succeed', async () => {
      const s = await runAction('smoke-test', { inputs: { url: `${app.url}/health`, timeout: '0' } });
      assert.equal(s.exitCode, 1);
      assert.match(errors(s), /Input "timeout": must be more than 0/);
      const b = await runAction('backup-db', {
        inputs: { 'database-url': 'postgres://postgres@127.0.0.1:5432/x', 'connect-timeout': '0s' },
      });
      assert.match(errors(b), /Input "connect-timeout": must be at least 1s/);
    });
  });

  describe('5. secrets reaching user commands', () => {
    it('the smoke command sees neither our inputs nor the runtime token; it keeps PATH, GITHUB_* and its own env', async () => {
      const r = await runAction('smoke-test', {
        inputs: {
          command: [
            'if env | grep -E "^(INPUT_|STATE_|ACTIONS_RUNTIME_TOKEN=|GITHUB_STATE=|GITHUB_OUTPUT=)"; then exit 7; fi',
            'test -n "$PATH" && test "$GITHUB_REPOSITORY" = acme/shop && test "$MY_OWN" = kept',
            'test "$ACTIONS_ID_TOKEN_REQUEST_URL" = https://oidc.invalid',
          ].join('\n'),
        },
        env: {
          ACTIONS_RUNTIME_TOKEN: 'runtime-token-secret',
          ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc.invalid',
          MY_OWN: 'kept',
        },
      });
      assert.equal(r.exitCode, 0, r.log);
      assert.doesNotMatch(r.rawStdout, /INPUT_COMMAND|runtime-token-secret/);
    });
  });

  describe('8. secrets in query strings', () => {
    it('query values are hidden in the log, outputs, report and summary; names are kept', async () => {
      const r = await runAction('smoke-test', {
        inputs: { url: `${app.url}/health?sv=2024-11-04&sig=AzureSasSignatureValue%3D&x=1` },
      });
      assert.equal(r.exitCode, 0, r.log);
      const visible = everythingVisible(r);
      assert.doesNotMatch(visible, /AzureSasSignatureValue|2024-11-04/);
      assert.match(visible, /\?sv=\*\*\*&sig=\*\*\*&x=\*\*\*/);
      assert.match((r.report as SmokeReport).checks[0]!.url, /sig=\*\*\*/);
    });
  });

  describe('9. URLs with credentials', () => {
    it('user info is sent as Basic authentication and the password never shows', async () => {
      const r = await runAction('smoke-test', {
        inputs: { url: `http://ops:s3cr3t-pa55@${basicUrl}/health`, timeout: '5s' },
      });
      assert.equal(r.exitCode, 0, r.log);
      const rep = r.report as SmokeReport;
      assert.equal(rep.checks[0]!.attempts, 1);
      assert.doesNotMatch(everythingVisible(r), /s3cr3t-pa55|b3BzOnMzY3IzdC1wYTU1/);
      assert.match(rep.checks[0]!.url, /ops:\*\*\*@/);
    });

    it('a request that cannot be built fails at once, with the reason, instead of being retried', async () => {
      const r = await runAction('smoke-test', {
        inputs: {
          checks: `- url: ${app.url}/health\n  headers: { "bad header name": x }`,
          timeout: '20s',
        },
      });
      assert.equal(r.exitCode, 1);
      const rep = r.report as SmokeReport;
      assert.equal(rep.checks[0]!.attempts, 1, rep.checks[0]!.reason);
      assert.match(rep.checks[0]!.reason, /could not be built/);
    });
  });

  describe('10. runbook file robustness', () => {
    it('runbook: /dev/zero is refused at once, naming the input', async () => {
      const r = await runAction('smoke-test', {
        inputs: { runbook: '/dev/zero', environment: 'staging', url: `${app.url}/health` },
        timeoutMs: 30_000,
      });
      assert.equal(r.signal, null, 'it exited by itself');
      assert.equal(r.exitCode, 1);
      assert.match(errors(r), /Input "runbook": \/dev\/zero is not a regular file/);
    });

    it('a directory, or a file over 1 MiB, is refused naming the input (no EISDIR)', async () => {
      const ws = mkdtempSync(path.join(tmpdir(), 'runbook-ws-'));
      mkdirSync(path.join(ws, 'ops'));
      writeFileSync(path.join(ws, 'big.yml'), `# ${'x'.repeat(1 << 20)}\n`);
      for (const [file, message] of [
        ['ops', /Input "runbook": ops is a directory/],
        ['big.yml', /Input "runbook": big\.yml is 1048579 bytes long; expected a YAML file of at most 1 MiB/],
      ] as const) {
        const r = await runAction('smoke-test', {
          inputs: { runbook: file, environment: 'staging', url: `${app.url}/health` },
          workspace: ws,
        });
        assert.equal(r.exitCode, 1);
        assert.match(errors(r), message);
        assert.doesNotMatch(errors(r), /EISDIR/);
      }
      rmSync(ws, { recursive: true, force: true });
    });
  });
});
