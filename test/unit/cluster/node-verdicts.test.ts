import { describe, expect, it } from 'vitest';
import type { CloudService } from '../../../src/api/index.ts';
import { derive } from '../../../src/cluster/facts.ts';
import {
  NOT_CONFORMING_SINCE_PREFIX,
  type NodeVerdictPlan,
  nodeNotConformingSince,
  notConformingSinceAnnotation,
  planNodeVerdicts,
} from '../../../src/cluster/node-verdicts.ts';
import type { NodeObject } from '../../../src/cluster/objects.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { badge, DAY, HOUR, iso, service, T0 } from '../domain/fixtures.ts';
import { clusterState, nodeObject, policyObject } from './fixtures.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const RES_EU = verdictLabelKey('Resilient', 'eu');
const LEAD = 24 * HOUR; // the default expiryLeadTime
const SOV_EU_REVOKED = notConformingSinceAnnotation({ badges: ['Sovereign'], area: 'eu' }, LEAD);

const sov = service('sov');
const revokedSov = service('sov', { badges: [badge({ revokedAt: iso(T0 - HOUR) })] });
const nord = service('nord', { jurisdiction: 'FI', badges: [badge(), badge({ type: 'Resilient' })] });
const cheap = service('cheap', { badges: [] });

interface World {
  node: NodeObject;
  services?: CloudService[];
  policies?: Record<string, unknown>[];
  now?: number;
}

function planFor({
  node,
  services = [sov, nord, cheap],
  policies = [policyObject('sov-all')],
  now = T0,
}: World) {
  const derived = derive(clusterState({ nodes: [node], services, policies }), now);
  expect(derived.invalid).toEqual([]);
  return planNodeVerdicts(node, derived);
}

/** Applies a plan's JSON merge patch to the node, as the API server does. */
function applyPatch(node: NodeObject, plan: NodeVerdictPlan): NodeObject {
  if (!plan.patch) return node;
  const merge = (current: Record<string, string> = {}, patch: Record<string, string | null>) => {
    const out = { ...current };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = v;
    }
    return out;
  };
  return {
    ...node,
    metadata: {
      ...node.metadata,
      labels: merge(node.metadata.labels, plan.patch.metadata.labels),
      annotations: merge(node.metadata.annotations, plan.patch.metadata.annotations),
    },
  };
}

const withLabels = (node: NodeObject, labels: Record<string, string>): NodeObject => ({
  ...node,
  metadata: { ...node.metadata, labels: { ...node.metadata.labels, ...labels } },
});

