// Issue 11, open mode, real server over HTTP and WebSocket: edits, deletes and
// reactions as entries of the room's log, live, on resume and in history; the
// original protocol untouched for clients without `features=changes`. Runs on
// SQLite, and on PostgreSQL + Redis in the `postgres+redis` project.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REACTIONS_PER_MESSAGE, type MessageChange } from '../../src/protocol/changes.js';
import type { ServerFrame } from '../../src/protocol/frames.js';
import type { Message } from '../../src/protocol/rest.js';
import { createRoom, history } from '../support/api.js';
import { blobCount, upload } from '../support/files.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    limits: { replayLimit: 8, maxContentLength: 50 },
    ws: { ratePerSec: 0 },
  });
});
afterAll(() => server.close());

const CHANGES = { features: 'changes' };

const api = (path: string, init: RequestInit & { json?: unknown } = {}) => {
  const { json, ...rest } = init;
  return fetch(`${server.url}/api/chat/rooms${path}`, {
    ...rest,
    ...(json !== undefined
      ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }
      : {}),
  });
};

const types = (frames: ServerFrame[]) => frames.map((f) => f.type);
const logOf = (c: TestClient) =>
  c.received.flatMap((f) =>
    f.type === 'message'
      ? [`m${f.data.seq}:${f.data.content}`]
      : f.type === 'change'
        ? [`c${f.data.seq}:${f.data.kind}`]
        : [],
  );

/** Sends an edit/delete/react frame and waits for its change echo. */
async function change(c: TestClient, frame: Record<string, unknown>): Promise<MessageChange> {
  const clientId = `c-${Math.random().toString(36).slice(2)}`;
  c.send({ ...frame, client_id: clientId });
  return c.next('change', (ch) => ch.client_id === clientId);
}

/** Sends a frame and waits for the error naming its client_id. */
async function refusal(c: TestClient, frame: Record<string, unknown>) {
  const clientId = `e-${Math.random().toString(36).slice(2)}`;
  c.send({ ...frame, client_id: clientId });
  return c.next('error', (e) => e.client_id === clientId);
}

describe('live changes', () => {
  it('delivers edits, reactions and deletes in log order to changes clients only', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob', CHANGES);
    const old = await TestClient.join(server.wsUrl, room.id, 'olga');
    const m = await alice.say('hello @bob');
    expect(m.mentions).toEqual(['bob']);
    const edit = await change(alice, {
      type: 'edit',
      message_id: m.id,
      content: 'hello @carl',
    });
    expect(edit).toMatchObject({ kind: 'edit', seq: 2, content: 'hello @carl', username: 'alice' });
    const react = await change(bob, { type: 'react', message_id: m.id, emoji: '👍', on: true });
    expect(react).toMatchObject({ kind: 'react', seq: 3, emoji: '👍', username: 'bob' });
    const unreact = await change(bob, { type: 'react', message_id: m.id, emoji: '👍', on: false });
    expect(unreact.kind).toBe('unreact');
    const del = await change(alice, { type: 'delete', message_id: m.id });
    expect(del).toMatchObject({ kind: 'delete', seq: 5, message_id: m.id });
    await alice.say('after');
    // everyone sees one order; the original client only the messages
    await bob.next('message', (x) => x.content === 'after');
    for (const c of [alice, bob]) {
      expect(logOf(c)).toEqual([
        'm1:hello @bob',
        'c2:edit',
        'c3:react',
        'c4:unreact',
        'c5:delete',
        'm6:after',
      ]);
    }
    await old.next('message', (x) => x.content === 'after');
    expect(logOf(old)).toEqual(['m1:hello @bob', 'm6:after']);
    expect(types(old.received)).not.toContain('change');
    await Promise.all([alice.close(), bob.close(), old.close()]);
  });

  it('REST changes reach sockets, and history shows the current state', async () => {
    const room = await createRoom(server.url);
    const watcher = await TestClient.join(server.wsUrl, room.id, 'w', CHANGES);
    const posted = (await (
      await api(`/${room.id}/messages`, {
        method: 'POST',
        json: { content: 'one', username: 'ann' },
      })
    ).json()) as Message;
    const reply = await api(`/${room.id}/messages`, {
      method: 'POST',
      json: { content: 'two @Ann', username: 'ben', reply_to: posted.id },
    });
    expect(reply.status).toBe(201);
    const replied = (await reply.json()) as Message;
    expect(replied.reply_to).toEqual({ id: posted.id, seq: 1, username: 'ann', excerpt: 'one' });
    expect(replied.mentions).toEqual(['Ann']);

    const edited = await api(`/${room.id}/messages/${posted.id}`, {
      method: 'PATCH',
      json: { content: 'one, edited', username: 'ann' },
    });
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({
      content: 'one, edited',
      edited_at: expect.any(String),
    });
    const reacted = await api(
      `/${room.id}/messages/${posted.id}/reactions/${encodeURIComponent('🎉')}?username=ben`,
      { method: 'PUT' },
    );
    expect(reacted.status).toBe(200);
    expect(((await reacted.json()) as Message).reactions).toEqual([
      { emoji: '🎉', count: 1, users: ['ben'] },
    ]);
    await api(`/${room.id}/messages/${posted.id}/reactions/ok?username=ann`, { method: 'PUT' });
    const unreacted = await api(`/${room.id}/messages/${posted.id}/reactions/ok?username=ann`, {
      method: 'DELETE',
    });
    expect(((await unreacted.json()) as Message).reactions).toHaveLength(1);

    const [first, second] = await history(server.url, room.id);
    expect(first).toMatchObject({
      content: 'one, edited',
      reactions: [{ emoji: '🎉', count: 1, users: ['ben'] }],
    });
    expect(first?.edited_at).toMatch(/^\d{4}-/);
    expect(second?.reply_to).toEqual({
      id: posted.id,
      seq: 1,
      username: 'ann',
      excerpt: 'one, edited',
    });

    expect(
      (await api(`/${room.id}/messages/${posted.id}?username=ann`, { method: 'DELETE' })).status,
    ).toBe(204);
    const after = await history(server.url, room.id);
    expect(after.map((m) => m.id)).toEqual([replied.id]);
    expect(after[0]?.reply_to).toEqual({
      id: posted.id,
      seq: 1,
      username: 'ann',
      excerpt: '',
      deleted: true,
    });
    // a second delete finds nothing
    const again = await api(`/${room.id}/messages/${posted.id}?username=ann`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });

    await watcher.next('change', (c) => c.kind === 'delete');
    expect(logOf(watcher)).toEqual([
      'm1:one',
      'm2:two @Ann',
      'c3:edit',
      'c4:react',
      'c5:react',
      'c6:unreact',
      'c7:delete',
    ]);
    await watcher.close();
  });

  it('deletes a deleted message’s files', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const before = await blobCount(server);
    const file = await upload(server.url, room.id, 'notes.txt', Buffer.from('secret'));
    alice.send({ type: 'message', content: 'see file', attachments: [file.id] });
    const m = await alice.next('message');
    expect((await fetch(`${server.url}${file.url}`)).status).toBe(200);
    await change(alice, { type: 'delete', message_id: m.id });
    await eventually(async () => (await blobCount(server)) === before);
    expect((await fetch(`${server.url}${file.url}`)).status).toBe(404);
    await alice.close();
  });
});

