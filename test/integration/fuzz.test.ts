// Property-based abuse: thousands of random and malformed frames and request
// bodies against a live server. Every bad frame gets exactly one valid error
// frame, nothing crashes, and a conversation next to it carries on untouched.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { Room } from '../../src/protocol/rest.js';
import { createRoom, history } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { TestClient } from '../support/ws-client.js';

let server: TestServer;
let room: Room;
let fuzzer: TestClient;
let alice: TestClient;
let bob: TestClient;

beforeAll(async () => {
  server = await startServer({
    limits: { maxContentLength: 200 },
    ws: { ratePerSec: 0 },
    http: { ratePerSec: 0 },
  });
  room = await createRoom(server.url);
  fuzzer = await TestClient.join(server.wsUrl, room.id, 'fuzzer');
  alice = await TestClient.join(server.wsUrl, room.id, 'alice');
  bob = await TestClient.join(server.wsUrl, room.id, 'bob');
});
afterAll(async () => {
  await Promise.all([fuzzer.close(), alice.close(), bob.close()]);
  await server.close();
});

const CODES = new Set<string>(Object.values(ErrorCode));
const isValidType = (t: unknown) => t === 'message' || t === 'typing' || t === 'get_users';

const notJson = fc.string({ maxLength: 60 }).filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});
const notAnObject = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 4 }),
);
const badType = fc.record(
  { type: fc.jsonValue().filter((t) => !isValidType(t)), content: fc.string({ maxLength: 20 }) },
  { requiredKeys: [] },
);
const badContent = fc.oneof(
  fc.jsonValue().filter((c) => typeof c !== 'string'),
  fc.constantFrom('', ' ', '\n\t '),
  fc.string({ minLength: 201, maxLength: 400 }).filter((s) => s.trim().length > 0),
  fc
    .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\u0000', '\u0001', '\u001b', '\u007f'))
    .map(([s, c]) => `x${s}${c}`),
);
const badMessage = fc.record(
  { type: fc.constant('message'), content: badContent },
  { requiredKeys: ['type'] },
);
const badTyping = fc.record({
  type: fc.constant('typing'),
  is_typing: fc.jsonValue().filter((v) => typeof v !== 'boolean'),
});

/** Frames no valid client would send; each must get exactly one error frame. */
const invalidFrame = fc.oneof(
  notJson,
  notAnObject.map((v) => JSON.stringify(v)),
  badType.map((v) => JSON.stringify(v)),
  badMessage.map((v) => JSON.stringify(v)),
  badTyping.map((v) => JSON.stringify(v)),
);

describe('fuzzing the WebSocket protocol', () => {
  it('answers every malformed frame with one error frame and keeps the room chatting', async () => {
    let sent = 0;
    let chat = 0;
    await fc.assert(
      fc.asyncProperty(invalidFrame, async (frame) => {
        fuzzer.send(frame);
        sent++;
        const error = await fuzzer.next('error', () => true, 2_000);
        expect(CODES.has(error.code)).toBe(true);
        expect(typeof error.message).toBe('string');
        if (sent % 100 === 0) {
          chat++;
          const echo = await alice.say(`chat ${chat}`);
          expect((await bob.next('message')).id).toBe(echo.id);
        }
      }),
      { numRuns: 2_000 },
    );
    // no extra error frames were produced, none reached bystanders, and only the chat was stored
    expect(fuzzer.pending('error')).toEqual([]);
    expect(alice.pending('error')).toEqual([]);
    expect(bob.pending('error')).toEqual([]);
    const stored = await history(server.url, room.id, '?limit=1000');
    expect(stored.map((m) => m.content)).toEqual(
      Array.from({ length: chat }, (_, i) => `chat ${i + 1}`),
    );
  }, 60_000);

  it('survives arbitrary JSON frames, valid or not', async () => {
    const anyFrame = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          type: fc.constantFrom('message', 'typing', 'get_users', 'join', ''),
          content: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
          is_typing: fc.oneof(fc.boolean(), fc.jsonValue()),
          client_id: fc.oneof(fc.uuid(), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(anyFrame, async (frame) => {
        fuzzer.send(JSON.stringify(frame));
      }),
      { numRuns: 1_000 },
    );
    const echo = await alice.say('after the storm');
    expect((await bob.next('message', (m) => m.id === echo.id)).content).toBe('after the storm');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 60_000);
});

describe('fuzzing the REST API', () => {
  it('answers random room bodies with 201 or a JSON 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .record({ name: fc.oneof(fc.string({ maxLength: 120 }), fc.jsonValue()) })
            .map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 80 }),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/octet-stream',
        ),
        async (body, type) => {
          const res = await fetch(`${server.url}/api/chat/rooms`, {
            method: 'POST',
            headers: { 'content-type': type },
            body,
          });
          expect([201, 413, 415, 422]).toContain(res.status);
          const json = (await res.json()) as Record<string, unknown>;
          if (res.status === 201) expect(typeof json.id).toBe('string');
          else expect(json).toHaveProperty('detail');
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it('answers random history queries with 200 or 422', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 12 }),
        fc.string({ maxLength: 12 }),
        async (limit, before) => {
          const q = new URLSearchParams({ limit, before });
          const res = await fetch(`${server.url}/api/chat/rooms/${room.id}/messages?${q}`);
          expect([200, 422]).toContain(res.status);
          await res.json();
        },
      ),
      { numRuns: 300 },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
