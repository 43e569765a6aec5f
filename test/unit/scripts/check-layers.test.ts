import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { layerViolations } from '../../../scripts/check-layers.ts';

const trees: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  trees.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('layer check', () => {
  it('passes the repository as it is', () => {
    const { violations, checked } = layerViolations(join(import.meta.dirname, '../../../src'));
    expect(violations).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it('refuses an upward import and names the file, the layers and what is allowed', () => {
    const dir = tree({
      'operator/state.ts': 'export const x = 1;',
      'cli/explain.ts': "import { x } from '../operator/state.ts';\nexport const y = x;",
      'domain/a.ts':
        "// import { x } from '../operator/state.ts';\nexport const z = 'from ../cli/explain.ts';",
    });
    const { violations } = layerViolations(dir);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain("layer 'cli' imports '../operator/state.ts' from layer 'operator'");
    expect(violations[0]).toContain('allowed: api, domain, cluster, kube');
  });

  it('refuses a domain module that imports the adapter layer, and an unknown layer', () => {
    const dir = tree({
      'cluster/facts.ts': 'export const f = 1;',
      'domain/a.ts': "import type { f } from '../cluster/facts.ts';",
      'plugins/p.ts': 'export {};',
    });
    const { violations } = layerViolations(dir);
    expect(violations.some((v) => v.includes("layer 'domain' imports '../cluster/facts.ts'"))).toBe(true);
    expect(violations.some((v) => v.includes("layer 'plugins' is not in scripts/check-layers.ts"))).toBe(
      true,
    );
  });
});
