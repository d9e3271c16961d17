// The WebSocket protocol as an AsyncAPI 3.0 document (/asyncapi.json), built from
// the same TypeBox schemas the server validates client frames with, and the error
// and close codes from src/protocol/error-codes.ts with their documentation.
import type { TSchema } from '@sinclair/typebox';
import { Attachment } from '../../protocol/attachments.js';
import { MessageChange, Reaction, ReplyPreview } from '../../protocol/changes.js';
import { closeCodeEntries, errorCodeEntries } from '../../protocol/code-docs.js';
import {
  type ClientFrame,
  ClientFrameSchemas,
  type ClientFrameType,
  type ServerEventType,
  type ServerFrame,
  ServerFrameSchemas,
} from '../../protocol/frames.js';
import { DEFAULT_LIMITS } from '../../protocol/limits.js';
import { Message } from '../../protocol/rest.js';

type Json = Record<string, unknown>;

const EXAMPLE_MESSAGE = (Message.examples as Message[])[0] as Message;

/** One example per frame; typed, so an example cannot drift from its frame type. */
const CLIENT_EXAMPLES: { [K in ClientFrameType]: Extract<ClientFrame, { type: K }> } = {
  message: { type: 'message', content: 'Hello, room!', client_id: 'c-1736069472345-1' },
  typing: { type: 'typing', is_typing: true },
  get_users: { type: 'get_users' },
  edit: {
    type: 'edit',
    message_id: '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    content: 'Hello, room! (edited)',
    client_id: 'c-1736069472345-3',
  },
  delete: { type: 'delete', message_id: '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f' },
  react: {
    type: 'react',
    message_id: '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    emoji: '👍',
    on: true,
  },
};

const SERVER_EXAMPLES: { [K in ServerEventType]: Extract<ServerFrame, { type: K }> } = {
  message: { type: 'message', data: EXAMPLE_MESSAGE },
  change: {
    type: 'change',
    data: {
      id: '01937b2e-8c4f-7a1b-9c2d-3e4f5a6b7c8d',
      room_id: EXAMPLE_MESSAGE.room_id,
      seq: 43,
      message_id: EXAMPLE_MESSAGE.id,
      kind: 'react',
      username: 'bob',
      timestamp: '2026-01-05T09:31:20.000Z',
      emoji: '👍',
    },
  },
  join: { type: 'join', data: { username: 'bob', message: 'bob joined the room' } },
  leave: { type: 'leave', data: { username: 'bob', message: 'bob left the room' } },
  user_list: { type: 'user_list', data: { users: ['alice', 'bob'] } },
  typing: { type: 'typing', data: { username: 'alice', is_typing: true } },
  error: {
    type: 'error',
    data: {
      code: 'CONTENT_TOO_LONG',
      message: `Content is longer than ${DEFAULT_LIMITS.maxContentLength} characters`,
      client_id: 'c-1736069472345-2',
    },
  },
  room_deleted: {
    type: 'room_deleted',
    data: { room_id: EXAMPLE_MESSAGE.room_id, message: 'This room was deleted' },
  },
  resync: {
    type: 'resync',
    data: { latest_seq: 5230, missed: 4100, epoch: '9f3c2a7e1b6d4f08', reason: 'replay_limit' },
  },
};

/**
 * A TypeBox schema as plain JSON Schema for the document: TypeBox's symbol keys
 * and `$id` dropped, `{"$ref": "Message"}` pointed at the document's components.
 */
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) {
      return `#/components/schemas/${value}`;
    }
    return value;
  }) as Json;
}

function withoutId(schema: TSchema): Json {
  const { $id: _id, ...rest } = plain(schema);
  return rest;
}

const messageKey = (side: 'client' | 'server', type: string) => `${side}.${type}`;

