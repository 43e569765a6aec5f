// Where the operator finds its cluster. client-node's loadFromDefault() falls back, when it finds
// nothing, to http://localhost:8080, which its own HTTP client then refuses ("HTTP protocol is not
// allowed when skipTLSVerify is not set or false") on every retry, forever. The search is the same
// here, but finding nothing is an error that says what was looked for.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

export interface KubeConfigSources {
  /** --kubeconfig */
  flag?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Prefix of the in-cluster ServiceAccount files (tests only; '' in a pod). */
  root?: string;
}

/** In order: --kubeconfig, $KUBECONFIG (files joined by ':'), ~/.kube/config, the in-cluster ServiceAccount. */
export function loadKubeConfig(sources: KubeConfigSources = {}): { kubeConfig: KubeConfig; source: string } {
  const env = sources.env ?? process.env;
  const kubeConfig = new KubeConfig();
  const load = (file: string, origin: string) => {
    if (!existsSync(file)) throw new KubeConfigError(`${origin}: no such file: ${file}`);
    try {
      kubeConfig.loadFromFile(file);
    } catch (error) {
      throw new KubeConfigError(`${origin}: cannot read ${file}: ${(error as Error).message}`);
    }
    if (!kubeConfig.getCurrentCluster())
      throw new KubeConfigError(
        `${origin}: ${file} has no current context with a cluster (set current-context, or use another file)`,
      );
  };
  if (sources.flag) {
    load(sources.flag, '--kubeconfig');
    return { kubeConfig, source: sources.flag };
  }
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 0) {
    const missing = fromEnv.filter((f) => !existsSync(f));
    if (missing.length === fromEnv.length)
      throw new KubeConfigError(`$KUBECONFIG: no such file: ${missing.join(', ')}`);
    // Like kubectl: the files that exist, merged in order (the first one's current-context wins).
    const [first = '', ...others] = fromEnv.filter((f) => existsSync(f));
    load(first, '$KUBECONFIG');
    for (const file of others) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      kubeConfig.mergeConfig(more, true);
    }
    if (!kubeConfig.getCurrentCluster())
      throw new KubeConfigError(`$KUBECONFIG (${env.KUBECONFIG}) has no current context with a cluster`);
    return { kubeConfig, source: `$KUBECONFIG (${env.KUBECONFIG})` };
  }
  const home = sources.home ?? env.HOME ?? homedir();
  const userConfig = join(home, '.kube', 'config');
  if (existsSync(userConfig)) {
    load(userConfig, '~/.kube/config');
    return { kubeConfig, source: userConfig };
  }
  const root = sources.root ?? '';
  if (
    env.KUBERNETES_SERVICE_HOST &&
    env.KUBERNETES_SERVICE_PORT &&
    existsSync(root + SERVICE_ACCOUNT_TOKEN)
  ) {
    kubeConfig.loadFromCluster(root);
    return { kubeConfig, source: 'in-cluster ServiceAccount' };
  }
  throw new KubeConfigError(
    'no Kubernetes API server configured: pass --kubeconfig PATH, set $KUBECONFIG, create ~/.kube/config, ' +
      `or run in a pod (KUBERNETES_SERVICE_HOST and ${SERVICE_ACCOUNT_TOKEN}); looked for ${userConfig}`,
  );
}
