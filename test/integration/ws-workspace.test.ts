// GET /ws/workspace: one socket carries many rooms, each subscribed and resumed
// on its own, with presence only where asked, plus the pushed room list. Real
// server, real WebSockets (SQLite here; the postgres+redis project runs the same
// file on PostgreSQL and Redis).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../../src/protocol/error-codes.js';
import type { Room } from '../../src/protocol/rest.js';
import { readerTopic } from '../../src/server/domain/reader.js';
import { createRoom, historyEpoch, postMessage } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { WorkspaceClient } from '../support/workspace-client.js';
import { TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    limits: { replayLimit: 5 },
    ws: { ratePerSec: 0, maxSubscriptions: 3 },
  });
});
afterAll(() => server?.close());

const open = (name: string) => WorkspaceClient.open(server.wsUrl, name);

const remove = (roomId: string) =>
  fetch(`${server.url}/api/chat/rooms/${roomId}`, { method: 'DELETE' });

/** Posts over REST (as another user) and returns the stored seq. */
async function post(roomId: string, content: string, username = 'poster'): Promise<number> {
  return (await postMessage(server.url, roomId, username, content)).seq;
}

describe('subscribing', () => {
  it('says hello, then carries several rooms on one socket, each frame naming its room', async () => {
    const [a, b] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    const ws = await WorkspaceClient.connect(server.wsUrl, 'alice');
    const hello = await ws.nextFrame('hello');
    expect(hello.data.username).toBe('alice');
    expect(hello.data.epoch).toBe(await historyEpoch(server.url, a.id));
    expect(ws.received[0]?.type).toBe('hello');

    expect(await ws.subscribe(a.id)).toEqual({
      room_id: a.id,
      latest_seq: 0,
      epoch: hello.data.epoch,
    });
    await ws.subscribe(b.id);
    const chat = await TestClient.join(server.wsUrl, b.id, 'bob');
    await chat.say('hi from b');
    const inB = await ws.nextFrame('message', (m) => m.content === 'hi from b');
    expect(inB.room_id).toBe(b.id);
    expect(Object.keys(inB)).toEqual(['type', 'room_id', 'data']);

    // Sending from the workspace: the echo names the room; /ws/chat sees the same message.
    const echo = await ws.say(a.id, 'hi from a', 'c-1');
    expect(echo).toMatchObject({ room_id: a.id, username: 'alice', seq: 1, client_id: 'c-1' });
    await ws.say(b.id, 'back to b');
    expect((await chat.next('message', (m) => m.content === 'back to b')).username).toBe('alice');
    // A retried client_id is stored once; the sender gets its message again.
    ws.send({ type: 'message', room_id: a.id, content: 'hi from a', client_id: 'c-1' });
    expect((await ws.message(a.id, 'hi from a')).seq).toBe(1);
    await Promise.all([ws.close(), chat.close()]);
  });

  it('refuses a room that does not exist, naming it', async () => {
    const ws = await open('alice');
    const ghost = randomUUID();
    ws.send({ type: 'subscribe', room_id: ghost });
    const error = await ws.error(ghost);
    expect(error.data.code).toBe(ErrorCode.ROOM_NOT_FOUND);
    ws.send({ type: 'message', room_id: ghost, content: 'x' });
    expect((await ws.error(ghost)).data.code).toBe(ErrorCode.NOT_SUBSCRIBED);
    for (const odd of ['not-a-uuid', '', 'x'.repeat(5_000), '../etc']) {
      ws.send({ type: 'subscribe', room_id: odd });
      expect((await ws.error(odd)).data.code).toBe(ErrorCode.ROOM_NOT_FOUND);
    }
    await ws.close();
  });

  it('subscribing again changes presence without a replay', async () => {
    const room = await createRoom(server.url);
    await post(room.id, 'one');
    const ws = await open('alice');
    await ws.subscribe(room.id, { since: 0 });
    expect(ws.all('message', room.id)).toHaveLength(1);
    expect((await ws.subscribe(room.id, { since: 0 })).latest_seq).toBe(1);
    expect(ws.all('message', room.id)).toHaveLength(1);
    await ws.close();
  });
});

