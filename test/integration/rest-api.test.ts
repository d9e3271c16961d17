import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Room } from '../../src/protocol/rest.js';
import { createRoom, history } from '../support/api.js';
import { rawExchange } from '../support/raw-http.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const post = (path: string, body: string, contentType = 'application/json') =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('REST: rooms', () => {
  it('creates a room (201) with id, trimmed name and ISO timestamp', async () => {
    const res = await post('/api/chat/rooms', JSON.stringify({ name: '  General  ' }));
    expect(res.status).toBe(201);
    const room = (await res.json()) as Room;
    expect(room.name).toBe('General');
    expect(room.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(room.created_at).toISOString()).toBe(room.created_at);
  });

  it('stores names exactly as sent, HTML included', async () => {
    const room = await createRoom(server.url, '<b>bold</b> & "quotes"');
    expect(room.name).toBe('<b>bold</b> & "quotes"');
  });

  it('lists rooms', async () => {
    const a = await createRoom(server.url, 'list-a');
    const b = await createRoom(server.url, 'list-b');
    const res = await fetch(`${server.url}/api/chat/rooms`);
    expect(res.status).toBe(200);
    const rooms = (await res.json()) as Room[];
    const ids = rooms.map((r) => r.id);
    expect(ids).toContain(a.id);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    expect(rooms.find((r) => r.id === a.id)).toEqual(a);
  });

  it('deletes a room (204, empty body) and its messages', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    await alice.say('soon gone');
    await alice.close();
    const res = await fetch(`${server.url}/api/chat/rooms/${room.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const after = await fetch(`${server.url}/api/chat/rooms/${room.id}/messages`);
    expect(after.status).toBe(404);
    const rooms = (await (await fetch(`${server.url}/api/chat/rooms`)).json()) as Room[];
    expect(rooms.map((r) => r.id)).not.toContain(room.id);
    // the cascade really removed the rows
    expect(await server.app.store.recentMessages(room.id, 10)).toEqual([]);
  });

  it('answers 404 for deleting an unknown room', async () => {
    const res = await fetch(`${server.url}/api/chat/rooms/00000000-0000-0000-0000-000000000000`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ detail: expect.any(String), code: 'ROOM_NOT_FOUND' });
  });
});

describe('REST: message history', () => {
  it('returns an empty list for a new room', async () => {
    const room = await createRoom(server.url);
    expect(await history(server.url, room.id)).toEqual([]);
  });

  it('returns the most recent `limit` messages, oldest first, with seq', async () => {
    const room = await createRoom(server.url);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    for (let i = 1; i <= 5; i++) await bob.say(`m${i}`);
    await bob.close();
    const all = await history(server.url, room.id);
    expect(all.map((m) => m.content)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(all.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    const m = all[0] as Message;
    expect(Object.keys(m).sort()).toEqual([
      'content',
      'id',
      'room_id',
      'seq',
      'timestamp',
      'username',
    ]);
    expect(m).toMatchObject({ room_id: room.id, username: 'bob' });
    const last2 = await history(server.url, room.id, '?limit=2');
    expect(last2.map((x) => x.content)).toEqual(['m4', 'm5']);
    const page = await history(server.url, room.id, '?limit=2&before=4');
    expect(page.map((x) => x.seq)).toEqual([2, 3]);
  });

  it('answers 404 for an unknown room', async () => {
    const res = await fetch(`${server.url}/api/chat/rooms/nope/messages`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'ROOM_NOT_FOUND' });
  });

  it.each([
    ['abc', 'not a number'],
    ['0', 'zero'],
    ['-5', 'negative'],
    ['1.5', 'fractional'],
    ['1001', 'over the documented maximum'],
  ])('answers 422 for limit=%s (%s)', async (limit) => {
    const room = await createRoom(server.url);
    const res = await fetch(`${server.url}/api/chat/rooms/${room.id}/messages?limit=${limit}`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: { loc: string[] }[] };
    expect(body.detail[0]?.loc).toEqual(['query', 'limit']);
  });

  it('answers 422 for an invalid `before`', async () => {
    const room = await createRoom(server.url);
    const res = await fetch(`${server.url}/api/chat/rooms/${room.id}/messages?before=x`);
    expect(res.status).toBe(422);
  });

  // Past 2^53 a number is no longer an exact seq, and PostgreSQL's BIGINT refused
  // 1e20 outright: the store failed and the client got a 503.
  it.each(['99999999999999999999', '1e300', '9007199254740992'])(
    'answers 422 for before=%s (too large to be a seq)',
    async (before) => {
      const room = await createRoom(server.url);
      const res = await fetch(`${server.url}/api/chat/rooms/${room.id}/messages?before=${before}`);
      expect(res.status).toBe(422);
      const body = (await res.json()) as { detail: { loc: string[] }[] };
      expect(body.detail[0]?.loc).toEqual(['query', 'before']);
    },
  );
});

describe('REST: bad input', () => {
  it.each([
    ['missing name', '{}'],
    ['name not a string', '{"name": 42}'],
    ['empty name', '{"name": ""}'],
    ['blank name', '{"name": "   "}'],
    ['name too long', JSON.stringify({ name: 'x'.repeat(101) })],
    ['control characters in name', JSON.stringify({ name: 'bad\u0000name' })],
    ['a JSON array', '[]'],
    ['invalid JSON', '{"name": '],
    ['empty body', ''],
  ])('answers 422 for %s', async (_what, body) => {
    const res = await post('/api/chat/rooms', body);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const json = (await res.json()) as { detail: unknown; code: string };
    expect(Array.isArray(json.detail)).toBe(true);
    expect(json.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['text/plain', 'name=general'],
    ['application/x-www-form-urlencoded', 'name=general'],
  ])('answers 422 for a non-JSON body (%s)', async (type, body) => {
    const res = await post('/api/chat/rooms', body, type);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers 413 for an oversized body', async () => {
    const res = await post('/api/chat/rooms', JSON.stringify({ name: 'x'.repeat(100_000) }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers unknown paths with a JSON 404, never HTML', async () => {
    const res = await fetch(`${server.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: 'Not Found', code: 'NOT_FOUND' });
  });

  // The router decodes the path before any route runs; Fastify's own answer had
  // another shape (`{"error", "message", "statusCode"}`).
  it.each([
    ['GET', '/api/chat/rooms/%ZZ/messages'],
    ['GET', '/api/chat/rooms/%E0%A4%A/messages'],
    ['GET', '/api/chat/rooms/%/messages'],
    ['DELETE', '/api/chat/rooms/%ZZ'],
    ['GET', '/%ZZ'],
  ])('answers %s %s (malformed percent-escape) with a JSON 400', async (method, path) => {
    const res = await fetch(`${server.url}${path}`, { method });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({
      detail: 'The request path is not a valid URL',
      code: 'BAD_REQUEST',
    });
  });

  it('answers an over-long room id in the path with a JSON 414', async () => {
    const res = await fetch(`${server.url}/api/chat/rooms/${'a'.repeat(101)}/messages`);
    expect(res.status).toBe(414);
    expect(await res.json()).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it.each([
    ['a garbled request line', 'GARBAGE\r\n\r\n', 400],
    ['a NUL in a header value', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n', 400],
    ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('answers %s with a JSON %i in the API shape', async (_what, request, status) => {
    const answer = await rawExchange(new URL(server.url).port, request);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('creates nothing from rejected requests and stays up', async () => {
    const before = ((await (await fetch(`${server.url}/api/chat/rooms`)).json()) as Room[]).length;
    await post('/api/chat/rooms', '{"name": ""}');
    await post('/api/chat/rooms', 'garbage', 'text/plain');
    const after = ((await (await fetch(`${server.url}/api/chat/rooms`)).json()) as Room[]).length;
    expect(after).toBe(before);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('REST: docs, health and headers', () => {
  it('serves the OpenAPI document generated from the route schemas', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/chat/rooms',
        '/api/chat/rooms/{room_id}/messages',
        '/api/chat/rooms/{room_id}',
      ]),
    );
    expect(doc.paths['/api/chat/rooms']).toHaveProperty('post');
  });

  it('serves interactive docs at /docs', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/swagger/i);
  });

  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({
      status: 'ready',
      store: 'ok',
      bus: 'ok',
    });
  });

  it('sends security headers and a strict CSP', async () => {
    const res = await fetch(`${server.url}/api/chat/rooms`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });
});
