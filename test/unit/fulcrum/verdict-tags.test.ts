import { describe, expect, it } from 'vitest';
import {
  isVerdictTag,
  mergeVerdictTags,
  verdictTag,
  verdictTagsFor,
} from '../../../src/domain/verdict-tags.ts';

describe('verdict tags', () => {
  it('are the verdict label name under the API group, with a tag of their own for ThirdPartyCertified', () => {
    expect(verdictTag('Sovereign', 'eu')).toBe('sovereign-placement.io/sp.sovereign.eu');
    expect(verdictTag('Resilient', 'eu-west', 'ThirdPartyCertified')).toBe(
      'sovereign-placement.io/sp.resilient.eu-west=ThirdPartyCertified',
    );
    expect(verdictTagsFor('Sovereign', 'eu', 'SelfDeclared')).toEqual([
      'sovereign-placement.io/sp.sovereign.eu',
    ]);
    expect(verdictTagsFor('Sovereign', 'eu', undefined)).toEqual([]);
  });

  it('owns every tag under sovereign-placement.io/sp., in any case, and no other', () => {
    expect(isVerdictTag('sovereign-placement.io/sp.sovereign.eu')).toBe(true);
    expect(isVerdictTag(' SOVEREIGN-PLACEMENT.IO/SP.anything')).toBe(true);
    expect(isVerdictTag('sovereign-placement.io/owner')).toBe(false);
    expect(isVerdictTag('gpu')).toBe(false);
  });

  it('keeps other tags in place, strips forged and duplicate verdict tags, appends missing ones', () => {
    const tag = verdictTag('Sovereign', 'eu');
    expect(mergeVerdictTags(['gpu', tag, 'ssd'], [tag])).toEqual({ tags: null, added: [], removed: [] });
    expect(mergeVerdictTags(['gpu', 'ssd'], [tag])).toEqual({
      tags: ['gpu', 'ssd', tag],
      added: [tag],
      removed: [],
    });
    expect(
      mergeVerdictTags(
        ['sovereign-placement.io/sp.resilient.eu', 'gpu', tag, tag, 'Sovereign-Placement.io/sp.x', 'ssd'],
        [tag],
      ),
    ).toEqual({
      tags: ['gpu', tag, 'ssd'],
      added: [],
      removed: ['sovereign-placement.io/sp.resilient.eu', tag, 'Sovereign-Placement.io/sp.x'],
    });
    expect(mergeVerdictTags([tag, 'gpu'], [])).toEqual({ tags: ['gpu'], added: [], removed: [tag] });
  });
});
