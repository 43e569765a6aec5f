import type { AuditEntry, AuditEvidence, AuditObjectRef } from '../api/audit.ts';
import { API_VERSION } from '../api/group.ts';
import type { AnyPolicy, CloudService, SovereignWorkload } from '../api/index.ts';
import type { Verdict } from '../domain/conformance.ts';
import { formatDuration, parseDuration } from '../domain/duration.ts';
import type { Reason } from '../domain/reasons.ts';
import {
  type ConformanceRequirement,
  describeRequirement,
  normalizeRequirement,
} from '../domain/requirement.ts';
import type { Target } from '../domain/target.ts';
import { formatInstant } from '../domain/time.ts';
import { POLICIES_ANNOTATION } from './admission/pod-mutation.ts';

/**
 * The operator's decisions as audit records (src/api/audit.ts): what was decided, about which object,
 * under which requirement, on which evidence and why. Pure: the instant is an argument, the operator
 * writes the records on its audit stream.
 */

/** The cloud service and its badges for the requirement: what a verdict rests on. */
export function auditEvidence(
  service: CloudService | null | undefined,
  requirement: ConformanceRequirement,
): AuditEvidence | null {
  if (!service) return null;
  const r = normalizeRequirement(requirement);
  const p = service.spec.provider;
  return {
    cloudService: service.metadata.name,
    provider: p.name,
    legalJurisdiction: p.legalJurisdiction,
    ultimateParentJurisdiction: p.ultimateParent?.legalJurisdiction ?? null,
    badges: service.spec.badges
      .filter((b) => b.area === r.area && r.badges.includes(b.type))
      .map(badgeEvidence),
  };
}

/** A badge as evidence: every field an auditor checks, absent ones as null. Shared with sovctl. */
export function badgeEvidence(b: CloudService['spec']['badges'][number]) {
  return {
    type: b.type,
    area: b.area,
    assurance: b.assurance,
    certifiedBy: b.certifiedBy ?? null,
    validFrom: b.validFrom,
    validUntil: b.validUntil,
    revokedAt: b.revokedAt ?? null,
    evidenceRef: b.evidenceRef ?? null,
  };
}

export function auditRequirement(
  requirement: ConformanceRequirement,
  leadTimeMs?: number,
): NonNullable<AuditEntry['requirement']> {
  const r = normalizeRequirement(requirement);
  return {
    badges: [...r.badges],
    badgeMatch: r.badgeMatch,
    area: r.area,
    minimumAssurance: r.minimumAssurance,
    ...(leadTimeMs === undefined ? {} : { expiryLeadTime: formatDuration(leadTimeMs) }),
    sentence: describeRequirement(r),
  };
}

const reasonsOf = (reasons: readonly Reason[]) => reasons.map((r) => ({ code: r.code, message: r.message }));

export const policyObjectRef = (p: AnyPolicy): AuditObjectRef => ({
  apiVersion: API_VERSION,
  kind: p.kind,
  ...(p.metadata.namespace ? { namespace: p.metadata.namespace } : {}),
  name: p.metadata.name,
  ...(p.metadata.uid ? { uid: p.metadata.uid } : {}),
});

export const workloadObjectRef = (w: SovereignWorkload): AuditObjectRef => ({
  apiVersion: API_VERSION,
  kind: 'SovereignWorkload',
  ...(w.metadata.namespace ? { namespace: w.metadata.namespace } : {}),
  name: w.metadata.name,
  ...(w.metadata.uid ? { uid: w.metadata.uid } : {}),
});

export interface PodRefLike {
  namespace: string;
  name: string;
  uid?: string;
  generateName?: string;
}

export const podObjectRef = (pod: PodRefLike): AuditObjectRef => ({
  apiVersion: 'v1',
  kind: 'Pod',
  namespace: pod.namespace,
  name: pod.name,
  ...(pod.generateName ? { generateName: pod.generateName } : {}),
  ...(pod.uid ? { uid: pod.uid } : {}),
});

const targetObjectRef = (target: Target, uid?: string): AuditObjectRef => ({
  apiVersion: target.kind === 'Node' ? 'v1' : API_VERSION,
  kind: target.kind,
  name: target.name,
  ...(uid ? { uid } : {}),
});

/** A verdict label granted or revoked on a node or member cluster, with the verdict it follows. */
export function verdictRecord(input: {
  granted: boolean;
  target: Target;
  uid?: string;
  requirement: ConformanceRequirement;
  leadTimeMs: number;
  verdict: Verdict;
  sentence: string;
  at: number;
}): AuditEntry {
  const { target, requirement, verdict } = input;
  return {
    time: formatInstant(input.at),
    what: input.granted ? 'VerdictGranted' : 'VerdictRevoked',
    object: targetObjectRef(target, input.uid),
    requirement: auditRequirement(requirement, input.leadTimeMs),
    conforms: verdict.conforms,
    evidence: auditEvidence(target.membership.service, requirement),
    reasons: reasonsOf(verdict.reasons),
    message: input.sentence,
  };
}

