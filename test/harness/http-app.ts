/**
 * A real HTTP server for tests and the demo, listening on 127.0.0.1 (random port). It can be healthy, slow,
 * flaky (fail N times then succeed), failing, or serve a version string.
 *
 *   GET /health              {"status":"healthy","version":...}  (503 "degraded" while `failing`)
 *   GET /version             the version as text
 *   GET /slow/<ms>           answers after <ms>
 *   GET /flaky/<key>/<n>     503 for the first <n> requests with that key, then 200
 *   GET /status/<code>       that status
 *   GET /every/<n>           500 on every n-th request, else 200 (for error-rate windows)
 *   GET /checkout            200 {"ok":true,...}: a feature page, for checks beyond /health
 *   ANY /echo                200 with the method, headers and body it got, as JSON
 *   GET /<path in `brokenPaths`>  500 on every second request (a release whose health is fine but a feature
 *                            fails intermittently: a retried check gets through, an error rate does not)
 * `delayMs` delays every response; `set()` changes behaviour while running.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppOptions {
  version?: string;
  delayMs?: number;
  failing?: boolean;
  /** Paths (e.g. `/checkout`) that answer 500 on every second request while `/health` stays healthy. */
  brokenPaths?: string[];
  port?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface HttpApp {
  url: string;
  port: number;
  requests: SeenRequest[];
  set(o: Partial<AppOptions>): void;
  close(): Promise<void>;
  server: Server;
}

export async function startHttpApp(options: AppOptions = {}): Promise<HttpApp> {
  const opts: AppOptions = { version: '1.0.0', delayMs: 0, failing: false, ...options };
  const counters = new Map<string, number>();
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        headers: req.headers,
        body,
      });
      const parts = url.pathname.split('/').filter(Boolean);
      const count = (key: string) => {
        const n = (counters.get(key) ?? 0) + 1;
        counters.set(key, n);
        return n;
      };
      if (opts.brokenPaths?.includes(url.pathname) && count(`broken:${url.pathname}`) % 2 === 0)
        return setTimeout(() => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal error', version: opts.version }));
        }, opts.delayMs ?? 0);
      const send = (status: number, payload: unknown, extraDelay = 0) => {
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        setTimeout(
          () => {
            res.writeHead(status, {
              'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json',
            });
            res.end(text);
          },
          (opts.delayMs ?? 0) + extraDelay,
        );
      };
      switch (parts[0]) {
        case undefined:
        case 'health':
          return opts.failing
            ? send(503, { status: 'degraded', version: opts.version })
            : send(200, { status: 'healthy', version: opts.version, checks: { db: 'ok' } });
        case 'version':
          return send(200, opts.version ?? '');
        case 'slow':
          return send(200, { status: 'healthy', slow: true }, Number(parts[1] ?? 1000));
        case 'flaky': {
          const n = count(`flaky/${parts[1]}`);
          return n <= Number(parts[2] ?? 1)
            ? send(503, { status: 'starting', attempt: n })
            : send(200, { status: 'healthy', attempt: n });
        }
        case 'status':
          return send(Number(parts[1] ?? 200), { status: Number(parts[1] ?? 200) });
        case 'every': {
          const n = count(`every/${parts[1]}`);
          return n % Number(parts[1] ?? 2) === 0
            ? send(500, { error: 'boom', n })
            : send(200, { ok: true, n });
        }
        case 'checkout':
          return send(200, { ok: true, version: opts.version });
        case 'echo':
          return send(200, { method: req.method, headers: req.headers, body });
        default:
          return send(404, { error: 'not found' });
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    server,
    set: (o) => Object.assign(opts, o),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