describe('resume', () => {
  it('replays missed messages in their current state and changes in order, once', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const m1 = await alice.say('first');
    const m2 = await alice.say('second');
    // a client that had seq 2 and left
    await change(alice, { type: 'edit', message_id: m1.id, content: 'first!' });
    await change(alice, { type: 'react', message_id: m2.id, emoji: '👍', on: true });
    const m5 = await alice.say('third');
    await change(alice, { type: 'delete', message_id: m5.id });
    await alice.say('fourth');

    const back = await TestClient.join(server.wsUrl, room.id, 'back', { ...CHANGES, since: 2 });
    expect(logOf(back)).toEqual(['c3:edit', 'c4:react', 'c6:delete', 'm7:fourth']);
    const fresh = await TestClient.join(server.wsUrl, room.id, 'fresh', { ...CHANGES, since: 0 });
    // current state first (m1 edited, m2 with its reaction), then the changes again: they converge
    expect(logOf(fresh)).toEqual([
      'm1:first!',
      'm2:second',
      'c3:edit',
      'c4:react',
      'c6:delete',
      'm7:fourth',
    ]);
    const replayed2 = fresh.received.find((f) => f.type === 'message' && f.data.seq === 2);
    expect(replayed2?.type === 'message' && replayed2.data.reactions).toEqual([
      { emoji: '👍', count: 1, users: ['alice'] },
    ]);
    // the original protocol: messages only, current state, deleted ones never
    const old = await TestClient.join(server.wsUrl, room.id, 'old', { since: 0 });
    expect(logOf(old)).toEqual(['m1:first!', 'm2:second', 'm7:fourth']);
    expect(types(old.received)).not.toContain('change');
    await Promise.all([alice.close(), back.close(), fresh.close(), old.close()]);
  });

  it('resyncs when more log entries than the replay limit were missed', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const m = await alice.say('x');
    // 9 entries after seq 1: past the limit of 8, changes counted like messages
    for (let i = 0; i < 9; i++) {
      await change(alice, { type: 'react', message_id: m.id, emoji: `e${i % 3}`, on: i < 3 });
    }
    const late = await TestClient.join(server.wsUrl, room.id, 'late', { ...CHANGES, since: 1 });
    const resync = late.received.find((f) => f.type === 'resync');
    expect(resync?.data).toMatchObject({ latest_seq: 10, missed: 9, reason: 'replay_limit' });
    expect(types(late.received)).not.toContain('change');
    const inTime = await TestClient.join(server.wsUrl, room.id, 'in-time', {
      ...CHANGES,
      since: 2,
    });
    expect(logOf(inTime)).toHaveLength(8);
    await Promise.all([alice.close(), late.close(), inTime.close()]);
  });
});

