// Admission of requests and pods that the API server would never send: each is answered (HTTP 400 or a
// denial naming the field), never thrown, and never let through unpinned.
import { describe, expect, it } from 'vitest';
import { admitPod, admitReview, type PolicyLookup } from '../../../src/cluster/admission/admit-pod.ts';
import { applyJsonPatch, decodePatch, NS, notPinned, policy } from '../webhook/support.ts';

const UID = '705ab4f5-6393-11e8-b7cc-42010a800002';
const enforce = [policy('ledger', { failover: { nodeFailureToleration: '30s' } })];
const lookup: PolicyLookup = (namespace) => (namespace === NS ? enforce : []);

function podCreate(object: unknown, extra: Record<string, unknown> = {}) {
  return { uid: UID, operation: 'CREATE', namespace: NS, object, ...extra };
}

const basePod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'ledger-', namespace: NS, labels: { app: 'ledger' } },
  spec: { containers: [{ name: 'app', image: 'registry.example/ledger:1' }] },
});

/** Builds a base pod with one field set (a dotted path under the pod) to a hostile value. */
function podWith(path: string, value: unknown): Record<string, unknown> {
  const pod = basePod() as Record<string, unknown>;
  const keys = path.split('.');
  const last = keys.pop() as string;
  let at = pod;
  for (const key of keys) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[last] = value;
  return pod;
}

describe('admitReview: the envelope', () => {
  it.each([
    ['null', null],
    ['a number', 5],
    ['a string', 'x'],
    ['an array', [1, 2]],
    ['an empty object', {}],
    ['a null request', { request: null }],
    ['a request without uid', { request: { operation: 'CREATE', object: basePod() } }],
    ['an empty uid', { request: { uid: '', operation: 'CREATE', object: basePod() } }],
    ['a numeric uid', { request: { uid: 5, operation: 'CREATE', object: basePod() } }],
    ['another kind of review', { kind: 'TokenReview', request: { uid: UID } }],
  ])('answers %s with HTTP 400', (_, body) => {
    const outcome = admitReview(body, lookup);
    expect(outcome.httpStatus).toBe(400);
  });

  it.each([
    ['no operation', { uid: UID, namespace: NS, object: basePod() }],
    ['an unknown operation', { uid: UID, operation: 'EXPLODE', namespace: NS, object: basePod() }],
    ['no object', { uid: UID, operation: 'CREATE', namespace: NS }],
    ['a null object', { uid: UID, operation: 'CREATE', namespace: NS, object: null }],
    ['an object that is a string', { uid: UID, operation: 'CREATE', namespace: NS, object: 'pod' }],
    ['a numeric namespace', { uid: UID, operation: 'CREATE', namespace: 7, object: basePod() }],
    [
      'a kind that is not Pod',
      podCreate(basePod(), { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }),
    ],
  ])('denies a request with %s, never allowing it', (_, request) => {
    const outcome = admitReview(
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request },
      lookup,
    );
    expect(outcome.httpStatus).toBe(200);
    if (outcome.httpStatus !== 200) return;
    expect(outcome.review.response).toMatchObject({ uid: UID, allowed: false, status: { code: 400 } });
  });

  it('turns an unexpected error into a denial with code 500, reporting it for the log', () => {
    const failing: PolicyLookup = () => {
      throw new Error('cache exploded');
    };
    const outcome = admitReview({ request: podCreate(basePod()) }, failing);
    expect(outcome.httpStatus).toBe(200);
    if (outcome.httpStatus !== 200) return;
    expect(outcome.review.response).toMatchObject({ uid: UID, allowed: false, status: { code: 500 } });
    expect(String(outcome.failure)).toContain('cache exploded');
  });
});

