import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { dateTime } from '../api/common.ts';
import { packageVersion } from '../api/version.ts';
import { parseInstant } from '../domain/time.ts';
import { type ParsedAuditLog, parseAuditLog } from './audit-history.ts';
import { check, formatFinding } from './check.ts';
import { completionScript, SHELLS, type Shell } from './completion.ts';
import { CliError, ExitCode } from './errors.ts';
import { evaluate } from './evaluate.ts';
import { explain } from './explain.ts';
import { explainFulcrumAgent, importFromFulcrum, moveServices, renderFulcrumAgent } from './fulcrum.ts';
import { type Inventory, loadInventory } from './inventory.ts';
import {
  contextNamespace,
  type LiveLoadOptions,
  type Loadable,
  loadKubeConfig,
  loadLiveInventory,
} from './live.ts';
import { renderJson, renderYaml } from './render/data.ts';
import { renderExplanation } from './render/explain-table.ts';
import { renderReportHtml } from './render/report-html.ts';
import { renderReportMarkdown } from './render/report-markdown.ts';
import { buildReport, sealText } from './report.ts';
import { readSources } from './sources.ts';
import { type ExplainKind, isTemplateKind, KINDS_HELP, parseTargetRef } from './target-ref.ts';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** The instant used when --at is not given. */
  now: () => number;
}

interface SourceOptions {
  inventory?: string;
  kubeconfig?: string;
  context?: string;
  at?: string;
  namespace?: string;
}

const EXIT_CODES = `
Exit codes:
  0  success (check: no finding)
  1  check found problems in the manifests
  2  usage or input error: bad arguments, unreadable files, invalid YAML or
     inventory objects, unknown names, a bad --at, an unreachable API server`;

/**
 * --at as ms since the epoch: an RFC 3339 date-time, or a date, which means its midnight UTC. Nothing
 * looser, so that "tomorrow", "2026-13-01" or "2026-02-30" is refused rather than guessed.
 */
export function parseAt(value: string | undefined, now: () => number, flag = '--at'): number {
  if (value === undefined) return now();
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const at = parseInstant(instant);
  if (!dateTime.safeParse(instant).success || Number.isNaN(at)) {
    throw new CliError(
      `invalid ${flag} "${value}": expected a date such as 2026-06-01 (midnight UTC) or an RFC 3339 date-time such as 2026-06-01T12:00:00Z`,
    );
  }
  return at;
}

function withSourceOptions(command: Command, live = true): Command {
  command.option(
    '--inventory <dir>',
    live
      ? 'evaluate a folder of YAML manifests (recursively) instead of a cluster'
      : 'folder of YAML manifests (recursively): the areas, services, nodes, clusters and policies to check against',
  );
  if (live) {
    command
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context to use');
  }
  return command.option(
    '--at <instant>',
    'evaluate at this instant instead of now: a date (2026-06-01, midnight UTC) or an RFC 3339 date-time',
  );
}

async function inventoryFor(
  options: SourceOptions,
  needs: ReadonlySet<Loadable>,
  io: Io,
  live: LiveLoadOptions = {},
): Promise<{ inventory: Inventory; namespace: string | undefined }> {
  if (options.inventory) {
    if (options.kubeconfig || options.context) {
      throw new CliError('use either --inventory or --kubeconfig/--context, not both');
    }
    return { inventory: loadInventory(options.inventory), namespace: options.namespace };
  }
  const kc = loadKubeConfig({ kubeconfig: options.kubeconfig ?? undefined, context: options.context });
  const inventory = await loadLiveInventory(kc, needs, (line) => io.stderr(`${line}\n`), live);
  return { inventory, namespace: options.namespace ?? contextNamespace(kc) };
}

