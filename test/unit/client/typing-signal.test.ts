import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypingSignal } from '../../../src/client/typing-signal.js';
import type { TypingFrame } from '../../../src/protocol/frames.js';

function setup() {
  const wire = { open: true, sent: [] as boolean[] };
  const signal = new TypingSignal((f: TypingFrame) => {
    if (!wire.open) return false;
    wire.sent.push(f.is_typing);
    return true;
  }, 1_500);
  return { wire, signal };
}

describe('TypingSignal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends "typing" at most once per throttle interval, and "stopped" once', () => {
    const { wire, signal } = setup();
    signal.set(true);
    signal.set(true);
    vi.advanceTimersByTime(1_499);
    signal.set(true);
    vi.advanceTimersByTime(1);
    signal.set(true);
    signal.set(false);
    signal.set(false);
    expect(wire.sent).toEqual([true, true, false]);
  });

  it('sends no "stopped" for a "typing" that never went out', () => {
    const { wire, signal } = setup();
    wire.open = false;
    signal.set(true);
    wire.open = true;
    signal.set(false);
    expect(wire.sent).toEqual([]);
    signal.set(true);
    expect(wire.sent).toEqual([true]);
  });

  it('after a reset (connection lost) sends "typing" again at once and no "stopped"', () => {
    const { wire, signal } = setup();
    signal.set(true);
    signal.reset();
    signal.set(false);
    signal.set(true);
    expect(wire.sent).toEqual([true, true]);
  });
});
