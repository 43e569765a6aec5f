/**
 * Shared by the admission tests: policies, a strict RFC 6902 applier (as the API server applies a
 * webhook's patch), and the pinning invariant (a selected pod carries the gate and, in every one of its
 * required node-selector terms, the verdict expressions of every Enforce policy that selects it).
 */
import { isDeepStrictEqual } from 'node:util';
import type { SovereigntyPolicy } from '../../../src/api/index.ts';
import { SovereigntyPolicyDef } from '../../../src/api/index.ts';
import { SCHEDULING_GATE } from '../../../src/cluster/admission/pod-mutation.ts';
import { requiredNodeAffinityTerms } from '../../../src/domain/verdict-labels.ts';

export const NS = 'payments';

export function policy(name: string, spec: Record<string, unknown> = {}, namespace = NS): SovereigntyPolicy {
  return SovereigntyPolicyDef.object.parse({
    apiVersion: 'sovereign-placement.io/v1alpha1',
    kind: 'SovereigntyPolicy',
    metadata: { name, namespace },
    spec: { selector: {}, requirement: { badges: ['Sovereign'], area: 'eu' }, ...spec },
  }) as SovereigntyPolicy;
}

type Json = Record<string, unknown>;

export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

const shallowCopy = (value: unknown): unknown =>
  Array.isArray(value) ? [...value] : value !== null && typeof value === 'object' ? { ...value } : value;

/**
 * RFC 6902 "add", strictly: the parent must exist, an array index must be in range or "-". The input is
 * not changed; only the containers along each path are copied (a deep clone would overflow the stack on
 * the deeply nested pods some tests send).
 */
export function applyJsonPatch(document: unknown, operations: readonly PatchOperation[]): Json {
  const root = { doc: document } as Json;
  for (const { op, path, value } of operations) {
    if (op !== 'add') throw new Error(`unexpected op ${op}`);
    if (!path.startsWith('/')) throw new Error(`bad path ${path}`);
    const segments = [
      'doc',
      ...path
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')),
    ];
    const last = segments.pop() as string;
    let parent: unknown = root;
    for (const segment of segments) {
      if (parent === null || typeof parent !== 'object') throw new Error(`${path}: no parent at ${segment}`);
      (parent as Json)[segment] = shallowCopy((parent as Json)[segment]);
      parent = (parent as Json)[segment];
    }
    if (parent === null || typeof parent !== 'object') throw new Error(`${path}: parent is not a container`);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length)
        throw new Error(`${path}: bad index`);
      parent.splice(index, 0, value);
    } else {
      (parent as Json)[last] = value;
    }
  }
  return root.doc as Json;
}

export function decodePatch(patch: string | undefined): PatchOperation[] {
  return patch ? (JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as PatchOperation[]) : [];
}

/** Why a patched pod is not pinned for these Enforce policies, or undefined when it is. */
export function notPinned(pod: unknown, enforced: readonly SovereigntyPolicy[]): string | undefined {
  if (enforced.length === 0) return undefined;
  const spec = (pod as { spec?: Json } | null)?.spec;
  const gates = spec?.schedulingGates;
  if (!Array.isArray(gates) || !gates.some((g) => (g as { name?: unknown })?.name === SCHEDULING_GATE))
    return 'no scheduling gate';
  const terms = (
    (spec?.affinity as Json | undefined)?.nodeAffinity as
      | { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown } }
      | undefined
  )?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return 'no required node-selector term';
  for (const term of terms) {
    const expressions = ((term as { matchExpressions?: unknown[] })?.matchExpressions ?? []) as unknown[];
    for (const p of enforced) {
      const satisfied = requiredNodeAffinityTerms(p.spec.requirement).some((required) =>
        required.matchExpressions.every((e) => expressions.some((x) => isDeepStrictEqual(x, e))),
      );
      if (!satisfied) return `a term lacks the verdict of policy ${p.metadata.name}`;
    }
  }
  return undefined;
}
