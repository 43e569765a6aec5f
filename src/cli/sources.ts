import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { ManifestSyntaxError, parseManifests } from '../api/manifests.ts';
import { CliError } from './errors.ts';

/** One object read from a manifest file, with where it was found. */
export interface SourceObject {
  file: string;
  /** 1-based line where the object starts. */
  line: number;
  object: unknown;
  /** The 1-based line of a field of the object (zod issue path), or of its closest existing parent. */
  lineOf: (path: readonly PropertyKey[]) => number;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/** Manifest files under the paths: files as given, folders recursively (hidden entries skipped), sorted. */
export function manifestFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (path: string, explicit: boolean) => {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch (error) {
      throw new CliError(`${path}: ${describeFsError(error)}`);
    }
    if (stat.isDirectory()) {
      let entries: string[];
      try {
        entries = readdirSync(path).sort();
      } catch (error) {
        throw new CliError(`${path}: ${describeFsError(error)}`);
      }
      for (const entry of entries) {
        if (entry.startsWith('.')) continue;
        const child = join(path, entry);
        const childStat = statSync(child, { throwIfNoEntry: false });
        if (childStat?.isDirectory() || MANIFEST.test(entry)) visit(child, false);
      }
    } else if (explicit || MANIFEST.test(path)) {
      files.push(path);
    }
  };
  for (const path of paths) visit(path, true);
  return files;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (error as Error).message;
}

/**
 * Every object of the manifest files under the paths. YAML syntax errors name the file and line
 * (all of them, one per file); `kind: List` documents (as `kubectl get -o yaml` writes) are expanded.
 */
export function readSources(paths: readonly string[], base = process.cwd()): SourceObject[] {
  const objects: SourceObject[] = [];
  const errors: string[] = [];
  for (const path of manifestFiles(paths)) {
    const shown = displayPath(path, base);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      errors.push(`${shown}: ${describeFsError(error)}`);
      continue;
    }
    try {
      objects.push(...sourcesOf(text, shown));
    } catch (error) {
      if (error instanceof ManifestSyntaxError) errors.push(error.message);
      else throw error;
    }
  }
  if (errors.length > 0) throw new CliError(errors);
  return objects;
}

/** Relative to the working directory when inside it, so messages stay short and clickable. */
export function displayPath(path: string, base: string): string {
  const rel = relative(base, path);
  return rel && !rel.startsWith('..') && !rel.startsWith('/') ? rel : path;
}

/** The objects of one YAML text (several documents). */
export function sourcesOf(text: string, file: string): SourceObject[] {
  const documents = parseManifests(text, file);
  let located: Map<number, Node | null> | undefined;
  let counter: LineCounter | undefined;
  // Field lines are needed only for invalid objects: the text is parsed once more, lazily.
  const rootAt = (line: number): Node | null => {
    if (!located) {
      counter = new LineCounter();
      located = new Map();
      for (const doc of parseAllDocuments(text, { lineCounter: counter })) {
        const start = doc.contents?.range[0] ?? doc.range[0];
        located.set(counter.linePos(start).line, doc.contents as Node | null);
      }
    }
    return located.get(line) ?? null;
  };
  const lineIn = (root: Node | null, fallback: number, path: readonly PropertyKey[]): number => {
    let node: unknown = root;
    let line = fallback;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        if (!pair) break;
        const range = (pair.key as Node | null)?.range;
        if (range && counter) line = counter.linePos(range[0]).line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        if (item.range && counter) line = counter.linePos(item.range[0]).line;
        node = item;
      } else {
        break;
      }
    }
    return line;
  };

  const out: SourceObject[] = [];
  for (const doc of documents) {
    const object = doc.object as { kind?: unknown; items?: unknown };
    if (object && typeof object === 'object' && object.kind === 'List' && Array.isArray(object.items)) {
      object.items.forEach((item, index) => {
        out.push({
          file,
          line: lineIn(rootAt(doc.line), doc.line, ['items', index]),
          object: item,
          lineOf: (path) => lineIn(rootAt(doc.line), doc.line, ['items', index, ...path]),
        });
      });
      continue;
    }
    out.push({
      file,
      line: doc.line,
      object: doc.object,
      lineOf: (path) => lineIn(rootAt(doc.line), doc.line, path),
    });
  }
  return out;
}