describe('planNodeVerdicts: labels', () => {
  it('adds the label of each conforming pair in use, valued with its assurance, and says why', () => {
    const plan = planFor({ node: nodeObject('nord-1', { service: 'nord', country: 'FI' }) });
    // Resilient/eu is held too, but no policy uses it.
    expect(plan.patch).toEqual({
      metadata: { labels: { [SOV_EU]: 'ThirdPartyCertified' }, annotations: {} },
    });
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ key: SOV_EU, granted: true });
    expect(plan.changes[0]?.sentence).toMatch(/^Node nord-1 conforms to /);
  });

  it('labels every pair of a policy accepting several badges', () => {
    const plan = planFor({
      node: nodeObject('nord-1', { service: 'nord', country: 'FI' }),
      policies: [policyObject('any', { requirement: { badges: ['Sovereign', 'Resilient'], area: 'eu' } })],
    });
    expect(plan.patch?.metadata.labels).toEqual({
      [RES_EU]: 'ThirdPartyCertified',
      [SOV_EU]: 'ThirdPartyCertified',
    });
    expect(plan.changes.map((c) => [c.key, c.granted])).toEqual([
      [RES_EU, true],
      [SOV_EU, true],
    ]);
  });

  it('gives no patch when the labels are already right', () => {
    const node = withLabels(nodeObject('sov-1', { service: 'sov' }), { [SOV_EU]: 'ThirdPartyCertified' });
    const plan = planFor({ node });
    expect(plan.patch).toBeNull();
    expect(plan.changes).toEqual([]);
  });

  it('corrects a label with the wrong value', () => {
    const node = withLabels(nodeObject('sov-1', { service: 'sov' }), { [SOV_EU]: 'SelfDeclared' });
    const plan = planFor({ node });
    expect(plan.patch?.metadata.labels).toEqual({ [SOV_EU]: 'ThirdPartyCertified' });
  });

  it('removes the label when the badge is revoked, and says why', () => {
    const node = withLabels(nodeObject('sov-1', { service: 'sov' }), { [SOV_EU]: 'ThirdPartyCertified' });
    const plan = planFor({ node, services: [revokedSov] });
    expect(plan.patch).toEqual({
      metadata: { labels: { [SOV_EU]: null }, annotations: { [SOV_EU_REVOKED]: iso(T0) } },
    });
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ key: SOV_EU, granted: false });
    expect(plan.changes[0]?.sentence).toMatch(/^Node sov-1 does not conform to /);
    expect(plan.changes[0]?.sentence).toContain('revoked');
  });

  it('removes a stale verdict label that no policy uses and never touches other labels', () => {
    const node = withLabels(nodeObject('nord-1', { service: 'nord', country: 'FI' }), {
      [RES_EU]: 'ThirdPartyCertified',
      [SOV_EU]: 'ThirdPartyCertified',
      'example.com/team': 'ledger',
    });
    const plan = planFor({ node });
    expect(plan.patch).toEqual({ metadata: { labels: { [RES_EU]: null }, annotations: {} } });
    // No sentence for a pair that no policy uses.
    expect(plan.changes).toEqual([]);
  });

  it('uses the longest lead time among the policies naming a pair', () => {
    const expiring = service('sov', { badges: [badge({ validUntil: iso(T0 + 10 * DAY) })] });
    const node = withLabels(nodeObject('sov-1', { service: 'sov' }), { [SOV_EU]: 'ThirdPartyCertified' });
    const short = policyObject('short', { failover: { expiryLeadTime: '1h' } });
    const long = policyObject('long', { failover: { expiryLeadTime: '720h' } }, 'other');

    const shortOnly = planFor({ node, services: [expiring], policies: [short] });
    expect(shortOnly.patch).toBeNull();
    expect(shortOnly.nextTransitionAt).toBe(T0 + 10 * DAY - HOUR);

    const both = planFor({ node, services: [expiring], policies: [short, long] });
    expect(both.patch?.metadata.labels).toEqual({ [SOV_EU]: null });
    expect(both.changes[0]?.sentence).toContain('expires');
    // The same whichever policy comes first.
    const reversed = planFor({ node, services: [expiring], policies: [long, short] });
    expect(reversed.patch?.metadata.labels).toEqual({ [SOV_EU]: null });
  });

  it('plans nothing for a node it has no target for', () => {
    const derived = derive(clusterState({ services: [sov], policies: [policyObject('sov-all')] }), T0);
    expect(planNodeVerdicts(nodeObject('unknown', { service: 'sov' }), derived)).toEqual({
      patch: null,
      changes: [],
      disagreements: [],
      nextTransitionAt: null,
    });
  });

  it('reports informational labels that disagree with the trusted facts', () => {
    const node = nodeObject('sov-1', {
      service: 'sov',
      country: 'FR',
      labels: { 'sovereign-placement.io/country': 'DE', 'sovereign-placement.io/provider': 'sov' },
    });
    const plan = planFor({ node });
    expect(plan.disagreements.map((d) => [d.label, d.value, d.factValue])).toEqual([
      ['sovereign-placement.io/country', 'DE', 'FR'],
    ]);
  });

  it('gives the next instant a verdict can change', () => {
    const expiring = service('sov', { badges: [badge({ validUntil: iso(T0 + 10 * DAY) })] });
    const plan = planFor({ node: nodeObject('sov-1', { service: 'sov' }), services: [expiring] });
    // validUntil minus the default 24h lead time.
    expect(plan.nextTransitionAt).toBe(T0 + 9 * DAY);
    const none = planFor({ node: nodeObject('sov-1', { service: 'sov' }), policies: [] });
    expect(none.nextTransitionAt).toBeNull();
  });
});

