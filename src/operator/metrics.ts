import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric of the operator, on its own registry (so tests can create several operators). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sovereign_placement_process_' });
  const registers = [registry];
  return {
    registry,
    conformingNodes: new Gauge({
      name: 'sovereign_placement_conforming_nodes',
      help: 'Nodes that conform to a (badge, area) pair in use, by the highest assurance they conform at.',
      labelNames: ['badge', 'area', 'assurance'],
      registers,
    }),
    nodeVerdictChanges: new Counter({
      name: 'sovereign_placement_node_verdict_changes_total',
      help: 'Verdict labels added to or removed from nodes.',
      labelNames: ['change'],
      registers,
    }),
    matchedPods: new Gauge({
      name: 'sovereign_placement_policy_matched_pods',
      help: 'Pods selected by a policy.',
      labelNames: ['namespace', 'policy'],
      registers,
    }),
    nonConformingPods: new Gauge({
      name: 'sovereign_placement_policy_non_conforming_pods',
      help: 'Pods selected by a policy that run on a node that does not conform to it.',
      labelNames: ['namespace', 'policy', 'mode'],
      registers,
    }),
    nonConformingVolumes: new Gauge({
      name: 'sovereign_placement_policy_non_conforming_volumes',
      help: 'PersistentVolumes mounted by pods a policy selects that do not conform to it (data is never moved by the operator).',
      labelNames: ['namespace', 'policy', 'mode'],
      registers,
    }),
    gatedPods: new Gauge({
      name: 'sovereign_placement_policy_gated_pods',
      help: 'Pods held by the scheduling gate because no node conforms.',
      labelNames: ['namespace', 'policy'],
      registers,
    }),
    capacityAvailable: new Gauge({
      name: 'sovereign_placement_policy_capacity_available',
      help: '1 when at least one node conforms to the policy (and enough providers for Resilient), else 0.',
      labelNames: ['namespace', 'policy'],
      registers,
    }),
    evictions: new Counter({
      name: 'sovereign_placement_evictions_total',
      help: 'Pods evicted through the Eviction API because their node stopped conforming.',
      labelNames: ['namespace', 'policy', 'reason'],
      registers,
    }),
    badgeExpiry: new Gauge({
      name: 'sovereign_placement_badge_expiry_timestamp_seconds',
      help: 'validUntil of each badge of each cloud service, in seconds since the epoch.',
      labelNames: ['cloud_service', 'badge', 'area'],
      registers,
    }),
    labelDisagreements: new Gauge({
      name: 'sovereign_placement_informational_label_disagreements',
      help: 'Nodes whose informational labels disagree with the trusted facts.',
      labelNames: ['label'],
      registers,
    }),
    clusterFailovers: new Counter({
      name: 'sovereign_placement_cluster_failovers_total',
      help: 'SovereignWorkloads that started leaving a member cluster, by why (NotConforming, ExpiringSoon, Cordoned, Unreachable, NotSelected, MemberDeleted).',
      labelNames: ['reason'],
      registers,
    }),
    karmadaRepins: new Counter({
      name: 'sovereign_placement_karmada_binding_repins_total',
      help: 'Karmada ResourceBindings pinned again because the conforming clusters changed: to the new set (pinned), or to none (no_conforming_cluster).',
      labelNames: ['outcome'],
      registers,
    }),
    workloadPlacements: new Gauge({
      name: 'sovereign_placement_workload_placements',
      help: 'Copies of SovereignWorkloads on member clusters: active (chosen) or leaving (still there, being moved away).',
      labelNames: ['state'],
      registers,
    }),
    workloadsWithoutCapacity: new Gauge({
      name: 'sovereign_placement_workloads_without_conforming_capacity',
      help: 'SovereignWorkloads placed on fewer conforming members (or providers) than they ask.',
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'sovereign_placement_reconcile_duration_seconds',
      help: 'Time to reconcile one key.',
      labelNames: ['controller', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'sovereign_placement_queue_depth',
      help: 'Keys waiting in a controller work queue.',
      labelNames: ['controller'],
      registers,
    }),
    watchRestarts: new Counter({
      name: 'sovereign_placement_watch_restarts_total',
      help: 'Watches restarted, by resource and reason.',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    memberClusters: new Gauge({
      name: 'sovereign_placement_member_clusters',
      help: 'Member clusters on the hub by state: ready, unreachable_within_grace, not_ready, invalid.',
      labelNames: ['state'],
      registers,
    }),
    fulcrumAgents: new Gauge({
      name: 'sovereign_placement_fulcrum_agents',
      help: 'Fulcrum agents of a FulcrumFederation at its last sync: conforming (carrying at least one verdict tag) or not_conforming.',
      labelNames: ['connection', 'state'],
      registers,
    }),
    fulcrumTagChanges: new Counter({
      name: 'sovereign_placement_fulcrum_tag_changes_total',
      help: 'Verdict tags added to or removed from Fulcrum agents (forged ones included).',
      labelNames: ['connection', 'change'],
      registers,
    }),
    fulcrumSyncErrors: new Counter({
      name: 'sovereign_placement_fulcrum_sync_errors_total',
      help: 'Failed syncs with a Fulcrum core, by condition reason (FulcrumUnauthorized, FulcrumServerError, FulcrumTimeout, ...).',
      labelNames: ['connection', 'reason'],
      registers,
    }),
    fulcrumLastSync: new Gauge({
      name: 'sovereign_placement_fulcrum_last_sync_timestamp_seconds',
      help: 'End of the last successful sync with a Fulcrum core, in seconds since the epoch.',
      labelNames: ['connection'],
      registers,
    }),
    leader: new Gauge({
      name: 'sovereign_placement_leader',
      help: '1 when this replica holds the leader lease and writes, else 0.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
