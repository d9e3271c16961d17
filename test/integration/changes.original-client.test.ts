// A client of the original API (no `features=` on /ws/chat) in a room where
// others edit, delete, react and reply: it receives only the original frame
// types, never loses a message it sent, and a resume (since=) replays messages
// in their current state, deleted ones left out, with no change frames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../../src/protocol/error-codes.js';
import type { ServerFrame } from '../../src/protocol/frames.js';
import type { Message, Room } from '../../src/protocol/rest.js';
import { allMessages, createRoom, historyEpoch } from '../support/api.js';
import { ChangesClient } from '../support/changes-client.js';
import { ORIGINAL_FRAME_TYPES, ORIGINAL_MESSAGE_FIELDS } from '../support/original-protocol.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

let server: TestServer;
let room: Room;
/** The original client, connected throughout. */
let olga: TestClient;
/** An original client that leaves after the first messages and resumes at the end. */
let oscar: TestClient;
let oscarLastSeq = 0;
/** Someone with the feature, making changes. */
let fred: ChangesClient;
const olgaSent: string[] = [];
const clients: TestClient[] = [];

const messagesOf = (c: TestClient): Message[] =>
  c.received.flatMap((f: ServerFrame) => (f.type === 'message' ? [f.data] : []));
const unexpectedFrames = (c: TestClient) =>
  c.received.filter((f) => !ORIGINAL_FRAME_TYPES.has(f.type));

