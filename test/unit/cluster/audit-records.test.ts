import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_SCHEMA_VERSION, auditRecord, auditRecordJsonSchema } from '../../../src/api/audit.ts';
import { podMutation } from '../../../src/cluster/admission/pod-mutation.ts';
import {
  auditEvidence,
  capacityRecord,
  pinnedRecords,
  podRecord,
  verdictRecord,
} from '../../../src/cluster/audit-records.ts';
import { derive } from '../../../src/cluster/facts.ts';
import { planNodeVerdicts } from '../../../src/cluster/node-verdicts.ts';
import { badge, DAY, iso, service, T0 } from '../domain/fixtures.ts';
import { clusterState, euArea, NS, nodeObject, policy, policyObject } from './fixtures.ts';

const ROOT = join(import.meta.dirname, '../../..');
const stamp = { schema: AUDIT_SCHEMA_VERSION, operatorVersion: '0.1.0' } as const;
const certified = { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' };
const sov = service('sov', {
  provider: 'EuroCloud',
  badges: [
    badge({ validUntil: iso(T0 + 10 * DAY), evidenceRef: 'https://example.eu/cert/42', certifiedBy: 'CAB' }),
    badge({ type: 'Resilient' }),
  ],
});

describe('the audit record schema', () => {
  it('docs/audit-record.schema.json is generated from src/api/audit.ts (run scripts/audit-schema.ts)', () => {
    const file = JSON.parse(readFileSync(join(ROOT, 'docs/audit-record.schema.json'), 'utf8'));
    expect(file).toEqual(auditRecordJsonSchema());
    expect(file.properties.schema.const).toBe('sovereign-placement.io/audit/v1');
  });

  it('refuses unknown fields, another version and a record without reasons', () => {
    const good = {
      ...stamp,
      time: '2026-06-01T00:00:00.000Z',
      what: 'PodEvicted',
      object: { apiVersion: 'v1', kind: 'Pod', namespace: NS, name: 'a' },
      reasons: [],
      message: 'x',
    };
    expect(auditRecord.safeParse(good).success).toBe(true);
    expect(auditRecord.safeParse({ ...good, extra: 1 }).success).toBe(false);
    expect(auditRecord.safeParse({ ...good, schema: 'sovereign-placement.io/audit/v2' }).success).toBe(false);
    const { reasons: _, ...noReasons } = good;
    expect(auditRecord.safeParse(noReasons).success).toBe(false);
    expect(auditRecord.safeParse({ ...good, what: 'Whatever' }).success).toBe(false);
  });
});

describe('audit records', () => {
  it('a verdict granted on a node carries the badge, assurance, certifying body, validity and evidence reference', () => {
    const node = nodeObject('sov-1', { service: 'sov' });
    const derived = derive(
      clusterState({
        policies: [policyObject('p', { requirement: certified })],
        services: [sov],
        areas: [euArea],
        nodes: [node],
      }),
      T0,
    );
    const plan = planNodeVerdicts(node, derived);
    const change = plan.changes.find((c) => c.granted);
    expect(change?.facts).toBeDefined();
    // The label's value is the assurance held: the sentence says so, not "at any assurance".
    expect(change?.sentence).toMatch(
      /^Node sov-1 conforms to the Sovereign badge for area eu at ThirdPartyCertified or higher\./,
    );
    const entry = verdictRecord({
      granted: true,
      uid: 'uid-sov-1',
      sentence: change?.sentence ?? '',
      at: T0,
      ...(change?.facts as NonNullable<typeof change>['facts'] & object),
    });
    expect(auditRecord.parse({ ...stamp, ...entry })).toEqual({ ...stamp, ...entry });
    expect(entry).toMatchObject({
      time: '2026-06-01T00:00:00Z',
      what: 'VerdictGranted',
      object: { apiVersion: 'v1', kind: 'Node', name: 'sov-1', uid: 'uid-sov-1' },
      requirement: {
        badges: ['Sovereign'],
        area: 'eu',
        minimumAssurance: 'ThirdPartyCertified',
        expiryLeadTime: '24h',
        sentence: 'the Sovereign badge for area eu at ThirdPartyCertified or higher',
      },
      conforms: true,
      reasons: [{ code: 'Conforming' }],
    });
    // Only the badges the requirement is about: not the Resilient one.
    expect(entry.evidence).toEqual({
      cloudService: 'sov',
      provider: 'EuroCloud',
      legalJurisdiction: expect.any(String),
      ultimateParentJurisdiction: expect.toBeOneOf([null, expect.any(String)]),
      badges: [
        {
          type: 'Sovereign',
          area: 'eu',
          assurance: 'ThirdPartyCertified',
          certifiedBy: 'CAB',
          validFrom: expect.any(String),
          validUntil: iso(T0 + 10 * DAY),
          revokedAt: null,
          evidenceRef: 'https://example.eu/cert/42',
        },
      ],
    });
  });

  it('a verdict revoked at expiry says BadgeExpired and what the node no longer has', () => {
    const node = nodeObject('sov-1', {
      service: 'sov',
      labels: { 'node-restriction.kubernetes.io/sp.sovereign.eu': 'ThirdPartyCertified' },
    });
    const derived = derive(
      clusterState({ policies: [policyObject('p')], services: [sov], areas: [euArea], nodes: [node] }),
      T0 + 10 * DAY,
    );
    const change = planNodeVerdicts(node, derived).changes.find((c) => !c.granted);
    expect(change?.facts).toBeDefined();
    const entry = verdictRecord({
      granted: false,
      sentence: change?.sentence ?? '',
      at: T0 + 10 * DAY,
      ...(change?.facts as object as NonNullable<NonNullable<typeof change>['facts']>),
    });
    expect(entry.what).toBe('VerdictRevoked');
    expect(entry.conforms).toBe(false);
    expect(entry.reasons.map((r) => r.code)).toContain('BadgeExpired');
    expect(auditRecord.safeParse({ ...stamp, ...entry }).success).toBe(true);
  });

  it('pod records name the policy, the node and its verdict; capacity records the policy', () => {
    const p = policy('ledger', { requirement: certified });
    const evicted = podRecord({
      what: 'PodEvicted',
      pod: { namespace: NS, name: 'a-1', uid: 'u1' },
      policy: p,
      leadTimeMs: DAY,
      node: { name: 'sov-1' },
      reasons: [{ code: 'NodeNotConforming', message: 'moved' }],
      message: 'moved',
      at: T0,
    });
    expect(evicted).toMatchObject({
      what: 'PodEvicted',
      object: { kind: 'Pod', namespace: NS, name: 'a-1', uid: 'u1' },
      by: { kind: 'SovereigntyPolicy', namespace: NS, name: 'ledger' },
      target: { kind: 'Node', name: 'sov-1' },
      evidence: null,
      reasons: [{ code: 'NodeNotConforming', message: 'moved' }],
    });
    expect(auditRecord.safeParse({ ...stamp, ...evicted }).success).toBe(true);
    const lost = capacityRecord({
      lost: true,
      policy: p,
      leadTimeMs: DAY,
      reasons: [],
      message: 'none',
      at: T0,
    });
    expect(lost).toMatchObject({
      what: 'CapacityLost',
      object: { kind: 'SovereigntyPolicy', name: 'ledger' },
    });
    expect(auditRecord.safeParse({ ...stamp, ...lost }).success).toBe(true);
    expect(auditEvidence(null, certified as never)).toBeNull();
  });

  it('PodPinned: one record per policy the mutation names, with the generateName of the pod', () => {
    const a = policy('a', { requirement: certified });
    const b = policy('b');
    const other = policy('a', {}, 'elsewhere');
    const pod = { metadata: { generateName: 'ledger-7d9f-', labels: { app: 'x' } }, spec: {} };
    const patch = Buffer.from(JSON.stringify(podMutation(pod as never, [a, b]))).toString('base64');
    const records = pinnedRecords({
      body: { request: { object: pod } },
      patch,
      namespace: NS,
      policies: [other, a, b],
      at: T0,
    });
    expect(
      records.map((r) => [r.what, r.by?.name, r.by?.namespace, r.requirement?.minimumAssurance]),
    ).toEqual([
      ['PodPinned', 'a', NS, 'ThirdPartyCertified'],
      ['PodPinned', 'b', NS, 'SelfDeclared'],
    ]);
    expect(records[0]?.object).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: NS,
      name: '',
      generateName: 'ledger-7d9f-',
    });
    for (const r of records) expect(auditRecord.safeParse({ ...stamp, ...r }).success).toBe(true);
    expect(
      pinnedRecords({ body: {}, patch: 'not base64 json', namespace: NS, policies: [a], at: T0 }),
    ).toEqual([]);
  });
});