/** What a policy decided for one pod: pinned, released, placed, evicted, gone. */
export function podRecord(input: {
  what: 'PodPinned' | 'GateRemoved' | 'PodPlaced' | 'PodEvicted' | 'PodGone';
  pod: PodRefLike;
  policy: AnyPolicy;
  leadTimeMs: number;
  /** The node the pod runs on (placed, evicted, gone) and its verdict for the policy's requirement. */
  node?: { name: string; target?: Target; verdict?: Verdict };
  reasons?: readonly Reason[];
  message: string;
  at: number;
}): AuditEntry {
  const { policy, node } = input;
  const requirement = policy.spec.requirement;
  const verdict = node?.verdict;
  return {
    time: formatInstant(input.at),
    what: input.what,
    object: podObjectRef(input.pod),
    by: policyObjectRef(policy),
    ...(node ? { target: { kind: 'Node' as const, name: node.name } } : {}),
    requirement: auditRequirement(requirement, input.leadTimeMs),
    ...(verdict ? { conforms: verdict.conforms } : {}),
    ...(node ? { evidence: auditEvidence(node.target?.membership.service, requirement) } : {}),
    reasons: reasonsOf(input.reasons ?? verdict?.reasons ?? []),
    message: input.message,
  };
}

/** CapacityAvailable of a policy turned False (lost) or True (restored). */
export function capacityRecord(input: {
  lost: boolean;
  policy: AnyPolicy;
  leadTimeMs: number;
  reasons: readonly Reason[];
  message: string;
  at: number;
}): AuditEntry {
  return {
    time: formatInstant(input.at),
    what: input.lost ? 'CapacityLost' : 'CapacityRestored',
    object: policyObjectRef(input.policy),
    requirement: auditRequirement(input.policy.spec.requirement, input.leadTimeMs),
    reasons: reasonsOf(input.reasons),
    message: input.message,
  };
}

/** A SovereignWorkload placed on, or leaving, a member cluster. */
export function clusterRecord(input: {
  chosen: boolean;
  workload: SovereignWorkload;
  cluster: string;
  service: CloudService | undefined;
  leadTimeMs: number;
  reasons: readonly Reason[];
  message: string;
  at: number;
}): AuditEntry {
  const requirement = input.workload.spec.requirement;
  return {
    time: formatInstant(input.at),
    what: input.chosen ? 'ClusterChosen' : 'ClusterLeft',
    object: workloadObjectRef(input.workload),
    target: { kind: 'MemberCluster', name: input.cluster },
    requirement: auditRequirement(requirement, input.leadTimeMs),
    evidence: auditEvidence(input.service, requirement),
    reasons: reasonsOf(input.reasons),
    message: input.message,
  };
}

/**
 * PodPinned records of one admission: the pod as the AdmissionReview holds it (its name is often still
 * empty, with generateName), and each policy the mutation's annotation names. `patch` is the response's
 * base64 JSON patch; `policies` are those admission chose from.
 */
export function pinnedRecords(input: {
  body: unknown;
  patch: string;
  namespace: string;
  policies: readonly AnyPolicy[];
  at: number;
}): AuditEntry[] {
  const request = (input.body as { request?: { object?: { metadata?: Record<string, unknown> } } }).request;
  const meta = request?.object?.metadata ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  let names: string[] = [];
  try {
    const ops = JSON.parse(Buffer.from(input.patch, 'base64').toString('utf8')) as {
      path: string;
      value: unknown;
    }[];
    for (const op of ops) {
      const value =
        op.path === '/metadata'
          ? (op.value as { annotations?: Record<string, string> }).annotations?.[POLICIES_ANNOTATION]
          : op.path === '/metadata/annotations'
            ? (op.value as Record<string, string>)[POLICIES_ANNOTATION]
            : op.path.endsWith(POLICIES_ANNOTATION.replace('/', '~1'))
              ? op.value
              : undefined;
      if (typeof value === 'string') names = value.split(',').filter(Boolean);
    }
  } catch {
    return [];
  }
  const pod = {
    namespace: input.namespace,
    name: text(meta.name),
    ...(text(meta.generateName) ? { generateName: text(meta.generateName) } : {}),
    ...(text(meta.uid) ? { uid: text(meta.uid) } : {}),
  };
  return names.flatMap((name) => {
    const cluster = name.startsWith('ClusterSovereigntyPolicy/');
    const policy = input.policies.find((p) =>
      cluster
        ? p.kind === 'ClusterSovereigntyPolicy' && `ClusterSovereigntyPolicy/${p.metadata.name}` === name
        : p.kind === 'SovereigntyPolicy' &&
          p.metadata.name === name &&
          p.metadata.namespace === input.namespace,
    );
    if (!policy) return [];
    return [
      podRecord({
        what: 'PodPinned',
        pod,
        policy,
        leadTimeMs: parseDuration(policy.spec.failover.expiryLeadTime),
        message: `Pod ${pod.name || `${pod.generateName ?? ''}*`} admitted pinned to nodes conforming to ${describeRequirement(policy.spec.requirement)}.`,
        at: input.at,
      }),
    ];
  });
}
