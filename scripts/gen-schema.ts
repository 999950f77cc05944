/**
 * Writes the JSON Schemas generated from the zod schemas (the single sources): schema/runbook.schema.json from
 * src/core/runbook.ts, so editors complete and validate the runbook file, and schema/deployment-record.schema.json
 * from src/record-deployment/record.ts, for the records record-deployment stores. `--check` exits 1 when either
 * committed file is stale.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runbookSchema } from '../src/core/runbook.js';
import { recordSchema } from '../src/record-deployment/record.js';

const root = path.resolve(import.meta.dirname, '..');

const schemas: Array<{ file: string; schema: z.ZodType; io: 'input' | 'output'; title: string }> = [
  {
    file: 'runbook.schema.json',
    schema: runbookSchema,
    io: 'input',
    title: 'deploy-runbook runbook file (.github/runbook.yml)',
  },
  {
    file: 'deployment-record.schema.json',
    schema: recordSchema,
    io: 'output',
    title: 'deploy-runbook deployment record',
  },
];

let stale = false;
for (const s of schemas) {
  const file = path.join(root, 'schema', s.file);
  const schema = {
    ...z.toJSONSchema(s.schema, { io: s.io, unrepresentable: 'any', target: 'draft-2020-12' }),
    $id: `https://github.com/deploy-runbook/deploy-runbook/schema/${s.file}`,
    title: s.title,
  };
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current !== text) {
      console.error(`schema/${s.file} is stale: run \`npm run schema\` and commit the result.`);
      stale = true;
    } else console.log(`schema/${s.file} is fresh`);
  } else {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${path.relative(root, file)}`);
  }
}
if (stale) process.exit(1);
