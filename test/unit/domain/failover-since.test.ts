import { describe, expect, it } from 'vitest';
import { notConformingSince } from '../../../src/domain/failover.ts';

describe('notConformingSince', () => {
  it('is when the last accepted badge went under AnyOf, the first under AllOf, unknown without instants', () => {
    expect(notConformingSince([1_000, 5_000], 'AnyOf')).toBe(5_000);
    expect(notConformingSince([1_000, 5_000], 'AllOf')).toBe(1_000);
    expect(notConformingSince([], 'AnyOf')).toBeUndefined();
  });
});
