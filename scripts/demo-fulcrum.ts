// `make demo-fulcrum`: a stand-in Fulcrum core (the API subset the connector uses, every request and
// answer checked against Fulcrum's OpenAPI description), a local control plane, the operator with
// --fulcrum; prints what docs/fulcrum.md shows: `sovctl fulcrum import`, the FulcrumFederation's status,
// the agents' tags before and after a badge revocation, `sovctl explain fulcrum-agent/...` and the
// dry run of `sovctl fulcrum move`.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { API_VERSION } from '../src/api/group.ts';
import { kubeRequest } from '../src/kube/request.ts';
import { TestCluster } from '../test/harness/cluster.ts';
import { AGENT_TYPE, FulcrumStandIn } from '../test/harness/fulcrum-standin.ts';
import { area, cloudService } from '../test/harness/fulcrum-world.ts';
import { installCrds } from '../test/harness/install.ts';
import { waitFor } from '../test/harness/net.ts';
import { OPERATOR_NAMESPACE, OperatorProcess } from '../test/harness/operator.ts';

const TAG = 'sovereign-placement.io/sp.sovereign.eu';
const BASE = '/apis/sovereign-placement.io/v1alpha1';
const root = join(import.meta.dirname, '..');
const section = (title: string) => console.log(`\n===== ${title}\n`);

