/**
 * Steady HTTP load for the zero-downtime tests and the bench: `concurrency` loops (or a fixed rate) of GETs to
 * one URL on 127.0.0.1, bounded in count and time, recording every response's status and body (the version)
 * with its time. Keep-alive connections, as browsers and load balancers use them; a request whose *reused*
 * connection the server had already closed (nginx closes idle keep-alive connections of old workers on
 * reload) is retried once on a new connection, as RFC 9112 §9.3.1 allows and browsers do: those are counted
 * as `reconnects`, not failures. Anything else that is not a 2xx is a failure.
 */
import http from 'node:http';

export interface LoadSample {
  /** ms since the load started, at the response. */
  t: number;
  /** Wall-clock ms (Date.now()) when the request was sent and when the response ended, to line up with other processes. */
  sentAt: number;
  at: number;
  status?: number;
  body: string;
  error?: string;
}

export interface LoadResult {
  total: number;
  failed: number;
  reconnects: number;
  failures: string[];
  samples: LoadSample[];
  durationMs: number;
}

export interface Load {
  /** ms since start (same clock as samples). */
  now(): number;
  stop(): Promise<LoadResult>;
}

export interface LoadOptions {
  url: string;
  /** Parallel request loops (default 4), or a fixed rate instead. */
  concurrency?: number;
  ratePerSecond?: number;
  /** Hard bounds: stop after this many requests or this long, whichever first. */
  maxRequests?: number;
  maxMs?: number;
  requestTimeoutMs?: number;
}

export function startLoad(o: LoadOptions): Load {
  const started = performance.now();
  const now = () => performance.now() - started;
  const maxRequests = o.maxRequests ?? 20_000;
  const maxMs = o.maxMs ?? 60_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const samples: LoadSample[] = [];
  const failures: string[] = [];
  let reconnects = 0;
  let sent = 0;
  let stopped = false;
  const inflight = new Set<Promise<void>>();
  const url = new URL(o.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`load only targets 127.0.0.1, got ${url.hostname}`);

  const once = (retry: boolean, sentAt = Date.now()): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname + url.search,
          // The retry goes on a new connection: the pool may hold more connections the server closed.
          agent: retry ? agent : false,
          timeout: o.requestTimeoutMs ?? 5000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => {
            const s: LoadSample = { t: now(), sentAt, at: Date.now(), status: res.statusCode, body };
            samples.push(s);
            if (!res.statusCode || res.statusCode >= 300)
              failures.push(`${res.statusCode} ${body.slice(0, 80)}`);
            resolve();
          });
          res.on('error', (e) => {
            samples.push({ t: now(), sentAt, at: Date.now(), body: '', error: e.message });
            failures.push(e.message);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && (e.code === 'ECONNRESET' || e.message === 'socket hang up')) {
          reconnects++;
          void once(false, sentAt).then(resolve);
          return;
        }
        samples.push({ t: now(), sentAt, at: Date.now(), body: '', error: e.message });
        failures.push(`${e.code ?? ''} ${e.message}`);
        resolve();
      });
    });

  const fire = () => {
    sent++;
    const p = once(true).finally(() => inflight.delete(p));
    inflight.add(p);
    return p;
  };
  const more = () => !stopped && sent < maxRequests && now() < maxMs;
  let done: Promise<unknown>;
  if (o.ratePerSecond) {
    const interval = 1000 / o.ratePerSecond;
    done = (async () => {
      let next = 0;
      while (more()) {
        void fire();
        next += interval;
        const wait = next - now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  } else {
    done = Promise.all(
      Array.from({ length: o.concurrency ?? 4 }, async () => {
        while (more()) await fire();
      }),
    );
  }
  return {
    now,
    async stop() {
      stopped = true;
      await done;
      await Promise.all([...inflight]);
      agent.destroy();
      return {
        total: samples.length,
        failed: failures.length,
        reconnects,
        failures,
        samples,
        durationMs: now(),
      };
    },
  };
}
