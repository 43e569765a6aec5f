// Invalid custom resources and the field each must be refused for. Shared by the zod unit test and
// the API-server integration test, so both layers are held to the same catalogue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface InvalidCase {
  name: string;
  object: Record<string, unknown>;
  /** Dotted path of the field the error must name (as zod and the API server print it). */
  field: string;
  /** Text the zod message must contain. */
  message: string;
  /** Where the API server's message names the field, when it differs from `field`. */
  serverField?: string;
  /** Text the API server's message must contain too, where it says more than naming the field. */
  serverMessage?: string;
}

const sample = (file: string, index = 0): Record<string, unknown> => {
  const text = readFileSync(join(import.meta.dirname, '../../../deploy/samples', file), 'utf8');
  return text
    .split(/^---$/m)
    .map((d) => parse(d))
    .filter(Boolean)[index];
};

type Mutate = (o: any) => void;
const change = (base: Record<string, unknown>, mutate: Mutate): Record<string, unknown> => {
  const copy = structuredClone(base);
  mutate(copy);
  return copy;
};

const area = sample('areas.yaml');
const service = sample('cloud-services.yaml');
const policy = sample('policy.yaml');
const member = sample('member-cluster.yaml');
const workload = sample('sovereign-workload.yaml');

export const invalidCases: InvalidCase[] = [
  // SovereigntyArea
  {
    name: 'area without countries',
    object: change(area, (o) => {
      o.spec.countries = [];
    }),
    field: 'spec.countries',
    message: 'at least one country',
  },
  {
    name: 'area with a lowercase country',
    object: change(area, (o) => {
      o.spec.countries = ['fr'];
    }),
    field: 'spec.countries[0]',
    message: 'ISO 3166-1 alpha-2 country code in upper case: did you mean "FR"?',
    serverMessage: 'ISO 3166-1 alpha-2 country code in upper case: did you mean "FR"?',
  },
  {
    name: 'area with UK for the United Kingdom',
    object: change(area, (o) => {
      o.spec.countries = ['FR', 'UK'];
    }),
    field: 'spec.countries[1]',
    message: '"UK" is not an ISO 3166-1 alpha-2 country code: did you mean GB (United Kingdom)?',
    serverMessage: 'is not an ISO 3166-1 alpha-2 country code: did you mean GB (United Kingdom)?',
  },
  {
    name: 'area with EL for Greece',
    object: change(area, (o) => {
      o.spec.countries = ['EL'];
    }),
    field: 'spec.countries[0]',
    message: 'did you mean GR (Greece)?',
    serverMessage: 'did you mean GR (Greece)?',
  },
  {
    name: 'area with an unknown country',
    object: change(area, (o) => {
      o.spec.countries = ['FR', 'XX'];
    }),
    field: 'spec.countries[1]',
    message: 'ISO 3166-1 alpha-2',
  },
  {
    name: 'area with a three-letter code',
    object: change(area, (o) => {
      o.spec.countries = ['FRA'];
    }),
    field: 'spec.countries[0]',
    message: 'two-letter',
  },
  {
    name: 'area without spec.countries',
    object: change(area, (o) => {
      delete o.spec.countries;
    }),
    field: 'spec.countries',
    message: 'expected array',
  },
  {
    name: 'area with an unknown field',
    object: change(area, (o) => {
      o.spec.members = ['FR'];
    }),
    field: 'spec',
    message: 'members',
  },
  // CloudService
  {
    name: 'unknown badge type',
    object: change(service, (o) => {
      o.spec.badges[0].type = 'Gold';
    }),
    field: 'spec.badges[0].type',
    message: '"Sovereign" or "Resilient"',
  },
  {
    name: 'badge type in lower case',
    object: change(service, (o) => {
      o.spec.badges[0].type = 'sovereign';
    }),
    field: 'spec.badges[0].type',
    message: '"Sovereign" or "Resilient"',
  },
  {
    name: 'unknown assurance',
    object: change(service, (o) => {
      o.spec.badges[0].assurance = 'Audited';
    }),
    field: 'spec.badges[0].assurance',
    message: 'SelfDeclared',
  },
  {
    name: 'validUntil before validFrom',
    object: change(service, (o) => {
      o.spec.badges[0].validUntil = '2025-01-01T00:00:00Z';
    }),
    field: 'spec.badges[0].validUntil',
    message: 'after validFrom',
  },
  {
    name: 'validUntil equal to validFrom',
    object: change(service, (o) => {
      o.spec.badges[0].validUntil = o.spec.badges[0].validFrom;
    }),
    field: 'spec.badges[0].validUntil',
    message: 'after validFrom',
  },
  {
    name: 'validFrom not a date-time',
    object: change(service, (o) => {
      o.spec.badges[0].validFrom = 'next monday';
    }),
    field: 'spec.badges[0].validFrom',
    message: 'RFC 3339',
  },
  {
    name: 'validFrom a date without a time',
    object: change(service, (o) => {
      o.spec.badges[0].validFrom = '2026-01-01';
    }),
    field: 'spec.badges[0].validFrom',
    message: 'got the date "2026-01-01" without a time: write "2026-01-01T00:00:00Z"',
    serverMessage: 'got the date "2026-01-01" without a time: write "2026-01-01T00:00:00Z"',
  },
  {
    // Both problems in one round: the invalid validFrom must not hide the missing certifiedBy.
    name: 'certified badge without certifying body, and a validFrom without a time',
    object: change(service, (o) => {
      delete o.spec.badges[0].certifiedBy;
      o.spec.badges[0].validFrom = '2026-01-01';
    }),
    field: 'spec.badges[0].certifiedBy',
    message:
      'certifiedBy is required when assurance is ThirdPartyCertified: name the accredited certifying body',
    serverMessage: 'certifiedBy is required when assurance is ThirdPartyCertified',
  },
  {
    name: 'badge area in capitals',
    object: change(service, (o) => {
      o.spec.badges[0].area = 'EU';
    }),
    field: 'spec.badges[0].area',
    message: 'area names are lower case: did you mean "eu"?',
    serverMessage: 'area names are lower case: did you mean "eu"?',
  },
  {
    name: 'certified badge without certifying body',
    object: change(service, (o) => {
      delete o.spec.badges[0].certifiedBy;
    }),
    field: 'spec.badges[0].certifiedBy',
    message: 'certifiedBy is required',
  },
  {
    name: 'badge without area',
    object: change(service, (o) => {
      delete o.spec.badges[0].area;
    }),
    field: 'spec.badges[0].area',
    message: 'expected string',
  },
  {
    name: 'lowercase provider jurisdiction',
    object: change(service, (o) => {
      o.spec.provider.legalJurisdiction = 'fr';
    }),
    field: 'spec.provider.legalJurisdiction',
    message: 'ISO 3166-1 alpha-2',
  },
  {
    name: 'unknown parent jurisdiction',
    object: change(service, (o) => {
      o.spec.provider.ultimateParent.legalJurisdiction = 'EU';
    }),
    field: 'spec.provider.ultimateParent.legalJurisdiction',
    message: 'ISO 3166-1 alpha-2',
  },
  {
    name: 'provider without name',
    object: change(service, (o) => {
      delete o.spec.provider.name;
    }),
    field: 'spec.provider.name',
    message: 'expected string',
  },
  {
    name: 'SEAL level above 4',
    object: change(service, (o) => {
      o.spec.schemeLevels.seal = 5;
    }),
    field: 'spec.schemeLevels.seal',
    message: 'seal must be a SEAL level from 0 to 4, got 5',
  },
  {
    name: 'unknown EUCS level',
    object: change(service, (o) => {
      o.spec.schemeLevels.eucs = 'Elevated';
    }),
    field: 'spec.schemeLevels.eucs',
    message: 'Basic',
  },
  {
    name: 'node selector on a label the node can set',
    object: change(service, (o) => {
      o.spec.nodeSelector = { matchLabels: { 'topology.kubernetes.io/region': 'eu-west' } };
    }),
    field: 'spec.nodeSelector',
    message: 'node-restriction.kubernetes.io/',
  },
  // SovereigntyPolicy
  {
    name: 'policy with unknown mode',
    object: change(policy, (o) => {
      o.spec.mode = 'Warn';
    }),
    field: 'spec.mode',
    message: 'Enforce',
  },
  {
    name: 'policy with no badges',
    object: change(policy, (o) => {
      o.spec.requirement.badges = [];
    }),
    field: 'spec.requirement.badges',
    message: 'at least one badge',
  },
  {
    name: 'policy with a repeated badge',
    object: change(policy, (o) => {
      o.spec.requirement.badges = ['Sovereign', 'Sovereign'];
    }),
    field: 'spec.requirement.badges',
    message: 'must not repeat',
  },
  {
    name: 'policy without area',
    object: change(policy, (o) => {
      delete o.spec.requirement.area;
    }),
    field: 'spec.requirement.area',
    message: 'expected string',
  },
  {
    name: 'policy with an empty area',
    object: change(policy, (o) => {
      o.spec.requirement.area = '';
    }),
    field: 'spec.requirement.area',
    message: 'must not be empty',
  },
  {
    name: 'negative grace period',
    object: change(policy, (o) => {
      o.spec.failover.gracePeriod = '-30s';
    }),
    field: 'spec.failover.gracePeriod',
    message: 'non-negative duration',
  },
  {
    name: 'lead time without unit',
    object: change(policy, (o) => {
      o.spec.failover.expiryLeadTime = '72';
    }),
    field: 'spec.failover.expiryLeadTime',
    message: 'non-negative duration',
  },
  {
    name: 'lead time longer than the engine accepts (it would overflow instants)',
    object: change(policy, (o) => {
      o.spec.failover.expiryLeadTime = '3000000h';
    }),
    field: 'spec.failover.expiryLeadTime',
    message: 'at most 6 digits each',
  },
  {
    name: 'node-failure toleration longer than 30 days',
    object: change(policy, (o) => {
      o.spec.failover.nodeFailureToleration = '300000h';
    }),
    field: 'spec.failover.nodeFailureToleration',
    message: 'must be at most 720h',
  },
  {
    name: 'grace period just over the bound',
    object: change(policy, (o) => {
      o.spec.failover.gracePeriod = '720h1s';
    }),
    field: 'spec.failover.gracePeriod',
    message: 'must be at most 720h',
  },
  {
    name: 'workload lead time too long',
    object: change(workload, (o) => {
      o.spec.failover = { expiryLeadTime: '9000h' };
    }),
    field: 'spec.failover.expiryLeadTime',
    message: 'must be at most 8760h',
  },
  {
    name: 'member unreachable grace too long',
    object: change(member, (o) => {
      o.spec.unreachableGracePeriod = '99999h';
    }),
    field: 'spec.unreachableGracePeriod',
    message: 'must be at most 720h',
  },
  {
    name: 'zero evictions per minute',
    object: change(policy, (o) => {
      o.spec.failover.maxEvictionsPerMinute = 0;
    }),
    field: 'spec.failover.maxEvictionsPerMinute',
    message: 'maxEvictionsPerMinute must be a number of evictions from 1 to 10000, got 0',
  },
  {
    name: 'unknown no-capacity behaviour',
    object: change(policy, (o) => {
      o.spec.failover.onNoConformingCapacity = 'Fallback';
    }),
    field: 'spec.failover.onNoConformingCapacity',
    message: 'Evict',
  },
  {
    name: 'provider minimum on a Sovereign-only requirement',
    object: change(policy, (o) => {
      o.spec.requirement.minimumProviders = 2;
    }),
    field: 'spec.requirement.minimumProviders',
    message:
      'minimumProviders is 2, but more than 1 provider applies only to requirements that accept the Resilient badge: add Resilient to badges or set minimumProviders to 1',
    serverMessage:
      'minimumProviders is 2, but more than 1 provider applies only to requirements that accept the Resilient badge',
  },
  {
    name: 'policy without selector',
    object: change(policy, (o) => {
      delete o.spec.selector;
    }),
    field: 'spec.selector',
    message: 'expected object',
  },
  {
    name: 'unknown workload kind',
    object: change(policy, (o) => {
      o.spec.workloadKinds = ['CronJob'];
    }),
    field: 'spec.workloadKinds[0]',
    message: 'Deployment',
  },
  {
    name: 'unknown selector operator',
    object: change(policy, (o) => {
      o.spec.selector = { matchExpressions: [{ key: 'app', operator: 'Like', values: ['x'] }] };
    }),
    field: 'spec.selector.matchExpressions[0].operator',
    message: 'Exists',
  },
  // MemberCluster
  {
    name: 'member in an unknown country',
    object: change(member, (o) => {
      o.spec.country = 'ZZ';
    }),
    field: 'spec.country',
    message: 'ISO 3166-1 alpha-2',
  },
  {
    name: 'member without cloud service',
    object: change(member, (o) => {
      delete o.spec.cloudService;
    }),
    field: 'spec.cloudService',
    message: 'expected string',
  },
  {
    name: 'member without credentials',
    object: change(member, (o) => {
      delete o.spec.kubeconfigSecretRef;
    }),
    field: 'spec.kubeconfigSecretRef',
    message: 'expected object',
  },
  {
    name: 'member with negative grace',
    object: change(member, (o) => {
      o.spec.unreachableGracePeriod = '-1m';
    }),
    field: 'spec.unreachableGracePeriod',
    message: 'non-negative duration',
  },
  {
    name: 'member probed more than once a second',
    object: change(member, (o) => {
      o.spec.probe = { period: '500ms', timeout: '100ms' };
    }),
    field: 'spec.probe.period',
    message: 'at least 1s',
  },
  {
    name: 'member probe period longer than 10m',
    object: change(member, (o) => {
      o.spec.probe = { period: '11m' };
    }),
    field: 'spec.probe.period',
    message: 'at most 10m',
  },
  {
    name: 'member probe timeout longer than its period',
    object: change(member, (o) => {
      o.spec.probe = { period: '5s', timeout: '10s' };
    }),
    field: 'spec.probe.timeout',
    message: 'cannot exceed period',
  },
  {
    name: 'member probe failure threshold of zero',
    object: change(member, (o) => {
      o.spec.probe = { failureThreshold: 0 };
    }),
    field: 'spec.probe.failureThreshold',
    message: 'at least 1',
  },
  {
    name: 'member probe success threshold above 10',
    object: change(member, (o) => {
      o.spec.probe = { successThreshold: 11 };
    }),
    field: 'spec.probe.successThreshold',
    message: 'at most 10',
  },
  {
    name: 'member control plane service with an invalid name',
    object: change(member, (o) => {
      o.spec.controlPlaneCloudService = 'Not_A_Name';
    }),
    field: 'spec.controlPlaneCloudService',
    message: 'lowercase',
  },
  // SovereignWorkload
  {
    name: 'workload for zero clusters',
    object: change(workload, (o) => {
      o.spec.placement.clusters = 0;
    }),
    field: 'spec.placement.clusters',
    message: 'at least 1',
  },
  {
    name: 'spread wider than clusters',
    object: change(workload, (o) => {
      o.spec.placement.spreadAcrossProviders = 3;
    }),
    field: 'spec.placement.spreadAcrossProviders',
    message: 'cannot exceed clusters',
  },
  {
    name: 'workload without manifests',
    object: change(workload, (o) => {
      o.spec.manifests = [];
    }),
    field: 'spec.manifests',
    message: 'at least one manifest',
  },
  {
    name: 'workload with a fractional cluster count',
    object: change(workload, (o) => {
      o.spec.placement.clusters = 1.5;
    }),
    field: 'spec.placement.clusters',
    message: 'int',
  },
];
