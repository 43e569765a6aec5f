// Member clusters judged from the hub, on real control planes: a hub and two members, each its own
// kube-apiserver. The hub reaches each member with a ServiceAccount token that has exactly the
// permissions deploy/member/rbac.yaml grants (what placing workloads needs, no read of Secrets, Nodes or
// Pods). One
// member conforms; the other runs its nodes on a conforming service but its control plane on a service
// whose parent is under US law, so it does not. A member's API server is stopped and started again, and
// a member's kubeconfig Secret is broken; detection times are printed, never asserted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderChart } from '../../scripts/render-deploy.ts';
import { GROUP, VERSION } from '../../src/api/group.ts';
import { verdictLabelKey } from '../../src/domain/verdict-labels.ts';
import { KubeApiError, kubeRequest } from '../../src/kube/request.ts';
import { TestCluster } from '../harness/cluster.ts';
import { createMember, createSecret } from '../harness/federation.ts';
import { waitFor } from '../harness/net.ts';
import { ensureNamespace, OPERATOR_NAMESPACE, OperatorProcess } from '../harness/operator.ts';
import { applyPolicy, buildWorld, RESILIENT, SOVEREIGN } from '../harness/world.ts';
import { kubectl, NAMESPACE, objects, RELEASE, toYamlStream } from '../integration/install/support.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const MEMBERS = '/apis/sovereign-placement.io/v1alpha1/memberclusters';
const ROOT = join(import.meta.dirname, '../..');
const MEMBER_NAMESPACE = 'sovereign-placement-member';
const MEMBER_SA = 'sovereign-placement-hub';
/** Short probe settings and grace so that the scenarios take seconds (the defaults are 10s/3/60s). */
const PROBE = { period: '2s', timeout: '2s', failureThreshold: 2, successThreshold: 1 };
const GRACE = '10s';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface MemberObject {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    conditions?: Condition[];
    kubernetesVersion?: string;
    lastHeartbeatTime?: string;
    reasons?: { code: string; message: string }[];
    verdicts?: { requirement: string; conforms: boolean; reasons: { code: string; message: string }[] }[];
  };
}

let hub: TestCluster;
let hubKc: KubeConfig;
const members = new Map<string, TestCluster>();
let operator: OperatorProcess;

const readMember = (name: string) => kubeRequest<MemberObject>(hubKc, { path: `${MEMBERS}/${name}` });
const conditionOf = (m: MemberObject, type: string) => m.status?.conditions?.find((c) => c.type === type);