describe('admitPod: pod fields of the wrong shape', () => {
  it.each([
    ['spec.schedulingGates', 'x'],
    ['spec.schedulingGates', 5],
    ['spec.schedulingGates', [null]],
    ['spec.schedulingGates', {}],
    ['spec.schedulingGates', [{ name: 5 }]],
    ['spec.tolerations', 5],
    ['spec.tolerations', 'x'],
    ['spec.tolerations', [null]],
    ['spec.tolerations', [{ key: 5 }]],
    ['spec.tolerations', [{ tolerationSeconds: 'long' }]],
    ['spec.affinity', 'x'],
    ['spec.affinity.nodeAffinity', 5],
    ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution', []],
    ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', {}],
    ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', [null]],
    [
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
      [{ matchExpressions: 'x' }],
    ],
    ['metadata.annotations', 'x'],
    ['metadata.annotations', { a: 5 }],
    ['metadata.labels', [1]],
    ['metadata.labels', { app: null }],
    ['metadata.ownerReferences', 'x'],
    ['metadata.ownerReferences', [null]],
    ['metadata.ownerReferences', [{ kind: 5, name: 'x' }]],
    ['spec', 'x'],
    ['metadata', 5],
  ])('denies a pod whose %s is %j, naming the field', (path, value) => {
    const response = admitPod(podCreate(podWith(path, value)), lookup);
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(400);
    expect(response.status?.message).toContain(`object.${path}`);
  });

  it('reads null as absent, as the API server does, and still pins the pod', () => {
    const pod = podWith('spec.schedulingGates', null);
    (pod.spec as Record<string, unknown>).affinity = null;
    (pod.metadata as Record<string, unknown>).annotations = null;
    const response = admitPod(podCreate(pod), lookup);
    expect(response.allowed).toBe(true);
    expect(notPinned(applyJsonPatch(pod, decodePatch(response.patch)), enforce)).toBeUndefined();
  });
});

describe('admitPod: deep and large pods', () => {
  /** An object nested `depth` levels deep, built without recursion. */
  function nested(depth: number): Record<string, unknown> {
    let value: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < depth; i++) value = { requiredDuringSchedulingIgnoredDuringExecution: [value] };
    return value;
  }

  it('pins a pod whose podAffinity is nested 10,000 deep, without copying it into the patch', () => {
    const pod = podWith('spec.affinity.podAffinity', nested(10_000));
    // JSON.parse, as the server reads the body, is not limited by depth; JSON.stringify is.
    const response = admitPod(podCreate(pod), lookup);
    expect(response.allowed).toBe(true);
    const patch = decodePatch(response.patch);
    expect(patch.map((o) => o.path)).toContain('/spec/affinity/nodeAffinity');
    expect(Buffer.from(response.patch ?? '', 'base64').length).toBeLessThan(2_000);
    // The gate and the term are there, and the pod's own affinity is untouched.
    const patched = applyJsonPatch(pod, patch);
    expect(notPinned(patched, enforce)).toBeUndefined();
  });

  it('keeps the deep parts of the node affinity it does not change (preferred terms)', () => {
    const pod = podWith('spec.affinity.nodeAffinity', {
      preferredDuringSchedulingIgnoredDuringExecution: [nested(10_000)],
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
      },
    });
    const response = admitPod(podCreate(pod), lookup);
    const patch = decodePatch(response.patch);
    expect(patch.map((o) => o.path)).toContain(
      '/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution',
    );
    expect(Buffer.from(response.patch ?? '', 'base64').length).toBeLessThan(2_000);
  });

  it('adds to an existing gate list and annotation map at their own paths', () => {
    const pod = podWith('spec.schedulingGates', [{ name: 'other.io/wait' }]);
    (pod.metadata as Record<string, unknown>).annotations = { team: 'payments' };
    const response = admitPod(podCreate(pod), lookup);
    const patch = decodePatch(response.patch);
    expect(patch.map((o) => o.path)).toEqual([
      '/spec/schedulingGates/-',
      '/spec/affinity',
      '/spec/tolerations',
      '/metadata/annotations/sovereign-placement.io~1policies',
    ]);
    const patched = applyJsonPatch(pod, patch) as {
      spec: { schedulingGates: unknown[] };
      metadata: { annotations: object };
    };
    expect(patched.spec.schedulingGates).toHaveLength(2);
    expect(patched.metadata.annotations).toEqual({
      team: 'payments',
      'sovereign-placement.io/policies': 'ledger',
    });
  });
});
