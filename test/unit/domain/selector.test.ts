import { describe, expect, it } from 'vitest';
import { type LabelSelector, matchesSelector } from '../../../src/domain/index.ts';

const labels = { app: 'web', tier: 'front', empty: '' };

describe('matchesSelector', () => {
  it.each<[string, LabelSelector, boolean]>([
    ['empty selector matches everything', {}, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels differ', { matchLabels: { app: 'db' } }, false],
    ['matchLabels missing key', { matchLabels: { zone: 'a' } }, false],
    ['matchLabels with empty value', { matchLabels: { empty: '' } }, true],
    ['In holds', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back', 'front'] }] }, true],
    [
      'In fails on other value',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      false,
    ],
    [
      'In fails on missing key',
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
      false,
    ],
    [
      'NotIn holds on other value',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] },
      true,
    ],
    [
      'NotIn fails on listed value',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
      false,
    ],
    [
      'NotIn holds on missing key',
      { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
      true,
    ],
    ['Exists holds', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['Exists fails', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    ['DoesNotExist holds', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist fails', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [
      'all requirements must hold',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      false,
    ],
    [
      'inherited properties are not labels',
      { matchExpressions: [{ key: 'toString', operator: 'Exists' }] },
      false,
    ],
  ])('%s', (_, selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
});
