import { describe, expect, it } from 'vitest';
import { extractMentions, mentionRanges, mentionsUser } from '../../src/protocol/mentions.js';

describe('mentions', () => {
  it('finds @names at word starts, once each, in order', () => {
    expect(extractMentions('hi @carl and @Ana, @carl again (@bob)')).toEqual([
      'carl',
      'Ana',
      'bob',
    ]);
    expect(extractMentions('@Carl @carl')).toEqual(['Carl']);
  });

  it('ignores e-mail addresses, bare @ and trailing punctuation', () => {
    expect(extractMentions('write to bob@example.com or @ alone')).toEqual([]);
    expect(extractMentions('thanks @carl. and @dora-')).toEqual(['carl', 'dora']);
    expect(extractMentions('no at sign')).toEqual([]);
  });

  it('matches a username case-insensitively', () => {
    expect(mentionsUser(['Carl'], 'carl')).toBe(true);
    expect(mentionsUser(['carla'], 'carl')).toBe(false);
    expect(mentionsUser(undefined, 'carl')).toBe(false);
  });

  it('locates each mention for highlighting', () => {
    expect(mentionRanges('hey @carl.')).toEqual([{ start: 4, end: 9, name: 'carl' }]);
  });
});
