// GET /api/chat/rooms: the unpaged array for original clients, and cursor pages
// (`limit`, `after`, `Link: <…>; rel="next"`) for lists of any size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import { createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';

let server: TestServer;
let created: Room[];
beforeAll(async () => {
  server = await startServer({ http: { ratePerSec: 0 } });
  created = [];
  // in waves, so many rooms share a millisecond and the tiebreak is exercised
  for (let wave = 0; wave < 20; wave++) {
    created.push(
      ...(await Promise.all(
        Array.from({ length: 50 }, (_, i) => createRoom(server.url, `r${wave}-${i}`)),
      )),
    );
  }
}, 60_000);
afterAll(() => server.close());

const nextLink = (res: Response): string | null => {
  const link = res.headers.get('link');
  if (link === null) return null;
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  if (!match?.[1]) throw new Error(`unexpected Link header: ${link}`);
  return match[1];
};

describe('GET /api/chat/rooms paging', () => {
  it('still answers the whole list as one array without paging parameters', async () => {
    const res = await fetch(`${server.url}/api/chat/rooms`);
    expect(res.status).toBe(200);
    expect(res.headers.get('link')).toBeNull();
    const all = (await res.json()) as Room[];
    expect(all).toHaveLength(1000);
    expect(new Set(all.map((r) => r.id))).toEqual(new Set(created.map((r) => r.id)));
  });

  it('walks 1,000 rooms in pages with no duplicates or gaps, in the unpaged order', async () => {
    const all = (await (await fetch(`${server.url}/api/chat/rooms`)).json()) as Room[];
    for (const limit of [37, 100, 1000]) {
      const walked: Room[] = [];
      let path: string | null = `/api/chat/rooms?limit=${limit}`;
      let pages = 0;
      while (path !== null) {
        const res: Response = await fetch(`${server.url}${path}`);
        expect(res.status).toBe(200);
        const page = (await res.json()) as Room[];
        expect(page.length).toBeLessThanOrEqual(limit);
        walked.push(...page);
        path = nextLink(res);
        pages++;
        if (path !== null) expect(page).toHaveLength(limit);
      }
      expect(pages).toBe(Math.ceil(1000 / limit));
      expect(walked).toEqual(all);
    }
  });

  it('defaults the page size to 100 when only a cursor is given', async () => {
    const first = await fetch(`${server.url}/api/chat/rooms?limit=5`);
    const next = nextLink(first);
    const cursor = new URL(next ?? '', server.url).searchParams.get('after');
    const res = await fetch(`${server.url}/api/chat/rooms?after=${cursor}`);
    expect(res.status).toBe(200);
    expect((await res.json()) as Room[]).toHaveLength(100);
    expect(nextLink(res)).toMatch(/^\/api\/chat\/rooms\?limit=100&after=/);
  });

  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  it.each([
    ['limit=0', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['after=', 'after'],
    ['after=garbage', 'after'],
    ['limit=10&after=%00%FF', 'after'],
    [`after=${'x'.repeat(201)}`, 'after'],
    [`after=${b64('2024-02-30T00:00:00.000Z.5')}`, 'after'],
    [`after=${b64('2024-01-01T00:00:00.000Z.-5')}`, 'after'],
    [`after=${b64('2024-01-01T00:00:00.000Z.99999999999999999')}`, 'after'],
    [`after=${b64("2024-01-01T00:00:00.000Z'; DROP TABLE rooms; --.1")}`, 'after'],
  ])('answers 422 for %s', async (query, field) => {
    const res = await fetch(`${server.url}/api/chat/rooms?${query}`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: { loc: string[] }[]; code: string };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.detail[0]?.loc).toEqual(['query', field]);
    // nothing lost, server up
    expect(((await (await fetch(`${server.url}/api/chat/rooms`)).json()) as Room[]).length).toBe(
      1000,
    );
  });

  it('answers an empty page past the end', async () => {
    const cursor = b64('2999-01-01T00:00:00.000Z.1');
    const res = await fetch(`${server.url}/api/chat/rooms?limit=10&after=${cursor}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
    expect(res.headers.get('link')).toBeNull();
  });
});
