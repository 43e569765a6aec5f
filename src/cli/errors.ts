/**
 * An error the user can fix (bad arguments, unreadable or invalid input, unknown names, an API server
 * that cannot be reached): printed as one line per problem, without a stack trace, exit code 2.
 */
export class CliError extends Error {
  readonly lines: readonly string[];
  constructor(lines: string | readonly string[]) {
    const all = typeof lines === 'string' ? [lines] : [...lines];
    super(all.join('\n'));
    this.name = 'CliError';
    // One line each: a multi-line message from a library must not spill over several lines.
    this.lines = all.map((l) => l.replace(/\s*\n\s*/g, ' ').trim());
  }
}

/** Exit codes of every command (documented in docs/sovctl.md and in --help). */
export const ExitCode = {
  /** Success; for `check`, no finding. */
  Ok: 0,
  /** `check` found problems in the manifests. */
  Findings: 1,
  /** Usage or input error: bad arguments, unreadable files, invalid YAML, unknown names, API errors. */
  Usage: 2,
} as const;
