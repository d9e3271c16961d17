import { type Static, Type } from '@sinclair/typebox';
import { DEFAULT_LIMITS } from './limits.js';

export const Room = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    created_at: Type.String({ description: 'ISO 8601' }),
  },
  { $id: 'Room' },
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
  },
  { $id: 'Message' },
);
export type Message = Static<typeof Message>;

export const CreateRoomBody = Type.Object(
  {
    name: Type.String({
      description: `Trimmed; 1 to ${DEFAULT_LIMITS.maxRoomNameLength} characters by default`,
    }),
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
});
export type HistoryQuery = Static<typeof HistoryQuery>;

/** A field error in the FastAPI-compatible `422` body. */
export const FieldError = Type.Object({
  loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
  msg: Type.String(),
  type: Type.String(),
});
export type FieldError = Static<typeof FieldError>;

export const ErrorBody = Type.Object(
  {
    detail: Type.Union([Type.String(), Type.Array(FieldError)]),
    code: Type.Optional(Type.String()),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;
