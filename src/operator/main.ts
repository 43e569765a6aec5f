// Entry point of the operator process: flags, the operator, and signal handling (SIGTERM drains).
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from './log.ts';
import { Operator } from './operator.ts';

function hostPort(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 0 || port > 65535)
    throw new InvalidArgumentError(`expected HOST:PORT, got "${value}"`);
  return { host: match[1] || '0.0.0.0', port };
}

function positiveDuration(value: string): number {
  const ms = Number(value.replace(/ms$/, '')) * (value.endsWith('ms') ? 1 : 1000);
  if (!Number.isFinite(ms) || ms <= 0)
    throw new InvalidArgumentError(`expected seconds (e.g. 15) or milliseconds (e.g. 500ms), got "${value}"`);
  return ms;
}

const program = new Command('sovereign-placement-operator')
  .description('Keeps workloads on nodes whose cloud service holds the sovereignty badge they need.')
  .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)')
  .option(
    '--namespace <ns>',
    'namespace of the leader Lease and webhook Secret',
    process.env.POD_NAMESPACE ?? 'sovereign-placement-system',
  )
  .option('--identity <id>', 'this replica in leader election', process.env.POD_NAME ?? hostname())
  .option('--no-leader-elect', 'act as leader without a Lease (one replica only)')
  .option('--lease-name <name>', 'leader election Lease', 'sovereign-placement-leader')
  .option('--lease-duration <seconds>', 'leader Lease duration', positiveDuration, 15_000)
  .option(
    '--renew-deadline <seconds>',
    'give up leadership when not renewed within',
    positiveDuration,
    10_000,
  )
  .option('--retry-period <seconds>', 'leader election retry period', positiveDuration, 2_000)
  .option('--probe-bind <host:port>', 'address of /healthz, /readyz and /metrics', hostPort, {
    host: '0.0.0.0',
    port: 8080,
  })
  .option('--no-webhook', 'do not serve the admission webhook')
  .option('--webhook-bind <host:port>', 'address of the HTTPS admission webhook', hostPort, {
    host: '0.0.0.0',
    port: 9443,
  })
  .option(
    '--webhook-service <name>',
    'Service in front of the webhook (its DNS names go in the certificate)',
    'sovereign-placement-webhook',
  )
  .option('--webhook-host <host...>', 'extra DNS names or IP addresses for the webhook certificate', [])
  .option(
    '--webhook-configuration <name>',
    'MutatingWebhookConfiguration whose caBundle the operator keeps',
    'sovereign-placement',
  )
  .option(
    '--webhook-secret <name>',
    'Secret holding the webhook certificate',
    'sovereign-placement-webhook-tls',
  )
  .option(
    '--webhook-cert-dir <dir>',
    'serve tls.crt/tls.key mounted here (cert-manager) instead of managing the certificate and caBundle',
  )
  .option('--hub', 'hub mode: probe MemberClusters and write their status and verdict labels', false)
  .option(
    '--member-secrets-namespace <ns>',
    'the one namespace holding member kubeconfig Secrets (default: --namespace)',
  )
  .option('--log-level <level>', 'pino log level', process.env.LOG_LEVEL ?? 'info')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program.parse();
const opts = program.opts();
const log = createLogger(opts.logLevel);

const kubeConfig = new KubeConfig();
if (opts.kubeconfig) kubeConfig.loadFromFile(opts.kubeconfig);
else kubeConfig.loadFromDefault();

const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');
const service = opts.webhookService as string;
const ns = opts.namespace as string;
const operator = new Operator({
  kubeConfig,
  log,
  namespace: ns,
  identity: opts.identity,
  leaderElection: {
    enabled: opts.leaderElect,
    leaseName: opts.leaseName,
    leaseDurationMs: opts.leaseDuration,
    renewDeadlineMs: opts.renewDeadline,
    retryPeriodMs: opts.retryPeriod,
  },
  probes: opts.probeBind,
  webhook: opts.webhook
    ? {
        ...opts.webhookBind,
        certificateDir: opts.webhookCertDir,
        secretName: opts.webhookSecret,
        configurationName: opts.webhookConfiguration,
        dnsNames: [
          `${service}.${ns}.svc`,
          `${service}.${ns}.svc.cluster.local`,
          ...(opts.webhookHost as string[]).filter((h) => !isIp(h)),
        ],
        ipAddresses: (opts.webhookHost as string[]).filter(isIp),
      }
    : undefined,
  hub: opts.hub ? { secretsNamespace: (opts.memberSecretsNamespace as string | undefined) ?? ns } : undefined,
});

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  operator.stop().then(
    () => process.exit(0),
    (error) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

operator.start().catch((error) => {
  log.fatal({ err: error }, 'operator failed to start');
  process.exit(1);
});
