// Property-based abuse of every way into the server before a frame is read: raw
// WebSocket upgrade requests (request line, path, percent-escapes, query,
// Origin, Sec-WebSocket-* headers, duplicated and huge headers), REST paths and
// query strings, and plain garbage, all sent byte for byte over TCP. Against a
// child process, so a crash is seen as an exit. Every answer is a well-formed
// HTTP response below 500 (or a clean close), the process stays up, /healthz
// answers, and two bystanders in a room keep chatting.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import { invite, type Session, signup } from '../support/accounts.js';
import { createRoom } from '../support/api.js';
import { type RawAnswer, rawExchange } from '../support/raw-http.js';
import { postgresRedisBackend, type TestBackend, testBackendName } from '../support/services.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { TestClient } from '../support/ws-client.js';

let backend: TestBackend | null;
let server: SpawnedServer;
let room: Room;
let restRoom: Room;
let alice: TestClient;
let bob: TestClient;
let chats = 0;

/** Stands for the fuzzed room's id in generated requests; replaced when one is sent. */
const ROOM = '{ROOM}';

/** The spawned process's environment for the backend under test (postgres+redis project). */
function backendEnv(b: TestBackend | null): Record<string, string> {
  const o = b?.overrides;
  if (!o) return {};
  return {
    DATABASE_URL: o.databaseUrl ?? '',
    CHAT_PG_SCHEMA: o.postgres?.schema ?? '',
    REDIS_URL: o.redisUrl ?? '',
    CHAT_REDIS_PREFIX: o.redis?.prefix ?? '',
  };
}

beforeAll(async () => {
  backend = testBackendName() === 'postgres-redis' ? postgresRedisBackend() : null;
  server = await spawnServer({
    env: {
      ...backendEnv(backend),
      // Fuzzing, not rate limiting: a 429 would hide what lies behind it.
      CHAT_HTTP_RATE: '0',
      // X-Forwarded-For is read (and fuzzed) only behind a trusted proxy.
      CHAT_TRUST_PROXY: 'true',
      CHAT_LOG_LEVEL: 'error',
    },
  });
  room = await createRoom(server.url, 'bystanders');
  restRoom = await createRoom(server.url, 'fuzzed');
  alice = await TestClient.join(server.url.replace(/^http/, 'ws'), room.id, 'alice');
  bob = await TestClient.join(server.url.replace(/^http/, 'ws'), room.id, 'bob');
});
afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close()]);
  await server?.stop('SIGTERM');
  await backend?.cleanup();
});

/** The process is up, answers /healthz, and a message from alice reaches bob. */
async function stillServing(): Promise<void> {
  expect(server.running(), `the server exited:\n${server.output()}`).toBe(true);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  const content = `still here ${++chats}`;
  const echo = await alice.say(content);
  expect((await bob.next('message', (m) => m.id === echo.id)).content).toBe(content);
}

/**
 * Right after one request: the process has not exited and still answers. Checked
 * after every request, so a crash is blamed on the request that caused it.
 */
async function stillUp(request: string): Promise<void> {
  const blame = () => `after ${JSON.stringify(request.slice(0, 300))}:\n${server.output()}`;
  let status = 0;
  try {
    status = (await fetch(`${server.url}/healthz`)).status;
  } catch {
    // refused: the process is gone, or going
  }
  expect(server.running(), `the server exited ${blame()}`).toBe(true);
  expect(status, `/healthz did not answer ${blame()}`).toBe(200);
}

/**
 * The server is not reset between runs, so shrinking would replay against a
 * process the first failure may have killed: stop at the first counterexample.
 */
const PROPERTY_OPTIONS = (numRuns: number) => ({ numRuns, endOnFailure: true });

/** One answer: a well-formed status line below 500, or a close without a byte. */
function expectSane(answer: RawAnswer, request: string): void {
  const what = `request ${JSON.stringify(request.slice(0, 300))}\nanswer ${JSON.stringify(answer.raw.slice(0, 300))}`;
  expect(answer.timedOut, `no answer and no close: ${what}`).toBe(false);
  if (answer.raw.length === 0) return; // refused outright (e.g. CONNECT with no listener)
  expect(answer.status, `not an HTTP response: ${what}`).not.toBeNull();
  expect(answer.status, what).toBeLessThan(500);
}

// ---- building blocks -------------------------------------------------------

