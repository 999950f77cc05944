/**
 * Writes schema/runbook.schema.json from the zod schema in src/core/runbook.ts (the single source), so editors
 * complete and validate the runbook file. `--check` exits 1 when the committed file is stale.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runbookSchema } from '../src/core/runbook.js';

const root = path.resolve(import.meta.dirname, '..');
const file = path.join(root, 'schema', 'runbook.schema.json');

const schema = {
  ...z.toJSONSchema(runbookSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
  $id: 'https://github.com/deploy-runbook/deploy-runbook/schema/runbook.schema.json',
  title: 'deploy-runbook runbook file (.github/runbook.yml)',
};
const text = `${JSON.stringify(schema, null, 2)}\n`;

if (process.argv.includes('--check')) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current !== text) {
    console.error('schema/runbook.schema.json is stale: run `npm run schema` and commit the result.');
    process.exit(1);
  }
  console.log('schema/runbook.schema.json is fresh');
} else {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${path.relative(root, file)}`);
}