describe('resume per room', () => {
  it('replays each room from its own position, before `subscribed`, then live', async () => {
    const [a, b] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    for (const n of [1, 2, 3]) await post(a.id, `a${n}`);
    for (const n of [1, 2]) await post(b.id, `b${n}`);
    const ws = await open('alice');
    const subA = await ws.subscribe(a.id, { since: 1 });
    expect(subA.latest_seq).toBe(3);
    const subB = await ws.subscribe(b.id, { since: 0 });
    expect(subB.latest_seq).toBe(2);
    const types = ws.received.map((f) => `${f.type}:${f.data.content ?? f.data.room_id}`);
    expect(types).toEqual([
      `hello:undefined`,
      'message:a2',
      'message:a3',
      `subscribed:${a.id}`,
      'message:b1',
      'message:b2',
      `subscribed:${b.id}`,
    ]);
    await post(a.id, 'a4');
    expect((await ws.message(a.id, 'a4')).seq).toBe(4);
    await ws.close();
  });

  it('sends `resync` instead of a replay: replay limit, unknown epoch, position ahead', async () => {
    const room = await createRoom(server.url);
    for (let n = 1; n <= 8; n++) await post(room.id, `m${n}`);
    const epoch = await historyEpoch(server.url, room.id);
    const ws = await open('alice');

    ws.send({ type: 'subscribe', room_id: room.id, since: 0, epoch });
    const limit = await ws.nextFrame('resync');
    expect(limit.room_id).toBe(room.id);
    expect(limit.data).toEqual({ latest_seq: 8, missed: 8, epoch, reason: 'replay_limit' });
    await ws.next('subscribed', (d) => d.room_id === room.id);
    expect(ws.all('message', room.id)).toHaveLength(0);
    ws.send({ type: 'unsubscribe', room_id: room.id });
    await ws.next('unsubscribed', (d) => d.room_id === room.id && d.reason === 'asked');

    ws.send({ type: 'subscribe', room_id: room.id, since: 7, epoch: 'another-history' });
    expect((await ws.next('resync')).reason).toBe('epoch');
    await ws.next('subscribed');
    ws.send({ type: 'unsubscribe', room_id: room.id });
    await ws.next('unsubscribed');

    ws.send({ type: 'subscribe', room_id: room.id, since: 99 });
    expect(await ws.next('resync')).toMatchObject({ reason: 'ahead', latest_seq: 8 });
    await ws.next('subscribed');
    await post(room.id, 'm9');
    expect((await ws.message(room.id, 'm9')).seq).toBe(9);
    await ws.close();
  });
});

describe('unsubscribing', () => {
  it('stops a room: `unsubscribed`, then its frames are refused and its messages stop', async () => {
    const [a, b] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    const ws = await open('alice');
    await ws.subscribe(a.id);
    await ws.subscribe(b.id);
    ws.send({ type: 'unsubscribe', room_id: a.id });
    expect(await ws.next('unsubscribed')).toEqual({ room_id: a.id, reason: 'asked' });
    await post(a.id, 'unheard');
    await post(b.id, 'heard');
    await ws.message(b.id, 'heard');
    expect(ws.all('message', a.id)).toHaveLength(0);

    ws.send({ type: 'message', room_id: a.id, content: 'x', client_id: 'k' });
    const refused = await ws.error(a.id);
    expect(refused.data).toMatchObject({ code: ErrorCode.NOT_SUBSCRIBED, client_id: 'k' });
    ws.send({ type: 'unsubscribe', room_id: a.id });
    expect((await ws.error(a.id)).data.code).toBe(ErrorCode.NOT_SUBSCRIBED);
    ws.send({ type: 'typing', room_id: a.id, is_typing: true });
    expect((await ws.error(a.id)).data.code).toBe(ErrorCode.NOT_SUBSCRIBED);
    ws.send({ type: 'read', room_id: a.id, seq: 1 });
    expect((await ws.error(a.id)).data.code).toBe(ErrorCode.NOT_SUBSCRIBED);
    await ws.close();
  });
});

