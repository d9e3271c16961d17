import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRoom, history } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ limits: { maxContentLength: 100, maxFrameBytes: 4096 } });
});
afterAll(() => server.close());

describe('WebSocket: connection refused with a close code', () => {
  it('closes with 4004 for an unknown room', async () => {
    const c = await TestClient.connect(server.wsUrl, 'no-such-room', 'alice');
    expect(await c.closed).toEqual({ code: 4004, reason: 'Room not found' });
  });

  it.each([
    ['missing username', 'x=1'],
    ['empty username', 'username='],
    ['blank username', 'username=%20%20'],
    ['username too long', `username=${'u'.repeat(65)}`],
    ['control characters', 'username=a%00b'],
  ])('closes with 4001 for %s', async (_what, query) => {
    const room = await createRoom(server.url);
    const c = await TestClient.connect(server.wsUrl, room.id, '', { query });
    const closed = await c.closed;
    expect(closed.code).toBe(4001);
    expect(closed.reason).toMatch(/username/i);
  });

  it('closes with 4000 for an invalid `since`', async () => {
    const room = await createRoom(server.url);
    const c = await TestClient.connect(server.wsUrl, room.id, '', { query: 'username=a&since=-1' });
    expect((await c.closed).code).toBe(4000);
  });

  it('answers 404 for a WebSocket on an unknown path', async () => {
    const ws = new WebSocket(`${server.wsUrl}/ws/other`);
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
  });
});

describe('WebSocket: bad frames get an error frame and the connection stays open', () => {
  const cases: [string, unknown, string][] = [
    ['invalid JSON', '{"type": "message", ', 'INVALID_JSON'],
    ['a JSON string', '"hello"', 'INVALID_FRAME'],
    ['a JSON array', '[1,2]', 'INVALID_FRAME'],
    ['null', 'null', 'INVALID_FRAME'],
    ['no type', { content: 'hi' }, 'UNKNOWN_TYPE'],
    ['unknown type', { type: 'shout', content: 'hi' }, 'UNKNOWN_TYPE'],
    ['type not a string', { type: 7 }, 'UNKNOWN_TYPE'],
    ['missing content', { type: 'message' }, 'INVALID_CONTENT'],
    ['content not a string', { type: 'message', content: 5 }, 'INVALID_CONTENT'],
    ['empty content', { type: 'message', content: '' }, 'INVALID_CONTENT'],
    ['blank content', { type: 'message', content: ' \n\t ' }, 'INVALID_CONTENT'],
    ['oversized content', { type: 'message', content: 'x'.repeat(101) }, 'CONTENT_TOO_LONG'],
    ['NUL in content', { type: 'message', content: 'a\u0000b' }, 'INVALID_CONTENT'],
    ['empty client_id', { type: 'message', content: 'hi', client_id: '' }, 'INVALID_FRAME'],
    [
      'NUL in client_id',
      { type: 'message', content: 'hi', client_id: 'a\u0000b' },
      'INVALID_FRAME',
    ],
    ['lone surrogate in content', { type: 'message', content: 'a\ud800b' }, 'INVALID_CONTENT'],
    ['typing without is_typing', { type: 'typing' }, 'INVALID_FRAME'],
    ['typing with a string', { type: 'typing', is_typing: 'yes' }, 'INVALID_FRAME'],
  ];

  it.each(cases)('%s', async (_what, frame, code) => {
    const room = await createRoom(server.url);
    const bad = await TestClient.join(server.wsUrl, room.id, 'bad');
    const good = await TestClient.join(server.wsUrl, room.id, 'good');
    bad.send(frame);
    const error = await bad.next('error');
    expect(error.code).toBe(code);
    expect(error.message).toEqual(expect.any(String));
    // still open and usable, and the other client was not disturbed
    const echo = await bad.say('recovered');
    expect(echo.seq).toBe(1);
    expect((await good.next('message')).content).toBe('recovered');
    expect(good.pending('error')).toEqual([]);
    expect((await history(server.url, room.id)).map((m) => m.content)).toEqual(['recovered']);
    await Promise.all([bad.close(), good.close()]);
  });

  it('rejects binary frames with an error frame', async () => {
    const room = await createRoom(server.url);
    const c = await TestClient.join(server.wsUrl, room.id, 'bin');
    c.ws.send(Buffer.from([1, 2, 3]));
    expect((await c.next('error')).code).toBe('INVALID_FRAME');
    await c.say('ok');
    await c.close();
  });

  it('closes with 1009 on a frame over the size limit, without disturbing others', async () => {
    const room = await createRoom(server.url);
    const big = await TestClient.join(server.wsUrl, room.id, 'big');
    const other = await TestClient.join(server.wsUrl, room.id, 'other');
    big.send({ type: 'message', content: 'x'.repeat(5000) });
    expect((await big.closed).code).toBe(1009);
    expect((await other.next('leave')).username).toBe('big');
    await other.say('unaffected');
    await other.close();
  });
});

describe('WebSocket: errors name the message they answer', () => {
  it('echoes client_id in the error frame of a rejected message', async () => {
    const room = await createRoom(server.url);
    const c = await TestClient.join(server.wsUrl, room.id, 'named');
    c.send({ type: 'message', content: '', client_id: 'abc-123' });
    expect(await c.next('error')).toEqual({
      code: 'INVALID_CONTENT',
      message: 'Content is empty',
      client_id: 'abc-123',
    });
    await c.close();
  });
});