const POLICIES: Loadable[] = ['policies', 'clusterPolicies'];
/** What a Karmada API server holds for its templates (docs/karmada.md): clusters, their records, bindings. */
const KARMADA: Loadable[] = ['karmadaClusters', 'memberClusters', 'resourceBindings', 'namespaces'];
const TEMPLATE: Loadable[] = ['areas', 'services', ...POLICIES, ...KARMADA];
const NEEDS: Record<ExplainKind | 'report', Loadable[]> = {
  Node: ['areas', 'services', ...POLICIES, 'nodes'],
  Pod: ['areas', 'services', ...POLICIES, 'nodes', 'pods', 'namespaces'],
  SovereigntyPolicy: ['areas', 'services', ...POLICIES, 'nodes', 'pods', 'namespaces'],
  ClusterSovereigntyPolicy: ['areas', 'services', ...POLICIES, 'nodes', 'pods', 'namespaces'],
  MemberCluster: ['areas', 'services', 'memberClusters', 'workloads'],
  SovereignWorkload: ['areas', 'services', 'memberClusters', 'workloads'],
  PersistentVolumeClaim: [
    'areas',
    'services',
    ...POLICIES,
    'pods',
    'namespaces',
    'claims',
    'volumes',
    'storageClasses',
  ],
  PersistentVolume: ['areas', 'services', ...POLICIES, 'claims', 'volumes', 'storageClasses'],
  FulcrumAgent: ['areas', 'services', 'fulcrumFederations'],
  Deployment: [...TEMPLATE, 'deployments'],
  StatefulSet: [...TEMPLATE, 'statefulsets'],
  DaemonSet: [...TEMPLATE, 'daemonsets'],
  Job: [...TEMPLATE, 'jobs'],
  report: [
    'areas',
    'services',
    ...POLICIES,
    'nodes',
    'pods',
    'namespaces',
    'memberClusters',
    'workloads',
    'events',
    // Bindings and templates are listed only when Karmada Clusters exist (karmadaOnly in live.ts).
    'karmadaClusters',
    'resourceBindings',
    'deployments',
    'statefulsets',
    'daemonsets',
    'jobs',
  ],
};

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const name = io.env.SOVCTL_NAME || 'sovctl';
  const program = new Command(name)
    .description(
      'Explain and report sovereignty verdicts of the Sovereign Placement Operator, and check manifests in CI.',
    )
    .version(packageVersion(), '--version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) =>
        write(
          `${name}: ${s
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    })
    .showSuggestionAfterError()
    .addHelpText('after', EXIT_CODES);

  withSourceOptions(
    program
      .command('explain')
      .summary('why a node, pod, policy, member cluster or workload conforms or not')
      .description(
        `Explain the verdicts of one object, with every reason. <kind/name>: ${KINDS_HELP}; namespaced kinds as pod/<namespace>/<name> or with -n.`,
      )
      .argument('<kind/name>', 'what to explain, for example node/fr-par-1 or pod/payments/ledger-0'),
  )
    .option('-n, --namespace <namespace>', 'namespace of pods, policies and workloads named without one')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .addHelpText(
      'after',
      `\nExamples:\n  ${name} explain node/fr-par-1 --inventory ./inventory\n  ${name} explain po/ledger-0 -n payments -o json\n  ${name} explain spol/payments/ledger-sovereign-eu --at 2027-12-30T00:00:00Z\n  ${name} explain cspol/dora-sovereign-eu\n  ${name} explain deploy/payments/ledger --kubeconfig karmada-apiserver.config\n${EXIT_CODES}`,
    )
    .action(async (target: string, options: SourceOptions & { output: string }) => {
      const at = parseAt(options.at, io.now);
      const probe = parseTargetRef(target, 'default');
      const { inventory, namespace } = await inventoryFor(options, new Set(NEEDS[probe.kind]), io, {
        always: isTemplateKind(probe.kind),
      });
      const ref = parseTargetRef(target, namespace ?? 'default');
      if (ref.kind === 'FulcrumAgent') {
        const explanation = explainFulcrumAgent(inventory, at, ref.name);
        const render = { table: renderFulcrumAgent, json: renderJson, yaml: renderYaml }[options.output];
        io.stdout((render ?? renderJson)(explanation as never));
        return;
      }
      const explanation = explain(evaluate(inventory, at), ref);
      const render = { table: renderExplanation, json: renderJson, yaml: renderYaml }[options.output];
      io.stdout((render ?? renderJson)(explanation as never));
    });

  withSourceOptions(
    program
      .command('report')
      .summary('audit report: placements, verdicts, evidence and history')
      .description(
        'Every ClusterSovereigntyPolicy, SovereigntyPolicy and SovereignWorkload with where it runs, the verdict for each place, the evidence behind each verdict (badges of the CloudService) and, from a live cluster, the Events of the operator that the cluster still holds (non-conformance, evictions).',
      ),
  )
    .option(
      '-n, --namespace <namespace>',
      'only policies and workloads of this namespace, and cluster policies selecting it with their pods there (default: all)',
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['md', 'json', 'html']).default('md'),
    )
    .option(
      '--audit-log <file>',
      "rebuild the placement history of a period from the operator's decision log (docs/audit.md)",
    )
    .option('--since <instant>', 'start of the period (with --audit-log; default: the first record)')
    .option('--until <instant>', 'end of the period, excluded (with --audit-log; default: --at, else now)')
    .addHelpText(
      'after',
      `\nExamples:\n  ${name} report -o html > sovereignty-report.html\n  ${name} report --inventory ./inventory -o json\n${EXIT_CODES}`,
    )
    .action(
      async (
        options: SourceOptions & { output: string; auditLog?: string; since?: string; until?: string },
      ) => {
        const at = parseAt(options.at, io.now);
        if ((options.since || options.until) && !options.auditLog)
          throw new CliError(
            '--since and --until need --audit-log: the Events the cluster holds cover no period',
          );
        const since = options.since === undefined ? null : parseAt(options.since, io.now, '--since');
        const until = options.until === undefined ? at : parseAt(options.until, io.now, '--until');
        if (since !== null && since >= until) throw new CliError('--since must be before --until');
        let log: ParsedAuditLog | undefined;
        if (options.auditLog) {
          let text: string;
          try {
            text = readFileSync(options.auditLog, 'utf8');
          } catch (error) {
            throw new CliError(`cannot read --audit-log ${options.auditLog}: ${(error as Error).message}`);
          }
          log = parseAuditLog({ file: options.auditLog, text });
          for (const bad of log.invalid.slice(0, 5))
            io.stderr(`${options.auditLog}:${bad.line}: not an audit record, skipped: ${bad.error}\n`);
        }
        // A cluster that is not a Karmada API server is the common case: no warning about Karmada's APIs.
        const { inventory } = await inventoryFor(
          { ...options, namespace: undefined },
          new Set(NEEDS.report),
          io,
          { quiet: new Set<Loadable>(['karmadaClusters', 'resourceBindings']) },
        );
        const report = buildReport(evaluate(inventory, at), options.namespace, {
          generatedAt: io.now(),
          ...(log ? { audit: { log, since, until } } : {}),
        });
        if (options.output === 'md') io.stdout(sealText(renderReportMarkdown(report), 'md'));
        else if (options.output === 'html') io.stdout(sealText(renderReportHtml(report), 'html'));
        else io.stdout(renderJson(report as never));
      },
    );

  withSourceOptions(
    program
      .command('check')
      .summary('check manifests for CI: valid, and placeable on the inventory')
      .description(
        "Validate the sovereign-placement.io resources in the manifests with the operator's schemas, and report workloads whose requirements nothing in the inventory satisfies.",
      )
      .argument('<paths...>', 'manifest files or folders (searched recursively for .yaml, .yml, .json)'),
    false,
  )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Findings (one line each: file:line: object: [code] message):
  Invalid                        a custom resource the operator's schemas refuse (names the field)
  UnknownArea                    a policy or SovereignWorkload naming an area that does not exist
  NoConformingNode               a (Cluster)SovereigntyPolicy with no conforming node in the inventory
  TooFewProviders                conforming nodes exist on fewer providers than minimumProviders
  PlacementIncomplete            a SovereignWorkload without enough conforming member clusters
  WorkloadWithoutConformingNode  a Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod selected
                                 by a policy (of the manifests or the inventory) with no conforming node;
                                 namespace labels come from Namespaces of the manifests or the inventory
Objects in the manifests replace inventory objects of the same kind and name. Conformance is judged
on the facts of the inventory; every conforming node counts, Ready or not. Without --inventory only the schemas are checked.

Example:
  ${name} check deploy/ --inventory ./inventory
${EXIT_CODES}`,
    )
    .action(async (paths: string[], options: SourceOptions & { output: string }) => {
      const at = parseAt(options.at, io.now);
      const inventory = options.inventory ? loadInventory(options.inventory) : null;
      const result = check(readSources(paths), inventory, at);
      if (!inventory) io.stderr(`${name}: no --inventory given: only the schemas are checked\n`);
      if (options.output === 'json') io.stdout(renderJson(result));
      else {
        for (const f of result.findings) io.stdout(`${formatFinding(f)}\n`);
        const n = result.findings.length;
        io.stdout(
          n === 0
            ? `OK: ${result.objects} object${result.objects === 1 ? '' : 's'} checked, no finding.\n`
            : `${n} finding${n === 1 ? '' : 's'} in ${result.objects} object${result.objects === 1 ? '' : 's'}.\n`,
        );
      }
      setExit(result.findings.length > 0 ? ExitCode.Findings : ExitCode.Ok);
    });

  program
    .command('completion')
    .summary('print a shell completion script (bash, zsh)')
    .description(
      'Print the completion script for a shell; load it in the shell to complete commands, flags and values.',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText(
      'after',
      `\nExamples:\n  source <(${name} completion bash)        # in ~/.bashrc\n  source <(${name} completion zsh)         # in ~/.zshrc, after compinit\n  ${name} completion bash > ~/.local/share/bash-completion/completions/${name}`,
    )
    .action((shell: Shell) => {
      io.stdout(completionScript(program, shell));
    });

  const fulcrum = program
    .command('fulcrum')
    .summary('draft manifests from a Fulcrum core, and move services off an agent')
    .description(
      "Fulcrum (CISPE's federation layer): the operator keeps verdict tags on its agents (docs/fulcrum.md).",
    );
  const connection = (command: Command) =>
    command
      .requiredOption(
        '--url <url>',
        'Fulcrum API base URL, up to /api/v1 (https; http only for 127.0.0.1 or localhost)',
      )
      .requiredOption('--token-file <file>', 'file holding a Fulcrum admin token')
      .option('--timeout <seconds>', 'timeout of each request to Fulcrum, 1 to 60', '10');
  const timeoutMs = (value: string): number => {
    const seconds = Number(value);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60)
      throw new CliError(`--timeout must be a whole number of seconds from 1 to 60, got "${value}"`);
    return seconds * 1000;
  };
  connection(
    fulcrum
      .command('import')
      .summary("draft CloudService and FulcrumFederation manifests from Fulcrum's participants and agents")
      .description(
        'List every participant and agent (all pages) and print draft manifests for a person to complete (jurisdictions, countries, badges, evidence) and commit to Git. Never a verdict: the drafts are invalid until completed.',
      ),
  ).action(async (options: { url: string; tokenFile: string; timeout: string }) => {
    io.stdout(
      await importFromFulcrum({
        url: options.url,
        tokenFile: options.tokenFile,
        timeoutMs: timeoutMs(options.timeout),
      }),
    );
  });
  connection(
    fulcrum
      .command('move')
      .summary('recreate the services of an agent elsewhere (dry run unless --yes)')
      .description(
        'Fulcrum cannot move a service between agents: this creates each service of --agent anew with agentTags --tag (Fulcrum places it on the first agent carrying them) and deletes the old one, losing its instance data. Without --yes it only lists what would be recreated and where.',
      )
      .requiredOption('--agent <id>', 'the agent, by id or name, whose services to recreate')
      .option(
        '--tag <tag>',
        'agentTags of the recreated services: at least one verdict tag (repeatable)',
        (v: string, all: string[]) => [...all, v],
        [] as string[],
      )
      .option('--dry-run', 'only list what would be recreated and where (the default)')
      .option('--yes', 'recreate and delete, for real', false),
  ).action(
    async (options: {
      url: string;
      tokenFile: string;
      timeout: string;
      agent: string;
      tag: string[];
      yes: boolean;
      dryRun?: boolean;
    }) => {
      if (options.yes && options.dryRun) throw new CliError('use either --dry-run or --yes, not both');
      await moveServices(
        {
          url: options.url,
          tokenFile: options.tokenFile,
          timeoutMs: timeoutMs(options.timeout),
          agent: options.agent,
          tags: options.tag,
          yes: options.yes,
        },
        (text) => io.stdout(text),
      );
    },
  );

  return program;
}

/**
 * Runs the command line and returns its exit code. Never throws: errors the user can fix are one line
 * each on stderr with exit code 2; anything unexpected too (with the stack only when SOVCTL_DEBUG is set).
 */
export async function run(args: readonly string[], io: Io): Promise<number> {
  let code: number = ExitCode.Ok;
  const name = io.env.SOVCTL_NAME || 'sovctl';
  try {
    const program = buildProgram(io, (c) => {
      code = c;
    });
    await program.parseAsync([...args], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exit code 0; every usage error with 2.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      for (const line of error.lines) io.stderr(`${name}: ${line}\n`);
      return ExitCode.Usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`${name}: unexpected error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (io.env.SOVCTL_DEBUG) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
    return ExitCode.Usage;
  }
}
