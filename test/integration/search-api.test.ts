// GET /api/chat/search and the history window (`around`, `after`) over real HTTP,
// on both backends (the postgres+redis project reruns this file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Room } from '../../src/protocol/rest.js';
import type { SearchResponse } from '../../src/protocol/search.js';
import { team } from '../support/accounts.js';
import { createRoom, history } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';

let server: TestServer;
let secret: Room;
let open: Room;
let big: Room;

const search = async (query: string) => {
  const res = await fetch(`${server.url}/api/chat/search?${query}`);
  return { status: res.status, body: (await res.json()) as SearchResponse & { detail?: unknown } };
};

beforeAll(async () => {
  // A fake permission model: the room named "secret" is readable by nobody.
  server = await startServer(
    {},
    {
      readableRooms: async () =>
        (await server.app.store.listRooms()).filter((r) => r.name !== 'secret').map((r) => r.id),
    },
  );
  secret = await createRoom(server.url, 'secret');
  open = await createRoom(server.url, 'open');
  big = await createRoom(server.url, 'big');
  const store = server.app.store;
  await store.appendMessages([
    { roomId: secret.id, username: 'eve', content: 'the launch code is <b>42</b>' },
    { roomId: open.id, username: 'amy', content: 'the launch is on Friday <script>' },
  ]);
  await store.appendMessages(
    Array.from({ length: 50 }, (_, i) => ({
      roomId: big.id,
      username: 'bot',
      content: i === 29 ? 'needle in the haystack' : `hay ${i + 1}`,
    })),
  );
});
afterAll(() => server.close());

describe('GET /api/chat/search', () => {
  it('finds messages with their room and highlight ranges, never in an unreadable room', async () => {
    const { status, body } = await search('q=launch');
    expect(status).toBe(200);
    expect(body.results).toHaveLength(1);
    expect(body.results[0]).toMatchObject({
      message: { content: 'the launch is on Friday <script>', username: 'amy', room_id: open.id },
      room: { id: open.id, name: 'open' },
      highlights: [[4, 10]],
    });
    expect(body.next).toBeNull();
    expect((await search('q=code')).body.results).toEqual([]);
    expect((await search('q=in%3Asecret%20launch')).body.results).toEqual([]);
    expect((await search('q=from%3Aeve')).body.results).toEqual([]);
  });

  it('pages with the next cursor', async () => {
    const first = await search('q=hay&limit=20');
    expect(first.body.results.map((r) => r.message.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => 50 - i)
        .filter((s) => s !== 30)
        .concat([29])
        .slice(0, 20),
    );
    expect(first.body.next).toEqual(expect.any(String));
    const second = await search(`q=hay&limit=100&before=${first.body.next}`);
    expect(second.body.results).toHaveLength(49 - 20);
    expect(second.body.next).toBeNull();
  });

  it.each([
    ['q=', ['query', 'q']],
    ['q=%F0%9F%8E%89', ['query', 'q']],
    ['q=x%20before%3A2024-13-01', ['query', 'q']],
    [`q=${'x%20'.repeat(600)}`, ['query', 'q']],
    ['', ['query', 'q']],
    ['q=x&limit=0', ['query', 'limit']],
    ['q=x&limit=101', ['query', 'limit']],
    ['q=x&before=nope', ['query', 'before']],
    ['q=x&before=p1e400', ['query', 'before']],
  ])('refuses ?%s with a 422 field error, and the server stays up', async (query, loc) => {
    const { status, body } = await search(query);
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'VALIDATION_FAILED', detail: [{ loc }] });
    expect((await search('q=launch')).status).toBe(200);
  });
});

describe('history around a message', () => {
  const seqs = (ms: Message[]) => ms.map((m) => m.seq);

  it('returns a window around the seq, and pages both ways from it', async () => {
    expect(seqs(await history(server.url, big.id, '?around=30&limit=10'))).toEqual([
      25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    ]);
    expect(seqs(await history(server.url, big.id, '?around=2&limit=10'))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(seqs(await history(server.url, big.id, '?around=49&limit=10'))).toEqual([
      41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
    ]);
    expect(seqs(await history(server.url, big.id, '?around=30&limit=1'))).toEqual([30]);
    expect(seqs(await history(server.url, big.id, '?after=45&limit=3'))).toEqual([46, 47, 48]);
    expect(seqs(await history(server.url, big.id, '?after=50'))).toEqual([]);
  });

  it.each([
    '?around=0',
    '?around=-1',
    '?around=x',
    '?around=9007199254740992',
    '?around=3&before=5',
    '?after=3&around=5',
    '?after=-1',
  ])('refuses %s with a 422', async (query) => {
    const res = await fetch(`${server.url}/api/chat/rooms/${big.id}/messages${query}`);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('search with accounts', () => {
  let acc: TestServer;
  beforeAll(async () => {
    acc = await startServer({ auth: { mode: 'accounts' } });
  });
  afterAll(() => acc.close());

  it('finds messages of public rooms and of private rooms one is a member of, never of others', async () => {
    const [, owner, member, outsider] = await team(acc.url, 'owner', 'member', 'outsider');
    if (!owner || !member || !outsider) throw new Error('no team');
    const hidden = await owner.createRoom('hideout', 'private');
    const lobby = await owner.createRoom('lobby');
    await owner.addMember(hidden.id, member.user.id);
    expect((await owner.post(hidden.id, 'treasure map under the floor')).status).toBe(201);
    expect((await owner.post(lobby.id, 'treasure hunt tonight')).status).toBe(201);
    const found = async (s: typeof owner, q: string) =>
      (await s.json<SearchResponse>(`/api/chat/search?q=${encodeURIComponent(q)}`)).results.map(
        (r) => r.message.content,
      );
    expect(await found(member, 'treasure')).toEqual([
      'treasure hunt tonight',
      'treasure map under the floor',
    ]);
    expect(await found(outsider, 'treasure')).toEqual(['treasure hunt tonight']);
    expect(await found(outsider, 'in:hideout treasure')).toEqual([]);
    expect(await found(outsider, 'from:owner')).toEqual(['treasure hunt tonight']);
    // without an account: 401
    expect((await fetch(`${acc.url}/api/chat/search?q=treasure`)).status).toBe(401);
  });
});
