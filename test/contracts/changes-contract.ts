// Issue 11 for every ChatStore: edits, deletes and reactions as entries of the
// room's log, replies and mentions. Run by store.sqlite.test.ts and store.postgres.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REACTIONS_PER_MESSAGE } from '../../src/protocol/changes.js';
import type { Message } from '../../src/protocol/rest.js';
import type {
  AppendResult,
  ChangeResult,
  ChatStore,
  NewChange,
  NewMessage,
} from '../../src/server/storage/chat-store.js';

type MakeStore = () => Promise<ChatStore>;

function stored(result: AppendResult | undefined): Message {
  if (!result?.ok) throw new Error(`append failed: ${JSON.stringify(result)}`);
  return result.message;
}

function applied(result: ChangeResult | undefined) {
  if (!result?.ok) throw new Error(`change failed: ${JSON.stringify(result)}`);
  return result;
}

const search = (store: ChatStore, word: string) =>
  store.searchMessages({ include: [[word]], exclude: [], from: [], roomNames: [], limit: 10 });

export function changesContract(name: string, makeStore: MakeStore): void {
  describe(`ChatStore message changes: ${name}`, () => {
    let store: ChatStore;
    let roomId: string;
    beforeEach(async () => {
      store = await makeStore();
      roomId = (await store.createRoom('changes')).id;
    });
    afterEach(() => store.close());

    const send = async (content: string, extra: Partial<NewMessage> = {}) =>
      stored((await store.appendMessages([{ roomId, username: 'alice', content, ...extra }]))[0]);
    const change = async (messageId: string, c: Omit<NewChange, 'roomId' | 'messageId'>) =>
      (await store.applyChanges([{ roomId, messageId, ...c }]))[0] as ChangeResult;

    it('gives changes seqs from the messages counter, in one log', async () => {
      const a = await send('hello world');
      const edit = applied(
        await change(a.id, { kind: 'edit', username: 'alice', content: 'hello there' }),
      );
      const b = await send('second');
      expect(edit.change).toMatchObject({
        seq: 2,
        kind: 'edit',
        message_id: a.id,
        room_id: roomId,
        content: 'hello there',
        username: 'alice',
      });
      expect(b.seq).toBe(3);
      expect(await store.latestSeq(roomId)).toBe(3);
      const log = await store.entriesAfter(roomId, 0, 10);
      expect(log.map((e) => [e.kind, e.seq])).toEqual([
        ['message', 1],
        ['change', 2],
        ['message', 3],
      ]);
      // the message comes back in its current state
      const first = log[0];
      expect(first?.kind === 'message' && first.message.content).toBe('hello there');
      expect(await store.entriesAfter(roomId, 1, 1)).toHaveLength(1);
    });

    it('edits: current content, edited_at and mentions in history; the index follows', async () => {
      const a = await send('hello @bob');
      expect(a.mentions).toEqual(['bob']);
      const edit = applied(
        await change(a.id, { kind: 'edit', username: 'alice', content: 'goodbye @Carl.' }),
      );
      expect(edit.message).toMatchObject({ content: 'goodbye @Carl.', mentions: ['Carl'] });
      const [h] = await store.recentMessages(roomId, 10);
      expect(h?.content).toBe('goodbye @Carl.');
      expect(h?.edited_at).toMatch(/^\d{4}-/);
      expect(h?.mentions).toEqual(['Carl']);
      expect(await search(store, 'hello')).toHaveLength(0);
      expect((await search(store, 'goodbye')).map((x) => x.message.id)).toEqual([a.id]);
    });

    it('reactions: set semantics, counts and users in order, removal', async () => {
      const a = await send('react to me');
      await change(a.id, { kind: 'react', username: 'bob', emoji: '👍' });
      await change(a.id, { kind: 'react', username: 'carl', emoji: '👍' });
      await change(a.id, { kind: 'react', username: 'bob', emoji: '👍' });
      const last = applied(await change(a.id, { kind: 'react', username: 'bob', emoji: 'ok' }));
      expect(last.message?.reactions).toEqual([
        { emoji: '👍', count: 2, users: ['bob', 'carl'] },
        { emoji: 'ok', count: 1, users: ['bob'] },
      ]);
      await change(a.id, { kind: 'unreact', username: 'bob', emoji: 'ok' });
      await change(a.id, { kind: 'unreact', username: 'bob', emoji: '👍' });
      const [h] = await store.recentMessages(roomId, 10);
      expect(h?.reactions).toEqual([{ emoji: '👍', count: 1, users: ['carl'] }]);
    });

    it(`refuses distinct reaction ${MAX_REACTIONS_PER_MESSAGE + 1}, storing nothing`, async () => {
      const a = await send('popular');
      for (let i = 0; i < MAX_REACTIONS_PER_MESSAGE; i++) {
        applied(await change(a.id, { kind: 'react', username: 'bob', emoji: `e${i}` }));
      }
      const before = await store.latestSeq(roomId);
      expect(await change(a.id, { kind: 'react', username: 'bob', emoji: 'one-more' })).toEqual({
        ok: false,
        reason: 'too_many_reactions',
      });
      expect(await store.latestSeq(roomId)).toBe(before);
      // an existing emoji still takes more people
      applied(await change(a.id, { kind: 'react', username: 'carl', emoji: 'e0' }));
    });

    it('deletes: a tombstone out of history, search, replays and mentions; later changes refused', async () => {
      const a = await send('secret words @bob');
      await change(a.id, { kind: 'edit', username: 'alice', content: 'secret edit' });
      await change(a.id, { kind: 'react', username: 'bob', emoji: '👍' });
      const b = await send('stays');
      const del = applied(await change(a.id, { kind: 'delete', username: 'alice' }));
      expect(del.message).toBeNull();
      expect(del.change).toMatchObject({ kind: 'delete', seq: 5, message_id: a.id });
      expect((await store.recentMessages(roomId, 10)).map((m) => m.id)).toEqual([b.id]);
      expect((await store.messagesAfter(roomId, 0, 10)).map((m) => m.id)).toEqual([b.id]);
      expect(await search(store, 'secret')).toHaveLength(0);
      // the replay: only the surviving message and the delete itself
      expect((await store.entriesAfter(roomId, 0, 10)).map((e) => [e.kind, e.seq])).toEqual([
        ['message', 4],
        ['change', 5],
      ]);
      const tomb = await store.getMessage(roomId, a.id);
      expect(tomb?.deleted).toBe(true);
      expect(tomb?.message.content).toBe('');
      expect(tomb?.message.reactions).toBeUndefined();
      for (const c of [
        { kind: 'edit', username: 'alice', content: 'x' },
        { kind: 'delete', username: 'alice' },
        { kind: 'react', username: 'bob', emoji: '👍' },
      ] as const) {
        expect(await change(a.id, c)).toEqual({ ok: false, reason: 'message_not_found' });
      }
      expect(await store.latestSeq(roomId)).toBe(5);
    });

    it('refuses unknown messages and messages of another room', async () => {
      const other = (await store.createRoom('other')).id;
      const elsewhere = stored(
        (await store.appendMessages([{ roomId: other, username: 'alice', content: 'x' }]))[0],
      );
      for (const id of ['00000000-0000-0000-0000-000000000000', elsewhere.id, 'nope\u0000']) {
        expect(await change(id, { kind: 'edit', username: 'alice', content: 'y' })).toEqual({
          ok: false,
          reason: 'message_not_found',
        });
      }
      expect(
        (
          await store.applyChanges([
            { roomId: 'no-room', messageId: elsewhere.id, kind: 'delete', username: 'a' },
          ])
        )[0],
      ).toEqual({ ok: false, reason: 'room_not_found' });
    });

    it('is idempotent by client_id per sender, and keys of messages are not reused', async () => {
      const a = await send('hi', { clientId: 'k-msg' });
      const first = applied(
        await change(a.id, { kind: 'react', username: 'bob', emoji: '👍', clientId: 'k1' }),
      );
      const again = applied(
        await change(a.id, { kind: 'react', username: 'bob', emoji: '🎉', clientId: 'k1' }),
      );
      expect(again.duplicate).toBe(true);
      expect(again.change).toEqual(first.change);
      expect(again.message?.reactions).toEqual([{ emoji: '👍', count: 1, users: ['bob'] }]);
      // another sender's key of the same name is theirs
      expect(
        applied(
          await change(a.id, { kind: 'react', username: 'carl', emoji: '👍', clientId: 'k1' }),
        ).duplicate,
      ).toBe(false);
      expect(
        await change(a.id, { kind: 'edit', username: 'alice', content: 'x', clientId: 'k-msg' }),
      ).toEqual({ ok: false, reason: 'client_id_taken' });
      // a retried delete answers with the first one
      const del = applied(
        await change(a.id, { kind: 'delete', username: 'alice', clientId: 'k-del' }),
      );
      const retry = applied(
        await change(a.id, { kind: 'delete', username: 'alice', clientId: 'k-del' }),
      );
      expect(retry).toMatchObject({ duplicate: true, message: null, change: del.change });
      expect(await store.latestSeq(roomId)).toBe(del.change.seq);
    });

    it('stores replies with a preview that follows edits and deletes', async () => {
      const a = await send('the question is long enough');
      const r = await send('the answer', { replyTo: a.id });
      expect(r.reply_to).toEqual({
        id: a.id,
        seq: a.seq,
        username: 'alice',
        excerpt: 'the question is long enough',
      });
      await change(a.id, { kind: 'edit', username: 'alice', content: 'edited question' });
      let [, h] = await store.recentMessages(roomId, 10);
      expect(h?.reply_to?.excerpt).toBe('edited question');
      await change(a.id, { kind: 'delete', username: 'alice' });
      [h] = await store.recentMessages(roomId, 10);
      expect(h?.reply_to).toEqual({
        id: a.id,
        seq: a.seq,
        username: 'alice',
        excerpt: '',
        deleted: true,
      });
      // a deleted, unknown or foreign message cannot be answered
      const other = (await store.createRoom('other')).id;
      const foreign = stored(
        (await store.appendMessages([{ roomId: other, username: 'alice', content: 'x' }]))[0],
      );
      for (const replyTo of [a.id, foreign.id, '00000000-0000-0000-0000-000000000000']) {
        expect(
          (await store.appendMessages([{ roomId, username: 'bob', content: 'x', replyTo }]))[0],
        ).toEqual({ ok: false, reason: 'reply_not_found' });
      }
    });

    it('releases a deleted message’s uploads for their blobs to go', async () => {
      await store.createUpload({ id: 'u1', roomId, name: '@bob.txt', type: 'text/plain', size: 3 });
      const m = await send('file for @carl', { attachments: ['u1'] });
      // the file's line names no one
      expect(m.mentions).toEqual(['carl']);
      const edit = applied(
        await change(m.id, { kind: 'edit', username: 'alice', content: 'for @dora' }),
      );
      expect(edit.message?.mentions).toEqual(['dora']);
      expect(edit.message?.content).toMatch(/^for @dora\n📎 @bob\.txt/);
      const del = applied(await change(m.id, { kind: 'delete', username: 'alice' }));
      expect(del.releasedUploads).toEqual(['u1']);
      expect(await store.forgetUploads(['u1'])).toBe(1);
    });

    it('purges a deleted room’s changes with it', async () => {
      const a = await send('x @bob');
      await change(a.id, { kind: 'react', username: 'bob', emoji: '👍' });
      await store.deleteRoom(roomId);
      let total = 0;
      for (let n = await store.purgeSlice(1); n > 0; n = await store.purgeSlice(1)) total += n;
      // the message, its change, its mention, the room
      expect(total).toBe(4);
    });
  });
}