function buildDocument(): Json {
  const errorCodes = errorCodeEntries().filter((e) => e.ws);
  const closeCodes = closeCodeEntries();
  const messages: Json = {};
  const clientKeys: string[] = [];
  const serverKeys: string[] = [];
  for (const type of Object.keys(ClientFrameSchemas) as ClientFrameType[]) {
    const schema = ClientFrameSchemas[type];
    const key = messageKey('client', type);
    clientKeys.push(key);
    messages[key] = {
      name: type,
      title: `${type} (client to server)`,
      summary: schema.description,
      payload: plain(schema),
      examples: [{ name: type, payload: CLIENT_EXAMPLES[type] }],
    };
  }
  for (const type of Object.keys(ServerFrameSchemas) as ServerEventType[]) {
    const schema = ServerFrameSchemas[type];
    const key = messageKey('server', type);
    serverKeys.push(key);
    const payload = plain(schema);
    if (type === 'error') {
      // The TS type is every ErrorCode; over WebSocket only these are sent.
      const data = (payload.properties as Json).data as Json;
      (data.properties as Json).code = {
        type: 'string',
        enum: errorCodes.map((e) => e.code),
        description: 'See `x-error-codes`',
      };
    }
    messages[key] = {
      name: type,
      title: `${type} (server to client)`,
      summary: schema.description,
      payload,
      examples: [{ name: type, payload: SERVER_EXAMPLES[type] }],
      ...(type === 'error' ? { 'x-error-codes': errorCodes } : {}),
    };
  }
  const errorTable = errorCodes.map((e) => `| \`${e.code}\` | ${e.meaning} |`).join('\n');
  const closeTable = closeCodes
    .map((c) => `| \`${c.code}\` | ${c.name} | ${c.meaning} | ${c.reconnect} |`)
    .join('\n');

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley WebSocket API',
      version: '1',
      description:
        'Live chat in one room per connection. Every frame is a JSON text frame with a `type`; ' +
        'server frames carry their payload in `data`. REST (rooms, history) is described in `/openapi.json`.',
    },
    defaultContentType: 'application/json',
    channels: {
      room: {
        address: '/ws/chat/{room_id}',
        title: 'A chat room',
        description: [
          'Open with `GET /ws/chat/{room_id}?username=NAME[&since=SEQ][&features=changes]` (WebSocket upgrade).',
          'The upgrade is refused with an HTTP status before the WebSocket opens: `400` (malformed request target or room id), ' +
            '`403` (an `Origin` that is not allowed), `404` (another path), `503` (shutting down). ' +
            'Problems found after it opens close the connection with a close code.',
          '',
          'Error codes of `error` frames (the connection stays open):',
          '',
          '| code | meaning |\n| --- | --- |',
          errorTable,
          '',
          'Close codes (`reconnect`: what a client should do; 4000-4099 never unchanged, ' +
            '4100-4199 with backoff and `since`, 4200-4299 at once):',
          '',
          '| code | name | meaning | reconnect |\n| --- | --- | --- | --- |',
          closeTable,
        ].join('\n'),
        parameters: {
          room_id: { description: 'The room id (a UUID from `POST /api/chat/rooms`)' },
        },
        messages: Object.fromEntries(
          [...clientKeys, ...serverKeys].map((k) => [k, { $ref: `#/components/messages/${k}` }]),
        ),
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              required: ['username'],
              properties: {
                username: {
                  type: 'string',
                  description: `Display name: not blank, at most ${DEFAULT_LIMITS.maxUsernameLength} characters (CHAT_MAX_USERNAME_LENGTH), no control characters; else close 4001`,
                },
                features: {
                  type: 'string',
                  description:
                    'Comma-separated features; unknown ones are ignored. `changes`: receive `change` frames (edits, deletes, reactions). Without it the connection gets only the original frame types',
                },
                since: {
                  type: 'integer',
                  minimum: 0,
                  description:
                    'Resume: the last `seq` the client has. Every later message is sent first, in order, then live ones; beyond `CHAT_REPLAY_LIMIT` a `resync` frame instead. Not a non-negative integer: close 4000',
                },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
        'x-close-codes': closeCodes,
      },
    },
    operations: {
      receiveClientFrames: {
        action: 'receive',
        channel: { $ref: '#/channels/room' },
        title: 'Frames a client sends',
        messages: clientKeys.map((k) => ({ $ref: `#/channels/room/messages/${k}` })),
      },
      sendServerFrames: {
        action: 'send',
        channel: { $ref: '#/channels/room' },
        title: 'Frames the server sends',
        messages: serverKeys.map((k) => ({ $ref: `#/channels/room/messages/${k}` })),
      },
    },
    components: {
      schemas: {
        Attachment: withoutId(Attachment),
        Reaction: withoutId(Reaction),
        ReplyPreview: withoutId(ReplyPreview),
        Message: withoutId(Message),
        MessageChange: withoutId(MessageChange),
      },
      messages,
    },
    'x-error-codes': errorCodes,
    'x-close-codes': closeCodes,
  };
}

let cached: Json | undefined;

/** The document; built once, it depends on nothing but the code. */
export function asyncApiDocument(): Json {
  cached ??= buildDocument();
  return cached;
}
