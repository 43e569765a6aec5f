import { CoreV1Api, type KubeConfig, type V1Node, type V1NodeCondition } from '@kubernetes/client-node';
import { NodeFactLabels } from '../../src/api/group.ts';
import { KWOK_ANNOTATION, KWOK_FAILABLE, KWOK_MANAGED } from './cluster.ts';
import { waitFor } from './net.ts';

export interface KwokNodeOptions {
  name: string;
  /** Trusted facts, written under node-restriction.kubernetes.io/ as an administrator would. */
  cloudService?: string;
  country?: string;
  labels?: Record<string, string>;
  cpu?: string;
  pods?: number;
  /** Managed by the second KWOK controller, which `cluster.failNodes()` stops. */
  failable?: boolean;
}

/** Creates a Node that KWOK manages (heartbeats, Ready, pods Running) with the project's labels. */
export async function createKwokNode(kc: KubeConfig, options: KwokNodeOptions): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const capacity = { cpu: options.cpu ?? '16', memory: '64Gi', pods: String(options.pods ?? 110) };
  return core.createNode({
    body: {
      metadata: {
        name: options.name,
        annotations: {
          [KWOK_ANNOTATION]: options.failable ? KWOK_FAILABLE : KWOK_MANAGED,
          'node.alpha.kubernetes.io/ttl': '0',
        },
        labels: {
          'kubernetes.io/hostname': options.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
          ...(options.cloudService ? { [NodeFactLabels.cloudService]: options.cloudService } : {}),
          ...(options.country ? { [NodeFactLabels.country]: options.country } : {}),
          ...options.labels,
        },
      },
      spec: {},
      status: { capacity, allocatable: capacity },
    },
  });
}

export const readyCondition = (node: V1Node): V1NodeCondition | undefined =>
  node.status?.conditions?.find((c) => c.type === 'Ready');

export async function waitForNodeReady(kc: KubeConfig, name: string, timeoutMs = 60_000): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  return waitFor(
    `node ${name} Ready`,
    async () => {
      const node = await core.readNode({ name });
      return readyCondition(node)?.status === 'True' ? node : undefined;
    },
    { timeoutMs },
  );
}
