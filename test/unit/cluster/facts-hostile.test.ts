import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { derive } from '../../../src/cluster/facts.ts';
import { assessNodes } from '../../../src/cluster/nodes.ts';

const samples = (file: string): any[] =>
  readFileSync(join(import.meta.dirname, '../../../deploy/samples', file), 'utf8')
    .split(/^---$/m)
    .map((d) => parse(d))
    .filter(Boolean);

const policy = samples('policy.yaml')[0];
const withFailover = (name: string, failover: Record<string, unknown>) => ({
  ...structuredClone(policy),
  metadata: { ...policy.metadata, name },
  spec: { ...policy.spec, failover: { ...policy.spec.failover, ...failover } },
});

describe('facts derivation with objects stored before a schema bound existed', () => {
  // Objects already in etcd are served as they were written, whatever the CRD says today.
  const state = {
    nodes: [{ metadata: { name: 'n1', labels: {} } }],
    pods: [],
    namespaces: [],
    budgets: [],
    policies: [
      withFailover('huge-lead', { expiryLeadTime: '3000000h' }),
      withFailover('huge-toleration', { nodeFailureToleration: '3000000h' }),
      withFailover('fine', {}),
    ],
    services: samples('cloud-services.yaml'),
    areas: samples('areas.yaml'),
  };

  it('reports each out-of-bound policy as invalid, naming the field, and keeps deciding for the others', () => {
    const derived = derive(state, Date.parse('2026-06-01T00:00:00Z'));
    expect(derived.policies.map((p) => p.metadata.name)).toEqual(['fine']);
    expect(derived.invalid.map((i) => [i.name, i.errors.join(' ')])).toEqual([
      ['huge-lead', expect.stringContaining('spec.failover.expiryLeadTime')],
      ['huge-toleration', expect.stringContaining('spec.failover.nodeFailureToleration')],
    ]);
    expect(derived.invalid[0]?.errors.join(' ')).toContain('must be at most 8760h');
    const fine = derived.policies[0]!;
    expect(() => assessNodes(fine, state.nodes, derived)).not.toThrow();
  });
});
