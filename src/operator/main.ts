// Entry point of the operator process: flags, the operator, and signal handling (SIGTERM drains).
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatDuration, parseDuration } from '../api/duration.ts';
import { packageVersion } from '../api/version.ts';
import { createAuditLog } from './audit.ts';
import { KubeConfigError, loadKubeConfig } from './kubeconfig.ts';
import { createLogger } from './log.ts';
import { Operator } from './operator.ts';
import { webhookBaseUrl, webhookUrlHost } from './webhook/configuration.ts';

function hostPort(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 0 || port > 65535)
    throw new InvalidArgumentError(`expected HOST:PORT such as 0.0.0.0:8080, got "${value}"`);
  return { host: match[1] || '0.0.0.0', port };
}

/** Milliseconds. A bare number is seconds (what the chart passes); otherwise a duration like "500ms", "15s", "1m". */
function positiveDuration(value: string): number {
  let ms = Number.NaN;
  if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else {
    try {
      ms = parseDuration(value);
    } catch {
      // refused below, with the forms that are accepted
    }
  }
  if (!Number.isFinite(ms) || ms <= 0)
    throw new InvalidArgumentError(`expected seconds (15) or a duration (15s, 500ms, 1m), got "${value}"`);
  return ms;
}

function webhookUrl(value: string): string {
  try {
    return webhookBaseUrl(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 30)
    throw new InvalidArgumentError(
      `expected whole seconds from 1 to 30 (the API server's limit), got "${value}"`,
    );
  return n;
}

const duration = (flags: string, description: string, defaultMs: number) =>
  new Option(flags, `${description}; seconds, or a duration such as 500ms or 1m`)
    .argParser(positiveDuration)
    .default(defaultMs, formatDuration(defaultMs));
const address = (flags: string, description: string, host: string, port: number) =>
  new Option(flags, description).argParser(hostPort).default({ host, port }, `${host}:${port}`);

const program = new Command('sovereign-placement-operator')
  .description('Keeps workloads on nodes whose cloud service holds the sovereignty badge they need.')
  .version(packageVersion(), '--version', 'print the version and exit')
  .option(
    '--kubeconfig <path>',
    'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster ServiceAccount)',
  )
  .addOption(
    new Option('--namespace <ns>', 'namespace of the leader Lease and webhook Secret').default(
      process.env.POD_NAMESPACE ?? 'sovereign-placement-system',
      '$POD_NAMESPACE, else sovereign-placement-system',
    ),
  )
  .addOption(
    new Option('--identity <id>', 'this replica in leader election').default(
      process.env.POD_NAME ?? hostname(),
      '$POD_NAME, else the host name',
    ),
  )
  .option('--no-leader-elect', 'act as leader without a Lease (one replica only)')
  .option('--lease-name <name>', 'leader election Lease', 'sovereign-placement-leader')
  .addOption(duration('--lease-duration <duration>', 'how long a leader Lease lasts unrenewed', 15_000))
  .addOption(
    duration('--renew-deadline <duration>', 'the leader gives up when it could not renew within', 10_000),
  )
  .addOption(duration('--retry-period <duration>', 'how often to try to acquire or renew the Lease', 2_000))
  .addOption(
    address('--probe-bind <host:port>', 'address of /healthz, /readyz and /metrics', '0.0.0.0', 8080),
  )
  .option('--no-webhook', 'do not serve the admission webhook')
  .addOption(address('--webhook-bind <host:port>', 'address of the HTTPS admission webhook', '0.0.0.0', 9443))
  .option(
    '--webhook-service <name>',
    'Service in front of the webhook (its DNS names go in the certificate)',
    'sovereign-placement-webhook',
  )
  .addOption(
    new Option(
      '--webhook-host <host...>',
      'extra DNS names or IP addresses for the webhook certificate',
    ).default([], 'none'),
  )
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
  .addOption(
    new Option(
      '--webhook-url <url>',
      'Karmada mode: register the webhook configuration in the Karmada API server, called at this https base URL (e.g. https://sovereign-placement-webhook.sovereign-placement-system.svc:443)',
    ).argParser(webhookUrl),
  )
  .addOption(
    new Option(
      '--webhook-timeout <seconds>',
      'timeoutSeconds of the webhook configuration --webhook-url registers',
    )
      .argParser(timeoutSeconds)
      .default(5),
  )
  .option('--policy-reports', "publish each policy's results as wgpolicyk8s.io/v1alpha2 PolicyReports", false)
  .option(
    '--audit-log <destination>',
    'write every decision as a JSON line on this stream: stdout, stderr or a file (appended); off by default',
  )
  .option('--hub', 'hub mode: probe MemberClusters and write their status and verdict labels', false)
  .option(
    '--karmada',
    "Karmada mode: the kubeconfig is the Karmada API server's; label Karmada Clusters from their MemberCluster records and pin ResourceBindings",
    false,
  )
  .option(
    '--fulcrum',
    "keep verdict tags on the agents of every FulcrumFederation's Fulcrum core (reads each connection's token Secret)",
    false,
  )
  .option(
    '--member-secrets-namespace <ns>',
    'the one namespace holding member kubeconfig Secrets (default: --namespace)',
  )
  .addOption(
    new Option('--log-level <level>', 'log level (JSON lines on stdout)')
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
      .default(process.env.LOG_LEVEL ?? 'info', '$LOG_LEVEL, else info'),
  )
  .addHelpText(
    'after',
    `
Exit codes:
  0  stopped by SIGTERM or SIGINT after draining
  1  cannot run: no or unreadable kubeconfig, or start-up failed
  2  usage error: unknown flag or bad value`,
  )
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program.parse();
const opts = program.opts();
const log = createLogger(opts.logLevel);

if (opts.leaderElect && !(opts.renewDeadline < opts.leaseDuration && opts.retryPeriod < opts.renewDeadline)) {
  process.stderr.write(
    `error: --retry-period (${formatDuration(opts.retryPeriod)}) < --renew-deadline (${formatDuration(opts.renewDeadline)}) ` +
      `< --lease-duration (${formatDuration(opts.leaseDuration)}) must hold, or two replicas can lead at once\n`,
  );
  process.exit(2);
}

const usage = (message: string) => {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
};
if (opts.webhookUrl !== undefined) {
  // In one cluster the chart registers the webhook through its Service; only a Karmada API server, which
  // cannot resolve a Service of the host cluster, needs the operator to register it by URL.
  if (!opts.karmada) usage('--webhook-url needs --karmada');
  if (!opts.webhook) usage('--webhook-url registers the webhook, so it cannot be used with --no-webhook');
  if (opts.webhookCertDir)
    usage(
      '--webhook-url registers the webhook with the CA of the certificate the operator manages; it cannot be used with --webhook-cert-dir',
    );
}

let kubeConfig: KubeConfig;
try {
  const loaded = loadKubeConfig({ flag: opts.kubeconfig });
  kubeConfig = loaded.kubeConfig;
  log.info({ source: loaded.source, server: kubeConfig.getCurrentCluster()?.server }, 'kubeconfig');
} catch (error) {
  if (!(error instanceof KubeConfigError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(1);
}

const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');
const service = opts.webhookService as string;
const ns = opts.namespace as string;
// The host the API server calls goes into the certificate, whatever the Service's names.
const webhookHosts = [
  ...(opts.webhookHost as string[]),
  ...(opts.webhookUrl ? [webhookUrlHost(opts.webhookUrl as string)] : []),
];
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
          ...webhookHosts.filter((h) => !isIp(h)),
        ].filter((h, i, all) => all.indexOf(h) === i),
        ipAddresses: webhookHosts.filter(isIp).filter((h, i, all) => all.indexOf(h) === i),
        ...(opts.webhookUrl
          ? { url: opts.webhookUrl as string, timeoutSeconds: opts.webhookTimeout as number }
          : {}),
      }
    : undefined,
  policyReports: opts.policyReports === true,
  ...(opts.auditLog ? { auditLog: createAuditLog(opts.auditLog as string, packageVersion()) } : {}),
  karmada: opts.karmada === true,
  fulcrum: opts.fulcrum === true,
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
