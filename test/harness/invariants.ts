// The safety invariants of the operator, sampled on a live cluster while a test (or a fault) runs.
//
// (a) Placement: no pod of an enrolled namespace selected by an Enforce SovereigntyPolicy or
//     ClusterSovereigntyPolicy (its namespaceSelector matched against the Namespace's labels) runs on a node
//     that lacks the policy's verdict label for longer than the policy allows. Exactly:
//
//       deadline = since + gracePeriod + tolerance + rateAllowance + outage
//
//     - `since`: when the node stopped conforming to the policy's requirement, read from the node's
//       not-conforming-since annotation (one per requirement and lead time) the way the operator reads it
//       (nodeNotConformingSince); when the node carries none (a pod that was never pinned, a label removed by hand), the first sample that saw
//       the pod there.
//     - `gracePeriod`: the policy's `failover.gracePeriod` (default 0s).
//     - `tolerance`: eviction latency: the operator's watch, its reconcile, the Eviction API call and this
//       checker's own sampling (default 15 s, an option).
//     - `rateAllowance`: (ceil(n / maxEvictionsPerMinute) - 1) x 60 s, where n is the number of pods of
//       the policy seen past their grace on non-conforming nodes during the current episode (an episode
//       ends once no pod of the policy has been past its grace for a full 60 s rate window). The k-th
//       eviction of an episode may wait for the ceil(k/M)-th fixed one-minute window.
//     - `outage`: the time, after `since`, during which the test declared that the operator could not act
//       (`outage()`: its process down, the API server or etcd down, a partition): the operator is not
//       blamed for a window in which nothing could act, but the tolerance starts over only after it.
//     A pod counts while it is bound to a node and has no deletionTimestamp (an evicted pod is
//     terminating and no longer counts). The node "conforms" when its labels satisfy one of the
//     required node-affinity terms of the requirement (requiredNodeAffinityTerms), the very terms
//     admission pins pods with. Rule (a) judges from verdict labels, the operator's own output: a badge
//     change the operator has not turned into a label yet is not seen here (tests check that failover
//     completes separately). Policies that do not validate are skipped and named in the timeline once.
//
// (b) No double eviction: a pod name is evicted at most once. Evictions are read from the operator's
//     `EvictedNonConforming` Events on Pods (summing each Event's `count`, as the recorder aggregates
//     repeats); ReplicaSet pod names are unique, so one name evicted twice is two evictions of one pod
//     for one cause.
//
// Each sample reads policies, namespaces, nodes, pods and events through the API server as an
// administrator, every `intervalMs` (250 ms) measured from the start of the previous sample; a sample
// that cannot read (API server or etcd down) is recorded as a gap, not as a sample.
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterSovereigntyPolicyDef } from '../../src/api/cluster-sovereignty-policy.ts';
import { ENROLLMENT_LABEL, ENROLLMENT_VALUE, GROUP, VERSION } from '../../src/api/group.ts';
import { SovereigntyPolicyDef } from '../../src/api/sovereignty-policy.ts';
import { validateWith } from '../../src/api/validate.ts';
import { nodeNotConformingSince } from '../../src/cluster/node-verdicts.ts';
import type { NodeObject } from '../../src/cluster/objects.ts';
import { parseDuration } from '../../src/domain/duration.ts';
import { policiesSelecting } from '../../src/domain/selection.ts';
import { requiredNodeAffinityTerms } from '../../src/domain/verdict-labels.ts';
import { kubeRequest } from '../../src/kube/request.ts';

export interface InvariantOptions {
  intervalMs?: number;
  /** Eviction latency allowed beyond grace and rate limit (default 15 s). */
  toleranceMs?: number;
}

export interface Violation {
  at: number;
  invariant: 'placement' | 'double-eviction';
  detail: string;
}

export interface TimelineEntry {
  at: number;
  what: string;
}

export interface InvariantReport {
  samples: number;
  /** Samples that could not read the cluster (API server or etcd down). */
  gaps: number;
  violations: Violation[];
  timeline: TimelineEntry[];
  startedAt: number;
  stoppedAt: number;
}

type Json = Record<string, any>;
const RATE_WINDOW_MS = 60_000;

interface PolicyView {
  key: string;
  policy: any;
  graceMs: number;
  leadTimeMs: number;
  maxPerMinute: number;
  terms: { matchExpressions: readonly { key: string; values: readonly string[] }[] }[];
}

