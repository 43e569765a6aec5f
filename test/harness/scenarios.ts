// End-to-end scenarios shared by several test files (the e2e suite, and the RBAC test that runs the
// operator with only the chart's permissions).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { verdictLabelKey } from '../../src/domain/verdict-labels.ts';
import { waitFor } from './net.ts';
import {
  applyPolicy,
  condition,
  createDeployment,
  nodeNames,
  readPolicy,
  waitForRunningPods,
} from './world.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');

/**
 * Scenario 1: an Enforce policy for Sovereign/eu at ThirdPartyCertified; verdict labels appear on the
 * sovereign provider's nodes only, and a Deployment of 6 replicas lands only there, ungated and pinned.
 * Returns the policy once its status counts the 6 conforming pods.
 */
export async function sovereignPlacementScenario(kc: KubeConfig): Promise<any> {
  const labelsOf = async (name: string) =>
    (await kc.makeApiClient(CoreV1Api).readNode({ name })).metadata?.labels ?? {};
  await applyPolicy(kc, 'ledger', {
    selector: { matchLabels: { app: 'ledger' } },
    requirement: { badges: ['Sovereign'], area: 'eu', minimumAssurance: 'ThirdPartyCertified' },
  });
  await waitFor(
    'verdict labels on the sovereign nodes',
    async () => (await labelsOf('sov-1'))[SOV_EU] === 'ThirdPartyCertified',
  );
  expect((await labelsOf('sov-2'))[SOV_EU]).toBe('ThirdPartyCertified');
  expect((await labelsOf('res-1'))[SOV_EU]).toBeUndefined();
  expect((await labelsOf('cheap-1'))[SOV_EU]).toBeUndefined();

  await createDeployment(kc, 'ledger', 6, { app: 'ledger' });
  const pods = await waitForRunningPods(kc, 'app=ledger', 6);
  expect(nodeNames(pods)).toEqual(['sov-1', 'sov-2']);
  for (const pod of pods) {
    expect(pod.spec?.schedulingGates ?? []).toEqual([]);
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    expect(terms?.[0]?.matchExpressions?.[0]?.key).toBe(SOV_EU);
  }
  const policy = await waitFor('policy status', async () => {
    const p = await readPolicy(kc, 'ledger');
    return p.status?.conformingPods === 6 ? p : undefined;
  });
  expect(condition(policy, 'Ready')?.status).toBe('True');
  expect(condition(policy, 'Conforming')?.status).toBe('True');
  expect(condition(policy, 'CapacityAvailable')?.status).toBe('True');
  return policy;
}
