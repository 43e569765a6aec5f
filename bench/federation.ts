// Scenario 5 of `make bench`: a hub and three member control planes with the default probe settings and
// grace period; a SovereignWorkload of one cluster; the API server of the member running it is stopped.
// Measured per run: the loss to the member's Ready=False, to the workload Available on another member,
// and, once the lost member's API server serves again, to its copy removed.
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeRequest } from '../src/kube/request.ts';
import type { TestCluster } from '../test/harness/cluster.ts';
import {
  API,
  activeMembers,
  availableOn,
  copiesOn,
  createWorkload,
  NORDCLOUD,
  readWorkload,
  registerMember,
  startHub,
  startMember,
  workloadCondition,
} from '../test/harness/federation.ts';
import { waitFor } from '../test/harness/net.ts';
import type { OperatorProcess } from '../test/harness/operator.ts';
import { RESILIENT, SOVEREIGN } from '../test/harness/world.ts';

export interface FederationRun {
  /** The member whose API server was stopped. */
  lost: string;
  /** Stop to the member's Ready=False on the hub (s). */
  notReadyS: number;
  /** Stop to the workload Available on another conforming member (s). */
  availableElsewhereS: number;
  /** The lost member's API server serving again to its copy removed (s). */
  cleanedS: number;
}

const seconds = (from: number) => (Date.now() - from) / 1000;

async function memberReady(kc: KubeConfig, name: string): Promise<string | undefined> {
  const m = await kubeRequest<{ status?: { conditions?: { type: string; status: string }[] } }>(kc, {
    path: `${API}/memberclusters/${name}`,
  });
  return m.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

export async function federationRuns(runs: number, log: (line: string) => void): Promise<FederationRun[]> {
  const members = new Map<string, TestCluster>();
  let hub: TestCluster | undefined;
  let operator: OperatorProcess | undefined;
  try {
    for (const name of ['paris', 'berlin', 'frankfurt']) members.set(name, await startMember(name, 'bench'));
    const started = await startHub('bench');
    hub = started.hub;
    operator = started.operator;
    const kc = started.kc;
    const member = (name: string) => members.get(name) as TestCluster;
    await registerMember(kc, 'paris', member('paris'), { cloudService: SOVEREIGN });
    await registerMember(kc, 'berlin', member('berlin'), { cloudService: NORDCLOUD, country: 'DE' });
    await registerMember(kc, 'frankfurt', member('frankfurt'), { cloudService: RESILIENT, country: 'DE' });
    const { metadata } = await createWorkload(kc, 'api', 1, 1);
    const placed = await waitFor(
      'api placed and Available',
      async () => {
        const w = await readWorkload(kc, 'api');
        return workloadCondition(w, 'Available')?.status === 'True' ? w : undefined;
      },
      { timeoutMs: 180_000 },
    );
    let current = activeMembers(placed)[0] as string;
    const results: FederationRun[] = [];
    for (let i = 0; i < runs; i++) {
      const lost = current;
      const other = lost === 'paris' ? 'berlin' : 'paris';
      const stoppedAt = await member(lost).stopProcess('kube-apiserver');
      await waitFor(`${lost} Ready=False`, async () => (await memberReady(kc, lost)) === 'False', {
        timeoutMs: 180_000,
        intervalMs: 200,
      });
      const notReadyS = seconds(stoppedAt);
      await waitFor(
        `api Available on ${other}`,
        async () => {
          const w = await readWorkload(kc, 'api');
          return workloadCondition(w, 'Available')?.status === 'True' && activeMembers(w).join() === other;
        },
        { timeoutMs: 180_000, intervalMs: 200 },
      );
      const availableElsewhereS = seconds(stoppedAt);
      const servingAt = await member(lost).startProcess('kube-apiserver');
      await waitFor(
        `copy removed from ${lost}`,
        async () => (await copiesOn(member(lost), metadata.uid)).length === 0,
        { timeoutMs: 180_000, intervalMs: 200 },
      );
      const cleanedS = seconds(servingAt);
      // Settled before the next run: only on the other member, nothing leaving, the lost one Ready again.
      await waitFor('settled', async () => availableOn(other)(await readWorkload(kc, 'api')), {
        timeoutMs: 180_000,
      });
      await waitFor(`${lost} Ready again`, async () => (await memberReady(kc, lost)) === 'True', {
        timeoutMs: 180_000,
      });
      const run = { lost, notReadyS, availableElsewhereS, cleanedS };
      log(`federation run ${i + 1}: ${JSON.stringify(run)}`);
      results.push(run);
      current = other;
    }
    return results;
  } finally {
    await operator?.stop();
    for (const m of members.values()) await m.stop();
    await hub?.stop();
  }
}