const ESCAPES = [
  '%',
  '%Z',
  '%ZZ',
  '%E0%A4%A',
  '%ED%A0%80', // a UTF-16 surrogate, not UTF-8
  '%C0%AF', // overlong '/'
  '%FF',
  '%00',
  '%2F',
  '%2e%2e',
  '%25',
  '%0D%0A',
  '%u0041',
  '%%30',
];
const URL_CHARS = "abcXYZ019-._~!$&'()*+,;=:@/?".split('');
const rawByte = fc.integer({ min: 0x80, max: 0xff }).map((b) => String.fromCharCode(b));
const anyEscape = fc
  .integer({ min: 0, max: 255 })
  .map((b) => `%${b.toString(16).padStart(2, '0')}`);

/** Text for a path segment or query part: escapes good and bad, raw bytes, URL punctuation. */
const urlText = fc
  .array(
    fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...ESCAPES) },
      { weight: 12, arbitrary: fc.string({ unit: fc.constantFrom(...URL_CHARS), maxLength: 6 }) },
      { weight: 6, arbitrary: anyEscape },
      { weight: 1, arbitrary: rawByte },
      { weight: 4, arbitrary: fc.constantFrom('#', '\\', '..', '//', '?') },
      // whitespace ends the request target early: the parser's 400, now and then
      { weight: 1, arbitrary: fc.constantFrom(' ', '\t') },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

const QUERY_VALUES = [
  '',
  '0',
  '-1',
  '1',
  '1.5',
  '1e3',
  '1e300',
  '0x10',
  '999999999999999',
  '9999999999999999999999',
  'alice',
  '%20alice%20',
  'a%00b',
  '%F0%9F%92%AC',
];

/** A query string from the parameters the server reads, and others, repeated or not. */
const queryString = (keys: string[]) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...keys) },
          fc.constantFrom('__proto__', 'constructor', 'toString', ''),
          urlText,
        ),
        fc.oneof(fc.constantFrom(...QUERY_VALUES), urlText, fc.nat().map(String)),
        fc.constantFrom('=', '=', '=', '', '=='),
      ),
      { maxLength: 5 },
    )
    .chain((pairs) =>
      fc
        .constantFrom('&', '&', ';', '&&')
        .map((sep) => pairs.map(([k, v, eq]) => `${k}${eq}${v}`).join(sep)),
    );

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/**
 * A header value: printable ASCII mostly; now and then bytes above 0x7f (which
 * Node lets through to the handlers), rarely a NUL or DEL (which its parser refuses).
 */
const headerValue = fc.oneof(
  { weight: 30, arbitrary: fc.string({ unit: printable, maxLength: 40 }) },
  {
    weight: 6,
    arbitrary: fc.string({
      unit: fc.oneof({ weight: 4, arbitrary: printable }, rawByte),
      maxLength: 40,
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: printable, maxLength: 20 }), fc.constantFrom('\u0000', '\u007f'))
      .map(([a, c]) => `${a}${c}`),
  },
);

/** `arb`, or absent one time in three. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
/** `arb` one time in `n`, else absent. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const method = fc.oneof(
  { weight: 12, arbitrary: fc.constant('GET') },
  fc.constantFrom('POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'CONNECT', 'PRI', 'get', ''),
  fc.string({ unit: fc.constantFrom(...'ABCXYZ-_!'.split('')), minLength: 1, maxLength: 8 }),
);
const httpVersion = fc.oneof(
  { weight: 12, arbitrary: fc.constant('HTTP/1.1') },
  fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', 'http/1.1', 'HTTP/1.12', ''),
);

interface HeaderSet {
  [name: string]: string | undefined;
}

/** Serialises a request; `duplicate` repeats every header line, `huge` adds one long header. */
function serialise(
  line: string,
  headers: HeaderSet,
  opts: { duplicate?: boolean; huge?: number; body?: string } = {},
): string {
  const lines = Object.entries(headers)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  const all = opts.duplicate ? [...lines, ...lines] : lines;
  if (opts.huge) all.push(`X-Padding: ${'p'.repeat(opts.huge)}`);
  return `${line}\r\n${all.map((l) => `${l}\r\n`).join('')}\r\n${opts.body ?? ''}`;
}

// ---- the properties --------------------------------------------------------

