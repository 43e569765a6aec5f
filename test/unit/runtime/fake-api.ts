// An in-memory stand-in for one API resource, serving the reflector's ResourceClient: lists come in
// pages from a snapshot, the open watch receives the changes the test makes, and the test decides when
// the watch fails, ends or goes silent.
import type {
  ListPage,
  ListPageRequest,
  RawWatchEvent,
  ResourceClient,
  WatchRequest,
} from '../../../src/operator/runtime/resource-client.ts';

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
  data?: string;
}

export interface FakeWatch {
  request: WatchRequest;
  aborted: boolean;
  ended: boolean;
  send(event: RawWatchEvent<Obj>): void;
  /** Ends the watch as the server or the network would: no error = normal end. */
  end(error?: unknown): void;
}

export class FakeApi {
  readonly objects = new Map<string, Obj>();
  readonly listCalls: ListPageRequest[] = [];
  readonly watches: FakeWatch[] = [];
  rv = 100;
  private uids = 0;
  /** While true, changes are not sent to the open watch (a gap the reflector cannot see). */
  silent = false;
  /** Errors to throw from the next list calls, in order. */
  listErrors: unknown[] = [];
  /** Errors the next watch calls end with at once (as client-node does for a non-200 answer). */
  watchStartErrors: unknown[] = [];
  private snapshots = new Map<string, { rv: string; items: Obj[] }>();

  get lastWatch(): FakeWatch {
    const watch = this.watches.at(-1);
    if (!watch) throw new Error('no watch was started');
    return watch;
  }

  put(name: string, data = name): Obj {
    const old = this.objects.get(name);
    const object: Obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, resourceVersion: String(++this.rv), uid: old?.metadata.uid ?? `uid-${++this.uids}` },
      data,
    };
    this.objects.set(name, object);
    this.notify({ type: old ? 'MODIFIED' : 'ADDED', object });
    return object;
  }

  remove(name: string): void {
    const old = this.objects.get(name);
    if (!old) throw new Error(`no ${name}`);
    this.objects.delete(name);
    const object = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.notify({ type: 'DELETED', object });
  }

  /** Deletes and re-creates `name` (a new uid). */
  recreate(name: string): void {
    this.remove(name);
    this.put(name, `${name}-again`);
  }

  private notify(event: RawWatchEvent<Obj>): void {
    const watch = this.watches.at(-1);
    if (!this.silent && watch && !watch.ended && !watch.aborted) watch.send(event);
  }

  readonly client: ResourceClient<Obj> = {
    list: async (request) => {
      this.listCalls.push(request);
      if (this.listErrors.length > 0) throw this.listErrors.shift();
      let snapshot: { rv: string; items: Obj[] };
      let offset = 0;
      let id = String(this.snapshots.size + 1);
      if (request.continue) {
        const [token, at] = request.continue.split(':');
        const found = this.snapshots.get(token ?? '');
        if (!found) throw Object.assign(new Error('continue token expired'), { statusCode: 410 });
        snapshot = found;
        offset = Number(at);
        id = token ?? id;
      } else {
        snapshot = {
          rv: String(this.rv),
          items: [...this.objects.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
        };
      }
      const limit = request.limit ?? snapshot.items.length;
      const items = snapshot.items.slice(offset, offset + limit);
      const page: ListPage<Obj> = { items: structuredClone(items), resourceVersion: snapshot.rv };
      if (offset + limit < snapshot.items.length) {
        this.snapshots.set(id, snapshot);
        page.continue = `${id}:${offset + limit}`;
      }
      return page;
    },

    watch: async (request, onEvent, onEnd) => {
      const watch: FakeWatch = {
        request,
        aborted: false,
        ended: false,
        send: (event) => {
          if (!watch.ended) onEvent(structuredClone(event));
        },
        end: (error) => {
          if (watch.ended) return;
          watch.ended = true;
          onEnd(error);
        },
      };
      this.watches.push(watch);
      const startError = this.watchStartErrors.shift();
      if (startError !== undefined) watch.end(startError);
      return () => {
        watch.aborted = true;
        // Like client-node, the end callback still comes after an abort.
        queueMicrotask(() => watch.end(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      };
    },
  };

  /** Forgets continue tokens, as when the server compacted their resourceVersion. */
  expireContinueTokens(): void {
    this.snapshots.clear();
  }
}