export class InvariantChecker {
  private readonly kc: KubeConfig;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly timeline: TimelineEntry[] = [];
  private readonly violations: Violation[] = [];
  private readonly outages: { from: number; to: number | null; what: string }[] = [];
  /** First sample that saw pod@node on a node not conforming to a policy (key: policy|pod|node). */
  private readonly firstSeen = new Map<string, number>();
  /** Violations already reported (key: policy|pod|node, or pod name for evictions). */
  private readonly reported = new Set<string>();
  /** Per policy: pods seen past their grace in the current episode, and when the last one was seen. */
  private readonly episodes = new Map<string, { pods: Set<string>; lastSeenAt: number }>();
  /** Per pod name: its EvictedNonConforming Events (uid -> count). */
  private readonly evictions = new Map<string, Map<string, number>>();
  private readonly invalidPolicies = new Set<string>();
  private samples = 0;
  private gaps = 0;
  private inGap = false;
  private running = true;
  private readonly loop: Promise<void>;
  private readonly startedAt = Date.now();

  private constructor(kc: KubeConfig, options: InvariantOptions) {
    this.kc = kc;
    this.intervalMs = options.intervalMs ?? 250;
    this.toleranceMs = options.toleranceMs ?? 15_000;
    this.note('invariant checker started');
    this.loop = this.run();
  }

  /** Starts sampling a cluster as the administrator of `kc`. */
  static start(kc: KubeConfig, options: InvariantOptions = {}): InvariantChecker {
    return new InvariantChecker(kc, options);
  }

  /** Adds an entry (a fault injected, a step of the test) to the timeline. */
  note(what: string, at = Date.now()): void {
    this.timeline.push({ at, what });
  }

  /**
   * Declares that the operator cannot act from now on (its process down, the API server or etcd down, a
   * partition); the returned function ends the outage. Deadlines of rule (a) move by the overlap.
   */
  outage(what: string): () => void {
    const entry = { from: Date.now(), to: null as number | null, what };
    this.outages.push(entry);
    this.note(`outage begins: ${what}`, entry.from);
    return () => {
      if (entry.to !== null) return;
      entry.to = Date.now();
      this.note(`outage ends: ${what} (${entry.to - entry.from} ms)`, entry.to);
    };
  }

  get sampleCount(): number {
    return this.samples;
  }

  get violationCount(): number {
    return this.violations.length;
  }