describe('fuzzing raw requests against a child process', () => {
  it('answers every WebSocket upgrade request sanely and keeps serving', async () => {
    const segment = fc.oneof(
      { weight: 5, arbitrary: fc.constant(room.id) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 4, arbitrary: urlText },
    );
    const target = fc.oneof(
      {
        weight: 12,
        arbitrary: fc
          .tuple(
            fc.oneof(
              { weight: 8, arbitrary: fc.constant('/ws/chat/') },
              fc.constantFrom('/ws/chat//', '/WS/chat/', '/ws/chat/x/'),
            ),
            segment,
            fc.oneof({ weight: 8, arbitrary: fc.constant('') }, fc.constantFrom('/', '/x')),
            fc.oneof(
              { weight: 2, arbitrary: queryString(['username', 'since']) },
              // a name that passes, so the since checks and the join are reached too
              {
                weight: 3,
                arbitrary: fc
                  .tuple(fc.nat(99), maybe(fc.oneof(fc.constantFrom(...QUERY_VALUES), urlText)))
                  .map(
                    ([n, since]) => `username=f${n}${since === undefined ? '' : `&since=${since}`}`,
                  ),
              },
              { weight: 1, arbitrary: fc.constant(undefined) },
            ),
          )
          .map(
            ([base, seg, tail, query]) =>
              `${base}${seg}${tail}${query === undefined ? '' : `?${query}`}`,
          ),
      },
      fc.constantFrom(
        '*',
        '/',
        '//',
        '',
        'http://127.0.0.1/ws/chat/x',
        '/ws/chat/%ZZ',
        '/ws/chat/%',
        '?',
      ),
      urlText,
    );
    const validKey = fc
      .uint8Array({ minLength: 16, maxLength: 16 })
      .map((b) => Buffer.from(b).toString('base64'));
    const request = fc
      .record({
        method,
        target,
        version: httpVersion,
        headers: fc.record({
          Host: fc.oneof(
            { weight: 5, arbitrary: fc.constant('127.0.0.1') },
            headerValue,
            fc.constant(undefined),
          ),
          Connection: fc.oneof(
            { weight: 6, arbitrary: fc.constant('Upgrade') },
            fc.constantFrom('upgrade', 'keep-alive, Upgrade', 'close', ''),
            headerValue,
          ),
          Upgrade: fc.oneof(
            { weight: 6, arbitrary: fc.constant('websocket') },
            fc.constantFrom('WebSocket', 'websocket, h2c', 'h2c', ''),
            headerValue,
          ),
          'Sec-WebSocket-Version': fc.oneof(
            { weight: 6, arbitrary: fc.constant('13') },
            fc.constantFrom('8', '13, 8', '', '-1', '1e3'),
            headerValue,
            fc.constant(undefined),
          ),
          'Sec-WebSocket-Key': fc.oneof(
            { weight: 6, arbitrary: validKey },
            headerValue,
            fc.constant(undefined),
          ),
          Origin: fc.oneof(
            { weight: 4, arbitrary: fc.constant(undefined) },
            fc.constantFrom('http://127.0.0.1', 'http://localhost:3000'),
            fc.oneof(
              fc.constantFrom(
                'http://127.0.0.1',
                'http://localhost:3000',
                'https://evil.example',
                'null',
                'file://',
                'http://[::1',
                'http://a:99999',
                '%ZZ',
                'ws://127.0.0.1',
                'http://127.0.0.1, http://evil.example',
              ),
              headerValue,
            ),
          ),
          'Sec-WebSocket-Protocol': maybe(
            fc.oneof(fc.constantFrom('chat', 'a,b', ',,,', 'a, a', 'a b'), headerValue),
          ),
          'Sec-WebSocket-Extensions': maybe(
            fc.oneof(
              fc.constantFrom(
                'permessage-deflate',
                'permessage-deflate; client_max_window_bits',
                'permessage-deflate; client_max_window_bits=%ZZ;;=',
                'permessage-deflate; server_max_window_bits=99',
                'x; y="z',
              ),
              headerValue,
            ),
          ),
          'X-Forwarded-For': maybe(
            fc.oneof(
              fc.constantFrom('1.2.3.4', ',,', ' ', '%ZZ', '::1, 10.0.0.1', 'unknown'),
              headerValue,
            ),
          ),
          Cookie: maybe(fc.oneof(fc.constantFrom('a=b', '=;;=', 'a="b', '%ZZ=%ZZ'), headerValue)),
        }),
        duplicate: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
        huge: rarely(fc.constantFrom(1_000, 8_000, 17_000, 40_000), 6),
      })
      .map(({ method, target, version, headers, duplicate, huge }) =>
        serialise(`${method} ${target} ${version}`, headers, { duplicate, huge }),
      );

    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        expectSane(await rawExchange(server.port, req), req);
        await stillUp(req);
        if (++runs % 50 === 0) await stillServing();
      }),
      PROPERTY_OPTIONS(300),
    );
    await stillServing();
  }, 120_000);

  it('answers every REST path and query string with a status below 500, errors as JSON', async () => {
    // `limit` and `before` each absent, valid, or anything (huge, fractional, escaped),
    // so the history query also reaches the store with values at its edges.
    const number = fc.oneof(
      fc.constantFrom(...QUERY_VALUES),
      fc.nat().map(String),
      fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
      // just past exact doubles, past BIGINT, past unsigned 64 bits
      fc.constantFrom('9007199254740992', '9223372036854775808', '18446744073709551616'),
      urlText,
    );
    const param = (valid: fc.Arbitrary<number>) =>
      fc.oneof(
        fc.constant(undefined),
        { weight: 2, arbitrary: valid.map(String) },
        { weight: 2, arbitrary: number },
      );
    const historyQuery = fc
      .tuple(
        param(fc.integer({ min: 1, max: 1000 })),
        param(fc.integer({ min: 1, max: 50 })),
        maybe(queryString(['limit', 'before'])),
      )
      .map(([limit, before, extra]) =>
        [
          limit === undefined ? undefined : `limit=${limit}`,
          before === undefined ? undefined : `before=${before}`,
          extra,
        ]
          .filter((p) => p !== undefined)
          .join('&'),
      );
    const segment = fc.oneof(
      // the fuzzed room, whichever it is when the request goes out (see ROOM)
      { weight: 4, arbitrary: fc.constant(ROOM) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 4, arbitrary: urlText },
      {
        weight: 1,
        arbitrary: fc.string({ unit: fc.constantFrom('a', '%41'), minLength: 90, maxLength: 120 }),
      },
    );
    const path = fc.oneof(
      { weight: 6, arbitrary: segment.map((s) => `/api/chat/rooms/${s}/messages`) },
      { weight: 2, arbitrary: segment.map((s) => `/api/chat/rooms/${s}`) },
      urlText.map((s) => `/api/chat/rooms${s}`),
      urlText.map((s) => `/${s}`),
      urlText.map((s) => `/docs/${s}`),
      fc.constantFrom(
        '/healthz',
        '/readyz',
        '/metrics',
        '/api/chat/rooms',
        '/',
        '/docs/json',
        '//',
        '/index.html',
      ),
    );
    const request = fc
      .record({
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant('GET') },
          fc.constantFrom('DELETE', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'PATCH'),
        ),
        path,
        query: fc.oneof(
          { weight: 3, arbitrary: historyQuery },
          queryString(['limit', 'before']),
          fc.constant(undefined),
        ),
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'application/json; charset=%ZZ',
          '%ZZ',
          '',
        ),
        body: fc.oneof(fc.constant(''), fc.json({ maxDepth: 1 }), urlText),
        xff: maybe(headerValue),
        cookie: maybe(headerValue),
      })
      .map(({ method, path, query, contentType, body, xff, cookie }) => {
        const sendsBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
        return serialise(
          `${method} ${path}${query === undefined ? '' : `?${query}`} HTTP/1.1`,
          {
            Host: '127.0.0.1',
            Connection: 'close',
            'X-Forwarded-For': xff,
            Cookie: cookie,
            'Content-Type': sendsBody ? contentType : undefined,
            'Content-Length': sendsBody ? String(Buffer.byteLength(body, 'latin1')) : undefined,
          },
          { body: sendsBody ? body : '' },
        );
      });

    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, async (template) => {
        const req = template.replaceAll(ROOM, restRoom.id);
        const answer = await rawExchange(server.port, req);
        // Deleted: later requests go to a fresh room, so history is reached again.
        if (answer.status === 204 && req.includes(restRoom.id)) {
          restRoom = await createRoom(server.url, 'fuzzed');
        }
        expectSane(answer, req);
        // Every one of these is answered (a parser error too), never closed in silence.
        expect(answer.status, JSON.stringify(req.slice(0, 300))).not.toBeNull();
        const status = answer.status ?? 0;
        if (status >= 400 && !req.startsWith('HEAD ')) {
          const what = `${JSON.stringify(req.slice(0, 300))} -> ${answer.raw.slice(0, 300)}`;
          expect(answer.headers['content-type'], what).toMatch(/^application\/json/);
          if (answer.headers['content-length'] !== undefined) {
            const body = JSON.parse(answer.body) as { detail?: unknown };
            expect(typeof body.detail === 'string' || Array.isArray(body.detail), what).toBe(true);
          }
        }
        await stillUp(req);
        if (++runs % 50 === 0) await stillServing();
      }),
      PROPERTY_OPTIONS(300),
    );
    await stillServing();
  }, 120_000);

  it('answers arbitrary bytes, with or without an upgrade, sanely and keeps serving', async () => {
    const garbage = fc
      .tuple(
        fc.string({
          unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)),
          maxLength: 80,
        }),
        fc.boolean(),
      )
      .map(([junk, upgrade]) =>
        upgrade
          ? `${junk}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`
          : `${junk}\r\n\r\n`,
      );
    await fc.assert(
      fc.asyncProperty(garbage, async (req) => {
        expectSane(await rawExchange(server.port, req, { halfClose: true }), req);
        await stillUp(req);
      }),
      PROPERTY_OPTIONS(200),
    );
    await stillServing();
  }, 120_000);

  it('still refuses the requests that used to end the process', async () => {
    for (const target of ['/ws/chat/%ZZ', '/ws/chat/%E0%A4%A', '/ws/chat/%']) {
      const req = serialise(`GET ${target} HTTP/1.1`, {
        Host: '127.0.0.1',
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      });
      const answer = await rawExchange(server.port, req);
      expect(answer.status).toBe(400);
    }
    await stillServing();
  });
});