describe('presence', () => {
  it('only subscriptions with presence: true are in the room and hear who is', async () => {
    const [onScreen, watched] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    const ws = await open('alice');
    await ws.subscribe(onScreen.id, { presence: true });
    await ws.subscribe(watched.id);
    expect((await ws.next('user_list', (_d, f) => f.room_id === onScreen.id)).users).toEqual([
      'alice',
    ]);

    // A /ws/chat user sees alice in the room on screen only.
    const bobHere = await TestClient.join(server.wsUrl, onScreen.id, 'bob');
    expect(bobHere.received.find((f) => f.type === 'user_list')?.data).toEqual({
      users: ['alice', 'bob'],
    });
    const bobThere = await TestClient.join(server.wsUrl, watched.id, 'bob');
    expect(bobThere.received.find((f) => f.type === 'user_list')?.data).toEqual({
      users: ['bob'],
    });
    await ws.next('join', (d, f) => f.room_id === onScreen.id && d.username === 'bob');

    bobHere.send({ type: 'typing', is_typing: true });
    bobThere.send({ type: 'typing', is_typing: true });
    expect((await ws.nextFrame('typing')).room_id).toBe(onScreen.id);
    await bobThere.say('watched message');
    await ws.message(watched.id, 'watched message');
    // Only messages from the watched room: no join, typing or online list.
    expect(ws.received.filter((f) => f.room_id === watched.id).map((f) => f.type)).toEqual([
      'message',
    ]);

    // Switching presence on and off is a re-subscribe.
    ws.send({ type: 'subscribe', room_id: watched.id, presence: true });
    await bobThere.next('join', (d) => d.username === 'alice');
    ws.send({ type: 'subscribe', room_id: onScreen.id, presence: false });
    await bobHere.next('leave', (d) => d.username === 'alice');

    // Closing the socket leaves the rooms it is present in.
    await ws.close();
    await bobThere.next('leave', (d) => d.username === 'alice');
    await Promise.all([bobHere.close(), bobThere.close()]);
  });

  it('answers get_users for a subscribed room', async () => {
    const room = await createRoom(server.url);
    const ws = await open('alice');
    await ws.subscribe(room.id);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    ws.send({ type: 'get_users', room_id: room.id });
    expect((await ws.next('user_list', (_d, f) => f.room_id === room.id)).users).toEqual(['bob']);
    await Promise.all([ws.close(), bob.close()]);
  });
});

