// Writes docs/audit-record.schema.json from the zod schema of src/api/audit.ts, formatted as Biome wants
// it: `scripts/with-node.sh node scripts/audit-schema.ts`. A unit test fails when the file is stale.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditRecordJsonSchema } from '../src/api/audit.ts';

const root = join(import.meta.dirname, '..');
const path = 'docs/audit-record.schema.json';
writeFileSync(join(root, path), `${JSON.stringify(auditRecordJsonSchema(), null, 2)}\n`);
execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', path], {
  cwd: root,
  stdio: 'inherit',
});
console.log(`wrote ${path}`);
