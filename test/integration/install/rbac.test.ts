// The chart's RBAC is exactly what the operator needs: the operator, run as a process with nothing but
// the chart's ServiceAccount permissions (a TokenRequest token of that ServiceAccount), passes the first
// in-cluster e2e scenario, a failover and a ClusterSovereigntyPolicy, while the API server's audit log records every request it
// makes. The permissions granted must equal the (verb, group, resource) pairs it was seen to use.
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderChart } from '../../../scripts/render-deploy.ts';
import { GROUP, NodeFactLabels, VERSION } from '../../../src/api/group.ts';
import { verdictLabelKey } from '../../../src/domain/verdict-labels.ts';
import { type AuditEvent, TestCluster } from '../../harness/cluster.ts';
import { waitFor } from '../../harness/net.ts';
import { ensureNamespace, OperatorProcess } from '../../harness/operator.ts';
import { sovereignPlacementScenario } from '../../harness/scenarios.ts';
import {
  applyPolicy,
  buildWorld,
  condition,
  createDeployment,
  nodeNames,
  podsOf,
  readPolicy,
  setNodeLabels,
  waitForRunningPods,
} from '../../harness/world.ts';
import {
  CHART_DIR,
  grantedPairs,
  type K8sObject,
  kubectl,
  NAMESPACE,
  objects,
  operatorRules,
  RELEASE,
  run,
  toYamlStream,
  wildcards,
} from './support.ts';

const SOV_EU = verdictLabelKey('Sovereign', 'eu');
const SERVICE_ACCOUNT = RELEASE; // the chart's fullname with the documented release name
const USER = `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`;

/**
 * Pairs the chart grants that the scenarios below cannot make the operator use, each with the code
 * that uses it. Empty: every granted pair is exercised (secret create and update, lease create,
 * eviction and event folding included).
 */
const JUSTIFIED_UNUSED: Record<string, string> = {};

let cluster: TestCluster;
let operator: OperatorProcess;
let kc: KubeConfig;
let rendered: K8sObject[];

beforeAll(async () => {
  cluster = await TestCluster.start({
    name: 'install-rbac',
    auditPolicy: {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [{ level: 'Metadata', users: [USER] }, { level: 'None' }],
    },
  });
  kc = await buildWorld(cluster);
  rendered = objects(renderChart());
  // The chart's ServiceAccount and the roles bound to it, nothing else of the chart: the webhook
  // configuration is the harness's (by URL, since the operator runs outside the cluster).
  const rbac = rendered.filter((o) =>
    ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind),
  );
  await ensureNamespace(kc, NAMESPACE);
  const applied = await kubectl(['apply', '--server-side', '-f', '-'], cluster, toYamlStream(rbac));
  expect(applied.code, applied.stderr).toBe(0);
  const token = await cluster.serviceAccountKubeConfig(NAMESPACE, SERVICE_ACCOUNT);
  expect(token.username).toBe(USER);
  operator = await OperatorProcess.start(cluster, { kubeconfigPath: token.path });
});
afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

const labelsOf = async (name: string) =>
  (await kc.makeApiClient(CoreV1Api).readNode({ name })).metadata?.labels ?? {};

