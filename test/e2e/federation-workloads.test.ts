// SovereignWorkloads placed and failed over by the hub, on real control planes: a hub and three
// members, each its own kube-apiserver with kube-controller-manager, kube-scheduler and KWOK nodes, so
// that a Deployment applied to a member really becomes Available there. The hub runs with the chart's
// permissions; on members it uses exactly those of deploy/member/rbac.yaml. Members use the default
// probe settings and grace period, so the failover times printed are those of a default install.
//
// paris (eurocloud-sovereign, EuroCloud) and berlin (nordcloud-sovereign, NordCloud) conform to
// Sovereign/eu; frankfurt (globalcloud-frankfurt) holds only a Resilient badge and never conforms.
// Times are printed, never asserted.
import { createServer, type Server } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeRequest } from '../../src/kube/request.ts';
import type { TestCluster } from '../harness/cluster.ts';
import {
  API,
  activeMembers as active,
  availableOn,
  type Condition,
  workloadCondition as conditionOf,
  copiesOn as copiesOnMember,
  createWorkload as create,
  createMember,
  createSecret,
  memberKubeconfigText,
  NORDCLOUD,
  readWorkload as read,
  registerMember,
  setSovereignBadge as setBadge,
  startHub,
  startMember,
  type WorkloadObject,
} from '../harness/federation.ts';
import { waitFor } from '../harness/net.ts';
import type { OperatorProcess } from '../harness/operator.ts';
import { APP_NAMESPACE, RESILIENT, SOVEREIGN } from '../harness/world.ts';
import { kubectl } from '../integration/install/support.ts';

let hub: TestCluster;
let hubKc: KubeConfig;
const members = new Map<string, TestCluster>();
let operator: OperatorProcess;
let blackhole: Server | undefined;

const member = (name: string) => members.get(name) as TestCluster;
const readWorkload = (name: string) => read(hubKc, name);
const createWorkload = (name: string, clusters: number, spread: number, manifests?: unknown[]) =>
  create(hubKc, name, clusters, spread, manifests);
