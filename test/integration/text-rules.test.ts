// README "Text rules" end to end: names normalized and free of invisible
// characters (REST room names, WebSocket usernames), content line endings and
// controls, and idempotency keys scoped to their sender.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import { allMessages, createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { sleep, TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const postRoom = (name: unknown) =>
  fetch(`${server.url}/api/chat/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });

const INVISIBLE: [string, string][] = [
  ['zero-width space', '\u200b'],
  ['zero-width joiner between letters', '\u200d'],
  ['soft hyphen', '\u00ad'],
  ['right-to-left override', '\u202e'],
  ['right-to-left isolate', '\u2067'],
  ['right-to-left mark', '\u200f'],
  ['Arabic letter mark', '\u061c'],
  ['word joiner', '\u2060'],
  ['byte order mark inside', '\ufeff'],
];

describe('REST: room names', () => {
  it.each(INVISIBLE)('answers 422 for a name with a %s', async (_what, ch) => {
    const res = await postRoom(`gen${ch}eral`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; detail: { loc: string[]; msg: string }[] };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.detail[0]?.loc).toEqual(['body', 'name']);
    expect(body.detail[0]?.msg).toMatch(/invisible/);
  });

  it.each([
    ['next line (U+0085)', '\u0085'],
    ['CSI (U+009B)', '\u009b'],
    ['escape', '\u001b'],
  ])('answers 422 for a name with %s', async (_what, ch) => {
    const res = await postRoom(`gen${ch}eral`);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: { msg: string }[] }).detail[0]?.msg).toMatch(/control/);
  });

  it('stores the trimmed NFC form and accepts emoji sequences', async () => {
    const nfd = await postRoom('  Cafe\u0301  ');
    expect(nfd.status).toBe(201);
    expect(((await nfd.json()) as Room).name).toBe('Caf\u00e9');
    const emoji = await postRoom('devs 👩🏽‍💻 🏳️‍🌈');
    expect(emoji.status).toBe(201);
    expect(((await emoji.json()) as Room).name).toBe('devs 👩🏽‍💻 🏳️‍🌈');
    const listed = (await (await fetch(`${server.url}/api/chat/rooms`)).json()) as Room[];
    expect(listed.map((r) => r.name)).toEqual(expect.arrayContaining(['Caf\u00e9']));
    expect(listed.some((r) => r.name.includes('\u200b') || r.name.includes('\u202e'))).toBe(false);
  });
});

describe('WebSocket: usernames', () => {
  it.each(INVISIBLE)('closes with 4001 for a username with a %s', async (_what, ch) => {
    const room = await createRoom(server.url);
    const c = await TestClient.connect(server.wsUrl, room.id, `ali${ch}ce`);
    const closed = await c.closed;
    expect(closed).toEqual({ code: 4001, reason: 'Invalid username: invisible_chars' });
  });

  it.each([
    ['U+0085', '\u0085'],
    ['U+009B', '\u009b'],
  ])('closes with 4001 for a username with %s', async (_what, ch) => {
    const room = await createRoom(server.url);
    const c = await TestClient.connect(server.wsUrl, room.id, `ali${ch}ce`);
    expect(await c.closed).toEqual({ code: 4001, reason: 'Invalid username: control_chars' });
  });

  it('"alice " joins as "alice": one user, messages stored as "alice"', async () => {
    const room = await createRoom(server.url);
    const plain = await TestClient.join(server.wsUrl, room.id, 'alice');
    await plain.next('join'); // its own
    const spaced = await TestClient.connect(server.wsUrl, room.id, ' alice ');
    // another tab of the same user: no join notice, the list still has one alice
    expect((await spaced.next('user_list')).users).toEqual(['alice']);
    const echo = await spaced.say('hi from the spaced tab');
    expect(echo.username).toBe('alice');
    await plain.next('message', (m) => m.content === 'hi from the spaced tab');
    await sleep(50);
    expect(plain.pending('join')).toEqual([]);
    expect((await allMessages(server.url, room.id)).map((m) => m.username)).toEqual(['alice']);
    await Promise.all([plain.close(), spaced.close()]);
  });

  it('the NFD and NFC spellings of a name are one user', async () => {
    const room = await createRoom(server.url);
    const nfc = await TestClient.join(server.wsUrl, room.id, 'Jos\u00e9');
    await nfc.next('join'); // its own
    const nfd = await TestClient.connect(server.wsUrl, room.id, 'Jose\u0301');
    expect((await nfd.next('user_list')).users).toEqual(['Jos\u00e9']);
    expect((await nfd.say('decomposed')).username).toBe('Jos\u00e9');
    await nfc.next('message', (m) => m.content === 'decomposed');
    await sleep(50);
    expect(nfc.pending('join')).toEqual([]);
    await Promise.all([nfc.close(), nfd.close()]);
  });
});

describe('WebSocket: content', () => {
  it('stores CRLF and lone CR as LF, in the echo and in history', async () => {
    const room = await createRoom(server.url);
    const c = await TestClient.join(server.wsUrl, room.id, 'writer');
    c.send({ type: 'message', content: 'one\r\ntwo\rthree\n', client_id: 'crlf' });
    const echo = await c.next('message', (m) => m.client_id === 'crlf');
    expect(echo.content).toBe('one\ntwo\nthree\n');
    expect((await allMessages(server.url, room.id)).map((m) => m.content)).toEqual([
      'one\ntwo\nthree\n',
    ]);
    await c.close();
  });

  it.each([
    ['U+0085 (next line)', '\u0085'],
    ['U+009B (CSI, a terminal escape)', '\u009b'],
    ['ESC', '\u001b'],
    ['vertical tab', '\u000b'],
    ['DEL', '\u007f'],
  ])('refuses %s with INVALID_CONTENT; nothing stored, bystander undisturbed', async (_w, ch) => {
    const room = await createRoom(server.url);
    const sender = await TestClient.join(server.wsUrl, room.id, 'sender');
    const bystander = await TestClient.join(server.wsUrl, room.id, 'bystander');
    sender.send({ type: 'message', content: `red ${ch}[31m text`, client_id: 'bad' });
    const error = await sender.next('error');
    expect(error).toMatchObject({ code: 'INVALID_CONTENT', client_id: 'bad' });
    // the connection stays open and usable, for the sender and for others
    await sender.say('still here');
    await bystander.next('message', (m) => m.content === 'still here');
    expect(bystander.pending('error')).toEqual([]);
    expect((await allMessages(server.url, room.id)).map((m) => m.content)).toEqual(['still here']);
    await Promise.all([sender.close(), bystander.close()]);
  });

  it('keeps emoji joiners and RTL marks in content', async () => {
    const room = await createRoom(server.url);
    const c = await TestClient.join(server.wsUrl, room.id, 'writer');
    const text = 'family 👨‍👩‍👧 and שלום\u200f';
    expect((await c.say(text)).content).toBe(text);
    await c.close();
  });
});

describe('WebSocket: client_id is scoped to its sender', () => {
  it('two users reusing one client_id each get their own message stored', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    const fromAlice = await alice.say('alice wrote this', 'shared-id');
    const fromBob = await bob.say('bob wrote this', 'shared-id');
    expect(fromBob).toMatchObject({ username: 'bob', content: 'bob wrote this', seq: 2 });
    // everyone saw both
    await alice.next('message', (m) => m.id === fromBob.id);
    await bob.next('message', (m) => m.id === fromAlice.id);
    // a retry is still answered with the sender's own message, to the sender only
    alice.send({ type: 'message', content: 'alice wrote this (retry)', client_id: 'shared-id' });
    expect(await alice.next('message', (m) => m.client_id === 'shared-id')).toEqual(fromAlice);
    await sleep(50);
    expect(bob.pending('message')).toEqual([]);
    expect(
      (await allMessages(server.url, room.id)).map((m) => [m.username, m.content, m.seq]),
    ).toEqual([
      ['alice', 'alice wrote this', 1],
      ['bob', 'bob wrote this', 2],
    ]);
    await Promise.all([alice.close(), bob.close()]);
  });
});
