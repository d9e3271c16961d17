import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/protocol/uuid7.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is a version-7 UUID carrying the time in milliseconds', () => {
    const now = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    const id = uuidv7(now);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('sorts in the order made, within one millisecond, past 4,096 per millisecond, and when the clock steps back', () => {
    const t = Date.UTC(2031, 5, 6);
    const ids = [
      ...Array.from({ length: 5000 }, () => uuidv7(t + 1000)),
      uuidv7(t), // the clock stepped back: still after the ones before
      uuidv7(t + 5000),
    ];
    for (const id of ids) expect(id).toMatch(V7);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has random bits: two ids of the same instant differ beyond the counter', () => {
    const t = Date.UTC(2032, 0, 1);
    const a = uuidv7(t + 7000);
    const b = uuidv7(t + 8000);
    expect(a.slice(19)).not.toBe(b.slice(19));
  });
});