describe('limits and bad frames', () => {
  it('refuses more than CHAT_WS_MAX_SUBSCRIPTIONS rooms (TOO_MANY_SUBSCRIPTIONS), the socket stays', async () => {
    const rooms = await Promise.all([1, 2, 3, 4].map(() => createRoom(server.url)));
    const ws = await open('alice');
    for (const room of rooms.slice(0, 3)) await ws.subscribe(room.id);
    const fourth = rooms[3] as Room;
    ws.send({ type: 'subscribe', room_id: fourth.id });
    expect((await ws.error(fourth.id)).data.code).toBe(ErrorCode.TOO_MANY_SUBSCRIPTIONS);
    ws.send({ type: 'unsubscribe', room_id: (rooms[0] as Room).id });
    await ws.next('unsubscribed');
    await ws.subscribe(fourth.id);
    await ws.say(fourth.id, 'still open');
    await ws.close();
  });

  it('answers each bad frame with an error frame and keeps the socket open', async () => {
    const room = await createRoom(server.url);
    const ws = await open('alice');
    await ws.subscribe(room.id);
    const cases: [unknown, string, string | null][] = [
      ['not json', ErrorCode.INVALID_JSON, null],
      ['[1]', ErrorCode.INVALID_FRAME, null],
      [{ type: 'nope', room_id: room.id }, ErrorCode.UNKNOWN_TYPE, room.id],
      [{ type: 'subscribe' }, ErrorCode.INVALID_FRAME, null],
      [{ type: 'subscribe', room_id: 5 }, ErrorCode.INVALID_FRAME, null],
      [{ type: 'subscribe', room_id: room.id, since: -1 }, ErrorCode.INVALID_FRAME, room.id],
      [
        { type: 'subscribe', room_id: room.id, since: 1, epoch: 'bad epoch!' },
        ErrorCode.INVALID_FRAME,
        room.id,
      ],
      [{ type: 'subscribe', room_id: room.id, presence: 'yes' }, ErrorCode.INVALID_FRAME, room.id],
      [{ type: 'unsubscribe' }, ErrorCode.INVALID_FRAME, null],
      [{ type: 'read', room_id: room.id, seq: 'x' }, ErrorCode.INVALID_FRAME, room.id],
      [{ type: 'message', content: 'no room' }, ErrorCode.INVALID_FRAME, null],
      [{ type: 'message', room_id: room.id, content: '   ' }, ErrorCode.INVALID_CONTENT, room.id],
      [
        {
          type: 'message',
          room_id: room.id,
          content: 'x'.repeat(server.config.limits.maxContentLength + 1),
        },
        ErrorCode.CONTENT_TOO_LONG,
        room.id,
      ],
      [{ type: 'typing', room_id: room.id }, ErrorCode.INVALID_FRAME, room.id],
    ];
    for (const [frame, code, roomId] of cases) {
      ws.send(frame);
      const error = await ws.error(roomId);
      expect([frame, error.data.code]).toEqual([frame, code]);
    }
    ws.ws.send(Buffer.from('{}'), { binary: true });
    expect((await ws.error(null)).data.code).toBe(ErrorCode.INVALID_FRAME);
    // The client_id of a rejected message without a room still comes back.
    ws.send({ type: 'message', content: 'x', client_id: 'lost' });
    expect((await ws.error(null)).data).toMatchObject({ client_id: 'lost' });
    await ws.say(room.id, 'still open');
    await ws.close();
  });

  it('closes without a valid username (4001), as /ws/chat does', async () => {
    const ws = await WorkspaceClient.connect(server.wsUrl, '', { query: 'username=' });
    expect((await ws.closed).code).toBe(CloseCode.INVALID_USERNAME);
  });
});