describe('who may', () => {
  it('refuses editing or deleting someone else’s message over WebSocket and REST', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const mallory = await TestClient.join(server.wsUrl, room.id, 'mallory', CHANGES);
    const old = await TestClient.join(server.wsUrl, room.id, 'oldmallory');
    const m = await alice.say('mine');
    for (const c of [mallory, old]) {
      for (const frame of [
        { type: 'edit', message_id: m.id, content: 'pwned' },
        { type: 'delete', message_id: m.id },
      ]) {
        expect(await refusal(c, frame)).toMatchObject({ code: 'FORBIDDEN' });
      }
    }
    const patch = await api(`/${room.id}/messages/${m.id}`, {
      method: 'PATCH',
      json: { content: 'pwned', username: 'mallory' },
    });
    expect(patch.status).toBe(403);
    expect(await patch.json()).toMatchObject({ code: 'FORBIDDEN' });
    const del = await api(`/${room.id}/messages/${m.id}?username=mallory`, { method: 'DELETE' });
    expect(del.status).toBe(403);
    // anyone may react
    expect(
      (await change(mallory, { type: 'react', message_id: m.id, emoji: '👀', on: true })).seq,
    ).toBe(2);
    expect((await history(server.url, room.id))[0]?.content).toBe('mine');
    await Promise.all([alice.close(), mallory.close(), old.close()]);
  });
});

