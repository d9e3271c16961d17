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
import { Message, Room } from '../../protocol/rest.js';
import {
  SidebarRoom,
  type WorkspaceClientFrame,
  WorkspaceClientFrameSchemas,
  type WorkspaceClientFrameType,
  WorkspaceEventData,
  type WorkspaceEventType,
  type WorkspaceFrame,
} from '../../protocol/workspace.js';

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

const EXAMPLE_ROOM = (Room.examples as Room[])[0] as Room;
const ROOM_ID = EXAMPLE_ROOM.id;

const WORKSPACE_CLIENT_EXAMPLES: {
  [K in WorkspaceClientFrameType]: Extract<WorkspaceClientFrame, { type: K }>;
} = {
  subscribe: {
    type: 'subscribe',
    room_id: ROOM_ID,
    since: 5230,
    epoch: '9f3c2a7e1b6d4f08',
    presence: true,
  },
  unsubscribe: { type: 'unsubscribe', room_id: ROOM_ID },
  read: { type: 'read', room_id: ROOM_ID, seq: 5230 },
};

const WORKSPACE_SERVER_EXAMPLES: {
  [K in WorkspaceEventType]: Extract<WorkspaceFrame, { type: K }>;
} = {
  hello: { type: 'hello', data: { username: 'alice', epoch: '9f3c2a7e1b6d4f08' } },
  subscribed: {
    type: 'subscribed',
    data: { room_id: ROOM_ID, latest_seq: 5230, epoch: '9f3c2a7e1b6d4f08' },
  },
  unsubscribed: { type: 'unsubscribed', data: { room_id: ROOM_ID, reason: 'deleted' } },
  sidebar_added: {
    type: 'sidebar_added',
    data: {
      room: EXAMPLE_ROOM,
      last_read_seq: 5200,
      latest_seq: 5230,
      unread: 30,
      mentions: 1,
      notify: 'mentions',
    },
  },
  sidebar_removed: { type: 'sidebar_removed', data: { room_id: ROOM_ID } },
  room_created: { type: 'room_created', data: EXAMPLE_ROOM },
  room_updated: { type: 'room_updated', data: { ...EXAMPLE_ROOM, name: 'Town square' } },
  room_removed: { type: 'room_removed', data: { room_id: ROOM_ID } },
  read_state: {
    type: 'read_state',
    data: { room_id: ROOM_ID, last_read_seq: 5230, notify: 'all' },
  },
  refresh: { type: 'refresh', data: { reason: 'bus_outage' } },
};

