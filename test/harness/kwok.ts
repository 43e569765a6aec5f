import { join } from 'node:path';
import { binary } from './binaries.ts';
import { ManagedProcess } from './processes.ts';

export const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';
/** Values of KWOK_ANNOTATION: which of the two KWOK controllers manages a node. */
export const KWOK_MANAGED = 'fake';
export const KWOK_FAILABLE = 'failable';
export const FAILABLE_KWOK = 'kwok-failable';

/**
 * The two KWOK controllers of a cluster: one for ordinary nodes, and one for "failable" nodes, which a
 * test fails the way a node fails (its kubelet stops) by stopping that controller. Both apply the stages
 * of kwok-stages.yaml (KWOK >= 0.8 runs none unless configured).
 */
export function startKwokControllers(
  kubeconfigPath: string,
  dir: string,
  serverAddress: () => Promise<string | undefined> = async () => undefined,
): Promise<ManagedProcess[]> {
  const controllers = [
    ['kwok', KWOK_MANAGED, '10.244.0.0/17'],
    [FAILABLE_KWOK, KWOK_FAILABLE, '10.244.128.0/17'],
  ] as const;
  return Promise.all(
    controllers.map(async ([name, value, cidr]) => {
      const address = await serverAddress();
      return new ManagedProcess(
        name,
        binary('kwok'),
        [
          `--kubeconfig=${kubeconfigPath}`,
          `--config=${new URL('./kwok-stages.yaml', import.meta.url).pathname}`,
          `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=${value}`,
          ...(address ? [`--server-address=${address}`] : []),
          `--cidr=${cidr}`,
          '--node-ip=127.0.0.1',
          '--node-lease-duration-seconds=40',
        ],
        join(dir, `${name}.log`),
        { HOME: dir },
      );
    }),
  );
}
