// Which changes of cached objects wake controllers: status-only writes, heartbeats and pod start-up
// churn do not; the fields decisions are made from do.
import { describe, expect, it } from 'vitest';
import {
  namespaceChangeMatters,
  namespaceView,
  nodeChangeMatters,
  nodeView,
  podChangeMatters,
  podView,
  resourceBindingView,
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

describe('cache transforms', () => {
  it('keep of a Pod only what the operator reads', () => {
    const full = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        labels: { app: 'a' },
        annotations: { 'sovereign-placement.io/policies': 'x', 'kubectl.kubernetes.io/last-applied': '{}' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'o', controller: true },
        ],
        managedFields: [{ manager: 'kube-controller-manager' }],
        creationTimestamp: 't',
      },
      spec: { nodeName: 'n1', schedulingGates: [{ name: 'g' }], containers: [{ name: 'c', image: 'i' }] },
      status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    expect(podView(full)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        labels: { app: 'a' },
        annotations: { 'sovereign-placement.io/policies': 'x' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'o', controller: true },
        ],
      },
      spec: { nodeName: 'n1', schedulingGates: [{ name: 'g' }] },
      status: { phase: 'Running' },
    });
  });

  it('keep of a Node its labels, own annotations, schedulability, taints and readiness', () => {
    const full = {
      metadata: {
        name: 'n',
        uid: 'u',
        resourceVersion: '3',
        labels: { a: '1' },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'sovereign-placement.io/not-conforming-since.ab': 't' },
      },
      spec: { unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }], podCIDR: '10.0.0.0/24' },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True', lastHeartbeatTime: 't' },
        ],
        images: [{ names: ['x'] }],
        capacity: { cpu: '16' },
      },
    };
    expect(nodeView(full)).toEqual({
      metadata: {
        name: 'n',
        uid: 'u',
        resourceVersion: '3',
        labels: { a: '1' },
        annotations: { 'sovereign-placement.io/not-conforming-since.ab': 't' },
      },
      spec: { unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it('keep of a Namespace its labels', () => {
    expect(
      namespaceView({
        metadata: { name: 'ns', uid: 'u', resourceVersion: '1', labels: { e: '1' }, annotations: {} },
      }),
    ).toEqual({ metadata: { name: 'ns', uid: 'u', resourceVersion: '1', labels: { e: '1' } } });
  });
});

describe('resourceBindingView', () => {
  it('keeps the template, placement, schedule and pin record, and drops the aggregated status', () => {
    const binding = {
      apiVersion: 'work.karmada.io/v1alpha2',
      kind: 'ResourceBinding',
      metadata: {
        name: 'web-deployment',
        namespace: 'apps',
        resourceVersion: '7',
        annotations: { 'sovereign-placement.io/pinned-cluster-names': '{}' },
        managedFields: [{ manager: 'karmada-controller-manager' }],
      },
      spec: {
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'web' },
        placement: { clusterAffinity: { clusterNames: ['paris'] } },
        clusters: [{ name: 'paris', replicas: 2 }],
        replicaRequirements: { resourceRequest: { cpu: '1' } },
      },
      status: { aggregatedStatus: [{ clusterName: 'paris', status: { replicas: 2 } }] },
    };
    expect(resourceBindingView(binding)).toEqual({
      apiVersion: 'work.karmada.io/v1alpha2',
      kind: 'ResourceBinding',
      metadata: {
        name: 'web-deployment',
        namespace: 'apps',
        resourceVersion: '7',
        annotations: { 'sovereign-placement.io/pinned-cluster-names': '{}' },
      },
      spec: {
        resource: binding.spec.resource,
        placement: binding.spec.placement,
        clusters: binding.spec.clusters,
      },
    });
  });
});
