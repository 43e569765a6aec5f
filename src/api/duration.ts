/**
 * Go-style durations, the form Kubernetes users write in metav1.Duration fields ("90s", "15m", "720h",
 * "1h30m", "250ms"). Parsed like Go's time.ParseDuration (integer nanoseconds, so that "0.1s" is exactly
 * 100 ms), except that negative durations are refused: the API never accepts them.
 */

const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = 2n ** 63n - 1n;
const PART = /^([0-9]+)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/;

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Milliseconds in a Go-style duration; throws DurationError on anything Go would refuse (or a sign). */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text === '') throw new DurationError('invalid duration "": empty');
  let rest = text;
  let totalNs = 0n;
  while (rest.length > 0) {
    const part = PART.exec(rest);
    if (!part)
      throw new DurationError(`invalid duration ${JSON.stringify(text)}: expected e.g. "90s", "1h30m"`);
    const [whole, integer = '0', fraction = '', unit = ''] = part;
    const perUnit = NS_PER_UNIT[unit] ?? 0n;
    totalNs += BigInt(integer) * perUnit;
    if (fraction.length > 0) totalNs += (BigInt(fraction) * perUnit) / 10n ** BigInt(fraction.length);
    if (totalNs > MAX_NS) throw new DurationError(`invalid duration ${JSON.stringify(text)}: too long`);
    rest = rest.slice(whole.length);
  }
  return Number(totalNs) / 1_000_000;
}

/** The shortest Go-style rendering of a duration in milliseconds ("24h", "1h30m", "1m30s", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.abs(ms);
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return (ms < 0 ? '-' : '') + parts.join('');
}
