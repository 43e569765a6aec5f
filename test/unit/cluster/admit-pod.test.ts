import { describe, expect, it, vi } from 'vitest';
import type { SovereigntyPolicy } from '../../../src/api/index.ts';
import {
  type AdmissionRequest,
  admitPod,
  type PolicyLookup,
} from '../../../src/cluster/admission/admit-pod.ts';
import {
  type JsonPatchOperation,
  POLICIES_ANNOTATION,
  SCHEDULING_GATE,
} from '../../../src/cluster/admission/pod-mutation.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { NS, policy } from './fixtures.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');

/** A Pod CREATE as the API server sends it in an AdmissionReview (only the fields admission reads). */
function createRequest(
  labels: Record<string, string>,
  extra: { operation?: string; owner?: { kind: string; name: string } } = {},
): AdmissionRequest {
  return JSON.parse(
    JSON.stringify({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      operation: extra.operation ?? 'CREATE',
      namespace: NS,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: 'ledger-5bcff9c8f8-',
          namespace: NS,
          labels,
          ...(extra.owner
            ? {
                ownerReferences: [
                  { apiVersion: 'apps/v1', kind: extra.owner.kind, name: extra.owner.name, controller: true },
                ],
              }
            : {}),
        },
        spec: { containers: [{ name: 'app', image: 'registry.example/ledger:1' }] },
      },
    }),
  ) as AdmissionRequest;
}

const lookupOf =
  (policies: SovereigntyPolicy[]): PolicyLookup =>
  (namespace) =>
    policies.filter((p) => p.metadata.namespace === namespace);

const decode = (patch: string | undefined): JsonPatchOperation[] =>
  JSON.parse(Buffer.from(patch ?? '', 'base64').toString('utf8')) as JsonPatchOperation[];

type Json = Record<string, unknown>;

/** Applies RFC 6902 "add" operations, as the API server does (the parent of each path must exist). */
function applyPatch(document: unknown, operations: readonly JsonPatchOperation[]): Json {
  const copy = structuredClone(document) as Json;
  for (const { op, path, value } of operations) {
    expect(op).toBe('add');
    const segments = path
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = segments.pop() as string;
    let parent: unknown = copy;
    for (const segment of segments) {
      parent = (parent as Json)[segment];
      if (parent === undefined || parent === null) throw new Error(`${path}: no parent at ${segment}`);
    }
    if (Array.isArray(parent)) {
      if (last === '-') parent.push(value);
      else parent.splice(Number(last), 0, value);
    } else {
      (parent as Json)[last] = value;
    }
  }
  return copy;
}

