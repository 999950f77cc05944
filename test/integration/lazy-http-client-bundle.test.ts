/**
 * An ncc bundle that calls @actions/core's getIDToken: the @actions/http-client stand-in is in it (not undici at
 * start-up), the real client arrives as a separate chunk loaded on the first request, and the token request works
 * against a real HTTP server: bearer token, audience, answer masked and returned. And a bundle whose own modules
 * import @actions/http-client: the build's guard, reading ncc's real stats, names both importers.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { standInMisuse, type Stats } from '../../scripts/bundle-stats.mjs';
import { parseFileCommands, ROOT } from '../harness/run-action.js';

const run = promisify(execFile);

describe('bundled getIDToken through the lazy http-client', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'oidc-bundle-'));
  const out = path.join(dir, 'dist');
  const requests: { url: string; auth: string | undefined }[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', auth: req.headers.authorization });
    if (req.url?.includes('audience=broken')) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'token service unavailable' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ value: 'eyJ-id-token-for-test' }));
  });
  let url = '';
  let misuseStats: Stats = {};

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`;
    const ncc = path.join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js');
    const bundle = (entry: string, to: string, ...more: string[]) =>
      run(process.execPath, [ncc, 'build', entry, '-o', to, '--quiet', ...more], {
        cwd: ROOT,
        timeout: 180_000,
      });
    const stats = path.join(dir, 'misuse-stats.json');
    await Promise.all([
      bundle('test/fixtures/bundles/oidc-token.ts', out),
      bundle('test/fixtures/bundles/misuse.ts', path.join(dir, 'misuse'), '--stats-out', stats),
    ]);
    misuseStats = JSON.parse(readFileSync(stats, 'utf8')) as Stats;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function token(audience: string) {
    const files = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'].map((f) => {
        const p = path.join(dir, `${f}-${audience}`);
        writeFileSync(p, '');
        return [f, p];
      }),
    );
    const child = await run(process.execPath, [path.join(out, 'index.js'), audience], {
      env: {
        PATH: process.env.PATH,
        ...files,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-request-token',
        ACTIONS_ID_TOKEN_REQUEST_URL: url,
      },
      timeout: 60_000,
    }).catch((e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }));
    return {
      stdout: child.stdout,
      code: 'code' in child ? child.code : 0,
      outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT!, 'utf8')),
    };
  }

  it('bundles the stand-in, with the real client (and undici) only in a lazily loaded chunk', () => {
    const main = readFileSync(path.join(out, 'index.js'), 'utf8');
    assert.match(main, /src\/core\/lazy-http-client\.ts/);
    assert.doesNotMatch(main, /node_modules\/undici\//);
    const chunks = readdirSync(out).filter((f) => f.endsWith('.js') && f !== 'index.js');
    assert.ok(
      chunks.some((c) => readFileSync(path.join(out, c), 'utf8').includes('node_modules/undici/')),
      `no chunk holds undici: ${chunks.join(', ')}`,
    );
  });

  it('gets a token: bearer request token, audience in the URL, the token masked and returned', async () => {
    const r = await token('sts.example.com');
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outputs.token, 'eyJ-id-token-for-test');
    assert.match(r.stdout, /::add-mask::eyJ-id-token-for-test/);
    const req = requests.at(-1)!;
    assert.equal(req.auth, 'Bearer runtime-request-token');
    assert.equal(req.url, '/token?api-version=2.0&audience=sts.example.com');
  });

  it("fails with the library's message when the token service answers 503", async () => {
    const r = await token('broken');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /::error::.*Failed to get ID Token/s);
    assert.match(r.stdout, /503/);
  });

  it('the build guard names every other importer of @actions/http-client, also one webpack concatenated', () => {
    const misuse = standInMisuse(misuseStats);
    assert.deepEqual(misuse.map((m) => m.split(' ')[0]).sort(), [
      './test/fixtures/bundles/misuse-lazy.ts',
      './test/fixtures/bundles/misuse.ts',
    ]);
  });
});
