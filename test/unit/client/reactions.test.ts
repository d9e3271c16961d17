import { describe, expect, it } from 'vitest';
import { toggleReaction } from '../../../src/client/message-changes.js';
import { whoReacted } from '../../../src/client/ui/views/reactions.js';

describe('whoReacted', () => {
  it('names people in the order they reacted, the reader as "you", and counts the rest', () => {
    expect(whoReacted(['bob'], 'amy')).toBe('bob');
    expect(whoReacted(['amy'], 'amy')).toBe('you');
    expect(whoReacted(['bob', 'amy', 'cy'], 'amy')).toBe('bob, you and cy');
    expect(whoReacted(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 'z')).toBe(
      'a, b, c, d, e and 3 others',
    );
  });
});

describe('toggleReaction', () => {
  it('has set semantics and returns the same list when nothing changes', () => {
    const none = toggleReaction([], '👍', 'amy', false);
    expect(none).toEqual([]);
    const one = toggleReaction([], '👍', 'amy', true);
    expect(toggleReaction(one, '👍', 'amy', true)).toBe(one);
    const two = toggleReaction(one, '👍', 'bob', true);
    expect(two).toEqual([{ emoji: '👍', count: 2, users: ['amy', 'bob'] }]);
    expect(toggleReaction(two, '🎉', 'bob', false)).toBe(two);
    expect(toggleReaction(toggleReaction(two, '👍', 'amy', false), '👍', 'bob', false)).toEqual([]);
  });
});
