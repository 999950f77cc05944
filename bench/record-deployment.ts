/**
 * record-deployment benchmark: a record with DORA over 500 seeded deployments (60 days: the 30-day window and the
 * one before it; 1 in 20 fails, 1 in 50 is rolled back by a rollback deployment), the real bundle against the fake
 * GitHub API answering every request after 50 ms, as a real API round trip would. Prints requests (record,
 * DORA, total, against the budget) and wall time; never asserts.
 *
 *   node --import tsx bench/record-deployment.ts [deployments] [latency-ms]
 */
import { pathToFileURL } from 'node:url';
import { shaOf } from '../test/fake-github/data.js';
import { startFakeGitHub } from '../test/fake-github/server.js';
import { runAction } from '../test/harness/run-action.js';
import { printTable } from './lib.js';

const repo = { owner: 'acme', repo: 'shop' };

export async function benchRecordDeployment(count = 500, latencyMs = 50): Promise<void> {
  const fake = await startFakeGitHub({ latencyMs });
  try {
    const now = Date.now();
    const span = 60 * 86_400_000;
    const iso = (t: number) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
    let parent: string | undefined;
    let lastId = 0;
    for (let i = 0; i < count; i++) {
      const created = now - span + Math.round(((i + 0.5) * span) / count);
      const sha = shaOf(`bench:${i}`);
      fake.seed.commitAt({
        ...repo,
        sha,
        parents: parent ? [parent] : [],
        date: iso(created - 3_600_000),
        message: `Change ${i} (#${i + 1})`,
      });
      parent = sha;
      const fails = i % 20 === 7;
      const rolledBack = i % 50 === 13;
      const d = fake.seed.deployment({
        ...repo,
        environment: 'production',
        sha,
        payload: {
          version: `v${i}`,
          previousVersion: i ? `v${i - 1}` : undefined,
          strategy: 'rolling',
          provider: 'command',
        },
        created_at: iso(created),
        statuses: fails
          ? [{ state: 'failure', created_at: iso(created + 600_000) }]
          : [
              { state: 'success', created_at: iso(created + 300_000) },
              ...(rolledBack
                ? [
                    {
                      state: 'inactive' as const,
                      created_at: iso(created + 3_600_000),
                      description: `rolled back to v${i - 1} by @bench: errors`,
                    },
                  ]
                : []),
            ],
      });
      lastId = Number(d.id);
      if (rolledBack)
        fake.seed.deployment({
          ...repo,
          environment: 'production',
          task: 'deploy:rollback',
          sha: shaOf(`bench:${i - 1}`),
          payload: { version: `v${i - 1}`, rollback_of: d.id, reason: 'errors', strategy: 'rolling' },
          created_at: iso(created + 3_000_000),
          statuses: [{ state: 'success', created_at: iso(created + 3_600_000) }],
        });
    }
    const started = performance.now();
    const r = await runAction('record-deployment', {
      inputs: { environment: 'production', 'deployment-id': String(lastId), 'dora-window': '30d' },
      env: { GITHUB_API_URL: fake.url },
      token: 'ghs_bench',
      timeoutMs: 300_000,
    });
    const wallMs = performance.now() - started;
    if (r.exitCode !== 0) throw new Error(`record-deployment failed:\n${r.log}`);
    const rep = r.report as {
      requests: { record: number; dora: number; total: number };
      dora: { deploymentsRead: number };
    };
    const pages = fake.count('GET /repos/{owner}/{repo}/deployments');
    const statuses = fake.count('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses');
    const compares = fake.count('GET /repos/{owner}/{repo}/compare/{basehead}');
    const deployments = rep.dora.deploymentsRead;
    const budget = Math.ceil(deployments / 100) + deployments + compares + 8;
    printTable(
      `record-deployment with DORA: ${fake.state.deployments.length} deployments seeded, fake GitHub at ${latencyMs} ms per request`,
      [
        'deployments read',
        'list pages',
        'statuses',
        'compares',
        'record reqs',
        'DORA reqs',
        'total',
        'budget',
        'wall time',
      ],
      [
        [
          deployments,
          pages,
          statuses,
          compares,
          rep.requests.record,
          rep.requests.dora,
          rep.requests.total,
          `${rep.requests.total <= budget ? '≤' : '>'} ${budget}`,
          `${(wallMs / 1000).toFixed(2)} s`,
        ],
      ],
    );
  } finally {
    await fake.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchRecordDeployment(Number(process.argv[2] ?? 500), Number(process.argv[3] ?? 50));
}
