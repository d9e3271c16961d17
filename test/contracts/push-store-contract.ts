// One behaviour for every PushStore: run on SQLite and PostgreSQL by
// store.push.test.ts.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatStoreWithAccounts } from '../../src/server/storage/index.js';
import {
  MAX_PUSH_SUBSCRIPTIONS_PER_READER,
  type PushStore,
  type StoredPushSubscription,
} from '../../src/server/storage/push-store.js';

export type MakeStore = () => Promise<ChatStoreWithAccounts>;
/** Closes the store, marks migration 100 (open-mode owners lower-cased) unapplied, reopens it. */
export type RedoOwnerMigration = (store: ChatStoreWithAccounts) => Promise<ChatStoreWithAccounts>;

let clock = Date.parse('2026-01-01T00:00:00.000Z');

function sub(reader: string, endpoint?: string): StoredPushSubscription {
  clock += 1000;
  return {
    endpoint: endpoint ?? `https://push.example.net/${randomBytes(8).toString('hex')}`,
    reader,
    p256dh: randomBytes(65).toString('base64url'),
    auth: randomBytes(16).toString('base64url'),
    created_at: new Date(clock).toISOString(),
  };
}

const endpoints = (subs: StoredPushSubscription[]) => subs.map((s) => s.endpoint).sort();

export function pushStoreContract(
  name: string,
  make: MakeStore,
  redoOwnerMigration: RedoOwnerMigration,
): void {
  describe(`PushStore contract: ${name}`, () => {
    let chat: ChatStoreWithAccounts;
    let store: PushStore;
    beforeEach(async () => {
      chat = await make();
      store = chat.pushStore();
    });
    afterEach(() => chat.close());

    it('saves subscriptions per reader and finds them for any set of readers', async () => {
      const a1 = sub('a:alice');
      const a2 = sub('a:alice');
      const b = sub('u:bob');
      for (const s of [a1, a2, b]) await store.save(s);
      expect(await store.forReaders([])).toEqual([]);
      expect(await store.forReaders(['a:nobody'])).toEqual([]);
      expect(endpoints(await store.forReaders(['a:alice']))).toEqual(endpoints([a1, a2]));
      expect(endpoints(await store.forReaders(['a:alice', 'u:bob', 'u:x']))).toEqual(
        endpoints([a1, a2, b]),
      );
      expect(await store.forReaders(['u:bob'])).toEqual([b]);
    });

    it('saving an endpoint again refreshes its keys and moves it to the new reader', async () => {
      const first = sub('u:carl');
      await store.save(first);
      const again = { ...sub('u:dora', first.endpoint) };
      await store.save(again);
      expect(await store.forReaders(['u:carl'])).toEqual([]);
      expect(await store.forReaders(['u:dora'])).toEqual([again]);
    });

    it('removes only the owner’s endpoint, or any owner’s with null', async () => {
      const s = sub('a:erin');
      await store.save(s);
      expect(await store.remove(s.endpoint, 'a:mallory')).toBe(false);
      expect(await store.remove('https://push.example.net/unknown', 'a:erin')).toBe(false);
      expect(await store.remove('bad\u0000endpoint', null)).toBe(false);
      expect(await store.forReaders(['a:erin'])).toEqual([s]);
      expect(await store.remove(s.endpoint, 'a:erin')).toBe(true);
      expect(await store.remove(s.endpoint, 'a:erin')).toBe(false);
      const t = sub('a:erin');
      await store.save(t);
      expect(await store.remove(t.endpoint, null)).toBe(true);
      expect(await store.forReaders(['a:erin'])).toEqual([]);
    });

    it(`keeps a reader's newest ${MAX_PUSH_SUBSCRIPTIONS_PER_READER}`, async () => {
      const all = Array.from({ length: MAX_PUSH_SUBSCRIPTIONS_PER_READER + 3 }, () => sub('u:fay'));
      for (const s of all) await store.save(s);
      const other = sub('u:gus');
      await store.save(other);
      expect(endpoints(await store.forReaders(['u:fay']))).toEqual(endpoints(all.slice(3)));
      expect(await store.forReaders(['u:gus'])).toEqual([other]);
    });

    it('migration 100 lower-cases the open-mode owners saved before it, and only those', async () => {
      const bob = sub('u:Bob');
      const ann = sub('u:ann');
      const account = sub('a:Some-Account-ID');
      for (const s of [bob, ann, account]) await store.save(s);
      chat = await redoOwnerMigration(chat);
      store = chat.pushStore();
      expect(await store.forReaders(['u:bob'])).toEqual([{ ...bob, reader: 'u:bob' }]);
      expect(await store.forReaders(['u:Bob'])).toEqual([]);
      expect(await store.forReaders(['u:ann'])).toEqual([ann]);
      expect(await store.forReaders(['a:Some-Account-ID'])).toEqual([account]);
    });
  });
}
