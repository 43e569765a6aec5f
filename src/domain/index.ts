/**
 * The pure sovereignty engine: every rule of sovereignty, synchronous, without I/O or clock reads (the
 * instant is always a parameter, ms since the epoch). Controllers, the admission webhook and the CLI call
 * these functions.
 */
export { type AreaIndex, type AreaResolution, indexAreas, resolveArea } from './areas.ts';
export {
  type BadgeEvaluation,
  badgeProblems,
  evaluateBadges,
  jurisdictionProblems,
  nextBadgeTransition,
  type SatisfiedBadge,
} from './badges.ts';
export {
  type Assessed,
  type CapacitySummary,
  mostFrequentReasons,
  type ReasonCount,
  type ServiceCapacity,
  summarizeCapacity,
} from './capacity.ts';
export {
  type ClusterFailoverInput,
  type ClusterFailoverPlan,
  type LeaveCause,
  type LeavingCopy,
  leaveCause,
  type MemberStanding,
  type PlacementRecord,
  planClusterFailover,
  type Removal,
} from './cluster-failover.ts';
export {
  areaCheck,
  badgeCheck,
  type CheckContext,
  type ConformanceCheck,
  type ConformanceEvaluator,
  type ConformanceFacts,
  type ConformanceOptions,
  conformanceChecks,
  controlPlaneCheck,
  cordonCheck,
  countryCheck,
  createConformanceEvaluator,
  evaluateConformance,
  evaluatePolicies,
  healthCheck,
  membershipCheck,
  type PolicyRequirement,
  schemeCheck,
  type Verdict,
} from './conformance.ts';
export { DurationError, formatDuration, parseDuration } from './duration.ts';
export {
  type FailoverPlanJson,
  failoverPlanJson,
  failoverPlanSentences,
  type PlacementJson,
  placementJson,
  placementSentences,
  type ReasonJson,
  type TargetRef,
  type VerdictJson,
  verdictJson,
  verdictSentence,
} from './explain.ts';
export {
  type BlockedEviction,
  type DeferredEviction,
  type DisruptionBudget,
  type EvictionRateLimit,
  type FailoverInput,
  type FailoverPlan,
  type NodeStanding,
  type PlannedEviction,
  type PodRef,
  planFailover,
  RATE_WINDOW_MS,
  rateLimitAfter,
  type SelectedPod,
} from './failover.ts';
export {
  clusterMembership,
  controlPlaneMembership,
  indexServices,
  informationalDisagreements,
  isTrustedSelector,
  type LabelDisagreement,
  type MemberClusterFacts,
  memberClusterTarget,
  type NodeFacts,
  nodeCountry,
  nodeMembership,
  nodeTarget,
  type ServiceCatalog,
} from './membership.ts';
export {
  type ChosenCluster,
  type ClusterCandidate,
  clusterCandidate,
  type Placement,
  type PlacementRequest,
  placeWorkload,
  type RejectedCluster,
} from './placement.ts';
export {
  isPositive,
  REASON_CODES,
  type Reason,
  ReasonCode,
  Reasons,
  reason,
  reasonsMarkdown,
  type TargetKind,
} from './reasons.ts';
export {
  ASSURANCES,
  type Assurance,
  assuranceRank,
  assurancesAtLeast,
  type BadgeType,
  type ConformanceRequirement,
  describeBadges,
  describeRequirement,
  type NormalizedRequirement,
  normalizeRequirement,
  requirementKey,
  type SchemeLevels,
} from './requirement.ts';
export {
  SCHEME_NAMES,
  SCHEMES,
  type Scheme,
  schemeValue,
  schemeValuesAtLeast,
  type UnmetScheme,
  unmetSchemeLevels,
} from './schemes.ts';
export {
  type LabelSelector,
  type LabelSelectorRequirement,
  type Labels,
  matchesSelector,
} from './selector.ts';
export { type Membership, providerOf, serviceNameOf, type Target } from './target.ts';
export { formatInstant, parseInstant } from './time.ts';
export {
  createVerdictLabeler,
  type DesiredVerdictLabels,
  desiredVerdictLabels,
  diffVerdictLabels,
  isEmptyDiff,
  isVerdictLabelKey,
  MAX_LABEL_NAME_LENGTH,
  type NodeSelectorRequirement,
  type NodeSelectorTerm,
  requiredNodeAffinityTerms,
  schemeLabelKey,
  VERDICT_LABEL_PREFIX,
  type VerdictLabelDiff,
  type VerdictLabelUse,
  verdictLabelKey,
  verdictLabelPatch,
} from './verdict-labels.ts';
export {
  type ClaimAdmission,
  type ClaimStanding,
  claimRefusal,
  indexStorage,
  type JudgedClass,
  type StorageCatalog,
  type StorageFacts,
  storageMembership,
  storageTarget,
  volumeProblems,
} from './volumes.ts';
