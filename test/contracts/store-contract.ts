// One behaviour for every ChatStore: run by store.sqlite.test.ts and
// store.postgres.test.ts, so the backends cannot drift apart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/rest.js';
import type {
  AppendResult,
  ChatStore,
  NewMessage,
  NewUpload,
} from '../../src/server/storage/chat-store.js';

/** Builds an initialized, empty store; the contract closes it after each test. */
export type MakeStore = () => Promise<ChatStore>;
/** Opens a new store on the data of `closed` (a store made by MakeStore, now closed): a restart. */
export type ReopenStore = (closed: ChatStore) => Promise<ChatStore>;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function stored(result: AppendResult | undefined): Message {
  if (!result?.ok) throw new Error(`append failed: ${JSON.stringify(result)}`);
  return result.message;
}

/** Purges until nothing is left; the rows removed. */
async function purgeAll(store: ChatStore, slice: number): Promise<number> {
  let total = 0;
  for (let n = await store.purgeSlice(slice); n > 0; n = await store.purgeSlice(slice)) {
    expect(n).toBeLessThanOrEqual(slice);
    total += n;
  }
  return total;
}

export function storeContract(name: string, makeStore: MakeStore, reopen: ReopenStore): void {
  describe(`ChatStore contract: ${name}`, () => {
    let store: ChatStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(() => store.close());

    const send = async (roomId: string, content: string, extra: Partial<NewMessage> = {}) =>
      stored((await store.appendMessages([{ roomId, username: 'alice', content, ...extra }]))[0]);

    describe('rooms', () => {
      it('creates a room with a uuid, its name and an ISO timestamp, and reads it back', async () => {
        const room = await store.createRoom('General <b>&</b> "quotes"');
        expect(room.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(room.name).toBe('General <b>&</b> "quotes"');
        expect(room.created_at).toMatch(ISO);
        expect(await store.getRoom(room.id)).toEqual(room);
      });

      it('lists rooms in creation order', async () => {
        const rooms = [];
        for (let i = 0; i < 5; i++) rooms.push(await store.createRoom(`room ${i}`));
        expect(await store.listRooms()).toEqual(rooms);
      });

      it('pages the room list by cursor in creation order, rooms of one millisecond included', async () => {
        // created back to back: many share a created_at, so the tiebreak decides
        const rooms = await Promise.all(
          Array.from({ length: 23 }, (_, i) => store.createRoom(`room ${i}`)),
        );
        const all = await store.listRooms();
        expect(all.map((r) => r.id).sort()).toEqual(rooms.map((r) => r.id).sort());
        for (const size of [1, 5, 23, 50]) {
          const walked = [];
          let page = await store.listRoomsPage(size);
          for (;;) {
            expect(page.rooms.length).toBeLessThanOrEqual(size);
            walked.push(...page.rooms);
            if (!page.next) break;
            page = await store.listRoomsPage(size, page.next);
          }
          expect(walked).toEqual(all);
        }
        // a page after a deleted room goes on from where that room was
        const first = await store.listRoomsPage(3);
        expect(first.next).not.toBeNull();
        await store.deleteRoom(first.rooms[2]!.id);
        expect((await store.listRoomsPage(100, first.next!)).rooms).toEqual(all.slice(3));
        expect(
          await store.listRoomsPage(5, { createdAt: '2999-01-01T00:00:00.000Z', pos: 0 }),
        ).toEqual({
          rooms: [],
          next: null,
        });
      });

      it('answers null for an unknown room, whatever the id looks like', async () => {
        for (const id of [
          '00000000-0000-0000-0000-000000000000',
          'not-a-uuid',
          'nul\u0000id',
          '',
        ]) {
          expect(await store.getRoom(id)).toBeNull();
          expect(await store.latestSeq(id)).toBeNull();
          expect(await store.deleteRoom(id)).toBe(false);
          expect(await store.recentMessages(id, 10)).toEqual([]);
          expect(await store.messagesAfter(id, 0, 10)).toEqual([]);
        }
      });

      it('deletes a room and cascades to its messages, leaving other rooms alone', async () => {
        const doomed = await store.createRoom('doomed');
        const kept = await store.createRoom('kept');
        await send(doomed.id, 'one');
        await send(doomed.id, 'two', { clientId: 'c-1' });
        const survivor = await send(kept.id, 'stays');
        expect(await store.deleteRoom(doomed.id)).toBe(true);
        expect(await store.deleteRoom(doomed.id)).toBe(false);
        expect(await store.getRoom(doomed.id)).toBeNull();
        expect(await store.latestSeq(doomed.id)).toBeNull();
        expect(await store.recentMessages(doomed.id, 100)).toEqual([]);
        expect(await store.messagesAfter(doomed.id, 0, 100)).toEqual([]);
        expect((await store.listRooms()).map((r) => r.id)).toEqual([kept.id]);
        expect(await store.recentMessages(kept.id, 100)).toEqual([survivor]);
        // appending to a deleted room is "not found", not an error, even as a retry
        expect(
          await store.appendMessages([
            { roomId: doomed.id, username: 'a', content: 'x' },
            { roomId: doomed.id, username: 'alice', content: 'two', clientId: 'c-1' },
          ]),
        ).toEqual([
          { ok: false, reason: 'room_not_found' },
          { ok: false, reason: 'room_not_found' },
        ]);
        // its two messages and its row, then nothing
        expect(await purgeAll(store, 1)).toBe(3);
        expect(await store.recentMessages(kept.id, 100)).toEqual([survivor]);
        expect(await store.deleteRoom(doomed.id)).toBe(false);
      });

      it('hides a deleted room at once and purges it in slices, other rooms untouched', async () => {
        const doomed = await store.createRoom('big');
        const other = await store.createRoom('other');
        const doomed2 = await store.createRoom('small');
        const fill = (roomId: string, n: number, user = 'u') =>
          store.appendMessages(
            Array.from({ length: n }, (_, i) => ({
              roomId,
              username: user,
              content: `m${i}`,
              clientId: `c${i}`,
            })),
          );
        await fill(doomed.id, 25);
        await fill(other.id, 7);
        await fill(doomed2.id, 3);
        expect(await store.deleteRoom(doomed.id)).toBe(true);
        expect(await store.deleteRoom(doomed2.id)).toBe(true);
        // gone for every reader before a single message is purged
        for (const id of [doomed.id, doomed2.id]) {
          expect(await store.getRoom(id)).toBeNull();
          expect(await store.latestSeq(id)).toBeNull();
          expect(await store.recentMessages(id, 100)).toEqual([]);
          expect(await store.recentMessages(id, 100, 10)).toEqual([]);
          expect(await store.messagesAfter(id, 0, 100)).toEqual([]);
        }
        expect((await store.listRooms()).map((r) => r.id)).toEqual([other.id]);
        // slices are bounded, and add up to every message plus the two rows
        expect(await store.purgeSlice(10)).toBe(10);
        expect(await store.purgeSlice(10)).toBe(10);
        expect(await purgeAll(store, 10)).toBe(25 + 3 + 2 - 20);
        expect(await store.purgeSlice(10)).toBe(0);
        expect((await store.recentMessages(other.id, 100)).map((m) => m.content)).toEqual(
          Array.from({ length: 7 }, (_, i) => `m${i}`),
        );
        expect(await store.latestSeq(other.id)).toBe(7);
        // nothing left that could collide with new rooms and messages
        const fresh = await store.createRoom('fresh');
        await fill(fresh.id, 3);
        expect(await store.latestSeq(fresh.id)).toBe(3);
      });

      it('keeps a deleted room invisible across a restart mid-purge, and the purge resumes', async () => {
        const doomed = await store.createRoom('doomed');
        const kept = await store.createRoom('kept');
        await store.appendMessages(
          Array.from({ length: 30 }, (_, i) => ({
            roomId: doomed.id,
            username: 'u',
            content: `m${i}`,
          })),
        );
        const survivor = await send(kept.id, 'stays');
        expect(await store.deleteRoom(doomed.id)).toBe(true);
        expect(await store.purgeSlice(8)).toBe(8);
        // the process dies between two slices
        await store.close();
        store = await reopen(store);
        expect(await store.getRoom(doomed.id)).toBeNull();
        expect(await store.recentMessages(doomed.id, 100)).toEqual([]);
        expect(await store.messagesAfter(doomed.id, 0, 100)).toEqual([]);
        expect((await store.listRooms()).map((r) => r.id)).toEqual([kept.id]);
        expect(await store.deleteRoom(doomed.id)).toBe(false);
        expect(await purgeAll(store, 8)).toBe(30 - 8 + 1);
        expect(await store.recentMessages(kept.id, 100)).toEqual([survivor]);
      });
    });

    describe('messages', () => {
      it('stores content exactly and numbers each room 1, 2, 3… independently', async () => {
        const [a, b] = [await store.createRoom('a'), await store.createRoom('b')];
        const contents = [
          'hello <script>alert(1)</script>',
          'émoji 🎉 and 中文 and \u200b zero-width',
          'line one\nline two\ttabbed\r\n',
          'x'.repeat(16_000),
        ];
        const inA: Message[] = [];
        for (const content of contents) inA.push(await send(a.id, content));
        const inB = await send(b.id, 'b first');
        expect(inA.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
        expect(inA.map((m) => m.content)).toEqual(contents);
        expect(inB.seq).toBe(1);
        for (const m of inA) {
          expect(m).toMatchObject({ room_id: a.id, username: 'alice' });
          expect(m.timestamp).toMatch(ISO);
          expect(m).not.toHaveProperty('client_id');
        }
        expect(await store.recentMessages(a.id, 100)).toEqual(inA);
        expect(await store.latestSeq(a.id)).toBe(4);
        expect(await store.latestSeq(b.id)).toBe(1);
        expect(await store.latestSeq((await store.createRoom('empty')).id)).toBe(0);
      });

      it('appends a batch in one go, results in input order, unknown rooms reported per item', async () => {
        const [a, b] = [await store.createRoom('a'), await store.createRoom('b')];
        const results = await store.appendMessages([
          { roomId: a.id, username: 'u1', content: 'a1' },
          { roomId: b.id, username: 'u2', content: 'b1' },
          { roomId: 'no-such-room', username: 'u3', content: 'lost' },
          { roomId: a.id, username: 'u4', content: 'a2' },
        ]);
        expect(results.map((r) => (r.ok ? [r.message.content, r.message.seq] : r.reason))).toEqual([
          ['a1', 1],
          ['b1', 1],
          'room_not_found',
          ['a2', 2],
        ]);
        expect((await store.recentMessages(a.id, 10)).map((m) => m.content)).toEqual(['a1', 'a2']);
        expect(await store.appendMessages([])).toEqual([]);
      });

      it('gives messages UUIDs that sort in the order they were stored (time-ordered, version 7)', async () => {
        // Sorted ids keep the id index's inserts on its last page (see util/uuid7.ts).
        const [a, b] = [await store.createRoom('a'), await store.createRoom('b')];
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const batch = await store.appendMessages([
            { roomId: a.id, username: 'u', content: `a${i}` },
            { roomId: b.id, username: 'u', content: `b${i}` },
          ]);
          for (const r of batch) ids.push(stored(r).id);
        }
        for (const id of ids) {
          expect(id).toMatch(
            /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
          );
        }
        expect([...ids].sort()).toEqual(ids);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('scopes client_id to its sender: another user reusing it gets a message of their own', async () => {
        const room = await store.createRoom('shared ids');
        const alice = await send(room.id, 'from alice', { clientId: 'same', username: 'alice' });
        const bob = await send(room.id, 'from bob', { clientId: 'same', username: 'bob' });
        expect(bob).toMatchObject({ username: 'bob', content: 'from bob', seq: 2 });
        expect(bob.id).not.toBe(alice.id);
        // each one's retry still finds their own message, in one batch or alone
        const retries = await store.appendMessages([
          { roomId: room.id, username: 'bob', content: 'again', clientId: 'same' },
          { roomId: room.id, username: 'alice', content: 'again', clientId: 'same' },
          { roomId: room.id, username: 'carol', content: 'from carol', clientId: 'same' },
          { roomId: room.id, username: 'carol', content: 'again', clientId: 'same' },
        ]);
        expect(
          retries.map((r) => r.ok && [r.message.username, r.message.seq, r.duplicate]),
        ).toEqual([
          ['bob', 2, true],
          ['alice', 1, true],
          ['carol', 3, false],
          ['carol', 3, true],
        ]);
        expect((await store.recentMessages(room.id, 10)).map((m) => m.content)).toEqual([
          'from alice',
          'from bob',
          'from carol',
        ]);
      });

      it('is idempotent per client_id within a room: a retry returns the first message', async () => {
        const [a, b] = [await store.createRoom('a'), await store.createRoom('b')];
        const first = await send(a.id, 'once', { clientId: 'cid-1' });
        expect(first.client_id).toBe('cid-1');
        const [retry] = await store.appendMessages([
          { roomId: a.id, username: 'alice', content: 'once (retried)', clientId: 'cid-1' },
        ]);
        expect(retry).toEqual({ ok: true, message: first, duplicate: true });
        // the same id in another room is another message
        const other = await send(b.id, 'elsewhere', { clientId: 'cid-1' });
        expect(other.seq).toBe(1);
        // twice in one batch: stored once, the second reported as its duplicate
        const twice = await store.appendMessages([
          { roomId: a.id, username: 'alice', content: 'dup', clientId: 'cid-2' },
          { roomId: a.id, username: 'alice', content: 'dup', clientId: 'cid-2' },
          { roomId: a.id, username: 'alice', content: 'plain' },
        ]);
        expect(twice.map((r) => r.ok && [r.message.seq, r.duplicate])).toEqual([
          [2, false],
          [2, true],
          [3, false],
        ]);
        expect((await store.recentMessages(a.id, 10)).map((m) => m.seq)).toEqual([1, 2, 3]);
        expect(await store.latestSeq(a.id)).toBe(3);
      });

      it('pages history back with beforeSeq: most recent `limit`, oldest first', async () => {
        const room = await store.createRoom('paging');
        await store.appendMessages(
          Array.from({ length: 25 }, (_, i) => ({
            roomId: room.id,
            username: 'u',
            content: `m${i + 1}`,
          })),
        );
        const seqs = (ms: Message[]) => ms.map((m) => m.seq);
        const range = (from: number, to: number) =>
          Array.from({ length: to - from + 1 }, (_, i) => from + i);
        expect(seqs(await store.recentMessages(room.id, 10))).toEqual(range(16, 25));
        expect(seqs(await store.recentMessages(room.id, 10, 16))).toEqual(range(6, 15));
        expect(seqs(await store.recentMessages(room.id, 10, 6))).toEqual(range(1, 5));
        expect(seqs(await store.recentMessages(room.id, 10, 1))).toEqual([]);
        expect(seqs(await store.recentMessages(room.id, 100))).toEqual(range(1, 25));
        expect((await store.recentMessages(room.id, 1))[0]?.content).toBe('m25');
      });

      it('reads forward after a seq for resume: up to `limit`, oldest first', async () => {
        const room = await store.createRoom('resume');
        for (let i = 1; i <= 12; i++) await send(room.id, `m${i}`);
        const seqs = (ms: Message[]) => ms.map((m) => m.seq);
        expect(seqs(await store.messagesAfter(room.id, 0, 5))).toEqual([1, 2, 3, 4, 5]);
        expect(seqs(await store.messagesAfter(room.id, 9, 100))).toEqual([10, 11, 12]);
        expect(seqs(await store.messagesAfter(room.id, 12, 100))).toEqual([]);
        expect(await store.messagesAfter(room.id, 3, 2)).toEqual(
          (await store.recentMessages(room.id, 100)).slice(3, 5),
        );
      });

      it('keeps seqs dense and unique under concurrent batches', async () => {
        const room = await store.createRoom('busy');
        const batches = Array.from({ length: 20 }, (_, b) =>
          store.appendMessages(
            Array.from({ length: 5 }, (_, i) => ({
              roomId: room.id,
              username: `u${b}`,
              content: `b${b} m${i}`,
              clientId: i === 0 ? `first-of-${b}` : undefined,
            })),
          ),
        );
        const results = (await Promise.all(batches)).flat();
        const seqs = results.map((r) => stored(r).seq).sort((x, y) => x - y);
        expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        const history = await store.recentMessages(room.id, 1000);
        expect(history.map((m) => m.seq)).toEqual(seqs);
        // each batch's messages are contiguous and in input order
        for (let b = 0; b < 20; b++) {
          const mine = history.filter((m) => m.username === `u${b}`).map((m) => m.seq);
          expect(mine).toEqual(Array.from({ length: 5 }, (_, i) => (mine[0] as number) + i));
        }
      });

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('uploads', () => {
      const hex = (n: number) => n.toString(16).padStart(32, '0');
      const newUpload = (
        id: number,
        roomId: string,
        extra: Partial<NewUpload> = {},
      ): NewUpload => ({
        id: hex(id),
        roomId,
        name: `f${id}.png`,
        type: 'image/png',
        size: 1000 + id,
        width: 4,
        height: 3,
        ...extra,
      });

      it('records an upload of a live room and reads it back; none for unknown or deleted rooms', async () => {
        const room = await store.createRoom('files');
        expect(await store.createUpload(newUpload(1, room.id))).toBe(true);
        const got = await store.getUpload(hex(1));
        expect(got).toMatchObject({ ...newUpload(1, room.id), messageId: null });
        expect(got?.createdAt).toMatch(ISO);
        expect(
          await store.createUpload(
            newUpload(2, room.id, { width: undefined, height: undefined, type: 'text/plain' }),
          ),
        ).toBe(true);
        expect(await store.getUpload(hex(2))).not.toHaveProperty('width');
        expect(await store.createUpload(newUpload(3, 'no-such-room'))).toBe(false);
        expect(await store.getUpload(hex(3))).toBeNull();
        expect(await store.getUpload('nope\u0000')).toBeNull();
        await store.deleteRoom(room.id);
        expect(await store.createUpload(newUpload(4, room.id))).toBe(false);
        expect(await store.getUpload(hex(1))).toBeNull();
      });

      it('attaches unsent uploads of the room to a message, once, composing its content', async () => {
        const room = await store.createRoom('files');
        const other = await store.createRoom('other');
        for (const n of [1, 2]) await store.createUpload(newUpload(n, room.id));
        await store.createUpload(newUpload(3, other.id));
        const [first, second, foreign, dup, unknown] = await store.appendMessages([
          { roomId: room.id, username: 'alice', content: 'hi', attachments: [hex(1)] },
          { roomId: room.id, username: 'alice', content: '', attachments: [hex(1)] },
          { roomId: room.id, username: 'alice', content: 'x', attachments: [hex(3)] },
          { roomId: room.id, username: 'alice', content: 'x', attachments: [hex(2), hex(2)] },
          { roomId: room.id, username: 'alice', content: 'x', attachments: [hex(9)] },
        ]);
        const message = stored(first);
        const attachment = {
          id: hex(1),
          name: 'f1.png',
          type: 'image/png',
          size: 1001,
          width: 4,
          height: 3,
          url: `/api/chat/files/${hex(1)}/f1.png`,
        };
        expect(message.attachments).toEqual([attachment]);
        expect(message.content).toBe(`hi\n📎 f1.png (1.0 KB) ${attachment.url}`);
        for (const r of [second, foreign, dup, unknown]) {
          expect(r).toEqual({ ok: false, reason: 'attachment_invalid' });
        }
        expect((await store.getUpload(hex(1)))?.messageId).toBe(message.id);
        expect((await store.getUpload(hex(2)))?.messageId).toBeNull();
        // refused sends took no seq; reads carry the attachments
        const later = await send(room.id, 'plain');
        expect(later.seq).toBe(2);
        expect(later).not.toHaveProperty('attachments');
        expect(await store.recentMessages(room.id, 10)).toEqual([message, later]);
        expect(await store.messagesAfter(room.id, 0, 10)).toEqual([message, later]);
        // a retry by client_id returns the stored message, files and all
        const keyed = await send(room.id, 'k', { clientId: 'c', attachments: [hex(2)] });
        const retry = (
          await store.appendMessages([
            {
              roomId: room.id,
              username: 'alice',
              content: 'k',
              clientId: 'c',
              attachments: [hex(2)],
            },
          ])
        )[0];
        expect(retry).toEqual({ ok: true, message: keyed, duplicate: true });
      });

      it('sweeps only unsent uploads older than the cutoff, and an upload being swept cannot be sent', async () => {
        const room = await store.createRoom('files');
        for (const n of [1, 2, 3]) await store.createUpload(newUpload(n, room.id));
        await send(room.id, 'sent', { attachments: [hex(1)] });
        expect(await store.claimAbandonedUploads('2000-01-01T00:00:00.000Z', 10)).toEqual([]);
        const future = new Date(Date.now() + 60_000).toISOString();
        const claimed = await store.claimAbandonedUploads(future, 10);
        expect(claimed.sort()).toEqual([hex(2), hex(3)]);
        expect(await store.getUpload(hex(2))).toBeNull();
        expect(
          await store.appendMessages([
            { roomId: room.id, username: 'a', content: 'x', attachments: [hex(2)] },
          ]),
        ).toEqual([{ ok: false, reason: 'attachment_invalid' }]);
        // claimed but not forgotten (a crash between): claimed again next time
        expect((await store.claimAbandonedUploads(future, 10)).sort()).toEqual([hex(2), hex(3)]);
        expect(await store.forgetUploads(claimed)).toBe(2);
        expect(await store.claimAbandonedUploads(future, 10)).toEqual([]);
        expect(await store.getUpload(hex(1))).not.toBeNull();
      });

      it('keeps a deleted room’s row until its uploads are forgotten, then purges it', async () => {
        const room = await store.createRoom('files');
        const kept = await store.createRoom('kept');
        await store.createUpload(newUpload(1, room.id));
        await store.createUpload(newUpload(2, kept.id));
        await send(room.id, 'one', { attachments: [hex(1)] });
        await store.deleteRoom(room.id);
        await purgeAll(store, 10);
        expect(await store.deletedRoomUploads(10)).toEqual([hex(1)]);
        expect(await store.forgetUploads([hex(1)])).toBe(1);
        expect(await store.deletedRoomUploads(10)).toEqual([]);
        expect(await purgeAll(store, 10)).toBe(1); // the room row
        expect(await store.getUpload(hex(2))).not.toBeNull();
      });
    });

    describe('history epoch', () => {
      it('has an epoch from the start, the same on every read', async () => {
        const epoch = await store.epoch();
        expect(epoch).toMatch(/^[0-9a-f]{16}$/);
        expect(await store.epoch()).toBe(epoch);
      });

      it('renews it to a new random value that later reads return; history stays', async () => {
        const room = await store.createRoom('kept');
        await send(room.id, 'before');
        const first = await store.epoch();
        const second = await store.renewEpoch();
        expect(second).toMatch(/^[0-9a-f]{16}$/);
        expect(second).not.toBe(first);
        expect(await store.epoch()).toBe(second);
        const third = await store.renewEpoch();
        expect(new Set([first, second, third]).size).toBe(3);
        expect(await store.epoch()).toBe(third);
        expect((await store.recentMessages(room.id, 10)).map((m) => m.content)).toEqual(['before']);
      });
    });
  });
}
