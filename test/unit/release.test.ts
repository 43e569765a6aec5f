// One version for the operator, the chart and the CRDs, recorded in the changelog.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('release metadata', () => {
  const pkg = JSON.parse(read('package.json')) as { version: string; license: string };
  const chart = parse(read('charts/sovereign-placement/Chart.yaml')) as Record<string, any>;

  it('package.json, the chart version and its appVersion are the newest changelog entry', () => {
    const newest = /^## (\d+\.\d+\.\d+)\b/m.exec(read('CHANGELOG.md'))?.[1];
    expect(newest).toBeDefined();
    expect({ package: pkg.version, chart: chart.version, appVersion: chart.appVersion }).toEqual({
      package: newest,
      chart: newest,
      appVersion: newest,
    });
  });

  it('every changelog entry says how to upgrade to it', () => {
    const entries = read('CHANGELOG.md').split(/^## /m).slice(1);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(entry, entry.split('\n')[0]).toMatch(/^### Upgrading$/m);
  });

  it('the license declared everywhere is the one in LICENSE', () => {
    expect(read('LICENSE')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(pkg.license).toBe('Apache-2.0');
    expect(chart.annotations['artifacthub.io/license']).toBe('Apache-2.0');
    expect(read('Dockerfile')).toContain('org.opencontainers.image.licenses="Apache-2.0"');
  });
});