  /** Stops sampling after one last sample, and returns the report. */
  async stop(): Promise<InvariantReport> {
    this.running = false;
    await this.loop;
    await this.sample().catch(() => undefined);
    const stoppedAt = Date.now();
    this.note(`invariant checker stopped: ${this.samples} samples, ${this.violations.length} violations`);
    return {
      samples: this.samples,
      gaps: this.gaps,
      violations: [...this.violations],
      timeline: [...this.timeline].sort((a, b) => a.at - b.at),
      startedAt: this.startedAt,
      stoppedAt,
    };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const began = Date.now();
      try {
        await this.sample();
        if (this.inGap) this.note('cluster readable again');
        this.inGap = false;
      } catch (error) {
        this.gaps++;
        if (!this.inGap) this.note(`cannot read the cluster: ${(error as Error).message}`);
        this.inGap = true;
      }
      const wait = this.intervalMs - (Date.now() - began);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private get<T>(path: string): Promise<T> {
    return kubeRequest<T>(this.kc, { path, timeoutMs: 5_000 });
  }

  private async sample(): Promise<void> {
    const [policyList, clusterPolicyList, namespaceList, nodeList, podList, eventList] = await Promise.all([
      this.get<{ items: Json[] }>(`/apis/${GROUP}/${VERSION}/sovereigntypolicies`),
      this.get<{ items: Json[] }>(`/apis/${GROUP}/${VERSION}/clustersovereigntypolicies`),
      this.get<{ items: Json[] }>('/api/v1/namespaces'),
      this.get<{ items: Json[] }>('/api/v1/nodes'),
      this.get<{ items: Json[] }>('/api/v1/pods'),
      this.get<{ items: Json[] }>(
        '/api/v1/events?fieldSelector=reason%3DEvictedNonConforming%2CinvolvedObject.kind%3DPod',
      ),
    ]);
    const at = Date.now();
    this.samples++;
    const namespaceLabels = new Map<string, Record<string, string>>(
      namespaceList.items.map((n) => [n.metadata?.name as string, n.metadata?.labels ?? {}]),
    );
    const enrolled = new Set(
      [...namespaceLabels].filter(([, l]) => l[ENROLLMENT_LABEL] === ENROLLMENT_VALUE).map(([n]) => n),
    );
    const policies = [
      ...this.enforcePolicies(clusterPolicyList.items, enrolled, true),
      ...this.enforcePolicies(policyList.items, enrolled, false),
    ];
    const nodes = new Map(nodeList.items.map((n) => [n.metadata?.name as string, n]));
    this.checkPlacement(at, policies, nodes, podList.items, namespaceLabels, enrolled);
    this.checkEvictions(at, eventList.items);
  }

  private enforcePolicies(items: Json[], enrolled: Set<string>, cluster: boolean): PolicyView[] {
    const views: PolicyView[] = [];
    for (const raw of items) {
      const key = cluster
        ? (raw.metadata?.name as string)
        : `${raw.metadata?.namespace}/${raw.metadata?.name}`;
      // The spec alone: the status is the operator's, and is not what this checker judges.
      const result = cluster
        ? validateWith(ClusterSovereigntyPolicyDef.spec, raw.spec)
        : validateWith(SovereigntyPolicyDef.spec, raw.spec);
      let view: PolicyView | undefined;
      if (result.ok) {
        try {
          const policy = { metadata: raw.metadata, spec: result.value };
          const r = policy.spec.requirement;
          view = {
            key,
            policy,
            graceMs: parseDuration(policy.spec.failover.gracePeriod),
            leadTimeMs: parseDuration(policy.spec.failover.expiryLeadTime),
            maxPerMinute: policy.spec.failover.maxEvictionsPerMinute,
            terms: requiredNodeAffinityTerms(r) as PolicyView['terms'],
          };
        } catch (error) {
          if (!this.invalidPolicies.has(key)) this.note(`policy ${key} skipped: ${(error as Error).message}`);
          this.invalidPolicies.add(key);
        }
      } else if (!this.invalidPolicies.has(key)) {
        this.invalidPolicies.add(key);
        this.note(`policy ${key} skipped (does not validate): ${result.errors.join('; ').slice(0, 200)}`);
      }
      if (view?.policy.spec.mode !== 'Enforce') continue;
      // A cluster policy is judged per pod, in the enrolled namespaces it selects (checkPlacement).
      if (!cluster && !enrolled.has(raw.metadata?.namespace)) continue;
      views.push(view);
    }
    return views;
  }

  private checkPlacement(
    at: number,
    policies: PolicyView[],
    nodes: Map<string, Json>,
    pods: Json[],
    namespaceLabels: Map<string, Record<string, string>>,
    enrolled: Set<string>,
  ): void {
    const stillAffected = new Set<string>();
    const pastGrace = new Map<string, Set<string>>();
    for (const pod of pods) {
      const nodeName = pod.spec?.nodeName as string | undefined;
      if (!nodeName || pod.metadata?.deletionTimestamp) continue;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      // Pods of namespaces that are not enrolled are never pinned, so never moved (ReplacementNotPinned).
      if (!enrolled.has(pod.metadata?.namespace)) continue;
      const identity = {
        namespace: pod.metadata?.namespace ?? '',
        labels: pod.metadata?.labels ?? {},
        ownerReferences: pod.metadata?.ownerReferences,
        namespaceLabels: namespaceLabels.get(pod.metadata?.namespace ?? ''),
      };
      const selecting = policiesSelecting(
        policies.map((p) => ({ metadata: p.policy.metadata, spec: p.policy.spec, view: p })),
        identity,
      );
      const node = nodes.get(nodeName);
      const labels: Record<string, string> = node?.metadata?.labels ?? {};
      for (const { view } of selecting) {
        const conforms = view.terms.some((t) =>
          t.matchExpressions.every((e) => e.values.includes(labels[e.key] as string)),
        );
        const id = `${view.key}|${pod.metadata?.name}|${nodeName}`;
        if (conforms) continue;
        stillAffected.add(id);
        if (!this.firstSeen.has(id)) this.firstSeen.set(id, at);
        const annotated = node
          ? nodeNotConformingSince(node as NodeObject, view.policy.spec.requirement, view.leadTimeMs)
          : undefined;
        const since = annotated ?? (this.firstSeen.get(id) as number);
        if (at < since + view.graceMs) continue;
        const episode = pastGrace.get(view.key) ?? new Set<string>();
        episode.add(pod.metadata?.name);
        pastGrace.set(view.key, episode);
        const n = this.episodePods(view.key, at, episode);
        const rateAllowance = (Math.ceil(n / view.maxPerMinute) - 1) * RATE_WINDOW_MS;
        const outage = this.outageWithin(since, at);
        const deadline = since + view.graceMs + this.toleranceMs + rateAllowance + outage;
        if (at > deadline && !this.reported.has(id)) {
          this.reported.add(id);
          const detail =
            `pod ${pod.metadata?.namespace}/${pod.metadata?.name} of Enforce policy ${view.key} runs on ` +
            `${nodeName}, which lacks its verdict label since ${new Date(since).toISOString()} ` +
            `(${annotated === undefined ? 'first seen by the checker' : 'revoked-since annotation'}); ` +
            `grace ${view.graceMs} ms + tolerance ${this.toleranceMs} ms + rate allowance ${rateAllowance} ms ` +
            `(${n} pods, ${view.maxPerMinute}/min) + outage ${outage} ms ended ${at - deadline} ms ago`;
          this.violations.push({ at, invariant: 'placement', detail });
          this.note(`VIOLATION (placement): ${detail}`, at);
        }
      }
    }
    for (const id of this.firstSeen.keys()) if (!stillAffected.has(id)) this.firstSeen.delete(id);
    for (const [key, episode] of this.episodes) {
      if (!pastGrace.has(key) && at - episode.lastSeenAt > RATE_WINDOW_MS) this.episodes.delete(key);
    }
  }

  /** Pods of a policy seen past their grace in its current episode, this sample's included. */
  private episodePods(policy: string, at: number, now: Set<string>): number {
    const episode = this.episodes.get(policy) ?? { pods: new Set<string>(), lastSeenAt: at };
    for (const pod of now) episode.pods.add(pod);
    episode.lastSeenAt = at;
    this.episodes.set(policy, episode);
    return episode.pods.size;
  }

  private outageWithin(from: number, to: number): number {
    let total = 0;
    for (const o of this.outages) {
      const end = o.to ?? to;
      total += Math.max(0, Math.min(end, to) - Math.max(o.from, from));
    }
    return total;
  }

  private checkEvictions(at: number, events: Json[]): void {
    for (const event of events) {
      if (event.source?.component !== 'sovereign-placement') continue;
      const pod = `${event.involvedObject?.namespace}/${event.involvedObject?.name}`;
      const byUid = this.evictions.get(pod) ?? new Map<string, number>();
      const count = Number(event.count ?? 1);
      const uid = event.metadata?.uid as string;
      if ((byUid.get(uid) ?? 0) < count) {
        if (!byUid.has(uid))
          this.note(
            `eviction event for pod ${pod} (${event.metadata?.name}, first ${event.firstTimestamp}, ` +
              `host ${event.source?.host ?? event.reportingInstance ?? '-'})`,
            at,
          );
        byUid.set(uid, count);
      }
      this.evictions.set(pod, byUid);
      const total = [...byUid.values()].reduce((a, b) => a + b, 0);
      if (total > 1 && !this.reported.has(pod)) {
        this.reported.add(pod);
        const detail = `pod ${pod} evicted ${total} times (${byUid.size} Events: ${event.message ?? ''})`;
        this.violations.push({ at, invariant: 'double-eviction', detail });
        this.note(`VIOLATION (double eviction): ${detail}`, at);
      }
    }
  }

  /** Evictions seen so far (pods with at least one EvictedNonConforming Event). */
  get evictedPods(): number {
    return this.evictions.size;
  }
}

/** The timeline as lines of text, times relative to the start of the report. */
export function formatTimeline(report: InvariantReport): string {
  return report.timeline
    .map((e) => `+${((e.at - report.startedAt) / 1000).toFixed(3).padStart(8)} s  ${e.what}`)
    .join('\n');
}

/** Fails with every violation and the whole timeline unless the report has none. */
export function assertNoViolations(report: InvariantReport): void {
  if (report.violations.length === 0) return;
  const list = report.violations
    .map((v) => `- [${v.invariant}] +${((v.at - report.startedAt) / 1000).toFixed(3)} s: ${v.detail}`)
    .join('\n');
  throw new Error(
    `${report.violations.length} invariant violation(s) in ${report.samples} samples:\n${list}\n\ntimeline:\n${formatTimeline(report)}`,
  );
}
