// Sidebars and read state over REST (`/api/chat/me/rooms`), in open mode and in
// accounts mode: counts, every invalid input, every forbidden access, and the
// reader events published on the bus. Real server; runs on SQLite+local and
// PostgreSQL+Redis.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import type { SidebarRoom } from '../../src/protocol/workspace.js';
import type { BusEvent, ReaderFrame } from '../../src/server/bus/bus-events.js';
import { readerTopic } from '../../src/server/domain/reader.js';
import { invite, type Session, signup } from '../support/accounts.js';
import { startServer, type TestServer } from '../support/start-server.js';

interface Answer {
  status: number;
  body: unknown;
}

async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const codeOf = (a: Answer): string | undefined => (a.body as { code?: string } | null)?.code;

/** Collects the reader events of `key` published on the app's bus. */
function readerEvents(server: TestServer, key: string): { frames: ReaderFrame[]; stop(): void } {
  const frames: ReaderFrame[] = [];
  const stop = server.app.bus.subscribe(readerTopic(key), (event: BusEvent) => {
    if (event.type === 'reader') frames.push(event.frame);
  });
  return { frames, stop };
}

describe('sidebar, open mode', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const me = (username: string, path = '') =>
    `${server.url}/api/chat/me/rooms${path}?username=${encodeURIComponent(username)}`;
  const create = async (name: string, creator?: string): Promise<Room> => {
    const q = creator === undefined ? '' : `?username=${encodeURIComponent(creator)}`;
    const a = await call(`${server.url}/api/chat/rooms${q}`, 'POST', { name });
    expect(a.status).toBe(201);
    return a.body as Room;
  };
  const say = async (room: Room, username: string, content: string): Promise<number> => {
    const a = await call(`${server.url}/api/chat/rooms/${room.id}/messages`, 'POST', {
      content,
      username,
    });
    expect(a.status).toBe(201);
    return (a.body as { seq: number }).seq;
  };
  const sidebar = async (username: string): Promise<SidebarRoom[]> => {
    const a = await call(me(username), 'GET');
    expect(a.status).toBe(200);
    return a.body as SidebarRoom[];
  };

  it("adds a created room to its creator's sidebar, and only theirs", async () => {
    const events = readerEvents(server, 'u:creator');
    const room = await create('made here', 'creator');
    expect(await sidebar('creator')).toEqual([
      { room, last_read_seq: 0, latest_seq: 0, unread: 0, mentions: 0, notify: 'mentions' },
    ]);
    expect(await sidebar('someone-else')).toEqual([]);
    // without a username nobody's sidebar changes (the original API)
    await create('anonymous');
    expect((await sidebar('creator')).map((s) => s.room.id)).toEqual([room.id]);
    expect(events.frames).toEqual([
      {
        type: 'sidebar_added',
        data: { room, last_read_seq: 0, latest_seq: 0, unread: 0, mentions: 0, notify: 'mentions' },
      },
    ]);
    events.stop();
  });

  it('joins, counts unread without own messages, reads, marks unread, sets notify, leaves', async () => {
    const room = await create('counting');
    await say(room, 'zoe', 'before joining');
    const events = readerEvents(server, 'u:dan');
    const joined = await call(me('dan', `/${room.id}`), 'PUT');
    expect(joined).toEqual({
      status: 200,
      body: { room, last_read_seq: 1, latest_seq: 1, unread: 0, mentions: 0, notify: 'mentions' },
    });
    // joining again changes nothing and publishes nothing
    expect((await call(me('dan', `/${room.id}`), 'PUT')).status).toBe(200);
    await say(room, 'zoe', 'one');
    await say(room, 'dan', 'my own');
    const last = await say(room, 'zoe', 'two');
    expect(await sidebar('dan')).toEqual([
      { room, last_read_seq: 1, latest_seq: last, unread: 2, mentions: 0, notify: 'mentions' },
    ]);
    expect(await call(me('dan', `/${room.id}/read`), 'PUT', { seq: last })).toEqual({
      status: 204,
      body: null,
    });
    expect((await sidebar('dan'))[0]).toMatchObject({ last_read_seq: last, unread: 0 });
    // back: unread again; past the end: the latest seq
    expect((await call(me('dan', `/${room.id}/read`), 'PUT', { seq: 2 })).status).toBe(204);
    expect((await sidebar('dan'))[0]).toMatchObject({ last_read_seq: 2, unread: 1 });
    expect((await call(me('dan', `/${room.id}/read`), 'PUT', { seq: 10 ** 12 })).status).toBe(204);
    expect((await sidebar('dan'))[0]).toMatchObject({ last_read_seq: last, unread: 0 });
    expect((await call(me('dan', `/${room.id}/notify`), 'PUT', { level: 'none' })).status).toBe(
      204,
    );
    expect((await sidebar('dan'))[0]).toMatchObject({ notify: 'none' });
    expect(await call(me('dan', `/${room.id}`), 'DELETE')).toEqual({ status: 204, body: null });
    expect(await sidebar('dan')).toEqual([]);
    // leaving again is fine, and publishes nothing
    expect((await call(me('dan', `/${room.id}`), 'DELETE')).status).toBe(204);
    expect(events.frames).toEqual([
      {
        type: 'sidebar_added',
        data: { room, last_read_seq: 1, latest_seq: 1, unread: 0, mentions: 0, notify: 'mentions' },
      },
      { type: 'read_state', data: { room_id: room.id, last_read_seq: last, notify: 'mentions' } },
      { type: 'read_state', data: { room_id: room.id, last_read_seq: 2, notify: 'mentions' } },
      { type: 'read_state', data: { room_id: room.id, last_read_seq: last, notify: 'mentions' } },
      { type: 'read_state', data: { room_id: room.id, last_read_seq: last, notify: 'none' } },
      { type: 'sidebar_removed', data: { room_id: room.id } },
    ]);
    events.stop();
  });

  it('counts mentions of the reader (any case) and never deleted messages', async () => {
    const room = await create('mentions', 'hal');
    await say(room, 'ivy', 'hey @HAL');
    const doomed = await call(`${server.url}/api/chat/rooms/${room.id}/messages`, 'POST', {
      content: 'and @hal again',
      username: 'ivy',
    });
    await say(room, 'hal', 'I am @hal');
    await say(room, 'ivy', 'for @ivy');
    expect((await sidebar('hal'))[0]).toMatchObject({ unread: 3, mentions: 2 });
    // deleted (issue 11): neither unread nor a mention any more
    const doomedId = (doomed.body as { id: string }).id;
    const gone = await call(
      `${server.url}/api/chat/rooms/${room.id}/messages/${doomedId}?username=ivy`,
      'DELETE',
    );
    expect(gone.status).toBe(204);
    expect((await sidebar('hal'))[0]).toMatchObject({ unread: 2, mentions: 1 });
    // an edit that mentions the reader counts; reactions are no messages
    const plain = await call(`${server.url}/api/chat/rooms/${room.id}/messages`, 'POST', {
      content: 'plain',
      username: 'ivy',
    });
    const plainId = (plain.body as { id: string }).id;
    const edited = await call(
      `${server.url}/api/chat/rooms/${room.id}/messages/${plainId}`,
      'PATCH',
      {
        content: 'now @Hal',
        username: 'ivy',
      },
    );
    expect(edited.status).toBe(200);
    const reacted = await call(
      `${server.url}/api/chat/rooms/${room.id}/messages/${plainId}/reactions/${encodeURIComponent('👍')}?username=hal`,
      'PUT',
    );
    expect(reacted.status).toBe(200);
    expect((await sidebar('hal'))[0]).toMatchObject({ unread: 3, mentions: 2 });
  });

  it("keeps each username's state apart; a name is the reader as written (NFC)", async () => {
    const room = await create('apart', 'ann');
    await call(me('bea', `/${room.id}`), 'PUT');
    await say(room, 'cy', 'hello');
    await call(me('ann', `/${room.id}/read`), 'PUT', { seq: 1 });
    expect((await sidebar('ann'))[0]).toMatchObject({ unread: 0 });
    expect((await sidebar('bea'))[0]).toMatchObject({ unread: 1 });
    // NFC: the decomposed spelling is the same reader
    const composed = 'Zoë';
    const decomposed = 'Zoe\u0308';
    await call(me(composed, `/${room.id}`), 'PUT');
    expect((await sidebar(decomposed)).map((s) => s.room.id)).toEqual([room.id]);
  });

  it('a deleted room leaves every sidebar', async () => {
    const room = await create('doomed', 'eve');
    await call(me('fay', `/${room.id}`), 'PUT');
    const eve = readerEvents(server, 'u:eve');
    const fay = readerEvents(server, 'u:fay');
    expect((await call(`${server.url}/api/chat/rooms/${room.id}`, 'DELETE')).status).toBe(204);
    expect(await sidebar('eve')).toEqual([]);
    expect(await sidebar('fay')).toEqual([]);
    for (const events of [eve, fay]) {
      expect(events.frames).toEqual([{ type: 'sidebar_removed', data: { room_id: room.id } }]);
      events.stop();
    }
  });

  it('refuses a missing or invalid username (422) on every route', async () => {
    const room = await create('strict');
    const base = `${server.url}/api/chat/me/rooms`;
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['PUT', `/${room.id}`],
      ['DELETE', `/${room.id}`],
      ['PUT', `/${room.id}/read`, { seq: 0 }],
      ['PUT', `/${room.id}/notify`, { level: 'all' }],
    ];
    const bad = ['', '   ', 'a\u0000b', 'bell\u0007', 'rtl\u202e', 'x'.repeat(500)];
    for (const [method, path, body] of routes) {
      const missing = await call(`${base}${path}`, method, body);
      expect(missing.status, `${method} ${path} without username`).toBe(422);
      expect(codeOf(missing)).toBe('VALIDATION_FAILED');
      for (const name of bad) {
        const a = await call(`${base}${path}?username=${encodeURIComponent(name)}`, method, body);
        expect(a.status, `${method} ${path} ${JSON.stringify(name)}`).toBe(422);
        expect(codeOf(a)).toBe('VALIDATION_FAILED');
      }
    }
    // creating a room with an invalid creator name creates nothing
    const before = (await call(`${server.url}/api/chat/rooms`, 'GET')).body as Room[];
    const a = await call(`${server.url}/api/chat/rooms?username=%07`, 'POST', { name: 'nope' });
    expect(a.status).toBe(422);
    expect((await call(`${server.url}/api/chat/rooms`, 'GET')).body).toEqual(before);
  });

  it('refuses invalid bodies (422) and unknown rooms (404)', async () => {
    const room = await create('bodies', 'gus');
    const badReads = [
      {},
      { seq: -1 },
      { seq: 1.5 },
      { seq: '3' },
      { seq: null },
      { seq: Number.MAX_SAFE_INTEGER + 2 },
      [],
      'null',
      '{"seq":',
    ];
    for (const body of badReads) {
      const a = await call(me('gus', `/${room.id}/read`), 'PUT', body);
      expect(a.status, JSON.stringify(body)).toBe(422);
      expect(codeOf(a)).toBe('VALIDATION_FAILED');
    }
    // a body that is not JSON at all
    const text = await call(me('gus', `/${room.id}/read`), 'PUT', undefined, {
      'content-type': 'text/plain',
    });
    expect([415, 422]).toContain(text.status);
    for (const body of [{}, { level: 'some' }, { level: 'ALL' }, { level: 1 }, { level: null }]) {
      const a = await call(me('gus', `/${room.id}/notify`), 'PUT', body);
      expect(a.status, JSON.stringify(body)).toBe(422);
      expect(codeOf(a)).toBe('VALIDATION_FAILED');
    }
    // nothing changed
    expect((await sidebar('gus'))[0]).toMatchObject({ last_read_seq: 0, notify: 'mentions' });
    for (const id of [randomUUID(), 'not-a-room', 'a\u0000b']) {
      for (const [method, path, body] of [
        ['PUT', '', undefined],
        ['DELETE', '', undefined],
        ['PUT', '/read', { seq: 1 }],
        ['PUT', '/notify', { level: 'all' }],
      ] as const) {
        const a = await call(me('gus', `/${encodeURIComponent(id)}${path}`), method, body);
        expect(a.status, `${method} ${id}${path}`).toBe(404);
        expect(codeOf(a)).toBe('ROOM_NOT_FOUND');
      }
    }
    // a room that exists but is not in the sidebar: read and notify are NOT_FOUND
    const other = await create('elsewhere');
    for (const [path, body] of [
      ['/read', { seq: 0 }],
      ['/notify', { level: 'all' }],
    ] as const) {
      const a = await call(me('gus', `/${other.id}${path}`), 'PUT', body);
      expect(a.status).toBe(404);
      expect(codeOf(a)).toBe('NOT_FOUND');
    }
  });
});