describe('bad input', () => {
  it('answers each with its error and keeps the socket and server up', async () => {
    const room = await createRoom(server.url);
    const other = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const elsewhere = await TestClient.join(server.wsUrl, other.id, 'alice', CHANGES);
    const foreign = await elsewhere.say('in the other room');
    const m = await alice.say('target');
    const cases: [Record<string, unknown>, string][] = [
      [
        { type: 'edit', message_id: '00000000-0000-4000-8000-000000000000', content: 'x' },
        'MESSAGE_NOT_FOUND',
      ],
      [{ type: 'delete', message_id: foreign.id }, 'MESSAGE_NOT_FOUND'],
      [{ type: 'react', message_id: 'not-an-id', emoji: '👍', on: true }, 'MESSAGE_NOT_FOUND'],
      [{ type: 'react', message_id: m.id, emoji: 'two words', on: true }, 'INVALID_EMOJI'],
      [{ type: 'react', message_id: m.id, emoji: '', on: true }, 'INVALID_EMOJI'],
      [{ type: 'react', message_id: m.id, emoji: 'x'.repeat(17), on: true }, 'INVALID_EMOJI'],
      [{ type: 'react', message_id: m.id, emoji: 'a\u200bb', on: true }, 'INVALID_EMOJI'],
      [{ type: 'react', message_id: m.id, emoji: '👍' }, 'INVALID_FRAME'],
      [{ type: 'edit', message_id: m.id, content: '   ' }, 'INVALID_CONTENT'],
      [{ type: 'edit', message_id: m.id, content: 7 }, 'INVALID_CONTENT'],
      [{ type: 'edit', message_id: m.id, content: 'bad\u0007' }, 'INVALID_CONTENT'],
      [{ type: 'edit', message_id: m.id, content: 'x'.repeat(51) }, 'CONTENT_TOO_LONG'],
      [{ type: 'delete' }, 'INVALID_FRAME'],
      [{ type: 'message', content: 'reply', reply_to: foreign.id }, 'MESSAGE_NOT_FOUND'],
    ];
    for (const [frame, code] of cases) {
      expect(await refusal(alice, frame), JSON.stringify(frame)).toMatchObject({ code });
    }
    alice.send({ type: 'delete', message_id: m.id, client_id: 'bad\u0000id' });
    expect(await alice.next('error')).toMatchObject({ code: 'INVALID_FRAME' });
    // a deleted message takes no more changes
    await change(alice, { type: 'delete', message_id: m.id });
    for (const frame of [
      { type: 'edit', message_id: m.id, content: 'again' },
      { type: 'react', message_id: m.id, emoji: '👍', on: true },
      { type: 'delete', message_id: m.id },
      { type: 'message', content: 'reply to the deleted', reply_to: m.id },
    ]) {
      expect(await refusal(alice, frame)).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    }
    // nothing of that was stored, and the socket still works
    const last = await alice.say('still here');
    expect(last.seq).toBe(3);
    await Promise.all([alice.close(), elsewhere.close()]);
  });

  it('refuses reaction 21 with TOO_MANY_REACTIONS (WebSocket 409 over REST)', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const m = await alice.say('popular');
    for (let i = 0; i < MAX_REACTIONS_PER_MESSAGE; i++) {
      await change(alice, { type: 'react', message_id: m.id, emoji: `r${i}`, on: true });
    }
    expect(
      await refusal(alice, { type: 'react', message_id: m.id, emoji: 'r-x', on: true }),
    ).toMatchObject({
      code: 'TOO_MANY_REACTIONS',
    });
    const res = await api(`/${room.id}/messages/${m.id}/reactions/r-y?username=bob`, {
      method: 'PUT',
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'TOO_MANY_REACTIONS' });
    await alice.close();
  });

  it('answers bad REST input with 404 and 422', async () => {
    const room = await createRoom(server.url);
    const m = (await (
      await api(`/${room.id}/messages`, { method: 'POST', json: { content: 'x', username: 'ann' } })
    ).json()) as Message;
    const base = `/${room.id}/messages/${m.id}`;
    const checks: [string, RequestInit & { json?: unknown }, number, string][] = [
      [
        `/${room.id}/messages/nope`,
        { method: 'PATCH', json: { content: 'y', username: 'ann' } },
        404,
        'MESSAGE_NOT_FOUND',
      ],
      [
        `/00000000-0000-4000-8000-000000000000/messages/${m.id}?username=ann`,
        { method: 'DELETE' },
        404,
        'ROOM_NOT_FOUND',
      ],
      [
        base,
        { method: 'PATCH', json: { content: '  ', username: 'ann' } },
        422,
        'VALIDATION_FAILED',
      ],
      [
        base,
        { method: 'PATCH', json: { content: 'x'.repeat(51), username: 'ann' } },
        422,
        'VALIDATION_FAILED',
      ],
      [base, { method: 'PATCH', json: { content: 'y' } }, 422, 'VALIDATION_FAILED'],
      [
        base,
        { method: 'PATCH', json: { content: 'y', username: 'ann', client_id: 'a\u0000' } },
        422,
        'VALIDATION_FAILED',
      ],
      [base, { method: 'PATCH', json: { username: 'ann' } }, 422, 'VALIDATION_FAILED'],
      [`${base}?username=`, { method: 'DELETE' }, 422, 'VALIDATION_FAILED'],
      [
        `${base}/reactions/${encodeURIComponent('a b')}?username=ann`,
        { method: 'PUT' },
        422,
        'INVALID_EMOJI',
      ],
      [`${base}/reactions/${'x'.repeat(17)}?username=ann`, { method: 'PUT' }, 422, 'INVALID_EMOJI'],
      [
        `/${room.id}/messages`,
        { method: 'POST', json: { content: 'r', username: 'ann', reply_to: 'nope' } },
        404,
        'MESSAGE_NOT_FOUND',
      ],
    ];
    for (const [path, init, status, code] of checks) {
      const res = await api(path, init);
      expect(res.status, `${init.method} ${path}`).toBe(status);
      expect(await res.json()).toMatchObject({ code });
    }
    expect((await history(server.url, room.id)).map((x) => x.content)).toEqual(['x']);
  });
});

describe('idempotent retries', () => {
  it('applies a retried change once and answers the sender with the first change', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice', CHANGES);
    const old = await TestClient.join(server.wsUrl, room.id, 'alice-old');
    const m = await alice.say('hi', 'k-msg');
    const frame = { type: 'react', message_id: m.id, emoji: '👍', on: true, client_id: 'k1' };
    alice.send(frame);
    const first = await alice.next('change', (c) => c.client_id === 'k1');
    alice.send(frame);
    const second = await alice.next('change', (c) => c.client_id === 'k1');
    expect(second).toEqual(first);
    // the key of a message is not a change's: refused, nothing stored
    alice.send({ type: 'edit', message_id: m.id, content: 'x', client_id: 'k-msg' });
    expect(await alice.next('error', (e) => e.client_id === 'k-msg')).toMatchObject({
      code: 'INVALID_FRAME',
    });
    const edit = { content: 'hi!', username: 'alice', client_id: 'k-edit' };
    const r1 = await api(`/${room.id}/messages/${m.id}`, { method: 'PATCH', json: edit });
    const r2 = await api(`/${room.id}/messages/${m.id}`, { method: 'PATCH', json: edit });
    expect(r1.status).toBe(200);
    expect(await r2.json()).toEqual(await r1.json());
    const last = await alice.say('next');
    expect(last.seq).toBe(4);
    // the original client never saw any of it, and no error either
    await old.next('message', (x) => x.seq === 4);
    expect(types(old.received).filter((t) => t === 'change' || t === 'error')).toEqual([]);
    await Promise.all([alice.close(), old.close()]);
  });
});
