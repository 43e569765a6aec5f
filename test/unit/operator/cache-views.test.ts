// Which changes of cached objects wake controllers: status-only writes, heartbeats and pod start-up
// churn do not; the fields decisions are made from do.
import { describe, expect, it } from 'vitest';
import {
  namespaceChangeMatters,
  nodeChangeMatters,
  podChangeMatters,
  specChangeMatters,
} from '../../../src/operator/cache-views.ts';

const pod = {
  metadata: { name: 'p', namespace: 'ns', resourceVersion: '1', labels: { app: 'a' } },
  spec: { nodeName: 'n1', schedulingGates: [] as { name: string }[] },
  status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] },
};

describe('podChangeMatters', () => {
  it('ignores conditions, IPs and resourceVersion', () => {
    const next = {
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: '2' },
      status: { ...pod.status, conditions: [{ type: 'Ready', status: 'True' }], podIP: '10.0.0.1' },
    };
    expect(podChangeMatters(pod, next)).toBe(false);
  });

  it.each([
    ['labels', { metadata: { ...pod.metadata, labels: { app: 'b' } } }],
    ['node', { spec: { ...pod.spec, nodeName: 'n2' } }],
    ['gates', { spec: { ...pod.spec, schedulingGates: [{ name: 'g' }] } }],
    ['phase', { status: { ...pod.status, phase: 'Running' } }],
    ['deletion', { metadata: { ...pod.metadata, deletionTimestamp: '2030-01-01T00:00:00Z' } }],
    ['owner', { metadata: { ...pod.metadata, ownerReferences: [{ kind: 'ReplicaSet', name: 'r' }] } }],
  ])('sees a change of %s', (_what, change) => {
    expect(podChangeMatters(pod, { ...pod, ...change })).toBe(true);
  });
});

describe('specChangeMatters', () => {
  const policy = {
    metadata: { name: 'p', generation: 3, resourceVersion: '10', labels: { team: 'x' } },
    spec: { mode: 'Enforce' },
    status: { conditions: [] as unknown[] },
  };

  it('ignores a status-only write', () => {
    const written = {
      ...policy,
      metadata: { ...policy.metadata, resourceVersion: '11' },
      status: { conditions: [{ type: 'Ready' }], evictionWindow: {} },
    };
    expect(specChangeMatters(policy, written)).toBe(false);
  });

  it('sees a spec change, a new generation and a label change', () => {
    expect(specChangeMatters(policy, { ...policy, spec: { mode: 'Audit' } })).toBe(true);
    expect(specChangeMatters(policy, { ...policy, metadata: { ...policy.metadata, generation: 4 } })).toBe(
      true,
    );
    expect(
      specChangeMatters(policy, { ...policy, metadata: { ...policy.metadata, labels: { team: 'y' } } }),
    ).toBe(true);
  });
});

describe('nodeChangeMatters and namespaceChangeMatters', () => {
  it('ignore heartbeats and see readiness and labels', () => {
    const node = {
      metadata: { name: 'n', labels: { a: '1' } },
      status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 't1' }] },
    };
    const beat = {
      ...node,
      status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 't2' }] },
    };
    const notReady = { ...node, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    expect(nodeChangeMatters(node, beat)).toBe(false);
    expect(nodeChangeMatters(node, notReady)).toBe(true);
    const ns = { metadata: { name: 'ns', labels: { e: '1' }, annotations: { x: '1' } } };
    expect(namespaceChangeMatters(ns, { metadata: { ...ns.metadata, annotations: { x: '2' } } })).toBe(false);
    expect(namespaceChangeMatters(ns, { metadata: { ...ns.metadata, labels: {} } })).toBe(true);
  });
});