describe('sidebar, accounts mode', () => {
  let server: TestServer;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  beforeAll(async () => {
    server = await startServer({ auth: { mode: 'accounts' } });
    admin = await signup(server.url, 'admin');
    alice = await signup(server.url, 'alice', await invite(admin));
    bob = await signup(server.url, 'bob', await invite(admin));
    carol = await signup(server.url, 'carol', await invite(admin));
  });
  afterAll(() => server.close());

  const sidebarOf = (s: Session) => s.json<SidebarRoom[]>('/api/chat/me/rooms');
  const ids = async (s: Session) => (await sidebarOf(s)).map((e) => e.room.id);

  it('needs an account (401) on every route', async () => {
    const room = await alice.createRoom('auth');
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PUT', `/${room.id}`, undefined],
      ['DELETE', `/${room.id}`, undefined],
      ['PUT', `/${room.id}/read`, { seq: 0 }],
      ['PUT', `/${room.id}/notify`, { level: 'all' }],
    ] as const) {
      const a = await call(`${server.url}/api/chat/me/rooms${path}?username=alice`, method, body);
      expect(a.status, `${method} ${path}`).toBe(401);
      expect(codeOf(a)).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses cookie-authenticated changes from another origin (403)', async () => {
    const room = await alice.createRoom('csrf');
    for (const [method, path, body] of [
      ['PUT', `/${room.id}`, undefined],
      ['DELETE', `/${room.id}`, undefined],
      ['PUT', `/${room.id}/read`, { seq: 0 }],
      ['PUT', `/${room.id}/notify`, { level: 'all' }],
    ] as const) {
      const res = await bob.fetch(`/api/chat/me/rooms${path}`, {
        method,
        ...(body ? { json: body } : {}),
        headers: { origin: 'https://evil.example' },
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('ORIGIN_MISMATCH');
    }
    expect(await ids(bob)).not.toContain(room.id);
  });

  it("puts a room in its creator's sidebar; ?username= never shows another account's", async () => {
    const room = await alice.createRoom('alices');
    expect(await ids(alice)).toContain(room.id);
    expect(await ids(bob)).not.toContain(room.id);
    // the decoy username is ignored: bob sees his own sidebar
    const decoy = await bob.json<SidebarRoom[]>('/api/chat/me/rooms?username=alice');
    expect(decoy.map((e) => e.room.id)).not.toContain(room.id);
    // and changes only his own state
    await bob.fetch(`/api/chat/me/rooms/${room.id}?username=alice`, { method: 'DELETE' });
    expect(await ids(alice)).toContain(room.id);
  });

  it('private rooms: members get them, others cannot join, read or see them (404)', async () => {
    const room = await alice.createRoom('secret', 'private');
    const bobEvents = readerEvents(server, `a:${bob.user.id}`);
    expect(await ids(alice)).toContain(room.id);
    for (const [method, path, body] of [
      ['PUT', '', undefined],
      ['DELETE', '', undefined],
      ['PUT', '/read', { seq: 0 }],
      ['PUT', '/notify', { level: 'all' }],
    ] as const) {
      const res = await bob.fetch(`/api/chat/me/rooms/${room.id}${path}`, {
        method,
        ...(body ? { json: body } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('ROOM_NOT_FOUND');
    }
    expect(await ids(bob)).not.toContain(room.id);
    // added: in bob's sidebar, notify 'mentions'; removed: gone again
    await alice.addMember(room.id, bob.user.id);
    const entry = (await sidebarOf(bob)).find((e) => e.room.id === room.id);
    expect(entry).toMatchObject({ notify: 'mentions', unread: 0 });
    const removed = await alice.fetch(`/api/chat/rooms/${room.id}/members/${bob.user.id}`, {
      method: 'DELETE',
    });
    expect(removed.status).toBe(204);
    expect(await ids(bob)).not.toContain(room.id);
    expect(bobEvents.frames.map((f) => f.type)).toEqual(['sidebar_added', 'sidebar_removed']);
    expect(bobEvents.frames[0]?.data).toEqual(entry);
    bobEvents.stop();
  });

  it('a DM joins both sidebars, named after the other member, notify all', async () => {
    const res = await alice.fetch('/api/chat/dms', {
      method: 'POST',
      json: { user_id: carol.user.id },
    });
    expect(res.status).toBe(201);
    const dm = (await res.json()) as Room;
    const mine = (await sidebarOf(alice)).find((e) => e.room.id === dm.id);
    const theirs = (await sidebarOf(carol)).find((e) => e.room.id === dm.id);
    expect(mine).toMatchObject({ room: { name: 'carol', kind: 'dm' }, notify: 'all' });
    expect(theirs).toMatchObject({ room: { name: 'alice', kind: 'dm' }, notify: 'all' });
    // carol hides it; opening it again brings it back for the opener only
    expect((await carol.fetch(`/api/chat/me/rooms/${dm.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    await alice.fetch(`/api/chat/me/rooms/${dm.id}`, { method: 'DELETE' });
    const again = await alice.fetch('/api/chat/dms', {
      method: 'POST',
      json: { user_id: carol.user.id },
    });
    expect(again.status).toBe(200);
    expect(await ids(alice)).toContain(dm.id);
    expect(await ids(carol)).not.toContain(dm.id);
  });

  it("counts per account: own messages are never unread; read state is the account's on every device", async () => {
    const room = await alice.createRoom('counted');
    await bob.json(`/api/chat/me/rooms/${room.id}`, { method: 'PUT' });
    for (const content of ['a', 'b']) expect((await alice.post(room.id, content)).status).toBe(201);
    expect((await bob.post(room.id, 'mine')).status).toBe(201);
    const aliceRow = (await sidebarOf(alice)).find((e) => e.room.id === room.id);
    const bobRow = (await sidebarOf(bob)).find((e) => e.room.id === room.id);
    expect(aliceRow).toMatchObject({ unread: 1, latest_seq: 3, last_read_seq: 0 });
    expect(bobRow).toMatchObject({ unread: 2, last_read_seq: 0 });
    const read = await bob.fetch(`/api/chat/me/rooms/${room.id}/read`, {
      method: 'PUT',
      json: { seq: 3 },
    });
    expect(read.status).toBe(204);
    // a second session of bob's sees the same position
    const device = await call(`${server.url}/api/auth/login`, 'POST', {
      username: 'bob',
      password: 'correct horse battery',
    });
    expect(device.status).toBe(200);
    expect((await sidebarOf(bob)).find((e) => e.room.id === room.id)).toMatchObject({
      unread: 0,
    });
    // alice's position did not move
    expect((await sidebarOf(alice)).find((e) => e.room.id === room.id)).toMatchObject({
      unread: 1,
    });
  });

  it('deleting a private room takes it out of every member sidebar', async () => {
    const room = await alice.createRoom('short-lived', 'private');
    await alice.addMember(room.id, bob.user.id);
    const res = await alice.fetch(`/api/chat/rooms/${room.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await ids(alice)).not.toContain(room.id);
    expect(await ids(bob)).not.toContain(room.id);
  });
});
