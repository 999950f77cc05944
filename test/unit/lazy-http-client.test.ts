/** The bundle-time stand-in for @actions/http-client (tsconfig.json `paths`) behaves as the library does. */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BearerCredentialHandler } from '@actions/http-client/lib/auth';
import { HttpClient, loadHttpClient } from '../../src/core/lazy-http-client.js';
import { ROOT } from '../harness/run-action.js';

describe('lazy @actions/http-client', () => {
  const seen: IncomingHttpHeaders[] = [];
  let base = '';
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: 'id-token' }));
    } else if (req.url === '/broken') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'token service down' }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('is the real client behind the same constructor: handlers, user agent, JSON', async () => {
    const client = new HttpClient('actions/oidc-client', [new BearerCredentialHandler('secret-token')], {
      allowRetries: false,
    });
    const res = await client.getJson<{ value: string }>(`${base}/token`);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.result, { value: 'id-token' });
    const headers = seen.at(-1)!;
    assert.equal(headers.authorization, 'Bearer secret-token');
    assert.match(String(headers['user-agent']), /^actions\/oidc-client/);
    client.dispose();
  });

  it("keeps the library's answers: 404 is a null result, 5xx an HttpClientError with the status", async () => {
    const client = new HttpClient('t', [], { allowRetries: false });
    const missing = await client.getJson(`${base}/nothing`);
    assert.deepEqual({ status: missing.statusCode, result: missing.result }, { status: 404, result: null });
    const real = await loadHttpClient();
    await assert.rejects(client.getJson(`${base}/broken`), (e: unknown) => {
      assert.ok(e instanceof real.HttpClientError, `got ${String(e)}`);
      assert.equal(e.statusCode, 500);
      assert.match(e.message, /token service down/);
      return true;
    });
    client.dispose();
  });

  it('refuses requests after dispose(), made before or after the real client was loaded', async () => {
    const unused = new HttpClient('t');
    unused.dispose();
    await assert.rejects(unused.getJson(`${base}/token`), /Client has already been disposed/);
    const used = new HttpClient('t');
    await used.getJson(`${base}/token`);
    used.dispose();
    await assert.rejects(used.getJson(`${base}/token`), /Client has already been disposed/);
  });

  it('loads the very @actions/http-client that @actions/core would (no nested copy under core)', () => {
    // the stand-in names node_modules/@actions/http-client by path; npm nests a copy under @actions/core only
    // when the top-level version does not satisfy core's range, and then the path would name the wrong one
    const nested = path.join(ROOT, 'node_modules/@actions/core/node_modules/@actions/http-client');
    assert.ok(!existsSync(nested), `${nested} exists: point src/core/lazy-http-client.ts at it`);
    assert.ok(existsSync(path.join(ROOT, 'node_modules/@actions/http-client/lib/index.js')));
  });
});
