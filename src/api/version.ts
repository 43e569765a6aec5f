import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The version of package.json, which the image and the chart's appVersion carry too (CHANGELOG.md). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}
