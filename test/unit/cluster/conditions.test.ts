import { describe, expect, it } from 'vitest';
import {
  type Condition,
  type ConditionInput,
  ConditionReason,
  ConditionType,
  mergeConditions,
} from '../../../src/cluster/conditions.ts';

const BEFORE = '2026-05-01T00:00:00.000Z';
const NOW = '2026-06-01T00:00:00.000Z';

const ready = (status: Condition['status'], message = 'ok'): ConditionInput => ({
  type: ConditionType.Ready,
  status,
  reason: status === 'True' ? ConditionReason.Reconciled : ConditionReason.UnknownArea,
  message,
  observedGeneration: 2,
});
const capacity = (status: Condition['status']): ConditionInput => ({
  type: ConditionType.CapacityAvailable,
  status,
  reason: status === 'True' ? ConditionReason.ConformingCapacity : ConditionReason.NoConformingCapacity,
  message: 'capacity',
});

describe('mergeConditions', () => {
  it('keeps lastTransitionTime when the status is unchanged, even if reason and message change', () => {
    const previous: Condition[] = [
      { ...ready('True', 'old'), observedGeneration: 1, lastTransitionTime: BEFORE },
    ];
    const merged = mergeConditions(previous, [ready('True', 'new')], NOW);
    expect(merged).toEqual([{ ...ready('True', 'new'), lastTransitionTime: BEFORE }]);
  });

  it('sets lastTransitionTime to now when the status changes', () => {
    const previous: Condition[] = [{ ...ready('True'), lastTransitionTime: BEFORE }];
    expect(mergeConditions(previous, [ready('False')], NOW)).toEqual([
      { ...ready('False'), lastTransitionTime: NOW },
    ]);
  });

  it('sets lastTransitionTime to now for a new condition, without previous conditions too', () => {
    const previous: Condition[] = [{ ...ready('True'), lastTransitionTime: BEFORE }];
    expect(mergeConditions(previous, [ready('True'), capacity('False')], NOW)).toEqual([
      { ...ready('True'), lastTransitionTime: BEFORE },
      { ...capacity('False'), lastTransitionTime: NOW },
    ]);
    expect(mergeConditions(undefined, [capacity('True')], NOW)).toEqual([
      { ...capacity('True'), lastTransitionTime: NOW },
    ]);
  });

  it('matches conditions by type, not by position, and drops conditions no longer listed', () => {
    const previous: Condition[] = [
      { ...capacity('True'), lastTransitionTime: '2026-01-01T00:00:00.000Z' },
      { ...ready('False'), lastTransitionTime: BEFORE },
    ];
    const merged = mergeConditions(previous, [ready('False'), capacity('False')], NOW);
    expect(merged.map((c) => [c.type, c.lastTransitionTime])).toEqual([
      ['Ready', BEFORE],
      ['CapacityAvailable', NOW],
    ]);
    expect(mergeConditions(previous, [], NOW)).toEqual([]);
  });
});