describe('admitPod', () => {
  it('refuses with 503 while the policies are not loaded (fail closed)', () => {
    const lookup = vi.fn<PolicyLookup>(() => undefined);
    const response = admitPod(createRequest({ app: 'ledger' }), lookup);
    expect(lookup).toHaveBeenCalledWith(NS);
    expect(response.uid).toBe('705ab4f5-6393-11e8-b7cc-42010a800002');
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(503);
    expect(response.status?.message).toMatch(/retry/);
    expect(response.patch).toBeUndefined();
  });

  it('allows operations other than CREATE without looking at the policies', () => {
    const lookup = vi.fn<PolicyLookup>(() => undefined);
    for (const operation of ['UPDATE', 'DELETE', 'CONNECT']) {
      expect(admitPod(createRequest({ app: 'ledger' }, { operation }), lookup)).toEqual({
        uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
        allowed: true,
      });
    }
    expect(lookup).not.toHaveBeenCalled();
  });

  it('allows a pod no policy selects, without a patch', () => {
    const lookup = lookupOf([policy('ledger', { selector: { matchLabels: { app: 'ledger' } } })]);
    expect(admitPod(createRequest({ app: 'web' }), lookup)).toEqual({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      allowed: true,
    });
    // Nor one whose namespace has no policy at all.
    expect(admitPod(createRequest({ app: 'ledger' }), () => [])).toEqual({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      allowed: true,
    });
  });

  it('pins a pod an Enforce policy selects with a base64 JSONPatch: gate, affinity and annotation', () => {
    const lookup = lookupOf([
      policy('ledger', {
        selector: { matchLabels: { app: 'ledger' } },
        requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
      }),
      policy('elsewhere', {}, 'other'),
    ]);
    const response = admitPod(createRequest({ app: 'ledger' }), lookup);
    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe('JSONPatch');
    expect(response.status).toBeUndefined();
    const request = createRequest({ app: 'ledger' });
    const pod = applyPatch(request.object, decode(response.patch)) as {
      metadata: { annotations?: Record<string, string>; labels: Record<string, string> };
      spec: Json & {
        schedulingGates?: { name: string }[];
        affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown } };
      };
    };
    expect(pod.spec.schedulingGates).toEqual([{ name: SCHEDULING_GATE }]);
    expect(pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [
        { matchExpressions: [{ key: SOV_EU, operator: 'In', values: ['ThirdPartyCertified'] }] },
      ],
    });
    expect(pod.metadata.annotations).toEqual({ [POLICIES_ANNOTATION]: 'ledger' });
    // Nothing else of the pod changes.
    expect(pod.metadata.labels).toEqual({ app: 'ledger' });
    expect(pod.spec.containers).toEqual([{ name: 'app', image: 'registry.example/ledger:1' }]);
    expect(SCHEDULING_GATE).toBe('sovereign-placement.io/conformance');
  });

  it('keeps the pod own annotations and affinity when it pins it', () => {
    const request = createRequest({ app: 'ledger' });
    const object = request.object as { metadata: Json; spec: Json };
    object.metadata.annotations = { 'example.com/owner': 'ops' };
    object.spec.affinity = {
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
        },
      },
    };
    const response = admitPod(request, lookupOf([policy('ledger', {})]));
    const pod = applyPatch(request.object, decode(response.patch)) as {
      metadata: { annotations: Record<string, string> };
      spec: {
        affinity: Json & { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: unknown } };
      };
    };
    expect(pod.metadata.annotations).toEqual({ 'example.com/owner': 'ops', [POLICIES_ANNOTATION]: 'ledger' });
    expect(pod.spec.affinity.podAntiAffinity).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [],
    });
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['a'] },
            { key: SOV_EU, operator: 'In', values: ['SelfDeclared', 'ThirdPartyCertified'] },
          ],
        },
      ],
    });
  });

  it('gives no patch when only Audit policies select the pod', () => {
    const lookup = lookupOf([policy('audit', { mode: 'Audit' })]);
    expect(admitPod(createRequest({ app: 'ledger' }), lookup)).toEqual({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      allowed: true,
    });
  });

  it('pins for the Enforce policies only when Audit and Enforce policies both select the pod', () => {
    const lookup = lookupOf([policy('audit', { mode: 'Audit' }), policy('enforce', {})]);
    const request = createRequest({ app: 'ledger' });
    const pod = applyPatch(request.object, decode(admitPod(request, lookup).patch)) as {
      metadata: { annotations?: Record<string, string> };
    };
    expect(pod.metadata.annotations).toEqual({ [POLICIES_ANNOTATION]: 'enforce' });
  });

  it('selects by the workload kind of the pod owner', () => {
    const lookup = lookupOf([policy('stateful', { workloadKinds: ['StatefulSet'] })]);
    const fromStatefulSet = admitPod(
      createRequest({ app: 'db' }, { owner: { kind: 'StatefulSet', name: 'db' } }),
      lookup,
    );
    expect(fromStatefulSet.patchType).toBe('JSONPatch');
    const fromReplicaSet = admitPod(
      createRequest({ app: 'db' }, { owner: { kind: 'ReplicaSet', name: 'db-5bcff9c8f8' } }),
      lookup,
    );
    expect(fromReplicaSet.patch).toBeUndefined();
    const bare = admitPod(createRequest({ app: 'db' }), lookup);
    expect(bare.patch).toBeUndefined();
  });
});