async function main() {
  const fulcrum = await new FulcrumStandIn().start();
  const dir = mkdtempSync(join(tmpdir(), 'demo-fulcrum-'));
  let cluster: TestCluster | undefined;
  let operator: OperatorProcess | undefined;
  try {
    const euro = fulcrum.addParticipant('EuroCloud SAS');
    const global = fulcrum.addParticipant('GlobalCloud Inc');
    const par = fulcrum.addAgent(euro, 'par-vm-agent', ['gpu', 'ssd']);
    const disabled = fulcrum.addAgent(euro, 'lyon-vm-agent', ['ssd'], 'Disabled');
    const fra = fulcrum.addAgent(global, 'fra-vm-agent', ['gpu', TAG]);
    const nord = fulcrum.addParticipant('NordCloud GmbH');
    const ber = fulcrum.addAgent(nord, 'ber-vm-agent', ['gpu']);
    const now = new Date().toISOString();
    fulcrum.services.set('7a0c3d9e-1b2f-4c5d-8e9f-0a1b2c3d4e5f', {
      id: '7a0c3d9e-1b2f-4c5d-8e9f-0a1b2c3d4e5f',
      name: 'ledger-db',
      status: 'Started',
      properties: { cpu: 2 },
      agentInstanceData: {},
      agentId: fra.id,
      providerId: global.id,
      consumerId: global.id,
      serviceTypeId: AGENT_TYPE,
      groupId: '5d1f0a9e-3c2b-4a7d-8e6f-1b2c3d4e5f60',
      createdAt: now,
      updatedAt: now,
    });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, fulcrum.adminToken);
    // Asynchronous: the stand-in answers from this very process.
    const sovctl = async (...args: string[]) =>
      (await promisify(execFile)(join(root, 'bin/sovctl'), args, { encoding: 'utf8' })).stdout;
    const url = fulcrum.url;
    const show = (args: string[], text: string) => {
      console.log(`$ sovctl ${args.map((a) => (a === url ? 'http://127.0.0.1:$PORT/api/v1' : a)).join(' ')}`);
      console.log(text.replaceAll(url, 'http://127.0.0.1:$PORT/api/v1').trimEnd());
    };

    section('sovctl fulcrum import');
    const importArgs = ['fulcrum', 'import', '--url', url, '--token-file', '/etc/fulcrum/token'];
    show(importArgs, await sovctl('fulcrum', 'import', '--url', url, '--token-file', tokenFile));

    cluster = await TestCluster.start({ name: 'demo-fulcrum', controllers: false, kwok: false });
    const kc = cluster.adminKubeConfig();
    await installCrds(kc);
    operator = await OperatorProcess.start(cluster, {
      args: ['--fulcrum'],
      leaderElect: false,
      logLevel: 'info',
    });
    await kubeRequest(kc, {
      method: 'POST',
      path: `/api/v1/namespaces/${OPERATOR_NAMESPACE}/secrets`,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'fulcrum-token' },
        stringData: { token: fulcrum.adminToken },
      },
    });
    await kubeRequest(kc, { method: 'POST', path: `${BASE}/sovereigntyareas`, body: area() });
    for (const s of [
      cloudService('eurocloud-sas', 'FR', { provider: 'EuroCloud SAS' }),
      cloudService('globalcloud-inc', 'US', { provider: 'GlobalCloud Inc' }),
      cloudService('nordcloud-gmbh', 'DE', { assurance: 'SelfDeclared', provider: 'NordCloud GmbH' }),
    ])
      await kubeRequest(kc, { method: 'POST', path: `${BASE}/cloudservices`, body: s });
    await kubeRequest(kc, {
      method: 'POST',
      path: `${BASE}/fulcrumfederations`,
      body: {
        apiVersion: API_VERSION,
        kind: 'FulcrumFederation',
        metadata: { name: 'fulcrum' },
        spec: {
          url,
          tokenSecretRef: { namespace: OPERATOR_NAMESPACE, name: 'fulcrum-token' },
          verdictTags: [{ badge: 'Sovereign', area: 'eu', expiryLeadTime: '168h' }],
          agents: [
            {
              id: par.id,
              name: par.name,
              participantId: euro.id,
              cloudService: 'eurocloud-sas',
              country: 'FR',
            },
            {
              id: disabled.id,
              name: disabled.name,
              participantId: euro.id,
              cloudService: 'eurocloud-sas',
              country: 'FR',
            },
            {
              id: fra.id,
              name: fra.name,
              participantId: global.id,
              cloudService: 'globalcloud-inc',
              country: 'DE',
            },
            {
              id: ber.id,
              name: ber.name,
              participantId: nord.id,
              cloudService: 'nordcloud-gmbh',
              country: 'DE',
            },
          ],
        },
      },
    });
    type Status = { conditions?: { type: string; status: string }[]; lastSyncTime?: string };
    const read = () => kubeRequest<{ status?: Status }>(kc, { path: `${BASE}/fulcrumfederations/fulcrum` });
    await waitFor('the first sync', async () => (await read()).status?.conditions?.[0]?.status === 'True');

    const tags = () => {
      for (const a of fulcrum.agents.values())
        console.log(`  ${a.name.padEnd(14)} ${a.status.padEnd(10)} ${JSON.stringify(a.tags)}`);
    };
    section('Agent tags in Fulcrum after the first sync');
    tags();
    section('kubectl get fulcrumfederation fulcrum -o yaml (status)');
    console.log(
      stringify({ status: (await read()).status })
        .replaceAll(url, 'http://127.0.0.1:$PORT/api/v1')
        .trimEnd(),
    );

    const kubeconfig = cluster.kubeconfigPath;
    section('sovctl explain');
    show(
      ['explain', 'fulcrum-agent/fra-vm-agent'],
      await sovctl('explain', 'fulcrum-agent/fra-vm-agent', '--kubeconfig', kubeconfig),
    );

    section('The Sovereign badge of eurocloud-sas is revoked');
    const revokedAt = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const t0 = Date.now();
    await kubeRequest(kc, {
      method: 'PATCH',
      path: `${BASE}/cloudservices/eurocloud-sas`,
      contentType: 'application/json-patch+json',
      body: [{ op: 'add', path: '/spec/badges/0/revokedAt', value: revokedAt }],
    });
    await waitFor('the tag to go', () => !fulcrum.agents.get(par.id)?.tags.includes(TAG));
    console.log(`tag removed from par-vm-agent ${Date.now() - t0} ms after the CloudService changed`);
    tags();
    show(
      ['explain', 'fulcrum-agent/par-vm-agent'],
      await sovctl('explain', 'fulcrum-agent/par-vm-agent', '--kubeconfig', kubeconfig),
    );

    section('sovctl fulcrum move (dry run)');
    const moveArgs = [
      'fulcrum',
      'move',
      '--url',
      url,
      '--token-file',
      '/etc/fulcrum/token',
      '--agent',
      'fra-vm-agent',
      '--tag',
      TAG,
    ];
    show(
      moveArgs,
      await sovctl(
        'fulcrum',
        'move',
        '--url',
        url,
        '--token-file',
        tokenFile,
        '--agent',
        'fra-vm-agent',
        '--tag',
        TAG,
      ),
    );

    section('Contract');
    console.log(
      `${fulcrum.requests.length} requests to the stand-in, ${fulcrum.violations.length} outside the OpenAPI description${fulcrum.violations.length ? `:\n${fulcrum.violations.join('\n')}` : ''}`,
    );
  } finally {
    await operator?.stop();
    await cluster?.stop();
    await fulcrum.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
