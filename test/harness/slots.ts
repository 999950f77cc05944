/**
 * The two app instances (slots `blue` and `green`) the deploy tests, bench and demo deploy to: real HTTP
 * servers (test/harness/http-app.ts) plus a small control server on 127.0.0.1 that the tests' deploy
 * commands call through test/harness/app-ctl.mjs, so the action's `command` really changes what a slot runs.
 * A version listed in `broken` answers its health check 503; one in `slow` answers after that many ms; one in
 * `bugs` is healthy but answers 500 on every second request to the paths listed for it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startHttpApp, type HttpApp } from './http-app.js';

export const APP_CTL = path.resolve(import.meta.dirname, 'app-ctl.mjs');

export interface SlotsOptions {
  /** Version each slot starts with. */
  versions?: Record<string, string>;
  broken?: string[];
  slow?: Record<string, number>;
  /** Versions whose health is fine but these paths answer 500 on every second request (a bug only real
   * traffic finds). */
  bugs?: Record<string, string[]>;
}

export interface Slots {
  apps: Record<string, HttpApp>;
  /** Health URL of each slot, reached directly. */
  health: Record<string, string>;
  ports: Record<string, number>;
  /** Env for commands: SLOTS_CTL_URL. */
  env: Record<string, string>;
  /** Every deploy/rollback the control server carried out, in order. */
  history: { op: string; slot: string; version: string }[];
  version(slot: string): string;
  close(): Promise<void>;
}

export async function startSlots(o: SlotsOptions = {}): Promise<Slots> {
  const versions = o.versions ?? { blue: 'v1', green: 'v1' };
  const broken = new Set(o.broken ?? []);
  const apps: Record<string, HttpApp> = {};
  const current: Record<string, string> = {};
  const behaviour = (v: string) => ({
    version: v,
    failing: broken.has(v),
    delayMs: o.slow?.[v] ?? 0,
    brokenPaths: o.bugs?.[v] ?? [],
  });
  for (const [slot, v] of Object.entries(versions)) {
    apps[slot] = await startHttpApp(behaviour(v));
    current[slot] = v;
  }
  const history: Slots['history'] = [];
  const ctl: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const { op, slot, version } = JSON.parse(body || '{}') as {
        op?: string;
        slot?: string;
        version?: string;
      };
      const targets = slot === '*' ? Object.keys(apps) : slot && apps[slot] ? [slot] : [];
      if (!op || !version || !targets.length) {
        res.writeHead(400).end(`bad request: ${body} (slots: ${Object.keys(apps).join(', ')}, or *)`);
        return;
      }
      for (const s of targets) {
        apps[s]!.set(behaviour(version));
        current[s] = version;
        history.push({ op, slot: s, version });
      }
      res.writeHead(200).end(`${targets.join(', ')} now run ${version}`);
    });
  });
  await new Promise<void>((resolve) => ctl.listen(0, '127.0.0.1', resolve));
  const port = (ctl.address() as AddressInfo).port;
  return {
    apps,
    health: Object.fromEntries(Object.entries(apps).map(([s, a]) => [s, `${a.url}/health`])),
    ports: Object.fromEntries(Object.entries(apps).map(([s, a]) => [s, a.port])),
    env: { SLOTS_CTL_URL: `http://127.0.0.1:${port}` },
    history,
    version: (slot) => current[slot]!,
    close: async () => {
      ctl.closeAllConnections();
      await new Promise<void>((resolve) => ctl.close(() => resolve()));
      await Promise.all(Object.values(apps).map((a) => a.close()));
    },
  };
}