describe('planNodeVerdicts: the not-conforming-since annotation', () => {
  it('is set when a requirement in use stops being met, kept after, and removed when it is met again', () => {
    let node = withLabels(nodeObject('sov-1', { service: 'sov' }), { [SOV_EU]: 'ThirdPartyCertified' });

    const revoked = planFor({ node, services: [revokedSov], now: T0 });
    expect(revoked.patch?.metadata.annotations).toEqual({ [SOV_EU_REVOKED]: iso(T0) });
    node = applyPatch(node, revoked);
    expect(node.metadata.labels?.[SOV_EU]).toBeUndefined();
    expect(nodeNotConformingSince(node, { badges: ['Sovereign'], area: 'eu' }, LEAD)).toBe(T0);

    // Later plans keep the first instant: no patch at all.
    const later = planFor({ node, services: [revokedSov], now: T0 + HOUR });
    expect(later.patch).toBeNull();

    // Recertified: the label comes back and the annotation goes.
    const restored = planFor({ node, services: [sov], now: T0 + 2 * HOUR });
    expect(restored.patch).toEqual({
      metadata: { labels: { [SOV_EU]: 'ThirdPartyCertified' }, annotations: { [SOV_EU_REVOKED]: null } },
    });
    expect(restored.changes.map((c) => [c.key, c.granted])).toEqual([[SOV_EU, true]]);
    node = applyPatch(node, restored);
    expect(node.metadata.annotations).toEqual({});
    expect(planFor({ node, services: [sov], now: T0 + 3 * HOUR }).patch).toBeNull();
  });

  it('is stamped on a node that never met a requirement in use (first seen not conforming)', () => {
    const plan = planFor({ node: nodeObject('cheap-1', { service: 'cheap' }) });
    expect(plan.patch).toEqual({ metadata: { labels: {}, annotations: { [SOV_EU_REVOKED]: iso(T0) } } });
    expect(plan.changes).toEqual([]);
  });

  it('is stamped per requirement, whatever the verdict labels say', () => {
    const node = nodeObject('sov-1', { service: 'sov' });
    const plan = planFor({
      node,
      policies: [
        policyObject('any', { requirement: { badges: ['Sovereign', 'Resilient'], area: 'eu' } }),
        policyObject('all', {
          requirement: { badges: ['Sovereign', 'Resilient'], area: 'eu', badgeMatch: 'AllOf' },
        }),
      ],
    });
    // sov holds only the Sovereign badge: AnyOf is met, AllOf is not.
    expect(plan.patch).toEqual({
      metadata: {
        labels: { [SOV_EU]: 'ThirdPartyCertified' },
        annotations: {
          [notConformingSinceAnnotation(
            { badges: ['Sovereign', 'Resilient'], area: 'eu', badgeMatch: 'AllOf' },
            LEAD,
          )]: iso(T0),
        },
      },
    });
  });

  it('is stamped for a requirement that fails only on its minimum assurance, while the label stays', () => {
    const selfDeclared = service('self', {
      badges: [badge({ assurance: 'SelfDeclared', certifiedBy: undefined })],
    });
    const node = withLabels(nodeObject('self-1', { service: 'self' }), { [SOV_EU]: 'SelfDeclared' });
    const plan = planFor({
      node,
      services: [selfDeclared],
      policies: [
        policyObject('certified', {
          requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
        }),
      ],
    });
    const key = notConformingSinceAnnotation(
      { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
      LEAD,
    );
    // The label (valued SelfDeclared, which the policy's affinity does not accept) stays as it is.
    expect(plan.patch).toEqual({ metadata: { labels: {}, annotations: { [key]: iso(T0) } } });
    expect(plan.changes).toEqual([]);
  });

  it('differs by lead time, so each policy counts its grace from when it stopped being met', () => {
    expect(notConformingSinceAnnotation({ badges: ['Sovereign'], area: 'eu' }, HOUR)).not.toBe(
      SOV_EU_REVOKED,
    );
    // Same requirement written two ways: same stamp.
    expect(
      notConformingSinceAnnotation(
        { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'SelfDeclared' },
        LEAD,
      ),
    ).toBe(SOV_EU_REVOKED);
  });

  it('is removed when no policy uses the requirement any more, with or without a label', () => {
    const labelled = nodeObject('sov-1', {
      service: 'sov',
      labels: { [SOV_EU]: 'ThirdPartyCertified' },
      annotations: { [SOV_EU_REVOKED]: iso(T0 - DAY) },
    });
    expect(planFor({ node: labelled, policies: [] }).patch).toEqual({
      metadata: { labels: { [SOV_EU]: null }, annotations: { [SOV_EU_REVOKED]: null } },
    });
    const bare = nodeObject('cheap-1', {
      service: 'cheap',
      annotations: { [SOV_EU_REVOKED]: iso(T0 - 30 * DAY) },
    });
    expect(planFor({ node: bare, policies: [] }).patch).toEqual({
      metadata: { labels: {}, annotations: { [SOV_EU_REVOKED]: null } },
    });
  });

  it('removes annotations of the earlier per-label scheme, and leaves others alone', () => {
    const node = nodeObject('cheap-1', {
      service: 'cheap',
      annotations: {
        [SOV_EU_REVOKED]: iso(T0 - DAY),
        'sovereign-placement.io/revoked.sp.sovereign.eu': iso(T0 - DAY),
        'example.com/owner': 'ops',
      },
    });
    expect(planFor({ node }).patch).toEqual({
      metadata: { labels: {}, annotations: { 'sovereign-placement.io/revoked.sp.sovereign.eu': null } },
    });
  });
});

describe('nodeNotConformingSince', () => {
  it('reads the stamp of exactly that requirement and lead time', () => {
    const node = nodeObject('n', {
      annotations: {
        [SOV_EU_REVOKED]: iso(T0 - 2 * HOUR),
        [notConformingSinceAnnotation({ badges: ['Resilient'], area: 'eu' }, LEAD)]: iso(T0 - HOUR),
      },
    });
    expect(nodeNotConformingSince(node, { badges: ['Sovereign'], area: 'eu' }, LEAD)).toBe(T0 - 2 * HOUR);
    expect(nodeNotConformingSince(node, { badges: ['Resilient'], area: 'eu' }, LEAD)).toBe(T0 - HOUR);
    expect(nodeNotConformingSince(node, { badges: ['Sovereign'], area: 'eu' }, HOUR)).toBeUndefined();
    expect(nodeNotConformingSince(node, { badges: ['Sovereign'], area: 'fr' }, LEAD)).toBeUndefined();
  });

  it('is undefined without the annotation or when it does not parse', () => {
    expect(
      nodeNotConformingSince(nodeObject('bare'), { badges: ['Sovereign'], area: 'eu' }, LEAD),
    ).toBeUndefined();
    const garbled = nodeObject('g', { annotations: { [SOV_EU_REVOKED]: 'yesterday' } });
    expect(nodeNotConformingSince(garbled, { badges: ['Sovereign'], area: 'eu' }, LEAD)).toBeUndefined();
  });

  it('names the annotation under the operator group, short enough for an annotation key', () => {
    expect(SOV_EU_REVOKED.startsWith(NOT_CONFORMING_SINCE_PREFIX)).toBe(true);
    expect(SOV_EU_REVOKED.split('/')[1]!.length).toBeLessThanOrEqual(63);
  });
});
