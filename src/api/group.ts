/** The API group and version of every custom resource of the project. */
export const GROUP = 'sovereign-placement.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * Node labels under this prefix cannot be set by a kubelet on its own Node: the NodeRestriction
 * admission plugin refuses them (KEP-279). Facts about a node and the operator's verdicts live
 * here, so that a compromised node can neither claim a cloud service nor declare itself sovereign.
 */
export const PROTECTED_PREFIX = 'node-restriction.kubernetes.io/';

/** Trusted node facts, set by administrators or provisioners. */
export const NodeFactLabels = {
  /** Name of the CloudService the node runs on. */
  cloudService: `${PROTECTED_PREFIX}sovereign-placement.cloud-service`,
  /** ISO 3166-1 alpha-2 code of the country the node physically is in. */
  country: `${PROTECTED_PREFIX}sovereign-placement.country`,
  /** "true" when the node is cordoned for sovereignty reasons. */
  cordoned: `${PROTECTED_PREFIX}sovereign-placement.cordoned`,
} as const;

/** Informational labels that anyone may set: never used for a verdict, only compared with facts. */
export const InformationalLabels = {
  provider: `${GROUP}/provider`,
  country: `${GROUP}/country`,
  region: 'topology.kubernetes.io/region',
} as const;

/** Area names are bounded so that verdict label keys (name part <= 63 characters) always fit. */
export const MAX_AREA_NAME_LENGTH = 32;

/**
 * Namespaces whose pods the admission webhook sees, the way service meshes enrol namespaces: set by the
 * platform team in Git, so the webhook (failurePolicy Fail) never stands in the way of other namespaces.
 */
export const ENROLLMENT_LABEL = `${GROUP}/enforcement`;
export const ENROLLMENT_VALUE = 'enabled';
