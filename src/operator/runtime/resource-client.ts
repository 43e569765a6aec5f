// The two calls a reflector needs from the API server, list one page and watch, behind an interface so
// that the reflector's recovery logic can be tested with a scripted fake.
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import { type KubeStatus, kubeRequest } from '../../kube/request.ts';

/** The part of an object the reflector relies on. */
export interface ObjectWithMeta {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface ListPageRequest {
  limit?: number;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
}

export interface ListPage<T> {
  items: T[];
  /** The resourceVersion the list was served at (the same for every page of one list). */
  resourceVersion: string;
  /** Token for the next page, absent on the last page. */
  continue?: string;
}

export interface WatchRequest {
  resourceVersion: string;
  /** The server ends the watch normally after this many seconds. */
  timeoutSeconds: number;
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export type RawWatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; object: ObjectWithMeta }
  | { type: 'ERROR'; object: KubeStatus };

export interface ResourceClient<T> {
  list(request: ListPageRequest): Promise<ListPage<T>>;
  /**
   * Starts a watch. `onEnd` is called once, with an error unless the server ended the watch normally.
   * Resolves with a function that aborts the watch (after which `onEnd` may still be called).
   */
  watch(
    request: WatchRequest,
    onEvent: (event: RawWatchEvent<T>) => void,
    onEnd: (error?: unknown) => void,
  ): Promise<() => void>;
}

export interface KubeResourceClientOptions {
  /** Per list page (default 60 s). */
  listTimeoutMs?: number;
  /**
   * client-node's Watch aborts a watch that received no data for 30 s (`TimeoutError`). The API server
   * sends a bookmark only about once a minute, so a quiet but healthy watch would be cut every 30 s.
   * The reflector has its own idle watchdog; this is set above it (default 10 minutes).
   */
  watchInactivityTimeoutMs?: number;
}

interface ListBody<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** A ResourceClient for the collection at `path` (see `resourcePath`), core or custom resource. */
export function kubeResourceClient<T extends ObjectWithMeta>(
  kc: KubeConfig,
  path: string,
  options: KubeResourceClientOptions = {},
): ResourceClient<T> {
  return {
    async list(request) {
      const body = await kubeRequest<ListBody<T>>(kc, {
        path,
        query: {
          limit: request.limit,
          continue: request.continue,
          labelSelector: request.labelSelector,
          fieldSelector: request.fieldSelector,
        },
        timeoutMs: options.listTimeoutMs ?? 60_000,
        signal: request.signal,
      });
      // Items of built-in lists come without apiVersion and kind (custom resources have them); fill
      // them in so that an object looks the same whether it came from the list or from the watch.
      const kind = body.kind?.replace(/List$/, '');
      const items = (body.items ?? []).map((item) =>
        item.kind || !kind ? item : { apiVersion: body.apiVersion, kind, ...item },
      );
      return {
        items,
        resourceVersion: body.metadata?.resourceVersion ?? '',
        continue: body.metadata?.continue || undefined,
      };
    },

    async watch(request, onEvent, onEnd) {
      const watch = new Watch(kc);
      // `requestTimeoutMs` is private in the typings but a plain field at run time (client-node 2.0.1).
      (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs =
        options.watchInactivityTimeoutMs ?? 600_000;
      const controller = await watch.watch(
        path,
        {
          resourceVersion: request.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: request.timeoutSeconds,
          labelSelector: request.labelSelector,
          fieldSelector: request.fieldSelector,
        },
        (type, object) => onEvent({ type, object } as RawWatchEvent<T>),
        (error) => onEnd(error ?? undefined),
      );
      return () => controller.abort();
    },
  };
}
