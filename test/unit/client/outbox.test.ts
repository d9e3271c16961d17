import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/client/outbox.js';
import { memoryStorage } from '../../../src/client/storage.js';

describe('Outbox', () => {
  it('persists items per room and survives a new instance (a page reload)', () => {
    const store = memoryStorage();
    const a = new Outbox(store, 'room-1', 'alice');
    const item = a.add('hello');
    expect(item.client_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(item.status).toBe('pending');

    const again = new Outbox(store, 'room-1', 'alice');
    expect(again.items().map((i) => i.content)).toEqual(['hello']);
    expect(new Outbox(store, 'room-2', 'alice').items()).toEqual([]);
  });

  it("makes time-ordered keys (UUIDv7), so the server's index on them grows at its end", () => {
    const o = new Outbox(memoryStorage(), 'r', 'alice');
    const ids = Array.from({ length: 50 }, (_, i) => o.add(`m${i}`).client_id);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('only shows the current user their own items', () => {
    const store = memoryStorage();
    new Outbox(store, 'r', 'alice').add('from alice');
    const bob = new Outbox(store, 'r', 'bob');
    expect(bob.items()).toEqual([]);
    bob.add('from bob');
    // Bob's write must not lose Alice's item.
    expect(new Outbox(store, 'r', 'alice').items().map((i) => i.content)).toEqual(['from alice']);
  });

  it('marks failed, retries and removes', () => {
    const store = memoryStorage();
    const o = new Outbox(store, 'r', 'alice');
    const a = o.add('a');
    const b = o.add('b');
    o.markFailed(a.client_id, 'too fast');
    expect(o.pending().map((i) => i.content)).toEqual(['b']);
    expect(o.get(a.client_id)?.error).toBe('too fast');
    o.markPending(a.client_id);
    expect(o.pending().map((i) => i.content)).toEqual(['a', 'b']);
    expect(o.remove(b.client_id)).toBe(true);
    expect(o.remove(b.client_id)).toBe(false);
    o.remove(a.client_id);
    expect(store.getItem(o.key)).toBeNull();
  });

  it('ignores corrupt storage', () => {
    const store = memoryStorage();
    store.setItem('parley:outbox:v1:r', '{not json');
    expect(new Outbox(store, 'r', 'a').items()).toEqual([]);
    store.setItem('parley:outbox:v1:r', JSON.stringify([{ nope: 1 }, 5]));
    expect(new Outbox(store, 'r', 'a').items()).toEqual([]);
  });
});
