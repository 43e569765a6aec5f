import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../../src/domain/index.ts';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['90s', 90_000],
    ['15m', 900_000],
    ['720h', 2_592_000_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['0.1s', 100],
    ['1h1m1s1ms', 3_661_001],
    ['1500us', 1.5],
    ['2000000ns', 2],
    ['1.s', 1000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '1', '-5s', '+5s', '5 s', '1d', '1h30', 'h1', '.5s', '1e3s', '9999999999999h'])(
    'refuses %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [86_400_000, '24h'],
    [5_400_000, '1h30m'],
    [90_000, '1m30s'],
    [250, '250ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