const WORKSPACE_SERVER_DESCRIPTIONS: { [K in WorkspaceEventType]: string } = {
  hello: 'The first frame: who the socket is and the history epoch',
  subscribed:
    'A subscription is live: its replayed messages (or a `resync`) came before, live ones follow. Also the answer to subscribing again',
  unsubscribed:
    'A subscription ended: asked (`unsubscribe`), the room `deleted` (after `room_deleted`), or `removed` from a private room. The socket stays open',
  sidebar_added: "A room joined the reader's sidebar (any tab or device)",
  sidebar_removed: "A room left the reader's sidebar",
  room_created: 'A room this socket may see was created',
  room_updated: 'A room this socket may see was renamed',
  room_removed: 'A room this socket could see was deleted',
  read_state: "The reader's read position or notify level in a room changed (any tab or device)",
  refresh:
    'Room list, sidebar and read-state frames may have been lost (the server processes lost Redis for a while): read `GET /api/chat/rooms` and `GET /api/chat/me/rooms` again. Subscriptions need nothing: they catch up in order',
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

/** A named schema (one with `$id`, e.g. SidebarRoom) as a reference to the document's components. */
const dataSchema = (schema: TSchema): Json =>
  schema.$id ? { $ref: `#/components/schemas/${schema.$id}` } : plain(schema);

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
  // The workspace: its own frames, and every /ws/chat frame with `room_id` in the envelope.
  const workspaceClientKeys: string[] = [];
  const workspaceServerKeys: string[] = [];
  const withRoomId = (payload: Json): Json => ({
    ...payload,
    required: [...((payload.required as string[] | undefined) ?? []), 'room_id'],
    properties: {
      type: (payload.properties as Json).type,
      room_id: { type: 'string', description: 'The room this frame is about' },
      ...(payload.properties as Json),
    },
  });
  for (const type of Object.keys(WorkspaceClientFrameSchemas) as WorkspaceClientFrameType[]) {
    const schema = WorkspaceClientFrameSchemas[type];
    const key = `workspace.client.${type}`;
    workspaceClientKeys.push(key);
    messages[key] = {
      name: type,
      title: `${type} (client to server, workspace)`,
      ...(schema.description ? { summary: schema.description } : {}),
      payload: plain(schema),
      examples: [{ name: type, payload: WORKSPACE_CLIENT_EXAMPLES[type] }],
    };
  }
  for (const type of Object.keys(ClientFrameSchemas) as ClientFrameType[]) {
    const key = `workspace.client.${type}`;
    workspaceClientKeys.push(key);
    const chat = messages[messageKey('client', type)] as Json;
    messages[key] = {
      name: type,
      title: `${type} (client to server, workspace)`,
      summary: `As on \`/ws/chat\`, for the subscribed room \`room_id\``,
      payload: withRoomId(chat.payload as Json),
      examples: [{ name: type, payload: { ...CLIENT_EXAMPLES[type], room_id: ROOM_ID } }],
    };
  }
  for (const type of Object.keys(WorkspaceEventData) as WorkspaceEventType[]) {
    const key = `workspace.server.${type}`;
    workspaceServerKeys.push(key);
    messages[key] = {
      name: type,
      title: `${type} (server to client, workspace)`,
      summary: WORKSPACE_SERVER_DESCRIPTIONS[type],
      payload: {
        type: 'object',
        required: ['type', 'data'],
        properties: {
          type: { const: type, type: 'string' },
          data: dataSchema(WorkspaceEventData[type]),
        },
      },
      examples: [{ name: type, payload: WORKSPACE_SERVER_EXAMPLES[type] }],
    };
  }
  for (const type of Object.keys(ServerFrameSchemas) as ServerEventType[]) {
    const key = `workspace.server.${type}`;
    workspaceServerKeys.push(key);
    const chat = messages[messageKey('server', type)] as Json;
    messages[key] = {
      ...chat,
      title: `${type} (server to client, workspace)`,
      summary: `As on \`/ws/chat\`, for the room \`room_id\`${type === 'room_deleted' ? ' (then `unsubscribed`; the socket stays open)' : ''}${type === 'error' ? ' (without `room_id` for a frame that named no room)' : ''}`,
      payload:
        type === 'error'
          ? {
              ...(chat.payload as Json),
              properties: {
                type: ((chat.payload as Json).properties as Json).type,
                room_id: {
                  type: 'string',
                  description: 'The room of the rejected frame, if it named one',
                },
                ...((chat.payload as Json).properties as Json),
              },
            }
          : withRoomId(chat.payload as Json),
      examples: [{ name: type, payload: { ...SERVER_EXAMPLES[type], room_id: ROOM_ID } }],
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
      workspace: {
        address: '/ws/workspace',
        title: 'Every room of a sidebar, on one socket',
        description: [
          'Open with `GET /ws/workspace?username=NAME` (accounts mode: the session cookie or Bearer token; `username` is ignored). ' +
            'The same upgrade statuses, origin rules, address limit, rate limit, heartbeat and close codes as `/ws/chat/{room_id}`; ' +
            'a session that ends closes it with 4003.',
          '',
          'The first frame is `hello`. `subscribe` starts a room (with `since`/`epoch` it resumes as on `/ws/chat`): the replay or `resync`, ' +
            'then `subscribed`, then live frames. Room-scoped frames carry `room_id` next to `type`, both ways. ' +
            '`presence: true` (the room on screen) also brings `join`, `leave`, `user_list` and `typing`; without it, messages only. ' +
            'At most `CHAT_WS_MAX_SUBSCRIPTIONS` rooms (`TOO_MANY_SUBSCRIPTIONS`); a frame for a room not subscribed gets `NOT_SUBSCRIBED`. ' +
            'Bad frames get `error` frames; the socket stays open. `room_created`, `room_updated`, `room_removed` come to every socket that may see the room; ' +
            "`sidebar_added`, `sidebar_removed` and `read_state` to the reader's own sockets; " +
            '`refresh` when some of those may have been lost (read both lists again).',
        ].join('\n'),
        messages: Object.fromEntries(
          [...workspaceClientKeys, ...workspaceServerKeys].map((k) => [
            k,
            { $ref: `#/components/messages/${k}` },
          ]),
        ),
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                username: {
                  type: 'string',
                  description: 'Open mode: display name, as on `/ws/chat`; else close 4001',
                },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations: {
      receiveWorkspaceFrames: {
        action: 'receive',
        channel: { $ref: '#/channels/workspace' },
        title: 'Frames a workspace client sends',
        messages: workspaceClientKeys.map((k) => ({
          $ref: `#/channels/workspace/messages/${k}`,
        })),
      },
      sendWorkspaceFrames: {
        action: 'send',
        channel: { $ref: '#/channels/workspace' },
        title: 'Frames the server sends on a workspace socket',
        messages: workspaceServerKeys.map((k) => ({
          $ref: `#/channels/workspace/messages/${k}`,
        })),
      },
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
        Room: withoutId(Room),
        SidebarRoom: withoutId(SidebarRoom),
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
