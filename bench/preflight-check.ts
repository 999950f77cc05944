/**
 * preflight-check: the default gates plus soak and ticket against the fake GitHub API with 50 ms added to every
 * request, run as the action runs them (concurrently), next to the same requests made one after another, and the
 * number of requests per run (target: 15 or fewer; wall time under 2x one request's latency plus processing).
 */
import { shaOf } from '../test/fake-github/data.js';
import { startFakeGitHub, type FakeGitHub } from '../test/fake-github/server.js';
import { PREFLIGHT_TOKEN, runGates } from '../test/harness/preflight.js';
import { median, ms, printTable } from './lib.js';

function seed(fake: FakeGitHub, repo: string, sha: string): void {
  fake.seed.checkRun({ repo, head_sha: sha, name: 'build' });
  fake.seed.checkRun({ repo, head_sha: sha, name: 'test' });
  fake.seed.commitStatus({ repo, sha, context: 'ci/coverage', state: 'success' });
  fake.seed.pull({ repo, number: 12, head: 'f', merged: true, merge_commit_sha: sha, title: 'OPS-7: x' });
  fake.seed.review({ repo, pull_number: 12, user: 'lead', state: 'APPROVED' });
  fake.seed.environment({ repo, name: 'production', reviewers: ['lead'], prevent_self_review: true });
  fake.seed.deployment({ repo, environment: 'staging', sha, ref: 'main', statuses: ['success'] });
}

export async function benchPreflight(latencyMs = 50, runs = 3): Promise<void> {
  const options = { latencyMs };
  const fake = await startFakeGitHub(options);
  try {
    const repo = 'bench';
    const sha = shaOf('bench');
    seed(fake, repo, sha);
    const given = { soak: '1s', 'require-ticket': 'true' };
    const preflightOnce = async () => {
      const t0 = performance.now();
      const { report } = await runGates(fake, given, { repo, sha, now: Date.now() + 3_600_000 });
      if (!report.passed) throw new Error(`preflight failed in the bench: ${report.failed.join(', ')}`);
      return performance.now() - t0;
    };
    // Processing alone: the same run with no added latency (warms the modules up, too).
    options.latencyMs = 0;
    const processing: number[] = [];
    for (let i = 0; i < runs + 1; i++) processing.push(await preflightOnce());
    processing.shift();
    options.latencyMs = latencyMs;
    const concurrent: number[] = [];
    let requests = 0;
    let recorded = fake.requests.slice(0, 0);
    for (let i = 0; i < runs; i++) {
      const before = fake.requests.length;
      const t0 = performance.now();
      const { report } = await runGates(fake, given, { repo, sha, now: Date.now() + 3_600_000 });
      concurrent.push(performance.now() - t0);
      if (!report.passed) throw new Error(`preflight failed in the bench: ${report.failed.join(', ')}`);
      recorded = fake.requests.slice(before);
      requests = recorded.length;
    }
    // The same requests, one after another.
    const sequential: number[] = [];
    const single: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      for (const r of recorded) {
        const q = new URLSearchParams(r.query).toString();
        const res = await fetch(`${fake.url}${r.path}${q ? `?${q}` : ''}`, {
          headers: { authorization: `token ${PREFLIGHT_TOKEN}` },
        });
        await res.arrayBuffer();
      }
      sequential.push(performance.now() - t0);
      const t1 = performance.now();
      await (
        await fetch(`${fake.url}${recorded[0]!.path}`, {
          headers: { authorization: `token ${PREFLIGHT_TOKEN}` },
        })
      ).arrayBuffer();
      single.push(performance.now() - t1);
    }
    const one = median(single);
    printTable(
      `preflight-check: default gates + soak + ticket, fake GitHub with ${latencyMs} ms per request (median of ${runs}; target: concurrent < 2x one request + processing, ≤ 15 requests)`,
      ['run', 'requests', 'wall time', 'vs one request'],
      [
        ['one request', 1, ms(one), '1.00x'],
        ['preflight, no added latency (processing)', requests, ms(median(processing)), '–'],
        [
          'preflight (concurrent gates)',
          requests,
          ms(median(concurrent)),
          `${(median(concurrent) / one).toFixed(2)}x`,
        ],
        [
          'same requests, one after another',
          requests,
          ms(median(sequential)),
          `${(median(sequential) / one).toFixed(2)}x`,
        ],
      ],
    );
    const net = median(concurrent) - median(processing);
    console.log(
      `concurrent minus processing: ${ms(net)} = ${(net / one).toFixed(2)}x one request (the longest chains are 2 requests: commit → pull request → reviews, deployments → statuses)`,
    );
  } finally {
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPreflight();