async function rest(method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${server.url}/api/chat/rooms/${room.id}/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function olgaSays(content: string): Promise<Message> {
  const clientId = `olga-${olgaSent.length}`;
  olgaSent.push(clientId);
  return olga.say(content, clientId);
}

beforeAll(async () => {
  server = await startServer({ ws: { ratePerSec: 0 }, http: { ratePerSec: 0 } });
  room = await createRoom(server.url);
  olga = await TestClient.join(server.wsUrl, room.id, 'olga', { since: 0 });
  oscar = await TestClient.join(server.wsUrl, room.id, 'oscar', { since: 0 });
  clients.push(olga, oscar);
  fred = new ChangesClient(server.wsUrl, room.id, 'fred');
  await fred.connect({ since: 0 });

  const o = [await olgaSays('olga 0'), await olgaSays('olga 1'), await olgaSays('olga 2')];
  for (let i = 0; i < 4; i++) {
    fred.send({ type: 'message', content: `fred ${i}`, client_id: fred.nextClientId() });
  }
  await fred.settle();
  await eventually(() => messagesOf(oscar).length === 7, 5_000, 'oscar to get 7 messages');
  oscarLastSeq = messagesOf(oscar).at(-1)?.seq ?? 0;
  await oscar.close();
  const f = fred.model.messages().filter((m) => m.username === 'fred');
  const [o0, o1, o2] = o as [Message, Message, Message];
  const fid = (i: number) => f[i]?.id as string;

  // Olga talks fast while fred changes things around her.
  const burst: string[] = [];
  for (let i = 0; i < 20; i++) {
    const clientId = `olga-${olgaSent.length}`;
    olgaSent.push(clientId);
    burst.push(clientId);
    olga.send({ type: 'message', content: `olga burst ${i}`, client_id: clientId });
  }
  fred.send({ type: 'edit', message_id: fid(0), content: 'fred 0, edited', client_id: 'f-e' });
  fred.send({ type: 'react', message_id: o0.id, emoji: '👍', on: true, client_id: 'f-r1' });
  fred.send({ type: 'react', message_id: o1.id, emoji: '🎉', on: true, client_id: 'f-r2' });
  fred.send({ type: 'delete', message_id: fid(1), client_id: 'f-d' });
  fred.send({ type: 'message', content: 'right, @olga', reply_to: o0.id, client_id: 'f-re' });
  // Not his to change: refused, and olga hears nothing of it.
  fred.send({ type: 'delete', message_id: o0.id, client_id: 'f-x1' });
  fred.send({ type: 'edit', message_id: o1.id, content: 'not yours', client_id: 'f-x2' });
  const restStatuses = await Promise.all([
    rest('PATCH', `messages/${fid(2)}`, { content: 'fred 2, edited over REST', username: 'fred' }),
    rest('PUT', `messages/${o2.id}/reactions/ok?username=rita`),
    rest('DELETE', `messages/${fid(3)}?username=fred`),
  ]);
  expect(restStatuses).toEqual([200, 200, 204]);
  await fred.settle();
  // after its own react, so that it takes something back
  expect(
    await rest('DELETE', `messages/${o1.id}/reactions/${encodeURIComponent('🎉')}?username=fred`),
  ).toBe(200);
  for (const clientId of burst) await olga.next('message', (m) => m.client_id === clientId);
});

afterAll(async () => {
  await Promise.all([...clients.map((c) => c.close()), fred.disconnect()]);
  await server.close();
});

describe('a client of the original API, among edits, deletes and reactions', () => {
  it('the changes were made (fred refused where the messages were not his)', async () => {
    // (the two refusals may come in either order: they wait for no commit)
    expect(fred.errors).toEqual(
      expect.arrayContaining([
        { code: ErrorCode.FORBIDDEN, client_id: 'f-x1' },
        { code: ErrorCode.FORBIDDEN, client_id: 'f-x2' },
      ]),
    );
    expect(fred.errors).toHaveLength(2);
    const history = await allMessages(server.url, room.id);
    expect(history.map((m) => m.content).sort()).toEqual(
      [
        'olga 0',
        'olga 1',
        'olga 2',
        'fred 0, edited',
        'fred 2, edited over REST',
        ...Array.from({ length: 20 }, (_, i) => `olga burst ${i}`),
        'right, @olga',
      ].sort(),
    );
  });

  it('receives only the original frame types', () => {
    expect(unexpectedFrames(olga)).toEqual([]);
    expect(olga.received.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('never loses a message it sent: each echoed once, in order, and stored', async () => {
    const mine = messagesOf(olga).filter((m) => m.username === 'olga');
    expect(mine.map((m) => m.client_id)).toEqual(olgaSent);
    const seqs = messagesOf(olga).map((m) => m.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    const stored = new Map((await allMessages(server.url, room.id)).map((m) => [m.id, m]));
    for (const m of mine)
      expect(stored.get(m.id)).toMatchObject({ content: m.content, seq: m.seq });
  });

  it('sees messages in the original shape unless they use something new', async () => {
    for (const m of messagesOf(olga)) {
      if (m.reply_to || m.mentions) continue;
      expect(
        Object.keys(m).filter((k) => !ORIGINAL_MESSAGE_FIELDS.has(k)),
        m.content,
      ).toEqual([]);
    }
    // ... in REST too, for a message nobody touched
    const untouched = (await allMessages(server.url, room.id)).find(
      (m) => m.content === 'olga burst 0',
    );
    expect(Object.keys(untouched ?? {}).sort()).toEqual(
      ['id', 'room_id', 'username', 'content', 'timestamp', 'seq', 'client_id'].sort(),
    );
  });

  it('a resume from the start replays the current room: edited, reacted, deleted left out', async () => {
    const epoch = await historyEpoch(server.url, room.id);
    const late = await TestClient.join(server.wsUrl, room.id, 'olga', { since: 0, epoch });
    clients.push(late);
    const history = await allMessages(server.url, room.id);
    // The replay comes before the user list.
    const replay = late.received.slice(0, late.received.length - 1);
    expect(replay.every((f) => f.type === 'message')).toBe(true);
    expect(messagesOf(late)).toEqual(history);
    expect(unexpectedFrames(late)).toEqual([]);
  });

  it('a resume from the middle replays the later messages as they are now', async () => {
    const history = await allMessages(server.url, room.id);
    oscar = await TestClient.join(server.wsUrl, room.id, 'oscar', { since: oscarLastSeq });
    clients.push(oscar);
    expect(messagesOf(oscar)).toEqual(history.filter((m) => m.seq > oscarLastSeq));
    expect(unexpectedFrames(oscar)).toEqual([]);
  });

  it('may edit, react and delete itself: nothing comes back on success, an error frame on refusal', async () => {
    const history = await allMessages(server.url, room.id);
    const own = history.filter((m) => m.username === 'olga');
    const fredsEdited = history.find((m) => m.content === 'fred 0, edited') as Message;
    const before = olga.received.length;
    olga.send({
      type: 'edit',
      message_id: (own[0] as Message).id,
      content: 'olga 0!',
      client_id: 'o-e',
    });
    olga.send({
      type: 'react',
      message_id: fredsEdited.id,
      emoji: '😂',
      on: true,
      client_id: 'o-r',
    });
    olga.send({ type: 'delete', message_id: (own[1] as Message).id, client_id: 'o-d' });
    olga.send({ type: 'edit', message_id: fredsEdited.id, content: 'mine now', client_id: 'o-x' });
    olga.send({
      type: 'react',
      message_id: fredsEdited.id,
      emoji: 'a b',
      on: true,
      client_id: 'o-y',
    });
    olga.send({
      type: 'delete',
      message_id: '00000000-0000-4000-8000-000000000000',
      client_id: 'o-z',
    });
    const codes = [];
    for (const clientId of ['o-x', 'o-y', 'o-z']) {
      codes.push((await olga.next('error', (e) => e.client_id === clientId)).code);
    }
    expect(codes).toEqual([
      ErrorCode.FORBIDDEN,
      ErrorCode.INVALID_EMOJI,
      ErrorCode.MESSAGE_NOT_FOUND,
    ]);
    await eventually(
      async () => {
        const now = await allMessages(server.url, room.id);
        const edited = now.find((m) => m.id === own[0]?.id);
        const reacted = now.find((m) => m.id === fredsEdited.id);
        return (
          edited?.content === 'olga 0!' &&
          reacted?.reactions?.some((r) => r.emoji === '😂' && r.users.includes('olga')) === true &&
          !now.some((m) => m.id === own[1]?.id)
        );
      },
      5_000,
      "olga's changes to be stored",
    );
    // The changes reached fred, who has the feature ...
    await eventually(() => fred.model.get((own[0] as Message).id)?.content === 'olga 0!');
    await eventually(() => fred.model.get((own[1] as Message).id) === undefined);
    // ... and olga got the three refusals and nothing else.
    await olga.say('still here', 'o-last');
    const presence = new Set(['join', 'leave', 'user_list']);
    expect(
      olga.received
        .slice(before)
        .map((f) => f.type)
        .filter((t) => !presence.has(t)),
    ).toEqual(['error', 'error', 'error', 'message']);
  });

  it('unknown features are ignored: alone they leave the original protocol, beside changes they do not hide it', async () => {
    const unknown = new ChangesClient(server.wsUrl, room.id, 'uma', 'foo,bar');
    const mixed = new ChangesClient(server.wsUrl, room.id, 'max', 'foo,changes');
    await unknown.connect();
    await mixed.connect();
    try {
      const target = fred.model.messages().find((m) => m.username === 'fred') as { id: string };
      fred.send({
        type: 'edit',
        message_id: target.id,
        content: 'once more',
        client_id: 'f-again',
      });
      await fred.settle();
      olga.send({ type: 'message', content: 'marker', client_id: 'o-marker' });
      const heard = (c: ChangesClient) =>
        c.received.some((f) => (f.data as { client_id?: string }).client_id === 'o-marker');
      await eventually(() => heard(unknown) && heard(mixed), 5_000, 'the marker');
      expect(unknown.received.filter((f) => !ORIGINAL_FRAME_TYPES.has(f.type))).toEqual([]);
      expect(mixed.received.map((f) => f.type)).toContain('change');
    } finally {
      await Promise.all([unknown.disconnect(), mixed.disconnect()]);
    }
  });

  it('hears room deletion the original way', async () => {
    const res = await fetch(`${server.url}/api/chat/rooms/${room.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await olga.next('room_deleted')).toEqual({
      room_id: room.id,
      message: 'This room was deleted',
    });
    expect((await olga.closed).code).toBe(CloseCode.ROOM_DELETED);
    expect(unexpectedFrames(olga)).toEqual([]);
  });
});
