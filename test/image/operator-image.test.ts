// The operator image as built by `make image`, run against a real control plane: the process in the
// image (node as the image's non-root user, the sources and production dependencies it holds) starts,
// becomes ready, takes the leader Lease, writes status, answers admission over TLS, and on SIGTERM
// drains, releases the Lease and exits 0. `make test-image` runs it (not part of `make test`: it
// needs the image, which takes minutes to build).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutatingWebhookConfiguration } from '../../src/operator/webhook/configuration.ts';
import { TestCluster } from '../harness/cluster.ts';
import { createObjects, installCrds, sampleObjects } from '../harness/install.ts';
import { freePort, waitFor } from '../harness/net.ts';
import { ensureNamespace, OPERATOR_NAMESPACE } from '../harness/operator.ts';

const ROOT = join(import.meta.dirname, '../..');
const IMAGE_ENV = join(ROOT, '.tmp/image/image.env');
/** The image's uncompressed size must stay below this; `make image` prints the current figure. */
const SIZE_BUDGET_MIB = 300;

function imageEnv(): Record<string, string> {
  if (!existsSync(IMAGE_ENV)) throw new Error(`${IMAGE_ENV} is missing: run \`make image\` first`);
  return Object.fromEntries(
    readFileSync(IMAGE_ENV, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

const env = imageEnv();
const identity = `image-test-${Math.random().toString(36).slice(2, 8)}`;
const webhookConfiguration = `sp-${identity}`;
const buildah = (args: string[]) => [
  '--root',
  env.BUILDAH_ROOT ?? '',
  '--runroot',
  env.BUILDAH_RUNROOT ?? '',
  '--storage-driver',
  'vfs',
  ...args,
];

let cluster: TestCluster;
let kc: KubeConfig;
let container = '';
let operator: ChildProcess | undefined;
let output = '';
let exitCode: Promise<number | null> | undefined;
let probePort = 0;
let webhookPort = 0;

/** The operator's node process on this machine (a child of the container runtime), found by its flags. */
function operatorPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline[0]?.endsWith('/node') && cmdline.includes(`--identity=${identity}`)) return Number(entry);
    } catch {
      // exited while reading
    }
  }
  return undefined;
}

beforeAll(async () => {
  expect(env.IMAGE_BUILDER, 'only the buildah build is run by this test').toBe('buildah');
  cluster = await TestCluster.start({ name: 'image', controllers: false, kwok: false });
  kc = cluster.adminKubeConfig();
  await installCrds(kc);
  await createObjects(
    kc,
    sampleObjects().filter((o) => o.kind === 'SovereigntyArea'),
  );
  await ensureNamespace(kc, OPERATOR_NAMESPACE);
  probePort = await freePort();
  webhookPort = await freePort();
  await KubernetesObjectApi.makeApiClient(kc).create(
    mutatingWebhookConfiguration(webhookConfiguration, { url: `https://127.0.0.1:${webhookPort}` }) as never,
  );

  // The kubeconfig, readable by the image's user (65532), mounted read-only.
  const config = mkdtempSync(join(tmpdir(), 'sp-image-test-'));
  chmodSync(config, 0o755);
  copyFileSync(cluster.kubeconfigPath, join(config, 'kubeconfig'));
  chmodSync(join(config, 'kubeconfig'), 0o644);

  const from = spawnSync('buildah', buildah(['from', '--name', identity, env.IMAGE ?? '']), {
    encoding: 'utf8',
  });
  expect(from.status, from.stderr).toBe(0);
  container = from.stdout.trim();
  // Under the harness's guard: ended if this test process dies.
  operator = spawn(
    'bash',
    [
      join(ROOT, 'test/harness/guard.sh'),
      String(process.pid),
      'buildah',
      ...buildah([
        'run',
        '--isolation',
        'chroot',
        '--user',
        '65532:65532',
        '--volume',
        `${config}:/config:ro`,
        container,
        '--',
        // The image's entrypoint (buildah run does not apply it).
        '/nodejs/bin/node',
        'src/operator/main.ts',
        '--kubeconfig=/config/kubeconfig',
        `--namespace=${OPERATOR_NAMESPACE}`,
        `--identity=${identity}`,
        `--probe-bind=127.0.0.1:${probePort}`,
        `--webhook-bind=127.0.0.1:${webhookPort}`,
        '--webhook-host=127.0.0.1',
        `--webhook-configuration=${webhookConfiguration}`,
        '--lease-duration=6',
        '--renew-deadline=4',
        '--retry-period=1',
      ]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  operator.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  operator.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const child = operator;
  exitCode = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}, 180_000);

afterAll(async () => {
  const pid = operatorPid();
  if (pid) process.kill(pid, 'SIGKILL');
  if (operator?.exitCode === null) operator.kill('SIGTERM');
  if (container) spawnSync('buildah', buildah(['rm', container]));
  await cluster?.stop();
});

describe(`the operator image (${env.IMAGE})`, () => {
  it(`is at most ${SIZE_BUDGET_MIB} MiB`, () => {
    const size = Number(env.IMAGE_SIZE_BYTES);
    expect(size).toBeGreaterThan(0);
    expect(size / 1024 / 1024).toBeLessThan(SIZE_BUDGET_MIB);
  });

  it('runs the operator as the non-root user of the image, which becomes ready', async () => {
    await waitFor(
      'the operator in the image to be ready',
      async () => {
        if (operator?.exitCode !== null) throw new Error(`the operator exited:\n${output}`);
        return (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 90_000 },
    );
    const pid = operatorPid();
    expect(pid, output).toBeDefined();
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    expect(uid).toBe('65532');
  });

  it('takes the leader Lease and writes the status of the areas', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    await waitFor(
      'the Lease',
      async () =>
        (
          await leases
            .readNamespacedLease({ name: 'sovereign-placement-leader', namespace: OPERATOR_NAMESPACE })
            .catch(() => undefined)
        )?.spec?.holderIdentity === identity,
      { timeoutMs: 60_000 },
    );
    await waitFor(
      'status.countryCount of area eu',
      async () => {
        const area = JSON.parse(
          (await cluster.request('GET', '/apis/sovereign-placement.io/v1alpha1/sovereigntyareas/eu')).body,
        );
        return area.status?.countryCount === 27;
      },
      { timeoutMs: 60_000 },
    );
  });

  it("answers admission over TLS with the certificate it wrote, as the chart's helm test checks", async () => {
    const secret = JSON.parse(
      (
        await cluster.request(
          'GET',
          `/api/v1/namespaces/${OPERATOR_NAMESPACE}/secrets/sovereign-placement-webhook-tls`,
        )
      ).body,
    );
    const dir = mkdtempSync(join(tmpdir(), 'sp-image-ca-'));
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, Buffer.from(secret.data['ca.crt'], 'base64'));
    const check = spawnSync(
      process.execPath,
      ['-e', readFileSync(join(ROOT, 'charts/sovereign-placement/files/check-webhook.js'), 'utf8')],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          WEBHOOK_URL: `https://127.0.0.1:${webhookPort}/mutate-pods`,
          CA_FILE: caFile,
          NAMESPACE: 'default',
        },
      },
    );
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('on SIGTERM drains, releases the Lease and exits 0', async () => {
    const pid = operatorPid();
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGTERM');
    expect(await exitCode, output).toBe(0);
    expect(output).toContain('"msg":"shutting down"');
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'sovereign-placement-leader', namespace: OPERATOR_NAMESPACE });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  });
});
