// What a relist changes in a reflector's cache, as a pure function: the part of the reflector that
// guarantees that no delete is lost while it was not watching.
import type { ObjectWithMeta } from './resource-client.ts';

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: ObjectWithMeta): string {
  const name = object.metadata?.name ?? '';
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export interface SnapshotChanges<T> {
  /** The cache after the relist. */
  next: Map<string, T>;
  added: { key: string; object: T }[];
  modified: { key: string; object: T; old: T }[];
  deleted: { key: string; object: T }[];
}

/**
 * What a relist changes in a cache: objects not in the list were deleted, objects not in the cache were
 * added, objects whose resourceVersion differs were modified. An object deleted and re-created under the
 * same name (another uid) counts as deleted and added, since it is another object.
 */
export function diffSnapshot<T extends ObjectWithMeta>(
  cache: ReadonlyMap<string, T>,
  listed: readonly T[],
  keyOf: (object: T) => string = objectKey,
): SnapshotChanges<T> {
  const next = new Map<string, T>();
  const changes: SnapshotChanges<T> = { next, added: [], modified: [], deleted: [] };
  for (const object of listed) {
    const key = keyOf(object);
    next.set(key, object);
    const old = cache.get(key);
    if (old === undefined) {
      changes.added.push({ key, object });
    } else if (uidOf(old) !== uidOf(object)) {
      changes.deleted.push({ key, object: old });
      changes.added.push({ key, object });
    } else if (!sameVersion(old, object)) {
      changes.modified.push({ key, object, old });
    }
  }
  for (const [key, old] of cache) {
    if (!next.has(key)) changes.deleted.push({ key, object: old });
  }
  return changes;
}

function uidOf(object: ObjectWithMeta): string | undefined {
  return (object.metadata as { uid?: string } | undefined)?.uid;
}

function sameVersion(a: ObjectWithMeta, b: ObjectWithMeta): boolean {
  const va = a.metadata?.resourceVersion;
  return va !== undefined && va === b.metadata?.resourceVersion;
}
