// Data residency of volumes on a real control plane (docs/architecture.md, "The path of a volume"): a
// StorageClass of a Sovereign storage service and one of a service without a badge, statically
// provisioned PersistentVolumes pinned to a country by the protected label, claims and pods.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION } from '../../src/api/group.ts';
import { SCHEDULING_GATE } from '../../src/cluster/admission/pod-mutation.ts';
import { binary } from '../harness/binaries.ts';
import { waitFor } from '../harness/net.ts';
import type { OperatorProcess } from '../harness/operator.ts';
import {
  APP_NAMESPACE,
  applyPolicy,
  condition,
  createClaim,
  createCloudService,
  createPodWithClaim,
  createStaticVolume,
  createStorageClass,
  operatorEvents,
  patchCloudService,
  readPolicy,
  sovereignBadge,
  startWorld,
  type World,
} from '../harness/world.ts';

const ROOT = join(import.meta.dirname, '../..');
const STORAGE = 'eurocloud-block';
const BUDGET = 'budget-disks';
let world: World | undefined;
let kc: KubeConfig;
let operator: OperatorProcess;
let kubeconfigPath: string;

const core = () => kc.makeApiClient(CoreV1Api);
const readPod = (name: string) => core().readNamespacedPod({ name, namespace: APP_NAMESPACE });
/** The API server's answer to a create, as the user sees it: its status code and message. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: { code?: number; body?: string }) => ({ code: e.code, message: JSON.parse(String(e.body)).message }),
  );

beforeAll(async () => {
  world = await startWorld({ name: 'data-residency' });
  ({ kc, operator } = world);
  const dir = mkdtempSync(join(tmpdir(), 'data-residency-'));
  kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kc.exportConfig());

  await createCloudService(kc, STORAGE, {
    description: 'Block storage of EuroCloud, operated from France.',
    provider: { name: 'EuroCloud SAS', legalJurisdiction: 'FR' },
    badges: [sovereignBadge('2028-01-01T00:00:00Z')],
    storage: { storageClasses: ['sovereign-block'] },
  });
  await createCloudService(kc, BUDGET, {
    description: 'Disks of a provider without a badge.',
    provider: { name: 'Budget Disks Inc', legalJurisdiction: 'US' },
    storage: { storageClasses: ['budget-disk'] },
  });
  await createStorageClass(kc, 'sovereign-block');
  await createStorageClass(kc, 'budget-disk');
  await createStaticVolume(kc, 'pv-ledger', {
    storageClass: 'sovereign-block',
    country: 'FR',
    claim: 'ledger-data',
  });
  await createStaticVolume(kc, 'pv-cache', {
    storageClass: 'budget-disk',
    country: 'FR',
    claim: 'shared-cache',
  });
  await applyPolicy(kc, 'ledger', {
    selector: { matchLabels: { app: 'ledger' } },
    requirement: { badges: ['Sovereign'], area: 'eu' },
  });
  // The operator has seen the policy and both storage services once it has written their status.
  await waitFor('policy and storage services reconciled', async () => {
    const policy = await readPolicy(kc, 'ledger');
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const services = await Promise.all(
      [STORAGE, BUDGET].map((name) =>
        objects.read({
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'CloudService',
          metadata: { name },
        } as never),
      ),
    );
    return condition(policy, 'Ready') && services.every((s: any) => s.status?.conditions) ? true : undefined;
  });
});
afterAll(async () => {
  await world?.stop();
});

describe('data residency of volumes', () => {
  it('refuses a claim the policy selects whose StorageClass belongs to a service without the badge, naming the field and the classes that would do', async () => {
    const refused = await refusal(
      createClaim(kc, 'ledger-scratch', {
        storageClass: 'budget-disk',
        volume: 'pv-none',
        labels: { app: 'ledger' },
      }),
    );
    console.log(`refused claim: ${refused?.code} ${refused?.message}`);
    expect(refused?.code).toBe(403);
    expect(refused?.message).toContain(
      'PersistentVolumeClaim payments/ledger-scratch names StorageClass "budget-disk" in spec.storageClassName, which does not conform: CloudService budget-disks holds no Sovereign badge for area eu.',
    );
    expect(refused?.message).toContain('StorageClasses that would do: sovereign-block.');
    expect(refused?.message).toContain('Enforce policy ledger selects it by its labels');
  });

  it('admits a claim of the conforming class; a pod mounting it is released from its gate and runs', async () => {
    await createClaim(kc, 'ledger-data', {
      storageClass: 'sovereign-block',
      volume: 'pv-ledger',
      labels: { app: 'ledger' },
    });
    await createPodWithClaim(kc, 'ledger-0', 'ledger-data', { app: 'ledger' });
    const pod = await waitFor('ledger-0 Running', async () => {
      const p = await readPod('ledger-0');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    expect(['sov-1', 'sov-2']).toContain(pod.spec?.nodeName);
    const claim = await core().readNamespacedPersistentVolumeClaim({
      name: 'ledger-data',
      namespace: APP_NAMESPACE,
    });
    expect(claim.status?.phase).toBe('Bound');
  });

  it('a pod mounting a claim bound to a non-conforming volume keeps its scheduling gate, with the reason', async () => {
    // Not selected by the policy (other labels): admitted, and bound to the volume of the uncertified service.
    await createClaim(kc, 'shared-cache', {
      storageClass: 'budget-disk',
      volume: 'pv-cache',
      labels: { app: 'cache' },
    });
    await createPodWithClaim(kc, 'ledger-1', 'shared-cache', { app: 'ledger' });
    const event = await waitFor('VolumeNotConforming Event on ledger-1', async () =>
      (await operatorEvents(kc, 'VolumeNotConforming')).find((e) => e.involvedObject.name === 'ledger-1'),
    );
    console.log(`held pod event: ${event.message}`);
    expect(event.message).toContain(
      'Pod ledger-1 mounts claim shared-cache, bound to volume pv-cache, which does not conform: CloudService budget-disks holds no Sovereign badge for area eu.',
    );
    expect(event.message).toContain('keeps its scheduling gate');
    // The Event is written after the decision to keep the gate: the pod is still gated and unscheduled.
    const pod = await readPod('ledger-1');
    expect(pod.spec?.schedulingGates?.map((g) => g.name)).toContain(SCHEDULING_GATE);
    expect(pod.spec?.nodeName).toBeUndefined();
  });

  it('when the storage service loses its badge: status, Events, metric and kubectl get spol show the volume, and nothing is evicted', async () => {
    const before = await readPod('ledger-0');
    const revokedAt = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    await patchCloudService(kc, STORAGE, {
      badges: [{ ...sovereignBadge('2028-01-01T00:00:00Z'), revokedAt }],
    });
    const policy = await waitFor('nonConformingVolumes 1', async () => {
      const p = await readPolicy(kc, 'ledger');
      return p.status?.nonConformingVolumes === 1 && condition(p, 'VolumesConform')?.status === 'False'
        ? p
        : undefined;
    });
    const volumes = condition(policy, 'VolumesConform');
    console.log(`VolumesConform: ${volumes?.reason} ${volumes?.message}`);
    expect(volumes?.reason).toBe('VolumesNotConforming');
    expect(volumes?.message).toContain(
      '1 volume of selected pods does not conform: volume pv-ledger (claim ledger-data) of pods ledger-0:',
    );
    expect(volumes?.message).toContain(`was revoked at ${revokedAt}`);
    expect(volumes?.message).toContain('Data cannot be evicted like a pod: the operator moves nothing');

    const event = await waitFor('VolumeNotConforming Event on the claim', async () =>
      (await operatorEvents(kc, 'VolumeNotConforming')).find(
        (e) => e.involvedObject.kind === 'PersistentVolumeClaim',
      ),
    );
    console.log(`claim event: ${event.message}`);
    expect(event.involvedObject.name).toBe('ledger-data');
    expect(event.message).toContain(
      'Policy payments/ledger: Pod ledger-0 mounts claim ledger-data, bound to volume pv-ledger',
    );

    expect(
      await operator.metric('sovereign_placement_policy_non_conforming_volumes', { policy: 'ledger' }),
    ).toBe(1);

    const get = spawnSync(
      binary('kubectl'),
      ['get', 'spol', '-n', APP_NAMESPACE, '--kubeconfig', kubeconfigPath],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    console.log(`kubectl get spol:\n${get.stdout}`);
    expect(get.status).toBe(0);
    const [header, row] = get.stdout.trim().split('\n');
    expect(header).toMatch(/NON-CONFORMING\s+NON-CONFORMING VOLUMES\s+READY/);
    expect(row).toMatch(/^ledger\s+Enforce\s+eu\s+2\s+0\s+1\s+True/);

    const explain = spawnSync(
      join(ROOT, 'bin/sovctl'),
      ['explain', 'pvc/payments/ledger-data', '--kubeconfig', kubeconfigPath],
      { encoding: 'utf8', timeout: 60_000 },
    );
    console.log(`sovctl explain pvc/payments/ledger-data:\n${explain.stdout}${explain.stderr}`);
    expect(explain.status).toBe(0);
    expect(explain.stdout).toContain('BadgeRevoked');

    // The pod runs on a conforming node: a volume is reported, never a reason to evict.
    const after = await readPod('ledger-0');
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.status?.phase).toBe('Running');
  });
});
