import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { customResourceDefinition } from '../../../src/api/crd.ts';
import { GROUP, resourceDefinitions } from '../../../src/api/index.ts';
import { ManifestSyntaxError, parseManifests } from '../../../src/api/manifests.ts';
import { validateResource } from '../../../src/api/validate.ts';
import { invalidCases } from './invalid-cases.ts';

const root = join(import.meta.dirname, '../../..');
const samplesDir = join(root, 'deploy/samples');
const allSampleDocs = readdirSync(samplesDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseManifests(readFileSync(join(samplesDir, f), 'utf8'), f));
const sampleDocs = allSampleDocs.filter((d) =>
  String((d.object as { apiVersion?: string }).apiVersion).startsWith(`${GROUP}/`),
);

describe('sample manifests', () => {
  it('create the namespace of every namespaced sample, so that they apply to an empty cluster', () => {
    const namespaces = allSampleDocs
      .map((d) => d.object as { kind: string; metadata: { name: string; namespace?: string } })
      .filter((o) => o.kind === 'Namespace')
      .map((o) => o.metadata.name);
    const used = sampleDocs
      .map((d) => (d.object as { metadata: { namespace?: string } }).metadata.namespace)
      .filter((ns): ns is string => !!ns);
    expect(used.length).toBeGreaterThan(0);
    for (const ns of used) expect(namespaces).toContain(ns);
    const listed = readFileSync(join(samplesDir, 'kustomization.yaml'), 'utf8');
    for (const f of new Set(allSampleDocs.map((d) => d.file))) expect(listed).toContain(`- ${f}`);
  });
  it('cover every kind', () => {
    const kinds = new Set(sampleDocs.map((d) => (d.object as { kind: string }).kind));
    expect([...kinds].sort()).toEqual(resourceDefinitions.map((d) => d.kind).sort());
  });
  it.each(sampleDocs.map((d) => [`${d.file}:${d.line}`, d.object]))('%s is valid', (_, object) => {
    const result = validateResource(object);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe('invalid custom resources are refused with a message that names the field', () => {
  it('the catalogue holds at least 25 cases', () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(25);
  });
  it.each(invalidCases.map((c) => [c.name, c]))('%s', (_, c) => {
    const result = validateResource(c.object);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const line = result.errors.find((e) => e.startsWith(`${c.field}:`));
    expect(line, `errors were: ${result.errors.join(' | ')}`).toBeDefined();
    expect(line).toContain(c.message);
  });
});

describe('validateResource', () => {
  it('refuses another API group', () => {
    expect(validateResource({ apiVersion: 'apps/v1', kind: 'Deployment' })).toEqual({
      ok: false,
      errors: ['apiVersion: expected sovereign-placement.io/v1alpha1, got "apps/v1"'],
    });
  });
  it('refuses an unknown kind, naming the known ones', () => {
    const result = validateResource({ apiVersion: `${GROUP}/v1alpha1`, kind: 'SovereignThing' });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.errors[0]).toMatch(/^kind: expected one of SovereigntyArea, CloudService/);
  });
  it('applies the same defaults as the CRD', () => {
    const policy = sampleDocs.find((d) => (d.object as { kind: string }).kind === 'SovereigntyPolicy')!
      .object as any;
    const minimal = { ...policy, spec: { selector: {}, requirement: { badges: ['Resilient'], area: 'eu' } } };
    const result = validateResource(minimal);
    expect(result.ok && (result.value as any).spec).toMatchObject({
      mode: 'Enforce',
      requirement: { badgeMatch: 'AnyOf', minimumAssurance: 'SelfDeclared', minimumProviders: 1 },
      failover: {
        gracePeriod: '0s',
        expiryLeadTime: '24h',
        onNoConformingCapacity: 'Evict',
        maxEvictionsPerMinute: 10,
      },
    });
  });
});

describe('parseManifests', () => {
  it('names the file and line of a YAML syntax error', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\n---\nmetadata:\n  name: [unclosed\n';
    expect(() => parseManifests(text, 'bad.yaml')).toThrow(ManifestSyntaxError);
    expect(() => parseManifests(text, 'bad.yaml')).toThrow(/^bad\.yaml:\d+: invalid YAML/);
  });
  it('skips empty documents and records where each starts', () => {
    const docs = parseManifests('---\na: 1\n---\n---\nb: 2\n', 'x.yaml');
    expect(docs.map((d) => [d.line, d.object])).toEqual([
      [2, { a: 1 }],
      [5, { b: 2 }],
    ]);
  });
});

describe('generated CRDs', () => {
  it.each(resourceDefinitions.map((d) => [d.kind, d]))('crds/ holds the current CRD of %s', (_, def) => {
    const file = join(root, 'crds', `${GROUP}_${def.plural}.yaml`);
    const generated = stringify(customResourceDefinition(def), { lineWidth: 0 });
    expect(readFileSync(file, 'utf8')).toContain(generated);
  });
  it('are structural: no additionalProperties:false, no pattern beside date-time', () => {
    for (const def of resourceDefinitions) {
      const text = JSON.stringify(customResourceDefinition(def));
      expect(text).not.toContain('"additionalProperties":false');
      expect(text).not.toMatch(/"format":"date-time"[^}]*"pattern"/);
      expect(text).not.toContain('"const"');
    }
  });
  it('use a date printer column only for the creation time (a future instant prints as <invalid>)', () => {
    const dateColumns = resourceDefinitions.flatMap((def) =>
      def.printerColumns.filter((c) => c.type === 'date').map((c) => `${def.kind} ${c.name} ${c.jsonPath}`),
    );
    expect(dateColumns).toEqual(
      resourceDefinitions.map((def) => `${def.kind} Age .metadata.creationTimestamp`),
    );
  });
});
