// The documents a client author builds against: /openapi.json (REST) and
// /asyncapi.json (WebSocket). They must name their schemas, describe every
// status with its error codes, list every frame, error code and close code, and
// agree with what the server really answers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../../src/protocol/error-codes.js';
import {
  ClientFrameSchemas,
  type ClientFrameType,
  type ServerEventType,
  ServerFrameSchemas,
} from '../../src/protocol/frames.js';
import {
  firstCode,
  type Json,
  markdownTable,
  refsIn,
  resolvePointer,
  statusesIn,
} from '../support/api-docs.js';
import { startServer, type TestServer } from '../support/start-server.js';

// Exhaustive by type: adding a frame type without listing it here does not compile.
const CLIENT_TYPES: { [K in ClientFrameType]: true } = {
  message: true,
  typing: true,
  get_users: true,
  edit: true,
  delete: true,
  react: true,
};
const SERVER_TYPES: { [K in ServerEventType]: true } = {
  message: true,
  change: true,
  join: true,
  leave: true,
  user_list: true,
  typing: true,
  error: true,
  room_deleted: true,
  resync: true,
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  path: string;
  method: string;
  responses: Record<string, Json>;
}

let server: TestServer;
let openapi: Json;
let asyncapi: Json;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(openapi.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op) out.push({ path, method, responses: op.responses as Record<string, Json> });
    }
  }
  return out;
}

const examplesOf = (response: Json): Record<string, { value: Json }> =>
  ((response.content as Json | undefined)?.['application/json'] as Json | undefined)
    ?.examples as Record<string, { value: Json }>;