async function waitForMember(
  description: string,
  name: string,
  check: (m: MemberObject) => boolean,
  timeoutMs = 120_000,
): Promise<MemberObject> {
  return waitFor(
    `${name}: ${description}`,
    async () => {
      const m = await readMember(name);
      return check(m) ? m : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** Applies deploy/member/rbac.yaml on a member (its token Secret stays empty: no token controller runs here). */
async function applyMemberRbac(member: TestCluster): Promise<void> {
  const applied = await kubectl(
    ['apply', '--server-side', '-f', join(ROOT, 'deploy/member/rbac.yaml')],
    member,
  );
  expect(applied.code, applied.stderr).toBe(0);
}

/** A kubeconfig Secret on the hub holding a token of the member's hub ServiceAccount. */
async function registerMember(name: string, member: TestCluster, spec: Record<string, unknown>) {
  const token = await member.serviceAccountKubeConfig(MEMBER_NAMESPACE, MEMBER_SA);
  await createSecret(hubKc, `member-${name}`, readFileSync(token.path, 'utf8'));
  await createMember(hubKc, name, {
    cloudService: SOVEREIGN,
    unreachableGracePeriod: GRACE,
    probe: PROBE,
    ...spec,
  });
  return token;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

beforeAll(async () => {
  hub = await TestCluster.start({ name: 'fed-hub', controllers: false, kwok: false });
  for (const name of ['paris', 'frankfurt'])
    members.set(name, await TestCluster.start({ name: `fed-${name}`, controllers: false, kwok: false }));
  hubKc = await buildWorld(hub, []);
  await applyPolicy(hubKc, 'sovereign-eu', {
    selector: {},
    requirement: { badges: ['Sovereign'], area: 'eu' },
  });
  // The operator runs with exactly the chart's permissions in hub mode (a token of its ServiceAccount),
  // under the chart's admission policy for verdict labels.
  const chart = objects(renderChart({ set: { 'hub.enabled': true } })).filter((o) =>
    [
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ].includes(o.kind),
  );
  await ensureNamespace(hubKc, NAMESPACE);
  const applied = await kubectl(['apply', '--server-side', '-f', '-'], hub, toYamlStream(chart));
  expect(applied.code, applied.stderr).toBe(0);
  const identity = await hub.serviceAccountKubeConfig(NAMESPACE, RELEASE);
  operator = await OperatorProcess.start(hub, {
    kubeconfigPath: identity.path,
    args: ['--hub', `--member-secrets-namespace=${OPERATOR_NAMESPACE}`],
  });
  for (const member of members.values()) await applyMemberRbac(member);
  await registerMember('paris', members.get('paris') as TestCluster, {});
  await registerMember('frankfurt', members.get('frankfurt') as TestCluster, {
    country: 'DE',
    controlPlaneCloudService: RESILIENT,
  });
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  for (const member of members.values()) await member.stop();
  await hub?.stop();
});

describe('member clusters on a hub', () => {
  it("the hub's credentials on a member cannot list namespaces, Secrets or Nodes", async () => {
    const member = members.get('paris') as TestCluster;
    const { kubeConfig } = await member.serviceAccountKubeConfig(MEMBER_NAMESPACE, MEMBER_SA);
    const ready = await fetchText(member, kubeConfig, '/readyz');
    expect(ready).toBe('ok');
    for (const path of ['/api/v1/namespaces', '/api/v1/secrets', '/api/v1/nodes', '/api/v1/pods']) {
      const refused = await kubeRequest(kubeConfig, { path }).catch((e: unknown) => e);
      expect(refused, path).toBeInstanceOf(KubeApiError);
      expect((refused as KubeApiError).statusCode, path).toBe(403);
    }
  });

  it('both members become Reachable and Ready; only the conforming one gets the verdict label', async () => {
    const started = Date.now();
    const paris = await waitForMember(
      'Ready and labelled',
      'paris',
      (m) =>
        conditionOf(m, 'Ready')?.status === 'True' && m.metadata.labels?.[SOV_EU] === 'ThirdPartyCertified',
    );
    const frankfurt = await waitForMember(
      'Ready',
      'frankfurt',
      (m) => conditionOf(m, 'Ready')?.status === 'True',
    );
    console.log(`both members Ready within ${seconds(Date.now() - started)} of registration`);
    expect(conditionOf(paris, 'Reachable')?.status).toBe('True');
    expect(paris.status?.kubernetesVersion).toMatch(/^v1\./);
    expect(paris.status?.lastHeartbeatTime).toBeDefined();
    expect(paris.status?.verdicts).toEqual([expect.objectContaining({ conforms: true })]);

    expect(conditionOf(frankfurt, 'Reachable')?.status).toBe('True');
    expect(frankfurt.metadata.labels?.[SOV_EU]).toBeUndefined();
    expect(frankfurt.status?.verdicts?.[0]?.conforms).toBe(false);
    const reasons = frankfurt.status?.reasons ?? [];
    expect(reasons.map((r) => r.code)).toEqual(['ControlPlaneNotConforming']);
    expect(reasons[0]?.message).toContain(RESILIENT);
    expect(reasons[0]?.message).toContain('under the law of US');

    const table = await kubectl(['get', 'mcl'], hub);
    expect(table.code, table.stderr).toBe(0);
    console.log(`kubectl get mcl\n${table.stdout}`);
    expect(await operator.metric('sovereign_placement_member_clusters', { state: 'ready' })).toBe(2);
  });

  it('a member whose API server stops: Reachable False after the threshold, Ready False and its label removed past the grace; the other member is unaffected; it comes back', async () => {
    const paris = members.get('paris') as TestCluster;
    const stoppedAt = await paris.stopProcess('kube-apiserver');
    await waitForMember('Reachable False', 'paris', (m) => conditionOf(m, 'Reachable')?.status === 'False');
    const unreachableAt = Date.now();
    const lost = await waitForMember(
      'Ready False and unlabelled',
      'paris',
      (m) => conditionOf(m, 'Ready')?.status === 'False' && m.metadata.labels?.[SOV_EU] === undefined,
    );
    const revokedAt = Date.now();
    console.log(
      `paris API server stopped: Reachable=False after ${seconds(unreachableAt - stoppedAt)}, ` +
        `Ready=False and label removed after ${seconds(revokedAt - stoppedAt)} (probe every ${PROBE.period}, ` +
        `${PROBE.failureThreshold} failures, grace ${GRACE})`,
    );
    expect(conditionOf(lost, 'Ready')?.reason).toBe('UnreachablePastGracePeriod');
    expect(conditionOf(lost, 'Reachable')?.reason).toBe('ProbeFailed');
    expect(lost.status?.reasons?.map((r) => r.code)).toContain('TargetUnhealthy');
    const other = await readMember('frankfurt');
    expect(conditionOf(other, 'Reachable')?.status).toBe('True');

    const startedAt = await paris.startProcess('kube-apiserver');
    await waitForMember(
      'Reachable, Ready and labelled again',
      'paris',
      (m) =>
        conditionOf(m, 'Reachable')?.status === 'True' &&
        conditionOf(m, 'Ready')?.status === 'True' &&
        m.metadata.labels?.[SOV_EU] === 'ThirdPartyCertified',
    );
    console.log(
      `paris API server serving again: Reachable=True and labelled after ${seconds(Date.now() - startedAt)}`,
    );
  });

  it('a broken kubeconfig Secret gives a clear condition; the other member is unaffected', async () => {
    const brokenAt = Date.now();
    await kubeRequest(hubKc, {
      method: 'PATCH',
      path: `/api/v1/namespaces/${OPERATOR_NAMESPACE}/secrets/member-frankfurt`,
      body: { stringData: { kubeconfig: 'clusters: [this is not a kubeconfig' } },
      contentType: 'application/merge-patch+json',
    });
    const broken = await waitForMember(
      'KubeconfigInvalid',
      'frankfurt',
      (m) => conditionOf(m, 'Reachable')?.reason === 'KubeconfigInvalid',
    );
    console.log(`broken kubeconfig Secret reported after ${seconds(Date.now() - brokenAt)}`);
    expect(conditionOf(broken, 'Reachable')?.status).toBe('False');
    expect(conditionOf(broken, 'Reachable')?.message).toContain(
      `Secret ${OPERATOR_NAMESPACE}/member-frankfurt, key "kubeconfig" does not hold a valid kubeconfig`,
    );
    const paris = await readMember('paris');
    expect(conditionOf(paris, 'Reachable')?.status).toBe('True');
    expect(paris.metadata.labels?.[SOV_EU]).toBe('ThirdPartyCertified');
  });

  it('a MemberCluster whose Secret does not exist is not Ready, says so, and gets no label', async () => {
    await kubeRequest(hubKc, {
      method: 'POST',
      path: MEMBERS,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'MemberCluster',
        metadata: { name: 'nowhere' },
        spec: {
          country: 'FR',
          cloudService: SOVEREIGN,
          kubeconfigSecretRef: { namespace: OPERATOR_NAMESPACE, name: 'member-nowhere' },
        },
      },
    });
    const ghost = await waitForMember(
      'SecretNotFound',
      'nowhere',
      (m) => conditionOf(m, 'Ready')?.reason === 'SecretNotFound',
    );
    expect(conditionOf(ghost, 'Ready')?.message).toContain(
      `Secret ${OPERATOR_NAMESPACE}/member-nowhere does not exist`,
    );
    expect(ghost.metadata.labels?.[SOV_EU]).toBeUndefined();
    const table = await kubectl(['get', 'mcl'], hub);
    console.log(`kubectl get mcl\n${table.stdout}`);
    expect(operator.running).toBe(true);
  });
});

/** GET a path of a member as text (/readyz answers "ok", not JSON). */
async function fetchText(member: TestCluster, kc: KubeConfig, path: string): Promise<string> {
  const token = kc.getCurrentUser()?.token ?? '';
  const ca = Buffer.from(kc.getCurrentCluster()?.caData ?? '', 'base64').toString();
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const r = request(
      `${member.server}${path}`,
      { ca, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(text));
      },
    );
    r.on('error', reject);
    r.end();
  });
}

// `parse` keeps the manifest honest: what deploy/member/rbac.yaml grants, rule by rule.
describe('deploy/member/rbac.yaml', () => {
  it('grants the hub only what placing workloads needs: no Secret, Node, Pod or RBAC object, no wildcard', () => {
    const docs = readFileSync(join(ROOT, 'deploy/member/rbac.yaml'), 'utf8')
      .split(/^---$/m)
      .map((d) => parse(d) as { kind?: string; rules?: { resources: string[]; verbs: string[] }[] } | null)
      .filter((d) => d?.kind);
    expect(docs.map((d) => d?.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'Secret',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
    const rules = docs.find((d) => d?.kind === 'ClusterRole')?.rules ?? [];
    const resources = rules.flatMap((r) => r.resources);
    for (const forbidden of ['secrets', 'nodes', 'pods', 'roles', 'clusterroles', 'rolebindings', '*'])
      expect(resources).not.toContain(forbidden);
    for (const rule of rules) expect(rule.verbs).not.toContain('*');
    expect(rules.find((r) => r.resources.includes('namespaces'))?.verbs).toEqual(['get', 'create']);
  });
});
