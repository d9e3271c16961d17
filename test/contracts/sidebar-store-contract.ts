// One behaviour for every SidebarStore: run by store.sqlite.test.ts and
// store.postgres.test.ts, so the backends cannot drift apart.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import { SIDEBAR_COUNT_CAP } from '../../src/protocol/workspace.js';
import type { ChatStoreWithAccounts } from '../../src/server/storage/index.js';
import type { SidebarReader, SidebarStore } from '../../src/server/storage/sidebar-store.js';

export type MakeSidebarStore = () => Promise<ChatStoreWithAccounts>;
/**
 * Closes `store`, takes its database back to before migration 60 (no
 * sidebar_rooms, version 60 not applied) and opens it again: an upgrade.
 */
export type RewindSidebars = (store: ChatStoreWithAccounts) => Promise<ChatStoreWithAccounts>;

const openReader = (username: string): SidebarReader => ({
  key: `u:${username}`,
  username,
  accountId: null,
});

export function sidebarStoreContract(
  name: string,
  make: MakeSidebarStore,
  rewind: RewindSidebars,
): void {
  describe(`SidebarStore contract: ${name}`, () => {
    let chat: ChatStoreWithAccounts;
    let store: SidebarStore;
    beforeEach(async () => {
      chat = await make();
      store = chat.sidebarStore();
    });
    afterEach(() => chat.close());

    it("upgrading puts private rooms and DMs in their members' sidebars, read up to then", async () => {
      const ann = await account('ann');
      const ben = await account('ben');
      const secret = await chat.createRoom('secret', {
        ownerId: ann,
        visibility: 'private',
        members: [ann, ben],
      });
      const dm = await chat.openDm('ann, ben', ann, [ann, ben], `${ann}:${ben}`);
      const open = await chat.createRoom('open', { ownerId: ann });
      const gone = await chat.createRoom('gone', {
        ownerId: ann,
        visibility: 'private',
        members: [ann],
      });
      await chat.deleteRoom(gone.id);
      await say(secret, 'ben', 'one', 'two');
      await say(open, 'ben', 'three');
      await store.join(`a:${ann}`, open.id, 'all');
      chat = await rewind(chat);
      store = chat.sidebarStore();
      const annReader: SidebarReader = { key: `a:${ann}`, username: 'ann', accountId: ann };
      // in the order they were joined; two joined in the same millisecond in either order
      const byId = (rows: (string | number)[][]) =>
        [...rows].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
      const listed = await store.list(annReader);
      expect(byId(listed.map((e) => [e.room.id, e.lastReadSeq, e.unread, e.notify]))).toEqual(
        byId([
          [secret.id, 2, 0, 'mentions'],
          [dm.room.id, 0, 0, 'all'],
        ]),
      );
      const benReader: SidebarReader = { key: `a:${ben}`, username: 'ben', accountId: ben };
      expect((await store.list(benReader)).map((e) => e.room.id).sort()).toEqual(
        [secret.id, dm.room.id].sort(),
      );
    });

    const alice = openReader('alice');
    const bob = openReader('bob');

    async function say(room: Room, username: string, ...contents: string[]): Promise<number> {
      const results = await chat.appendMessages(
        contents.map((content) => ({ roomId: room.id, username, content })),
      );
      const last = results[results.length - 1];
      if (!last?.ok) throw new Error('append failed');
      return last.message.seq;
    }

    async function account(username: string): Promise<string> {
      const id = randomUUID();
      const made = await chat.accountStore().createUser({
        id,
        username,
        usernameKey: username.toLowerCase(),
        passwordHash: 'x',
        createdAt: new Date().toISOString(),
        invite: null,
      });
      if (!made.ok) {
        await chat.accountStore().setSignupOpen(true);
        const again = await chat.accountStore().createUser({
          id,
          username,
          usernameKey: username.toLowerCase(),
          passwordHash: 'x',
          createdAt: new Date().toISOString(),
          invite: null,
        });
        if (!again.ok) throw new Error(again.reason);
      }
      return id;
    }

    it('starts empty, joins a room read up to its latest seq, and lists it', async () => {
      const room = await chat.createRoom('general');
      await say(room, 'carol', 'one', 'two');
      expect(await store.list(alice)).toEqual([]);
      expect(await store.join(alice.key, room.id, 'mentions')).toBe('added');
      expect(await store.list(alice)).toEqual([
        { room, lastReadSeq: 2, latestSeq: 2, unread: 0, mentions: 0, notify: 'mentions' },
      ]);
      expect(await store.get(alice, room.id)).toEqual({
        room,
        lastReadSeq: 2,
        latestSeq: 2,
        unread: 0,
        mentions: 0,
        notify: 'mentions',
      });
      // another reader's sidebar is their own
      expect(await store.list(bob)).toEqual([]);
      expect(await store.get(bob, room.id)).toBeNull();
    });

    it('joins once: a second join changes nothing; unknown and deleted rooms are no_room', async () => {
      const room = await chat.createRoom('general');
      await store.join(alice.key, room.id, 'all');
      await say(room, 'carol', 'x');
      expect(await store.join(alice.key, room.id, 'none')).toBe('present');
      expect(await store.get(alice, room.id)).toMatchObject({
        lastReadSeq: 0,
        unread: 1,
        notify: 'all',
      });
      expect(await store.join(alice.key, randomUUID(), 'all')).toBe('no_room');
      expect(await store.join(alice.key, 'not-a-uuid\u0000', 'all')).toBe('no_room');
      const gone = await chat.createRoom('gone');
      await chat.deleteRoom(gone.id);
      expect(await store.join(alice.key, gone.id, 'all')).toBe('no_room');
    });

    it("counts messages after the read position, never the reader's own", async () => {
      const room = await chat.createRoom('general');
      await store.join(alice.key, room.id, 'mentions');
      await store.join(bob.key, room.id, 'mentions');
      await say(room, 'carol', 'a', 'b');
      await say(room, 'alice', 'mine');
      await say(room, 'bob', 'his', 'his too');
      expect(await store.get(alice, room.id)).toMatchObject({
        lastReadSeq: 0,
        latestSeq: 5,
        unread: 4,
      });
      expect(await store.get(bob, room.id)).toMatchObject({ unread: 3 });
      // "Alice" is someone else: names are compared as stored
      expect((await store.get(openReader('Alice'), room.id))?.unread ?? null).toBeNull();
    });

    it('counts neither deleted messages nor own ones; mentions of the reader, any case, after edits', async () => {
      const room = await chat.createRoom('general');
      await store.join(alice.key, room.id, 'mentions');
      const sent = await chat.appendMessages(
        [
          ['carol', 'hi @alice'],
          ['carol', '@ALICE again'],
          ['carol', 'about @bob only'],
          ['alice', 'note to @alice self'],
          ['carol', 'mail alice@example.com'],
          ['carol', 'plain'],
        ].map(([username, content]) => ({
          roomId: room.id,
          username: username as string,
          content: content as string,
        })),
      );
      const ids = sent.map((r) => (r.ok ? r.message.id : ''));
      expect(await store.get(alice, room.id)).toMatchObject({ unread: 5, mentions: 2 });
      expect(await store.get(openReader('bob'), room.id)).toBeNull();
      await store.join(bob.key, room.id, 'mentions');
      await store.setRead(bob.key, room.id, 0);
      expect(await store.get(bob, room.id)).toMatchObject({ unread: 6, mentions: 1 });
      const changed = await chat.applyChanges([
        { roomId: room.id, messageId: ids[1] as string, kind: 'delete', username: 'carol' },
        {
          roomId: room.id,
          messageId: ids[2] as string,
          kind: 'edit',
          username: 'carol',
          content: 'now @Alice',
        },
        {
          roomId: room.id,
          messageId: ids[5] as string,
          kind: 'react',
          username: 'dave',
          emoji: '👍',
        },
      ]);
      expect(changed.every((c) => c.ok)).toBe(true);
      // changes take seqs too: the latest seq moves, the counts do not count them
      expect(await store.get(alice, room.id)).toMatchObject({
        latestSeq: 9,
        unread: 4,
        mentions: 2,
      });
      expect(await store.get(bob, room.id)).toMatchObject({ unread: 5, mentions: 0 });
      // read up to the first mention: one left
      await store.setRead(alice.key, room.id, 1);
      expect(await store.get(alice, room.id)).toMatchObject({ unread: 3, mentions: 1 });
    });

    it(`counts up to ${SIDEBAR_COUNT_CAP}, unread and mentions alike, in every room of the list`, async () => {
      const busy = await chat.createRoom('busy');
      const quiet = await chat.createRoom('quiet');
      await store.join(alice.key, busy.id, 'mentions');
      await store.join(alice.key, quiet.id, 'mentions');
      const over = SIDEBAR_COUNT_CAP + 5;
      for (let from = 0; from < over; from += 500) {
        const n = Math.min(500, over - from);
        await chat.appendMessages(
          Array.from({ length: n }, () => ({
            roomId: busy.id,
            username: 'carol',
            content: '@alice',
          })),
        );
      }
      await say(quiet, 'carol', 'one', 'two');
      const capped = { unread: SIDEBAR_COUNT_CAP, mentions: SIDEBAR_COUNT_CAP };
      expect(await store.get(alice, busy.id)).toMatchObject({ latestSeq: over, ...capped });
      const listed = await store.list(alice);
      expect(listed.map((e) => [e.unread, e.mentions])).toEqual([
        [SIDEBAR_COUNT_CAP, SIDEBAR_COUNT_CAP],
        [2, 0],
      ]);
      // Below the cap the count is exact again.
      await store.setRead(alice.key, busy.id, over - 7);
      expect(await store.get(alice, busy.id)).toMatchObject({ unread: 7, mentions: 7 });
    });

    it('moves the read position forward and back, clamped to the latest seq', async () => {
      const room = await chat.createRoom('general');
      await store.join(alice.key, room.id, 'mentions');
      await say(room, 'carol', '1', '2', '3', '4');
      expect(await store.setRead(alice.key, room.id, 3)).toEqual({
        lastReadSeq: 3,
        notify: 'mentions',
      });
      expect(await store.get(alice, room.id)).toMatchObject({ lastReadSeq: 3, unread: 1 });
      // back: marks unread
      expect(await store.setRead(alice.key, room.id, 1)).toMatchObject({ lastReadSeq: 1 });
      expect(await store.get(alice, room.id)).toMatchObject({ unread: 3 });
      // past the end: the latest seq
      expect(await store.setRead(alice.key, room.id, Number.MAX_SAFE_INTEGER)).toMatchObject({
        lastReadSeq: 4,
      });
      expect(await store.setRead(alice.key, room.id, 0)).toMatchObject({ lastReadSeq: 0 });
      expect(await store.get(alice, room.id)).toMatchObject({ unread: 4 });
      // not in the sidebar, or no such room
      expect(await store.setRead(bob.key, room.id, 1)).toBeNull();
      expect(await store.setRead(alice.key, randomUUID(), 1)).toBeNull();
    });

    it('sets the notify level', async () => {
      const room = await chat.createRoom('general');
      await store.join(alice.key, room.id, 'mentions');
      expect(await store.setNotify(alice.key, room.id, 'none')).toEqual({
        lastReadSeq: 0,
        notify: 'none',
      });
      expect(await store.get(alice, room.id)).toMatchObject({ notify: 'none' });
      expect(await store.setNotify(bob.key, room.id, 'all')).toBeNull();
      expect(await store.setNotify(alice.key, randomUUID(), 'all')).toBeNull();
    });

    it('leaves a room; leaving again is false', async () => {
      const room = await chat.createRoom('general');
      await store.join(alice.key, room.id, 'mentions');
      expect(await store.leave(alice.key, room.id)).toBe(true);
      expect(await store.leave(alice.key, room.id)).toBe(false);
      expect(await store.list(alice)).toEqual([]);
      // joining again starts over at the latest seq
      await say(room, 'carol', 'x');
      await store.join(alice.key, room.id, 'all');
      expect(await store.get(alice, room.id)).toMatchObject({ lastReadSeq: 1, unread: 0 });
    });

    it('lists rooms in the order they were joined, with counts for each', async () => {
      const rooms: Room[] = [];
      for (let i = 0; i < 6; i++) rooms.push(await chat.createRoom(`room ${i}`));
      const order = [3, 0, 5, 1, 4, 2];
      for (const i of order) await store.join(alice.key, (rooms[i] as Room).id, 'mentions');
      for (const [i, room] of rooms.entries()) {
        await say(room, 'carol', ...Array.from({ length: i + 1 }, (_, n) => `m${n}`));
      }
      const listed = await store.list(alice);
      expect(listed.map((e) => e.room.id)).toEqual(order.map((i) => (rooms[i] as Room).id));
      expect(listed.map((e) => e.unread)).toEqual(order.map((i) => i + 1));
      expect(listed.map((e) => e.latestSeq)).toEqual(order.map((i) => i + 1));
    });

    it('hides a deleted room at once and takes it out of every sidebar', async () => {
      const keep = await chat.createRoom('keep');
      const room = await chat.createRoom('doomed');
      for (const r of [alice, bob]) {
        await store.join(r.key, keep.id, 'mentions');
        await store.join(r.key, room.id, 'mentions');
      }
      await chat.deleteRoom(room.id);
      expect((await store.list(alice)).map((e) => e.room.id)).toEqual([keep.id]);
      expect(await store.get(alice, room.id)).toBeNull();
      expect(await store.setRead(alice.key, room.id, 0)).toBeNull();
      expect((await store.removeRoom(room.id)).sort()).toEqual([alice.key, bob.key]);
      expect(await store.removeRoom(room.id)).toEqual([]);
      // purging the room row later finds nothing in the way
      while ((await chat.purgeSlice(100)) > 0);
      expect((await store.list(bob)).map((e) => e.room.id)).toEqual([keep.id]);
    });

    it('accounts mode: shows a private room only while the account is a member', async () => {
      const ann = await account('ann');
      const ben = await account('ben');
      const annReader: SidebarReader = { key: `a:${ann}`, username: 'ann', accountId: ann };
      const benReader: SidebarReader = { key: `a:${ben}`, username: 'ben', accountId: ben };
      const room = await chat.createRoom('secret', {
        ownerId: ann,
        visibility: 'private',
        members: [ann],
      });
      const open = await chat.createRoom('open', { ownerId: ann });
      await store.join(annReader.key, room.id, 'mentions');
      await store.join(benReader.key, room.id, 'mentions');
      await store.join(benReader.key, open.id, 'mentions');
      expect((await store.list(annReader)).map((e) => e.room.id)).toEqual([room.id]);
      expect((await store.list(benReader)).map((e) => e.room.id)).toEqual([open.id]);
      expect(await store.get(benReader, room.id)).toBeNull();
      await chat.accountStore().addMember(room.id, ben);
      expect((await store.list(benReader)).map((e) => e.room.id)).toEqual([room.id, open.id]);
    });
  });
}