async function getJson(path: string): Promise<Json> {
  const res = await fetch(`${server.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Json;
}

describe('/openapi.json', () => {
  beforeAll(async () => {
    openapi = await getJson('/openapi.json');
  });

  it('describes every status of every route (never "Default Response")', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(6);
    for (const op of ops) {
      for (const [status, response] of Object.entries(op.responses)) {
        const where = `${op.method.toUpperCase()} ${op.path} ${status}`;
        expect(response.description, where).toEqual(expect.any(String));
        expect(response.description, where).not.toBe('Default Response');
        expect((response.description as string).length, where).toBeGreaterThan(5);
      }
    }
  });

  it('names its schemas by $id, with no def-N component and no dangling $ref', () => {
    const names = Object.keys((openapi.components as Json).schemas as Json);
    expect(names).toEqual(
      expect.arrayContaining(['Room', 'Message', 'ErrorBody', 'FieldError', 'HealthStatus']),
    );
    expect(names.filter((n) => /^def-\d+$/.test(n))).toEqual([]);
    for (const ref of refsIn(openapi)) {
      expect(resolvePointer(openapi, ref), ref).toBeDefined();
    }
  });

  it('documents each error status with its codes and an example body per code', () => {
    for (const op of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || op.path.startsWith('/readyz')) continue;
        const where = `${op.method.toUpperCase()} ${op.path} ${status}`;
        const examples = examplesOf(response);
        expect(examples, where).toBeDefined();
        const codes = Object.keys(examples);
        expect(codes.length, where).toBeGreaterThan(0);
        for (const code of codes) {
          expect(Object.values(ErrorCode), where).toContain(code);
          expect(examples[code]?.value.code, where).toBe(code);
          expect(response.description, where).toContain(`\`${code}\``);
        }
      }
    }
  });

  it('has 413 and 429 (with Retry-After) where the README says', () => {
    const readme = readFileSync('README.md', 'utf8');
    const rows = markdownTable(readme, '## REST API');
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const ops = operations();
    for (const [call = '', success = '', errors = ''] of rows) {
      const [method, target] = (firstCode(call) ?? '').split(' ');
      const path = (target ?? '').split('?')[0] as string;
      const op = ops.find((o) => o.method === method?.toLowerCase() && o.path === path);
      expect(op, `README row ${call}`).toBeDefined();
      for (const status of [...statusesIn(success), ...statusesIn(errors)]) {
        expect(Object.keys(op?.responses ?? {}), `${call} ${status}`).toContain(status);
      }
    }
    expect(readme).toContain('Any REST call (`/api/…`) may answer `429`');
    const api = ops.filter((o) => o.path.startsWith('/api/'));
    expect(api.length).toBeGreaterThanOrEqual(4);
    for (const op of api) {
      const r429 = op.responses['429'];
      expect(r429, `${op.method} ${op.path}`).toBeDefined();
      expect(Object.keys(examplesOf(r429 as Json))).toEqual([ErrorCode.RATE_LIMITED]);
      expect((r429?.headers as Json | undefined)?.['Retry-After']).toBeDefined();
      for (const status of ['500', '503']) expect(Object.keys(op.responses)).toContain(status);
    }
    const post = ops.find((o) => o.method === 'post' && o.path === '/api/chat/rooms');
    expect(Object.keys(examplesOf(post?.responses['413'] as Json))).toEqual([
      ErrorCode.PAYLOAD_TOO_LARGE,
    ]);
  });

  it('lists every error code, with its meaning', () => {
    const entries = openapi['x-error-codes'] as { code: string; meaning: string }[];
    expect(entries.map((e) => e.code)).toEqual(Object.values(ErrorCode));
    const text = JSON.stringify(openapi);
    for (const code of Object.values(ErrorCode)) expect(text).toContain(`\`${code}\``);
    const schema = ((openapi.components as Json).schemas as Json).ErrorBody as Json;
    expect(((schema.properties as Json).code as Json).enum).toEqual(Object.values(ErrorCode));
  });

  it('agrees with what the server answers', async () => {
    const documented = (method: string, path: string, status: number): string[] => {
      const op = operations().find((o) => o.method === method && o.path === path);
      return Object.keys(examplesOf(op?.responses[String(status)] ?? {}) ?? {});
    };
    const post = (body: string) =>
      fetch(`${server.url}/api/chat/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const cases: [Response, string, string][] = [
      [await post(JSON.stringify({ name: '   ' })), 'post', '/api/chat/rooms'],
      [
        await post(JSON.stringify({ name: 'x'.repeat(server.config.limits.maxBodyBytes) })),
        'post',
        '/api/chat/rooms',
      ],
      [
        await fetch(`${server.url}/api/chat/rooms/nope/messages`),
        'get',
        '/api/chat/rooms/{room_id}/messages',
      ],
      [
        await fetch(`${server.url}/api/chat/rooms/nope/messages?limit=0`),
        'get',
        '/api/chat/rooms/{room_id}/messages',
      ],
      [
        await fetch(`${server.url}/api/chat/rooms/nope`, { method: 'DELETE' }),
        'delete',
        '/api/chat/rooms/{room_id}',
      ],
    ];
    const statuses: number[] = [];
    for (const [res, method, path] of cases) {
      statuses.push(res.status);
      const body = (await res.json()) as { code: string };
      expect(documented(method, path, res.status), `${method} ${path} ${res.status}`).toContain(
        body.code,
      );
    }
    expect(statuses).toEqual([422, 413, 404, 422, 404]);
  });
});

describe('/openapi.json: 429 as documented', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startServer({ http: { ratePerSec: 1, rateBurst: 1 } });
  });
  afterAll(() => limited.close());

  it('answers RATE_LIMITED with Retry-After once over the limit', async () => {
    const first = await fetch(`${limited.url}/api/chat/rooms`);
    expect(first.status).toBe(200);
    const res = await fetch(`${limited.url}/api/chat/rooms`);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ code: ErrorCode.RATE_LIMITED });
  });
});

describe('/asyncapi.json', () => {
  beforeAll(async () => {
    asyncapi = await getJson('/asyncapi.json');
  });

  const channel = () => (asyncapi.channels as Json).room as Json;
  const messages = () => (asyncapi.components as Json).messages as Record<string, Json>;
  /** The frame types an operation carries, followed through its $refs. */
  const frameTypes = (operation: string): string[] => {
    const op = (asyncapi.operations as Json)[operation] as Json;
    return (op.messages as { $ref: string }[]).map((m) => {
      const channelMessage = resolvePointer(asyncapi, m.$ref) as { $ref: string };
      return (resolvePointer(asyncapi, channelMessage.$ref) as Json).name as string;
    });
  };

  it('is a valid AsyncAPI 3.0 document (the official JSON Schema)', () => {
    const require = createRequire(import.meta.url);
    const schema = require('@asyncapi/specs/schemas/3.0.0.json') as Json;
    // The bundled schema carries its own draft-07 meta-schema.
    const ajv = new Ajv({
      strict: false,
      allErrors: true,
      meta: false,
      validateSchema: false,
      logger: false,
    });
    const validate = ajv.compile(schema);
    expect(validate(asyncapi), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    // and the validator does reject a broken one
    const broken = structuredClone(asyncapi);
    ((broken.operations as Json).sendServerFrames as Json).action = 'emit';
    expect(validate(broken)).toBe(false);
    for (const ref of refsIn(asyncapi)) expect(resolvePointer(asyncapi, ref), ref).toBeDefined();
  });

  it('describes the channel /ws/chat/{room_id} with its query parameters', () => {
    expect(asyncapi.asyncapi).toBe('3.0.0');
    expect(channel().address).toBe('/ws/chat/{room_id}');
    expect(channel().parameters).toHaveProperty('room_id');
    const query = ((channel().bindings as Json).ws as Json).query as Json;
    expect(Object.keys(query.properties as Json).sort()).toEqual(['features', 'since', 'username']);
    expect(query.required).toEqual(['username']);
  });

  it('has every client frame as a received message and every server frame as a sent one', () => {
    expect(frameTypes('receiveClientFrames').sort()).toEqual(Object.keys(CLIENT_TYPES).sort());
    expect(frameTypes('sendServerFrames').sort()).toEqual(Object.keys(SERVER_TYPES).sort());
    expect(((asyncapi.operations as Json).receiveClientFrames as Json).action).toBe('receive');
    expect(((asyncapi.operations as Json).sendServerFrames as Json).action).toBe('send');
  });

  it("gives every frame an example that the document's own schema accepts", () => {
    const keys = [
      ...Object.keys(ClientFrameSchemas).map((t) => `client.${t}`),
      ...Object.keys(ServerFrameSchemas).map((t) => `server.${t}`),
    ];
    expect(Object.keys(messages()).sort()).toEqual(keys.sort());
    // The payloads' `#/components/...` references resolve inside the document.
    const ajv = new Ajv({ strict: false, logger: false });
    ajv.addSchema(asyncapi, 'doc');
    for (const [key, message] of Object.entries(messages())) {
      const validate = ajv.compile({ $ref: `doc#/components/messages/${key}/payload` });
      const examples = message.examples as { payload: unknown }[];
      expect(examples.length, key).toBeGreaterThan(0);
      for (const { payload } of examples) {
        expect(validate(payload), `${key}: ${JSON.stringify(validate.errors)}`).toBe(true);
        expect((payload as { type: string }).type).toBe(message.name);
      }
      // and it rejects a frame of another type
      expect(validate({ type: 'no_such_frame' }), key).toBe(false);
    }
  });

  it('lists every close code and the error codes of error frames', () => {
    const close = asyncapi['x-close-codes'] as { code: number; name: string; reconnect: string }[];
    expect(close.map((c) => c.code)).toEqual(Object.values(CloseCode));
    expect(close.map((c) => c.name)).toEqual(Object.keys(CloseCode));
    expect(close.find((c) => c.code === CloseCode.INVALID_USERNAME)?.reconnect).toBe('never');
    expect(close.find((c) => c.code === CloseCode.SLOW_CONSUMER)?.reconnect).toBe('backoff');
    for (const code of Object.values(CloseCode)) {
      expect(channel().description).toContain(`| \`${code}\` |`);
    }
    const errorCodes = (messages()['server.error'] as Json)['x-error-codes'] as { code: string }[];
    const wsCodes = errorCodes.map((e) => e.code);
    for (const code of [
      ErrorCode.INVALID_JSON,
      ErrorCode.INVALID_FRAME,
      ErrorCode.UNKNOWN_TYPE,
      ErrorCode.INVALID_CONTENT,
      ErrorCode.CONTENT_TOO_LONG,
      ErrorCode.RATE_LIMITED,
      ErrorCode.STORE_FAILED,
      ErrorCode.ROOM_NOT_FOUND,
      ErrorCode.INTERNAL,
    ]) {
      expect(wsCodes).toContain(code);
      expect(channel().description).toContain(`\`${code}\``);
    }
    expect(wsCodes).not.toContain(ErrorCode.VALIDATION_FAILED);
    const payload = (messages()['server.error'] as Json).payload as Json;
    const data = (payload.properties as Json).data as Json;
    expect(((data.properties as Json).code as Json).enum).toEqual(wsCodes);
  });
});
