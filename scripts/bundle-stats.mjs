// What the build reads from ncc's webpack stats (`ncc build --stats-out`): the packages each output folder holds,
// for its licenses.txt, and whether the @actions/http-client stand-in (tsconfig.json `paths`) is used only where it
// is complete enough.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Calls each module of the stats, nested (concatenated) ones too, with whether it was emitted into a chunk. */
function eachModule(modules, fn, emitted = false) {
  for (const m of modules ?? []) {
    const inChunk = emitted || (m.chunks?.length ?? 0) > 0;
    fn(m, inChunk);
    eachModule(m.modules, fn, inChunk);
  }
}

/** The package folders (./node_modules/.../<pkg>) of every module that webpack emitted into some chunk. */
export function bundledPackages(stats) {
  const dirs = new Set();
  eachModule(stats.modules, (m, inChunk) => {
    const found = inChunk && /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(m.name ?? '');
    if (found) dirs.add(found[1]);
  });
  return [...dirs];
}

// LICENSE, LICENCE.md, LICENSE-MIT, license.txt, COPYING ...
const LICENSE_FILE = /^(licen[cs]e|copying)([.-][\w.-]*)?$/i;

/**
 * ncc's licenses.txt format: name, license id, the license file's text, a blank line; sorted by name, then
 * version. One entry per name and version: two bundled versions of a package each bring their license.
 */
export function licensesText(stats, root) {
  const entries = new Map();
  for (const dir of bundledPackages(stats)) {
    const abs = path.join(root, dir);
    const pkg = JSON.parse(readFileSync(path.join(abs, 'package.json'), 'utf8'));
    const key = `${pkg.name}@${pkg.version}`;
    if (entries.has(key)) continue;
    const file = readdirSync(abs)
      .filter((f) => LICENSE_FILE.test(f))
      .sort()[0];
    const text = file
      ? readFileSync(path.join(abs, file), 'utf8').trim()
      : '(the package ships no license file)';
    const id = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    entries.set(key, { name: pkg.name, version: pkg.version, body: `${pkg.name}\n${id}\n${text}\n` });
  }
  const byNameThenVersion = (a, b) =>
    a.name !== b.name
      ? a.name < b.name
        ? -1
        : 1
      : a.version.localeCompare(b.version, 'en', { numeric: true });
  return [...entries.values()]
    .sort(byNameThenVersion)
    .map((e) => e.body)
    .join('\n');
}

const STAND_IN = './src/core/lazy-http-client.ts';
/** The modules the stand-in is enough for: it has HttpClient's constructor, getJson and dispose, nothing else. */
const STAND_IN_FOR = new Set(['./node_modules/@actions/core/lib/oidc-utils.js']);

/**
 * Modules other than @actions/core's OIDC client that import @actions/http-client (so get the stand-in), one
 * message each. Namespace imports (`import * as httpClient`, as @actions/github does) would otherwise build and
 * fail only at run time, e.g. `hc.getAgentDispatcher is not a function`.
 */
export function standInMisuse(stats) {
  const users = new Set();
  eachModule(stats.modules, (m) => {
    if (m.name !== STAND_IN && !m.name?.startsWith(`${STAND_IN} + `)) return;
    for (const r of m.reasons ?? []) {
      // resolvedModule is the importing module itself, also when webpack concatenated it into another one
      // (whose name, `./x.ts + 12 modules`, is what moduleName then says)
      const by = r.resolvedModule ?? r.moduleName;
      if (by && by !== STAND_IN && !STAND_IN_FOR.has(by)) users.add(by);
    }
  });
  return [...users].map(
    (u) =>
      `${u} imports @actions/http-client, which tsconfig.json maps to ${STAND_IN.slice(2)} (a lazy stand-in made ` +
      `for @actions/core's OIDC client only). Remove the "paths" entry in tsconfig.json, or extend the stand-in ` +
      `and add the importer to STAND_IN_FOR in scripts/bundle-stats.mjs.`,
  );
}