// ---- accounts mode -----------------------------------------------------------

describe('fuzzing the accounts-mode routes with random Cookie and Authorization headers', () => {
  let acct: SpawnedServer;
  let accBackend: TestBackend | null;
  let admin: Session;
  let member: Session;
  let watcher: TestClient;
  let talker: TestClient;
  let privateRoom: Room;
  let token = '';
  let said = 0;

  beforeAll(async () => {
    accBackend = testBackendName() === 'postgres-redis' ? postgresRedisBackend() : null;
    acct = await spawnServer({
      env: {
        ...backendEnv(accBackend),
        CHAT_AUTH: 'accounts',
        CHAT_HTTP_RATE: '0',
        CHAT_LOG_LEVEL: 'error',
        // a guesser is slowed, not this suite: the limits have their own tests
        CHAT_LOGIN_FREE_ATTEMPTS: '100000',
        CHAT_LOGIN_FREE_ATTEMPTS_PER_IP: '100000',
      },
    });
    admin = await signup(acct.url, 'admin');
    member = await signup(acct.url, 'member', await invite(admin));
    token = (
      await admin.json<{ token: string }>(
        '/api/auth/tokens',
        { method: 'POST', json: { name: 'fuzz' } },
        201,
      )
    ).token;
    privateRoom = await admin.createRoom('private', 'private');
    await admin.addMember(privateRoom.id, member.user.id);
    watcher = await admin.join(privateRoom.id);
    talker = await member.join(privateRoom.id);
  });
  afterAll(async () => {
    await Promise.all([watcher?.close(), talker?.close()]);
    await acct?.stop('SIGTERM');
    await accBackend?.cleanup();
  });

  it('answers every request below 500, never lets a bad credential in, and keeps serving', async () => {
    const credential = fc.oneof(
      fc.constant({}),
      fc.constant({ Cookie: () => admin.cookie }),
      fc.constant({ Cookie: () => member.cookie }),
      fc.constant({ Authorization: () => `Bearer ${token}` }),
      headerValue.map((v) => ({ Cookie: () => v })),
      headerValue.map((v) => ({ Cookie: () => `parley_session=${v}` })),
      headerValue.map((v) => ({ Authorization: () => v })),
      headerValue.map((v) => ({ Authorization: () => `Bearer ${v}` })),
      fc.constant({ Cookie: () => `${admin.cookie}; ${admin.cookie}x` }),
      fc.constant({ Authorization: () => 'Bearer parley_', Cookie: () => admin.cookie }),
    );
    const id = fc.oneof(fc.constant('{ROOM}'), fc.constant('{USER}'), fc.uuid(), urlText);
    const path = fc.oneof(
      fc.constantFrom(
        '/api/auth/mode',
        '/api/auth/signup',
        '/api/auth/login',
        '/api/auth/logout',
        '/api/auth/me',
        '/api/auth/password',
        '/api/auth/sessions',
        '/api/auth/tokens',
        '/api/auth/invites',
        '/api/admin/users',
        '/api/admin/settings',
        '/api/users',
        '/api/chat/rooms',
        '/api/chat/dms',
      ),
      id.map((x) => `/api/chat/rooms/${x}`),
      id.map((x) => `/api/chat/rooms/${x}/messages`),
      id.map((x) => `/api/chat/rooms/${x}/members`),
      fc.tuple(id, id).map(([r, u]) => `/api/chat/rooms/${r}/members/${u}`),
      id.map((x) => `/api/auth/sessions/${x}`),
      id.map((x) => `/api/auth/tokens/${x}`),
      id.map((x) => `/api/auth/invites/${x}`),
      id.map((x) => `/api/admin/users/${x}`),
    );
    const jsonBody = fc.oneof(
      fc.json({ maxDepth: 1 }),
      fc
        .record({
          username: maybe(fc.oneof(fc.constantFrom('admin', 'member', 'ADMIN', ''), headerValue)),
          password: maybe(fc.oneof(fc.constant('correct horse battery'), headerValue)),
          invite: maybe(headerValue),
          name: maybe(headerValue),
          content: maybe(headerValue),
          client_id: maybe(headerValue),
          visibility: maybe(fc.constantFrom('public', 'private', 'secret')),
          user_id: maybe(fc.oneof(fc.constant('{USER}'), headerValue)),
          uses: maybe(fc.oneof(fc.integer(), fc.constant(1e300))),
          expires_in_s: maybe(fc.integer()),
        })
        .map((o) => JSON.stringify(o)),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
      path,
      credential,
      origin: fc.oneof(fc.constant('{SELF}'), fc.constant(undefined), headerValue),
      body: jsonBody,
    });

    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, credential, origin, body }) => {
        const fill = (t: string) =>
          t
            .replaceAll('{ROOM}', privateRoom.id)
            .replaceAll('{USER}', member.user.id)
            .replaceAll('{SELF}', acct.url);
        // Fuzzing must not end the bystanders' sessions or take away their room.
        const destructive =
          (path === '/api/auth/logout' || path.startsWith('/api/auth/sessions/')) &&
          'Cookie' in credential;
        const harmful =
          destructive ||
          path === '/api/auth/password' ||
          (path.startsWith('/api/admin/users/') && method === 'PATCH') ||
          (path.startsWith('/api/chat/rooms/{ROOM}') && method === 'DELETE') ||
          (path.startsWith('/api/auth/tokens/') && method === 'DELETE');
        const cred = Object.fromEntries(
          Object.entries(credential).map(([k, v]) => [k, (v as () => string)()]),
        );
        const sendsBody = method !== 'GET';
        const req = serialise(
          `${method} ${fill(path)} HTTP/1.1`,
          {
            Host: `127.0.0.1:${acct.port}`,
            Connection: 'close',
            ...(harmful ? {} : cred),
            Origin: origin === undefined ? undefined : fill(origin),
            'Content-Type': sendsBody ? 'application/json' : undefined,
            'Content-Length': sendsBody
              ? String(Buffer.byteLength(fill(body), 'latin1'))
              : undefined,
          },
          { body: sendsBody ? fill(body) : '' },
        );
        const answer = await rawExchange(acct.port, req);
        expectSane(answer, req);
        // Without a real credential, nothing but the public routes answers 2xx.
        const real =
          !harmful &&
          ((cred.Authorization === undefined &&
            (cred.Cookie?.startsWith(admin.cookie) || cred.Cookie?.startsWith(member.cookie))) ||
            cred.Authorization === `Bearer ${token}`);
        const publicRoute = /^\/api\/auth\/(mode|signup|login|logout)$/.test(path);
        if (!real && !publicRoute) {
          expect(
            answer.status,
            `${req.slice(0, 300)} -> ${answer.raw.slice(0, 200)}`,
          ).toBeGreaterThanOrEqual(400);
        }
        expect(acct.running(), acct.output()).toBe(true);
        if (++runs % 50 === 0) {
          const echo = await talker.say(`fuzz ${++said}`);
          expect((await watcher.next('message', (m) => m.id === echo.id)).username).toBe('member');
        }
      }),
      PROPERTY_OPTIONS(300),
    );
    const echo = await talker.say('done');
    expect((await watcher.next('message', (m) => m.id === echo.id)).content).toBe('done');
  }, 180_000);
});
