// Writes docs/explain-output.schema.json and docs/report-output.schema.json from the zod schemas of
// src/cli/output-schema.ts, formatted as Biome wants them (`make verify` checks docs/ too):
// `scripts/with-node.sh node src/cli/write-schemas.ts`. A unit test fails when the files are stale.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas } from './output-schema.ts';

const root = join(import.meta.dirname, '../..');
const paths = Object.entries(jsonSchemas()).map(([path, schema]) => {
  writeFileSync(join(root, path), `${JSON.stringify(schema, null, 2)}\n`);
  return path;
});
execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', ...paths], {
  cwd: root,
  stdio: 'inherit',
});
for (const path of paths) console.log(`wrote ${path}`);
