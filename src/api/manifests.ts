import { parseAllDocuments } from 'yaml';

export interface ManifestDocument {
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  object: unknown;
}

export class ManifestSyntaxError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: invalid YAML: ${detail}`);
    this.name = 'ManifestSyntaxError';
    this.file = file;
    this.line = line;
  }
}

/** Parses a multi-document YAML text; empty documents are skipped, syntax errors name file and line. */
export function parseManifests(text: string, file: string): ManifestDocument[] {
  const docs: ManifestDocument[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: false })) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line ?? lineOf(text, error.pos[0]);
      throw new ManifestSyntaxError(file, line, error.message.split('\n')[0] ?? error.message);
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;
    docs.push({ file, line: lineOf(text, doc.contents?.range[0] ?? doc.range[0]), object });
  }
  return docs;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
