import { type Static, Type } from '@sinclair/typebox';
import type { Attachment } from './attachments.js';
import type { Reaction, ReplyPreview } from './changes.js';
import { ErrorCode } from './error-codes.js';
import { DEFAULT_LIMITS } from './limits.js';

// Every schema with an `$id` is a named component of /openapi.json (and /asyncapi.json);
// `examples` show up there as examples.

export const RoomVisibility = Type.Union([Type.Literal('public'), Type.Literal('private')]);
export type RoomVisibility = Static<typeof RoomVisibility>;

export const Room = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String({
      description:
        'For a direct message (`kind: "dm"`): the other member\'s username, as seen by the caller',
    }),
    created_at: Type.String({ description: 'ISO 8601' }),
    visibility: RoomVisibility,
    owner_id: Type.Union([Type.String(), Type.Null()], {
      description: 'The account that created the room; null for rooms created in open mode',
    }),
    kind: Type.Union([Type.Literal('room'), Type.Literal('dm')]),
  },
  {
    $id: 'Room',
    examples: [
      {
        id: '0b9f7c1e-5d2a-4c1e-9a53-2f6d8e4b7a10',
        name: 'General',
        created_at: '2026-01-05T09:30:00.000Z',
        visibility: 'public',
        owner_id: null,
        kind: 'room',
      },
    ],
  },
);
export type Room = Static<typeof Room>;

export const Message = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    room_id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    content: Type.String(),
    timestamp: Type.String({ description: 'ISO 8601' }),
    seq: Type.Integer({ minimum: 1, description: 'Per-room sequence number, strictly increasing' }),
    client_id: Type.Optional(
      Type.String({ description: 'Idempotency key sent by the client, echoed back' }),
    ),
    attachments: Type.Optional(
      Type.Array(Type.Unsafe<Attachment>(Type.Ref('Attachment')), {
        description:
          'Files sent with the message (only when there are some). `content` names each one on a line of its own, `📎 name (size) url`, for clients that ignore this field',
      }),
    ),
    edited_at: Type.Optional(
      Type.String({ description: 'ISO 8601: when the content was last edited (only when it was)' }),
    ),
    reply_to: Type.Optional(
      Type.Unsafe<ReplyPreview>({
        ...Type.Ref('ReplyPreview'),
        description: 'The message this one answers, as it is stored now (only for replies)',
      }),
    ),
    reactions: Type.Optional(
      Type.Array(Type.Unsafe<Reaction>(Type.Ref('Reaction')), {
        description: 'Reactions, in the order each emoji was first used (only when there are some)',
      }),
    ),
    mentions: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'The names written as `@name` in the content (NFC, as written, deduplicated), computed by the server (only when there are some)',
      }),
    ),
  },
  {
    $id: 'Message',
    examples: [
      {
        id: '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
        room_id: '0b9f7c1e-5d2a-4c1e-9a53-2f6d8e4b7a10',
        username: 'alice',
        content: 'Hello, room!',
        timestamp: '2026-01-05T09:31:12.345Z',
        seq: 42,
        client_id: 'c-1736069472345-1',
      },
    ],
  },
);
export type Message = Static<typeof Message>;

export const CreateRoomBody = Type.Object(
  {
    name: Type.String({
      description: `Trimmed and NFC-normalized; 1 to ${DEFAULT_LIMITS.maxRoomNameLength} characters by default; no control or invisible characters`,
    }),
    visibility: Type.Optional(
      Type.Union([Type.Literal('public'), Type.Literal('private')], {
        description:
          'Accounts mode: `private` rooms are seen by their members only (default `public`); open mode accepts only `public`',
      }),
    ),
  },
  { $id: 'CreateRoomBody' },
);
export type CreateRoomBody = Static<typeof CreateRoomBody>;

export const RoomParams = Type.Object({ room_id: Type.String() });
export type RoomParams = Static<typeof RoomParams>;

export const HistoryQuery = Type.Object({
  limit: Type.Integer({
    minimum: 1,
    default: DEFAULT_LIMITS.defaultHistoryLimit,
    description: 'How many of the most recent messages (before `before`, if given)',
  }),
  before: Type.Optional(
    // Bounded so every accepted value is an exact integer every store can bind
    // (PostgreSQL's BIGINT refuses 1e20: a 5xx instead of a 422).
    Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Only messages with a smaller `seq` (paging back)',
    }),
  ),
  after: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description:
        'Instead: the first `limit` messages with a larger `seq` (paging forward from a window opened with `around`)',
    }),
  ),
  around: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description:
        'Instead: a window of `limit` messages around this `seq`: `limit/2` (rounded down) before it and the rest from it on, the other side filling in near either end of the room (a search result in its context). At most one of `before`, `after`, `around`',
    }),
  ),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

/** A field error in the FastAPI-compatible `422` body. */
export const FieldError = Type.Object(
  {
    loc: Type.Array(Type.Union([Type.String(), Type.Integer()]), {
      description: 'Where: `body`, `query`, `path` or `header`, then the field',
    }),
    msg: Type.String(),
    type: Type.String({ description: 'Kind of problem, e.g. `missing`, `string_too_long`' }),
  },
  { $id: 'FieldError' },
);
export type FieldError = Static<typeof FieldError>;

export const ErrorBody = Type.Object(
  {
    // A reference, so the documents show FieldError once, as a named schema.
    detail: Type.Union(
      [Type.String(), Type.Array(Type.Unsafe<FieldError>(Type.Ref('FieldError')))],
      {
        description: 'Human-readable: a string, or for `422` a list of field errors',
      },
    ),
    code: Type.Optional(
      Type.Unsafe<ErrorCode>({
        type: 'string',
        enum: Object.values(ErrorCode),
        description: 'Stable machine-readable code; switch on this, never on `detail`',
      }),
    ),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** `/healthz` and `/readyz`. */
export const HealthStatus = Type.Object(
  {
    status: Type.String({ description: '`ok` (healthz); `ready` or `unavailable` (readyz)' }),
    store: Type.Optional(Type.String({ description: '`ok` or `unreachable`' })),
    bus: Type.Optional(Type.String({ description: '`ok` or `unreachable`' })),
  },
  { $id: 'HealthStatus' },
);
export type HealthStatus = Static<typeof HealthStatus>;
