// Shared by the runtime's integration tests: a wire-level ConfigMap type, a client wrapper that records
// what the reflector asked the API server and what it got, and small helpers.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Reflector, ReflectorEvent } from '../../../src/operator/runtime/reflector.ts';
import type {
  ListPageRequest,
  ObjectWithMeta,
  ResourceClient,
  WatchRequest,
} from '../../../src/operator/runtime/resource-client.ts';

/** A ConfigMap as the API server sends it (timestamps are strings, unlike client-node's V1ConfigMap). */
export interface ConfigMapJson {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
  };
  data?: Record<string, string>;
}

export interface Recorded<T> {
  client: ResourceClient<T>;
  lists: Omit<ListPageRequest, 'signal'>[];
  watches: WatchRequest[];
  /** Raw watch event types with the resourceVersion they carried. */
  raw: { type: string; resourceVersion: string | undefined }[];
}

export function recording<T extends { metadata?: { resourceVersion?: string } }>(
  inner: ResourceClient<T>,
): Recorded<T> {
  const recorded: Recorded<T> = {
    lists: [],
    watches: [],
    raw: [],
    client: {
      list: (request) => {
        const { signal: _signal, ...rest } = request;
        recorded.lists.push(rest);
        return inner.list(request);
      },
      watch: (request, onEvent, onEnd) => {
        recorded.watches.push(request);
        return inner.watch(
          request,
          (event) => {
            const meta = (event.object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata;
            recorded.raw.push({ type: event.type, resourceVersion: meta?.resourceVersion });
            onEvent(event);
          },
          onEnd,
        );
      },
    },
  };
  return recorded;
}

/** Collects a reflector's events; `of(type)` filters them with the right type. */
export function collect<T extends ObjectWithMeta>(reflector: Reflector<T>) {
  const events: ReflectorEvent<T>[] = [];
  reflector.onEvent((e) => events.push(e));
  const of = <K extends ReflectorEvent<T>['type']>(type: K) =>
    events.filter((e): e is Extract<ReflectorEvent<T>, { type: K }> => e.type === type);
  return { events, of };
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}

/** `namespace/name -> resourceVersion` of what the API server has, for comparing with a cache. */
export async function serverState(kc: KubeConfig, namespace: string, labelSelector?: string) {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace, labelSelector });
  return sortedObject(
    list.items.map((cm) => [`${namespace}/${cm.metadata?.name}`, cm.metadata?.resourceVersion]),
  );
}

export function cacheState(reflector: Reflector<ConfigMapJson>) {
  return sortedObject(
    reflector
      .list()
      .map((cm) => [`${cm.metadata.namespace}/${cm.metadata.name}`, cm.metadata.resourceVersion]),
  );
}

// Sorted by key, so that two states compare equal as JSON strings too.
function sortedObject(entries: [string, string | undefined][]): Record<string, string | undefined> {
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
