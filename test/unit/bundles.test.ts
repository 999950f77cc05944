/**
 * What the committed bundles hold: no undici (the @actions/http-client stand-in is in effect: about 30 ms off every
 * cold start), and a licenses.txt naming every package in every chunk of the folder.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  bundledPackages,
  licensesText,
  standInMisuse,
  type StatsModule,
} from '../../scripts/bundle-stats.mjs';
import { ROOT } from '../harness/run-action.js';

/** dist/<name> and dist/<name>/post: every folder the build writes a bundle into. */
const folders = readdirSync(path.join(ROOT, 'dist'))
  .flatMap((n) => [path.join('dist', n), path.join('dist', n, 'post')])
  .filter((d) => existsSync(path.join(ROOT, d, 'index.js')));

const jsFiles = (dir: string) =>
  readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(path.join(ROOT, dir, f), 'utf8'));

const licensed = (dir: string) => {
  const text = readFileSync(path.join(ROOT, dir, 'licenses.txt'), 'utf8');
  // an entry starts the file or follows a blank line: its package name, then its license id
  return new Set([...text.matchAll(/(?:^|\n\n)([^\n]+)\n[^\n]+\n/g)].map((m) => m[1]));
};

describe('bundles', () => {
  it('finds the bundles', () => assert.ok(folders.includes(path.join('dist', 'smoke-test'))));

  for (const dir of folders) {
    it(`${dir} does not bundle undici`, () => {
      assert.ok(!licensed(dir).has('undici'), 'licenses.txt lists undici');
      for (const js of jsFiles(dir)) assert.doesNotMatch(js, /node_modules\/undici\//);
    });

    it(`${dir}/licenses.txt names every package its chunks hold`, () => {
      const names = licensed(dir);
      const bundled = new Set<string>();
      for (const js of jsFiles(dir))
        for (const m of js.matchAll(
          /CONCATENATED MODULE: \.\/node_modules\/(?:.*\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//g,
        ))
          bundled.add(m[1]!);
      assert.ok(bundled.has('@actions/core'), `found ${[...bundled].join(', ')}`);
      assert.deepEqual(
        [...bundled].filter((p) => !names.has(p)),
        [],
        `licenses.txt has ${[...names].join(', ')}`,
      );
    });
  }

  it('run-migrations: the driver chunks are licensed too (ncc alone kept only the last chunk)', () => {
    const names = licensed(path.join('dist', 'run-migrations'));
    for (const p of ['pg', 'mysql2', '@actions/core', 'zod', 'yaml']) assert.ok(names.has(p), `${p} missing`);
  });
});

describe('bundle stats (scripts/bundle-stats.mjs)', () => {
  const module = (name: string, chunks: number[], reasons: string[] = [], modules: StatsModule[] = []) => ({
    name,
    chunks,
    modules,
    reasons: reasons.map((moduleName) => ({ moduleName, type: 'harmony import specifier' })),
  });

  it('licenses every package emitted into some chunk, concatenated or nested, and none that was dropped', () => {
    const stats = {
      modules: [
        module(
          './src/smoke-test/index.ts + 3 modules',
          [1],
          [],
          [
            module('./node_modules/zod/v4/core/core.js', []),
            module('./node_modules/@actions/core/lib/core.js', []),
          ],
        ),
        module('./node_modules/pg/node_modules/pg-connection-string/index.js', [849]),
        module('./node_modules/undici/index.js', []),
      ],
    };
    assert.deepEqual(bundledPackages(stats).sort(), [
      './node_modules/@actions/core',
      './node_modules/pg/node_modules/pg-connection-string',
      './node_modules/zod',
    ]);
    const text = licensesText(stats, ROOT);
    assert.match(text, /^@actions\/core\nMIT\n/);
    assert.match(text, /\n\npg-connection-string\nMIT\n/);
    assert.match(text, /\n\nzod\nMIT\n/);
    assert.doesNotMatch(text, /undici/);
  });

  it("accepts the http-client stand-in under @actions/core's OIDC client only", () => {
    const standIn = (...by: string[]) => ({
      modules: [module('./src/core/lazy-http-client.ts', [], by)],
    });
    assert.deepEqual(
      standInMisuse(
        standIn('./node_modules/@actions/core/lib/oidc-utils.js', './src/deploy/index.ts + 62 modules'),
      ),
      [],
    );
    // @actions/github does `import * as httpClient` and calls getAgentDispatcher(): the build must refuse
    const misuse = standInMisuse(standIn('./node_modules/@actions/github/lib/internal/utils.js'));
    assert.equal(misuse.length, 1);
    assert.match(
      misuse[0]!,
      /^\.\/node_modules\/@actions\/github\/lib\/internal\/utils\.js imports @actions\/http-client/,
    );
    assert.match(misuse[0]!, /Remove the "paths" entry in tsconfig\.json/);
  });
});
