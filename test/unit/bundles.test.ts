/**
 * What the committed bundles hold: no undici (the @actions/http-client stand-in is in effect: about 30 ms off every
 * cold start), and a licenses.txt naming every package in every chunk of the folder.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
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
    // start-up only: a step that asks for an OIDC token may load undici later, from a chunk (see the integration test)
    it(`${dir}/index.js does not evaluate undici at start-up`, () => {
      const main = readFileSync(path.join(ROOT, dir, 'index.js'), 'utf8');
      assert.doesNotMatch(main, /node_modules\/undici\//);
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

  /** A throwaway project root holding node_modules/<dir>/package.json and, if given, a license file. */
  function packages(list: { dir: string; name: string; version: string; license?: [string, string] }[]) {
    const root = mkdtempSync(path.join(tmpdir(), 'licenses-'));
    for (const p of list) {
      const abs = path.join(root, 'node_modules', p.dir);
      mkdirSync(abs, { recursive: true });
      writeFileSync(
        path.join(abs, 'package.json'),
        JSON.stringify({ name: p.name, version: p.version, license: 'MIT' }),
      );
      if (p.license) writeFileSync(path.join(abs, p.license[0]), `${p.license[1]}\n\n`);
    }
    return root;
  }

  it('licenses every package emitted into some chunk, concatenated or nested, and none that was dropped', () => {
    const root = packages([
      {
        dir: '@actions/core',
        name: '@actions/core',
        version: '3.0.1',
        license: ['LICENSE.md', 'core license'],
      },
      { dir: 'zod', name: 'zod', version: '4.0.0', license: ['LICENSE', 'zod license'] },
      { dir: 'pg', name: 'pg', version: '8.0.0', license: ['LICENSE-MIT', 'pg license'] },
      { dir: 'pg/node_modules/pg-connection-string', name: 'pg-connection-string', version: '2.14.1' },
      {
        dir: 'pg-connection-string',
        name: 'pg-connection-string',
        version: '2.6.2',
        license: ['license', 'old'],
      },
      { dir: 'undici', name: 'undici', version: '7.0.0', license: ['LICENSE', 'undici license'] },
    ]);
    try {
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
          module('./node_modules/pg/lib/index.js', [849]),
          module('./node_modules/pg/node_modules/pg-connection-string/index.js', [849]),
          module('./node_modules/pg-connection-string/index.js', [2]),
          module('./node_modules/undici/index.js', []),
        ],
      };
      assert.deepEqual(bundledPackages(stats).sort(), [
        './node_modules/@actions/core',
        './node_modules/pg',
        './node_modules/pg-connection-string',
        './node_modules/pg/node_modules/pg-connection-string',
        './node_modules/zod',
      ]);
      assert.equal(
        licensesText(stats, root),
        [
          '@actions/core\nMIT\ncore license\n',
          'pg\nMIT\npg license\n',
          'pg-connection-string\nMIT\nold\n',
          'pg-connection-string\nMIT\n(the package ships no license file)\n',
          'zod\nMIT\nzod license\n',
        ].join('\n'),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("accepts the http-client stand-in under @actions/core's OIDC client only", () => {
    const standIn = (...by: string[]) => ({
      modules: [module('./src/core/lazy-http-client.ts', [], by)],
    });
    // as ncc reports it: the importer inside a concatenation is named by resolvedModule, the container by moduleName
    const inside = (container: string, resolvedModule: string) => ({
      modules: [
        {
          name: './src/core/lazy-http-client.ts',
          chunks: [],
          reasons: [{ moduleName: container, resolvedModule, type: 'harmony import specifier' }],
        },
      ],
    });
    assert.deepEqual(
      standInMisuse(
        inside('./src/deploy/index.ts + 62 modules', './node_modules/@actions/core/lib/oidc-utils.js'),
      ),
      [],
    );
    assert.deepEqual(standInMisuse(standIn('./node_modules/@actions/core/lib/oidc-utils.js')), []);
    assert.match(
      standInMisuse(inside('./src/x/lazy.ts + 1 modules', './src/x/lazy.ts'))[0] ?? '',
      /^\.\/src\/x\/lazy\.ts imports @actions\/http-client/,
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
