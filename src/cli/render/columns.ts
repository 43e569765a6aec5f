/** Left-aligned columns separated by two spaces, as kubectl prints tables; the last column is not padded. */
export function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const yesNo = (value: boolean | null): string => (value === null ? '-' : value ? 'yes' : 'no');

/** The codes of reasons, comma-separated. */
export const codes = (reasons: readonly { code: string }[]): string => reasons.map((r) => r.code).join(', ');