describe('the pushed room list', () => {
  it('tells every workspace socket of rooms created and deleted (renaming: accounts mode)', async () => {
    const [alice, bob] = await Promise.all([open('alice'), open('bob')]);
    const room = await createRoom(server.url, 'fresh');
    for (const ws of [alice, bob]) expect(await ws.next('room_created')).toEqual(room);
    await alice.subscribe(room.id);
    expect((await remove(room.id)).status).toBe(204);
    // The subscriber: room_deleted in the room, then the subscription ends; the socket stays.
    const deleted = await alice.nextFrame('room_deleted');
    expect(deleted.room_id).toBe(room.id);
    expect(await alice.next('unsubscribed')).toEqual({ room_id: room.id, reason: 'deleted' });
    const order = alice.received.map((f) => f.type);
    expect(order.indexOf('room_deleted')).toBeLessThan(order.indexOf('unsubscribed'));
    for (const ws of [alice, bob])
      expect(await ws.next('room_removed')).toEqual({ room_id: room.id });
    alice.send({ type: 'message', room_id: room.id, content: 'x' });
    expect((await alice.error(room.id)).data.code).toBe(ErrorCode.NOT_SUBSCRIBED);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('forwards a reader’s frames to that reader’s sockets only', async () => {
    const [alice, alice2, bob] = await Promise.all([open('alice'), open('alice'), open('bob')]);
    const data = { room_id: randomUUID(), last_read_seq: 3, notify: 'all' as const };
    await server.app.bus.publish({
      type: 'reader',
      roomId: readerTopic('u:alice'),
      reader: 'u:alice',
      frame: { type: 'read_state', data },
    });
    for (const ws of [alice, alice2]) expect(await ws.next('read_state')).toEqual(data);
    // bob hears the next room list change, and nothing before it.
    const room = await createRoom(server.url);
    await bob.next('room_created', (r) => r.id === room.id);
    expect(bob.all('read_state')).toHaveLength(0);
    await Promise.all([alice.close(), alice2.close(), bob.close()]);
  });
});

describe('changes and read state', () => {
  it('always carries change frames: live, echoed to the sender, and replayed on resume', async () => {
    const room = await createRoom(server.url);
    const ws = await open('alice');
    await ws.subscribe(room.id);
    const mine = await ws.say(room.id, 'first draft');
    ws.send({
      type: 'edit',
      room_id: room.id,
      message_id: mine.id,
      content: 'final',
      client_id: 'e1',
    });
    const edit = await ws.nextFrame('change', (c) => c.kind === 'edit');
    expect(edit.room_id).toBe(room.id);
    expect(edit.data).toMatchObject({ message_id: mine.id, content: 'final', client_id: 'e1' });
    ws.send({ type: 'react', room_id: room.id, message_id: mine.id, emoji: '👍', on: true });
    await ws.next('change', (c) => c.kind === 'react');
    // Someone else's message: not alice's to edit.
    const seq = await post(room.id, 'from poster');
    const theirs = await ws.message(room.id, 'from poster');
    expect(theirs.seq).toBe(seq);
    ws.send({
      type: 'edit',
      room_id: room.id,
      message_id: theirs.id,
      content: 'x',
      client_id: 'e2',
    });
    const refused = await ws.error(room.id);
    expect(refused.data).toMatchObject({ code: ErrorCode.FORBIDDEN, client_id: 'e2' });

    // A second socket resuming from the first message gets the changes after it.
    const later = await open('alice');
    await later.subscribe(room.id, { since: mine.seq });
    const replayed = later.received
      .filter((f) => f.room_id === room.id)
      .map((f) => (f.type === 'change' ? `change:${f.data.kind}` : f.type));
    expect(replayed).toEqual(['change:edit', 'change:react', 'message']);
    await Promise.all([ws.close(), later.close()]);
  });

  it('moves the read position with `read` and tells every socket of the reader', async () => {
    const room = await createRoom(server.url);
    const [tab1, tab2, other] = await Promise.all([open('rita'), open('rita'), open('otto')]);
    const joined = await fetch(`${server.url}/api/chat/me/rooms/${room.id}?username=rita`, {
      method: 'PUT',
    });
    expect(joined.status).toBe(200);
    for (const ws of [tab1, tab2]) {
      expect((await ws.next('sidebar_added')).room.id).toBe(room.id);
    }
    await post(room.id, 'one');
    await post(room.id, 'two');
    await tab1.subscribe(room.id);
    tab1.send({ type: 'read', room_id: room.id, seq: 2 });
    for (const ws of [tab1, tab2]) {
      expect(await ws.next('read_state')).toMatchObject({ room_id: room.id, last_read_seq: 2 });
    }
    // otto has not the room in his sidebar: refused, naming the room.
    await other.subscribe(room.id);
    other.send({ type: 'read', room_id: room.id, seq: 1 });
    expect((await other.error(room.id)).data.code).toBe(ErrorCode.NOT_FOUND);
    expect(other.all('read_state')).toHaveLength(0);
    await Promise.all([tab1.close(), tab2.close(), other.close()]);
  });
});
