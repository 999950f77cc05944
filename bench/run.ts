/**
 * `npm run bench [name...]`: prints tables, never asserts a time. Names: bundles, smoke-test, deploy (default: all).
 */
import { benchBundles } from './bundles.js';
import { benchDeploy } from './deploy.js';
import { benchSmokeTest } from './smoke-test.js';

const benches: Record<string, () => Promise<void>> = {
  bundles: () => benchBundles(),
  'smoke-test': () => benchSmokeTest(),
  deploy: () => benchDeploy(),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) throw new Error(`unknown bench "${name}" (have: ${Object.keys(benches).join(', ')})`);
  await bench();
}
