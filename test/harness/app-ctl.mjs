#!/usr/bin/env node
// The deploy command of the deploy tests, bench and demo: puts a version on a slot of test/harness/slots.ts.
//
//   SLOTS_CTL_URL=<url> node test/harness/app-ctl.mjs deploy <slot|*> <version>
//
// The deploy action gives the command DEPLOY_SLOT and DEPLOY_VERSION; a workflow would write
// `node app-ctl.mjs deploy "$DEPLOY_SLOT" "$DEPLOY_VERSION"`, as a real one would call its deploy tool.
const [op, slot, version] = process.argv.slice(2);
const url = process.env.SLOTS_CTL_URL;
if (!url) {
  console.error('app-ctl: SLOTS_CTL_URL is not set');
  process.exit(2);
}
if (!['deploy', 'rollback'].includes(op ?? '') || !slot || !version) {
  console.error(
    `app-ctl: usage: app-ctl.mjs deploy|rollback <slot|*> <version> (got ${process.argv.slice(2).join(' ')})`,
  );
  process.exit(2);
}
const res = await fetch(url, {
  method: 'POST',
  body: JSON.stringify({ op, slot, version }),
  signal: AbortSignal.timeout(5000),
});
const text = await res.text();
if (!res.ok) {
  console.error(`app-ctl: ${text}`);
  process.exit(1);
}
console.log(text);
