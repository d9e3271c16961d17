import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypingTracker, typingText } from '../../../src/client/typing-tracker.js';

describe('TypingTracker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('expires a name 2 s after its last typing=true', () => {
    const t = new TypingTracker(2000);
    t.set('alice', true);
    vi.advanceTimersByTime(1500);
    t.set('alice', true);
    vi.advanceTimersByTime(1500);
    expect(t.names()).toEqual(['alice']);
    vi.advanceTimersByTime(600);
    expect(t.names()).toEqual([]);
  });

  it('clears on typing=false and keeps start order', () => {
    const t = new TypingTracker();
    const seen: string[][] = [];
    t.onChange((n) => seen.push([...n]));
    t.set('bob', true);
    t.set('alice', true);
    t.set('bob', true);
    t.set('bob', false);
    expect(seen).toEqual([['bob'], ['bob', 'alice'], ['alice']]);
  });
});

describe('typingText', () => {
  it('reads naturally', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['Alice'])).toBe('Alice is typing…');
    expect(typingText(['Alice', 'Bob'])).toBe('Alice and Bob are typing…');
    expect(typingText(['A', 'B', 'C'])).toBe('A, B and C are typing…');
    expect(typingText(['A', 'B', 'C', 'D'])).toBe('A, B and 2 others are typing…');
  });
});
