/** ref: the commit is on an allowed branch (reachable from it) or carries an allowed tag. */
import { fail, pass, some, type Gate } from './types.js';

/** `release/*` → /^release\/[^/]*$/, `v*` → /^v.*$/ for tags (tags have no folders to respect). */
export function globRegex(pattern: string, isTag: boolean): RegExp {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join(isTag ? '.*' : '[^/]*');
  return new RegExp(`^${body}$`);
}

export const refGate: Gate = async (config, { gh, sha }) => {
  const short = sha.slice(0, 7);
  const patterns = config.ref_.allowed.map((p) => p.replace(/^refs\//, '').replace(/^heads\//, ''));
  const tagPatterns = patterns.filter((p) => p.startsWith('tags/')).map((p) => p.slice('tags/'.length));
  const branchPatterns = patterns.filter((p) => !p.startsWith('tags/'));

  const checks: Array<Promise<{ ok: boolean; what: string; url?: string }[]>> = [];
  for (const t of tagPatterns) {
    const prefix = t.split('*')[0]!;
    const re = globRegex(t, true);
    checks.push(
      gh.tagsAt(sha, prefix).then((tags) => {
        const hit = tags.filter((x) => re.test(x));
        return [
          { ok: hit.length > 0, what: hit.length ? `tagged ${hit.join(', ')}` : `no tag matching ${t}` },
        ];
      }),
    );
  }
  for (const b of branchPatterns) {
    if (!b.includes('*')) {
      checks.push(
        gh
          .onBranch(b, sha)
          .then((r) => [
            { ok: r.reachable, what: r.reachable ? `on ${b}` : `not on ${b} (${r.status})`, url: r.url },
          ]),
      );
      continue;
    }
    const re = globRegex(b, false);
    checks.push(
      gh.branchesStartingWith(b.split('*')[0]!).then(async (names) => {
        const matching = names.filter((n) => re.test(n)).slice(0, 10);
        if (!matching.length) return [{ ok: false, what: `no branch matches ${b}` }];
        return Promise.all(
          matching.map((n) =>
            gh
              .onBranch(n, sha)
              .then((r) => ({ ok: r.reachable, what: r.reachable ? `on ${n}` : `not on ${n}`, url: r.url })),
          ),
        );
      }),
    );
  }
  // One pattern that cannot be checked (a branch that does not exist) does not hide another that passes.
  const results = (
    await Promise.all(
      checks.map((c) =>
        c.catch((e: unknown) => [{ ok: false, what: e instanceof Error ? e.message : String(e) }]),
      ),
    )
  ).flat() as Array<{ ok: boolean; what: string; url?: string }>;
  const ok = results.filter((r) => r.ok);
  if (ok.length)
    return pass(`${short} is ${some(ok.map((r) => r.what.replace(/^on /, 'on ')))}`, { url: ok[0]!.url });
  return fail(`${short} is on none of ${config.ref_.allowed.join(', ')}`, {
    details: [
      ...results.map((r) => r.what),
      'Deploy a commit that is merged into an allowed branch, or tag the release (e.g. git tag v1.2.3 && git push --tags).',
    ],
  });
};
