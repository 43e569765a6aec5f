// Fails when a module of src/ imports from a layer it may not depend on (docs/architecture.md, "Layers").
// The rule is one table below; imports are read with TypeScript's own pre-processor, so comments and
// strings that merely look like imports are not counted.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');

/** Which layers each layer may import (besides itself). Anything not listed is refused. */
export const ALLOWED: Record<string, readonly string[]> = {
  api: [],
  domain: ['api'],
  cluster: ['api', 'domain'],
  kube: [],
  tls: [],
  fulcrum: [],
  operator: ['api', 'domain', 'cluster', 'kube', 'tls', 'fulcrum'],
  cli: ['api', 'domain', 'cluster', 'kube', 'fulcrum'],
};

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

/** Every import of a module under `srcDir` that crosses a layer boundary, as a readable line. */
export function layerViolations(srcDir: string): { violations: string[]; checked: number } {
  const layerOf = (path: string): string | undefined => {
    const rel = relative(srcDir, path);
    return rel.startsWith('..') ? undefined : rel.split(sep)[0];
  };
  const violations: string[] = [];
  let checked = 0;
  for (const file of sources(srcDir)) {
    const from = layerOf(file);
    if (!from) continue;
    const allowed = ALLOWED[from];
    if (!allowed) {
      violations.push(`${relative(root, file)}: layer '${from}' is not in scripts/check-layers.ts; add it`);
      continue;
    }
    for (const imported of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      checked++;
      const to = layerOf(resolve(dirname(file), imported.fileName));
      if (to === undefined) {
        violations.push(`${relative(root, file)}: imports '${imported.fileName}', outside src/`);
      } else if (to !== from && !allowed.includes(to)) {
        violations.push(
          `${relative(root, file)}: layer '${from}' imports '${imported.fileName}' from layer '${to}' (allowed: ${allowed.join(', ') || 'none'})`,
        );
      }
    }
  }
  return { violations, checked };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { violations, checked } = layerViolations(join(root, 'src'));
  if (violations.length > 0) {
    console.error(`check-layers: ${violations.length} import(s) cross a layer boundary:`);
    for (const v of violations) console.error(`  ${v}`);
    process.exit(1);
  }
  console.log(`check-layers: ${checked} imports within the layer rules`);
}