describe("the operator with only the chart's ServiceAccount permissions", () => {
  it("an Enforce policy lands its Deployment only on the sovereign provider's nodes", async () => {
    await sovereignPlacementScenario(kc);
  });

  it('with no conforming capacity, pods stay gated and repeated Events are folded', async () => {
    await applyPolicy(kc, 'archive', {
      selector: { matchLabels: { app: 'archive' } },
      requirement: { badges: ['Sovereign'], area: 'eea' },
    });
    await createDeployment(kc, 'archive', 2, { app: 'archive' });
    await waitFor('CapacityAvailable=False', async () => {
      const p = await readPolicy(kc, 'archive');
      return condition(p, 'CapacityAvailable')?.status === 'False' && p.status?.gatedPods === 2;
    });
    // The same Event again is a patch of its count (src/operator/events.ts).
    await waitFor('a folded NoConformingCapacity Event', async () => {
      const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'payments' });
      return events.items.some((e) => e.reason === 'NoConformingCapacity' && (e.count ?? 0) > 1);
    });
    expect((await podsOf(kc, 'app=archive')).every((p) => !p.spec?.nodeName)).toBe(true);
  });

  it('evicts the pods of a node that stops conforming; they come back on conforming nodes only', async () => {
    await setNodeLabels(kc, 'sov-2', { [NodeFactLabels.country]: null });
    await waitFor('verdict label removed', async () => (await labelsOf('sov-2'))[SOV_EU] === undefined);
    const pods = await waitFor(
      'ledger pods all on sov-1',
      async () => {
        const running = await waitForRunningPods(kc, 'app=ledger', 6, 5_000).catch(() => undefined);
        return running && nodeNames(running).join() === 'sov-1' ? running : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(nodeNames(pods)).toEqual(['sov-1']);
  });

  it('reports the status of a ClusterSovereigntyPolicy', async () => {
    await KubernetesObjectApi.makeApiClient(kc).create({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ClusterSovereigntyPolicy',
      metadata: { name: 'platform-mandate' },
      spec: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } },
        selector: { matchLabels: { app: 'ledger' } },
        requirement: { badges: ['Sovereign'], area: 'eu' },
      },
    } as never);
    const status = await waitFor('cluster policy status', async () => {
      const p = (await KubernetesObjectApi.makeApiClient(kc).read({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterSovereigntyPolicy',
        metadata: { name: 'platform-mandate' },
      } as never)) as { status?: { matchedPods?: number } };
      return p.status?.matchedPods !== undefined ? p.status : undefined;
    });
    expect(status.matchedPods).toBeGreaterThan(0);
  });

  it("the chart's `helm test` script finds the webhook answering over TLS with the Secret's CA", async () => {
    const secret = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: 'sovereign-placement-webhook-tls', namespace: NAMESPACE });
    const caFile = join(cluster.dir, 'helm-test-ca.crt');
    writeFileSync(caFile, Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64'));
    const script = join(CHART_DIR, 'files/check-webhook.js');
    const check = (ca: string) =>
      run(process.execPath, ['-e', readFileSync(script, 'utf8')], {
        env: {
          WEBHOOK_URL: `https://${cluster.webhookHost}:${operator.webhookPort}/mutate-pods`,
          CA_FILE: ca,
          NAMESPACE,
        },
      });
    const ok = await check(caFile);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`answers over TLS and admits a Pod of namespace ${NAMESPACE}`);
    expect(ok.code).toBe(0);
    // With another CA (the API server's) the TLS check fails, and the script says so.
    const refused = await check(join(cluster.dir, 'pki', 'ca.crt'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/certificate/);
  });

  it('replaces a webhook certificate Secret that no longer serves, after a restart', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const secretName = 'sovereign-placement-webhook-tls';
    await operator.stop();
    const secret = await core.readNamespacedSecret({ name: secretName, namespace: NAMESPACE });
    const before = secret.data?.['tls.crt'];
    await core.replaceNamespacedSecret({
      name: secretName,
      namespace: NAMESPACE,
      body: {
        ...secret,
        data: { ...secret.data, 'tls.crt': Buffer.from('not a certificate').toString('base64') },
      },
    });
    await operator.resume();
    const after = (await core.readNamespacedSecret({ name: secretName, namespace: NAMESPACE })).data?.[
      'tls.crt'
    ];
    expect(after).not.toBe(before);
    const cert = new X509Certificate(Buffer.from(after ?? '', 'base64'));
    expect(cert.subjectAltName).toContain('DNS:sovereign-placement-webhook.sovereign-placement-system.svc');
    // The webhook serves with it (the caBundle was re-injected): new pods are still pinned.
    await applyPolicy(kc, 'ledger-2', {
      selector: { matchLabels: { app: 'ledger-2' } },
      requirement: { badges: ['Sovereign'], area: 'eu' },
    });
    await createDeployment(kc, 'ledger-2', 2, { app: 'ledger-2' });
    const pods = await waitForRunningPods(kc, 'app=ledger-2', 2);
    expect(nodeNames(pods)).toEqual(['sov-1']);
  });
});

describe('least privilege, from the audit log', () => {
  const seen = () => cluster.auditEvents().filter((e) => e.user.username === USER);
  const pairOf = (e: AuditEvent) =>
    `${e.verb} ${e.objectRef?.apiGroup ?? ''}/${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;

  it('the operator was never refused, and made no request but resource requests', () => {
    const events = seen();
    expect(events.length).toBeGreaterThan(50);
    const forbidden = events.filter((e) => e.responseStatus?.code === 403);
    expect(forbidden.map((e) => `${pairOf(e)} ${e.requestURI}`)).toEqual([]);
    expect(events.filter((e) => !e.objectRef).map((e) => e.requestURI)).toEqual([]);
  });

  it('the ClusterRole and Role grant exactly the (verb, group, resource) pairs the operator used', () => {
    const rules = operatorRules(rendered, SERVICE_ACCOUNT);
    expect(wildcards(rules)).toEqual([]);
    const granted = [...grantedPairs(rules)].sort();
    const used = [...new Set(seen().map(pairOf))].sort();
    expect(granted).toEqual([...new Set([...used, ...Object.keys(JUSTIFIED_UNUSED)])].sort());
  });

  it('rules restricted by name cover exactly the objects the operator touched', () => {
    const rules = operatorRules(rendered, SERVICE_ACCOUNT);
    for (const rule of rules.filter((r) => r.resourceNames)) {
      const touched = new Set(
        seen()
          .filter(
            (e) =>
              rule.resources?.includes(e.objectRef?.resource ?? '') &&
              rule.apiGroups?.includes(e.objectRef?.apiGroup ?? '') &&
              rule.verbs.includes(e.verb),
          )
          .map((e) => e.objectRef?.name),
      );
      expect([...touched], JSON.stringify(rule)).toEqual(rule.resourceNames);
    }
    // Secrets and Leases only in the release namespace.
    const namespaced = seen().filter((e) => ['secrets', 'leases'].includes(e.objectRef?.resource ?? ''));
    expect(new Set(namespaced.map((e) => e.objectRef?.namespace))).toEqual(new Set([NAMESPACE]));
  });
});