const setSovereignBadge = (service: string, validUntil: string) => setBadge(hubKc, service, validUntil);
const copiesOn = (name: string, uid: string) => copiesOnMember(member(name), uid);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function waitForWorkload(
  description: string,
  name: string,
  check: (w: WorkloadObject) => boolean,
  timeoutMs = 180_000,
): Promise<WorkloadObject> {
  let last: WorkloadObject | undefined;
  try {
    return await waitFor(
      `${name}: ${description}`,
      async () => {
        last = await readWorkload(name);
        return check(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    // What the hub last wrote is the first thing to read when a scenario times out.
    throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

/** Members holding a copy of the workload now (a member that does not answer counts as unknown, not as one). */
async function holders(uid: string, among = ['paris', 'berlin', 'frankfurt']): Promise<string[]> {
  const found: string[] = [];
  for (const name of among) {
    const copies = await copiesOn(name, uid).catch(() => []);
    if (copies.length > 0) found.push(name);
  }
  return found;
}

beforeAll(async () => {
  for (const name of ['paris', 'berlin', 'frankfurt']) members.set(name, await startMember(name, 'swl'));
  ({ hub, kc: hubKc, operator } = await startHub('swl'));
  await registerMember(hubKc, 'paris', member('paris'), { cloudService: SOVEREIGN });
  await registerMember(hubKc, 'berlin', member('berlin'), { cloudService: NORDCLOUD, country: 'DE' });
  await registerMember(hubKc, 'frankfurt', member('frankfurt'), { cloudService: RESILIENT, country: 'DE' });
  await waitFor(
    'three members Ready',
    async () => {
      const list = await kubeRequest<{ items: { status?: { conditions?: Condition[] } }[] }>(hubKc, {
        path: `${API}/memberclusters`,
      });
      return (
        list.items.filter((m) => m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          .length === 3
      );
    },
    { timeoutMs: 120_000 },
  );
}, 600_000);

afterAll(async () => {
  await operator?.stop();
  blackhole?.close();
  for (const m of members.values()) await m.stop();
  await hub?.stop();
});

describe('SovereignWorkloads on a hub with three members', () => {
  it('1. a workload of 2 clusters across 2 providers lands on exactly the 2 conforming members; the third is rejected with reasons', async () => {
    const created = Date.now();
    const { metadata } = await createWorkload('ledger', 2, 2);
    const w = await waitForWorkload(
      'Available on paris and berlin',
      'ledger',
      availableOn('paris', 'berlin'),
    );
    console.log(`ledger Available on 2 members ${seconds(Date.now() - created)} after its creation`);
    expect(conditionOf(w, 'Ready')).toMatchObject({ status: 'True', reason: 'Placed' });
    expect(conditionOf(w, 'CapacityAvailable')).toMatchObject({
      status: 'True',
      reason: 'ConformingCapacity',
    });
    expect(new Set((w.status?.placements ?? []).map((p) => p.provider))).toEqual(
      new Set(['EuroCloud SAS', 'NordCloud GmbH']),
    );
    const rejected = w.status?.rejected ?? [];
    expect(rejected.map((r) => r.cluster)).toEqual(['frankfurt']);
    const codes = rejected[0]?.reasons.map((r) => r.code) ?? [];
    console.log(`frankfurt rejected: ${rejected[0]?.reasons.map((r) => r.message).join(' ')}`);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes).not.toContain('NotSelected');
    expect(await holders(metadata.uid)).toEqual(['paris', 'berlin']);
    expect(await copiesOn('paris', metadata.uid)).toEqual(['ledger']);
    // The hub labels and annotates what it applies, and created the namespace on the member.
    const copy = await kubeRequest<{ metadata: { annotations?: Record<string, string> } }>(
      member('berlin').adminKubeConfig(),
      { path: `/apis/apps/v1/namespaces/${APP_NAMESPACE}/deployments/ledger` },
    );
    expect(copy.metadata.annotations?.['sovereign-placement.io/workload']).toBe(`${APP_NAMESPACE}/ledger`);
    const table = await kubectl(['get', 'swl', '-n', APP_NAMESPACE], hub);
    console.log(`kubectl get swl\n${table.stdout}`);
  });

  it('3 and 5. a badge nearing expiry moves the workload before it lapses, make before break; the hub is killed mid-failover and completes it', async () => {
    const { metadata } = await createWorkload('api', 1, 1);
    // Placed on berlin: of the conforming members, the first by name.
    await waitForWorkload('Available on berlin', 'api', availableOn('berlin'));
    // Sample the members all along: never more than the old and the new copy.
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, (await holders(metadata.uid, ['paris', 'berlin'])).length);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const expiresAt = new Date(Date.now() + 30 * 60_000).toISOString();
    const patchedAt = Date.now();
    await setSovereignBadge(NORDCLOUD, expiresAt);
    const leaving = await waitForWorkload('leaving berlin', 'api', (w) =>
      (w.status?.placements ?? []).some((p) => p.cluster === 'berlin' && p.state === 'Leaving'),
    );
    expect(leaving.status?.placements?.find((p) => p.cluster === 'berlin')?.reason?.message).toContain(
      'expires within the expiry lead time',
    );
    // The decision is in status: the hub dies before it can act on it, and a new process carries it out.
    await operator.kill();
    const killedAt = Date.now();
    await operator.resume();
    console.log(
      `hub killed with SIGKILL ${seconds(killedAt - patchedAt)} after the badge change; restarted in ${seconds(Date.now() - killedAt)}`,
    );
    const moved = await waitForWorkload('Available on paris only', 'api', availableOn('paris'));
    console.log(
      `badge within its lead time: api moved to paris ${seconds(Date.now() - patchedAt)} after the change (hub restart included), before the badge lapses at ${expiresAt}`,
    );
    sampling = false;
    await sampler;
    expect(most).toBeLessThanOrEqual(2);
    expect(await holders(metadata.uid)).toEqual(['paris']);
    expect(moved.status?.placements).toHaveLength(1);
    // ledger (2 clusters, 2 providers) has no replacement for berlin: the copy there stays (make before
    // break), and the workload says why.
    const ledger = await waitForWorkload(
      'leaving berlin, no capacity',
      'ledger',
      (w) => conditionOf(w, 'CapacityAvailable')?.status === 'False',
    );
    expect(ledger.status?.placements?.find((p) => p.cluster === 'berlin')?.state).toBe('Leaving');
    expect(await holders(ledger.metadata.uid)).toEqual(['paris', 'berlin']);
    await setSovereignBadge(NORDCLOUD, '2028-01-01T00:00:00Z');
    await waitForWorkload('ledger on both again', 'ledger', availableOn('paris', 'berlin'));
  });

  it('2. a member whose API server stops: the workload is Available on the remaining conforming member; when it returns, its copy is removed', async () => {
    const { metadata } = await readWorkload('api');
    const stoppedAt = await member('paris').stopProcess('kube-apiserver');
    const moved = await waitForWorkload(
      'Available on berlin',
      'api',
      (w) => conditionOf(w, 'Available')?.status === 'True' && active(w).join() === 'berlin',
    );
    const failover = Date.now() - stoppedAt;
    console.log(
      `paris's API server stopped: api Available on berlin after ${seconds(failover)} (default probes and grace)`,
    );
    const leaving = moved.status?.placements?.find((p) => p.cluster === 'paris');
    expect(leaving).toMatchObject({ state: 'Leaving', reason: { code: 'LeavingMemberCluster' } });
    expect(leaving?.reason?.message).toContain('unreachable');
    // ledger (2 clusters) has no conforming replacement for paris: it says so and keeps berlin.
    const ledger = await waitForWorkload(
      'no capacity for 2',
      'ledger',
      (w) => conditionOf(w, 'CapacityAvailable')?.status === 'False',
    );
    expect(conditionOf(ledger, 'CapacityAvailable')?.reason).toBe('NoConformingCapacity');
    expect(active(ledger)).toContain('berlin');
    expect(await copiesOn('frankfurt', metadata.uid)).toEqual([]);

    const startedAt = await member('paris').startProcess('kube-apiserver');
    await waitFor(
      'api copy removed from paris',
      async () => (await copiesOn('paris', metadata.uid)).length === 0,
      { timeoutMs: 120_000 },
    );
    console.log(`paris serving again: its copy of api removed after ${seconds(Date.now() - startedAt)}`);
    await waitForWorkload('api only on berlin', 'api', availableOn('berlin'));
    await waitForWorkload('ledger back on paris and berlin', 'ledger', availableOn('paris', 'berlin'));
    expect(await holders(metadata.uid)).toEqual(['berlin']);
  });

  it('4. only non-conforming members remain: nothing is placed on them; condition, Event and metric say why; copies are removed (onNoConformingCapacity Evict)', async () => {
    const ledger = await readWorkload('ledger');
    const past = new Date(Date.now() - 60_000).toISOString();
    const expiredAt = Date.now();
    await setSovereignBadge(SOVEREIGN, past);
    await setSovereignBadge(NORDCLOUD, past);
    const w = await waitForWorkload(
      'no capacity and no copy',
      'ledger',
      (x) =>
        conditionOf(x, 'CapacityAvailable')?.status === 'False' && (x.status?.placements ?? []).length === 0,
    );
    console.log(
      `both Sovereign badges expired: ledger's copies removed from both members and CapacityAvailable=False after ${seconds(Date.now() - expiredAt)}`,
    );
    expect(conditionOf(w, 'CapacityAvailable')?.message).toContain('No member cluster conforms');
    expect(conditionOf(w, 'Available')?.status).toBe('False');
    expect(await holders(ledger.metadata.uid)).toEqual([]);
    const events = await kubeRequest<{
      items: { reason: string; message: string; involvedObject: { name: string } }[];
    }>(hubKc, { path: `/api/v1/namespaces/${APP_NAMESPACE}/events` });
    expect(
      events.items.some((e) => e.involvedObject.name === 'ledger' && e.reason === 'NoConformingCapacity'),
    ).toBe(true);
    expect(
      await operator.metric('sovereign_placement_workloads_without_conforming_capacity'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await operator.metric('sovereign_placement_cluster_failovers_total', { reason: 'NotConforming' }),
    ).toBeGreaterThanOrEqual(1);

    await setSovereignBadge(SOVEREIGN, '2028-01-01T00:00:00Z');
    await setSovereignBadge(NORDCLOUD, '2028-01-01T00:00:00Z');
    await waitForWorkload('placed again', 'ledger', availableOn('paris', 'berlin'));
  });

  it('6. a broken kubeconfig Secret, a member that never answers and manifests a member rejects: clear conditions, no crash, other workloads unaffected', async () => {
    // A member whose "API server" accepts connections and never answers.
    const server = createServer(() => undefined);
    blackhole = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const silent = (await memberKubeconfigText(member('paris'))).replace(
      /server: .*/,
      `server: https://127.0.0.1:${port}`,
    );
    await createSecret(hubKc, 'member-silent', silent);
    await createMember(hubKc, 'silent', { cloudService: SOVEREIGN });
    await createSecret(hubKc, 'member-broken', 'clusters: [this is not a kubeconfig');
    await createMember(hubKc, 'broken', { cloudService: SOVEREIGN });
    // A Job: deploy/member/rbac.yaml does not grant batch, so every member refuses it.
    await createWorkload('batch', 1, 1, [
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'nightly' },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'job', image: 'registry.example.eu/job:1' }],
            },
          },
        },
      },
    ]);
    const submittedAt = Date.now();
    const refused = await waitForWorkload(
      'ApplyFailed',
      'batch',
      (w) => conditionOf(w, 'Ready')?.reason === 'ApplyFailed',
    );
    const ready = conditionOf(refused, 'Ready');
    console.log(
      `batch refused by its member, reported after ${seconds(Date.now() - submittedAt)}: ${ready?.message}`,
    );
    expect(ready?.message).toMatch(/^Member (berlin|paris): Job nightly: 403/);
    const placement = refused.status?.placements?.[0];
    expect(placement?.message).toContain('forbidden');

    const members = await waitFor(
      'silent and broken not Ready',
      async () => {
        const list = await kubeRequest<{
          items: { metadata: { name: string }; status?: { conditions?: Condition[] } }[];
        }>(hubKc, { path: `${API}/memberclusters` });
        const reason = (name: string) =>
          list.items
            .find((m) => m.metadata.name === name)
            ?.status?.conditions?.find((c) => c.type === 'Reachable')?.reason;
        return reason('broken') === 'KubeconfigInvalid' && reason('silent') === 'ProbeFailed'
          ? list
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(members.items).toHaveLength(5);
    // The other workloads are unaffected, and no copy went to the members that do not answer.
    const ledger = await waitForWorkload('still Available', 'ledger', availableOn('paris', 'berlin'));
    expect(ledger.status?.rejected?.map((r) => r.cluster).sort()).toEqual(['broken', 'frankfurt', 'silent']);
    expect(operator.running).toBe(true);
  });

  it('deleting a workload removes its copies from every member before it goes', async () => {
    const { metadata } = await readWorkload('ledger');
    expect(metadata.finalizers).toContain('sovereign-placement.io/member-cleanup');
    await kubeRequest(hubKc, {
      method: 'DELETE',
      path: `${API}/namespaces/${APP_NAMESPACE}/sovereignworkloads/ledger`,
    });
    await waitFor(
      'ledger gone from the hub',
      async () => {
        try {
          await readWorkload('ledger');
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 60_000 },
    );
    expect(await holders(metadata.uid)).toEqual([]);
  });
});
